"""Virtual machines (``Microsoft.Compute/virtualMachines``): create, update, read and delete,
with Flex membership rules and ``deleteOption`` semantics. The per-VM actions are in
:mod:`.actions`.

A VM's body in the store is its GET body without secrets: ``osProfile.adminPassword`` and
``customData`` are dropped, ``userData`` is kept aside and returned only with
``$expand=userData``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ...core import ArmError, Context, Operation, Request, arm_id, location_of, same_id
from ...network import api as net
from . import disks
from .defaults import apply_vm_defaults
from .flex import check_size, is_spot
from .membership import check_join, fault_domain_for
from .operations import DELETING_KINDS
from .power import begin_vm_op, guard, instance_view, visible_state
from .state import (
    NS,
    VM_TYPE,
    book,
    deep_merge,
    join_index,
    leave_index,
    next_seq,
    sync_set_capacity,
    vm_state,
)

__all__ = [
    "begin_delete",
    "build_vm",
    "create_vm",
    "remove_vm",
    "render_vm",
    "select_vms",
    "strip_secrets",
    "update_vm",
]

_FILTER_RE = re.compile(r"^\s*'?virtualMachineScaleSet/id'?\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)


def render_vm(ctx: Context, vm: dict[str, Any], *, expand: str | None = None) -> dict[str, Any]:
    """The VM's wire body, with the instance view / user data when ``expand`` asks for them."""
    out = copy.deepcopy(vm)
    out["properties"]["provisioningState"] = visible_state(ctx, vm)[0]
    wanted = {e.strip().lower() for e in (expand or "").split(",") if e.strip()}
    if "instanceview" in wanted:
        out["properties"]["instanceView"] = instance_view(ctx, vm)
    if "userdata" in wanted:
        user_data = vm_state(ctx, vm["id"]).get("userData")
        if user_data is not None:
            out["properties"]["userData"] = user_data
    return out


def strip_secrets(props: dict[str, Any]) -> Any:
    """Remove what Azure never returns from a VM's (or a profile's) properties; give back
    the user data to keep aside."""
    os_profile = props.get("osProfile")
    if isinstance(os_profile, dict):
        os_profile.pop("adminPassword", None)
        os_profile.pop("customData", None)
    return props.pop("userData", None)


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
    user_data = strip_secrets(props)
    default_delete = "Delete" if from_profile else "Detach"
    props.setdefault("storageProfile", {}).setdefault("osDisk", {"createOption": "FromImage"})
    props = apply_vm_defaults({"properties": props})["properties"]
    zones = [str(z) for z in body.get("zones") or []]
    storage = props["storageProfile"]
    os_disk = storage["osDisk"]
    os_disk.setdefault("deleteOption", default_delete)
    created_disks: list[str] = []
    attached_disks: list[str] = []
    created_nics: list[str] = []
    attached_nics: list[str] = []
    try:
        disk_id, attached = disks.attach_or_create(
            ctx,
            os_disk,
            vm=body,
            zones=zones,
            lun=None,
            os_type=os_disk.get("osType"),
            image_reference=storage.get("imageReference"),
        )
        (attached_disks if attached else created_disks).append(disk_id)
        for dd in storage.get("dataDisks") or []:
            dd.setdefault("deleteOption", default_delete)
            disk_id, attached = disks.attach_or_create(
                ctx, dd, vm=body, zones=zones, lun=int(dd.get("lun", 0))
            )
            (attached_disks if attached else created_disks).append(disk_id)
        network = props.setdefault("networkProfile", {})
        refs: list[dict[str, Any]] = []
        for ref in network.get("networkInterfaces") or []:
            rprops = ref.setdefault("properties", {})
            rprops.setdefault("deleteOption", "Detach")
            holder = ((ctx.store.get(str(ref["id"])) or {}).get("properties") or {}).get("virtualMachine")
            net.attach_nic(ctx, str(ref["id"]), vm_id)
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
            nic = net.create_nic(
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
            disks.release_disk(ctx, disk_id, delete=False)
        for nic_id in created_nics:
            net.release_nic(ctx, nic_id, delete=True, delete_public_ips="all")
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
            fd = fault_domain_for(ctx, vmss)
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
        net.release_nic(
            ctx, str(ref["id"]), delete=delete, delete_public_ips="all" if rollback else "by_option"
        )
    storage = props.get("storageProfile") or {}
    held = [storage.get("osDisk") or {}, *(storage.get("dataDisks") or [])]
    for disk in held:
        disk_id = (disk.get("managedDisk") or {}).get("id")
        if disk_id:
            delete = rollback or str(disk.get("deleteOption", "Detach")) == "Delete"
            disks.release_disk(ctx, disk_id, delete=delete)
    ctx.store.delete(vm_id)
    book(ctx)["vms"].pop(vm_id.lower(), None)
    set_id = (props.get("virtualMachineScaleSet") or {}).get("id")
    if set_id:
        leave_index(ctx, set_id, vm_id)
        if sync:
            sync_set_capacity(ctx, set_id)


def _validate_new_vm(
    ctx: Context, payload: dict[str, Any], vm_id: str, name: str, subscription_id: str
) -> dict[str, Any] | None:
    props = payload.get("properties") or {}
    location = location_of(payload)
    zones = [str(z) for z in payload.get("zones") or []]
    size = (props.get("hardwareProfile") or {}).get("vmSize")
    if not size:
        raise ArmError.invalid_parameter(
            "Required parameter 'hardwareProfile.vmSize' is missing (null).", target="hardwareProfile.vmSize"
        )
    vmss = check_join(ctx, vm_id=vm_id, name=name, props=props, zones=zones, existing=None)
    if vmss is not None and ((props.get("storageProfile") or {}).get("osDisk") or {}).get("vhd"):
        # Azure/azure-sdk-for-java canCreateVirtualMachineWithExistingScaleSet.json (2023-04-19,
        # api 2023-03-01): 409 with the VM's name as target.
        raise ArmError(
            409,
            "OperationNotAllowed",
            "Addition of a VM with blob based disks to Virtual Machine Scale Set is not supported.",
            target=name,
        )
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
        subscription_id=subscription_id,
    )
    return vmss


def create_vm(
    ctx: Context,
    request: Request,
    *,
    subscription_id: str,
    resource_group: str,
    name: str,
    payload: dict[str, Any],
) -> tuple[dict[str, Any], Operation]:
    """A new standalone VM (or one that joins a set): validated, built, and created by an
    operation that starts it."""
    vm_id = arm_id(subscription_id, resource_group, NS, "virtualMachines", name)
    vmss = _validate_new_vm(ctx, payload, vm_id, name, subscription_id)
    body = build_vm(
        ctx,
        subscription_id=subscription_id,
        resource_group=resource_group,
        name=name,
        payload=payload,
        vmss=vmss,
        from_profile=False,
    )
    vm_state(ctx, vm_id)["power"] = "stopped"
    op = begin_vm_op(
        ctx,
        request,
        body,
        "vm.create",
        power_during="starting",
        power_after="running",
        provisioning="Creating",
    )
    return body, op


def update_vm(
    ctx: Context,
    request: Request,
    existing: dict[str, Any],
    payload: dict[str, Any],
    *,
    method: str,
    subscription_id: str,
) -> Operation:
    """A PUT (``method`` "PUT": tags are replaced) or PATCH on an existing VM: membership,
    size, data disks and NICs change as the body says, by an update operation."""
    name = existing["name"]
    guard(ctx, existing, "vm.update")
    props_in = copy.deepcopy(payload.get("properties") or {})
    had_user_data = "userData" in props_in
    sent_user_data = strip_secrets(props_in)
    user_data: Any = sent_user_data if had_user_data else Ellipsis  # Ellipsis: leave it as it is
    zones = [str(z) for z in (payload.get("zones") or existing.get("zones") or [])]
    set_in_payload = "virtualMachineScaleSet" in props_in
    if set_in_payload:
        ref = props_in["virtualMachineScaleSet"]
        new_set = ref.get("id") if isinstance(ref, dict) else ref
        candidate = {
            "virtualMachineScaleSet": {"id": new_set} if isinstance(new_set, str) and new_set else new_set
        }
        vmss = check_join(
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
            subscription_id=subscription_id,
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
    op = begin_vm_op(ctx, request, existing, "vm.update", power_during=None, power_after=None)
    if current_set:
        sync_set_capacity(ctx, current_set)
    return op


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
        disks.attach_or_create(ctx, dd, vm=vm, zones=vm.get("zones"), lun=lun)
        new_list.append(dd)
    for gone in old.values():
        disk_id = (gone.get("managedDisk") or {}).get("id")
        if disk_id:
            disks.release_disk(ctx, disk_id, delete=False)
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
        net.attach_nic(ctx, str(ref["id"]), vm["id"])
        ref = copy.deepcopy(ref)
        ref.setdefault("properties", {}).setdefault("deleteOption", "Detach")
        refs.append(ref)
    for gone in old.values():
        net.release_nic(ctx, str(gone["id"]), delete=False)
    network["networkInterfaces"] = refs
    network_in.pop("networkInterfaces")


def select_vms(
    ctx: Context, vms: list[dict[str, Any]], *, set_filter: str | None, expand: str | None
) -> list[dict[str, Any]]:
    """``vms`` narrowed by a ``$filter`` on ``virtualMachineScaleSet/id`` (the one filter
    Compute takes), oldest first."""
    if set_filter:
        m = _FILTER_RE.match(set_filter)
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
    # The spec says $expand=instanceView "can only be specified if a valid $filter option is
    # specified", but Azure answers 200 to it without a $filter (kubernetes-sigs/cloud-provider-azure
    # virtualmachineclient recording, 2026-03, api 2025-04-01).
    if expand and expand.strip().lower() != "instanceview":
        raise ArmError.invalid_parameter(
            f"The value '{expand}' of parameter '$expand' is not allowed. Allowed values are: instanceView.",
            target="$expand",
        )
    states = book(ctx)["vms"]
    return sorted(vms, key=lambda v: states.get(v["id"].lower(), {}).get("seq", 0))


def begin_delete(
    ctx: Context, request: Request | None, vm: dict[str, Any], kind: str = "vm.delete"
) -> Operation:
    """Mark ``vm`` Deleting and remove it (with its NICs/disks per deleteOption) when the op
    succeeds; a delete already running is returned as it is."""
    vm_id = vm["id"]
    st = vm_state(ctx, vm_id)
    if st.get("op_kind") in DELETING_KINDS and st.get("token") is not None:
        op = ctx.lro.get(st.get("op_id") or "")
        if op is not None and not op.terminal:
            return op
    op = begin_vm_op(
        ctx,
        request,
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
