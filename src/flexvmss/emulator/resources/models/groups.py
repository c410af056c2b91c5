"""Resource groups (``Microsoft.Resources/resourceGroups``): their bodies, and their
deletion, which takes every resource in the group with it, whatever its provider.

A group deletion asks every mounted provider first (``Provider.check_group_delete``: the
network provider refuses while a resource of the group is used from outside it), then
removes each resource through its owner (``Provider.remove``, else the body goes), and
finally tells every provider which ids went (``Provider.forget``). The deletion runs as an
operation that ARM's ``operationresults`` endpoint reports, through an opaque token.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ...core import ArmError, Context, Operation, Request

__all__ = ["TYPE", "delete_group", "operation_of", "put_group", "update_group"]

TYPE = "Microsoft.Resources/resourceGroups"


def _state(ctx: Context) -> dict[str, Any]:
    """``store.extra["resources"]``: the delete operation id per group key."""
    st: dict[str, Any] = ctx.store.extra.setdefault("resources", {})
    st.setdefault("deletes", {})  # "sub/rg" (lower) -> operation id
    return st


def _key(sub: str, rg: str) -> str:
    return f"{sub.lower()}/{rg.lower()}"


def token(op_id: str, rg: str, location: str) -> str:
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


def operation_of(ctx: Context, subscription_id: str, op_token: str) -> Operation:
    """The deletion an operation-results token names; ARM's 404 when there is none."""
    try:
        data = json.loads(base64.urlsafe_b64decode(op_token + "=" * (-len(op_token) % 4)))
    except (ValueError, UnicodeDecodeError):
        data = None
    op_id = data.get("op") if isinstance(data, dict) else None
    op = ctx.lro.get(op_id) if isinstance(op_id, str) and op_id else None
    if op is None or op.subscription_id.lower() != subscription_id.lower():
        raise ArmError(404, "NotFound", "The operation result was not found.")
    return op


def put_group(ctx: Context, sub: str, name: str, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Create or update a group (synchronously); returns its body and whether it is new."""
    location = str(payload.get("location") or "").replace(" ", "").lower()
    if not location:
        raise ArmError.location_required()
    existing = ctx.store.get_rg(sub, name)
    if existing is not None:
        if existing["properties"].get("provisioningState") == "Deleting":
            raise ArmError.resource_group_being_deleted(existing["name"])
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
        "type": TYPE,
        "location": location,
        "properties": {"provisioningState": "Succeeded"},
    }
    if payload.get("tags") is not None:
        group["tags"] = dict(payload["tags"])
    if payload.get("managedBy") is not None:
        group["managedBy"] = payload["managedBy"]
    ctx.store.resource_groups[(sub.lower(), name.lower())] = group
    return group, existing is None


def update_group(group: dict[str, Any], payload: dict[str, Any]) -> None:
    """A PATCH changes tags and ``managedBy`` only."""
    if payload.get("tags") is not None:
        group["tags"] = dict(payload["tags"])
    if payload.get("managedBy") is not None:
        group["managedBy"] = payload["managedBy"]


def _delete_contents(ctx: Context, sub: str, rg: str) -> None:
    """Remove every resource in the group, each through the provider that owns it; then
    every provider hears of the ids removed, to drop its private state."""
    bodies: list[dict[str, Any]] = list(ctx.store.in_resource_group(sub, rg))
    for body in bodies:
        owner = ctx.owner_of(str(body.get("type", "")))
        if owner is not None and owner.remove is not None:
            owner.remove(ctx, body)
        else:
            ctx.store.delete(body["id"])
    ids = [body["id"].lower() for body in bodies]
    if not ids:
        return
    for provider in ctx.providers:
        if provider.forget is not None:
            provider.forget(ctx, ids)


def delete_group(ctx: Context, request: Request, group: dict[str, Any], sub: str) -> Operation:
    """Start deleting a group, or return the deletion already running."""
    key = _key(sub, group["name"])
    st = _state(ctx)
    op = ctx.lro.get(st["deletes"].get(key, ""))
    if op is not None and not op.terminal:
        return op
    group["properties"]["provisioningState"] = "Deleting"
    rg_name, location = group["name"], group["location"]

    def on_succeed() -> None:
        for provider in ctx.providers:
            if provider.check_group_delete is not None:
                provider.check_group_delete(ctx, sub, rg_name)
        _delete_contents(ctx, sub, rg_name)
        ctx.store.resource_groups.pop((sub.lower(), rg_name.lower()), None)
        st["deletes"].pop(key, None)

    def on_fail(_error: dict[str, Any]) -> None:
        current = ctx.store.get_rg(sub, rg_name)
        if current is not None:
            current["properties"]["provisioningState"] = "Succeeded"
        st["deletes"].pop(key, None)

    op = ctx.lro.start(
        request,
        provider="Microsoft.Resources",
        location=location,
        subscription_id=sub,
        kind="rg.delete",
        resource_id=group["id"],
        on_succeed=on_succeed,
        on_fail=on_fail,
    )
    st["deletes"][key] = op.id
    return op
