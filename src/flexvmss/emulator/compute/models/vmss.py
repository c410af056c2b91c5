"""Virtual machine scale sets (``Microsoft.Compute/virtualMachineScaleSets``) with Flexible
orchestration semantics.

A Flexible set with a ``virtualMachineProfile`` owns ``sku.capacity`` VMs named
``{set}_{8 hex}`` with NICs ``<nicConfigName>-<8 hex>``; changing the capacity creates or
deletes them. A set without a profile holds the VMs that reference it. A Uniform set with a
profile holds numbered instances instead (:mod:`.uniform`), and the Uniform-only set APIs
refuse Flexible sets as Azure does.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

from ...core import ArmError, Context, Operation, Request, location_of
from .defaults import apply_profile_defaults, apply_scale_set_defaults
from .flex import check_force_delete, check_vmss
from .scaling import begin_set_op, new_profile_vm, scale_in_victims, vm_sizes
from .skus import capability, find_sku, is_mpu
from .state import (
    VMSS_TYPE,
    book,
    bump_etag,
    deep_merge,
    profile_vms,
    set_book,
    set_members,
)
from .uniform import mark_all_deleting, plan_capacity, settle_instances
from .vms import remove_vm, strip_secrets

__all__ = [
    "delete_instances",
    "delete_vmss",
    "is_flex",
    "marked_for_deletion",
    "refuse_batch_on_flex",
    "render_vmss",
    "uniform_instance_view",
    "uniform_vm",
    "write_vmss",
]


def is_flex(vmss: dict[str, Any]) -> bool:
    return str((vmss.get("properties") or {}).get("orchestrationMode")) == "Flexible"


def render_vmss(ctx: Context, vmss: dict[str, Any], expand: str | None = None) -> dict[str, Any]:
    """The set's wire body, with the profile's user data when ``expand`` asks for it."""
    out = copy.deepcopy(vmss)
    if expand and "userdata" in expand.lower():
        user_data = set_book(ctx, vmss["id"]).get("userData")
        profile = out["properties"].get("virtualMachineProfile")
        if user_data is not None and isinstance(profile, dict):
            profile["userData"] = user_data
    return out


def marked_for_deletion(name: str, op: str) -> ArmError:
    return ArmError.operation_not_allowed(
        f"Operation '{op}' is not allowed on Virtual Machine "
        f"Scale Set '{name}' since it is marked for deletion."
    )


def profile_defaults(ctx: Context, body: dict[str, Any]) -> Any:
    """Fill what Compute adds to the ``virtualMachineProfile`` of the set ``body`` (the table in
    :mod:`.defaults`); return the profile's user data (kept aside)."""
    profile = body["properties"]["virtualMachineProfile"]
    user_data = strip_secrets(profile)
    location = str(body.get("location", ""))
    sizes = vm_sizes(body) if (body.get("sku") or {}).get("name") else []
    premium = all(capability(find_sku(ctx, location, size), "PremiumIO") != "False" for size in sizes)
    apply_profile_defaults(body, premium_io=premium)
    return user_data


def _require_os_type_for_new_profile(existing: dict[str, Any], payload_props: dict[str, Any]) -> None:
    """A PUT or PATCH that gives a set without a profile its first ``virtualMachineProfile``
    must name ``osDisk.osType``: Azure fills it from the image only when the set is created
    (Java session record VirtualMachineScaleSetOperationsTests.canUpdateVMSSInUpdateMode,
    2021-07-01: 400 InvalidParameter, target 'osDisk.osType')."""
    profile_in = payload_props.get("virtualMachineProfile")
    if not isinstance(profile_in, dict) or existing["properties"].get("virtualMachineProfile"):
        return
    os_disk = (profile_in.get("storageProfile") or {}).get("osDisk") or {}
    if not os_disk.get("osType"):
        raise ArmError.invalid_parameter(
            "Required parameter 'osDisk.osType' is missing (null).", target="osDisk.osType"
        )


def write_vmss(
    ctx: Context,
    request: Request,
    *,
    set_id: str,
    name: str,
    existing: dict[str, Any] | None,
    payload: dict[str, Any],
    method: str,
    subscription_id: str,
) -> tuple[dict[str, Any], Operation | None]:
    """Create a set (``existing`` None) or change one with a PUT or PATCH body: defaults, Flex
    rules, then the profile VMs its capacity asks for are made or marked for removal, all
    by one set operation. A VM the profile cannot make refuses the whole request and leaves
    the set and the network as they were. A Flex set created without a profile needs no
    operation (None)."""
    if existing is not None and existing["properties"].get("provisioningState") == "Deleting":
        raise marked_for_deletion(
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
        _require_os_type_for_new_profile(existing, payload_props)
        desired = deep_merge(existing, payload)
        desired.setdefault("properties", {})
    else:
        desired = payload
        desired.setdefault("properties", {})
        # A set PUT without orchestrationMode is a Uniform set at the REST API
        # (kubernetes-sigs/cloud-provider-azure virtualmachinescalesetclient recording,
        # 2026-03, api 2025-04-01: answered orchestrationMode 'Uniform').
        desired["properties"].setdefault("orchestrationMode", "Uniform")
        apply_scale_set_defaults(desired)
    props = desired["properties"]
    location = location_of(desired if existing is None else existing)
    desired["location"] = location if existing is None else existing["location"]
    flex = str(props.get("orchestrationMode")) == "Flexible"
    if isinstance(props.get("virtualMachineProfile"), dict):
        # When the profile was first given (kubernetes-sigs/cloud-provider-azure
        # virtualmachinescalesetclient recording, 2026-03, api 2025-04-01).
        props["virtualMachineProfile"].setdefault("timeCreated", ctx.clock.iso())
        profile_user_data = profile_defaults(ctx, desired)
        if user_data is Ellipsis and profile_user_data is not None:
            user_data = profile_user_data
        if not (desired.get("sku") or {}).get("name"):
            raise ArmError.invalid_parameter("Required parameter 'sku' is missing (null).", target="sku")
    check_vmss(ctx, body=desired, existing=existing, set_id=set_id, subscription_id=subscription_id)
    if existing is None:
        if flex and props.get("singlePlacementGroup") is None:
            # Left null, the platform picks: true only for sizes without memory-preserving
            # updates and FD > 1 (flex-rules-now.md row 1); a set without a profile answers
            # false (Java session record canUpdateVMSSInUpdateMode, 2021-07-01).
            fdc = int(props.get("platformFaultDomainCount") or 1)
            sizes = vm_sizes(desired) if props.get("virtualMachineProfile") else []
            props["singlePlacementGroup"] = fdc > 1 and any(not is_mpu(ctx, location, s) for s in sizes)
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
    sb = set_book(ctx, set_id)
    previous_user_data = sb.get("userData")
    if user_data is not Ellipsis:
        sb["userData"] = user_data
    created: list[dict[str, Any]] = []
    victims: list[dict[str, Any]] = []
    if flex and isinstance(props.get("virtualMachineProfile"), dict):
        target = int((vmss.get("sku") or {}).get("capacity") or 0)
        current = profile_vms(ctx, set_id)
        if target > len(current):
            members = list(current)
            try:
                for i in range(target - len(current)):
                    vm = new_profile_vm(ctx, vmss, len(current) + i, members)
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
            victims = scale_in_victims(ctx, vmss, len(current) - target)
    on_settled: Callable[[bool], None] | None = None
    if not flex:
        # A Uniform set's capacity makes or removes its numbered instances, settled by the
        # set's operation (inferred: as a Flex set's profile VMs are).
        made, dropped = plan_capacity(ctx, vmss)
        if made or dropped:
            on_settled = functools.partial(settle_instances, ctx, set_id, made, dropped)
    if existing is None and flex and not isinstance(props.get("virtualMachineProfile"), dict):
        # A Flex set without a profile is made at once: 201 already Succeeded, no operation to
        # poll (Java session record VirtualMachineScaleSetOperationsTests.canUpdateVMSSInUpdateMode,
        # 2021-07-01; issue 12 reports the same on newer API versions).
        props["provisioningState"] = "Succeeded"
        return vmss, None
    kind = "vmss.create" if existing is None else "vmss.update"
    op = begin_set_op(
        ctx,
        request,
        vmss,
        kind,
        created=created,
        victims=victims,
        provisioning="Creating" if existing is None else "Updating",
        on_settled=on_settled,
    )
    return vmss, op


def delete_vmss(ctx: Context, request: Request, vmss: dict[str, Any]) -> Operation:
    """Delete a set and the VMs it made from its profile (a delete already running is
    returned as it is); a set still holding VMs that joined it on their own is refused."""
    set_id = vmss["id"]
    sb = set_book(ctx, set_id)
    if vmss["properties"].get("provisioningState") == "Deleting":
        running = ctx.lro.get(sb.get("op_id") or "")
        if running is not None and not running.terminal:
            return running
    states = book(ctx)["vms"]
    members = set_members(ctx, set_id)
    if any(not states.get(vm["id"].lower(), {}).get("profile") for vm in members):
        # Today's wording (MicrosoftDocs/SupportArticles-docs vmss-operation-not-allowed.md,
        # 01/31/2023); the 2021 Flex doc spelled it "is not allowed".
        raise ArmError.operation_not_allowed(
            "Deletion of Virtual Machine Scale Set isn't allowed "
            "as it contains one or more VMs. Please delete or "
            "detach the VM(s) before deleting the Virtual Machine Scale Set."
        )
    victims = [vm for vm in members if vm["properties"].get("provisioningState") != "Deleting"]
    mark_all_deleting(ctx, set_id)  # a Uniform set's instances go with it
    return begin_set_op(
        ctx,
        request,
        vmss,
        "vmss.delete",
        created=[],
        victims=victims,
        provisioning="Deleting",
        delete_set=True,
    )


def delete_instances(ctx: Context, request: Request, vmss: dict[str, Any]) -> Operation:
    """DeleteInstances: for Flex the instance ids (in ``request``'s body) are VM names
    (``*`` means every VM)."""
    if vmss["properties"].get("provisioningState") == "Deleting":
        raise marked_for_deletion(vmss["name"], "VirtualMachineScaleSets.deleteInstances.POST")
    ids = (request.json() or {}).get("instanceIds")
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
    check_force_delete(request.flag("forceDeletion"), victims, vmss)
    return begin_set_op(
        ctx, request, vmss, "vmss.deleteInstances", created=[], victims=victims, provisioning=""
    )


# --------------------------------------------------------------------------- Uniform-only APIs


def uniform_instance_view(vmss: dict[str, Any]) -> dict[str, Any]:
    """A set's instance view: refused for a Flexible set, as Azure does."""
    if is_flex(vmss):
        raise ArmError.operation_not_allowed(
            "Operation 'VirtualMachineScaleSets.instanceView.GET' is "
            f"not allowed on Virtual Machine Scale Set '{vmss['name']}'.",
            status=400,
        )
    state = str(vmss["properties"].get("provisioningState", "Succeeded"))
    return {
        "virtualMachine": {"statusesSummary": []},
        "statuses": [{"code": f"ProvisioningState/{state.lower()}", "level": "Info", "displayStatus": state}],
    }


def uniform_vm(vmss: dict[str, Any], instance_id: str, resource_group: str) -> ArmError:
    """The error of a VMSS-VM API on a Flexible set: a VM name is refused (Flex instance ids are
    VM names and these APIs take numbers only, research/python-peers.md: ansible-collections/
    azure#1526); a number names no instance (a Flex set holds none)."""
    if not instance_id.isdigit():
        return ArmError.invalid_parameter(
            "Virtual Machine Scale Set VM instanceId must be a number.", target="instanceId"
        )
    return ArmError.resource_not_found(
        f"{VMSS_TYPE}/{vmss['name']}/virtualMachines", instance_id, resource_group
    )


def refuse_batch_on_flex(vmss: dict[str, Any], action: str) -> None:
    """A set-wide batch action (``POST .../virtualMachineScaleSets/{set}/start``) is
    Uniform-only: refused on a Flexible set (a Uniform set runs it on its instances,
    :func:`.uniform.begin_instance_action`)."""
    if is_flex(vmss):
        raise ArmError.operation_not_allowed(
            f"Operation 'VirtualMachineScaleSets.{action}.POST' "
            "is not allowed on Virtual Machine Scale Set "
            f"'{vmss['name']}'. Use the Virtual Machines '{action}' API on each VM instead.",
            status=400,
        )
