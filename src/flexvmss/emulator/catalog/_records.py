"""Resource SKU items for the VM sizes a region offers, from real Resource SKUs data.

``data/resource_skus.json.gz`` is built by ``scripts/build_sku_catalog.py`` from public
repositories, each pinned to a commit and dated in the file's ``sources`` (Azure's Karpenter
provider's generated SKU records and retail-price tables, cluster-autoscaler's size table,
sap-automation's fault-domain maxima, an ``az vm list-skus`` table for westus2). It says, per
region: the region's zones and ``availabilitySets/Aligned`` fault-domain maximum, and each size
offered there (with its zones and the recording subscription's restrictions where a source
gives them); per size: family, vCPUs, memory, GPUs, CPU architecture; and for the sizes a real
Resource SKU record covers, every capability.

Where the data has no full record of a size, the capabilities Flex decisions read are inferred
from the size's name and table row (:func:`inferred_capabilities`), and where it gives no zones
for a size, the size is offered in every zone of the region (inferred). :func:`provenance` says
which, per size and region.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from importlib.resources import files
from typing import Any

__all__ = [
    "FORMAT",
    "data",
    "inferred_capabilities",
    "max_fault_domains",
    "provenance",
    "regions",
    "vm_items",
]

#: The data file's format tag (``format`` field); another is refused.
FORMAT = "flexvmss-resource-skus/1"
#: Capabilities Azure reports per zone (``locationInfo[].zoneDetails``), not per size.
_ZONE_CAPABILITIES = ("UltraSSDAvailable",)


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    """The data file, parsed once per process."""
    raw = files("flexvmss.emulator.catalog").joinpath("data", "resource_skus.json.gz").read_bytes()
    parsed: dict[str, Any] = json.loads(gzip.decompress(raw))
    if parsed.get("format") != FORMAT:
        raise ValueError(f"resource_skus.json.gz has format {parsed.get('format')!r}, expected {FORMAT!r}")
    return parsed


def regions() -> list[str]:
    """The regions the data covers (lower case, no spaces), sorted."""
    return sorted(data()["regions"])


def max_fault_domains(region: str) -> int | None:
    """The region's ``availabilitySets/Aligned`` MaximumPlatformFaultDomainCount (sap-automation's
    table), None where the data has none."""
    value = (data()["regions"].get(region) or {}).get("maxFaultDomains")
    return int(value) if value is not None else None


_NAME = re.compile(r"^(?:Standard|Basic)_(?P<series>[A-Z]+)(?P<number>\d+)(?P<rest>[^_]*)(?P<tail>.*)$")


def _generation(name: str) -> int:
    m = re.search(r"_v(\d+)$", name)
    return int(m.group(1)) if m else 1


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def inferred_capabilities(name: str, spec: dict[str, Any]) -> dict[str, str]:
    """The capabilities Flex decisions read, for a size no real record covers: inferred from its
    name and table row. The rules follow what the real records of the data show (e.g. M and NC
    sizes without memory-preserving maintenance, A0/B sizes not Spot-capable, ``s`` sizes with
    premium storage) and the Flex docs (specialty G, H, L, M, N families without
    memory-preserving updates, flex-rules-now.md row 2; DCasv5/ECasv5 without, dcasv5-dcadsv5-series.md)."""
    m = _NAME.match(name)
    series = m.group("series") if m else ""
    suffix = (m.group("rest") if m else "").lower()
    generation = _generation(name)
    vcpus = int(spec.get("vCPUs") or 0)
    arch = spec.get("arch") or "x64"
    basic_or_a1 = name.startswith("Basic_") or (series == "A" and generation == 1)
    premium = "s" in suffix or series.endswith("S")
    confidential_amd = series in ("DC", "EC") and "a" in suffix and generation >= 5
    caps: dict[str, str] = {"vCPUs": str(vcpus), "vCPUsAvailable": str(vcpus)}
    if spec.get("memoryGB") is not None:
        caps["MemoryGB"] = _number(float(spec["memoryGB"]))
    if spec.get("gpus"):
        caps["GPUs"] = str(spec["gpus"])
    caps["CpuArchitectureType"] = arch
    caps["HyperVGenerations"] = (
        "V1" if basic_or_a1 else "V2" if arch == "Arm64" or generation >= 6 else "V1,V2"
    )
    caps["MemoryPreservingMaintenanceSupported"] = str(
        not (series[:1] in ("G", "H", "L", "M", "N") or confidential_amd)
    )
    caps["LowPriorityCapable"] = str(not (basic_or_a1 or series == "B"))
    caps["PremiumIO"] = str(premium)
    caps["AcceleratedNetworkingEnabled"] = str(not basic_or_a1 and vcpus >= 2)
    caps["EphemeralOSDiskSupported"] = str(premium and ("d" in suffix or generation <= 4))
    caps["MaxNetworkInterfaces"] = str(max(2, min(8, vcpus // 2)))
    return caps


def _restriction(region: str, raw: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {"locations": [region]}
    if raw.get("type") == "Zone":
        info["zones"] = [str(z) for z in raw.get("zones") or []]
    return {
        "type": raw.get("type", "Location"),
        "values": [region],
        "restrictionInfo": info,
        "reasonCode": raw.get("reasonCode", "NotAvailableForSubscription"),
    }


def _vm_item(region: str, region_zones: list[str], name: str, offer: dict[str, Any]) -> dict[str, Any]:
    spec = data()["sizes"][name]
    record = data()["capabilities"].get(name)
    # Values of a real record where one exists (a size's capabilities are the same in every
    # region); otherwise inferred from the size table.
    values = dict(record["values"]) if record else inferred_capabilities(name, spec)
    zone_caps = [{"name": k, "value": values.pop(k)} for k in _ZONE_CAPABILITIES if k in values]
    # The size's own zones where a record or table gives them; otherwise every zone of the
    # region (inferred).
    zones = [str(z) for z in offer["zones"]] if "zones" in offer else list(region_zones)
    location_info: dict[str, Any] = {"location": region, "zones": zones, "zoneDetails": []}
    if zone_caps and zones:
        location_info["zoneDetails"] = [{"Name": list(zones), "capabilities": zone_caps}]
    return {
        "resourceType": "virtualMachines",
        "name": name,
        "tier": "Basic" if name.startswith("Basic_") else "Standard",
        "size": spec["size"],
        "family": spec["family"],
        "locations": [region],
        "locationInfo": [location_info],
        "capabilities": [{"name": k, "value": str(v)} for k, v in values.items()],
        "restrictions": [_restriction(region, r) for r in offer.get("restrictions") or []],
    }


def provenance(region: str, name: str) -> dict[str, str] | None:
    """Where the item of size ``name`` in ``region`` comes from: its capabilities (a source id
    of the data, or ``"inferred"``), its zones (source ids, or ``"inferred"``) and the sources
    that offer it there. None when the region does not offer it."""
    offer = (data()["regions"].get(region) or {}).get("offered", {}).get(name)
    if offer is None:
        return None
    record = data()["capabilities"].get(name)
    return {
        "capabilities": record["src"] if record else "inferred",
        "zones": ",".join(s for s in offer["src"] if s != "pricing") if "zones" in offer else "inferred",
        "offered": ",".join(offer["src"]),
    }


def vm_items(region: str) -> list[dict[str, Any]]:
    """The ``virtualMachines`` Resource SKU items of ``region`` (empty for a region the data
    does not cover), in size-name order."""
    entry = data()["regions"].get(region)
    if entry is None:
        return []
    sizes = data()["sizes"]
    zones = [str(z) for z in entry.get("zones") or []]
    return [
        _vm_item(region, zones, name, offer)
        for name, offer in sorted(entry["offered"].items())
        if name in sizes
    ]
