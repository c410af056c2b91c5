"""Per-VM operations over a whole set, a list of names or a filter, through both faces."""

from __future__ import annotations

import asyncio

import pytest
from _flexlib import LOCATION, profile_spec, requests_by_route, vm_spec

from flexvmss import (
    BatchResult,
    InvalidInputError,
    Outcome,
    PreflightError,
    ScaleSetSpec,
    SpotSpec,
)
from flexvmss._fanout import BatchFailedError
from flexvmss.emulator import FaultRule


async def power_states(ss) -> dict[str, str | None]:
    """Each VM's power state from its own GET: the list's copy may lag a change by a round, as
    Azure's does (the emulator's realism), so the truth after an operation is each VM's read."""
    return {vm.name: (await ss.vm(vm.name)).power_state for vm in await ss.vms()}


@pytest.fixture
async def web(emu, network, make_set):
    """A 4-VM profile set, running."""
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=4))
    return ss


async def test_add_vms_creates_heterogeneous_members(emu, network, make_set):
    ss = make_set("mixed")
    await ss.create(ScaleSetSpec(location=LOCATION, zones=("1", "2", "3")))
    specs = [
        vm_spec(network, "a1", zone="1"),
        vm_spec(network, "a2", zone="2", vm_size="Standard_D4s_v5"),
        vm_spec(network, "a3", zone="3", vm_size="Standard_E2s_v5"),
        vm_spec(network, "a4", zone="1", vm_size="Standard_F2s_v2"),
        vm_spec(network, "s1", zone="2", priority="Spot", spot=SpotSpec(eviction_policy="Deallocate")),
    ]

    result = await ss.add_vms(specs)

    assert isinstance(result, BatchResult)
    assert sorted(result.succeeded) == ["a1", "a2", "a3", "a4", "s1"]
    vms = {vm.name: vm for vm in await ss.vms(instance_view=True)}
    assert {name: (vm.zone, vm.size) for name, vm in vms.items()} == {
        "a1": ("1", "Standard_D2s_v5"),
        "a2": ("2", "Standard_D4s_v5"),
        "a3": ("3", "Standard_E2s_v5"),
        "a4": ("1", "Standard_F2s_v2"),
        "s1": ("2", "Standard_D2s_v5"),
    }
    assert vms["s1"].priority == "Spot"
    assert {vm.power_state for vm in vms.values()} == {"running"}


async def test_add_vms_pins_fault_domains_in_a_regional_set(emu, network, make_set):
    ss = make_set("spread")
    await ss.create(ScaleSetSpec(location=LOCATION, platform_fault_domain_count=3))
    result = await ss.add_vms([vm_spec(network, f"fd{i}", platform_fault_domain=i) for i in range(3)])

    assert sorted(result.succeeded) == ["fd0", "fd1", "fd2"]
    assert {vm.name: vm.platform_fault_domain for vm in await ss.vms()} == {"fd0": 0, "fd1": 1, "fd2": 2}


async def test_add_vms_checks_every_spec_before_creating_any(emu, network, make_set):
    ss = make_set("mixed")
    await ss.create(ScaleSetSpec(location=LOCATION))
    writes = emu.counters()["by_op_class"].get("write", 0)

    with pytest.raises(PreflightError) as caught:
        await ss.add_vms([vm_spec(network, "ok1"), vm_spec(network, "zonal", zone="1")])

    assert any(f.rule_id == "FLEX030" for f in caught.value.findings)
    assert emu.counters()["by_op_class"].get("write", 0) == writes
    assert await ss.vms() == []


async def test_add_vms_again_skips_the_members_it_already_created(emu, network, make_set):
    ss = make_set("mixed")
    await ss.create(ScaleSetSpec(location=LOCATION))
    await ss.add_vms([vm_spec(network, "v1"), vm_spec(network, "v2")])

    again = await ss.add_vms([vm_spec(network, "v1"), vm_spec(network, "v2"), vm_spec(network, "v3")])

    assert sorted(again.skipped) == ["v1", "v2"] and again.succeeded == ["v3"]
    assert len(await ss.vms()) == 3


async def test_deallocate_then_start_the_whole_set(web):
    result = await web.deallocate()
    assert len(result.succeeded) == 4 and result.ok
    assert set((await power_states(web)).values()) == {"deallocated"}

    result = await web.start()
    assert len(result.succeeded) == 4
    assert set((await power_states(web)).values()) == {"running"}


async def test_stop_only_the_named_vms(web):
    names = sorted(await power_states(web))
    result = await web.stop(names[:2], skip_shutdown=True)

    assert sorted(result.succeeded) == names[:2]
    states = await power_states(web)
    assert [states[n] for n in names] == ["stopped", "stopped", "running", "running"]


async def test_where_filters_over_the_vm_list(web):
    names = sorted(await power_states(web))
    await web.deallocate(names[:1])

    result = await web.start(where=lambda vm: vm.power_state == "deallocated")

    assert result.succeeded == names[:1]
    assert set((await power_states(web)).values()) == {"running"}


@pytest.mark.parametrize("operation", ["restart", "redeploy", "reimage", "perform_maintenance"])
async def test_each_operation_runs_on_every_vm(web, operation):
    result = await getattr(web, operation)()

    assert len(result.succeeded) == 4, result
    assert result.failed == [] and result.not_started == []
    assert result.requests.get("action", 0) >= 4


async def test_update_changes_tags_and_size_and_keeps_the_set_tag(web):
    names = sorted(await power_states(web))
    await web.deallocate(names[:1])
    result = await web.update(names[:1], tags={"team": "web"}, size="Standard_D4s_v5")

    assert result.succeeded == names[:1]
    vm = await web.vm(names[0])
    assert vm.size == "Standard_D4s_v5"
    assert vm.tags == {"team": "web"}


async def test_update_refuses_a_size_the_region_does_not_offer(web, emu):
    writes = emu.counters()["by_op_class"].get("write", 0)
    with pytest.raises(InvalidInputError):
        await web.update(size="Standard_Nonexistent_v9")
    assert emu.counters()["by_op_class"].get("write", 0) == writes


async def test_run_command_returns_each_vms_output(web):
    result = await web.run_command("RunShellScript", "echo hello")

    assert len(result.succeeded) == 4
    assert all("Enable succeeded" in r.detail for r in result.results.values())


async def test_simulate_eviction_of_a_spot_vm(emu, network, make_set):
    ss = make_set("spot")
    await ss.create(ScaleSetSpec(location=LOCATION))
    await ss.add_vm(vm_spec(network, "s1", priority="Spot", spot=SpotSpec(eviction_policy="Deallocate")))
    await ss.add_vm(vm_spec(network, "r1"))

    result = await ss.simulate_eviction(where=lambda vm: vm.priority == "Spot")
    assert result.succeeded == ["s1"]
    emu.complete_all()
    assert (await ss.vm("s1")).power_state == "deallocated"
    assert (await ss.vm("r1")).power_state == "running"


async def test_unknown_names_are_refused_before_any_request_is_sent(web, emu):
    actions = emu.counters()["by_op_class"].get("action", 0)
    with pytest.raises(InvalidInputError) as caught:
        await web.deallocate(["web_nothere"])
    assert "web_nothere" in str(caught.value)
    assert emu.counters()["by_op_class"].get("action", 0) == actions


async def test_a_partial_failure_is_reported_on_the_right_vms(web, emu):
    names = sorted(await power_states(web))
    doomed = names[1:3]
    for name in doomed:
        emu.add_fault(FaultRule(kind="lro_fail", path=f"/{name}/deallocate$", code="AllocationFailed"))

    result = await web.deallocate()

    assert sorted(result.failed) == doomed
    assert sorted(result.succeeded) == [names[0], names[3]]
    codes = {name: error.code for name, error in result.errors.items()}
    assert codes == dict.fromkeys(doomed, "AllocationFailed")
    with pytest.raises(BatchFailedError) as caught:
        result.raise_for_failures()
    assert all(name in str(caught.value) for name in doomed)


async def test_a_deadline_stops_issuing_and_says_so(web):
    result = await web.deallocate(deadline=0.0)

    assert result.interrupted == "deadline"
    assert result.succeeded == []
    assert {r.outcome for r in result.results.values()} <= {Outcome.NOT_STARTED, Outcome.FAILED}


async def test_a_throttling_storm_is_ridden_out(web, emu):
    emu.add_fault(FaultRule(kind="status", status=429, probability=0.5, op_class="action", times=6))
    result = await web.deallocate()

    assert len(result.succeeded) == 4
    assert result.throttled >= 1
    assert set((await power_states(web)).values()) == {"deallocated"}


async def test_progress_events_reach_the_callback(web, face):
    events = []
    result = await web.deallocate(on_event=events.append)

    assert len(result.succeeded) == 4
    kinds = [event.kind for event in events]
    assert kinds.count("started") == 4 and kinds.count("done") == 4
    assert events[-1].done == events[-1].total == 4


@pytest.mark.parametrize("face", ["aio"])
async def test_cancelling_the_task_reports_the_partial_batch(emu, web):
    started = asyncio.Event()
    task = asyncio.ensure_future(web.deallocate(on_event=lambda e: e.kind == "started" and started.set()))
    await started.wait()
    task.cancel()

    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    partial = caught.value.batch_result
    assert len(partial.results) == 4
    assert partial.interrupted == "cancelled"
    assert not partial.ok


async def test_batch_delete_removes_the_named_vms_in_one_request(web, emu):
    names = sorted(await power_states(web))
    result = await web.delete_vms(names[:3])

    assert sorted(result.succeeded) == names[:3]
    assert [vm.name for vm in await web.vms()] == names[3:]
    assert requests_by_route(emu, "/virtualMachineScaleSets/{vmScaleSetName}/delete", "POST") == 1


async def test_batch_delete_falls_back_per_vm_when_refused(web, emu):
    emu.add_fault(
        FaultRule(kind="status", status=409, code="OperationNotAllowed", method="POST", path=r"/delete$")
    )
    names = sorted(await power_states(web))
    result = await web.delete_vms(names[:2], force=True)

    assert sorted(result.succeeded) == names[:2]
    assert sorted(vm.name for vm in await web.vms()) == names[2:]
    assert requests_by_route(emu, "/virtualMachines/{vmName}", "DELETE") == 2


async def test_a_resize_is_checked_against_the_size_rules_before_any_write(web, emu):
    names = sorted(await power_states(web))
    writes = emu.counters()["by_op_class"].get("write", 0)
    with pytest.raises(InvalidInputError) as caught:
        await web.update(names[:1], size="Standard_B1ls")  # FLEX026: Flex refuses it
    assert caught.value.field == "size" and "Standard_B1ls" in str(caught.value)
    assert emu.counters()["by_op_class"].get("write", 0) == writes

    resized = await web.update(names[:1], size="Standard_D4s_v5")
    assert resized.succeeded == names[:1]
    assert (await web.vm(names[0])).size == "Standard_D4s_v5"
