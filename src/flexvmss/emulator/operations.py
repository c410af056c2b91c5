"""Operation status routes: where clients poll long-running operations.

* ``GET /subscriptions/{sub}/providers/{ns}/locations/{loc}/operations/{opId}`` (the
  ``Azure-AsyncOperation`` URL) answers 200 with the status body (Compute:
  ``{startTime, endTime?, status, name}``, Network/Resources: ``{status}``, plus ``error``
  when Failed/Canceled) and a retry hint while the operation runs.
* The same URL with ``monitor=true`` (the ``Location`` URL of deletes and actions) answers
  as ARM's Location protocol does: 202 and a retry hint while running, 200 with
  an empty body on success, and the operation's error with status 409 when it failed or was
  canceled, which azure-core's ``LocationPolling`` reports as an ``HttpResponseError``.
  (``ARMPolling`` follows ``Azure-AsyncOperation`` first, so for Compute and Network the
  monitor URL is only read as the final GET of a POST action.)
"""

from __future__ import annotations

from .core import ArmError, Context, Operation, Request, Response, Router

__all__ = ["router"]

router = Router()


def _not_found(op_id: str) -> ArmError:
    return ArmError(404, "NotFound", f"The operation '{op_id}' could not be found.")


def _find(ctx: Context, req: Request, provider: str) -> Operation:
    op_id = req.params["operationId"]
    op = ctx.lro.get(op_id)
    if op is None or op.provider.lower() != provider.lower():
        raise _not_found(op_id)
    if op.subscription_id.lower() != req.params["subscriptionId"].lower():
        raise _not_found(op_id)
    return op


def _monitor(ctx: Context, op: Operation) -> Response:
    if not op.terminal:
        return Response.empty(202, headers=ctx.clock.retry_after_headers(ctx.lro.poll_hint(op)))
    if op.status == "Succeeded":
        return Response.empty(200)
    err = op.error or {"code": "InternalExecutionError", "message": "The operation failed."}
    code, message = err.get("code", "OperationFailed"), err.get("message", "")
    raise ArmError(409, code, message, details=err.get("details"))


def _status(ctx: Context, req: Request, provider: str) -> Response:
    op = _find(ctx, req, provider)
    if req.flag("monitor"):
        return _monitor(ctx, op)
    headers = {} if op.terminal else ctx.clock.retry_after_headers(ctx.lro.poll_hint(op))
    return Response.json(ctx.lro.status_body(op), headers=headers)


def _register(namespace: str, policy: str | None) -> None:
    pattern = "/subscriptions/{subscriptionId}/providers/" + namespace
    pattern += "/locations/{location}/operations/{operationId}"

    def get_operation(ctx: Context, req: Request) -> Response:
        return _status(ctx, req, namespace)

    get_operation.__name__ = f"get_operation_{namespace.split('.')[-1].lower()}"
    router.route("GET", pattern, op_class="poll", arm="read", policy=policy)(get_operation)


_register("Microsoft.Compute", "GetOperation")
_register("Microsoft.Network", None)
_register("Microsoft.Resources", None)
