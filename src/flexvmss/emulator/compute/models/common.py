"""Shared helpers of the compute provider: ids, bookkeeping, ETags, the SKU catalog and the
network interface.

Private bookkeeping lives in ``ctx.store.extra["compute"]`` as plain data (snapshots deep-copy
it): per VM its power state, the operation in flight, the last failure, its user data and
the order in which it was created; per scale set the VMs its profile created.
"""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

from ...core import ArmError, Context, PolicyResolver, Request, arm_id, parse_arm_id

__all__ = [
    "DISK_TYPE",
    "NS",
    "VMSS_TYPE",
    "VM_TYPE",
    "book",
    "bump_etag",
    "capability",
    "deep_merge",
    "find_sku",
    "flex_refused_sizes",
    "has_catalog",
    "is_mpu",
    "location_of",
    "max_fault_domains",
    "net",
    "next_seq",
    "norm_location",
    "put_policy",
    "require_rg",
    "resource_id",
    "rg_of",
    "same_id",
    "vm_state",
]

NS = "Microsoft.Compute"
VM_TYPE = "Microsoft.Compute/virtualMachines"
VMSS_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
DISK_TYPE = "Microsoft.Compute/disks"


def net() -> ModuleType:
    """The network provider's compute interface (``flexvmss.emulator.network._api``).

    Imported on use so the compute provider loads even where the network package does not
    exist yet; tests replace this function to isolate compute."""
    from ...network import api as _api

    return _api


def flex_refused_sizes() -> frozenset[str]:
    """VM sizes a Flexible set (or a VM referencing one) refuses, lower-cased.

    The list is the catalog package's model of Azure's server-side list; Standard_B1ls is
    the one size a public Azure error names (MicrosoftDocs/azure-docs#102050)."""
    try:
        from ...catalog import FLEX_REFUSED_SIZES
    except ImportError:
        return frozenset({"standard_b1ls"})
    return frozenset(s.lower() for s in FLEX_REFUSED_SIZES)


def book(ctx: Context) -> dict[str, Any]:
    """The compute provider's private bookkeeping in the store."""
    b: dict[str, Any] = ctx.store.extra.setdefault("compute", {})
    b.setdefault("vms", {})
    b.setdefault("sets", {})
    b.setdefault("seq", 0)
    b.setdefault("run_results", {})
    return b


def vm_state(ctx: Context, vm_id: str) -> dict[str, Any]:
    """Private state of one VM (created on first use)."""
    vms: dict[str, Any] = book(ctx)["vms"]
    st: dict[str, Any] = vms.setdefault(
        vm_id.lower(),
        {
            "power": "running",
            "token": None,
            "op_id": None,
            "op_kind": None,
            "failed": None,
            "userData": None,
            "seq": 0,
            "set": None,
            "nics": [],
        },
    )
    return st


def next_seq(ctx: Context) -> int:
    b = book(ctx)
    b["seq"] += 1
    seq: int = b["seq"]
    return seq


def norm_location(location: str) -> str:
    return location.replace(" ", "").lower()


def location_of(body: dict[str, Any]) -> str:
    loc = body.get("location")
    if not isinstance(loc, str) or not loc:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    return norm_location(loc)


def require_rg(ctx: Context, req: Request) -> dict[str, Any]:
    return ctx.store.require_rg(req.params["subscriptionId"], req.params["resourceGroupName"])


def resource_id(req: Request, type_name: str, name_param: str) -> str:
    """The id of the resource a request addresses, spelled as the caller spelled it."""
    return arm_id(
        req.params["subscriptionId"], req.params["resourceGroupName"], NS, type_name, req.params[name_param]
    )


def put_policy(type_name: str, name_param: str, *, create: str, update: str) -> PolicyResolver:
    """A PUT's throttling policy: ``create`` for a new resource, ``update`` when the PUT
    replaces one that exists (Compute charges a VM PUT on an existing VM to UpdateVM)."""

    def resolve(ctx: Context, req: Request) -> str:
        exists = ctx.store.get(resource_id(req, type_name, name_param)) is not None
        return update if exists else create

    return resolve


def same_id(a: str | None, b: str | None) -> bool:
    return (a or "").rstrip("/").lower() == (b or "").rstrip("/").lower()


def rg_of(resource_id_: str) -> str:
    parsed = parse_arm_id(resource_id_)
    return parsed["rg"] if parsed else ""


def bump_etag(body: dict[str, Any]) -> str:
    """Increment the quoted-integer ETag Compute uses (``"1"``, ``"2"``...)."""
    raw = str(body.get("etag", '"0"')).strip('"')
    try:
        n = int(raw)
    except ValueError:
        n = 0
    body["etag"] = f'"{n + 1}"'
    return str(body["etag"])


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into a copy of ``base``: dicts merge, anything else replaces, and an
    explicit ``None`` removes the key (how Compute treats a sparse PUT/PATCH)."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# --------------------------------------------------------------------------- catalog


def _items(ctx: Context, location: str) -> list[dict[str, Any]]:
    if not ctx.catalog:
        return []
    items: list[dict[str, Any]] = ctx.catalog.get(norm_location(location), [])
    return items


def has_catalog(ctx: Context, location: str) -> bool:
    """Whether the catalog describes ``location`` (no catalog: SKU checks are skipped)."""
    return bool(_items(ctx, location))


def find_sku(
    ctx: Context, location: str, name: str, resource_type: str = "virtualMachines"
) -> dict[str, Any] | None:
    for item in _items(ctx, location):
        if item.get("resourceType") == resource_type and str(item.get("name", "")).lower() == name.lower():
            return item
    return None


def capability(sku: dict[str, Any] | None, name: str) -> str | None:
    for cap in (sku or {}).get("capabilities", []) or []:
        if cap.get("name") == name:
            return str(cap.get("value"))
    return None


def is_mpu(ctx: Context, location: str, size: str) -> bool:
    """Whether ``size`` supports memory-preserving maintenance (unknown sizes count as yes)."""
    return capability(find_sku(ctx, location, size), "MemoryPreservingMaintenanceSupported") != "False"


def max_fault_domains(ctx: Context, location: str) -> int:
    """The region's maximum platform fault domain count (availabilitySets/Aligned), 3 if unknown."""
    value = capability(
        find_sku(ctx, location, "Aligned", "availabilitySets"), "MaximumPlatformFaultDomainCount"
    )
    try:
        return int(value) if value is not None else 3
    except ValueError:
        return 3
