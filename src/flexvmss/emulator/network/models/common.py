"""The ``Microsoft.Network`` provider's types, bookkeeping and lookups.

Every network resource lives in :attr:`Store.resources` as the body GET returns. Child
resources (subnets, ip configurations, backend pools, rules...) live inline in their parent
body, as Azure returns them, each with its own ``id``, ``type`` and ``etag``. What Azure does
not return (address tables, NIC reservations) lives in ``store.extra["network"]``.
"""

from __future__ import annotations

from typing import Any

from ...core import ArmError, Context, arm_id, parse_arm_id

__all__ = [
    "BACKREF_FIELDS",
    "CHILD_TYPES",
    "NS",
    "RESERVATION_SECONDS",
    "TOP_TYPES",
    "child_type",
    "find_child",
    "full_type",
    "id_of",
    "invalid_reference",
    "network_state",
    "resolve",
]

NS = "Microsoft.Network"

#: URL collection segment -> resource type, for the top-level resources this provider serves.
TOP_TYPES: dict[str, str] = {
    "virtualNetworks": f"{NS}/virtualNetworks",
    "natGateways": f"{NS}/natGateways",
    "publicIPAddresses": f"{NS}/publicIPAddresses",
    "networkInterfaces": f"{NS}/networkInterfaces",
    "networkSecurityGroups": f"{NS}/networkSecurityGroups",
    "loadBalancers": f"{NS}/loadBalancers",
}

#: Child collections kept inline in their parent's ``properties``, per parent collection.
CHILD_TYPES: dict[str, tuple[str, ...]] = {
    "virtualNetworks": ("subnets",),
    "networkInterfaces": ("ipConfigurations",),
    "networkSecurityGroups": ("securityRules", "defaultSecurityRules"),
    "loadBalancers": (
        "frontendIPConfigurations",
        "backendAddressPools",
        "loadBalancingRules",
        "probes",
        "inboundNatRules",
        "inboundNatPools",
        "outboundRules",
    ),
}

#: Emulated seconds a NIC stays reserved for the VM that used it after that VM is deleted.
RESERVATION_SECONDS = 180.0


def full_type(collection: str) -> str:
    """``"virtualNetworks"`` -> ``"Microsoft.Network/virtualNetworks"`` (case-insensitive in)."""
    for seg, t in TOP_TYPES.items():
        if seg.lower() == collection.lower():
            return t
    raise KeyError(collection)


def child_type(parent_collection: str, child_collection: str) -> str:
    return f"{full_type(parent_collection)}/{child_collection}"


def network_state(ctx: Context) -> dict[str, Any]:
    """The provider's bookkeeping in ``store.extra["network"]`` (snapshotted with the store)."""
    st: dict[str, Any] = ctx.store.extra.setdefault("network", {})
    st.setdefault("private_ips", {})  # subnet id (lower) -> {ip: owner ip-configuration id (lower)}
    st.setdefault("private_hint", {})  # subnet id (lower) -> lowest address (int) that may be free
    st.setdefault("public_ip_next", 4)  # next offset in the fake public pool
    st.setdefault("nic_reserved", {})  # nic id (lower) -> {"until": emulated s, "vm": vm id}
    return st


def find_child(parent: dict[str, Any], collection: str, name: str) -> dict[str, Any] | None:
    for item in parent.get("properties", {}).get(collection) or []:
        if str(item.get("name", "")).lower() == name.lower():
            return item  # type: ignore[no-any-return]
    return None


def resolve(ctx: Context, resource_id: str) -> dict[str, Any] | None:
    """The body for ``resource_id``: a stored top-level resource, or a child inside one
    (``.../virtualNetworks/v/subnets/s``). None if either is missing."""
    p = parse_arm_id(resource_id)
    if p is None:
        return None
    top = ctx.store.get(arm_id(p["sub"], p["rg"], p["namespace"], p["type"], p["name"]))
    if top is None or not p["child"]:
        return top
    parts = p["child"].split("/")
    if len(parts) != 2:
        return None
    return find_child(top, parts[0], parts[1])


#: Back-reference fields per (lower-cased) type: read-only, never taken from a request.
BACKREF_FIELDS: dict[str, tuple[str, ...]] = {
    f"{NS}/virtualNetworks/subnets".lower(): ("ipConfigurations",),
    f"{NS}/publicIPAddresses".lower(): ("ipConfiguration", "natGateway"),
    f"{NS}/loadBalancers/backendAddressPools".lower(): ("backendIPConfigurations",),
    f"{NS}/loadBalancers/inboundNatRules".lower(): ("backendIPConfiguration",),
    f"{NS}/networkSecurityGroups".lower(): ("networkInterfaces", "subnets"),
    f"{NS}/natGateways".lower(): ("subnets",),
}


def id_of(value: Any) -> str | None:
    """The ``id`` of a ``{"id": ...}`` reference, or None."""
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
        return str(value["id"])
    return None


def invalid_reference(target: str, source: str) -> ArmError:
    """Azure's 400 for a reference to a resource that does not exist (or is elsewhere)."""
    return ArmError(
        400,
        "InvalidResourceReference",
        f"Resource {target} referenced by resource {source} was not found. Please make sure that the "
        "referenced resource exists, and that both resources are in the same region.",
        details=[],
    )
