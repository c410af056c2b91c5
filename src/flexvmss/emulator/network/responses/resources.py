"""HTTP handlers of the emulated ``Microsoft.Network`` provider.

Every top-level type gets the same six routes: PUT (201 create / 200 update, body in
``provisioningState: "Updating"``, ``Azure-AsyncOperation`` + retry hint, ``ETag``), GET,
PATCH (tags only, synchronous), DELETE (202 + ``Azure-AsyncOperation`` + ``Location``; 204
when absent), list by resource group and list in the subscription. Subnets also have their
own child routes under their virtual network. Operation status polls are served by the
HTTP server from :class:`OperationManager` (Network sends ``{"status"}`` bodies).

Reference and in-use checks run when the request arrives (a refused request changes
nothing); deletes are checked again when their operation completes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ...core import (
    ArmError,
    Context,
    Request,
    Response,
    Router,
    arm_id,
    check_preconditions,
    paginate,
)
from ..models import normalize as m

__all__ = ["router"]

router = Router()

_RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
_BASE = _RG + "/providers/Microsoft.Network"
_SUB_BASE = "/subscriptions/{subscriptionId}/providers/Microsoft.Network"


def _require_rg(ctx: Context, req: Request, *, writing: bool) -> tuple[str, str]:
    """Subscription and resource group of the request; 404 if the group is missing, 409
    for a write into a group that is being deleted."""
    sub, rg = req.params["subscriptionId"], req.params["resourceGroupName"]
    group = ctx.store.require_rg(sub, rg)
    if writing and group.get("properties", {}).get("provisioningState") == "Deleting":
        raise ArmError(
            409,
            "ResourceGroupBeingDeleted",
            f"The resource group '{rg}' is in deprovisioning state and cannot perform this operation.",
        )
    return sub, rg


def _etag_headers(body: dict[str, Any]) -> dict[str, str]:
    return {"ETag": str(body["etag"])}


def _out(body: dict[str, Any]) -> dict[str, Any]:
    """A copy for the wire, so later state changes never alter an answer in flight."""
    return copy.deepcopy(body)


def _finish_put(
    ctx: Context, rid: str, etag: str
) -> tuple[Callable[[], None], Callable[[dict[str, Any]], None]]:
    """Operation callbacks that settle the provisioning state of the body written with
    ``etag`` (a later write supersedes them)."""

    def settle(state: str) -> None:
        cur = ctx.store.get(rid)
        if cur is not None and cur.get("etag") == etag:
            m.set_provisioning_state(cur, state)

    def on_fail(_error: dict[str, Any]) -> None:
        settle("Failed")

    return (lambda: settle("Succeeded")), on_fail


# --------------------------------------------------------------------------- top-level resources


def _register(collection: str) -> None:
    rtype = m.full_type(collection)
    item = f"{_BASE}/{collection}/{{resourceName}}"

    def resource_id(req: Request) -> str:
        return arm_id(
            req.params["subscriptionId"],
            req.params["resourceGroupName"],
            m.NS,
            collection,
            req.params["resourceName"],
        )

    def put(ctx: Context, req: Request) -> Response:
        sub, _rg = _require_rg(ctx, req, writing=True)
        payload = req.json()
        rid = resource_id(req)
        old = ctx.store.get(rid)
        check_preconditions(req, old)
        if old is not None:
            rid = old["id"]
        body = m.normalize(
            ctx, collection=collection, resource_id=rid, name=rid.rsplit("/", 1)[1], payload=payload, old=old
        )
        m.set_provisioning_state(body, "Updating")
        m.apply_put(ctx, body, old)
        on_succeed, on_fail = _finish_put(ctx, rid, body["etag"])
        op = ctx.lro.start(
            req,
            provider=m.NS,
            location=body["location"],
            subscription_id=sub,
            kind="network.create",
            resource_id=rid,
            on_succeed=on_succeed,
            on_fail=on_fail,
        )
        headers = ctx.lro.accepted_headers(op, req, location=False)
        headers.update(_etag_headers(body))
        return Response.json(_out(body), status=200 if old is not None else 201, headers=headers)

    def get(ctx: Context, req: Request) -> Response:
        _require_rg(ctx, req, writing=False)
        body = ctx.store.get(resource_id(req))
        if body is None:
            raise ArmError.resource_not_found(
                rtype, req.params["resourceName"], req.params["resourceGroupName"]
            )
        return Response.json(_out(body), headers=_etag_headers(body))

    def patch(ctx: Context, req: Request) -> Response:
        _require_rg(ctx, req, writing=True)
        body = ctx.store.get(resource_id(req))
        if body is None:
            raise ArmError.resource_not_found(
                rtype, req.params["resourceName"], req.params["resourceGroupName"]
            )
        check_preconditions(req, body)
        payload = req.json()
        if payload.get("tags") is not None:
            body["tags"] = dict(payload["tags"])
        body["etag"] = ctx.etag()
        return Response.json(_out(body), headers=_etag_headers(body))

    def delete(ctx: Context, req: Request) -> Response:
        sub, _rg = _require_rg(ctx, req, writing=False)
        body = ctx.store.get(resource_id(req))
        if body is None:
            return Response.empty(204)
        check_preconditions(req, body)
        m.delete_checks(ctx, body)
        rid = body["id"]
        m.set_provisioning_state(body, "Deleting")

        def on_succeed() -> None:
            cur = ctx.store.get(rid)
            if cur is None:
                return
            try:
                m.delete_checks(ctx, cur)
            except ArmError:
                m.set_provisioning_state(cur, "Succeeded")
                raise
            m.forget(ctx, cur)

        def on_fail(_error: dict[str, Any]) -> None:
            cur = ctx.store.get(rid)
            if cur is not None:
                m.set_provisioning_state(cur, "Failed")

        op = ctx.lro.start(
            req,
            provider=m.NS,
            location=body["location"],
            subscription_id=sub,
            kind="network.delete",
            resource_id=rid,
            on_succeed=on_succeed,
            on_fail=on_fail,
        )
        return Response.empty(202, headers=ctx.lro.accepted_headers(op, req, location=True))

    def list_rg(ctx: Context, req: Request) -> Response:
        sub, rg = _require_rg(ctx, req, writing=False)
        items = [_out(b) for b in ctx.store.list(rtype, subscription_id=sub, resource_group=rg)]
        return Response.json(paginate(req, items, ctx.page_size, ctx.base_url))

    def list_all(ctx: Context, req: Request) -> Response:
        items = [_out(b) for b in ctx.store.list(rtype, subscription_id=req.params["subscriptionId"])]
        return Response.json(paginate(req, items, ctx.page_size, ctx.base_url))

    router.route("PUT", item, op_class="write")(put)
    router.route("GET", item, op_class="read")(get)
    router.route("PATCH", item, op_class="write")(patch)
    router.route("DELETE", item, op_class="delete")(delete)
    router.route("GET", f"{_BASE}/{collection}", op_class="list")(list_rg)
    router.route("GET", f"{_SUB_BASE}/{collection}", op_class="list")(list_all)


for _collection in m.TOP_TYPES:
    _register(_collection)


# --------------------------------------------------------------------------- child resources

#: (parent collection, child collection, writable): the child routes served. Read-only
#: children are changed through their parent's PUT, as the SDK's operations allow.
CHILD_ROUTES: tuple[tuple[str, str, bool], ...] = (
    ("virtualNetworks", "subnets", True),
    ("loadBalancers", "backendAddressPools", True),
    ("loadBalancers", "inboundNatRules", True),
    ("loadBalancers", "frontendIPConfigurations", False),
    ("loadBalancers", "loadBalancingRules", False),
    ("loadBalancers", "probes", False),
    ("loadBalancers", "outboundRules", False),
    ("networkSecurityGroups", "securityRules", True),
    ("networkSecurityGroups", "defaultSecurityRules", False),
    ("networkInterfaces", "ipConfigurations", False),
)


def _parent_payload(
    parent: dict[str, Any], collection: str, children: list[dict[str, Any]]
) -> dict[str, Any]:
    """A PUT body for ``parent`` with ``collection`` replaced by ``children``."""
    payload = {k: v for k, v in parent.items() if k not in ("properties", "etag", "id", "name", "type")}
    payload["properties"] = {**parent["properties"], collection: children}
    return payload


def _rewrite_parent(
    ctx: Context,
    parent_collection: str,
    parent: dict[str, Any],
    collection: str,
    children: list[dict[str, Any]],
) -> dict[str, Any]:
    """Store ``parent`` with a new child list through the parent's own validation. The
    children's provisioning states are kept (a rewrite renews their etags only)."""
    states = {
        (coll, c["name"].lower()): c.get("properties", {}).get("provisioningState")
        for coll in m.CHILD_TYPES[parent_collection]
        for c in parent["properties"].get(coll) or []
    }
    body = m.normalize(
        ctx,
        collection=parent_collection,
        resource_id=parent["id"],
        name=parent["name"],
        payload=_parent_payload(parent, collection, children),
        old=parent,
    )
    body["properties"]["provisioningState"] = parent["properties"].get("provisioningState", "Succeeded")
    for coll in m.CHILD_TYPES[parent_collection]:
        for c in body["properties"].get(coll) or []:
            c["properties"]["provisioningState"] = states.get((coll, c["name"].lower())) or "Succeeded"
    return m.apply_put(ctx, body, parent)


def _register_child(parent_collection: str, collection: str, writable: bool) -> None:
    items = f"{_BASE}/{parent_collection}/{{parentName}}/{collection}"
    item = items + "/{childName}"
    parent_type = m.full_type(parent_collection)

    def parent_of(ctx: Context, req: Request) -> dict[str, Any]:
        rid = arm_id(
            req.params["subscriptionId"],
            req.params["resourceGroupName"],
            m.NS,
            parent_collection,
            req.params["parentName"],
        )
        parent = ctx.store.get(rid)
        if parent is None:
            raise ArmError.resource_not_found(
                parent_type, req.params["parentName"], req.params["resourceGroupName"]
            )
        return parent

    def not_found(parent: dict[str, Any], name: str) -> ArmError:
        return ArmError(404, "NotFound", f"Resource {parent['id']}/{collection}/{name} not found.")

    def get(ctx: Context, req: Request) -> Response:
        _require_rg(ctx, req, writing=False)
        parent = parent_of(ctx, req)
        child = m.find_child(parent, collection, req.params["childName"])
        if child is None:
            raise not_found(parent, req.params["childName"])
        return Response.json(_out(child), headers=_etag_headers(child))

    def list_children(ctx: Context, req: Request) -> Response:
        _require_rg(ctx, req, writing=False)
        parent = parent_of(ctx, req)
        children = [_out(c) for c in parent["properties"].get(collection) or []]
        return Response.json(paginate(req, children, ctx.page_size, ctx.base_url))

    def put(ctx: Context, req: Request) -> Response:
        sub, _rg = _require_rg(ctx, req, writing=True)
        payload = req.json()
        parent = parent_of(ctx, req)
        name = req.params["childName"]
        old = m.find_child(parent, collection, name)
        check_preconditions(req, old)
        if old is not None:
            name = old["name"]
        new_item = {"name": name, "properties": dict(payload.get("properties") or {})}
        current = parent["properties"].get(collection) or []
        children = [c if c["name"].lower() != name.lower() else new_item for c in current]
        if old is None:
            children.append(new_item)
        body = _rewrite_parent(ctx, parent_collection, parent, collection, children)
        child = m.find_child(body, collection, name)
        assert child is not None
        child["properties"]["provisioningState"] = "Updating"
        cid = child["id"]

        def settle(state: str) -> None:
            # A parent write renews every child's etag, so settle on state, not etag.
            cur = m.resolve(ctx, cid)
            if cur is not None and cur["properties"].get("provisioningState") == "Updating":
                cur["properties"]["provisioningState"] = state

        op = ctx.lro.start(
            req,
            provider=m.NS,
            location=body["location"],
            subscription_id=sub,
            kind="network.create",
            resource_id=cid,
            on_succeed=lambda: settle("Succeeded"),
            on_fail=lambda _e: settle("Failed"),
        )
        headers = ctx.lro.accepted_headers(op, req, location=False)
        headers.update(_etag_headers(child))
        return Response.json(_out(child), status=200 if old is not None else 201, headers=headers)

    def delete(ctx: Context, req: Request) -> Response:
        sub, _rg = _require_rg(ctx, req, writing=False)
        parent = parent_of(ctx, req)
        child = m.find_child(parent, collection, req.params["childName"])
        if child is None:
            return Response.empty(204)
        m.child_delete_checks(child)
        child["properties"]["provisioningState"] = "Deleting"
        parent_id, cid, name = parent["id"], child["id"], child["name"]

        def on_succeed() -> None:
            cur = ctx.store.get(parent_id)
            if cur is None or m.find_child(cur, collection, name) is None:
                return
            kept = [c for c in cur["properties"].get(collection) or [] if c["name"].lower() != name.lower()]
            _rewrite_parent(ctx, parent_collection, cur, collection, kept)
            m.network_state(ctx)["private_ips"].pop(cid.lower(), None)
            m.network_state(ctx)["private_hint"].pop(cid.lower(), None)

        def on_fail(_error: dict[str, Any]) -> None:
            cur = m.resolve(ctx, cid)
            if cur is not None:
                cur["properties"]["provisioningState"] = "Failed"

        op = ctx.lro.start(
            req,
            provider=m.NS,
            location=parent["location"],
            subscription_id=sub,
            kind="network.delete",
            resource_id=cid,
            on_succeed=on_succeed,
            on_fail=on_fail,
        )
        return Response.empty(202, headers=ctx.lro.accepted_headers(op, req, location=True))

    router.route("GET", item, op_class="read")(get)
    router.route("GET", items, op_class="list")(list_children)
    if writable:
        router.route("PUT", item, op_class="write")(put)
        router.route("DELETE", item, op_class="delete")(delete)


for _parent, _child, _writable in CHILD_ROUTES:
    _register_child(_parent, _child, _writable)
