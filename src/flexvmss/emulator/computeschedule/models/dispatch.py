"""Sending operations to Compute: when, how fast, and what happens after.

ScheduledActions does each VM's work through Compute, one Compute operation per VM (the spec's
``OperationErrorDetails.crpOperationId``, "the compute operationid of the Start/Deallocate/
Hibernate request"; the samples' preemption notes: "the CRP operation itself may still report
as Succeeded"). So the emulator runs each VM through the compute provider's own per-VM
operation (:mod:`..compute.api`): the same state changes and durations, the same preemption
and the same injected faults as a caller's own per-VM request.

How it paces is not published beyond "Shields the customer from having to deal with
throttling" and "Batch API to submit and process Operations at scale" (rest docs). The
emulator's reading (inferred): the service sends due operations as fast as Compute's own limits
allow, and its calls spend the subscription's Compute budget (the policy each call is charged
to, :data:`..compute.api.POLICIES`) like any other caller's, without going through ARM; so a
caller that fans out per VM at the same time competes for the same tokens. With the emulator's
throttling model off, nothing waits. What ScheduledActions saves is the *caller's* requests,
not the VMs' time: a deallocate still takes Compute's 40 s per VM.

Everything happens on the virtual clock through timers (long-running operations of the
emulator's operation manager that do nothing but call back): one per batch when it falls due,
one per queue when Compute's budget has the next token, one per retry. A timer noticed late
(the clock is lazy: it ticks when a request arrives) backdates the Compute operation it starts
to the time it was due, so a late look does not make the VM slower. Timers are not state: a
``restore()`` (which drops every pending operation) leaves waiting operations without theirs,
and they end ``DeadlineExceeded`` when their window passes; ``complete_all()`` runs the due
timers but not the Compute operations they start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...compute import api as compute
from ...core import ArmError, CaseInsensitiveDict, Context, Operation, Request
from .lifecycle import OpRecord, finish, refresh, start_window_end
from .limits import NAMESPACE, RETRIABLE_CODES, RETRY_BACKOFF
from .state import book, settings

__all__ = ["arm_due", "pump_all", "release_blocked"]

#: The api-version the emulated Compute calls are tagged with (what fault rules see).
_COMPUTE_API = "2024-11-01"
#: The ARM operation name of each action (``OperationErrorDetails.azureOperationName``; inferred).
_OPERATION_NAMES = {
    "start": "Microsoft.Compute/virtualMachines/start/action",
    "deallocate": "Microsoft.Compute/virtualMachines/deallocate/action",
    "hibernate": "Microsoft.Compute/virtualMachines/deallocate/action",
    "delete": "Microsoft.Compute/virtualMachines/delete",
    "create": "Microsoft.Compute/virtualMachines/write",
}


def _timer(ctx: Context, when: float, rec_sub: str, location: str, kind: str, fn: Callable[[], None]) -> None:
    """Call ``fn`` when the clock reaches ``when`` (at once if it has)."""
    ctx.lro.start(
        None,
        provider=NAMESPACE,
        location=location,
        subscription_id=rec_sub,
        kind=f"computeschedule.{kind}",
        resource_id=f"/subscriptions/{rec_sub}/providers/{NAMESPACE}/locations/{location}",
        on_succeed=fn,
        duration=max(0.0, when - ctx.clock.now()),
    )


def _queue_key(rec: OpRecord) -> str:
    return f"{rec['sub'].lower()}|{compute.POLICIES[rec['action']]}"


def arm_due(ctx: Context, op_ids: list[str], when: float, sub: str, location: str) -> None:
    """When the clock reaches ``when``, the operations ``op_ids`` fall due."""

    def due() -> None:
        ops = book(ctx)["ops"]
        keys = []
        for op_id in op_ids:
            rec = ops.get(op_id)
            if rec is not None and rec["state"] == "Waiting" and rec["due_at"] <= when:
                keys.append(_enqueue(ctx, rec))
        for key in dict.fromkeys(keys):
            _pump(ctx, key, when)

    _timer(ctx, when, sub, location, "due", due)


def _enqueue(ctx: Context, rec: OpRecord) -> str:
    key = _queue_key(rec)
    queue: list[str] = book(ctx)["queues"].setdefault(key, [])
    if rec["id"] not in queue:
        queue.append(rec["id"])
    return key


def _arm_pump(ctx: Context, key: str, when: float, sub: str, location: str) -> None:
    armed = book(ctx)["armed"]
    if armed.get(key) is not None and armed[key] <= when:
        return
    armed[key] = when

    def pump() -> None:
        if book(ctx)["armed"].get(key) == when:
            book(ctx)["armed"][key] = None
        _pump(ctx, key, when)

    _timer(ctx, when, sub, location, "pump", pump)


def _pump(ctx: Context, key: str, at: float) -> None:
    """Send the queue's operations to Compute, oldest first, while Compute's budget allows;
    arm the next pump for when it will allow more. ``at`` is when this pump was due."""
    b = book(ctx)
    queue: list[str] = b["queues"].get(key, [])
    budget = ctx.compute_budget
    while queue:
        rec = b["ops"].get(queue[0])
        # as of when this pump was due (a late tick backdates it): the clock may have run far
        # past the operation's window since, while nobody looked
        due = None if rec is None else min(max(at, rec["due_at"]), ctx.clock.now())
        if rec is None or refresh(ctx, rec, at=due)["state"] != "Waiting":
            queue.pop(0)
            continue
        if settings(ctx)["blocked"]:
            rec["state"] = "Blocked"
            queue.pop(0)
            continue
        start = min(max(at, rec["due_at"]), ctx.clock.now())
        end = start_window_end(rec)
        if end is not None and start > end:
            queue.pop(0)
            refresh(ctx, rec)
            continue
        vm_key = rec["resource_id"].lower()
        wait = 0.0
        if budget is not None:
            wait = budget.reserve(
                subscription_id=rec["sub"], policy=compute.POLICIES[rec["action"]], resource_key=vm_key
            )
        if wait > 0:
            _arm_pump(ctx, key, ctx.clock.now() + wait, rec["sub"], rec["location"])
            return
        queue.pop(0)
        _execute(ctx, rec, start)


def pump_all(ctx: Context) -> None:
    """Pump every queue now (after an outage ends)."""
    now = ctx.clock.now()
    for key in list(book(ctx)["queues"]):
        _pump(ctx, key, now)


def release_blocked(ctx: Context) -> None:
    """The outage is over: blocked operations wait again, and those already due are sent."""
    now = ctx.clock.now()
    for rec in list(book(ctx)["ops"].values()):
        if rec["state"] == "Blocked" and refresh(ctx, rec)["state"] == "Blocked":
            rec["state"] = "Waiting"
            if rec["due_at"] <= now:
                _enqueue(ctx, rec)
    pump_all(ctx)


def _compute_request(rec: OpRecord) -> Request:
    """The call as Compute would receive it from ScheduledActions (fault rules match it)."""
    vm_id, action = rec["resource_id"], rec["action"]
    query = {"api-version": _COMPUTE_API}
    if action == "delete":
        if rec.get("force"):
            query["forceDeletion"] = "true"
        return Request("DELETE", vm_id, query=CaseInsensitiveDict(query))
    if action == "create":
        return Request("PUT", vm_id, query=CaseInsensitiveDict(query))
    if action == "hibernate":
        query["hibernate"] = "true"
    verb = "start" if action == "start" else "deallocate"
    return Request("POST", f"{vm_id}/{verb}", query=CaseInsensitiveDict(query))


def _begin(ctx: Context, rec: OpRecord) -> Operation:
    request = _compute_request(rec)
    if rec["action"] == "create":
        item = rec["create"]
        _body, op = compute.begin_vm_create(
            ctx,
            request,
            subscription_id=rec["sub"],
            resource_group=item["resource_group"],
            name=item["name"],
            payload=item["payload"],
        )
        return op
    vm = compute.find_vm(ctx, rec["resource_id"])
    if vm is None:
        name = rec["resource_id"].rstrip("/").split("/")[-1]
        raise ArmError(404, "ResourceNotFound", f"The virtual machine '{name}' was not found.")
    return compute.begin_vm_action(ctx, request, vm, rec["action"])


def _execute(ctx: Context, rec: OpRecord, start: float) -> None:
    """Start ``rec``'s next attempt in Compute, as if at ``start``."""
    rec["attempts"] += 1
    if rec["first_started"] is None:
        rec["first_started"] = start
    attempt = rec["attempts"]
    before = ctx.clock.now()
    try:
        cop = _begin(ctx, rec)
    except ArmError as exc:  # Compute refused the call outright: not retried (inferred)
        _record_error(rec, exc.code, exc.message, start, None)
        finish(ctx, rec, "Failed", start, {"errorCode": exc.code, "errorDetails": exc.message})
        return
    lag = ctx.clock.now() - start
    if lag > 0 and not cop.terminal and cop.start >= before:  # not a delete already running
        cop.start -= lag
        cop.done_at -= lag
    rec["state"] = "Executing"
    rec["crp_op"] = cop.id
    _on_end(cop, lambda error: _attempt_ended(ctx, rec["id"], attempt, cop, error))


def _on_end(op: Operation, done: Callable[[dict[str, Any] | None], None]) -> None:
    """Chain ``done`` after the operation's own completion callbacks: ``done(None)`` when it
    succeeds, ``done(error)`` when it fails or is canceled."""
    succeed, fail = op.on_succeed, op.on_fail

    def on_succeed() -> None:
        if succeed is not None:
            succeed()  # an ArmError here makes the manager call on_fail instead
        done(None)

    def on_fail(error: dict[str, Any]) -> None:
        if fail is not None:
            fail(error)
        done(error)

    op.on_succeed, op.on_fail = on_succeed, on_fail


def _record_error(rec: OpRecord, code: str, details: str, at: float, crp_op: str | None) -> None:
    entry = {
        "errorCode": code,
        "errorDetails": details,
        "timestamp": at,
        "azureOperationName": _OPERATION_NAMES[rec["action"]],
    }
    if crp_op is not None:
        entry["crpOperationId"] = crp_op
    rec["errors"].append(entry)


def _attempt_ended(
    ctx: Context, op_id: str, attempt: int, cop: Operation, error: dict[str, Any] | None
) -> None:
    rec = book(ctx)["ops"].get(op_id)
    if rec is None or rec["state"] != "Executing" or rec["attempts"] != attempt or rec["crp_op"] != cop.id:
        return  # cancelled, preempted or superseded meanwhile: Compute's outcome is not this operation's
    end = cop.end if cop.end is not None else cop.done_at
    if error is None:
        finish(ctx, rec, "Succeeded", end)
        return
    code = str(error.get("code", "InternalExecutionError"))
    details = str(error.get("message", ""))
    _record_error(rec, code, details, end, cop.id)
    retry = rec.get("retry") or {}
    retries_left = int(retry.get("retryCount") or 0) - (attempt - 1)
    window_end = start_window_end(rec)
    again = end + RETRY_BACKOFF
    if code in RETRIABLE_CODES and retries_left > 0 and window_end is not None and again <= window_end:
        rec["state"] = "Waiting"
        rec["due_at"] = again
        arm_due(ctx, [rec["id"]], again, rec["sub"], rec["location"])
        return
    finish(ctx, rec, "Failed", end, {"errorCode": code, "errorDetails": details})
