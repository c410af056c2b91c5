"""HTTP handlers for the top-level network resources. Every type gets the same six: PUT
(201 create / 200 update, body in ``provisioningState: "Updating"``, ``Azure-AsyncOperation``
+ retry hint, ``ETag``; a NIC's PUT is synchronous), GET, PATCH (tags only, synchronous),
DELETE (202, a NIC's 200, + ``Azure-AsyncOperation`` + ``Location``; 204 when absent), list by
resource group and list in the subscription. Network sends ``{"status"}`` operation bodies
(``emulator/operations.py``).
"""

from __future__ import annotations

import copy
from typing import Any

from ...core import (
    ArmError,
    Context,
    Operation,
    Request,
    Response,
    arm_id,
    check_preconditions,
    etag_headers,
    paginate,
)
from ..models import writes
from ..models.common import NS, full_type

__all__ = ["ResourceHandlers", "find", "put_answer", "require_rg", "resource_id", "wire"]


def require_rg(ctx: Context, req: Request, *, writing: bool) -> tuple[str, str]:
    """Subscription and resource group of the request; 404 if the group is missing, 409
    for a write into a group that is being deleted."""
    sub, rg = req.params["subscriptionId"], req.params["resourceGroupName"]
    ctx.store.require_rg(sub, rg, writing=writing)
    return sub, rg


def resource_id(req: Request, collection: str, name_param: str) -> str:
    """The id of the top-level resource of ``collection`` the request names in ``name_param``."""
    return arm_id(
        req.params["subscriptionId"], req.params["resourceGroupName"], NS, collection, req.params[name_param]
    )


def find(ctx: Context, req: Request, collection: str, name_param: str) -> dict[str, Any]:
    """That resource's stored body; ARM's 404 when it is missing."""
    body = ctx.store.get(resource_id(req, collection, name_param))
    if body is None:
        raise ArmError.resource_not_found(
            full_type(collection), req.params[name_param], req.params["resourceGroupName"]
        )
    return body


def wire(body: dict[str, Any]) -> dict[str, Any]:
    """A copy for the wire, so later state changes never alter an answer in flight."""
    return copy.deepcopy(body)


def put_answer(
    ctx: Context, req: Request, body: dict[str, Any], op: Operation | None, *, created: bool
) -> Response:
    """A PUT's answer: the body as written, 201 or 200, ``Azure-AsyncOperation`` (when an
    operation carries it) and ``ETag``."""
    headers = ctx.lro.accepted_headers(op, req, location=False) if op is not None else {}
    headers.update(etag_headers(body))
    return Response.json(wire(body), status=201 if created else 200, headers=headers)


#: The status a DELETE answers per collection (202 unless listed). A NIC's DELETE answers 200,
#: still with ``Azure-AsyncOperation`` and ``Location`` (kubernetes-sigs/cloud-provider-azure
#: ``interfaceclient`` recording, 2026-03, api 2025-05-01).
DELETE_STATUS: dict[str, int] = {"networkinterfaces": 200}


class ResourceHandlers:
    """The handlers of one top-level collection (``virtualNetworks``...), routed by
    ``network/urls.py`` under ``.../{resourceName}``."""

    def __init__(self, collection: str) -> None:
        self.collection = collection
        self.type = full_type(collection)

    def _id(self, req: Request) -> str:
        return resource_id(req, self.collection, "resourceName")

    def _find(self, ctx: Context, req: Request) -> dict[str, Any]:
        return find(ctx, req, self.collection, "resourceName")

    def put(self, ctx: Context, req: Request) -> Response:
        require_rg(ctx, req, writing=True)
        payload = req.json()
        rid = self._id(req)
        old = ctx.store.get(rid)
        check_preconditions(req, old, style="network")
        if old is not None:
            rid = old["id"]
        body, op = writes.put_resource(ctx, req, self.collection, rid, payload, old)
        return put_answer(ctx, req, body, op, created=old is None)

    def get(self, ctx: Context, req: Request) -> Response:
        require_rg(ctx, req, writing=False)
        body = self._find(ctx, req)
        return Response.json(wire(body), headers=etag_headers(body))

    def patch(self, ctx: Context, req: Request) -> Response:
        require_rg(ctx, req, writing=True)
        body = self._find(ctx, req)
        check_preconditions(req, body, style="network")
        writes.patch_tags(ctx, body, req.json())
        return Response.json(wire(body), headers=etag_headers(body))

    def delete(self, ctx: Context, req: Request) -> Response:
        require_rg(ctx, req, writing=False)
        body = ctx.store.get(self._id(req))
        if body is None:
            return Response.empty(204)
        check_preconditions(req, body, style="network")
        op = writes.delete_resource(ctx, req, body)
        status = DELETE_STATUS.get(self.collection.lower(), 202)
        return Response.empty(status, headers=ctx.lro.accepted_headers(op, req, location=True))

    def list_rg(self, ctx: Context, req: Request) -> Response:
        sub, rg = require_rg(ctx, req, writing=False)
        items = [wire(b) for b in ctx.store.list(self.type, subscription_id=sub, resource_group=rg)]
        return Response.json(paginate(req, items, ctx.page_size, ctx.base_url))

    def list_all(self, ctx: Context, req: Request) -> Response:
        items = [wire(b) for b in ctx.store.list(self.type, subscription_id=req.params["subscriptionId"])]
        return Response.json(paginate(req, items, ctx.page_size, ctx.base_url))
