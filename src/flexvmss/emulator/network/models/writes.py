"""Writes: storing a body with its links and addresses, removing one, and the operations
that carry a PUT or DELETE (a resource, or a child inside its parent).

A PUT answers with the body in ``provisioningState: "Updating"``; its operation settles it.
Reference and in-use checks run when the request arrives (a refused request changes
nothing); deletes are checked again when their operation completes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from ...core import ArmError, Context, Operation, Request
from .addresses import plan_private_ips
from .checks import child_delete_checks, delete_checks
from .common import CHILD_TYPES, NS, find_child, network_state, resolve
from .normalize import normalize
from .refs import link, unlink, validate_refs

__all__ = [
    "SYNCHRONOUS_PUT",
    "apply_put",
    "delete_child",
    "delete_resource",
    "forget",
    "patch_tags",
    "put_child",
    "put_resource",
    "set_provisioning_state",
]


def apply_put(ctx: Context, body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """Validate ``body``'s references, then store it: swap ``old``'s links for the new
    ones and assign private IPs. Nothing changes if an ArmError is raised."""
    validate_refs(ctx, body)
    plan = plan_private_ips(ctx, body)
    if old is not None:
        unlink(ctx, old)
    st = network_state(ctx)
    for sid, ip, holder, scanned in plan:
        holder["properties"]["privateIPAddress"] = ip
        st["private_ips"].setdefault(sid, {})[ip] = holder["id"].lower()
        if scanned:  # every address from the hint up to this one is now taken
            n = int(ipaddress.IPv4Address(ip)) + 1
            st["private_hint"][sid] = max(n, st["private_hint"].get(sid, 0))
    ctx.store.put(body)
    link(ctx, body)
    return body


def set_provisioning_state(body: dict[str, Any], state: str) -> None:
    """Set ``provisioningState`` on a body and on all its inline children."""
    props = body.setdefault("properties", {})
    props["provisioningState"] = state
    seg = body.get("type", "").split("/")[-1]
    for coll in CHILD_TYPES.get(seg, ()):
        for child in props.get(coll) or []:
            child.setdefault("properties", {})["provisioningState"] = state


def forget(ctx: Context, body: dict[str, Any]) -> None:
    """Remove a network resource from the store with all its links (resource-group delete)."""
    unlink(ctx, body)
    st = network_state(ctx)
    if body.get("type", "").lower() == f"{NS}/virtualNetworks".lower():
        for sn in body.get("properties", {}).get("subnets") or []:
            st["private_ips"].pop(sn["id"].lower(), None)
            st["private_hint"].pop(sn["id"].lower(), None)
    st["nic_reserved"].pop(body["id"].lower(), None)
    ctx.store.delete(body["id"])


# --------------------------------------------------------------------------- operations


def _start(
    ctx: Context,
    request: Request,
    kind: str,
    resource_id: str,
    location: str,
    on_succeed: Callable[[], None],
    on_fail: Callable[[dict[str, Any]], None],
) -> Operation:
    return ctx.lro.start(
        request,
        provider=NS,
        location=location,
        subscription_id=request.params["subscriptionId"],
        kind=kind,
        resource_id=resource_id,
        on_succeed=on_succeed,
        on_fail=on_fail,
    )


#: Collections whose PUT is done when it is answered: 201/200 with the body already
#: ``Succeeded`` and no operation (a NIC: kubernetes-sigs/cloud-provider-azure
#: ``interfaceclient`` recording, 2026-03, api 2025-05-01).
SYNCHRONOUS_PUT = frozenset({"networkinterfaces"})


def put_resource(
    ctx: Context,
    request: Request,
    collection: str,
    resource_id: str,
    payload: dict[str, Any],
    old: dict[str, Any] | None,
) -> tuple[dict[str, Any], Operation | None]:
    """Create or replace a top-level resource; its operation settles the provisioning state
    of the body written now (a later write supersedes it). A collection in
    :data:`SYNCHRONOUS_PUT` is stored ``Succeeded`` with no operation (None)."""
    body = normalize(
        ctx,
        collection=collection,
        resource_id=resource_id,
        name=resource_id.rsplit("/", 1)[1],
        payload=payload,
        old=old,
    )
    if collection.lower() in SYNCHRONOUS_PUT:
        apply_put(ctx, body, old)
        return body, None
    set_provisioning_state(body, "Updating")
    apply_put(ctx, body, old)
    etag = body["etag"]

    def settle(state: str) -> None:
        cur = ctx.store.get(resource_id)
        if cur is not None and cur.get("etag") == etag:
            set_provisioning_state(cur, state)

    op = _start(
        ctx,
        request,
        "network.create",
        resource_id,
        body["location"],
        lambda: settle("Succeeded"),
        lambda _error: settle("Failed"),
    )
    return body, op


def patch_tags(ctx: Context, body: dict[str, Any], payload: dict[str, Any]) -> None:
    """A PATCH changes tags only, at once (no operation), with a new etag."""
    if payload.get("tags") is not None:
        body["tags"] = dict(payload["tags"])
    body["etag"] = ctx.etag()


def delete_resource(ctx: Context, request: Request, body: dict[str, Any]) -> Operation:
    """Delete a top-level resource nothing uses; checked again when the operation completes
    (a use that appeared meanwhile fails the operation and leaves the resource)."""
    delete_checks(ctx, body)
    rid = body["id"]
    set_provisioning_state(body, "Deleting")

    def on_succeed() -> None:
        cur = ctx.store.get(rid)
        if cur is None:
            return
        try:
            delete_checks(ctx, cur)
        except ArmError:
            set_provisioning_state(cur, "Succeeded")
            raise
        forget(ctx, cur)

    def on_fail(_error: dict[str, Any]) -> None:
        cur = ctx.store.get(rid)
        if cur is not None:
            set_provisioning_state(cur, "Failed")

    return _start(ctx, request, "network.delete", rid, body["location"], on_succeed, on_fail)


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
        for coll in CHILD_TYPES[parent_collection]
        for c in parent["properties"].get(coll) or []
    }
    body = normalize(
        ctx,
        collection=parent_collection,
        resource_id=parent["id"],
        name=parent["name"],
        payload=_parent_payload(parent, collection, children),
        old=parent,
    )
    body["properties"]["provisioningState"] = parent["properties"].get("provisioningState", "Succeeded")
    for coll in CHILD_TYPES[parent_collection]:
        for c in body["properties"].get(coll) or []:
            c["properties"]["provisioningState"] = states.get((coll, c["name"].lower())) or "Succeeded"
    return apply_put(ctx, body, parent)


def put_child(
    ctx: Context,
    request: Request,
    parent_collection: str,
    parent: dict[str, Any],
    collection: str,
    name: str,
    payload: dict[str, Any],
    old: dict[str, Any] | None,
) -> tuple[dict[str, Any], Operation]:
    """Create or replace a child (a subnet...) by rewriting its parent; the child's
    operation settles its own provisioning state."""
    if old is not None:
        name = old["name"]
    new_item = {"name": name, "properties": dict(payload.get("properties") or {})}
    current = parent["properties"].get(collection) or []
    children = [c if c["name"].lower() != name.lower() else new_item for c in current]
    if old is None:
        children.append(new_item)
    body = _rewrite_parent(ctx, parent_collection, parent, collection, children)
    child = find_child(body, collection, name)
    assert child is not None
    child["properties"]["provisioningState"] = "Updating"
    cid = child["id"]

    def settle(state: str) -> None:
        # A parent write renews every child's etag, so settle on state, not etag.
        cur = resolve(ctx, cid)
        if cur is not None and cur["properties"].get("provisioningState") == "Updating":
            cur["properties"]["provisioningState"] = state

    op = _start(
        ctx,
        request,
        "network.create",
        cid,
        body["location"],
        lambda: settle("Succeeded"),
        lambda _error: settle("Failed"),
    )
    return child, op


def delete_child(
    ctx: Context,
    request: Request,
    parent_collection: str,
    parent: dict[str, Any],
    collection: str,
    child: dict[str, Any],
) -> Operation:
    """Remove a child nothing uses by rewriting its parent when the operation completes."""
    child_delete_checks(child)
    child["properties"]["provisioningState"] = "Deleting"
    parent_id, cid, name = parent["id"], child["id"], child["name"]

    def on_succeed() -> None:
        cur = ctx.store.get(parent_id)
        if cur is None or find_child(cur, collection, name) is None:
            return
        kept = [c for c in cur["properties"].get(collection) or [] if c["name"].lower() != name.lower()]
        _rewrite_parent(ctx, parent_collection, cur, collection, kept)
        network_state(ctx)["private_ips"].pop(cid.lower(), None)
        network_state(ctx)["private_hint"].pop(cid.lower(), None)

    def on_fail(_error: dict[str, Any]) -> None:
        cur = resolve(ctx, cid)
        if cur is not None:
            cur["properties"]["provisioningState"] = "Failed"

    return _start(ctx, request, "network.delete", cid, parent["location"], on_succeed, on_fail)
