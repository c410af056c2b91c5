"""Spot lifecycle: how many of the set's VMs are Regular, Spot and running, Spot and evicted,
against the set's priority mix; and bringing evicted VMs back (delete and recreate to the mix)
or cleaning them up.

An evicted Spot VM whose eviction policy is ``Deallocate`` stays in the set, stopped and
deallocated; it still counts toward the set's capacity, so the set's useful size silently
drops (poseidon/typhoon#1567). Azure shows such a VM as ``PowerState/deallocated``
([SPOT] azure-compute-docs use-spot.md: "VMs are stopped and deallocated"); a Spot VM a user
deallocated looks the same, so both count as evicted here. A ``Delete`` policy removes the VM
(its detached disks and NICs are an audit's business, :mod:`._audit`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flexvmss._fanout import BatchResult
from flexvmss._scaleset import _create, _teardown
from flexvmss._scaleset._core import Batch, ScaleSetCore
from flexvmss._scaleset._values import ScaleSetInfo, VmInfo
from flexvmss._specs import dig

__all__ = ["SpotReplacement", "SpotStatus", "replace_evicted", "spot_status"]


def _spot(priority: str | None) -> bool:
    # "Low" is the older name of Spot (REST spec VirtualMachinePriorityTypes)
    return str(priority or "").lower() in ("spot", "low")


@dataclass(frozen=True)
class SpotStatus:
    """The set's VMs by priority, against its Spot priority mix.

    ``regular``, ``spot_running`` and ``spot_evicted`` count VMs (``spot_evicted``: Spot VMs
    stopped and deallocated, whoever did it; ``evicted`` names them); ``spot_other`` counts Spot
    VMs in any other state (starting, stopping, failed). ``capacity`` is the set's; ``useful``
    is what serves (Regular VMs and running Spot VMs). ``wanted_regular`` and ``wanted_spot``
    are what the priority mix asks for at this capacity (None without a mix: rounding to the
    nearest VM is inferred, Azure does not document it); ``eviction_policy`` is the profile's
    (``Deallocate`` or ``Delete``)."""

    capacity: int
    regular: int
    spot_running: int
    spot_evicted: int
    spot_other: int
    wanted_regular: int | None
    wanted_spot: int | None
    eviction_policy: str | None
    evicted: tuple[str, ...] = ()

    @property
    def useful(self) -> int:
        """VMs that serve: Regular ones and running Spot ones."""
        return self.regular + self.spot_running


@dataclass(frozen=True)
class SpotReplacement:
    """What :meth:`~flexvmss.FlexScaleSet.replace_evicted` did: the deletion of the evicted
    VMs, and the set as Azure confirmed it after scaling back (None when only cleaning up)."""

    deleted: BatchResult
    scale_set: ScaleSetInfo | None


def wanted_regular(total: int, mix: Mapping[str, Any]) -> int:
    """Regular VMs a Spot priority mix asks for among ``total``: the base first, then the
    percentage of the rest ([SPM] spot-priority-mix.md; rounding to the nearest VM inferred)."""
    base = int(mix.get("baseRegularPriorityCount") or 0)
    pct = mix.get("regularPriorityPercentageAboveBase")
    percent = int(pct) if pct is not None else 50
    if total <= base:
        return total
    return base + math.floor((total - base) * percent / 100 + 0.5)


def _status(raw: Mapping[str, Any], vms: list[VmInfo]) -> SpotStatus:
    props = raw.get("properties") or {}
    mix = props.get("priorityMixPolicy")
    capacity = dig(raw, "sku", "capacity")
    capacity = int(capacity) if isinstance(capacity, int) else len(vms)
    regular = [vm for vm in vms if not _spot(vm.priority)]
    spot = [vm for vm in vms if _spot(vm.priority)]
    evicted = [vm for vm in spot if (vm.power_state or "") == "deallocated"]
    running = [vm for vm in spot if (vm.power_state or "") == "running"]
    want = wanted_regular(capacity, mix) if isinstance(mix, Mapping) else None
    return SpotStatus(
        capacity=capacity,
        regular=len(regular),
        spot_running=len(running),
        spot_evicted=len(evicted),
        spot_other=len(spot) - len(running) - len(evicted),
        wanted_regular=want,
        wanted_spot=capacity - want if want is not None else None,
        eviction_policy=dig(props, "virtualMachineProfile", "evictionPolicy"),
        evicted=tuple(vm.name for vm in evicted),
    )


async def spot_status(ss: ScaleSetCore) -> SpotStatus:
    """One GET of the set and one VM list with the instance view."""
    info = await ss._read_set()
    vms = await ss._read_vms(instance_view=True)
    return _status(info.raw, vms)


async def replace_evicted(ss: ScaleSetCore, *, recreate: bool, batch: Batch) -> SpotReplacement:
    """Delete the evicted Spot VMs (what they leave behind is tagged for the set first); with
    ``recreate``, scale the set back to the capacity it had, so Azure makes new VMs to the
    priority mix."""
    info = await ss._read_set()
    vms = await ss._read_vms(instance_view=True)
    status = _status(info.raw, vms)
    evicted = [vm for vm in vms if vm.name in set(status.evicted)]
    deleted = await _teardown.delete_members(ss, evicted, batch, force=False)  # from this read
    if not recreate or not status.evicted or not info.has_vm_profile:
        return SpotReplacement(deleted=deleted, scale_set=None)
    return SpotReplacement(deleted=deleted, scale_set=await _create.scale_to(ss, status.capacity))
