"""The emulator's Resource SKUs catalog (``GET /subscriptions/{sub}/providers/Microsoft.Compute/skus``).

:func:`load_catalog` returns a :class:`Catalog`: a read-only mapping from a location (lower
case, no spaces) to its Resource SKU items in the exact wire shape of API 2021-07-01 (string
capability values, ``zoneDetails[].Name`` with a capital N, ``restrictions`` always present):

* ``virtualMachines``: every size the region offers, from real Resource SKUs data
  (:mod:`._records`; where the data has no full record, capabilities and zones are inferred and
  :func:`provenance` says so);
* ``availabilitySets``: ``Aligned`` with the region's MaximumPlatformFaultDomainCount from the
  data (left out where the data has none), and ``Classic`` (3, inferred);
* ``disks``: synthetic managed-disk SKUs (:mod:`._data`).

A location's items are built on first use and shared by every catalog in the process (they
are never changed: callers that want to change one copy it), with a by-name index for lookups.

:data:`FLEX_REFUSED_SIZES` names the sizes the emulator's compute provider refuses for
Flexible scale sets (the emulator's model of a service-side list Azure does not publish).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from ._data import DISKS, FLEX_REFUSED_SIZES, DiskSku
from ._records import max_fault_domains, provenance, regions, vm_items

__all__ = ["FLEX_REFUSED_SIZES", "Catalog", "load_catalog", "provenance"]


def _availability_set_items(region: str) -> list[dict[str, Any]]:
    """``Aligned`` carries the region's fault-domain maximum (what Flex's
    ``platformFaultDomainCount`` is checked against); ``Classic`` is 3 (inferred)."""
    rows = [("Classic", 3)]
    aligned = max_fault_domains(region)
    if aligned is not None:
        rows.append(("Aligned", aligned))
    return [
        {
            "resourceType": "availabilitySets",
            "name": name,
            "locations": [region],
            "locationInfo": [{"location": region, "zones": [], "zoneDetails": []}],
            "capabilities": [{"name": "MaximumPlatformFaultDomainCount", "value": str(fds)}],
            "restrictions": [],
        }
        for name, fds in rows
    ]


def _disk_item(region: str, zones: list[str], disk: DiskSku) -> dict[str, Any]:
    restrictions = []
    if disk.zonal_only and not zones:
        restrictions.append(
            {
                "type": "Location",
                "values": [region],
                "restrictionInfo": {"locations": [region]},
                "reasonCode": "NotAvailableForSubscription",
            }
        )
    return {
        "resourceType": "disks",
        "name": disk.name,
        "tier": disk.tier,
        "size": disk.size,
        "family": disk.family,
        "locations": [region],
        "locationInfo": [{"location": region, "zones": list(zones), "zoneDetails": []}],
        "capabilities": [
            {"name": "MaxSizeGiB", "value": str(disk.max_size_gib)},
            {"name": "MinSizeGiB", "value": "0"},
            {"name": "MaxIOps", "value": str(disk.max_iops)},
            {"name": "MinIOps", "value": "100" if disk.zonal_only else str(disk.max_iops)},
            {"name": "MaxBandwidthMBps", "value": str(disk.max_mbps)},
            {"name": "MinBandwidthMBps", "value": "1" if disk.zonal_only else str(disk.max_mbps)},
        ],
        "restrictions": restrictions,
    }


_BUILT: dict[str, tuple[list[dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]] = {}
_LOCK = threading.Lock()


def _build(region: str) -> tuple[list[dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
    """A region's items (VM sizes, then availability sets, then disks) and their index."""
    with _LOCK:
        built = _BUILT.get(region)
        if built is None:
            vms = vm_items(region)
            zones = sorted({z for item in vms for z in item["locationInfo"][0]["zones"]})
            items = [*vms, *_availability_set_items(region), *(_disk_item(region, zones, d) for d in DISKS)]
            index: dict[tuple[str, str], dict[str, Any]] = {}
            for item in items:
                index.setdefault((item["resourceType"].lower(), item["name"].lower()), item)
            built = _BUILT[region] = (items, index)
        return built


_SERIALIZED: dict[str, bytes] = {}


class Catalog(Mapping[str, list[dict[str, Any]]]):
    """Location -> its Resource SKU items (shared: do not change them), built on first use."""

    def __init__(self) -> None:
        self._regions = regions()

    def __getitem__(self, location: str) -> list[dict[str, Any]]:
        if location not in self._regions:
            raise KeyError(location)
        return _build(location)[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._regions)

    def __len__(self) -> int:
        return len(self._regions)

    def find(self, location: str, resource_type: str, name: str) -> dict[str, Any] | None:
        """The item of ``resource_type`` called ``name`` (case-insensitive) in ``location``."""
        if location not in self._regions:
            return None
        return _build(location)[1].get((resource_type.lower(), name.lower()))

    def answer(self, location: str) -> bytes:
        """The Resource SKUs list answer of ``location`` (``{"value": [...]}``), serialized once:
        the list of a region is read once per location by every client, and serializing its
        ~1,300 items costs more than anything else the read does."""
        with _LOCK:
            cached = _SERIALIZED.get(location)
        if cached is None:
            items = self[location] if location in self._regions else []
            cached = json.dumps({"value": items}, separators=(",", ":")).encode()
            with _LOCK:
                _SERIALIZED[location] = cached
        return cached


def load_catalog() -> Catalog:
    """The catalog of every region the data covers."""
    return Catalog()
