"""How a Flexible set with a profile grows and shrinks: the VMs it makes from its profile
(names, zones, Spot Priority Mix), the VMs a scale-in removes, and the set-level operation
that carries both.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

from ...core import Context, Operation, Request
from . import resilience
from .flex import is_spot
from .operations import start_operation
from .power import end_vm_op, owned, preempt
from .state import book, bump_etag, next_seq, profile_vms, set_book, sync_set_capacity, vm_state
from .vms import build_vm, remove_vm

__all__ = [
    "PROVISIONING_TIMEOUT",
    "RESILIENT_CREATE_ATTEMPTS",
    "begin_set_op",
    "new_profile_vm",
    "scale_in_victims",
    "vm_sizes",
]

#: How many times resilient VM create replaces one VM that keeps timing out (Azure retries for
#: up to 30 minutes [RCD]; a count stands in for the time, inferred).
RESILIENT_CREATE_ATTEMPTS = 3
#: Emulated seconds before a VM whose guest never reports ready fails to provision.
PROVISIONING_TIMEOUT = 20 * 60.0


def vm_sizes(body: dict[str, Any]) -> list[str]:
    """The sizes a set makes VMs of, in turn: its ``sku.name``, or an instance mix's sizes (only
    the first by rank with ``Prioritized``)."""
    sku = body.get("sku") or {}
    if str(sku.get("name", "")).lower() == "mix":
        sp = (body.get("properties") or {}).get("skuProfile") or {}
        vm_sizes = list(sp.get("vmSizes") or [])
        if str(sp.get("allocationStrategy", "")).lower() == "prioritized":
            vm_sizes.sort(key=lambda v: v.get("rank", 0))
            return [str(vm_sizes[0]["name"])]
        return [str(v["name"]) for v in vm_sizes]
    return [str(sku.get("name"))]


#: What a profile VM takes from its profile's ``osProfile`` (beside its computer name) ...
_OS_KEYS = (
    "adminUsername",
    "linuxConfiguration",
    "windowsConfiguration",
    "secrets",
    "allowExtensionOperations",
)
#: ... and from the profile itself (besides size, storage, OS and network).
_PROFILE_KEYS = (
    "diagnosticsProfile",
    "securityProfile",
    "billingProfile",
    "capacityReservation",
    "scheduledEventsProfile",
)


def _copied(source: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Copies of the ``keys`` present in ``source``, in the order of ``keys``."""
    return {key: copy.deepcopy(source[key]) for key in keys if key in source}


def _regular_wanted(total: int, policy: dict[str, Any]) -> int:
    base = int(policy.get("baseRegularPriorityCount") or 0)
    raw_pct = policy.get("regularPriorityPercentageAboveBase")
    pct = int(raw_pct) if raw_pct is not None else 50
    if total <= base:
        return total
    return base + math.floor((total - base) * pct / 100 + 0.5)


def new_profile_vm(
    ctx: Context, vmss: dict[str, Any], index: int, existing: list[dict[str, Any]]
) -> dict[str, Any]:
    """Create one VM from the set's profile (NICs and disks included)."""
    props = vmss["properties"]
    profile: dict[str, Any] = copy.deepcopy(props["virtualMachineProfile"])
    hex8 = ctx.hex8()
    name = f"{vmss['name']}_{hex8}"
    sizes = vm_sizes(vmss)
    size = sizes[index % len(sizes)]
    target = max(int((vmss.get("sku") or {}).get("capacity") or 0), len(existing) + 1)
    vm_zones, doom = resilience.pick_zone(ctx, vmss, existing, target)
    if doom is None:
        doom = resilience.take_provisioning_failure(ctx, vmss["id"])
    priority = profile.get("priority")
    mix = props.get("priorityMixPolicy")
    if mix and is_spot(priority):
        regular = sum(1 for vm in existing if not is_spot(vm["properties"].get("priority")))
        priority = "Regular" if regular < _regular_wanted(len(existing) + 1, mix) else priority
    os_profile = profile.get("osProfile") or {}
    prefix = str(os_profile.get("computerNamePrefix") or vmss["name"][:9])
    vm_os: dict[str, Any] = {"computerName": f"{prefix}{hex8[:6]}", **_copied(os_profile, _OS_KEYS)}
    vm_props: dict[str, Any] = {
        "hardwareProfile": {"vmSize": size},
        "storageProfile": copy.deepcopy(profile.get("storageProfile") or {}),
        "osProfile": vm_os,
        "networkProfile": copy.deepcopy(profile.get("networkProfile") or {}),
        **_copied(profile, _PROFILE_KEYS),
    }
    if priority:
        vm_props["priority"] = priority
        if is_spot(priority) and profile.get("evictionPolicy"):
            vm_props["evictionPolicy"] = profile["evictionPolicy"]
        if not is_spot(priority):
            vm_props.pop("billingProfile", None)
    payload: dict[str, Any] = {"location": vmss["location"], "properties": vm_props}
    if vm_zones:
        payload["zones"] = vm_zones
    if vmss.get("identity"):
        payload["identity"] = copy.deepcopy(vmss["identity"])
    parsed_sub, parsed_rg = vmss["id"].split("/")[2], vmss["id"].split("/")[4]
    vm = build_vm(
        ctx,
        subscription_id=parsed_sub,
        resource_group=parsed_rg,
        name=name,
        payload=payload,
        vmss=vmss,
        from_profile=True,
        nic_name_suffix=hex8,
    )
    st = vm_state(ctx, vm["id"])
    st["userData"] = set_book(ctx, vmss["id"]).get("userData")
    st["doom"] = doom  # the failure this VM meets when its creation ends (None: it succeeds)
    return vm


def scale_in_victims(ctx: Context, vmss: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Which profile VMs a scale-in removes: newest first, oldest first with ``OldestVM``;
    VMs protected from scale-in stay."""
    rules = [str(r).lower() for r in ((vmss["properties"].get("scaleInPolicy") or {}).get("rules") or [])]
    candidates = [
        vm
        for vm in profile_vms(ctx, vmss["id"])
        if not ((vm["properties"].get("protectionPolicy") or {}).get("protectFromScaleIn"))
    ]
    if "oldestvm" not in rules:
        candidates.reverse()
    return candidates[:count]


def begin_set_op(
    ctx: Context,
    request: Request,
    vmss: dict[str, Any],
    kind: str,
    *,
    created: list[dict[str, Any]],
    victims: list[dict[str, Any]],
    provisioning: str,
    delete_set: bool = False,
    on_settled: Callable[[bool], None] | None = None,
) -> Operation:
    """Run a set-level operation: the VMs it creates finish with it, the VMs it removes go
    when it succeeds, and ``delete_set`` removes the set itself. ``on_settled`` is told
    whether it succeeded before the set settles (a Uniform set's instances, :mod:`.uniform`)."""
    set_id = vmss["id"]
    token = next_seq(ctx)
    sb = set_book(ctx, set_id)
    created_ids = [vm["id"] for vm in created]
    victim_ids = [vm["id"] for vm in victims]
    vm_kind = "vmss.scaleIn" if kind != "vmss.create" else kind

    def finish_vm(vm_id: str, *, error: dict[str, Any] | None) -> None:
        cur = owned(ctx, vm_id, token)
        if cur is None:
            return
        body, st = cur
        end_vm_op(st, error)
        if error is None:
            st["power"] = "running"
            body["properties"]["provisioningState"] = "Succeeded"
        else:
            st["power"] = "stopped"
            body["properties"]["provisioningState"] = "Failed"
        bump_etag(body)

    def settle_set(state: str) -> None:
        """The set's own part ends (unless the set is gone or a later operation took over)."""
        current = ctx.store.get(set_id)
        if current is None or set_book(ctx, set_id).get("token") != token:
            return
        sb_now = set_book(ctx, set_id)
        sb_now["token"] = sb_now["op_id"] = None
        if delete_set and state == "Succeeded":
            for vm in profile_vms(ctx, set_id, include_deleting=True):
                remove_vm(ctx, vm["id"], sync=False)
            ctx.store.delete(set_id)
            book(ctx)["sets"].pop(set_id.lower(), None)
            book(ctx).get("members", {}).pop(set_id.lower(), None)
            return
        current["properties"]["provisioningState"] = state
        sync_set_capacity(ctx, set_id)
        bump_etag(current)

    def succeed() -> None:
        if on_settled is not None:
            on_settled(True)
        for vm_id in created_ids:
            doom = vm_state(ctx, vm_id).get("doom")
            if doom is None:
                finish_vm(vm_id, error=None)
            elif not _recreate(vm_id, doom):
                # a VM that found no room or timed out stays Failed; the others stand (a
                # partial allocation, [AZP]; inferred for a fixed zones list)
                finish_vm(vm_id, error=doom)
        for vm_id in victim_ids:
            if owned(ctx, vm_id, token) is not None:
                remove_vm(ctx, vm_id, sync=False)
        sync_set_capacity(ctx, set_id)
        settle_set("Succeeded")

    def _recreate(vm_id: str, doom: dict[str, Any]) -> bool:
        """Resilient VM create [RCD]: a profile VM whose creation timed out is deleted and made
        again under a new name (its disks and NICs go as their deleteOption says, inferred);
        the replacement may time out too, and is replaced in turn, a few times at most."""
        current = ctx.store.get(set_id)
        if current is None or not resilience.policy_enabled(current, "resilientVMCreationPolicy"):
            return False
        if doom.get("code") not in resilience.RETRIED_BY_RESILIENT_CREATE:
            return False
        failed_id = vm_id
        for attempt in range(RESILIENT_CREATE_ATTEMPTS):
            failed = ctx.store.get(failed_id)
            if failed is None:
                return attempt > 0
            name = failed["name"]
            remove_vm(ctx, failed_id, sync=False)
            members = profile_vms(ctx, set_id)
            replacement = new_profile_vm(ctx, current, len(members), members)
            set_book(ctx, set_id).setdefault("resilient_creates", []).append(
                {"failed": name, "replacement": replacement["name"]}
            )
            st = vm_state(ctx, replacement["id"])
            next_doom = st.pop("doom", None)
            last = attempt == RESILIENT_CREATE_ATTEMPTS - 1
            retried = (next_doom or {}).get("code") in resilience.RETRIED_BY_RESILIENT_CREATE
            if not retried or last:
                end_vm_op(st, next_doom)
                st["power"] = "stopped" if next_doom else "running"
                replacement["properties"]["provisioningState"] = "Failed" if next_doom else "Succeeded"
                bump_etag(replacement)
                return True
            failed_id = replacement["id"]
        return True

    def fail(error: dict[str, Any]) -> None:
        if on_settled is not None:
            on_settled(False)
        if undeletable:
            # the planned failure of some deletions: the other VMs went; the operation fails
            # with the first VM's error (inferred from a failed set operation naming one VM)
            for vm_id in victim_ids:
                if vm_id in undeletable:
                    finish_vm(vm_id, error=undeletable[vm_id])
                elif owned(ctx, vm_id, token) is not None:
                    remove_vm(ctx, vm_id, sync=False)
            for vm_id in created_ids:
                finish_vm(vm_id, error=error)
            sync_set_capacity(ctx, set_id)
            settle_set("Succeeded")
            return
        for vm_id in created_ids + victim_ids:
            finish_vm(vm_id, error=error)
        settle_set("Failed")

    for vm in created:
        vm_state(ctx, vm["id"]).update(token=token, op_kind=vm_kind, op_id=None, power="starting")
    for vm in victims:
        st = vm_state(ctx, vm["id"])
        preempt(ctx, st)
        st.update(token=token, op_kind="vmss.scaleIn", op_id=None)
        if st["power"] == "running":
            st["power"] = "stopping"
        vm["properties"]["provisioningState"] = "Deleting"
        bump_etag(vm)
    sb["token"] = token
    if provisioning:
        vmss["properties"]["provisioningState"] = provisioning
    # A failed set operation names the member VM that failed as error.target (Azure/azure-powershell
    # TestVirtualMachineScaleSetFlexAnyPFDC.json, 2023-08-31: InternalExecutionError, target
    # '<set>_<8 hex>'); here that is the first VM it was making.
    target = created[0]["name"] if created else None
    # Deletions a test made fail (resilient VM delete retries some first, see .resilience)
    undeletable: dict[str, dict[str, Any]] = {}
    for vm in victims:
        error = resilience.deletion_outcome(ctx, set_id, vm["id"])
        if error is not None:
            undeletable[vm["id"]] = error
    planned: tuple[str, dict[str, Any]] | None = None
    if undeletable:
        first = next(iter(undeletable))
        planned = ("Failed", {**undeletable[first], "target": (ctx.store.get(first) or {}).get("name")})
    # A guest that never reports ready fails only when the provisioning timeout runs out, so a
    # set operation making such a VM lasts that long (inferred: the 20 minutes Azure's
    # OSProvisioningTimedOut troubleshooting names for Linux provisioning).
    timed_out = any(
        (vm_state(ctx, vm["id"]).get("doom") or {}).get("code") in resilience.RETRIED_BY_RESILIENT_CREATE
        for vm in created
    )
    op = start_operation(
        ctx,
        request,
        vmss,
        kind,
        on_succeed=succeed,
        on_fail=fail,
        target=target,
        duration=PROVISIONING_TIMEOUT if timed_out else None,
        fail_with=planned,
    )
    if sb.get("token") == token:
        sb["op_id"] = op.id
    for vm_id in created_ids + victim_ids:
        st = book(ctx)["vms"].get(vm_id.lower())
        if st is not None and st.get("token") == token:
            st["op_id"] = op.id
    sync_set_capacity(ctx, set_id)
    return op
