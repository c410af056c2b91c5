"""Virtual machines (``Microsoft.Compute/virtualMachines``): create, update, get, list,
delete and the per-VM actions, with Flex membership rules and ``deleteOption`` semantics.

A VM's body in the store is its GET body without secrets: ``osProfile.adminPassword`` and
``customData`` are dropped, ``userData`` is kept aside and returned only with
``$expand=userData``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ...core import (
    ArmError,
    Context,
    Request,
    Response,
    Router,
    arm_id,
    check_preconditions,
    on_resources_removed,
    paginate,
    parse_arm_id,
)
from . import disks as _disks
from .common import (
    NS,
    VM_TYPE,
    VMSS_TYPE,
    book,
    deep_merge,
    is_mpu,
    location_of,
    net,
    next_seq,
    put_policy,
    require_rg,
    resource_id,
    rg_of,
    same_id,
    vm_state,
)
from .flex import check_size, is_spot
from .power import begin_vm_op, guard, instance_view, settled_power

__all__ = [
    "begin_delete",
    "build_vm",
    "forget_removed",
    "join_index",
    "leave_index",
    "remove_vm",
    "render_vm",
    "router",
    "set_members",
    "sync_set_capacity",
]

router = Router()

_RG = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.Compute/virtualMachines"
)
_VM = _RG + "/{vmName}"
_FILTER_RE = re.compile(r"^\s*'?virtualMachineScaleSet/id'?\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)


# --------------------------------------------------------------------------- helpers


def render_vm(ctx: Context, vm: dict[str, Any], *, expand: str | None = None) -> dict[str, Any]:
    """The VM's wire body, with the instance view / user data when ``expand`` asks for them."""
    out = copy.deepcopy(vm)
    wanted = {e.strip().lower() for e in (expand or "").split(",") if e.strip()}
    if "instanceview" in wanted:
        out["properties"]["instanceView"] = instance_view(ctx, vm)
    if "userdata" in wanted:
        user_data = vm_state(ctx, vm["id"]).get("userData")
        if user_data is not None:
            out["properties"]["userData"] = user_data
    return out


def _get_vm(ctx: Context, req: Request) -> dict[str, Any]:
    require_rg(ctx, req)
    vm = ctx.store.get(resource_id(req, "virtualMachines", "vmName"))
    if vm is None:
        raise ArmError.resource_not_found(VM_TYPE, req.params["vmName"], req.params["resourceGroupName"])
    return vm


def _etag_headers(body: dict[str, Any]) -> dict[str, str]:
    return {"ETag": str(body["etag"])} if body.get("etag") else {}


def _index(ctx: Context, set_id: str) -> dict[str, int]:
    """Members of a set (VM id lower -> creation sequence), kept as VMs join and leave."""
    members: dict[str, dict[str, int]] = book(ctx).setdefault("members", {})
    return members.setdefault(set_id.lower(), {})


def join_index(ctx: Context, set_id: str, vm_id: str) -> None:
    _index(ctx, set_id)[vm_id.lower()] = int(vm_state(ctx, vm_id).get("seq") or 0)


def leave_index(ctx: Context, set_id: str, vm_id: str) -> None:
    _index(ctx, set_id).pop(vm_id.lower(), None)


def set_members(ctx: Context, set_id: str) -> list[dict[str, Any]]:
    """Every VM whose ``virtualMachineScaleSet.id`` names ``set_id``, oldest first."""
    index = _index(ctx, set_id)
    members = []
    for vm_key, _seq in sorted(index.items(), key=lambda kv: kv[1]):
        vm = ctx.store.get(vm_key)
        ref = ((vm or {}).get("properties") or {}).get("virtualMachineScaleSet") or {}
        if vm is not None and same_id(ref.get("id"), set_id):
            members.append(vm)
    if len(members) != len(index):  # VMs removed behind compute's back (resource group delete)
        index.clear()
        for vm in members:
            index[vm["id"].lower()] = int(vm_state(ctx, vm["id"]).get("seq") or 0)
    return members


def sync_set_capacity(ctx: Context, set_id: str) -> None:
    """A profile-based set reports as ``sku.capacity`` the profile VMs it holds (not deleting)."""
    vmss = ctx.store.get(set_id)
    if vmss is None or not (vmss.get("properties") or {}).get("virtualMachineProfile") or "sku" not in vmss:
        return
    states = book(ctx)["vms"]
    count = 0
    for vm in set_members(ctx, set_id):
        st = states.get(vm["id"].lower(), {})
        if st.get("profile") and vm["properties"].get("provisioningState") != "Deleting":
            count += 1
    vmss["sku"]["capacity"] = count


def _strip_secrets(props: dict[str, Any]) -> Any:
    """Remove what Azure never returns; give back the user data to keep aside."""
    os_profile = props.get("osProfile")
    if isinstance(os_profile, dict):
        os_profile.pop("adminPassword", None)
        os_profile.pop("customData", None)
    return props.pop("userData", None)


def _os_defaults(props: dict[str, Any]) -> None:
    storage = props.setdefault("storageProfile", {})
    image = storage.get("imageReference") or {}
    os_disk = storage.setdefault("osDisk", {"createOption": "FromImage"})
    os_profile = props.get("osProfile")
    windows = "windows" in str(image.get("publisher", "")).lower() or (
        isinstance(os_profile, dict) and "windowsConfiguration" in os_profile
    )
    os_disk.setdefault("osType", "Windows" if windows else "Linux")
    storage.setdefault("dataDisks", [])
    if isinstance(os_profile, dict):
        os_profile.setdefault("secrets", [])
        os_profile.setdefault("allowExtensionOperations", True)
        if windows and "linuxConfiguration" not in os_profile:
            os_profile.setdefault(
                "windowsConfiguration", {"provisionVMAgent": True, "enableAutomaticUpdates": True}
            )
        elif not windows:
            os_profile.setdefault(
                "linuxConfiguration", {"disablePasswordAuthentication": False, "provisionVMAgent": True}
            )


def _fault_domain_for(ctx: Context, vmss: dict[str, Any]) -> int | None:
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


# --------------------------------------------------------------------------- membership rules


def _check_join(
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
        raise ArmError.operation_not_allowed(
            f"Virtual Machine Scale Set '{vmss['name']}' does not have orchestration mode set to 'Flexible'.",
            status=400,
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


# --------------------------------------------------------------------------- create / remove


def build_vm(
    ctx: Context,
    *,
    subscription_id: str,
    resource_group: str,
    name: str,
    payload: dict[str, Any],
    vmss: dict[str, Any] | None,
    from_profile: bool,
    nic_name_suffix: str | None = None,
) -> dict[str, Any]:
    """Create a VM's body, NICs and disks and store it with ``provisioningState: Creating``.

    ``payload`` is a validated VM PUT body (or one a set's profile produced). Profile VMs
    default every ``deleteOption`` to Delete; standalone VMs to Detach."""
    vm_id = arm_id(subscription_id, resource_group, NS, "virtualMachines", name)
    location = location_of(payload)
    body: dict[str, Any] = {
        "id": vm_id,
        "name": name,
        "type": VM_TYPE,
        "location": location,
    }
    for key in ("tags", "zones", "identity", "plan", "extendedLocation"):
        if payload.get(key) is not None:
            body[key] = copy.deepcopy(payload[key])
    props: dict[str, Any] = copy.deepcopy(payload.get("properties") or {})
    user_data = _strip_secrets(props)
    default_delete = "Delete" if from_profile else "Detach"
    _os_defaults(props)
    zones = [str(z) for z in body.get("zones") or []]
    storage = props["storageProfile"]
    os_disk = storage["osDisk"]
    os_disk.setdefault("deleteOption", default_delete)
    os_disk.setdefault("caching", "ReadWrite")
    created_disks: list[str] = []
    attached_disks: list[str] = []
    created_nics: list[str] = []
    attached_nics: list[str] = []
    try:
        managed = os_disk.get("managedDisk") or {}
        if str(os_disk.get("createOption", "FromImage")).lower() == "attach" and managed.get("id"):
            _disks.attach_disk(ctx, managed["id"], vm_id)
            attached_disks.append(managed["id"])
        else:
            d = _disks.create_vm_disk(
                ctx,
                subscription_id=subscription_id,
                resource_group=resource_group,
                vm_id=vm_id,
                vm_name=name,
                location=location,
                zones=zones,
                disk_spec=os_disk,
                lun=None,
                os_type=os_disk.get("osType"),
                image_reference=storage.get("imageReference"),
            )
            created_disks.append(d["id"])
        for dd in storage.get("dataDisks") or []:
            dd.setdefault("deleteOption", default_delete)
            dmanaged = dd.get("managedDisk") or {}
            if str(dd.get("createOption", "Empty")).lower() == "attach" and dmanaged.get("id"):
                _disks.attach_disk(ctx, dmanaged["id"], vm_id)
                attached_disks.append(dmanaged["id"])
            else:
                d = _disks.create_vm_disk(
                    ctx,
                    subscription_id=subscription_id,
                    resource_group=resource_group,
                    vm_id=vm_id,
                    vm_name=name,
                    location=location,
                    zones=zones,
                    disk_spec=dd,
                    lun=int(dd.get("lun", 0)),
                )
                created_disks.append(d["id"])
        network = props.setdefault("networkProfile", {})
        refs: list[dict[str, Any]] = []
        for ref in network.get("networkInterfaces") or []:
            rprops = ref.setdefault("properties", {})
            rprops.setdefault("deleteOption", "Detach")
            holder = ((ctx.store.get(str(ref["id"])) or {}).get("properties") or {}).get("virtualMachine")
            net().attach_nic(ctx, str(ref["id"]), vm_id)
            if not holder:
                attached_nics.append(str(ref["id"]))
            refs.append(ref)
        for cfg in network.get("networkInterfaceConfigurations") or []:
            cfg_props = cfg.setdefault("properties", {})
            cfg_props.setdefault("deleteOption", default_delete)
            for ipc in cfg_props.get("ipConfigurations") or []:
                pip = (ipc.get("properties") or {}).get("publicIPAddressConfiguration")
                if isinstance(pip, dict):
                    pip.setdefault("properties", {}).setdefault("deleteOption", default_delete)
            nic_name = f"{cfg['name']}-{nic_name_suffix or ctx.hex8()}" if from_profile else str(cfg["name"])
            nic = net().create_nic(
                ctx,
                subscription_id=subscription_id,
                resource_group=resource_group,
                name=nic_name,
                location=location,
                nic_config=cfg,
                vm_id=vm_id,
                tags=None,
            )
            created_nics.append(nic["id"])
            refs.append(
                {
                    "id": nic["id"],
                    "properties": {
                        "primary": bool(cfg_props.get("primary", len(refs) == 0)),
                        "deleteOption": cfg_props["deleteOption"],
                    },
                }
            )
        network["networkInterfaces"] = refs
    except ArmError:
        # Undo exactly what this create did, so a refused VM leaves nothing behind.
        for disk_id in created_disks:
            ctx.store.delete(disk_id)
        for disk_id in attached_disks:
            _disks.release_disk(ctx, disk_id, delete=False)
        for nic_id in created_nics:
            net().release_nic(ctx, nic_id, delete=True, delete_public_ips="all")
        for nic_id in attached_nics:
            # attach_nic only set virtualMachine on a free NIC: clearing it restores the NIC
            # (release_nic would wrongly reserve it for a VM that never existed).
            nic_body = ctx.store.get(nic_id)
            if nic_body is not None:
                nic_body["properties"].pop("virtualMachine", None)
        raise
    if vmss is not None:
        props["virtualMachineScaleSet"] = {"id": vmss["id"]}
        if props.get("platformFaultDomain") is None:
            fd = _fault_domain_for(ctx, vmss)
            if fd is not None:
                props["platformFaultDomain"] = fd
    props["vmId"] = ctx.new_guid()
    props["timeCreated"] = ctx.clock.iso()
    props["provisioningState"] = "Creating"
    body["properties"] = props
    body["etag"] = '"0"'
    ctx.store.put(body)
    book(ctx)["vms"].pop(vm_id.lower(), None)  # a VM re-created under the same id starts afresh
    st = vm_state(ctx, vm_id)
    st.update(
        power="starting",
        userData=user_data,
        seq=next_seq(ctx),
        failed=None,
        set=vmss["id"].lower() if vmss is not None else None,
        profile=from_profile,
    )
    if vmss is not None:
        join_index(ctx, vmss["id"], vm_id)
    return body


def remove_vm(ctx: Context, vm_id: str, *, sync: bool = True, rollback: bool = False) -> None:
    """The VM is gone: release its NICs, public IPs and disks per their ``deleteOption`` and
    forget it.

    ``rollback=True`` undoes a profile VM the failing request itself created: everything it
    holds was made for it, so its NICs, their public IPs and its disks are all deleted,
    whatever their ``deleteOption``."""
    vm = ctx.store.get(vm_id)
    if vm is None:
        return
    props = vm.get("properties") or {}
    for ref in (props.get("networkProfile") or {}).get("networkInterfaces") or []:
        delete = rollback or str((ref.get("properties") or {}).get("deleteOption", "Detach")) == "Delete"
        net().release_nic(
            ctx, str(ref["id"]), delete=delete, delete_public_ips="all" if rollback else "by_option"
        )
    storage = props.get("storageProfile") or {}
    disks = [storage.get("osDisk") or {}, *(storage.get("dataDisks") or [])]
    for disk in disks:
        disk_id = (disk.get("managedDisk") or {}).get("id")
        if disk_id:
            delete = rollback or str(disk.get("deleteOption", "Detach")) == "Delete"
            _disks.release_disk(ctx, disk_id, delete=delete)
    ctx.store.delete(vm_id)
    book(ctx)["vms"].pop(vm_id.lower(), None)
    set_id = (props.get("virtualMachineScaleSet") or {}).get("id")
    if set_id:
        leave_index(ctx, set_id, vm_id)
        if sync:
            sync_set_capacity(ctx, set_id)


@on_resources_removed
def forget_removed(ctx: Context, resource_ids: list[str]) -> None:
    """Drop compute's private state about resources removed behind its back (a resource
    group deletion): per-VM state, set membership, per-set state and runCommand results, so
    a VM or set made again under the same name starts as new."""
    b = ctx.store.extra.get("compute")
    if not b:
        return
    gone = set(resource_ids)
    vms: dict[str, Any] = b.get("vms", {})
    sets: dict[str, Any] = b.get("sets", {})
    members: dict[str, dict[str, int]] = b.get("members", {})
    for rid in gone:
        st = vms.pop(rid, None)
        if st and st.get("set"):
            members.get(str(st["set"]), {}).pop(rid, None)
        sets.pop(rid, None)
        members.pop(rid, None)
    results: dict[str, Any] = b.get("run_results", {})
    for op_id in list(results):
        op = ctx.lro.get(op_id)
        if op is not None and op.resource_id.lower() in gone:
            del results[op_id]


def _validate_new_vm(
    ctx: Context, req: Request, payload: dict[str, Any], vm_id: str
) -> dict[str, Any] | None:
    props = payload.get("properties") or {}
    location = location_of(payload)
    name = req.params["vmName"]
    zones = [str(z) for z in payload.get("zones") or []]
    size = (props.get("hardwareProfile") or {}).get("vmSize")
    if not size:
        raise ArmError.invalid_parameter(
            "Required parameter 'hardwareProfile.vmSize' is missing (null).", target="hardwareProfile.vmSize"
        )
    vmss = _check_join(ctx, vm_id=vm_id, name=name, props=props, zones=zones, existing=None)
    network = props.get("networkProfile") or {}
    if network.get("networkInterfaceConfigurations") and not network.get("networkApiVersion"):
        raise ArmError(
            400,
            "NetworkApiVersionMustBeSpecifiedWithNetworkInterfaceConfigurations",
            "Network api version in network profile of virtual "
            f"machine {vm_id} must be specified if network interface "
            "configurations are specified.",
        )
    if not network.get("networkInterfaces") and not network.get("networkInterfaceConfigurations"):
        raise ArmError.invalid_parameter(
            "Required parameter 'networkProfile' is missing (null).", target="networkProfile"
        )
    check_size(
        ctx,
        location=location,
        size=str(size),
        zones=zones,
        flex=vmss is not None,
        spot=is_spot(props.get("priority")),
        resource_id=vm_id,
        subscription_id=req.params["subscriptionId"],
    )
    return vmss


# --------------------------------------------------------------------------- routes


@router.route(
    "PUT",
    _VM,
    op_class="write",
    policy=put_policy("virtualMachines", "vmName", create="PutVM", update="UpdateVM"),
)
def put_vm(ctx: Context, req: Request) -> Response:
    require_rg(ctx, req)
    vm_id = resource_id(req, "virtualMachines", "vmName")
    existing = ctx.store.get(vm_id)
    check_preconditions(req, existing)
    payload = req.json()
    if existing is None:
        vmss = _validate_new_vm(ctx, req, payload, vm_id)
        body = build_vm(
            ctx,
            subscription_id=req.params["subscriptionId"],
            resource_group=req.params["resourceGroupName"],
            name=req.params["vmName"],
            payload=payload,
            vmss=vmss,
            from_profile=False,
        )
        vm_state(ctx, vm_id)["power"] = "stopped"
        op = begin_vm_op(
            ctx,
            req,
            body,
            "vm.create",
            power_during="starting",
            power_after="running",
            provisioning="Creating",
        )
        headers = {**ctx.lro.accepted_headers(op, req, location=False), **_etag_headers(body)}
        return Response.json(render_vm(ctx, body), 201, headers)
    return _update_vm(ctx, req, existing, payload, "PUT")


def _update_vm(
    ctx: Context, req: Request, existing: dict[str, Any], payload: dict[str, Any], method: str
) -> Response:
    name = existing["name"]
    guard(ctx, existing, "vm.update")
    props_in = copy.deepcopy(payload.get("properties") or {})
    user_data = props_in.pop("userData", None) if "userData" in props_in else Ellipsis
    if isinstance(props_in.get("osProfile"), dict):
        props_in["osProfile"].pop("adminPassword", None)
        props_in["osProfile"].pop("customData", None)
    zones = [str(z) for z in (payload.get("zones") or existing.get("zones") or [])]
    set_in_payload = "virtualMachineScaleSet" in props_in
    if set_in_payload:
        ref = props_in["virtualMachineScaleSet"]
        new_set = ref.get("id") if isinstance(ref, dict) else ref
        candidate = {
            "virtualMachineScaleSet": {"id": new_set} if isinstance(new_set, str) and new_set else new_set
        }
        vmss = _check_join(
            ctx, vm_id=existing["id"], name=name, props=candidate, zones=zones, existing=existing
        )
        props_in.pop("virtualMachineScaleSet")
    else:
        vmss = None
    if "platformFaultDomain" in props_in and props_in["platformFaultDomain"] != existing["properties"].get(
        "platformFaultDomain"
    ):
        raise ArmError(
            400,
            "PropertyChangeNotAllowed",
            "Changing property 'platformFaultDomain' is not allowed.",
            target="platformFaultDomain",
        )
    new_size = (props_in.get("hardwareProfile") or {}).get("vmSize")
    current_set = (existing["properties"].get("virtualMachineScaleSet") or {}).get("id")
    if new_size and new_size != existing["properties"].get("hardwareProfile", {}).get("vmSize"):
        check_size(
            ctx,
            location=existing["location"],
            size=str(new_size),
            zones=zones,
            flex=bool(current_set or vmss),
            spot=is_spot(existing["properties"].get("priority")),
            resource_id=existing["id"],
            subscription_id=req.params["subscriptionId"],
        )
    top = {k: payload[k] for k in ("tags", "identity", "plan") if k in payload}
    if method == "PUT" and "tags" not in payload:
        top["tags"] = existing.get("tags")
    _apply_data_disk_changes(ctx, existing, props_in)
    props_in.pop("networkProfile", None) if method == "PATCH" else _apply_nic_changes(ctx, existing, props_in)
    for key in ("provisioningState", "vmId", "timeCreated", "instanceView"):
        props_in.pop(key, None)
    merged_props = deep_merge(existing["properties"], props_in)
    if set_in_payload:
        if vmss is not None:
            merged_props["virtualMachineScaleSet"] = {"id": vmss["id"]}
            vm_state(ctx, existing["id"])["set"] = vmss["id"].lower()
            join_index(ctx, vmss["id"], existing["id"])
        elif current_set:
            merged_props.pop("virtualMachineScaleSet", None)
            vm_state(ctx, existing["id"]).update(set=None, profile=False)
            leave_index(ctx, current_set, existing["id"])
    existing["properties"] = merged_props
    for key, value in top.items():
        if value is None:
            existing.pop(key, None)
        else:
            existing[key] = copy.deepcopy(value)
    if user_data is not Ellipsis:
        vm_state(ctx, existing["id"])["userData"] = user_data
    op = begin_vm_op(ctx, req, existing, "vm.update", power_during=None, power_after=None)
    if current_set:
        sync_set_capacity(ctx, current_set)
    headers = {**ctx.lro.accepted_headers(op, req, location=False), **_etag_headers(existing)}
    return Response.json(render_vm(ctx, existing), 200, headers)


def _apply_data_disk_changes(ctx: Context, vm: dict[str, Any], props_in: dict[str, Any]) -> None:
    """A PUT/PATCH that lists ``dataDisks`` attaches the new ones and detaches the missing ones."""
    storage_in = props_in.get("storageProfile")
    if not isinstance(storage_in, dict) or "dataDisks" not in storage_in:
        return
    storage = vm["properties"].setdefault("storageProfile", {})
    old = {int(d.get("lun", -1)): d for d in storage.get("dataDisks") or []}
    new_list = []
    for dd in storage_in.get("dataDisks") or []:
        lun = int(dd.get("lun", 0))
        if lun in old and old[lun].get("managedDisk", {}).get("id"):
            new_list.append(deep_merge(old.pop(lun), dd))
            continue
        dd = copy.deepcopy(dd)
        dd.setdefault("deleteOption", "Detach")
        mdisk = dd.get("managedDisk") or {}
        if str(dd.get("createOption", "Empty")).lower() == "attach" and mdisk.get("id"):
            _disks.attach_disk(ctx, mdisk["id"], vm["id"])
        else:
            parsed = parse_arm_id(vm["id"]) or {"sub": "", "rg": ""}
            _disks.create_vm_disk(
                ctx,
                subscription_id=parsed["sub"],
                resource_group=parsed["rg"],
                vm_id=vm["id"],
                vm_name=vm["name"],
                location=vm["location"],
                zones=vm.get("zones"),
                disk_spec=dd,
                lun=lun,
            )
        new_list.append(dd)
    for gone in old.values():
        disk_id = (gone.get("managedDisk") or {}).get("id")
        if disk_id:
            _disks.release_disk(ctx, disk_id, delete=False)
    storage["dataDisks"] = new_list
    storage_in.pop("dataDisks")


def _apply_nic_changes(ctx: Context, vm: dict[str, Any], props_in: dict[str, Any]) -> None:
    """A PUT that lists ``networkInterfaces`` attaches new NICs and detaches missing ones."""
    network_in = props_in.get("networkProfile")
    if not isinstance(network_in, dict) or "networkInterfaces" not in network_in:
        return
    network = vm["properties"].setdefault("networkProfile", {})
    old = {str(r["id"]).lower(): r for r in network.get("networkInterfaces") or []}
    refs = []
    for ref in network_in.get("networkInterfaces") or []:
        key = str(ref["id"]).lower()
        if key in old:
            refs.append(deep_merge(old.pop(key), ref))
            continue
        net().attach_nic(ctx, str(ref["id"]), vm["id"])
        ref = copy.deepcopy(ref)
        ref.setdefault("properties", {}).setdefault("deleteOption", "Detach")
        refs.append(ref)
    for gone in old.values():
        net().release_nic(ctx, str(gone["id"]), delete=False)
    network["networkInterfaces"] = refs
    network_in.pop("networkInterfaces")


@router.route("PATCH", _VM, op_class="write", policy="UpdateVM")
def patch_vm(ctx: Context, req: Request) -> Response:
    vm = _get_vm(ctx, req)
    check_preconditions(req, vm)
    return _update_vm(ctx, req, vm, req.json(), "PATCH")


@router.route("GET", _VM, op_class="read", policy="LowCostGet")
def get_vm(ctx: Context, req: Request) -> Response:
    vm = _get_vm(ctx, req)
    return Response.json(render_vm(ctx, vm, expand=req.query.get("$expand")), 200, _etag_headers(vm))


@router.route("GET", _VM + "/instanceView", op_class="read", policy="LowCostGet")
def get_instance_view(ctx: Context, req: Request) -> Response:
    return Response.json(instance_view(ctx, _get_vm(ctx, req)))


def _filtered(
    ctx: Context, req: Request, vms: list[dict[str, Any]], *, status_only: bool = False
) -> Response:
    raw_filter = req.query.get("$filter")
    expand = req.query.get("$expand")
    if raw_filter:
        m = _FILTER_RE.match(raw_filter)
        if m is None:
            raise ArmError.invalid_parameter(
                "The value of parameter $filter is invalid. Allowed value is "
                "'virtualMachineScaleSet/id' eq "
                "'/subscriptions/{subId}/resourceGroups/{resourceGroupName}/providers/"
                "Microsoft.Compute/virtualMachineScaleSets/{vmssName}'.",
                target="$filter",
            )
        vms = [
            v
            for v in vms
            if same_id(
                ((v.get("properties") or {}).get("virtualMachineScaleSet") or {}).get("id"), m.group(1)
            )
        ]
    if expand:
        if expand.strip().lower() != "instanceview":
            raise ArmError.invalid_parameter(
                f"The value '{expand}' of parameter '$expand' is "
                "not allowed. Allowed values are: instanceView.",
                target="$expand",
            )
        if not raw_filter:
            raise ArmError.invalid_parameter(
                "The $expand=instanceView option can only be "
                "specified if a valid $filter option is specified.",
                target="$expand",
            )
    states = book(ctx)["vms"]
    vms = sorted(vms, key=lambda v: states.get(v["id"].lower(), {}).get("seq", 0))
    # Page first, render after: rendering (a deep copy plus the instance view) is the costly part,
    # and on the emulated clock the emulator's own CPU time is time every client sees.
    body = paginate(req, vms, ctx.page_size, ctx.base_url)
    body["value"] = [
        render_vm(ctx, v, expand="instanceView" if (expand or status_only) else None) for v in body["value"]
    ]
    return Response.json(body)


@router.route("GET", _RG, op_class="list", policy="HighCostGet")
def list_vms(ctx: Context, req: Request) -> Response:
    require_rg(ctx, req)
    vms = ctx.store.list(
        VM_TYPE, subscription_id=req.params["subscriptionId"], resource_group=req.params["resourceGroupName"]
    )
    return _filtered(ctx, req, vms)


@router.route(
    "GET",
    "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/virtualMachines",
    op_class="list",
    policy="HighCostGet",
)
def list_all_vms(ctx: Context, req: Request) -> Response:
    vms = ctx.store.list(VM_TYPE, subscription_id=req.params["subscriptionId"])
    return _filtered(ctx, req, vms, status_only=req.flag("statusOnly"))


@router.route("DELETE", _VM, op_class="delete", policy="DeleteVM")
def delete_vm(ctx: Context, req: Request) -> Response:
    require_rg(ctx, req)
    vm = ctx.store.get(resource_id(req, "virtualMachines", "vmName"))
    check_preconditions(req, vm)
    if vm is None:
        return Response.empty(204)
    op = begin_delete(ctx, req, vm)
    return Response.empty(202, ctx.lro.accepted_headers(op, req, location=True))


def begin_delete(ctx: Context, req: Request | None, vm: dict[str, Any], kind: str = "vm.delete") -> Any:
    """Mark ``vm`` Deleting and remove it (with its NICs/disks per deleteOption) when the op succeeds."""
    vm_id = vm["id"]
    st = vm_state(ctx, vm_id)
    if (
        st.get("op_kind") in ("vm.delete", "vmss.delete", "vmss.deleteInstances", "vmss.scaleIn")
        and st.get("token") is not None
    ):
        op = ctx.lro.get(st.get("op_id") or "")
        if op is not None and not op.terminal:
            return op
    op = begin_vm_op(
        ctx,
        req,
        vm,
        kind,
        power_during="stopping" if st["power"] == "running" else None,
        power_after=None,
        provisioning="Deleting",
        apply=lambda body, _st: remove_vm(ctx, body["id"]),
    )
    set_id = (vm["properties"].get("virtualMachineScaleSet") or {}).get("id")
    if set_id:
        sync_set_capacity(ctx, set_id)
    return op


# --------------------------------------------------------------------------- actions


def _action(ctx: Context, req: Request, kind: str, **kw: Any) -> Response:
    vm = _get_vm(ctx, req)
    op = begin_vm_op(ctx, req, vm, kind, **kw)
    return Response.empty(202, ctx.lro.accepted_headers(op, req, location=True))


@router.route("POST", _VM + "/start", op_class="action", policy="UpdateVM")
def start_vm(ctx: Context, req: Request) -> Response:
    return _action(ctx, req, "vm.start", power_during="starting", power_after="running")


@router.route("POST", _VM + "/powerOff", op_class="action", policy="UpdateVM")
def power_off_vm(ctx: Context, req: Request) -> Response:
    vm = _get_vm(ctx, req)
    st = vm_state(ctx, vm["id"])
    if st["power"] in ("deallocated", "deallocating"):
        return _action(ctx, req, "vm.powerOff", power_during=None, power_after=None)
    return _action(ctx, req, "vm.powerOff", power_during="stopping", power_after="stopped")


@router.route("POST", _VM + "/deallocate", op_class="action", policy="DeleteVM")
def deallocate_vm(ctx: Context, req: Request) -> Response:
    return _action(ctx, req, "vm.deallocate", power_during="deallocating", power_after="deallocated")


def _require_running(ctx: Context, vm: dict[str, Any], op_name: str) -> None:
    power = vm_state(ctx, vm["id"])["power"]
    if power in ("deallocated", "deallocating", "stopped", "stopping"):
        # Inferred text, in the shape of Azure's "Operation '...' is not allowed on VM" messages.
        raise ArmError.operation_not_allowed(
            f"Operation '{op_name}' is not allowed on VM '{vm['name']}' since the "
            f"VM is {'deallocated' if power.startswith('dealloc') else 'stopped'}."
        )


@router.route("POST", _VM + "/restart", op_class="action", policy="UpdateVM")
def restart_vm(ctx: Context, req: Request) -> Response:
    _require_running(ctx, _get_vm(ctx, req), "Restart")
    return _action(ctx, req, "vm.restart", power_during="starting", power_after="running")


@router.route("POST", _VM + "/redeploy", op_class="action", policy="UpdateVM")
def redeploy_vm(ctx: Context, req: Request) -> Response:
    vm = _get_vm(ctx, req)
    after = "deallocated" if settled_power(vm_state(ctx, vm["id"])) == "deallocated" else "running"
    return _action(
        ctx, req, "vm.redeploy", power_during="starting" if after == "running" else None, power_after=after
    )


@router.route("POST", _VM + "/reimage", op_class="action", policy="UpdateVM")
def reimage_vm(ctx: Context, req: Request) -> Response:
    vm = _get_vm(ctx, req)
    after = settled_power(vm_state(ctx, vm["id"]))
    return _action(
        ctx, req, "vm.reimage", power_during="starting" if after == "running" else None, power_after=after
    )


@router.route("POST", _VM + "/performMaintenance", op_class="action", policy="UpdateVM")
def perform_maintenance_vm(ctx: Context, req: Request) -> Response:
    return _action(ctx, req, "vm.performMaintenance", power_during=None, power_after=None)


@router.route("POST", _VM + "/simulateEviction", op_class="action", policy="DeleteVM")
def simulate_eviction_vm(ctx: Context, req: Request) -> Response:
    """Compute accepts a simulated eviction with 204 No Content and evicts the Spot VM in
    the background: there is no operation to poll (the SDK's ``simulate_eviction`` accepts
    only 204), only the VM's state to watch."""
    vm = _get_vm(ctx, req)
    if not is_spot(vm["properties"].get("priority")):
        # Inferred text: Simulate Eviction applies to Spot VMs only.
        raise ArmError.operation_not_allowed(
            f"Operation 'SimulateEviction' is not allowed on VM '{vm['name']}' since it is not a Spot VM."
        )
    if str(vm["properties"].get("evictionPolicy", "Deallocate")) == "Delete":
        begin_vm_op(
            ctx,
            req,
            vm,
            "vm.simulateEviction",
            power_during="stopping",
            power_after=None,
            provisioning="Deleting",
            apply=lambda body, _st: remove_vm(ctx, body["id"]),
        )
    else:
        begin_vm_op(
            ctx, req, vm, "vm.simulateEviction", power_during="deallocating", power_after="deallocated"
        )
    return Response.empty(204)


@router.route("POST", _VM + "/runCommand", op_class="action", policy="UpdateVM")
def run_command_vm(ctx: Context, req: Request) -> Response:
    vm = _get_vm(ctx, req)
    _require_running(ctx, vm, "RunCommand")
    payload = req.json()
    command_id = str(payload.get("commandId") or "")
    if not command_id:
        raise ArmError.invalid_parameter(
            "Required parameter 'commandId' is missing (null).", target="commandId"
        )
    script = payload.get("script") or []
    lines = [str(line) for line in script] if isinstance(script, list) else str(script).splitlines()
    stdout = "".join(
        line.strip()[5:].strip().strip("'\"") + "\n"
        for line in lines
        if line.strip().lower().startswith("echo ")
    )
    if "powershell" in command_id.lower():
        result = {
            "value": [
                {
                    "code": "ComponentStatus/StdOut/succeeded",
                    "level": "Info",
                    "displayStatus": "Provisioning succeeded",
                    "message": stdout,
                },
                {
                    "code": "ComponentStatus/StdErr/succeeded",
                    "level": "Info",
                    "displayStatus": "Provisioning succeeded",
                    "message": "",
                },
            ]
        }
    else:
        result = {
            "value": [
                {
                    "code": "ProvisioningState/succeeded",
                    "level": "Info",
                    "displayStatus": "Provisioning succeeded",
                    "message": f"Enable succeeded: \n[stdout]\n{stdout}\n[stderr]\n",
                }
            ]
        }
    results = book(ctx)["run_results"]
    op = begin_vm_op(
        ctx,
        req,
        vm,
        "vm.runCommand",
        power_during=None,
        power_after=None,
        apply=lambda _body, _st: None,
    )
    results[op.id] = result
    headers = ctx.lro.accepted_headers(op, req, location=True)
    headers["Location"] = (
        f"{ctx.base_url.rstrip('/')}/subscriptions/{req.params['subscriptionId']}/providers/Microsoft.Compute/locations/"
        f"{op.location}/runCommandResults/{op.id}?api-version={req.api_version or '2026-04-01'}"
    )
    return Response.empty(202, headers)


@router.route(
    "GET",
    "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}/runCommandResults/{operationId}",
    op_class="poll",
    arm="read",
    policy="GetOperation",
)
def run_command_result(ctx: Context, req: Request) -> Response:
    """The ``Location`` of a runCommand: 202 while it runs, then the command's output."""
    op = ctx.lro.get(req.params["operationId"])
    result = book(ctx)["run_results"].get(req.params["operationId"])
    if op is None or result is None:
        raise ArmError(404, "NotFound", f"The operation '{req.params['operationId']}' was not found.")
    if not op.terminal:
        return Response.empty(202, ctx.clock.retry_after_headers(ctx.lro.poll_hint(op)))
    if op.status != "Succeeded":
        return Response.json({"error": op.error}, 200)
    return Response.json(copy.deepcopy(result), 200)
