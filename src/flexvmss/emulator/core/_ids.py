"""Resource ids: building them and taking them apart, as ARM spells them."""

from __future__ import annotations

import re

__all__ = ["arm_id", "parse_arm_id"]

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
