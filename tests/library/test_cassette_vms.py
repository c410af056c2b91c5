"""VMs of a set built one by one, through both faces, replayed from cassettes.

add_vm and add_vms (idempotent, refusing a VM outside the set), vms with and without the
instance view, vm for members and non-members, operations that name a VM outside the set,
delete_vms of a subset (forced or by filter) leaving the others, and delete(cascade=False)
refusing a set with VMs and deleting an empty one. Cassettes:
``cassettes/test_cassette_vms/``.
"""

from __future__ import annotations

from typing import Any

import pytest
from _flexlib import LOCATION
from test_lifecycle_replay import RG, arm_clients, listed, names_of, network_for, open_set, vm

from flexvmss import (
    InvalidInputError,
    NotFoundError,
    PreflightError,
    ScaleSetNotEmptyError,
    ScaleSetSpec,
)
from flexvmss._specs import render_vm_body

pytestmark = pytest.mark.flexvmss_cassette


async def standalone_vm(target: Any, subnet_id: str, name: str) -> str:
    """A VM in the same resource group that belongs to no scale set (stock SDK call, on
    clients of its own: the sync face's clients live on its own event loop)."""
    body = render_vm_body(vm(subnet_id, name), scale_set_id="", location=LOCATION)
    del body["properties"]["virtualMachineScaleSet"]
    clients = arm_clients(target)
    try:
        poller = await clients.compute.virtual_machines.begin_create_or_update(RG, name, body)
        return str((await poller.result()).id)
    finally:
        await clients.close()


async def vm_exists(target: Any, name: str) -> bool:
    clients = arm_clients(target)
    try:
        return (await clients.compute.virtual_machines.get(RG, name)).name == name
    finally:
        await clients.close()


async def test_adding_and_reading_vms(flexvmss_target, face):
    subnet_id = await network_for(flexvmss_target)
    async with open_set(flexvmss_target, face, "byvm") as (ss, clients):
        await ss.create(ScaleSetSpec(location=LOCATION, zones=("1", "2")))

        first = await ss.add_vm(vm(subnet_id, "app1", zone="1"))
        assert (first.name, first.zone, first.size) == ("app1", "1", "Standard_D2s_v5")
        writes = clients.requests.get("write", 0)
        again = await ss.add_vm(vm(subnet_id, "app1", zone="1"))
        assert again.id == first.id and clients.requests.get("write", 0) == writes  # no second PUT

        added = await ss.add_vms([vm(subnet_id, "app2", zone="2"), vm(subnet_id, "app3", zone="2")])
        assert sorted(added.succeeded) == ["app2", "app3"] and not added.failed
        rerun = await ss.add_vms([vm(subnet_id, "app2", zone="2"), vm(subnet_id, "app4", zone="1")])
        assert (rerun.skipped, rerun.succeeded) == (["app2"], ["app4"])

        plain = await listed(ss, lambda vms: len(vms) == 4)
        assert sorted(v.name for v in plain) == ["app1", "app2", "app3", "app4"]
        assert {v.power_state for v in plain} == {None}  # no instance view asked for
        viewed = {v.name: v for v in await listed(ss, lambda vms: len(vms) == 4, instance_view=True)}
        assert {n: (v.zone, v.power_state) for n, v in viewed.items()} == {
            "app1": ("1", "running"),
            "app2": ("2", "running"),
            "app3": ("2", "running"),
            "app4": ("1", "running"),
        }
        one = await ss.vm("app3")
        assert (one.zone, one.power_state, one.provisioning_state) == ("2", "running", "Succeeded")
        assert one.nic_ids and one.os_disk_id

        await standalone_vm(flexvmss_target, subnet_id, "loner")
        with pytest.raises(NotFoundError) as caught:
            await ss.vm("loner")
        assert caught.value.code == "NotAMember"
        with pytest.raises(NotFoundError):
            await ss.vm("nosuchvm")
        with pytest.raises(PreflightError) as refused:
            await ss.add_vms([vm(subnet_id, "loner")])
        assert "FLEX028" in {f.rule_id for f in refused.value.findings}
        writes = clients.requests.get("write", 0) + clients.requests.get("action", 0)
        with pytest.raises(InvalidInputError) as unknown:
            await ss.deallocate(["app1", "loner"])
        assert unknown.value.value == ["loner"]
        assert clients.requests.get("write", 0) + clients.requests.get("action", 0) == writes
        assert (await ss.vm("app1")).power_state == "running"

        torn = await ss.delete(cascade=True)
        assert sorted(torn.vms.succeeded) == ["app1", "app2", "app3", "app4"] and not torn.vms.failed
        assert await vm_exists(flexvmss_target, "loner")  # never touched


async def test_delete_vms_of_a_subset_and_delete_without_cascade(flexvmss_target, face):
    subnet_id = await network_for(flexvmss_target)
    async with open_set(flexvmss_target, face, "del") as (ss, _clients):
        await ss.create(ScaleSetSpec(location=LOCATION))
        names = ["d1", "d2", "d3", "d4"]
        assert sorted((await ss.add_vms([vm(subnet_id, n) for n in names])).succeeded) == names

        with pytest.raises(ScaleSetNotEmptyError) as caught:
            await ss.delete(cascade=False)
        assert caught.value.code == "ScaleSetNotEmpty" and "d1" in str(caught.value)
        assert await ss.exists() and len(await ss.vms()) == 4  # nothing was deleted

        gone = await ss.delete_vms(["d1"])
        assert gone.succeeded == ["d1"] and not gone.failed
        assert names_of(await listed(ss, lambda vms: names_of(vms) == ["d2", "d3", "d4"])) == [
            "d2",
            "d3",
            "d4",
        ]

        forced = await ss.delete_vms(["d2"], force=True)
        assert forced.succeeded == ["d2"]
        assert names_of(await listed(ss, lambda vms: names_of(vms) == ["d3", "d4"])) == ["d3", "d4"]

        filtered = await ss.delete_vms(where=lambda v: v.name == "d4")
        assert filtered.succeeded == ["d4"]
        assert names_of(await listed(ss, lambda vms: names_of(vms) == ["d3"])) == ["d3"]

        # every VM the list shows: d3, and a deleted one again if the list still shows it
        rest = await ss.delete_vms()
        assert "d3" in rest.succeeded and set(rest.succeeded) <= set(names) and not rest.failed
        assert await listed(ss, lambda vms: vms == []) == []

        torn = await ss.delete(cascade=False)
        assert torn.scale_set_deleted and (torn.vms is None or not torn.vms.failed)
        assert await ss.exists() is False
