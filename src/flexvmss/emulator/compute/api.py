"""The interface other providers use to reach the compute provider: find a VM and run one of
its per-VM operations on a caller's behalf.

Imported as ``from ..compute import api as compute``. ScheduledActions
(``computeschedule/``) runs a batch's VMs through these: each call starts exactly the
operation Compute's own route starts (:mod:`.models.actions`, :func:`.models.vms.begin_delete`,
:func:`.models.vms.create_vm`), with the same state changes, durations, preemption and fault
rules, because Azure's per-VM work is the same whoever asks for it. Every function runs
under the store's lock (the caller already holds it) and raises :class:`ArmError` with
Compute's codes when Compute would refuse the call.
"""

from __future__ import annotations

from typing import Any

from ..core import ArmError, Context, Operation, Request, arm_id, norm_location
from .models import actions, vms
from .models.operations import DURATIONS
from .models.state import NS, VM_TYPE

__all__ = [
    "ACTIONS",
    "POLICIES",
    "begin_vm_action",
    "begin_vm_create",
    "duration_of",
    "find_vm",
    "vm_location",
]

#: The per-VM actions another provider may run, and the operation kind each starts.
ACTIONS: dict[str, str] = {
    "start": "vm.start",
    "deallocate": "vm.deallocate",
    "hibernate": "vm.deallocate",
    "delete": "vm.delete",
    "create": "vm.create",
}

#: The Compute throttling policy each action is charged to (learn.microsoft.com/azure/
#: virtual-machines/compute-throttling-limits: Start is an Update VM call; Deallocate and
#: Delete are Delete VM calls; Create is Put VM; hibernation is a deallocate, inferred).
POLICIES: dict[str, str] = {
    "start": "UpdateVM",
    "deallocate": "DeleteVM",
    "hibernate": "DeleteVM",
    "delete": "DeleteVM",
    "create": "PutVM",
}


def find_vm(ctx: Context, vm_id: str) -> dict[str, Any] | None:
    """The stored VM ``vm_id`` names (any spelling), or None when there is none."""
    body = ctx.store.get(vm_id)
    if body is None or str(body.get("type", "")).lower() != VM_TYPE.lower():
        return None
    return body


def vm_location(vm: dict[str, Any]) -> str:
    """The VM's region as ARM stores it (``eastus``)."""
    return norm_location(str(vm.get("location", "")))


def duration_of(action: str) -> float:
    """Emulated seconds (before jitter) of the operation ``action`` starts."""
    return DURATIONS.get(ACTIONS[action], 0.0)


def _hibernate(ctx: Context, request: Request | None, vm: dict[str, Any]) -> Operation:
    """Deallocate with hibernation: Compute accepts it only for a VM created with
    ``additionalCapabilities.hibernationEnabled`` (learn.microsoft.com/azure/
    virtual-machines/hibernate-resume; the refusal's text is inferred). The emulated VM ends
    deallocated; the emulator keeps no separate hibernation state."""
    caps = (vm.get("properties") or {}).get("additionalCapabilities") or {}
    if caps.get("hibernationEnabled") is not True:
        raise ArmError.operation_not_allowed(
            f"Hibernation is not enabled on virtual machine '{vm['name']}'. "
            "Enable additionalCapabilities.hibernationEnabled to hibernate it."
        )
    return actions.deallocate(ctx, _as_request(request), vm)


def _as_request(request: Request | None) -> Request:
    return request if request is not None else Request(method="POST", path="")


def begin_vm_action(ctx: Context, request: Request | None, vm: dict[str, Any], action: str) -> Operation:
    """Start ``action`` (start, deallocate, hibernate, delete) on ``vm`` as Compute's own
    route would; ``request`` is the call as Compute would receive it (fault rules match it)."""
    if action == "start":
        return actions.start(ctx, _as_request(request), vm)
    if action == "deallocate":
        return actions.deallocate(ctx, _as_request(request), vm)
    if action == "hibernate":
        return _hibernate(ctx, request, vm)
    if action == "delete":
        return vms.begin_delete(ctx, request, vm)
    raise ValueError(f"unknown VM action {action!r}; expected one of start, deallocate, hibernate, delete")


def begin_vm_create(
    ctx: Context,
    request: Request | None,
    *,
    subscription_id: str,
    resource_group: str,
    name: str,
    payload: dict[str, Any],
) -> tuple[dict[str, Any], Operation]:
    """Create VM ``name`` from ``payload`` (a VM PUT body) as Compute's PUT would; raises
    Compute's refusal when the body or the group is wrong."""
    ctx.store.require_rg(subscription_id, resource_group, writing=True)
    if ctx.store.get(arm_id(subscription_id, resource_group, NS, "virtualMachines", name)) is not None:
        # Inferred: a batch create never updates an existing VM.
        raise ArmError(
            409,
            "Conflict",
            f"A virtual machine named '{name}' already exists in resource group '{resource_group}'.",
        )
    return vms.create_vm(
        ctx,
        _as_request(request),
        subscription_id=subscription_id,
        resource_group=resource_group,
        name=name,
        payload=payload,
    )
