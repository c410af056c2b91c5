"""Operation states over time, on the emulator's manual clock, through its in-process client:
the schedule, Compute's budget, retries, preemption, conflicts, cancel, outages and deadlines."""

from __future__ import annotations

from typing import Any

from schedule_world import base, build_world, client, execute_body, ids_body, power, submit_body

from flexvmss.emulator import Emulator, FaultRule
from flexvmss.emulator.computeschedule import knobs
from flexvmss.emulator.testing import TestClient


def _post(emu: Emulator, route: str, body: dict[str, Any]) -> Any:
    return client(emu).ok("POST", f"{base(emu)}/{route}", body).body


def _op_ids(answer: dict[str, Any]) -> list[str]:
    return [r["operation"]["operationId"] for r in answer["results"]]


def _ops(emu: Emulator, op_ids: list[str]) -> list[dict[str, Any]]:
    return [
        r["operation"] for r in _post(emu, "virtualMachinesGetOperationStatus", ids_body(op_ids))["results"]
    ]


def _states(emu: Emulator, op_ids: list[str]) -> list[str]:
    return [op["state"] for op in _ops(emu, op_ids)]


def test_execute_goes_pending_then_executing_then_succeeded(emu: Emulator, vms: list[str]) -> None:
    op_ids = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", execute_body(vms)))
    assert _states(emu, op_ids) == ["PendingScheduling"] * 3
    emu.advance(5)
    assert _states(emu, op_ids) == ["Executing"] * 3
    assert [power(emu, v) for v in vms] == ["deallocating"] * 3
    emu.advance(60)
    ops = _ops(emu, op_ids)
    assert [op["state"] for op in ops] == ["Succeeded"] * 3
    assert [power(emu, v) for v in vms] == ["deallocated"] * 3
    assert all("completedAt" in op and "resourceOperationError" not in op for op in ops)


def test_submit_is_scheduled_until_its_deadline(emu: Emulator, vms: list[str]) -> None:
    op_ids = _op_ids(_post(emu, "virtualMachinesSubmitDeallocate", submit_body(emu, vms[:1], 300)))
    assert _states(emu, op_ids) == ["PendingScheduling"]
    emu.advance(10)
    assert _states(emu, op_ids) == ["Scheduled"]
    emu.advance(285)
    assert _states(emu, op_ids) == ["Scheduled"] and power(emu, vms[0]) == "running"
    emu.advance(10)
    assert _states(emu, op_ids) == ["Executing"]


def test_a_late_look_does_not_slow_the_vm(emu: Emulator, vms: list[str]) -> None:
    """Nobody asks while the operation falls due: the VM's deallocate still started when it
    was due (5 s after the request), so it is done 40 s +-20% later."""
    start = emu.clock.now()
    op_ids = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", execute_body(vms[:1])))
    emu.advance(200)
    [op] = _ops(emu, op_ids)
    rec = next(r for r in knobs(emu).operations() if r["id"] == op_ids[0])
    assert op["state"] == "Succeeded"
    assert 5 + 32 <= rec["completed"] - start <= 5 + 48


def test_compute_budget_paces_dispatch_and_is_shared_with_the_caller(emu: Emulator, vms: list[str]) -> None:
    """ScheduledActions spends the subscription's DeleteVM bucket: with it drained (by other
    callers), operations wait in PendingExecution until Compute refills it, and a caller's
    own deallocate meanwhile is throttled by Compute (429) for the same reason."""
    emu.set_throttle("azure")
    op_ids = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", execute_body(vms)))
    emu.advance(4.9)
    while emu.throttle.reserve(subscription_id=emu.subscription_id, policy="DeleteVM") == 0.0:
        pass  # other callers drain the bucket just before the batch falls due
    throttled = client(emu).request("POST", vms[0] + "/deallocate", query={"api-version": "2026-04-01"})
    assert throttled.status == 429 and throttled.error[1] == "OperationNotAllowed"
    emu.advance(0.1)  # 500 tokens a minute: less than two tokens by now
    assert _states(emu, op_ids).count("PendingExecution") >= 2
    emu.advance(2)
    assert _states(emu, op_ids) == ["Executing"] * 3
    emu.advance(60)
    assert _states(emu, op_ids) == ["Succeeded"] * 3


def test_a_transient_failure_is_retried_within_the_policy(emu: Emulator, vms: list[str]) -> None:
    emu.add_fault(FaultRule(kind="lro_fail", path=r"/deallocate$", code="AllocationFailed", times=1))
    body = execute_body(vms[:1], retryCount=2, retryWindowInMinutes=10)
    op_ids = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", body))
    emu.advance(60)
    assert _states(emu, op_ids) == ["Executing"]  # failed once, waiting to retry
    emu.advance(120)
    assert _states(emu, op_ids) == ["Succeeded"] and power(emu, vms[0]) == "deallocated"
    [errors] = _post(emu, "virtualMachinesGetOperationErrors", {"operationIds": op_ids})["results"]
    [first] = errors["operationErrors"]
    assert first["errorCode"] == "AllocationFailed" and first["crpOperationId"]
    assert first["azureOperationName"] == "Microsoft.Compute/virtualMachines/deallocate/action"


def test_without_a_retry_policy_a_failure_is_final(emu: Emulator, vms: list[str]) -> None:
    emu.add_fault(FaultRule(kind="lro_fail", path=r"/deallocate$", code="AllocationFailed", times=1))
    op_ids = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", execute_body(vms[:1])))
    emu.advance(120)
    [op] = _ops(emu, op_ids)
    assert op["state"] == "Failed"
    assert op["resourceOperationError"]["errorCode"] == "AllocationFailed"
    assert power(emu, vms[0]) == "running"


def test_a_callers_own_request_preempts_the_vm_operation(emu: Emulator, vms: list[str]) -> None:
    body = execute_body(vms[:1], retryCount=3, retryWindowInMinutes=30)
    op_ids = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", body))
    emu.advance(10)
    client(emu).ok("POST", vms[0] + "/start", query={"api-version": "2026-04-01"})
    emu.advance(120)
    [op] = _ops(emu, op_ids)
    assert op["state"] == "Failed" and op["resourceOperationError"]["errorCode"] == "OperationPreempted"
    assert power(emu, vms[0]) == "running"


def test_deallocate_preempts_a_pending_start(emu: Emulator, vms: list[str]) -> None:
    start = _op_ids(_post(emu, "virtualMachinesSubmitStart", submit_body(emu, vms[:1], 600)))
    dealloc = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", execute_body(vms[:1])))
    [op] = _ops(emu, start)
    assert op["state"] == "Failed"
    assert op["resourceOperationError"] == {
        "errorCode": "OperationCancelled",
        "errorDetails": "Preempted by user request",
    }
    emu.advance(60)
    assert _states(emu, dealloc) == ["Succeeded"]


def test_a_second_operation_on_a_busy_vm_is_refused(emu: Emulator, vms: list[str]) -> None:
    first = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", execute_body(vms[:1])))
    answer = _post(emu, "virtualMachinesExecuteStart", execute_body(vms))
    refused, *accepted = answer["results"]
    assert refused["errorCode"] == "OperationConflict" and first[0] in refused["errorDetails"]
    assert "operation" not in refused
    assert all("errorCode" not in r and r["operation"]["opType"] == "Start" for r in accepted)


def test_cancel_stops_what_has_not_reached_compute(emu: Emulator, vms: list[str]) -> None:
    running = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", execute_body(vms[:1])))
    later = _op_ids(_post(emu, "virtualMachinesSubmitDeallocate", submit_body(emu, vms[1:2], 600)))
    emu.advance(10)
    answer = _post(emu, "virtualMachinesCancelOperations", ids_body(running + later + ["no-such-op"]))
    executing, cancelled, unknown = answer["results"]
    assert (
        executing["errorCode"] == "OperationNotCancellable" and executing["operation"]["state"] == "Executing"
    )
    assert "errorCode" not in cancelled and cancelled["operation"]["state"] == "Cancelled"
    assert unknown["errorCode"] == "OperationNotFound" and unknown["operation"]["state"] == "Unknown"
    emu.advance(700)
    assert [power(emu, v) for v in vms[:2]] == ["deallocated", "running"]


def test_an_outage_blocks_until_it_ends(emu: Emulator, vms: list[str]) -> None:
    k = knobs(emu)
    k.blocked = True
    body = execute_body(vms[:1], retryCount=1, retryWindowInMinutes=30)
    answer = _post(emu, "virtualMachinesExecuteDeallocate", body)
    assert answer["results"][0]["operation"]["state"] == "Blocked"
    op_ids = _op_ids(answer)
    emu.advance(300)
    assert _states(emu, op_ids) == ["Blocked"] and power(emu, vms[0]) == "running"
    k.blocked = False
    assert _states(emu, op_ids) == ["Executing"]
    emu.advance(60)
    assert _states(emu, op_ids) == ["Succeeded"]


def test_an_operation_that_cannot_start_by_its_deadline_fails(emu: Emulator, vms: list[str]) -> None:
    """Blocked past deadline + retry window: Failed at that moment, and ending the outage
    afterwards does not run it."""
    knobs(emu).blocked = True
    body = submit_body(emu, vms[:1], 60, retryCount=1, retryWindowInMinutes=5)
    op_ids = _op_ids(_post(emu, "virtualMachinesSubmitDeallocate", body))
    deadline = _ops(emu, op_ids)[0]["deadline"]
    emu.advance(400)
    [op] = _ops(emu, op_ids)
    assert op["state"] == "Failed" and op["resourceOperationError"]["errorCode"] == "DeadlineExceeded"
    assert op["completedAt"] > deadline
    knobs(emu).blocked = False
    emu.advance(100)
    assert power(emu, vms[0]) == "running"


def test_complete_by_starts_at_once_and_expires_at_its_deadline(emu: Emulator, vms: list[str]) -> None:
    op_ids = _op_ids(
        _post(emu, "virtualMachinesSubmitDeallocate", submit_body(emu, vms[:1], 3600, "CompleteBy"))
    )
    emu.advance(6)
    assert _states(emu, op_ids) == ["Executing"]
    knobs(emu).blocked = True
    late = _op_ids(_post(emu, "virtualMachinesSubmitStart", submit_body(emu, vms[1:2], 120, "CompleteBy")))
    emu.advance(130)
    [op] = _ops(emu, late)
    assert op["state"] == "Failed" and op["resourceOperationError"]["errorCode"] == "DeadlineExceeded"


def test_hibernate_needs_hibernation_enabled(emu: Emulator) -> None:
    [plain] = build_world(emu, 1, hibernation=False)
    op_ids = _op_ids(_post(emu, "virtualMachinesExecuteHibernate", execute_body([plain])))
    emu.advance(10)
    [op] = _ops(emu, op_ids)
    assert op["state"] == "Failed" and op["resourceOperationError"]["errorCode"] == "OperationNotAllowed"


def _run(seed: int) -> list[Any]:
    emu = Emulator(manual_clock=True, seed=seed)
    vms = build_world(emu, 3)
    h: TestClient = client(emu)
    answer = h.ok("POST", f"{base(emu)}/virtualMachinesExecuteDeallocate", execute_body(vms)).body
    emu.advance(100)
    ops = h.ok("POST", f"{base(emu)}/virtualMachinesGetOperationStatus", ids_body(_op_ids(answer))).body
    return [(r["operation"]["operationId"], r["operation"]["completedAt"]) for r in ops["results"]]


def test_the_same_seed_gives_the_same_run() -> None:
    assert _run(11) == _run(11)
    assert _run(11) != _run(12)


def test_a_create_compute_refuses_fails_with_computes_error(emu: Emulator, vms: list[str]) -> None:
    profile = {"resourcegroupName": "sched", "location": "eastus", "properties": {}}
    body = {
        "resourceConfigParameters": {"resourceCount": 1, "baseProfile": profile, "resourcePrefix": "bad"},
        "executionParameters": {"retryPolicy": {"retryCount": 3, "retryWindowInMinutes": 30}},
    }
    op_ids = _op_ids(_post(emu, "virtualMachinesExecuteCreate", body))
    emu.advance(10)
    [op] = _ops(emu, op_ids)
    assert op["state"] == "Failed" and op["opType"] == "Create"
    assert op["resourceOperationError"]["errorCode"] == "InvalidParameter"  # Compute's: no vmSize
    [errors] = _post(emu, "virtualMachinesGetOperationErrors", {"operationIds": op_ids})["results"]
    assert [e["errorCode"] for e in errors["operationErrors"]] == ["InvalidParameter"]


def test_a_look_hours_later_finds_the_operation_done_not_expired(emu: Emulator, vms: list[str]) -> None:
    """Nobody asks for hours: the operation was due 5 s after the request and ran then; its
    start window (30 minutes without a retry policy) had not passed at that moment, so a look
    long after finds it Succeeded, never DeadlineExceeded."""
    op_ids = _op_ids(_post(emu, "virtualMachinesExecuteDeallocate", execute_body(vms)))
    emu.advance(3 * 3600)
    assert _states(emu, op_ids) == ["Succeeded"] * 3
    assert [power(emu, v) for v in vms] == ["deallocated"] * 3
