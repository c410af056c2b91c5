"""Handlers that read and stop operations by id: ``virtualMachinesGetOperationStatus``,
``virtualMachinesCancelOperations``, ``virtualMachinesGetOperationErrors`` (all POST with
``operationIds``; results in the order asked)."""

from __future__ import annotations

from typing import Any

from ...core import Context, Request, Response
from ..models.lifecycle import cancel, lookup
from ..models.requests import parse_operation_ids
from ..models.state import settings
from .actions import located
from .render import operation_details, operation_errors, unknown_operation

__all__ = ["cancel_operations", "get_operation_errors", "get_operation_status"]


def _ids(ctx: Context, req: Request, *, correlation: bool) -> tuple[str, str, list[str]]:
    location = located(ctx, req)
    ids = parse_operation_ids(req.json(), int(settings(ctx)["max_operation_ids"]), correlation=correlation)
    return req.params["subscriptionId"], location, ids


def get_operation_status(ctx: Context, req: Request) -> Response:
    sub, location, ids = _ids(ctx, req, correlation=True)
    results: list[dict[str, Any]] = []
    for op_id in ids:
        rec = lookup(ctx, op_id, sub, location)
        if rec is None:
            results.append(unknown_operation(op_id))
        else:
            results.append({"resourceId": rec["resource_id"], "operation": operation_details(ctx, rec)})
    return Response.json({"results": results})


def cancel_operations(ctx: Context, req: Request) -> Response:
    """Cancels what has not reached Compute yet; an operation already executing or ended is
    answered with ``OperationNotCancellable`` and its current state (inferred: the spec's
    results are "resource operations that were successfully cancelled")."""
    sub, location, ids = _ids(ctx, req, correlation=True)
    results: list[dict[str, Any]] = []
    for op_id in ids:
        rec = lookup(ctx, op_id, sub, location)
        if rec is None:
            results.append(unknown_operation(op_id))
            continue
        entry: dict[str, Any] = {"resourceId": rec["resource_id"]}
        if not cancel(ctx, rec):
            entry["errorCode"] = "OperationNotCancellable"
            entry["errorDetails"] = f"The operation is {rec['state']} and can no longer be cancelled."
        entry["operation"] = operation_details(ctx, rec)
        results.append(entry)
    return Response.json({"results": results})


def get_operation_errors(ctx: Context, req: Request) -> Response:
    sub, location, ids = _ids(ctx, req, correlation=False)
    results: list[dict[str, Any]] = []
    for op_id in ids:
        rec = lookup(ctx, op_id, sub, location)
        if rec is None:
            unknown = unknown_operation(op_id)
            results.append(
                {
                    "operationId": op_id,
                    "requestErrorCode": unknown["errorCode"],
                    "requestErrorDetails": unknown["errorDetails"],
                }
            )
        else:
            results.append(operation_errors(rec))
    return Response.json({"results": results})
