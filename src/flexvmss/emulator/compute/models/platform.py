"""What Azure does to a Flexible set on its own, outside any request of the caller's: the
autoscale's scale-in, and (see :mod:`.resilience`) the repairs of its resiliency policies.

These run from the emulator's admin API (``Emulator.simulate_scale_in``), as a test's stand-in
for the platform; they change the store exactly as the same deletions made through Compute's
routes do, so every ``deleteOption`` is honoured.
"""

from __future__ import annotations

from typing import Any

from ...core import Context
from .scaling import scale_in_victims
from .state import VMSS_TYPE, bump_etag, sync_set_capacity
from .vms import remove_vm

__all__ = ["find_flex_set", "simulate_scale_in"]


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
        remove_vm(ctx, vm["id"], sync=False)
    sync_set_capacity(ctx, vmss["id"])
    bump_etag(vmss)
    return [vm["name"] for vm in victims]
