"""The tables the emulator's Resource SKUs catalog is built from.

Figures follow the published size pages (vCPUs, memory, data disks, temp disk, NIC
counts, ACUs) closely enough to exercise real decisions; they are not a copy of Azure's
data. Regions, zones and restrictions are invented but shaped like Azure's: one region
without zones and a fault-domain maximum of 2, size restrictions by location and by zone.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DISKS", "FLEX_REFUSED_SIZES", "REGIONS", "SIZES", "DiskSku", "Region", "Restriction", "Size"]


@dataclass(frozen=True)
class Size:
    """One VM size. ``mpu`` is ``MemoryPreservingMaintenanceSupported``; None leaves the
    capability out of the item altogether (as Azure does for some sizes)."""

    name: str
    family: str
    vcpus: int
    memory_gb: float
    max_data_disks: int
    resource_volume_mb: int
    mpu: bool | None
    acus: int | None = None
    hyperv: str = "V1,V2"
    arch: str = "x64"
    premium_io: bool = True
    low_priority: bool = True
    ephemeral_os: bool = False
    encryption_at_host: bool = True
    accelerated_networking: bool = True
    rdma: bool = False
    max_nics: int = 2
    vcpus_per_core: int = 2
    deployment_types: str = "IaaS"
    gpus: int = 0
    confidential: str | None = None
    ultra_ssd: bool = False

    @property
    def size(self) -> str:
        return self.name.split("_", 1)[1]


# fmt: off
SIZES: tuple[Size, ...] = (
    # A: entry level
    Size("Standard_A2_v2", "standardAv2Family", 2, 4, 4, 20480, True, acus=100, hyperv="V1",
         premium_io=False, encryption_at_host=False, accelerated_networking=False, vcpus_per_core=1,
         deployment_types="PaaS,IaaS"),
    # B: burstable (no Spot)
    Size("Standard_B1ls", "standardBSFamily", 1, 0.5, 2, 4096, True, low_priority=False,
         accelerated_networking=False, vcpus_per_core=1),
    Size("Standard_B2s", "standardBSFamily", 2, 4, 4, 8192, True, low_priority=False,
         accelerated_networking=False, vcpus_per_core=1, max_nics=3),
    Size("Standard_B2ms", "standardBSFamily", 2, 8, 4, 16384, True, low_priority=False,
         accelerated_networking=False, vcpus_per_core=1, max_nics=3),
    # D: general purpose
    Size("Standard_D2s_v5", "standardDSv5Family", 2, 8, 4, 0, True, acus=195, ultra_ssd=True),
    Size("Standard_D4s_v5", "standardDSv5Family", 4, 16, 8, 0, True, acus=195, ultra_ssd=True),
    Size("Standard_D8s_v5", "standardDSv5Family", 8, 32, 16, 0, True, acus=195, max_nics=4, ultra_ssd=True),
    Size("Standard_D2as_v5", "standardDASv5Family", 2, 8, 4, 0, True, acus=230),
    Size("Standard_D2ds_v5", "standardDDSv5Family", 2, 8, 4, 76800, True, acus=195, ephemeral_os=True,
         ultra_ssd=True),
    Size("Standard_D2_v3", "standardDv3Family", 2, 8, 4, 51200, True, acus=160, premium_io=False,
         ephemeral_os=True, accelerated_networking=False, deployment_types="PaaS,IaaS"),
    Size("Standard_D2ps_v5", "standardDPSv5Family", 2, 8, 4, 0, True, hyperv="V2", arch="Arm64",
         vcpus_per_core=1),
    # E: memory optimised
    Size("Standard_E2s_v5", "standardESv5Family", 2, 16, 4, 0, True, acus=195, ultra_ssd=True),
    Size("Standard_E4s_v5", "standardESv5Family", 4, 32, 8, 0, True, acus=195, ultra_ssd=True),
    # F: compute optimised
    Size("Standard_F2s_v2", "standardFSv2Family", 2, 4, 4, 16384, True, acus=195, ephemeral_os=True),
    Size("Standard_F4s_v2", "standardFSv2Family", 4, 8, 8, 32768, True, acus=195, ephemeral_os=True),
    # Specialty sizes: no memory-preserving maintenance.
    Size("Standard_GS1", "standardGSFamily", 2, 28, 8, 57344, False, acus=180, hyperv="V1",
         accelerated_networking=False, vcpus_per_core=1, ephemeral_os=True, encryption_at_host=False),
    Size("Standard_HB120rs_v3", "standardHBrsv3Family", 120, 448, 32, 491520, False, hyperv="V1,V2",
         rdma=True, max_nics=8, vcpus_per_core=1, ephemeral_os=True, encryption_at_host=False),
    Size("Standard_HC44rs", "standardHCSFamily", 44, 352, 4, 716800, False, hyperv="V1,V2", rdma=True,
         max_nics=4, vcpus_per_core=1, ephemeral_os=True, encryption_at_host=False),
    Size("Standard_L8s_v3", "standardLSv3Family", 8, 64, 16, 81920, False, acus=195, max_nics=4,
         ephemeral_os=True, ultra_ssd=True),
    Size("Standard_M8ms", "standardMSFamily", 8, 218.75, 8, 256000, False, acus=160, max_nics=4,
         ephemeral_os=True, ultra_ssd=True),
    Size("Standard_M128s", "standardMSFamily", 128, 2048, 64, 4194304, False, acus=160, max_nics=8,
         ephemeral_os=True, ultra_ssd=True),
    Size("Standard_NC6s_v3", "standardNCSv3Family", 6, 112, 12, 344064, False, gpus=1, max_nics=4,
         vcpus_per_core=1, ephemeral_os=True, encryption_at_host=False, accelerated_networking=False),
    Size("Standard_NV12s_v3", "standardNVSv3Family", 12, 112, 12, 344064, False, gpus=1, max_nics=4,
         ephemeral_os=True),
    Size("Standard_ND40rs_v2", "standardNDSv2Family", 40, 672, 32, 2969600, False, gpus=8, rdma=True,
         max_nics=8, ephemeral_os=True, encryption_at_host=False),
    # Confidential (AMD SEV-SNP): the capability is absent, not "False".
    Size("Standard_DC2as_v5", "standardDCASv5Family", 2, 8, 4, 0, None, hyperv="V2", confidential="SNP"),
)
# fmt: on

#: Sizes Azure refuses for Flexible scale sets and the VMs in them, whatever the region.
#: Azure publishes no such flag in Resource SKUs: this set is the emulator's model of the
#: service-side list, from the error "Virtual Machine Scale Sets with Flexible Orchestration
#: Mode ... cannot use VM Size 'Standard_B1ls'" (MicrosoftDocs/azure-docs#102050).
FLEX_REFUSED_SIZES: frozenset[str] = frozenset({"Standard_B1ls"})


@dataclass(frozen=True)
class Restriction:
    """A size unavailable to the subscription in a whole region (``zones`` empty) or in
    some zones of it."""

    size: str
    zones: tuple[str, ...] = ()
    reason: str = "NotAvailableForSubscription"


@dataclass(frozen=True)
class Region:
    name: str
    zones: tuple[str, ...]
    max_fault_domains: int
    #: Sizes not offered in the region at all.
    missing: frozenset[str] = frozenset()
    #: Sizes offered in fewer zones than the region has.
    size_zones: tuple[tuple[str, tuple[str, ...]], ...] = ()
    restrictions: tuple[Restriction, ...] = ()


REGIONS: tuple[Region, ...] = (
    Region(
        "eastus",
        ("1", "2", "3"),
        3,
        size_zones=(("Standard_HB120rs_v3", ("1", "2")), ("Standard_ND40rs_v2", ("2",))),
        restrictions=(Restriction("Standard_M128s"),),
    ),
    Region(
        "westeurope",
        ("1", "2", "3"),
        3,
        missing=frozenset({"Standard_HC44rs"}),
        restrictions=(Restriction("Standard_D8s_v5", ("3",)),),
    ),
    Region(
        "westus2",
        ("1", "2", "3"),
        3,
        missing=frozenset({"Standard_GS1"}),
        size_zones=(("Standard_L8s_v3", ("1", "3")),),
        restrictions=(Restriction("Standard_E4s_v5", ("2",)),),
    ),
    Region(
        "westcentralus",
        (),
        2,
        missing=frozenset(
            {"Standard_HB120rs_v3", "Standard_HC44rs", "Standard_M128s", "Standard_ND40rs_v2", "Standard_GS1"}
        ),
        restrictions=(Restriction("Standard_NV12s_v3"),),
    ),
)


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
