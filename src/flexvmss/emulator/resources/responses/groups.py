"""HTTP handlers for resource groups, as ARM serves them.

PUT is synchronous (201 new, 200 existing); HEAD answers 204/404 (``check_existence``);
DELETE answers 202 with a ``Location`` header only (no ``Azure-AsyncOperation``), pointing
at ``/subscriptions/{sub}/operationresults/{token}``, which answers 202 (+ retry hint) while
the group is being deleted and 200 once it is gone. azure-mgmt-resource's ``begin_delete``
polls exactly that ``Location``.
"""

from __future__ import annotations

import copy

from ...core import Context, Request, Response, paginate
from ..models import groups

__all__ = [
    "check_existence",
    "create_or_update",
    "delete",
    "get",
    "list_groups",
    "operation_results",
    "update",
]

#: The api-version a Location URL carries when the request named none.
_API = "2025-04-01"


def create_or_update(ctx: Context, req: Request) -> Response:
    group, created = groups.put_group(
        ctx, req.params["subscriptionId"], req.params["resourceGroupName"], req.json()
    )
    return Response.json(copy.deepcopy(group), status=201 if created else 200)


def get(ctx: Context, req: Request) -> Response:
    group = ctx.store.require_rg(req.params["subscriptionId"], req.params["resourceGroupName"])
    return Response.json(copy.deepcopy(group))


def check_existence(ctx: Context, req: Request) -> Response:
    found = ctx.store.get_rg(req.params["subscriptionId"], req.params["resourceGroupName"]) is not None
    return Response.empty(204 if found else 404)


def update(ctx: Context, req: Request) -> Response:
    group = ctx.store.require_rg(req.params["subscriptionId"], req.params["resourceGroupName"])
    groups.update_group(group, req.json())
    return Response.json(copy.deepcopy(group))


def list_groups(ctx: Context, req: Request) -> Response:
    sub = req.params["subscriptionId"].lower()
    items = [copy.deepcopy(g) for (s, _n), g in ctx.store.resource_groups.items() if s == sub]
    return Response.json(paginate(req, items, ctx.page_size, ctx.base_url))


def delete(ctx: Context, req: Request) -> Response:
    sub = req.params["subscriptionId"]
    group = ctx.store.require_rg(sub, req.params["resourceGroupName"])
    op = groups.delete_group(ctx, req, group, sub)
    token = groups.token(op.id, group["name"], group["location"])
    api = req.api_version or _API
    location = f"{ctx.base_url.rstrip('/')}/subscriptions/{sub}/operationresults/{token}?api-version={api}"
    headers = {"Location": location}
    headers.update(ctx.clock.retry_after_headers(ctx.lro.poll_hint(op)))
    return Response.empty(202, headers=headers)


def operation_results(ctx: Context, req: Request) -> Response:
    """ARM's ``operationresults`` endpoint: 202 while running, 200 when done; a failed
    deletion answers with its error."""
    op = groups.operation_of(ctx, req.params["subscriptionId"], req.params["operationToken"])
    if not op.terminal:
        headers = {"Location": f"{ctx.base_url.rstrip('/')}{req.path}?api-version={req.api_version or _API}"}
        headers.update(ctx.clock.retry_after_headers(ctx.lro.poll_hint(op)))
        return Response.empty(202, headers=headers)
    if op.status == "Succeeded":
        return Response.empty(200)
    error = op.error or {
        "code": "ResourceGroupDeletionFailed",
        "message": "The resource group deletion failed.",
    }
    return Response.json({"error": error}, status=409)
