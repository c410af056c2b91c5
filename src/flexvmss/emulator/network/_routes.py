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

from .._core import (
    ArmError,
    Context,
    Request,
    Response,
    Router,
    arm_id,
    check_preconditions,
    paginate,
)
from . import _model as m

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


# --------------------------------------------------------------------------- subnets

_SUBNETS = _BASE + "/virtualNetworks/{virtualNetworkName}/subnets"
_SUBNET = _SUBNETS + "/{subnetName}"


def _vnet(ctx: Context, req: Request) -> dict[str, Any]:
    rid = arm_id(
        req.params["subscriptionId"],
        req.params["resourceGroupName"],
        m.NS,
        "virtualNetworks",
        req.params["virtualNetworkName"],
    )
    vnet = ctx.store.get(rid)
    if vnet is None:
        raise ArmError.resource_not_found(
            f"{m.NS}/virtualNetworks", req.params["virtualNetworkName"], req.params["resourceGroupName"]
        )
    return vnet


def _subnet_not_found(vnet: dict[str, Any], name: str) -> ArmError:
    return ArmError(404, "NotFound", f"Resource {vnet['id']}/subnets/{name} not found.")


def _vnet_payload(vnet: dict[str, Any], subnets: list[dict[str, Any]]) -> dict[str, Any]:
    payload = {k: v for k, v in vnet.items() if k not in ("properties", "etag", "id", "name", "type")}
    payload["properties"] = {**vnet["properties"], "subnets": subnets}
    return payload


@router.route("PUT", _SUBNET, op_class="write")
def put_subnet(ctx: Context, req: Request) -> Response:
    sub, _rg = _require_rg(ctx, req, writing=True)
    payload = req.json()
    vnet = _vnet(ctx, req)
    name = req.params["subnetName"]
    old = m.find_child(vnet, "subnets", name)
    check_preconditions(req, old)
    if old is not None:
        name = old["name"]
    new_item = {"name": name, "properties": dict(payload.get("properties") or {})}
    subnets = [
        s if s["name"].lower() != name.lower() else new_item for s in vnet["properties"].get("subnets") or []
    ]
    if old is None:
        subnets.append(new_item)
    body = m.normalize(
        ctx,
        collection="virtualNetworks",
        resource_id=vnet["id"],
        name=vnet["name"],
        payload=_vnet_payload(vnet, subnets),
        old=vnet,
    )
    for other in body["properties"]["subnets"]:  # other subnets keep their state
        prev = m.find_child(vnet, "subnets", other["name"])
        if prev is not None and other["name"].lower() != name.lower():
            other["properties"]["provisioningState"] = prev["properties"].get(
                "provisioningState", "Succeeded"
            )
    subnet = m.find_child(body, "subnets", name)
    assert subnet is not None
    subnet["properties"]["provisioningState"] = "Updating"
    m.apply_put(ctx, body, vnet)
    sid = subnet["id"]

    def settle(state: str) -> None:
        # A vnet write renews every subnet's etag, so settle on state, not etag.
        cur = m.resolve(ctx, sid)
        if cur is not None and cur["properties"].get("provisioningState") == "Updating":
            cur["properties"]["provisioningState"] = state

    op = ctx.lro.start(
        req,
        provider=m.NS,
        location=body["location"],
        subscription_id=sub,
        kind="network.create",
        resource_id=sid,
        on_succeed=lambda: settle("Succeeded"),
        on_fail=lambda _e: settle("Failed"),
    )
    headers = ctx.lro.accepted_headers(op, req, location=False)
    headers.update(_etag_headers(subnet))
    return Response.json(_out(subnet), status=200 if old is not None else 201, headers=headers)


@router.route("GET", _SUBNET, op_class="read")
def get_subnet(ctx: Context, req: Request) -> Response:
    _require_rg(ctx, req, writing=False)
    vnet = _vnet(ctx, req)
    subnet = m.find_child(vnet, "subnets", req.params["subnetName"])
    if subnet is None:
        raise _subnet_not_found(vnet, req.params["subnetName"])
    return Response.json(_out(subnet), headers=_etag_headers(subnet))


@router.route("GET", _SUBNETS, op_class="list")
def list_subnets(ctx: Context, req: Request) -> Response:
    _require_rg(ctx, req, writing=False)
    vnet = _vnet(ctx, req)
    items = [_out(s) for s in vnet["properties"].get("subnets") or []]
    return Response.json(paginate(req, items, ctx.page_size, ctx.base_url))


@router.route("DELETE", _SUBNET, op_class="delete")
def delete_subnet(ctx: Context, req: Request) -> Response:
    sub, _rg = _require_rg(ctx, req, writing=False)
    vnet = _vnet(ctx, req)
    subnet = m.find_child(vnet, "subnets", req.params["subnetName"])
    if subnet is None:
        return Response.empty(204)
    if subnet["properties"].get("ipConfigurations"):
        raise m.subnet_in_use(subnet)
    subnet["properties"]["provisioningState"] = "Deleting"
    vnet_id, sid, name = vnet["id"], subnet["id"], subnet["name"]

    def on_succeed() -> None:
        cur = ctx.store.get(vnet_id)
        if cur is None or m.find_child(cur, "subnets", name) is None:
            return
        kept = [s for s in cur["properties"].get("subnets") or [] if s["name"].lower() != name.lower()]
        states = {s["name"].lower(): s["properties"].get("provisioningState") for s in kept}
        body = m.normalize(
            ctx,
            collection="virtualNetworks",
            resource_id=cur["id"],
            name=cur["name"],
            payload=_vnet_payload(cur, kept),
            old=cur,
        )
        for s in body["properties"]["subnets"]:
            s["properties"]["provisioningState"] = states.get(s["name"].lower()) or "Succeeded"
        m.apply_put(ctx, body, cur)
        m.network_state(ctx)["private_ips"].pop(sid.lower(), None)

    def on_fail(_error: dict[str, Any]) -> None:
        cur = m.resolve(ctx, sid)
        if cur is not None:
            cur["properties"]["provisioningState"] = "Failed"

    op = ctx.lro.start(
        req,
        provider=m.NS,
        location=vnet["location"],
        subscription_id=sub,
        kind="network.delete",
        resource_id=sid,
        on_succeed=on_succeed,
        on_fail=on_fail,
    )
    return Response.empty(202, headers=ctx.lro.accepted_headers(op, req, location=True))
