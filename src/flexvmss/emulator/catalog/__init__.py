"""The emulator's Resource SKUs catalog (``GET /subscriptions/{sub}/providers/Microsoft.Compute/skus``).

:func:`load_catalog` expands the tables in :mod:`._data` into Resource SKU items in the
exact wire shape of API 2021-07-01 (string capability values, ``zoneDetails[].Name`` with a
capital N, ``restrictions`` always present), keyed by lower-case location without spaces.
Items are built fresh on each call, in a fixed order, so the catalog is deterministic and
callers may keep or change their copy.

:data:`FLEX_REFUSED_SIZES` names the sizes the emulator's compute provider refuses for
Flexible scale sets (the emulator's model of a service-side list Azure does not publish).
"""

from __future__ import annotations

from typing import Any

from ._data import DISKS, FLEX_REFUSED_SIZES, REGIONS, SIZES, DiskSku, Region, Size

__all__ = ["FLEX_REFUSED_SIZES", "load_catalog"]


def _flag(value: bool) -> str:
    return "True" if value else "False"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _capabilities(size: Size) -> list[dict[str, str]]:
    caps: list[tuple[str, str]] = [
        ("MaxResourceVolumeMB", str(size.resource_volume_mb)),
        ("OSVhdSizeMB", "1047552"),
        ("vCPUs", str(size.vcpus)),
    ]
    if size.mpu is not None:
        caps.append(("MemoryPreservingMaintenanceSupported", _flag(size.mpu)))
    caps += [
        ("HyperVGenerations", size.hyperv),
        ("MemoryGB", _number(size.memory_gb)),
        ("MaxDataDiskCount", str(size.max_data_disks)),
        ("CpuArchitectureType", size.arch),
        ("LowPriorityCapable", _flag(size.low_priority)),
        ("PremiumIO", _flag(size.premium_io)),
        ("VMDeploymentTypes", size.deployment_types),
        ("vCPUsAvailable", str(size.vcpus)),
    ]
    if size.gpus:
        caps.append(("GPUs", str(size.gpus)))
    caps.append(("vCPUsPerCore", str(size.vcpus_per_core)))
    if size.acus is not None:
        caps.append(("ACUs", str(size.acus)))
    caps += [
        ("EphemeralOSDiskSupported", _flag(size.ephemeral_os)),
        ("EncryptionAtHostSupported", _flag(size.encryption_at_host)),
        ("CapacityReservationSupported", "True"),
        ("DiskControllerTypes", "SCSI"),
        ("AcceleratedNetworkingEnabled", _flag(size.accelerated_networking)),
        ("RdmaEnabled", _flag(size.rdma)),
        ("MaxNetworkInterfaces", str(size.max_nics)),
    ]
    if size.confidential:
        caps.append(("ConfidentialComputingType", size.confidential))
    return [{"name": n, "value": v} for n, v in caps]


def _restriction(region: Region, zones: tuple[str, ...], reason: str) -> dict[str, Any]:
    info: dict[str, Any] = {"locations": [region.name]}
    if zones:
        info["zones"] = list(zones)
    return {
        "type": "Zone" if zones else "Location",
        "values": [region.name],
        "restrictionInfo": info,
        "reasonCode": reason,
    }


def _vm_item(region: Region, size: Size) -> dict[str, Any]:
    zones = dict(region.size_zones).get(size.name, region.zones)
    location_info: dict[str, Any] = {"location": region.name, "zones": list(zones), "zoneDetails": []}
    if size.ultra_ssd and zones:
        location_info["zoneDetails"] = [
            {"Name": list(zones), "capabilities": [{"name": "UltraSSDAvailable", "value": "True"}]}
        ]
    restrictions = [
        _restriction(region, r.zones, r.reason) for r in region.restrictions if r.size == size.name
    ]
    return {
        "resourceType": "virtualMachines",
        "name": size.name,
        "tier": "Standard",
        "size": size.size,
        "family": size.family,
        "locations": [region.name],
        "locationInfo": [location_info],
        "capabilities": _capabilities(size),
        "restrictions": restrictions,
    }


def _availability_set_items(region: Region) -> list[dict[str, Any]]:
    """The ``availabilitySets`` items: ``Aligned`` carries the region's fault-domain
    maximum (what Flex's ``platformFaultDomainCount`` is checked against)."""
    return [
        {
            "resourceType": "availabilitySets",
            "name": name,
            "locations": [region.name],
            "locationInfo": [{"location": region.name, "zones": [], "zoneDetails": []}],
            "capabilities": [{"name": "MaximumPlatformFaultDomainCount", "value": str(fds)}],
            "restrictions": [],
        }
        for name, fds in (("Classic", 3), ("Aligned", region.max_fault_domains))
    ]


def _disk_item(region: Region, disk: DiskSku) -> dict[str, Any]:
    restrictions = []
    if disk.zonal_only and not region.zones:
        restrictions.append(_restriction(region, (), "NotAvailableForSubscription"))
    return {
        "resourceType": "disks",
        "name": disk.name,
        "tier": disk.tier,
        "size": disk.size,
        "family": disk.family,
        "locations": [region.name],
        "locationInfo": [{"location": region.name, "zones": list(region.zones), "zoneDetails": []}],
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


def load_catalog() -> dict[str, list[dict[str, Any]]]:
    """Location (lower case, no spaces) -> the Resource SKU items offered there, in wire
    shape: VM sizes first, then ``availabilitySets``, then ``disks``."""
    catalog: dict[str, list[dict[str, Any]]] = {}
    for region in REGIONS:
        items = [_vm_item(region, size) for size in SIZES if size.name not in region.missing]
        items += _availability_set_items(region)
        items += [_disk_item(region, disk) for disk in DISKS]
        catalog[region.name] = items
    return catalog
