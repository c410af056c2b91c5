"""Resource groups (``Microsoft.Resources/resourceGroups``), as ARM serves them.

PUT is synchronous (201 new, 200 existing); HEAD answers 204/404 (``check_existence``);
DELETE answers 202 with a ``Location`` header only (no ``Azure-AsyncOperation``), pointing
at ``/subscriptions/{sub}/operationresults/{token}``, which answers 202 (+ retry hint) while
the group is being deleted and 200 once it is gone. azure-mgmt-resource's ``begin_delete``
polls exactly that ``Location``. When the operation completes, every resource in the group
goes, whatever its provider.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from ...core import ArmError, Context, Request, Response, Router, paginate, resources_removed

__all__ = ["router"]

router = Router()

_GROUPS = "/subscriptions/{subscriptionId}/resourcegroups"
_GROUP = _GROUPS + "/{resourceGroupName}"
_RESULTS = "/subscriptions/{subscriptionId}/operationresults/{operationToken}"
_TYPE = "Microsoft.Resources/resourceGroups"


def _state(ctx: Context) -> dict[str, Any]:
    """``store.extra["resources"]``: the delete operation id per group key."""
    st: dict[str, Any] = ctx.store.extra.setdefault("resources", {})
    st.setdefault("deletes", {})  # "sub/rg" (lower) -> operation id
    return st


def _key(sub: str, rg: str) -> str:
    return f"{sub.lower()}/{rg.lower()}"


def _body(group: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(group)


def _token(op_id: str, rg: str, location: str) -> str:
    """An opaque operation-results token shaped like ARM's (base64url JSON, no padding)."""
    raw = json.dumps(
        {
            "jobId": f"RESOURCEGROUPDELETIONJOB-{rg.upper()}-{location.upper()}",
            "jobLocation": location,
            "op": op_id,
        },
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _op_from_token(token: str) -> str | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    op = data.get("op") if isinstance(data, dict) else None
    return op if isinstance(op, str) else None


def _results_url(ctx: Context, req: Request, sub: str, op_id: str, rg: str, location: str) -> str:
    api = req.api_version or "2025-04-01"
    token = _token(op_id, rg, location)
    return f"{ctx.base_url.rstrip('/')}/subscriptions/{sub}/operationresults/{token}?api-version={api}"


@router.route("PUT", _GROUP, op_class="write")
def create_or_update(ctx: Context, req: Request) -> Response:
    sub, name = req.params["subscriptionId"], req.params["resourceGroupName"]
    payload = req.json()
    location = str(payload.get("location") or "").replace(" ", "").lower()
    if not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    existing = ctx.store.get_rg(sub, name)
    if existing is not None:
        if existing["properties"].get("provisioningState") == "Deleting":
            raise ArmError(
                409,
                "ResourceGroupBeingDeleted",
                f"The resource group '{existing['name']}' is in deprovisioning state and cannot perform this "
                "operation.",
            )
        if existing["location"] != location:
            raise ArmError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already exists in "
                f"location '{existing['location']}'.",
            )
        name = existing["name"]
    group: dict[str, Any] = {
        "id": f"/subscriptions/{sub}/resourceGroups/{name}",
        "name": name,
        "type": _TYPE,
        "location": location,
        "properties": {"provisioningState": "Succeeded"},
    }
    if payload.get("tags") is not None:
        group["tags"] = dict(payload["tags"])
    if payload.get("managedBy") is not None:
        group["managedBy"] = payload["managedBy"]
    ctx.store.resource_groups[(sub.lower(), name.lower())] = group
    return Response.json(_body(group), status=200 if existing is not None else 201)


@router.route("GET", _GROUP, op_class="read")
def get(ctx: Context, req: Request) -> Response:
    group = ctx.store.require_rg(req.params["subscriptionId"], req.params["resourceGroupName"])
    return Response.json(_body(group))


@router.route("HEAD", _GROUP, op_class="read")
def check_existence(ctx: Context, req: Request) -> Response:
    found = ctx.store.get_rg(req.params["subscriptionId"], req.params["resourceGroupName"]) is not None
    return Response.empty(204 if found else 404)


@router.route("PATCH", _GROUP, op_class="write")
def update(ctx: Context, req: Request) -> Response:
    group = ctx.store.require_rg(req.params["subscriptionId"], req.params["resourceGroupName"])
    payload = req.json()
    if payload.get("tags") is not None:
        group["tags"] = dict(payload["tags"])
    if payload.get("managedBy") is not None:
        group["managedBy"] = payload["managedBy"]
    return Response.json(_body(group))


@router.route("GET", _GROUPS, op_class="list")
def list_groups(ctx: Context, req: Request) -> Response:
    sub = req.params["subscriptionId"].lower()
    items = [_body(g) for (s, _n), g in ctx.store.resource_groups.items() if s == sub]
    return Response.json(paginate(req, items, ctx.page_size, ctx.base_url))


def _delete_contents(ctx: Context, sub: str, rg: str) -> None:
    """Remove every resource in the group. Network resources also drop the links and
    addresses they hold elsewhere, and a NIC in another group that a VM of this group
    held is released as a VM deletion releases it (detached, reserved for 180 s). The
    providers' removal hooks then hear of every id removed, to drop their private state."""
    from ...network import api as network_api
    from ...network.models import normalize as network

    prefix = f"/subscriptions/{sub}/resourcegroups/{rg}/".lower()
    bodies: list[dict[str, Any]] = list(ctx.store.in_resource_group(sub, rg))
    for body in bodies:
        if str(body.get("type", "")).lower().startswith("microsoft.network/"):
            network.forget(ctx, body)
        else:
            ctx.store.delete(body["id"])
    for nic in ctx.store.list("Microsoft.Network/networkInterfaces", subscription_id=sub):
        holder = str((nic.get("properties", {}).get("virtualMachine") or {}).get("id", ""))
        if holder.lower().startswith(prefix):
            network_api.release_nic(ctx, nic["id"], delete=False)
    resources_removed(ctx, [body["id"] for body in bodies])


@router.route("DELETE", _GROUP, op_class="delete")
def delete(ctx: Context, req: Request) -> Response:
    sub, name = req.params["subscriptionId"], req.params["resourceGroupName"]
    group = ctx.store.require_rg(sub, name)
    key = _key(sub, name)
    st = _state(ctx)
    op = ctx.lro.get(st["deletes"].get(key, ""))
    if op is None or op.terminal:
        group["properties"]["provisioningState"] = "Deleting"
        rg_name, location = group["name"], group["location"]

        def on_succeed() -> None:
            from ...network.models import normalize as network

            network.check_group_delete(ctx, sub, rg_name)
            _delete_contents(ctx, sub, rg_name)
            ctx.store.resource_groups.pop((sub.lower(), rg_name.lower()), None)
            st["deletes"].pop(key, None)

        def on_fail(_error: dict[str, Any]) -> None:
            current = ctx.store.get_rg(sub, rg_name)
            if current is not None:
                current["properties"]["provisioningState"] = "Succeeded"
            st["deletes"].pop(key, None)

        op = ctx.lro.start(
            req,
            provider="Microsoft.Resources",
            location=location,
            subscription_id=sub,
            kind="rg.delete",
            resource_id=group["id"],
            on_succeed=on_succeed,
            on_fail=on_fail,
        )
        st["deletes"][key] = op.id
    headers = {"Location": _results_url(ctx, req, sub, op.id, group["name"], group["location"])}
    headers.update(ctx.clock.retry_after_headers(ctx.lro.poll_hint(op)))
    return Response.empty(202, headers=headers)


@router.route("GET", _RESULTS, op_class="poll")
def operation_results(ctx: Context, req: Request) -> Response:
    """ARM's ``operationresults`` endpoint: 202 while running, 200 when done; a failed
    deletion answers with its error."""
    op_id = _op_from_token(req.params["operationToken"])
    op = ctx.lro.get(op_id) if op_id else None
    if op is None or op.subscription_id.lower() != req.params["subscriptionId"].lower():
        raise ArmError(404, "NotFound", "The operation result was not found.")
    if not op.terminal:
        headers = {
            "Location": f"{ctx.base_url.rstrip('/')}{req.path}?api-version={req.api_version or '2025-04-01'}"
        }
        headers.update(ctx.clock.retry_after_headers(ctx.lro.poll_hint(op)))
        return Response.empty(202, headers=headers)
    if op.status == "Succeeded":
        return Response.empty(200)
    error = op.error or {
        "code": "ResourceGroupDeletionFailed",
        "message": "The resource group deletion failed.",
    }
    return Response.json({"error": error}, status=409)
