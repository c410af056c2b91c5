"""What every compute handler does with a request: find the resource it addresses, choose
its throttling policy, answer an accepted operation."""

from __future__ import annotations

from typing import Any

from ...core import (
    ArmError,
    Context,
    Operation,
    PolicyResolver,
    Request,
    Response,
    arm_id,
    check_preconditions,
)
from ..models.state import NS

__all__ = ["accepted", "find", "in_group", "put_policy", "require_rg", "resource_id", "target"]


def require_rg(ctx: Context, req: Request) -> dict[str, Any]:
    return ctx.store.require_rg(req.params["subscriptionId"], req.params["resourceGroupName"])


def resource_id(req: Request, type_name: str, name_param: str) -> str:
    """The id of the resource a request addresses, spelled as the caller spelled it."""
    return arm_id(
        req.params["subscriptionId"], req.params["resourceGroupName"], NS, type_name, req.params[name_param]
    )


def find(ctx: Context, req: Request, type_name: str, name_param: str) -> dict[str, Any]:
    """The stored body the request addresses; ARM's 404 when it (or its group) is missing."""
    require_rg(ctx, req)
    body = ctx.store.get(resource_id(req, type_name, name_param))
    if body is None:
        raise ArmError.resource_not_found(
            f"{NS}/{type_name}", req.params[name_param], req.params["resourceGroupName"]
        )
    return body


def target(ctx: Context, req: Request, type_name: str, name_param: str) -> dict[str, Any] | None:
    """The stored body a write or delete addresses (None when absent), once its group exists
    and the request's ``If-Match``/``If-None-Match`` hold."""
    require_rg(ctx, req)
    body = ctx.store.get(resource_id(req, type_name, name_param))
    check_preconditions(req, body, style="compute")
    return body


def in_group(ctx: Context, req: Request, resource_type: str) -> list[dict[str, Any]]:
    """Every resource of ``resource_type`` in the request's resource group (ARM's 404 if
    the group is missing), oldest first."""
    require_rg(ctx, req)
    return ctx.store.list(
        resource_type,
        subscription_id=req.params["subscriptionId"],
        resource_group=req.params["resourceGroupName"],
    )


def put_policy(type_name: str, name_param: str, *, create: str, update: str) -> PolicyResolver:
    """A PUT's throttling policy: ``create`` for a new resource, ``update`` when the PUT
    replaces one that exists (Compute charges a VM PUT on an existing VM to UpdateVM)."""

    def resolve(ctx: Context, req: Request) -> str:
        exists = ctx.store.get(resource_id(req, type_name, name_param)) is not None
        return update if exists else create

    return resolve


def accepted(ctx: Context, req: Request, op: Operation, status: int = 202) -> Response:
    """An operation accepted with no body: ``Azure-AsyncOperation`` and ``Location`` to poll."""
    return Response.empty(status, ctx.lro.accepted_headers(op, req, location=True))
