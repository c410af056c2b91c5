"""Desired state against the emulator, through both faces: plans for drift in each dimension
(count per zone and priority, size, image, tags, power state), and the guarded apply (a
changed ETag stops an action, a throttled read is refused, the delete cap holds, a rolling
replacement halts on failed health, a journal skips done work).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from _flexlib import RG, Network, profile_spec

from flexvmss import (
    DesiredState,
    ImageSpec,
    Plan,
    PlanRefusedError,
    VmGroup,
)
from flexvmss.emulator import Emulator


async def _set(make_set: Any, network: Network, capacity: int = 3, **spec: Any) -> tuple[Any, Any]:
    ss = make_set("web")
    spec_value = profile_spec(network, capacity=capacity, zones=("1", "2", "3"), **spec)
    await ss.create(spec_value)
    return ss, spec_value


def _held(emu: Emulator) -> set[str]:
    """The VMs Azure holds now (the emulator's own state): a list read right after an apply may
    lag a round (realism), and what these tests assert is what the apply did."""
    resources = emu.inventory()["resources"]
    vms = [r for r in resources if r["type"].lower() == "microsoft.compute/virtualmachines"]
    return {r["id"].rsplit("/", 1)[1] for r in vms}


def _kinds(plan: Plan) -> dict[str, int]:
    return {k: n for k, n in plan.counts().items() if n}


async def test_a_set_as_desired_plans_nothing(make_set, network):
    ss, spec = await _set(make_set, network)
    plan = await ss.plan(DesiredState(spec))
    assert plan.read.ok and plan.live_vms == 3
    assert plan.empty, str(plan)


async def test_count_per_zone_and_priority(make_set, network):
    ss, spec = await _set(make_set, network)
    vms = await ss.vms()
    zones = sorted(vm.zone for vm in vms)  # placement: setup (one VM per zone to start from)
    assert zones == ["1", "2", "3"]
    desired = DesiredState(spec, vms=(VmGroup(2, zone="1"), VmGroup(0, zone="2"), VmGroup(1, zone="3")))
    plan = await ss.plan(desired)
    assert _kinds(plan) == {"create": 1, "delete": 1}
    (create,) = [a for a in plan.actions if a.kind == "create"]
    (delete,) = [a for a in plan.actions if a.kind == "delete"]
    assert create.zone == "1" and delete.zone == "2"
    assert "zone 2" in delete.reasons[0] and delete.etag
    # a Spot group where there is none: created with Spot priority
    plan = await ss.plan(DesiredState(spec, vms=(VmGroup(3), VmGroup(1, zone="2", priority="Spot"))))
    (spot,) = [a for a in plan.actions if a.kind == "create"]
    assert spot.priority == "Spot" and spot.vm_spec["priority"] == "Spot"
    # VMs in no group are deleted, with the reason
    plan = await ss.plan(DesiredState(spec, vms=(VmGroup(1, zone="1"),)))
    deleted_from = sorted(a.zone for a in plan.actions if a.kind == "delete")  # placement: setup (the plan's)
    assert deleted_from == ["2", "3"]
    assert all("no desired group" in a.reasons[0] for a in plan.actions)


async def test_size_tags_image_and_power_drift(make_set, network):
    ss, spec = await _set(make_set, network)
    names = sorted(vm.name for vm in await ss.vms())
    await ss.deallocate([names[0]])
    plan = await ss.plan(DesiredState(spec, power_state="running"))
    assert [(a.kind, a.vm) for a in plan.actions] == [("start", names[0])]
    plan = await ss.plan(DesiredState(spec, size="Standard_D4s_v5", tags={"team": "web"}))
    assert _kinds(plan) == {"update": 3}
    assert all(a.changes == {"size": "Standard_D4s_v5", "tags": {"team": "web"}} for a in plan.actions)
    assert any("size Standard_D2s_v5 -> Standard_D4s_v5" in r for r in plan.actions[0].reasons)
    newer = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:24.04.202601010")
    plan = await ss.plan(DesiredState(spec, image=newer))
    assert _kinds(plan) == {"replace": 3}
    assert all(a.new_name and a.vm_spec["image"] == str(newer) for a in plan.actions)
    # the JSON round-trips, with a stable id
    again = Plan.from_json(plan.to_json())
    assert again.id == plan.id and again.actions == plan.actions
    data = json.loads(plan.to_json())
    assert data["schema"] == "flexvmss.plan/1" and data["summary"]["replace"] == 3


async def test_apply_converges_and_a_second_plan_is_empty(make_set, network):
    ss, spec = await _set(make_set, network)
    desired = DesiredState(spec, vms=(VmGroup(2, zone="1"), VmGroup(1, zone="3")), tags={"team": "web"})
    plan = await ss.plan(desired)
    result = await ss.apply(plan)
    assert result.ok, result.to_dict()
    assert (await ss.plan(desired)).empty


async def test_a_changed_etag_stops_that_action_and_replans(make_set, network, emu: Emulator):
    ss, spec = await _set(make_set, network)
    desired = DesiredState(spec, tags={"team": "web"}, vms=(VmGroup(1, zone="1"), VmGroup(1, zone="2")))
    plan = await ss.plan(desired)
    victim = next(a for a in plan.actions if a.kind == "delete")
    updated = next(a for a in plan.actions if a.kind == "update")
    # another actor changes both VMs between plan and apply
    compute = emu.clients().compute
    for name in (victim.vm, updated.vm):
        compute.virtual_machines.begin_update(RG, name, {"tags": {"owner": "someone"}}).result()
    result = await ss.apply(plan)
    outcomes = {r.action.id: r.outcome for r in result.results}
    assert outcomes[victim.id] == "changed" and outcomes[updated.id] == "changed"
    assert compute.virtual_machines.get(RG, victim.vm).name == victim.vm  # not deleted
    assert result.replanned is not None and result.replanned.read.ok


async def test_a_throttled_read_gives_a_plan_apply_refuses(make_set, network, emu: Emulator):
    ss, spec = await _set(make_set, network)
    emu.add_fault({"kind": "status", "method": "GET", "path": "virtualMachines$", "status": 429, "times": 1})
    plan = await ss.plan(DesiredState(spec, vms=(VmGroup(0),)))
    assert plan.read.status == "throttled" and plan.read.throttled == 1
    with pytest.raises(PlanRefusedError) as info:
        await ss.apply(plan, max_delete=10)
    assert info.value.reason == "read_throttled"
    assert len(await ss.vms()) == 3
    # the refusal survives a trip through JSON
    with pytest.raises(PlanRefusedError):
        await ss.apply(Plan.from_json(plan.to_json()), max_delete=10)


async def test_the_delete_cap_holds(make_set, network, emu: Emulator):
    ss, spec = await _set(make_set, network, capacity=7)
    plan = await ss.plan(DesiredState(spec, vms=(VmGroup(1),)))
    assert plan.counts()["delete"] == 6
    with pytest.raises(PlanRefusedError) as info:
        await ss.apply(plan)  # default: max(5, 10% of 7) = 5
    assert info.value.reason == "delete_cap" and "6 VMs" in str(info.value)
    assert len(_held(emu)) == 7
    with pytest.raises(PlanRefusedError):
        await ss.apply(plan, max_delete=0.5)
    result = await ss.apply(plan, max_delete=6)
    assert result.ok and len(_held(emu)) == 1


async def test_rolling_replacement_halts_on_failed_health(make_set, network, emu: Emulator):
    ss, spec = await _set(make_set, network)
    newer = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:24.04.202601010")
    plan = await ss.plan(DesiredState(spec, image=newer))
    old = sorted(a.vm for a in plan.actions)
    emu.set_vm_health("unhealthy")
    result = await ss.apply(plan, batch_size=1, health_gate=True, health_timeout=0.02)
    outcomes = [r.outcome for r in result.results]
    assert outcomes == ["halted", "not_started", "not_started"], result.to_dict()
    assert result.halted and "healthy" in result.halted
    names = _held(emu)
    assert set(old) <= names and len(names) == 4  # every old VM kept, one successor made
    emu.set_vm_health("healthy")
    plan = await ss.plan(DesiredState(spec, image=newer, vms=(VmGroup(3),)))
    result = await ss.apply(plan, batch_size=2, health_gate=True, health_timeout=0.02)
    assert result.ok, result.to_dict()
    assert not (set(old) & _held(emu))


async def test_a_journal_skips_what_an_earlier_run_did(make_set, network, tmp_path):
    ss, spec = await _set(make_set, network)
    plan = await ss.plan(DesiredState(spec, tags={"team": "web"}))
    journal = tmp_path / "apply.jsonl"
    first = await ss.apply(plan, journal=journal)
    assert first.ok
    before = dict(ss.requests)
    again = await ss.apply(plan, journal=journal)
    assert again.ok and all("journal" in r.detail for r in again.results)
    assert ss.requests.get("write", 0) == before.get("write", 0)
    other = await ss.plan(DesiredState(spec, tags={"team": "api"}))
    with pytest.raises(Exception, match="journal"):
        await ss.apply(other, journal=journal)


async def test_a_failed_read_gives_a_plan_without_actions_that_apply_refuses(
    make_set, network, emu: Emulator
):
    ss, spec = await _set(make_set, network)
    emu.add_fault({"kind": "status", "method": "GET", "path": "virtualMachines$", "status": 403, "times": 1})
    plan = await ss.plan(DesiredState(spec, vms=(VmGroup(0),)))
    assert plan.read.status == "failed" and plan.actions == ()
    assert "403" in plan.read.detail or "Authorization" in plan.read.detail
    with pytest.raises(PlanRefusedError) as info:
        await ss.apply(plan)
    assert info.value.reason == "read_failed"
