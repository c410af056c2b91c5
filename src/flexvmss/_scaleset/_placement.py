"""Where the set's VMs landed: how many of the capacity asked Azure placed, per zone, which VMs
failed to provision and why (a partial allocation: 100 asked, 80 placed), and, for a scaling
flexvmss drove, which VMs resilient VM create replaced under a new name.

Automatic zone placement places what capacity allows and leaves the rest failed to provision
([AZP] azure-compute-docs virtual-machine-scale-sets-automatic-zone-placement.md, 08/11/2026:
a partial allocation); resilient VM create deletes a VM whose creation timed out and makes it
again under a new name and id ([RCD] resilient-vm-create-delete.md, 01/06/2026). Azure lists
no record of such replacements: flexvmss sees one only as a VM that was listed while Azure
created the set's new VMs and is gone once it is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flexvmss._scaleset import _create
from flexvmss._scaleset._core import ScaleSetCore
from flexvmss._scaleset._values import ScaleSetInfo, VmInfo
from flexvmss._specs import dig

__all__ = ["PlacementReport", "ScaleResult", "placement", "scale"]


@dataclass(frozen=True)
class PlacementReport:
    """The set's capacity against what Azure placed.

    ``asked`` is the set's capacity (the VMs it holds, when Azure reports none); ``placed``
    counts VMs provisioned (``Succeeded``: every member, VMs added one by one too, which the
    capacity does not count), ``per_zone`` them by zone (``""`` for a regional VM); ``failed``
    maps each VM that failed to provision to the code its instance view gives
    (``ZonalAllocationFailed``, ``OSProvisioningTimedOut``, ...); ``in_progress`` counts VMs
    still being created, updated or deleted."""

    asked: int
    placed: int
    per_zone: Mapping[str, int] = field(default_factory=dict)
    failed: Mapping[str, str] = field(default_factory=dict)
    in_progress: int = 0

    @property
    def shortfall(self) -> int:
        """VMs asked for and not placed."""
        return max(0, self.asked - self.placed)

    def __str__(self) -> str:
        zones = ", ".join(f"zone {z or '-'}: {n}" for z, n in sorted(self.per_zone.items()))
        text = f"asked {self.asked}, placed {self.placed}" + (f" ({zones})" if zones else "")
        if self.failed:
            text += f"; {len(self.failed)} failed to provision"
        return text


@dataclass(frozen=True)
class ScaleResult:
    """What :meth:`~flexvmss.FlexScaleSet.scale` did: the set as Azure confirmed it, where its
    VMs are (:class:`PlacementReport`), the VMs added and removed, and ``replaced``: VMs that
    were listed while Azure created the new ones and were gone when it was done, in a set
    with resilient VM create (Azure replaced them under new names, which are among ``added``)."""

    scale_set: ScaleSetInfo
    placement: PlacementReport
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()


def _failure_code(vm: VmInfo) -> str:
    for status in dig(vm.raw, "properties", "instanceView", "statuses") or ():
        code = str((status or {}).get("code") or "")
        if code.lower().startswith("provisioningstate/failed"):
            return code.split("/", 2)[2] if code.count("/") >= 2 else "Failed"
    return "Failed"


def report(info: ScaleSetInfo, vms: list[VmInfo]) -> PlacementReport:
    per_zone: dict[str, int] = {}
    failed: dict[str, str] = {}
    placed = in_progress = 0
    for vm in vms:
        state = (vm.provisioning_state or "").lower()
        if state == "succeeded":
            placed += 1
            per_zone[vm.zone or ""] = per_zone.get(vm.zone or "", 0) + 1
        elif state == "failed":
            failed[vm.name] = _failure_code(vm)
        else:
            in_progress += 1
    asked = info.capacity if info.capacity is not None else len(vms)
    return PlacementReport(
        asked=asked, placed=placed, per_zone=per_zone, failed=failed, in_progress=in_progress
    )


async def placement(ss: ScaleSetCore) -> PlacementReport:
    """One GET of the set and one VM list with the instance view."""
    info = await ss._read_set()
    return report(info, await ss._read_vms(instance_view=True))


async def scale(ss: ScaleSetCore, capacity: int) -> ScaleResult:
    """:func:`_create.scale_to` with one VM list before, one once Azure accepted the change,
    and one (with the instance view) after."""
    before = {vm.name.lower(): vm.name for vm in await ss._read_vms()}
    seen: dict[str, str] = {}

    async def look() -> None:
        seen.update({vm.name.lower(): vm.name for vm in await ss._read_vms()})

    info = await _create.scale_to(ss, capacity, on_accepted=look)
    after_vms = await ss._read_vms(instance_view=True)
    after = {vm.name.lower(): vm.name for vm in after_vms}
    resilient = (
        dig(info.raw, "properties", "resiliencyPolicy", "resilientVMCreationPolicy", "enabled") is True
    )
    replaced = (
        tuple(name for key, name in seen.items() if key not in before and key not in after)
        if resilient
        else ()
    )
    return ScaleResult(
        scale_set=info,
        placement=report(info, after_vms),
        added=tuple(name for key, name in after.items() if key not in before),
        removed=tuple(name for key, name in before.items() if key not in after),
        replaced=replaced,
    )
