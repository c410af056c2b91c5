"""ScheduledActions' answers on the wire (spec ``ResourceOperation``,
``ResourceOperationDetails``, ``*ResourceOperationResponse``, ``OperationErrorsResult``), with
the values the 2024-10-01 examples show: ``type``, ``description`` ("Deallocate Resource
Request"), both ``timezone`` spellings, times in UTC with milliseconds."""

from __future__ import annotations

from typing import Any

from ...core import Context
from ..models.accept import Outcome
from ..models.lifecycle import OpRecord, display_state
from ..models.state import iso

__all__ = ["batch_answer", "operation_details", "resource_operation", "unknown_operation"]

#: ``type`` of a batch answer (the 2024-10-01 examples write "virtualMachine" and
#: "VirtualMachine", the ExecuteCreateFlex sample "VirtualMachines": the latest is used).
_TYPE = "VirtualMachines"


def operation_details(ctx: Context, rec: OpRecord) -> dict[str, Any]:
    """``ResourceOperationDetails`` of ``rec`` as it stands now."""
    out: dict[str, Any] = {
        "operationId": rec["id"],
        "resourceId": rec["resource_id"],
        "opType": rec["opType"],
        "subscriptionId": rec["sub"],
        "deadline": iso(rec["deadline"]),
        "deadlineType": rec["deadline_type"],
        "state": display_state(ctx, rec),
        "timezone": rec["timezone"],
        "timeZone": rec["timezone"],
    }
    if rec["retry"] is not None:
        out["retryPolicy"] = dict(rec["retry"])
    if rec["error"] is not None:
        out["resourceOperationError"] = dict(rec["error"])
    if rec["completed"] is not None:
        out["completedAt"] = iso(rec["completed"])
    return out


def resource_operation(ctx: Context, outcome: Outcome) -> dict[str, Any]:
    """``ResourceOperation`` of one VM: its operation, or its refusal."""
    out: dict[str, Any] = {"resourceId": outcome.resource_id}
    if outcome.error_code is not None:
        out["errorCode"] = outcome.error_code
        out["errorDetails"] = outcome.error_details or ""
    if outcome.op is not None:
        out["operation"] = operation_details(ctx, outcome.op)
    return out


def unknown_operation(op_id: str) -> dict[str, Any]:
    """The result for an operation id the service does not know (shape inferred: the error at
    the resource level, the id echoed in an ``Unknown`` operation)."""
    return {
        "errorCode": "OperationNotFound",
        "errorDetails": f"The operation '{op_id}' was not found in this subscription and location.",
        "operation": {"operationId": op_id, "state": "Unknown"},
    }


def batch_answer(ctx: Context, op_type: str, location: str, outcomes: list[Outcome]) -> dict[str, Any]:
    """The 200 of an Execute*/Submit*."""
    return {
        "description": f"{op_type} Resource Request",
        "type": _TYPE,
        "location": location,
        "results": [resource_operation(ctx, o) for o in outcomes],
    }


def operation_errors(rec: OpRecord) -> dict[str, Any]:
    """``OperationErrorsResult`` of ``rec``: every failed attempt, oldest first."""
    out: dict[str, Any] = {"operationId": rec["id"], "creationTime": iso(rec["created"])}
    if rec["first_started"] is not None:
        out["activationTime"] = iso(rec["first_started"])
    if rec["completed"] is not None:
        out["completedAt"] = iso(rec["completed"])
    errors = []
    for e in rec["errors"]:
        item = {k: v for k, v in e.items() if k != "timestamp"}
        item["timestamp"] = item["timeStamp"] = iso(e["timestamp"])
        errors.append(item)
    out["operationErrors"] = errors
    return out
