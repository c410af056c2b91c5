"""The hand-written parts of the Resource SKUs catalog: the managed-disk SKUs (synthetic, shaped
like Azure's) and the sizes Flex refuses. VM sizes, zones, restrictions and fault-domain maxima
come from public data (``data/resource_skus.json.gz``, see :mod:`._records`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DISKS", "FLEX_REFUSED_SIZES", "DiskSku"]


#: Sizes Azure refuses for Flexible scale sets and the VMs in them, whatever the region.
#: Azure publishes no such flag in Resource SKUs: this set is the emulator's model of the
#: service-side list, from the error "Virtual Machine Scale Sets with Flexible Orchestration
#: Mode ... cannot use VM Size 'Standard_B1ls'" (MicrosoftDocs/azure-docs#102050).
FLEX_REFUSED_SIZES: frozenset[str] = frozenset({"Standard_B1ls"})


@dataclass(frozen=True)
class DiskSku:
    name: str
    tier: str
    size: str
    family: str
    max_size_gib: int
    max_iops: int
    max_mbps: int
    zonal_only: bool = False


DISKS: tuple[DiskSku, ...] = (
    DiskSku("Premium_LRS", "Premium", "P10", "PremiumSSD", 128, 500, 100),
    DiskSku("Premium_LRS", "Premium", "P30", "PremiumSSD", 1024, 5000, 200),
    DiskSku("StandardSSD_LRS", "Standard", "E10", "StandardSSD", 128, 500, 60),
    DiskSku("Standard_LRS", "Standard", "S10", "StandardHDD", 128, 500, 60),
    DiskSku("UltraSSD_LRS", "Ultra", "Ultra", "UltraSSD", 65536, 400000, 10000, zonal_only=True),
)
