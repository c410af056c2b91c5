"""HTTP handlers for child resources served under their parent (subnets under a virtual
network...): GET and list always; PUT and DELETE where the SDK's operations allow, else the
child changes through its parent's PUT."""

from __future__ import annotations

from typing import Any

from ...core import ArmError, Context, Request, Response, check_preconditions, etag_headers, paginate
from ..models import writes
from ..models.common import find_child
from .resources import find, put_answer, require_rg, wire

__all__ = ["ChildHandlers"]


class ChildHandlers:
    """The handlers of one child collection of one parent collection, routed by
    ``network/urls.py`` under ``.../{parentName}/<collection>/{childName}``."""

    def __init__(self, parent_collection: str, collection: str) -> None:
        self.parent_collection = parent_collection
        self.collection = collection

    def _parent(self, ctx: Context, req: Request) -> dict[str, Any]:
        return find(ctx, req, self.parent_collection, "parentName")

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
        check_preconditions(req, old, style="network")
        child, op = writes.put_child(
            ctx, req, self.parent_collection, parent, self.collection, req.params["childName"], payload, old
        )
        return put_answer(ctx, req, child, op, created=old is None)

    def delete(self, ctx: Context, req: Request) -> Response:
        require_rg(ctx, req, writing=False)
        parent = self._parent(ctx, req)
        child = find_child(parent, self.collection, req.params["childName"])
        if child is None:
            return Response.empty(204)
        op = writes.delete_child(ctx, req, self.parent_collection, parent, self.collection, child)
        return Response.empty(202, headers=ctx.lro.accepted_headers(op, req, location=True))
