"""scale_to through both faces, replayed from cassettes.

Up and down, with the VM count checked through vms(); the Flex limit and a set without a VM
profile refused before any write; scaling to zero leaves an empty set that
delete(cascade=False) accepts. Cassettes: ``cassettes/test_cassette_scale/``.
"""

from __future__ import annotations

import pytest
from _flexlib import IMAGE, LOCATION, SSH_KEY
from test_lifecycle_replay import listed, network_for, open_set

from flexvmss import InvalidInputError, NetworkSpec, ScaleSetSpec

pytestmark = pytest.mark.flexvmss_cassette


async def test_scale_up_down_and_to_zero(flexvmss_target, face):
    subnet_id = await network_for(flexvmss_target)
    spec = ScaleSetSpec(
        location=LOCATION,
        vm_size="Standard_D2s_v5",
        capacity=2,
        image=IMAGE,
        network=NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        ssh_public_keys=(SSH_KEY,),
    )
    async with open_set(flexvmss_target, face, "scale") as (ss, clients):
        await ss.create(spec)
        assert len(await ss.vms()) == 2

        up = await ss.scale_to(5)
        assert (up.capacity, up.provisioning_state) == (5, "Succeeded")
        assert (await ss.get()).capacity == 5
        shown = await ss.vms(instance_view=True)
        assert len(shown) == 5 and {v.power_state for v in shown} == {"running"}

        down = await ss.scale_to(1)
        assert down.capacity == 1
        assert len(await listed(ss, lambda vms: len(vms) == 1)) == 1  # the list may lag a round

        writes = clients.requests.get("write", 0)
        with pytest.raises(InvalidInputError) as too_many:
            await ss.scale_to(1001)
        assert "1,000" in str(too_many.value)
        with pytest.raises(InvalidInputError):
            await ss.scale_to(-1)
        assert clients.requests.get("write", 0) == writes  # refused before any write
        assert (await ss.get()).capacity == 1

        assert (await ss.scale_to(0)).capacity == 0
        assert await listed(ss, lambda vms: vms == []) == []
        torn = await ss.delete(cascade=False)
        assert torn.scale_set_deleted and torn.vms is None


async def test_a_set_without_a_profile_has_no_capacity_to_scale(flexvmss_target, face):
    async with open_set(flexvmss_target, face, "noprof") as (ss, clients):
        await network_for(flexvmss_target)
        info = await ss.create(ScaleSetSpec(location=LOCATION))
        assert not info.has_vm_profile
        writes = clients.requests.get("write", 0)
        with pytest.raises(InvalidInputError) as caught:
            await ss.scale_to(3)
        assert "add_vms" in str(caught.value)
        assert clients.requests.get("write", 0) == writes
        assert await ss.vms() == []
        assert (await ss.delete(cascade=False)).scale_set_deleted
