"""What Azure does to a Flexible set on its own, outside any request of the caller's: the
autoscale's scale-in, and automatic zone rebalancing (see :mod:`.resilience` for the sources).

These run from the emulator's admin API (``Emulator.simulate_scale_in``,
``Emulator.simulate_zone_rebalance``), as a test's stand-in
for the platform; they change the store exactly as the same deletions made through Compute's
routes do, so every ``deleteOption`` is honoured.
"""

from __future__ import annotations

from typing import Any

from ...core import Context
from . import resilience
from .power import end_vm_op
from .scaling import new_profile_vm, scale_in_victims
from .state import VMSS_TYPE, bump_etag, profile_vms, set_book, sync_set_capacity, vm_state
from .vms import remove_vm

__all__ = ["REBALANCE_INTERVAL", "find_flex_set", "simulate_scale_in", "simulate_zone_rebalance"]


def find_flex_set(ctx: Context, set_id: str) -> dict[str, Any]:
    """The stored Flexible set ``set_id`` names, with a VM profile; ``KeyError`` otherwise (an
    admin input error, not an ARM answer)."""
    vmss = ctx.store.get(set_id)
    if vmss is None or str(vmss.get("type", "")).lower() != VMSS_TYPE.lower():
        raise KeyError(f"no scale set {set_id!r}")
    if not (vmss.get("properties") or {}).get("virtualMachineProfile"):
        raise KeyError(f"scale set {set_id!r} has no VM profile, so Azure makes and removes none of its VMs")
    return vmss


def simulate_scale_in(ctx: Context, set_id: str, count: int) -> list[str]:
    """Azure's autoscale lowers the set's capacity by ``count``: the set removes VMs as its
    scale-in policy says (newest first unless ``OldestVM``; VMs protected from scale-in stay)
    and each goes with its disks, NICs and public IPs per their ``deleteOption``: those with
    ``Detach`` stay in the resource group, unattached. Done at once (the operation's own
    duration is not what a test of its aftermath is about). Returns the removed VMs' names.

    Sources: autoscale changes the set's capacity (learn.microsoft.com/azure/virtual-machine-
    scale-sets/virtual-machine-scale-sets-autoscale-overview); the scale-in policy picks the
    VMs (virtual-machine-scale-sets-scale-in-policy); a VM deletion keeps what has
    ``deleteOption: Detach`` (learn.microsoft.com/azure/virtual-machines/delete, "Delete a VM
    and attached resources")."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a whole number of VMs, 1 or more")
    vmss = find_flex_set(ctx, set_id)
    if str(vmss["properties"].get("provisioningState")) == "Deleting":
        raise ValueError(f"scale set {vmss['name']!r} is being deleted")
    victims = scale_in_victims(ctx, vmss, count)
    for vm in victims:
        error = resilience.deletion_outcome(ctx, vmss["id"], vm["id"])
        if error is not None:  # the VM stays, Failed (resilient VM delete retried it, or not)
            state = vm_state(ctx, vm["id"])
            end_vm_op(state, error)
            state["power"] = "stopped"
            vm["properties"]["provisioningState"] = "Failed"
            bump_etag(vm)
            continue
        remove_vm(ctx, vm["id"], sync=False)
    sync_set_capacity(ctx, vmss["id"])
    bump_etag(vmss)
    return [vm["name"] for vm in victims]


#: Automatic zone rebalancing moves at most one VM in this many seconds [AZB].
REBALANCE_INTERVAL = 12 * 3600.0


def simulate_zone_rebalance(ctx: Context, set_id: str) -> dict[str, str] | None:
    """One move of automatic zone rebalancing ([AZB] auto-zone-balance-overview.md,
    04/18/2025): when the set's zones differ by two VMs or more, a new VM (new name, NIC and
    disks) is made in the least populated zone first, then a VM of the most populated zone is
    deleted, with what its ``deleteOption`` says. At most one move every 12 hours of the
    emulated clock; nothing to do (balanced, too soon, no room) returns None. ``ValueError``
    when the set does not turn the policy on."""
    vmss = find_flex_set(ctx, set_id)
    if not resilience.policy_enabled(vmss, "automaticZoneRebalancingPolicy"):
        raise ValueError(f"scale set {vmss['name']!r} does not enable automatic zone rebalancing")
    zones = [str(z) for z in vmss.get("zones") or []]
    sb = set_book(ctx, vmss["id"])
    last = sb.get("last_rebalance")
    if len(zones) < 2 or (last is not None and ctx.clock.now() - float(last) < REBALANCE_INTERVAL):
        return None
    members = profile_vms(ctx, vmss["id"])
    by_zone = {zone: [vm for vm in members if zone in (vm.get("zones") or [])] for zone in zones}
    most = max(zones, key=lambda z: (len(by_zone[z]), -zones.index(z)))
    least = min(zones, key=lambda z: (len(by_zone[z]), zones.index(z)))
    if len(by_zone[most]) - len(by_zone[least]) < 2:
        return None
    created = new_profile_vm(ctx, vmss, len(members), members)
    state = vm_state(ctx, created["id"])
    if state.pop("doom", None) is not None or least not in (created.get("zones") or []):
        remove_vm(ctx, created["id"], rollback=True)
        return None
    end_vm_op(state, None)
    state["power"] = "running"
    created["properties"]["provisioningState"] = "Succeeded"
    old = by_zone[most][-1]
    remove_vm(ctx, old["id"], sync=False)
    sync_set_capacity(ctx, vmss["id"])
    bump_etag(vmss)
    sb["last_rebalance"] = ctx.clock.now()
    return {"removed": old["name"], "created": created["name"], "from_zone": most, "to_zone": least}
