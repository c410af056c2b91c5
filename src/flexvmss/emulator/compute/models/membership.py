"""Flex membership: the rules a VM's ``properties.virtualMachineScaleSet`` must pass, on
create, on attach and on detach, and the fault domain a new member lands in.

Sources are named at each rule with the tags of ``research/flex-rules-now.md``: [AD] is
MicrosoftDocs/azure-compute-docs ``virtual-machine-scale-sets-attach-detach-vm.md``, [OM]
``virtual-machine-scale-sets-orchestration-modes.md``.
"""

from __future__ import annotations

from typing import Any

from ...core import ArmError, Context, parse_arm_id, rg_of, same_id
from .skus import is_mpu
from .state import VMSS_TYPE, set_members

__all__ = ["check_join", "fault_domain_for"]


def fault_domain_for(ctx: Context, vmss: dict[str, Any]) -> int | None:
    """Balanced FD assignment: the least used of the set's FDs (None when the count is 1)."""
    fdc = int((vmss.get("properties") or {}).get("platformFaultDomainCount") or 1)
    if fdc <= 1:
        return None
    counts = [0] * fdc
    for vm in set_members(ctx, vmss["id"]):
        fd = vm["properties"].get("platformFaultDomain")
        if isinstance(fd, int) and 0 <= fd < fdc:
            counts[fd] += 1
    return counts.index(min(counts))


def check_join(
    ctx: Context,
    *,
    vm_id: str,
    name: str,
    props: dict[str, Any],
    zones: list[str],
    existing: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """Rules for ``properties.virtualMachineScaleSet``; returns the set joined (or None)."""
    old_set = (((existing or {}).get("properties") or {}).get("virtualMachineScaleSet") or {}).get("id")
    ref = props.get("virtualMachineScaleSet", {} if existing is None else {"id": old_set} if old_set else {})
    if isinstance(ref, dict):
        set_id = ref.get("id")
    else:
        set_id = ref
    if existing is not None and not same_id(old_set, set_id):
        return _check_attach_detach(
            ctx, vm_id=vm_id, name=name, old_set=old_set, new_set=set_id, existing=existing, zones=zones
        )
    if not set_id:
        return None
    vmss = _require_flex_set(ctx, str(set_id), vm_id)
    if existing is None:
        set_zones = [str(z) for z in vmss.get("zones") or []]
        if set_zones and not zones:
            # Inferred text ([AD]: a zonal set takes zonal VMs in one of its zones).
            raise ArmError.invalid_parameter(
                f"Virtual Machine '{name}' must specify a zone because "
                "the Virtual Machine Scale Set it references is zonal.",
                target="zones",
            )
        if zones and not set(zones) <= set(set_zones):
            raise ArmError.invalid_parameter(
                f"The zones '{','.join(zones)}' of Virtual Machine "
                f"'{name}' are not in the zones of the Virtual Machine "
                f"Scale Set '{vmss['name']}'.",
                target="zones",
            )
    _check_fault_domain(ctx, vmss=vmss, name=name, props=props, existing=existing)
    return vmss


def _require_flex_set(ctx: Context, set_id: str, vm_id: str) -> dict[str, Any]:
    parsed = parse_arm_id(set_id)
    if parsed is None or parsed["type"].lower() != "virtualmachinescalesets":
        raise ArmError.invalid_parameter(
            f"The resource id '{set_id}' is not a valid Virtual Machine Scale Set id.",
            target="virtualMachineScaleSet.id",
        )
    vmss = ctx.store.get(set_id)
    if vmss is None:
        raise ArmError.resource_not_found(VMSS_TYPE, parsed["name"], parsed["rg"])
    if parsed["rg"].lower() != rg_of(vm_id).lower():
        # Inferred text ([AD]: the VM and the set must be in the same resource group).
        raise ArmError.invalid_parameter(
            f"Virtual Machine '{vm_id.split('/')[-1]}' cannot "
            f"reference Virtual Machine Scale Set '{parsed['name']}' "
            "because they are not in the same resource group.",
            target="virtualMachineScaleSet.id",
        )
    if str((vmss.get("properties") or {}).get("orchestrationMode")) != "Flexible":
        # 409, not 400: Azure/azure-sdk-for-java session record
        # VirtualMachineOperationsTests.canCreateVirtualMachineWithExistingScaleSet.json
        # (2023-04-19, api 2023-03-01); azure-core raises ResourceExistsError for it.
        raise ArmError.operation_not_allowed(
            "This operation is not allowed because referenced Virtual Machine Scale Set "
            f"'{vmss['name']}' does not have orchestration mode set to 'Flexible'."
        )
    if vmss["properties"].get("provisioningState") == "Deleting":
        raise ArmError.operation_not_allowed(
            f"Virtual Machine Scale Set '{vmss['name']}' is marked "
            "for deletion. No operation can be performed on it."
        )
    return vmss


def _check_fault_domain(
    ctx: Context, *, vmss: dict[str, Any], name: str, props: dict[str, Any], existing: dict[str, Any] | None
) -> None:
    fd = props.get("platformFaultDomain")
    old_fd = ((existing or {}).get("properties") or {}).get("platformFaultDomain")
    if existing is not None:
        if fd is not None and fd != old_fd:
            raise ArmError(
                400,
                "PropertyChangeNotAllowed",
                "Changing property 'platformFaultDomain' is not allowed.",
                target="platformFaultDomain",
            )
        return
    if fd is None:
        return
    vprops = vmss.get("properties") or {}
    fdc = int(vprops.get("platformFaultDomainCount") or 1)
    size = str((props.get("hardwareProfile") or {}).get("vmSize") or "")
    if fdc > 1 and size and not is_mpu(ctx, str(vmss.get("location", "")), size):
        # Inferred text: sizes without memory-preserving maintenance cannot be pinned to an
        # FD when the set has more than one ([OM] memory-preserving-update table).
        raise ArmError.invalid_parameter(
            f"Cannot set 'platformFaultDomain' on Virtual Machine '{name}' because VM size '{size}' does not "
            "support memory preserving maintenance and the Virtual Machine Scale Set "
            f"'{vmss['name']}' has 'platformFaultDomainCount' = {fdc}.",
            target="platformFaultDomain",
        )
    if vprops.get("singlePlacementGroup") is True:
        raise ArmError.invalid_parameter(
            "Cannot set 'platformFaultDomain' on Virtual Machine "
            f"'{name}' because the Virtual Machine Scale Set "
            f"'{vmss['name']}' that it references has 'singlePlacementGroup' = true.",
            target="platformFaultDomain",
        )
    if fdc <= 1:
        # Inferred text (a set with one FD spreads its VMs; none can be pinned).
        raise ArmError.invalid_parameter(
            "Cannot set 'platformFaultDomain' on Virtual Machine "
            f"'{name}' because the Virtual Machine Scale Set "
            f"'{vmss['name']}' that it references has 'platformFaultDomainCount' = 1.",
            target="platformFaultDomain",
        )
    if not isinstance(fd, int) or not 0 <= fd < fdc:
        raise ArmError.invalid_parameter(
            f"The value {fd} of parameter 'platformFaultDomain' "
            "is out of range. The value must be between 0 and "
            f"{fdc - 1} because the Virtual Machine Scale Set "
            f"'{vmss['name']}' has 'platformFaultDomainCount' = {fdc}.",
            target="platformFaultDomain",
        )


def _check_attach_detach(
    ctx: Context,
    *,
    vm_id: str,
    name: str,
    old_set: str | None,
    new_set: Any,
    existing: dict[str, Any],
    zones: list[str],
) -> dict[str, Any] | None:
    """Attaching an existing VM (no set before) or detaching one (``null``), as [AD] allows."""
    change = ArmError(
        400,
        "PropertyChangeNotAllowed",
        "Changing property virtualMachineScaleSet.id isn't allowed.",
        target="virtualMachineScaleSet.id",
    )
    if new_set is not None and not isinstance(new_set, str):
        raise change
    if old_set and new_set is None:
        vmss = ctx.store.get(old_set)
        if vmss is not None:
            _check_single_fd_no_spg(vmss, attach=False)
        return None
    if old_set or not new_set:
        raise change
    vmss = _require_flex_set(ctx, new_set, vm_id)
    _check_single_fd_no_spg(vmss, attach=True)
    eprops = existing.get("properties") or {}
    if eprops.get("availabilitySet"):
        raise ArmError(
            400,
            "VmssDoesNotSupportAttachingExistingAvsetVM",
            f"Virtual Machine '{name}' is in an availability set "
            "and cannot be attached to a Virtual Machine Scale Set.",
        )
    if eprops.get("proximityPlacementGroup"):
        raise ArmError(
            400,
            "VmssDoesNotSupportAttachingPPGVM",
            f"Virtual Machine '{name}' is in a proximity placement group "
            "and cannot be attached to a Virtual Machine Scale Set.",
        )
    set_zones = [str(z) for z in vmss.get("zones") or []]
    if bool(set_zones) != bool(zones) or (zones and not set(zones) <= set(set_zones)):
        raise ArmError.invalid_parameter(
            f"The zones of Virtual Machine '{name}' do not match the "
            f"zones of Virtual Machine Scale Set '{vmss['name']}'.",
            target="zones",
        )
    return vmss


def _check_single_fd_no_spg(vmss: dict[str, Any], *, attach: bool) -> None:
    props = vmss.get("properties") or {}
    verb = "attaching" if attach else "detaching"
    if int(props.get("platformFaultDomainCount") or 1) != 1:
        raise ArmError(
            400,
            "VmssDoesNotSupportAttachingExistingVMMultiFD",
            f"Virtual Machine Scale Set '{vmss['name']}' does not "
            f"support {verb} existing Virtual Machines because its "
            "platformFaultDomainCount is higher than 1.",
        )
    if props.get("singlePlacementGroup") is not False:
        raise ArmError(
            400,
            "VmssDoesNotSupportAttachingWithSpg",
            f"Virtual Machine Scale Set '{vmss['name']}' does not "
            f"support {verb} existing Virtual Machines because its "
            "singlePlacementGroup is not false.",
        )
