"""HTTP handlers for child resources served under their parent (subnets under a virtual
network...): GET and list always; PUT and DELETE where the SDK's operations allow, else the
child changes through its parent's PUT."""

from __future__ import annotations

from typing import Any

from ...core import ArmError, Context, Request, Response, arm_id, check_preconditions, etag_headers, paginate
from ..models import writes
from ..models.common import NS, find_child, full_type
from .resources import require_rg, wire

__all__ = ["ChildHandlers"]


class ChildHandlers:
    """The handlers of one child collection of one parent collection, routed by
    ``network/urls.py`` under ``.../{parentName}/<collection>/{childName}``."""

    def __init__(self, parent_collection: str, collection: str) -> None:
        self.parent_collection = parent_collection
        self.collection = collection
        self.parent_type = full_type(parent_collection)

    def _parent(self, ctx: Context, req: Request) -> dict[str, Any]:
        rid = arm_id(
            req.params["subscriptionId"],
            req.params["resourceGroupName"],
            NS,
            self.parent_collection,
            req.params["parentName"],
        )
        parent = ctx.store.get(rid)
        if parent is None:
            raise ArmError.resource_not_found(
                self.parent_type, req.params["parentName"], req.params["resourceGroupName"]
            )
        return parent

    def get(self, ctx: Context, req: Request) -> Response:
        require_rg(ctx, req, writing=False)
        parent = self._parent(ctx, req)
        child = find_child(parent, self.collection, req.params["childName"])
        if child is None:
            raise ArmError(
                404,
                "NotFound",
                f"Resource {parent['id']}/{self.collection}/{req.params['childName']} not found.",
            )
        return Response.json(wire(child), headers=etag_headers(child))

    def list(self, ctx: Context, req: Request) -> Response:
        require_rg(ctx, req, writing=False)
        parent = self._parent(ctx, req)
        children = [wire(c) for c in parent["properties"].get(self.collection) or []]
        return Response.json(paginate(req, children, ctx.page_size, ctx.base_url))

    def put(self, ctx: Context, req: Request) -> Response:
        require_rg(ctx, req, writing=True)
        payload = req.json()
        parent = self._parent(ctx, req)
        old = find_child(parent, self.collection, req.params["childName"])
        check_preconditions(req, old)
        child, op = writes.put_child(
            ctx, req, self.parent_collection, parent, self.collection, req.params["childName"], payload, old
        )
        headers = ctx.lro.accepted_headers(op, req, location=False)
        headers.update(etag_headers(child))
        return Response.json(wire(child), status=200 if old is not None else 201, headers=headers)

    def delete(self, ctx: Context, req: Request) -> Response:
        require_rg(ctx, req, writing=False)
        parent = self._parent(ctx, req)
        child = find_child(parent, self.collection, req.params["childName"])
        if child is None:
            return Response.empty(204)
        op = writes.delete_child(ctx, req, self.parent_collection, parent, self.collection, child)
        return Response.empty(202, headers=ctx.lro.accepted_headers(op, req, location=True))
