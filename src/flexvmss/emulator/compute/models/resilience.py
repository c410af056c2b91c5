"""A Flexible set's resiliency policies and zone placement, at the level Azure's pages describe
them, and the platform conditions a test sets up to exercise them.

Sources (MicrosoftDocs/azure-compute-docs, the dates of the versions read):

* [RCD] ``resilient-vm-create-delete.md`` (01/06/2026): with ``resilientVMCreationPolicy``
  a VM of the set's profile whose creation fails with ``OSProvisioningTimedOut`` or
  ``VMStartTimedOut`` is deleted and created again, **under a new name and id**; other
  failures are not retried; VMs created one by one are not covered. With
  ``resilientVMDeletionPolicy`` a VM deletion that fails transiently is retried (up to five
  times).
* [AZB] ``auto-zone-balance-overview.md`` (04/18/2025): with
  ``automaticZoneRebalancingPolicy`` Azure moves VMs from the most to the least populated zone,
  at most one VM every 12 hours, creating the new VM (new name, NIC and disks) before deleting
  the old one.
* [AZP] ``virtual-machine-scale-sets-automatic-zone-placement.md`` (08/11/2026): with
  ``placement.zonePlacementPolicy: Auto`` Azure picks the zones (``includeZones`` /
  ``excludeZones``, ``zoneAllocationPolicy.maxZoneCount``, ``maxInstancePercentPerZonePolicy``,
  50 percent by default); when capacity cannot satisfy the policy it places what fits and the
  other VMs fail to provision (a partial allocation).

What a test sets up (``Emulator.limit_zone_capacity``, ``Emulator.fail_vm_provisioning``,
``Emulator.fail_vm_deletion``)
stands in for Azure's capacity and for a guest that never reports ready. Inferred, for lack
of a recording: the error codes of a VM that finds no room (``ZonalAllocationFailed``, Azure's
code for a zonal allocation failure in its allocation-failure troubleshooting page), that the
set's operation still succeeds with such VMs left ``Failed`` (the page's "partial allocation"),
and that a set with a fixed zones list without strict zone balance uses another of its zones
when one is full (best-effort balance, virtual-machine-scale-sets-use-availability-zones).
"""

from __future__ import annotations

import math
from typing import Any

from ...core import Context, norm_location
from .state import book, profile_vms, set_book

__all__ = [
    "RETRIED_BY_RESILIENT_CREATE",
    "auto_placement",
    "deletion_outcome",
    "pick_zone",
    "policy_enabled",
    "take_provisioning_failure",
    "zone_capacity",
]

#: The creation failures resilient VM create retries [RCD].
RETRIED_BY_RESILIENT_CREATE = frozenset({"OSProvisioningTimedOut", "VMStartTimedOut"})
#: Zones of a region where automatic placement may put VMs when none are named (inferred: the
#: emulator's regions have three zones, as its catalog says).
REGION_ZONES = ("1", "2", "3")
#: The share of a set one zone may hold by default under automatic placement [AZP].
DEFAULT_MAX_PERCENT_PER_ZONE = 50

NO_ROOM = {
    "code": "ZonalAllocationFailed",
    "message": "Allocation failed. We do not have sufficient capacity for the requested VM size in "
    "this zone. Read more about improving likelihood of allocation success at "
    "http://aka.ms/allocation-guidance",
}


def policy_enabled(vmss: dict[str, Any], name: str) -> bool:
    policy = ((vmss.get("properties") or {}).get("resiliencyPolicy") or {}).get(name) or {}
    return isinstance(policy, dict) and policy.get("enabled") is True


def auto_placement(vmss: dict[str, Any]) -> dict[str, Any] | None:
    placement = vmss.get("placement")
    if isinstance(placement, dict) and str(placement.get("zonePlacementPolicy") or "").lower() == "auto":
        return placement
    return None


def _platform(ctx: Context) -> dict[str, Any]:
    state: dict[str, Any] = book(ctx).setdefault("platform", {})
    state.setdefault("zone_capacity", {})
    return state


def zone_capacity(ctx: Context, location: str) -> dict[str, int]:
    """The most VMs each zone of ``location`` can hold (a zone not named has no limit)."""
    limits: dict[str, int] = _platform(ctx)["zone_capacity"].get(norm_location(location), {})
    return limits


def set_zone_capacity(ctx: Context, location: str, limits: dict[str, int]) -> None:
    _platform(ctx)["zone_capacity"][norm_location(location)] = {str(z): int(n) for z, n in limits.items()}


def _vms_in_zone(ctx: Context, location: str, zone: str) -> int:
    count = 0
    for vm in ctx.store.list("Microsoft.Compute/virtualMachines"):
        if norm_location(str(vm.get("location") or "")) == norm_location(location) and zone in (
            vm.get("zones") or []
        ):
            count += 1
    return count


def _room(ctx: Context, location: str, zone: str) -> bool:
    limit = zone_capacity(ctx, location).get(zone)
    return limit is None or _vms_in_zone(ctx, location, zone) < limit


def pick_zone(
    ctx: Context, vmss: dict[str, Any], existing: list[dict[str, Any]], target: int
) -> tuple[list[str], dict[str, Any] | None]:
    """The zone for the next profile VM of ``vmss`` (of ``target`` VMs in all), or no zone and
    the error that VM fails with when no allowed zone has room."""
    location = str(vmss.get("location") or "")
    counts: dict[str, int] = {}
    for vm in existing:
        for zone in vm.get("zones") or []:
            counts[str(zone)] = counts.get(str(zone), 0) + 1
    placement = auto_placement(vmss)
    if placement is not None:
        include = [str(z) for z in placement.get("includeZones") or ()]
        exclude = {str(z) for z in placement.get("excludeZones") or ()}
        zones = include or [z for z in REGION_ZONES if z not in exclude]
        resiliency = (vmss.get("properties") or {}).get("resiliencyPolicy") or {}
        allocation = resiliency.get("zoneAllocationPolicy") or {}
        max_zones = allocation.get("maxZoneCount")
        percent_policy = allocation.get("maxInstancePercentPerZonePolicy") or {}
        percent = (
            int(percent_policy.get("value") or DEFAULT_MAX_PERCENT_PER_ZONE)
            if percent_policy.get("enabled") is not False
            else 100
        )
        if (vmss.get("properties") or {}).get("zoneBalance") is True:
            percent = 100  # the share cap goes with zone balance off [AZP]
        per_zone = max(1, math.ceil(target * percent / 100))
        used = [z for z in zones if counts.get(z)]
        if isinstance(max_zones, int) and len(used) >= max_zones:
            zones = used
        candidates = [z for z in zones if counts.get(z, 0) < per_zone and _room(ctx, location, z)]
        if not candidates:
            return [], NO_ROOM
        return [min(candidates, key=lambda z: (counts.get(z, 0), zones.index(z)))], None
    zones = [str(z) for z in vmss.get("zones") or []]
    if not zones:
        return [], None
    least = min(zones, key=lambda z: (counts.get(z, 0), zones.index(z)))
    if _room(ctx, location, least):
        return [least], None
    if (vmss.get("properties") or {}).get("zoneBalance") is True:
        return [least], NO_ROOM  # strict balance: the least populated zone or nothing (inferred)
    others = [z for z in zones if _room(ctx, location, z)]
    if not others:
        return [least], NO_ROOM
    return [min(others, key=lambda z: (counts.get(z, 0), zones.index(z)))], None


def fail_provisioning(ctx: Context, set_id: str, count: int, code: str) -> None:
    """The next ``count`` VMs the set makes from its profile fail to provision with ``code``."""
    set_book(ctx, set_id).setdefault("provisioning_failures", []).extend([code] * count)


def take_provisioning_failure(ctx: Context, set_id: str) -> dict[str, Any] | None:
    """The failure the next profile VM of the set is to meet, if a test asked for one."""
    pending: list[str] = set_book(ctx, set_id).get("provisioning_failures") or []
    if not pending:
        return None
    code = pending.pop(0)
    return {"code": code, "message": f"The VM did not report ready in time ({code})."}


def members_by_zone(ctx: Context, set_id: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for vm in profile_vms(ctx, set_id):
        for zone in vm.get("zones") or []:
            out.setdefault(str(zone), []).append(vm)
    return out


#: Retries of a failed VM deletion under resilient VM delete [RCD].
RESILIENT_DELETE_RETRIES = 5
TRANSIENT_DELETE_ERROR = {
    "code": "InternalExecutionError",
    "message": "An internal execution error occurred while deleting the VM. Please retry later.",
}


def fail_deletions(ctx: Context, set_id: str, count: int, times: int) -> None:
    """The next ``count`` VMs the set deletes (scale-in, DeleteInstances, the set's deletion)
    each fail ``times`` times in a row with a transient error."""
    set_book(ctx, set_id).setdefault("deletion_failures", []).extend([times] * count)


def deletion_outcome(ctx: Context, set_id: str, vm_id: str) -> dict[str, Any] | None:
    """The error a profile VM's deletion by the set ends with, or None when it is deleted.

    A deletion that meets transient failures fails (the VM stays, ``Failed``) unless the set
    enables resilient VM delete, which retries it up to five times [RCD] (the VM flipping
    between Deleting and Failed meanwhile is not shown here: the retries end before anyone
    reads, inferred). What was retried is recorded for tests (``resilient_deletes``)."""
    sb = set_book(ctx, set_id)
    pending: list[int] = sb.get("deletion_failures") or []
    if not pending:
        return None
    times = pending.pop(0)
    vmss = ctx.store.get(set_id)
    if (
        vmss is not None
        and policy_enabled(vmss, "resilientVMDeletionPolicy")
        and times <= RESILIENT_DELETE_RETRIES
    ):
        vm = ctx.store.get(vm_id) or {}
        sb.setdefault("resilient_deletes", []).append({"vm": str(vm.get("name")), "retries": str(times)})
        return None
    return TRANSIENT_DELETE_ERROR
