"""Virtual machine scale sets (``Microsoft.Compute/virtualMachineScaleSets``) with Flexible
orchestration semantics.

A Flexible set with a ``virtualMachineProfile`` owns ``sku.capacity`` VMs named
``{set}_{8 hex}`` with NICs ``<nicConfigName>-<8 hex>``; changing the capacity creates or
deletes them. A set without a profile holds the VMs that reference it. Uniform sets are
stored (so Flex rules can refuse them) but own no instances here, and the Uniform-only
instance APIs refuse Flexible sets as Azure does.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from ...core import ArmError, Context, Request, Response, Router, check_preconditions, paginate
from .common import (
    NS,
    VMSS_TYPE,
    book,
    bump_etag,
    deep_merge,
    is_mpu,
    location_of,
    next_seq,
    put_policy,
    require_rg,
    resource_id,
    vm_state,
)
from .flex import check_vmss, is_spot
from .power import PREEMPTED
from .vms import build_vm, remove_vm, set_members, sync_set_capacity

__all__ = ["router"]

router = Router()

_RG = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.Compute/virtualMachineScaleSets"
)
_SET = _RG + "/{vmScaleSetName}"
_BATCH_ACTIONS = (
    "start",
    "deallocate",
    "powerOff",
    "restart",
    "reimage",
    "reimageall",
    "redeploy",
    "performMaintenance",
)
_DELETING_KINDS = ("vm.delete", "vmss.delete", "vmss.deleteInstances", "vmss.scaleIn")


def _set_id(req: Request) -> str:
    return resource_id(req, "virtualMachineScaleSets", "vmScaleSetName")


def _get_set(ctx: Context, req: Request) -> dict[str, Any]:
    require_rg(ctx, req)
    vmss = ctx.store.get(_set_id(req))
    if vmss is None:
        raise ArmError.resource_not_found(
            VMSS_TYPE, req.params["vmScaleSetName"], req.params["resourceGroupName"]
        )
    return vmss


def _is_flex(vmss: dict[str, Any]) -> bool:
    return str((vmss.get("properties") or {}).get("orchestrationMode")) == "Flexible"


def _set_book(ctx: Context, set_id: str) -> dict[str, Any]:
    sets: dict[str, Any] = book(ctx)["sets"]
    entry: dict[str, Any] = sets.setdefault(set_id.lower(), {"token": None, "userData": None, "op_id": None})
    return entry


def _render(ctx: Context, vmss: dict[str, Any], expand: str | None = None) -> dict[str, Any]:
    out = copy.deepcopy(vmss)
    if expand and "userdata" in expand.lower():
        user_data = _set_book(ctx, vmss["id"]).get("userData")
        profile = out["properties"].get("virtualMachineProfile")
        if user_data is not None and isinstance(profile, dict):
            profile["userData"] = user_data
    return out


def _headers(vmss: dict[str, Any]) -> dict[str, str]:
    return {"ETag": str(vmss["etag"])}


def _marked_for_deletion(name: str, op: str) -> ArmError:
    return ArmError.operation_not_allowed(
        f"Operation '{op}' is not allowed on Virtual Machine "
        f"Scale Set '{name}' since it is marked for deletion."
    )


# --------------------------------------------------------------------------- defaults


def _profile_defaults(profile: dict[str, Any]) -> Any:
    """Fill what Compute adds to a profile; return the profile's user data (kept aside)."""
    os_profile = profile.get("osProfile")
    image = (profile.get("storageProfile") or {}).get("imageReference") or {}
    if isinstance(os_profile, dict):
        os_profile.pop("adminPassword", None)
        os_profile.pop("customData", None)
        os_profile.setdefault("secrets", [])
        if "windows" in str(image.get("publisher", "")).lower() and "linuxConfiguration" not in os_profile:
            os_profile.setdefault(
                "windowsConfiguration", {"provisionVMAgent": True, "enableAutomaticUpdates": True}
            )
    storage = profile.get("storageProfile")
    if isinstance(storage, dict) and isinstance(storage.get("osDisk"), dict):
        storage["osDisk"].setdefault("deleteOption", "Delete")
        for dd in storage.get("dataDisks") or []:
            dd.setdefault("deleteOption", "Delete")
    for cfg in (profile.get("networkProfile") or {}).get("networkInterfaceConfigurations") or []:
        cprops = cfg.setdefault("properties", {})
        cprops.setdefault("dnsSettings", {"dnsServers": []})
        cprops.setdefault("enableAcceleratedNetworking", False)
        cprops.setdefault("deleteOption", "Delete")
        for ipc in cprops.get("ipConfigurations") or []:
            iprops = ipc.setdefault("properties", {})
            iprops.setdefault("privateIPAddressVersion", "IPv4")
            pip = iprops.get("publicIPAddressConfiguration")
            if isinstance(pip, dict):
                pip.setdefault("properties", {}).setdefault("deleteOption", "Delete")
    return profile.pop("userData", None)


def _sizes(body: dict[str, Any]) -> list[str]:
    sku = body.get("sku") or {}
    if str(sku.get("name", "")).lower() == "mix":
        sp = (body.get("properties") or {}).get("skuProfile") or {}
        vm_sizes = list(sp.get("vmSizes") or [])
        if str(sp.get("allocationStrategy", "")).lower() == "prioritized":
            vm_sizes.sort(key=lambda v: v.get("rank", 0))
            return [str(vm_sizes[0]["name"])]
        return [str(v["name"]) for v in vm_sizes]
    return [str(sku.get("name"))]


# --------------------------------------------------------------------------- scaling


def _profile_vms(ctx: Context, set_id: str, *, include_deleting: bool = False) -> list[dict[str, Any]]:
    states = book(ctx)["vms"]
    out = []
    for vm in set_members(ctx, set_id):
        st = states.get(vm["id"].lower(), {})
        if not st.get("profile"):
            continue
        if not include_deleting and vm["properties"].get("provisioningState") == "Deleting":
            continue
        out.append(vm)
    return out


def _regular_wanted(total: int, policy: dict[str, Any]) -> int:
    base = int(policy.get("baseRegularPriorityCount") or 0)
    raw_pct = policy.get("regularPriorityPercentageAboveBase")
    pct = int(raw_pct) if raw_pct is not None else 50
    if total <= base:
        return total
    return base + math.floor((total - base) * pct / 100 + 0.5)


def _new_profile_vm(
    ctx: Context, vmss: dict[str, Any], index: int, existing: list[dict[str, Any]]
) -> dict[str, Any]:
    """Create one VM from the set's profile (NICs and disks included)."""
    props = vmss["properties"]
    profile: dict[str, Any] = copy.deepcopy(props["virtualMachineProfile"])
    hex8 = ctx.hex8()
    name = f"{vmss['name']}_{hex8}"
    sizes = _sizes(vmss)
    size = sizes[index % len(sizes)]
    zones = [str(z) for z in vmss.get("zones") or []]
    vm_zones: list[str] = []
    if zones:
        counts = {z: 0 for z in zones}
        for vm in existing:
            for z in vm.get("zones") or []:
                if z in counts:
                    counts[z] += 1
        vm_zones = [min(zones, key=lambda z: (counts[z], zones.index(z)))]
    priority = profile.get("priority")
    mix = props.get("priorityMixPolicy")
    if mix and is_spot(priority):
        regular = sum(1 for vm in existing if not is_spot(vm["properties"].get("priority")))
        priority = "Regular" if regular < _regular_wanted(len(existing) + 1, mix) else priority
    os_profile = profile.get("osProfile") or {}
    prefix = str(os_profile.get("computerNamePrefix") or vmss["name"][:9])
    vm_os: dict[str, Any] = {"computerName": f"{prefix}{hex8[:6]}"}
    for key in (
        "adminUsername",
        "linuxConfiguration",
        "windowsConfiguration",
        "secrets",
        "allowExtensionOperations",
    ):
        if key in os_profile:
            vm_os[key] = copy.deepcopy(os_profile[key])
    vm_props: dict[str, Any] = {
        "hardwareProfile": {"vmSize": size},
        "storageProfile": copy.deepcopy(profile.get("storageProfile") or {}),
        "osProfile": vm_os,
        "networkProfile": copy.deepcopy(profile.get("networkProfile") or {}),
    }
    for key in (
        "diagnosticsProfile",
        "securityProfile",
        "billingProfile",
        "capacityReservation",
        "scheduledEventsProfile",
    ):
        if key in profile:
            vm_props[key] = copy.deepcopy(profile[key])
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
    vm_state(ctx, vm["id"])["userData"] = _set_book(ctx, vmss["id"]).get("userData")
    return vm


def _scale_in_victims(ctx: Context, vmss: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Which profile VMs a scale-in removes: newest first, oldest first with ``OldestVM``;
    VMs protected from scale-in stay."""
    rules = [str(r).lower() for r in ((vmss["properties"].get("scaleInPolicy") or {}).get("rules") or [])]
    candidates = [
        vm
        for vm in _profile_vms(ctx, vmss["id"])
        if not ((vm["properties"].get("protectionPolicy") or {}).get("protectFromScaleIn"))
    ]
    if "oldestvm" not in rules:
        candidates.reverse()
    return candidates[:count]


def _begin_set_op(
    ctx: Context,
    req: Request,
    vmss: dict[str, Any],
    kind: str,
    *,
    created: list[dict[str, Any]],
    victims: list[dict[str, Any]],
    provisioning: str,
    delete_set: bool = False,
) -> Any:
    """Run a set-level operation: the VMs it creates finish with it, the VMs it removes go
    when it succeeds, and ``delete_set`` removes the set itself."""
    set_id = vmss["id"]
    token = next_seq(ctx)
    sb = _set_book(ctx, set_id)
    created_ids = [vm["id"] for vm in created]
    victim_ids = [vm["id"] for vm in victims]
    vm_kind = "vmss.scaleIn" if kind != "vmss.create" else kind

    def mine(vm_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        body = ctx.store.get(vm_id)
        st = book(ctx)["vms"].get(vm_id.lower())
        if body is None or st is None or st.get("token") != token:
            return None
        return body, st

    def finish_vm(vm_id: str, *, error: dict[str, Any] | None) -> None:
        cur = mine(vm_id)
        if cur is None:
            return
        body, st = cur
        st["token"] = st["op_id"] = st["op_kind"] = None
        if error is None:
            st["failed"] = None
            st["power"] = "running"
            body["properties"]["provisioningState"] = "Succeeded"
        else:
            st["failed"] = {
                "code": error.get("code", "InternalExecutionError"),
                "message": error.get("message", ""),
            }
            st["power"] = "stopped"
            body["properties"]["provisioningState"] = "Failed"
        bump_etag(body)

    def succeed() -> None:
        for vm_id in created_ids:
            finish_vm(vm_id, error=None)
        for vm_id in victim_ids:
            if mine(vm_id) is not None:
                remove_vm(ctx, vm_id, sync=False)
        sync_set_capacity(ctx, set_id)
        current = ctx.store.get(set_id)
        if current is None or _set_book(ctx, set_id).get("token") != token:
            return
        sb_now = _set_book(ctx, set_id)
        sb_now["token"] = sb_now["op_id"] = None
        if delete_set:
            for vm in _profile_vms(ctx, set_id, include_deleting=True):
                remove_vm(ctx, vm["id"], sync=False)
            ctx.store.delete(set_id)
            book(ctx)["sets"].pop(set_id.lower(), None)
            book(ctx).get("members", {}).pop(set_id.lower(), None)
            return
        current["properties"]["provisioningState"] = "Succeeded"
        sync_set_capacity(ctx, set_id)
        bump_etag(current)

    def fail(error: dict[str, Any]) -> None:
        for vm_id in created_ids + victim_ids:
            finish_vm(vm_id, error=error)
        current = ctx.store.get(set_id)
        if current is None or _set_book(ctx, set_id).get("token") != token:
            return
        sb_now = _set_book(ctx, set_id)
        sb_now["token"] = sb_now["op_id"] = None
        current["properties"]["provisioningState"] = "Failed"
        sync_set_capacity(ctx, set_id)
        bump_etag(current)

    for vm in created:
        vm_state(ctx, vm["id"]).update(token=token, op_kind=vm_kind, op_id=None, power="starting")
    for vm in victims:
        st = vm_state(ctx, vm["id"])
        if str(st.get("op_kind") or "").startswith("vm."):
            in_flight = ctx.lro.get(st.get("op_id") or "")
            if in_flight is not None and not in_flight.terminal:
                in_flight.planned = ("Failed", dict(PREEMPTED))
        st.update(token=token, op_kind="vmss.scaleIn", op_id=None)
        if st["power"] == "running":
            st["power"] = "stopping"
        vm["properties"]["provisioningState"] = "Deleting"
        bump_etag(vm)
    sb["token"] = token
    if provisioning:
        vmss["properties"]["provisioningState"] = provisioning
    op = ctx.lro.start(
        req,
        provider=NS,
        location=vmss["location"],
        subscription_id=set_id.split("/")[2],
        kind=kind,
        resource_id=set_id,
        on_succeed=succeed,
        on_fail=fail,
    )
    if sb.get("token") == token:
        sb["op_id"] = op.id
    for vm_id in created_ids + victim_ids:
        st = book(ctx)["vms"].get(vm_id.lower())
        if st is not None and st.get("token") == token:
            st["op_id"] = op.id
    sync_set_capacity(ctx, set_id)
    return op


# --------------------------------------------------------------------------- routes


def _write(ctx: Context, req: Request, method: str) -> Response:
    require_rg(ctx, req)
    set_id = _set_id(req)
    name = req.params["vmScaleSetName"]
    existing = ctx.store.get(set_id)
    check_preconditions(req, existing)
    if existing is None and method == "PATCH":
        raise ArmError.resource_not_found(VMSS_TYPE, name, req.params["resourceGroupName"])
    payload = copy.deepcopy(req.json())
    if existing is not None and existing["properties"].get("provisioningState") == "Deleting":
        raise _marked_for_deletion(
            existing["name"],
            "VirtualMachineScaleSets.PUT" if method == "PUT" else "VirtualMachineScaleSets.PATCH",
        )
    for key in ("id", "name", "type", "etag"):
        payload.pop(key, None)
    payload_props = payload.get("properties") or {}
    for key in ("provisioningState", "uniqueId", "timeCreated"):
        payload_props.pop(key, None)
    profile_in = payload_props.get("virtualMachineProfile")
    user_data: Any = Ellipsis
    if isinstance(profile_in, dict) and "userData" in profile_in:
        user_data = profile_in.pop("userData")
    if existing is not None:
        desired = deep_merge(existing, payload)
        desired.setdefault("properties", {})
    else:
        desired = payload
        desired.setdefault("properties", {})
        desired["properties"].setdefault("orchestrationMode", "Flexible")
    props = desired["properties"]
    location = location_of(desired if existing is None else existing)
    desired["location"] = location if existing is None else existing["location"]
    flex = str(props.get("orchestrationMode")) == "Flexible"
    if flex and existing is None:
        props.setdefault("platformFaultDomainCount", 1)
    if isinstance(props.get("virtualMachineProfile"), dict):
        profile_user_data = _profile_defaults(props["virtualMachineProfile"])
        if user_data is Ellipsis and profile_user_data is not None:
            user_data = profile_user_data
        if not (desired.get("sku") or {}).get("name"):
            raise ArmError.invalid_parameter("Required parameter 'sku' is missing (null).", target="sku")
    check_vmss(
        ctx, body=desired, existing=existing, set_id=set_id, subscription_id=req.params["subscriptionId"]
    )
    if existing is None:
        if flex:
            props.setdefault("upgradePolicy", {"mode": "Manual"})
            if props.get("virtualMachineProfile") and props.get("singlePlacementGroup") is None:
                fdc = int(props.get("platformFaultDomainCount") or 1)
                non_mpu = fdc > 1 and any(not is_mpu(ctx, location, s) for s in _sizes(desired))
                props["singlePlacementGroup"] = non_mpu
        props["uniqueId"] = ctx.new_guid()
        props["timeCreated"] = ctx.clock.iso()
        desired["etag"] = '"0"'
    desired["id"] = set_id
    desired["name"] = name
    desired["type"] = VMSS_TYPE
    bump_etag(desired)
    previous = copy.deepcopy(existing)
    if existing is not None:
        existing.clear()
        existing.update(desired)
        vmss = existing
    else:
        vmss = ctx.store.put(desired)
    sb = _set_book(ctx, set_id)
    previous_user_data = sb.get("userData")
    if user_data is not Ellipsis:
        sb["userData"] = user_data
    created: list[dict[str, Any]] = []
    victims: list[dict[str, Any]] = []
    if flex and isinstance(props.get("virtualMachineProfile"), dict):
        target = int((vmss.get("sku") or {}).get("capacity") or 0)
        current = _profile_vms(ctx, set_id)
        if target > len(current):
            members = list(current)
            try:
                for i in range(target - len(current)):
                    vm = _new_profile_vm(ctx, vmss, len(current) + i, members)
                    members.append(vm)
                    created.append(vm)
            except ArmError:
                # A VM the profile asks for cannot be made (e.g. SubnetIsFull): the PUT is
                # refused as a whole and leaves the set and the network as they were.
                for vm in created:
                    remove_vm(ctx, vm["id"], rollback=True)
                sb["userData"] = previous_user_data
                if previous is None:
                    ctx.store.delete(set_id)
                    book(ctx)["sets"].pop(set_id.lower(), None)
                else:
                    vmss.clear()
                    vmss.update(previous)
                raise
        elif target < len(current):
            victims = _scale_in_victims(ctx, vmss, len(current) - target)
    kind = "vmss.create" if existing is None else "vmss.update"
    op = _begin_set_op(
        ctx,
        req,
        vmss,
        kind,
        created=created,
        victims=victims,
        provisioning="Creating" if existing is None else "Updating",
    )
    headers = {**ctx.lro.accepted_headers(op, req, location=False), **_headers(vmss)}
    return Response.json(_render(ctx, vmss), 201 if existing is None else 200, headers)


@router.route(
    "PUT",
    _SET,
    op_class="write",
    policy=put_policy(
        "virtualMachineScaleSets", "vmScaleSetName", create="CreateVMScaleSet", update="UpdateVMScaleSet"
    ),
)
def put_vmss(ctx: Context, req: Request) -> Response:
    """Create or update a set. A PUT that creates counts as CreateVMScaleSet; one that
    replaces an existing set, like PATCH, as UpdateVMScaleSet."""
    return _write(ctx, req, "PUT")


@router.route("PATCH", _SET, op_class="write", policy="UpdateVMScaleSet")
def patch_vmss(ctx: Context, req: Request) -> Response:
    return _write(ctx, req, "PATCH")


@router.route("GET", _SET, op_class="read", policy="GetVMScaleSet")
def get_vmss(ctx: Context, req: Request) -> Response:
    vmss = _get_set(ctx, req)
    return Response.json(_render(ctx, vmss, req.query.get("$expand")), 200, _headers(vmss))


@router.route("GET", _RG, op_class="list", policy="HighCostGetVMScaleSet")
def list_vmss(ctx: Context, req: Request) -> Response:
    require_rg(ctx, req)
    items = ctx.store.list(
        VMSS_TYPE,
        subscription_id=req.params["subscriptionId"],
        resource_group=req.params["resourceGroupName"],
    )
    return Response.json(paginate(req, [_render(ctx, v) for v in items], ctx.page_size, ctx.base_url))


@router.route(
    "GET",
    "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/virtualMachineScaleSets",
    op_class="list",
    policy="HighCostGetVMScaleSet",
)
def list_all_vmss(ctx: Context, req: Request) -> Response:
    items = ctx.store.list(VMSS_TYPE, subscription_id=req.params["subscriptionId"])
    return Response.json(paginate(req, [_render(ctx, v) for v in items], ctx.page_size, ctx.base_url))


@router.route("DELETE", _SET, op_class="delete", policy="DeleteVMScaleSet")
def delete_vmss(ctx: Context, req: Request) -> Response:
    require_rg(ctx, req)
    set_id = _set_id(req)
    vmss = ctx.store.get(set_id)
    check_preconditions(req, vmss)
    if vmss is None:
        return Response.empty(204)
    sb = _set_book(ctx, set_id)
    if vmss["properties"].get("provisioningState") == "Deleting":
        running = ctx.lro.get(sb.get("op_id") or "")
        if running is not None and not running.terminal:
            return Response.empty(202, ctx.lro.accepted_headers(running, req, location=True))
    states = book(ctx)["vms"]
    members = set_members(ctx, set_id)
    if any(not states.get(vm["id"].lower(), {}).get("profile") for vm in members):
        raise ArmError.operation_not_allowed(
            "Deletion of Virtual Machine Scale Set is not allowed "
            "as it contains one or more VMs. Please delete or "
            "detach the VM(s) before deleting the Virtual Machine Scale Set."
        )
    victims = [vm for vm in members if vm["properties"].get("provisioningState") != "Deleting"]
    op = _begin_set_op(
        ctx, req, vmss, "vmss.delete", created=[], victims=victims, provisioning="Deleting", delete_set=True
    )
    return Response.empty(202, ctx.lro.accepted_headers(op, req, location=True))


@router.route("POST", _SET + "/delete", op_class="delete", policy="DeleteVMScaleSet")
def delete_instances(ctx: Context, req: Request) -> Response:
    """DeleteInstances: for Flex the instance ids are VM names (``*`` means every VM)."""
    vmss = _get_set(ctx, req)
    if vmss["properties"].get("provisioningState") == "Deleting":
        raise _marked_for_deletion(vmss["name"], "VirtualMachineScaleSets.deleteInstances.POST")
    ids = (req.json() or {}).get("instanceIds")
    if not isinstance(ids, list) or not ids:
        raise ArmError.invalid_parameter(
            "Required parameter 'instanceIds' is missing (null).", target="instanceIds"
        )
    members = {vm["name"].lower(): vm for vm in set_members(ctx, vmss["id"])}
    if [str(i) for i in ids] == ["*"]:
        chosen = list(members.values())
    else:
        unknown = [str(i) for i in ids if str(i).lower() not in members]
        if unknown:
            # Inferred text: Azure's InvalidParameter shape naming the unknown instance ids.
            raise ArmError.invalid_parameter(
                f"The instance ids '{', '.join(unknown)}' are not valid "
                f"for Virtual Machine Scale Set '{vmss['name']}'. "
                "For Virtual Machine Scale Sets with Flexible Orchestration "
                "Mode the instance id is the Virtual Machine name.",
                target="instanceIds",
            )
        chosen = [members[str(i).lower()] for i in ids]
    victims = [vm for vm in chosen if vm["properties"].get("provisioningState") != "Deleting"]
    op = _begin_set_op(ctx, req, vmss, "vmss.deleteInstances", created=[], victims=victims, provisioning="")
    return Response.empty(202, ctx.lro.accepted_headers(op, req, location=True))


# --------------------------------------------------------------------------- Uniform-only APIs


@router.route("GET", _SET + "/instanceView", op_class="read", policy="GetVMScaleSet")
def get_vmss_instance_view(ctx: Context, req: Request) -> Response:
    vmss = _get_set(ctx, req)
    if _is_flex(vmss):
        raise ArmError.operation_not_allowed(
            "Operation 'VirtualMachineScaleSets.instanceView.GET' is "
            f"not allowed on Virtual Machine Scale Set '{vmss['name']}'.",
            status=400,
        )
    state = str(vmss["properties"].get("provisioningState", "Succeeded"))
    return Response.json(
        {
            "virtualMachine": {"statusesSummary": []},
            "statuses": [
                {"code": f"ProvisioningState/{state.lower()}", "level": "Info", "displayStatus": state}
            ],
        }
    )


def _instance_id_check(ctx: Context, req: Request) -> Response:
    """Uniform-only VMSS-VM APIs: a Flex VM name is refused; a number names no instance here."""
    vmss = _get_set(ctx, req)
    instance_id = req.params["instanceId"]
    if not instance_id.isdigit():
        raise ArmError.invalid_parameter(
            "Virtual Machine Scale Set VM instanceId must be a number.", target="instanceId"
        )
    raise ArmError.resource_not_found(
        f"{VMSS_TYPE}/{vmss['name']}/virtualMachines", instance_id, req.params["resourceGroupName"]
    )


@router.route("GET", _SET + "/virtualMachines/{instanceId}", op_class="read", policy="LowCostGet")
def get_vmss_vm(ctx: Context, req: Request) -> Response:
    return _instance_id_check(ctx, req)


@router.route("DELETE", _SET + "/virtualMachines/{instanceId}", op_class="delete", policy="DeleteVM")
def delete_vmss_vm(ctx: Context, req: Request) -> Response:
    return _instance_id_check(ctx, req)


def _register_uniform_actions() -> None:
    for action in _BATCH_ACTIONS:
        router.route(
            "POST", _SET + "/virtualMachines/{instanceId}/" + action, op_class="action", policy="UpdateVM"
        )(_instance_id_check)

        def batch(ctx: Context, req: Request, _action: str = action) -> Response:
            vmss = _get_set(ctx, req)
            if _is_flex(vmss):
                raise ArmError.operation_not_allowed(
                    f"Operation 'VirtualMachineScaleSets.{_action}.POST' "
                    "is not allowed on Virtual Machine Scale Set "
                    f"'{vmss['name']}'. Use the Virtual Machines '{_action}' API on each VM instead.",
                    status=400,
                )
            # Uniform sets own no instances in this emulator: the batch action has nothing to do.
            return Response.empty(200)

        router.route("POST", _SET + "/" + action, op_class="action", policy="UpdateVMScaleSet")(batch)


_register_uniform_actions()
