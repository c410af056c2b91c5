"""Desired state through both faces, replayed from cassettes: a plan of a drifted profile set
(counts per zone, tags, power), its JSON, an apply that converges, and an apply that stops on
a VM another client changed between plan and apply. Cassettes:
``cassettes/test_cassette_desired/``.
"""

from __future__ import annotations

import pytest
from _flexlib import IMAGE, LOCATION, SSH_KEY
from test_lifecycle_replay import RG, arm_clients, network_for, open_set

from flexvmss import DesiredState, NetworkSpec, Plan, ScaleSetSpec, VmGroup

pytestmark = pytest.mark.flexvmss_cassette


def _spec(subnet_id: str) -> ScaleSetSpec:
    return ScaleSetSpec(
        location=LOCATION,
        vm_size="Standard_D2s_v5",
        capacity=3,
        zones=("1", "2", "3"),
        platform_fault_domain_count=1,
        image=IMAGE,
        network=NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        ssh_public_keys=(SSH_KEY,),
    )


async def test_plan_and_apply_a_drifted_set(flexvmss_target, face):
    subnet_id = await network_for(flexvmss_target)
    spec = _spec(subnet_id)
    async with open_set(flexvmss_target, face, "want") as (ss, clients):
        await ss.create(spec)
        in_zone_2 = [vm.name for vm in await ss.vms() if vm.zone == "2"]
        await ss.deallocate(in_zone_2)

        desired = DesiredState(
            spec,
            vms=(VmGroup(2, zone="1"), VmGroup(1, zone="2")),
            tags={"team": "web"},
            power_state="running",
        )
        writes = clients.requests.get("write", 0)
        plan = await ss.plan(desired)
        assert clients.requests.get("write", 0) == writes  # a plan only reads
        assert plan.read.ok and plan.live_vms == 3
        assert plan.counts() == {
            "create": 1, "replace": 0, "update": 2, "start": 0, "deallocate": 0, "delete": 1,
        }  # fmt: skip
        started = next(a for a in plan.actions if a.vm == in_zone_2[0])
        assert started.kind == "update" and started.changes["power_state"] == "running"
        assert Plan.from_json(plan.to_json()).id == plan.id

        result = await ss.apply(plan)
        assert result.ok, result.to_dict()
        listed = await ss.vms(instance_view=True)
        assert sorted(vm.zone for vm in listed) == ["1", "1", "2"]  # placement: setup (zone 1 is sent)
        assert {vm.power_state for vm in listed} == {"running"}
        assert all(vm.tags.get("team") == "web" for vm in listed)
        assert (await ss.plan(desired)).empty

        await ss.delete(cascade=True)


async def test_apply_stops_on_a_vm_changed_after_the_plan(flexvmss_target, face):
    subnet_id = await network_for(flexvmss_target)
    spec = _spec(subnet_id)
    async with open_set(flexvmss_target, face, "race") as (ss, _clients):
        await ss.create(spec)
        desired = DesiredState(spec, vms=(VmGroup(1, zone="1"), VmGroup(1, zone="2")), tags={"team": "web"})
        plan = await ss.plan(desired)
        doomed = next(a for a in plan.actions if a.kind == "delete")
        assert doomed.zone == "3" and doomed.etag

        other = arm_clients(flexvmss_target)  # another client retags the VM the plan deletes
        try:
            poller = await other.compute.virtual_machines.begin_update(
                RG, doomed.vm, {"tags": {"owner": "ops"}}
            )
            await poller.result()
        finally:
            await other.close()

        result = await ss.apply(plan)
        outcomes = {r.action.id: r.outcome for r in result.results}
        assert outcomes[doomed.id] == "changed"
        assert all(o == "done" for i, o in outcomes.items() if i != doomed.id)
        assert doomed.vm in {vm.name for vm in await ss.vms()}  # kept
        assert result.replanned is not None
        again = result.replanned.actions
        assert [(a.kind, a.vm) for a in again] == [("delete", doomed.vm)]

        await ss.delete(cascade=True)
