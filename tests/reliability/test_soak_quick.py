"""The soak in its quick form: a 100-VM set, every fan-out operation and an ordered teardown
while the emulator injects the issue's fault mix from a recorded seed, with realism on (stale
list reads, lagged state after a 202, failures that leave no mark on the VM). ``make soak`` runs
the full form (1,000 VMs, bench/soak.py).

The soak audits each operation VM by VM against the emulator's own truth (soak_audit.py); the
stand-in tests below prove the audit can fail: a library that leaves VMs out of its report,
raises every time or acts on 2 of 12 VMs makes the soak report ``ok=False`` with the finding.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from soak_run import OPERATIONS, SoakRun, create_phase, run_soak, without_timing
from soak_scenario import RG, build_world, clients_for, profile_spec

import flexvmss.aio
from flexvmss import AzureOperationError, Outcome
from flexvmss.emulator import Emulator, FaultRule

SEED = 20261127


@pytest.fixture(scope="module")
def realistic() -> Iterator[Emulator]:
    """An emulator with Azure's realism on (issue 11's stale-read and lagged-state faults)."""
    with Emulator(time_scale=0.001, page_size=100, seed=7, realism="azure") as emu:
        yield emu


def _log(line: str) -> None:
    print(line, file=sys.stderr)


async def test_a_100_vm_set_under_faults_and_stale_reads_reports_truthfully_and_leaks_nothing(realistic):
    report = await run_soak(realistic, vms=100, seed=SEED, spot=4, log=_log)
    out = report.as_dict()
    print(json.dumps(out["operations"], indent=1)[:20000], file=sys.stderr)

    assert sum(report.faults_injected.values()) > 0, "the fault mix must actually fire"
    assert out["realism"]["stale_list_items_served"] > 0, "stale reads must actually be served"
    assert out["findings"] == {}
    assert out["operations_never_completed"] == []
    assert out["false_successes"] == 0
    assert out["false_failures"] == 0
    for op in out["operations"]:
        assert op["ok"], op
    # every operation ran to a result and the library named every VM it should have touched
    assert report.operations_run == len(report.audits) == 2 + len(OPERATIONS) + 3
    by_name = {op["operation"]: op for op in out["operations"]}
    assert by_name["deallocate"]["expected"] == by_name["deallocate"]["reported"] == 104
    assert by_name["deallocate"]["affected"] >= 90
    assert report.ok


# ------------------------------------------------------------------- stand-ins: the audit bites


class DropsVms(flexvmss.aio.FlexScaleSet):
    """Leaves two VMs out of every batch report."""

    async def deallocate(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().deallocate(*args, **kwargs)
        for name in list(result.results)[:2]:
            del result.results[name]
        return result


class FailsOneThatWorked(flexvmss.aio.FlexScaleSet):
    """Reports one deallocated VM as failed."""

    async def deallocate(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().deallocate(*args, **kwargs)
        first = result.results[result.succeeded[0]]
        first.outcome = Outcome.FAILED
        first.error = AzureOperationError("deallocate", code="AllocationFailed", message="probe")
        return result


class DeallocateRaises(flexvmss.aio.FlexScaleSet):
    async def deallocate(self, *args: Any, **kwargs: Any) -> Any:
        raise AzureOperationError("deallocate", code="InternalServerError", message="probe")


class DeallocateHangs(flexvmss.aio.FlexScaleSet):
    async def deallocate(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3600)


class StopsTwo(flexvmss.aio.FlexScaleSet):
    """Stops 2 VMs and reports the batch for all of them, succeeded."""

    async def stop(self, names: Any = None, **kwargs: Any) -> Any:
        every = [vm.name for vm in await self.vms()]
        result = await super().stop(every[:2], **kwargs)
        for name in every[2:]:
            result.results[name] = type(result.results[every[0]])(name, result.results[every[0]].outcome)
        return result


async def _probe(emu: Emulator, cls: type, deadline: float = 60.0) -> Any:
    async def first_ops(run: SoakRun) -> None:
        for name, kinds, target in OPERATIONS[:3]:  # deallocate, start, stop
            await run.batch(name, getattr(run.ss, name), sorted(run.set_members()), kinds, target)

    return await run_soak(
        emu,
        vms=12,
        seed=SEED,
        spot=0,
        fault_scale=0.0,
        phases=[create_phase, first_ops],
        scale_set=lambda e, clients: cls(e.subscription_id, RG, "soak", clients=clients),
        deadline=deadline,
        log=_log,
    )


async def test_the_soak_fails_when_the_library_leaves_vms_out_of_its_report(realistic):
    report = await _probe(realistic, DropsVms)
    op = next(a for a in report.audits if a.operation == "deallocate")
    assert not report.ok
    assert len(op.findings["not_reported"]) == 2
    assert (len(op.expected), len(op.reported)) == (12, 10)


async def test_the_soak_fails_when_the_library_reports_a_vm_failed_that_azure_deallocated(realistic):
    report = await _probe(realistic, FailsOneThatWorked)
    op = next(a for a in report.audits if a.operation == "deallocate")
    assert not report.ok
    assert len(op.findings["false_failures"]) == 1
    assert report.as_dict()["false_failures"] == 1


async def test_the_soak_fails_when_an_operation_raises_every_time(realistic):
    report = await _probe(realistic, DeallocateRaises)
    op = next(a for a in report.audits if a.operation == "deallocate")
    assert not report.ok
    assert op.never_completed is not None and len(op.attempts_raised) == 3
    assert report.operations_run == len(report.audits) - 1
    assert report.as_dict()["operations_never_completed"] == [f"deallocate: {op.never_completed}"]


async def test_the_soak_fails_when_an_operation_hangs_past_its_deadline(realistic):
    report = await _probe(realistic, DeallocateHangs, deadline=2.0)
    op = next(a for a in report.audits if a.operation == "deallocate")
    assert not report.ok
    assert op.never_completed == "no result within the deadline (2 s)"
    assert report.operations_run == len(report.audits) - 1


async def test_the_soak_fails_when_stop_acts_on_2_of_12_vms(realistic):
    report = await _probe(realistic, StopsTwo)
    op = next(a for a in report.audits if a.operation == "stop")
    assert not report.ok
    assert (len(op.expected), len(op.reported), len(op.affected)) == (12, 12, 2)
    assert len(op.findings["false_successes"]) == 10
    assert report.as_dict()["false_successes"] == 10


async def test_the_same_seed_gives_the_same_report_but_for_the_fields_marked_timing_dependent(realistic):
    async def soak() -> dict[str, Any]:
        report = await run_soak(realistic, vms=20, seed=SEED, spot=2, fault_scale=0.5, log=_log)
        return without_timing(report.as_dict())

    first = await soak()
    assert first == await soak()


async def test_a_reimage_resent_after_a_dropped_answer_leaves_the_vm_running(emu):
    world = build_world(emu)
    clients = clients_for(emu)
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "one", clients=clients)
    try:
        await ss.create(profile_spec(world.subnet_id, 1))
        emu.add_fault(FaultRule(kind="drop", method="POST", path="/reimage$", nth=1))
        result = await ss.reimage()
        assert result.ok
        emu.clear_faults()
        await asyncio.sleep(0.2)  # 200 emulated seconds: every operation is long done
        assert [vm.power_state for vm in await ss.vms(instance_view=True)] == ["running"]
    finally:
        await ss.close()
        await clients.close()
