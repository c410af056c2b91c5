"""Resource ids: building them and taking them apart, as ARM spells them."""

from __future__ import annotations

import re
from typing import Any

from ._errors import ArmError

__all__ = ["arm_id", "location_of", "norm_location", "parse_arm_id", "rg_of", "same_id", "top_id"]

_ID_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/(?P<ns>[^/]+)/(?P<rest>.+)$",
    re.IGNORECASE,
)


def arm_id(subscription_id: str, resource_group: str, namespace: str, *type_name_pairs: str) -> str:
    """Build a resource id: ``arm_id(sub, rg, "Microsoft.Compute", "virtualMachines", "vm1")``.

    Child resources add pairs: ``arm_id(sub, rg, "Microsoft.Network", "virtualNetworks", "v",
    "subnets", "s")``.
    """
    if len(type_name_pairs) % 2:
        raise ValueError("type_name_pairs must come in (type, name) pairs")
    tail = "/".join(type_name_pairs)
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{namespace}/{tail}"


def parse_arm_id(resource_id: str) -> dict[str, str] | None:
    """Split a resource id into ``sub``, ``rg``, ``namespace``, ``type`` (top-level type),
    ``name`` (top-level name) and ``child`` (the remainder after the top-level name, or "").
    Returns None when ``resource_id`` is not a resource-group-scoped id."""
    m = _ID_RE.match(resource_id or "")
    if not m:
        return None
    parts = m.group("rest").split("/")
    if len(parts) < 2:
        return None
    return {
        "sub": m.group("sub"),
        "rg": m.group("rg"),
        "namespace": m.group("ns"),
        "type": parts[0],
        "name": parts[1],
        "child": "/".join(parts[2:]),
    }


def top_id(resource_id: str) -> str | None:
    """The id of the top-level resource ``resource_id`` is (or is inside): a subnet's id gives
    its virtual network's. None when ``resource_id`` is not a resource-group-scoped id."""
    p = parse_arm_id(resource_id)
    if p is None:
        return None
    return arm_id(p["sub"], p["rg"], p["namespace"], p["type"], p["name"])


def rg_of(resource_id: str) -> str:
    """The resource group named in ``resource_id`` ("" when it names none)."""
    parsed = parse_arm_id(resource_id)
    return parsed["rg"] if parsed else ""


def same_id(a: str | None, b: str | None) -> bool:
    """Whether two ids name the same resource (ARM ids are case-insensitive)."""
    return (a or "").rstrip("/").lower() == (b or "").rstrip("/").lower()


def norm_location(location: str) -> str:
    """A location as ARM stores it: ``"East US"`` -> ``"eastus"``."""
    return location.replace(" ", "").lower()


def location_of(body: dict[str, Any]) -> str:
    """A request body's ``location``, normalised; ARM's ``LocationRequired`` when it is
    missing or not a string."""
    loc = body.get("location")
    if not isinstance(loc, str) or not loc:
        raise ArmError.location_required()
    return norm_location(loc)
