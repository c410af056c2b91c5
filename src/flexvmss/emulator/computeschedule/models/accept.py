"""Accepting a batch VM by VM: each VM gets an operation, or a refusal with its own error.

The answer is synchronous (spec: every Execute*/Submit* answers 200 with one
``ResourceOperation`` per VM). A refused VM carries ``errorCode``/``errorDetails`` and no
operation; an accepted one carries its operation (the samples' ``ExcludeResourcesNotProcessed``
polls only results without an ``errorCode``, and calls out "operation conflicts, virtual
machines not being found in an Azure location" as the reasons a VM is not processed).

Refusal reasons, in the order they are checked:

1. the same VM twice in one request (``DuplicateResourceId``, inferred);
2. an id that is not a virtual machine of this subscription (``InvalidResourceId``, inferred);
3. the knob's refusals (:mod:`..knobs`, code chosen by the test);
4. no such VM in this region (``ResourceNotFound``; a create: the VM already exists, ``Conflict``);
5. an unfinished ScheduledActions operation on the VM (``OperationConflict``, samples
   deallocate-preempts-start.md), except that a deallocate preempts a start: the start fails
   with ``OperationCancelled`` / "Preempted by user request" and the deallocate is accepted
   (same source).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ...compute import api as compute
from ...core import Context, parse_arm_id
from .dispatch import arm_due
from .lifecycle import OpRecord, finish, refresh
from .limits import DEFAULT_START_WINDOW, SCHEDULING_DELAY
from .requests import ACTIONS, Batch, CreateItem
from .state import book, settings

__all__ = ["Outcome", "accept"]


@dataclass
class Outcome:
    """One VM's answer: its operation, or the refusal's code and details."""

    resource_id: str
    op: OpRecord | None = None
    error_code: str | None = None
    error_details: str | None = None


def _knob_refusal(ctx: Context, vm_key: str) -> tuple[str, str] | None:
    s = settings(ctx)
    refused = s["refusals"].get(vm_key)
    if refused is not None:
        return str(refused[0]), str(refused[1])
    share = s["refuse_share"]
    if share is not None and random.Random(f"{share[1]}|{vm_key}").random() < float(share[0]):
        return str(share[2]), str(share[3])
    return None


def _refusal(
    ctx: Context, vm_id: str, sub: str, location: str, item: CreateItem | None
) -> tuple[str, str] | None:
    parsed = parse_arm_id(vm_id)
    if (
        parsed is None
        or parsed["namespace"].lower() != "microsoft.compute"
        or parsed["type"].lower() != "virtualmachines"
        or parsed["child"]
        or parsed["sub"].lower() != sub.lower()
    ):
        return "InvalidResourceId", f"'{vm_id}' is not the id of a virtual machine in subscription '{sub}'."
    knob = _knob_refusal(ctx, vm_id.lower())
    if knob is not None:
        return knob
    vm = compute.find_vm(ctx, vm_id)
    if item is not None:
        if vm is not None:
            return "Conflict", f"A virtual machine named '{item.name}' already exists."
        if str(item.payload.get("location", "")).replace(" ", "").lower() != location:
            return "InvalidParameter", f"The virtual machine's location must be the request's ('{location}')."
        return None
    if vm is None or compute.vm_location(vm) != location:
        return "ResourceNotFound", f"The virtual machine '{vm_id}' was not found in location '{location}'."
    return None


def _conflict(ctx: Context, batch: Batch, vm_key: str) -> tuple[str, str] | None:
    """The refusal an unfinished operation on the VM causes; None when there is none or when
    this batch preempts it."""
    b = book(ctx)
    current_id = b["active"].get(vm_key)
    current = b["ops"].get(current_id) if current_id else None
    if current is None or refresh(ctx, current)["state"] in ("Succeeded", "Failed", "Cancelled"):
        return None
    if batch.action == "deallocate" and current["action"] == "start":
        error = {"errorCode": "OperationCancelled", "errorDetails": "Preempted by user request"}
        finish(ctx, current, "Failed", ctx.clock.now(), error)
        return None
    return (
        "OperationConflict",
        f"The virtual machine has an unfinished {current['opType']} operation '{current['id']}' "
        "that conflicts with this request.",
    )


def _record(
    ctx: Context, batch: Batch, vm_id: str, sub: str, location: str, item: CreateItem | None, now: float
) -> OpRecord:
    scheduled = now + SCHEDULING_DELAY
    due = max(scheduled, batch.deadline) if batch.deadline_type == "InitiateAt" else scheduled
    if batch.deadline_type == "CompleteBy":
        expires = batch.deadline
    else:
        window = float((batch.retry or {}).get("retryWindowInMinutes") or 0) * 60.0
        expires = batch.deadline + (window if window > 0 else DEFAULT_START_WINDOW)
    return {
        "id": ctx.new_guid(),
        "sub": sub,
        "location": location,
        "resource_id": vm_id,
        "action": batch.action,
        "opType": ACTIONS[batch.action],
        "deadline": batch.deadline,
        "deadline_type": batch.deadline_type,
        "timezone": batch.timezone,
        "retry": dict(batch.retry) if batch.retry is not None else None,
        "optimization": batch.optimization,
        "correlationid": batch.correlationid,
        "force": batch.force,
        "create": None
        if item is None
        else {"resource_group": item.resource_group, "name": item.name, "payload": item.payload},
        "created": now,
        "scheduled_at": min(scheduled, due),
        "due_at": due,
        "expires_at": expires,
        "state": "Blocked" if settings(ctx)["blocked"] else "Waiting",
        "attempts": 0,
        "first_started": None,
        "crp_op": None,
        "error": None,
        "completed": None,
        "errors": [],
    }


def accept(ctx: Context, batch: Batch, *, subscription_id: str, location: str) -> list[Outcome]:
    """One outcome per VM of ``batch``, in request order; the accepted operations fall due
    together (one timer for the batch)."""
    b = book(ctx)
    now = ctx.clock.now()  # one time for the whole batch: its operations fall due together
    seen: set[str] = set()
    outcomes: list[Outcome] = []
    accepted: list[str] = []
    items: list[CreateItem | None] = list(batch.creates) if batch.creates else [None] * len(batch.ids)
    for vm_id, item in zip(batch.ids, items, strict=True):
        vm_key = vm_id.lower()
        if vm_key in seen:
            outcomes.append(Outcome(vm_id, None, "DuplicateResourceId", f"'{vm_id}' appears more than once."))
            continue
        seen.add(vm_key)
        refused = _refusal(ctx, vm_id, subscription_id, location, item) or _conflict(ctx, batch, vm_key)
        if refused is not None:
            outcomes.append(Outcome(vm_id, None, refused[0], refused[1]))
            continue
        rec = _record(ctx, batch, vm_id, subscription_id, location, item, now)
        b["ops"][rec["id"]] = rec
        b["active"][vm_key] = rec["id"]
        accepted.append(rec["id"])
        outcomes.append(Outcome(vm_id, rec))
    if accepted:
        due = b["ops"][accepted[0]]["due_at"]
        arm_due(ctx, accepted, due, subscription_id, location)
    return outcomes
