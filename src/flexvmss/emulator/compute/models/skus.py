"""The Resource SKUs catalog as the compute provider reads it: sizes, capabilities, regions.

``ctx.catalog`` maps a lower-cased location to its SKU items in wire shape (see
:mod:`flexvmss.emulator.catalog`: real Resource SKUs data for 56 regions). Without a catalog
for a location, SKU checks are skipped.
"""

from __future__ import annotations

import re
from typing import Any

from ...core import ArmError, Context, norm_location

__all__ = [
    "capability",
    "filtered_location",
    "find_sku",
    "flex_refused_sizes",
    "has_catalog",
    "is_mpu",
    "list_skus",
    "max_fault_domains",
]

_LOCATION_FILTER = re.compile(r"^\s*location\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)


def flex_refused_sizes() -> frozenset[str]:
    """VM sizes a Flexible set (or a VM referencing one) refuses, lower-cased.

    The list is the catalog package's model of Azure's server-side list; Standard_B1ls is
    the one size a public Azure error names (MicrosoftDocs/azure-docs#102050)."""
    try:
        from ...catalog import FLEX_REFUSED_SIZES
    except ImportError:
        return frozenset({"standard_b1ls"})
    return frozenset(s.lower() for s in FLEX_REFUSED_SIZES)


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
    """The catalog's item (shared: do not change it) of ``resource_type`` called ``name``."""
    find = getattr(ctx.catalog, "find", None)
    if find is not None:
        item: dict[str, Any] | None = find(norm_location(location), resource_type, name)
        return item
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


def filtered_location(location_filter: str | None) -> str | None:
    """The location of a ``$filter=location eq '<loc>'`` (the only ``$filter`` the service
    supports: skus.json 2021-07-01), normalised; None without a filter; ARM's 400 for another."""
    if not location_filter:
        return None
    m = _LOCATION_FILTER.match(location_filter)
    if m is None:
        raise ArmError.invalid_parameter(
            f"The $filter '{location_filter}' is not supported. Only the location filter is supported "
            "currently.",
            target="$filter",
        )
    return norm_location(m.group(1))


def list_skus(ctx: Context, location_filter: str | None) -> list[dict[str, Any]]:
    """Every SKU of the catalog, or of one location with ``location eq '<loc>'``. The items are
    the catalog's own (the answer is only serialized, never changed)."""
    catalog: dict[str, list[dict[str, Any]]] = ctx.catalog or {}
    location = filtered_location(location_filter)
    if location is not None:
        return list(catalog.get(location, []))
    return [item for loc in catalog for item in catalog[loc]]
