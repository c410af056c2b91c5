"""Instances of Uniform scale sets (``.../virtualMachineScaleSets/{set}/virtualMachines/{id}``).

A Uniform set with a ``virtualMachineProfile`` and ``sku.capacity`` N holds N instances numbered
``"0"``, ``"1"`` ... in creation order (learn.microsoft.com virtual-machine-scale-sets-instance-ids:
a Uniform instance id is a decimal number, its name ``{set}_{id}``; Azure gives no order and may
reuse ids, so never reusing one is inferred, the safe side for a client). Each instance's body
is what the VMSS-VM API answers, shaped after one recording:

**CPA-VMSSVM** kubernetes-sigs/cloud-provider-azure ``pkg/azclient/virtualmachinescalesetvmclient/
testdata/AZURECLOUD.yaml`` @ 314ccf11 (recorded 2026-03-12, api 2025-04-01): a Windows Uniform set of
capacity 1 made from ``MicrosoftWindowsServer/WindowsServer/2019-Datacenter``; its instance ``0``
read with GET (interactions 12 and 14), listed (8), its instance view read (7), deleted (16: 202 with
``Azure-AsyncOperation`` and ``Location``, no body).

The instances live in the set's private book (``set_book(...)["instances"]``), not in the store:
they are no top-level resources (a resource group lists none of them) and go with their set.
Flexible sets hold plain VMs instead (:mod:`.scaling`); for them the VMSS-VM list names those VMs.
"""

from __future__ import annotations

import copy
from typing import Any

from ...core import ArmError, Context, Operation, Request
from .defaults import apply_instance_view_defaults, is_windows
from .operations import OperationKind, register_kind, start_operation
from .power import power_display
from .scaling import begin_set_op
from .state import VMSS_TYPE, bump_etag, set_book, set_members

__all__ = [
    "INSTANCE_ACTIONS",
    "INSTANCE_TYPE",
    "begin_delete_instances",
    "begin_instance_action",
    "begin_instance_delete",
    "chosen_instances",
    "find_instance",
    "flex_listing",
    "instance_view",
    "instances",
    "instances_in_order",
    "mark_all_deleting",
    "plan_capacity",
    "power",
    "render_instance",
    "settle_instances",
]

#: The VMSS-VM resource type (CPA-VMSSVM).
INSTANCE_TYPE = VMSS_TYPE + "/virtualMachines"

# Inferred duration: as long as a VM delete (models/operations.py "vm.delete").
register_kind("vmssvm.delete", OperationKind(30.0, "Delete VM"))


def instances(ctx: Context, set_id: str) -> dict[str, dict[str, Any]]:
    """The set's instances by instance id (bodies as the VMSS-VM GET answers them)."""
    found: dict[str, dict[str, Any]] = set_book(ctx, set_id).setdefault("instances", {})
    return found


def instances_in_order(ctx: Context, set_id: str) -> list[dict[str, Any]]:
    """The set's instances, lowest instance id first."""
    return [body for _, body in sorted(instances(ctx, set_id).items(), key=lambda kv: int(kv[0]))]


def _computer_name(prefix: str, number: int) -> str:
    """The prefix and the instance id in base 36 on 6 digits: instance 0 of prefix ``vmss`` is
    ``vmss000000`` (CPA-VMSSVM), instance 85 of ``nsgvmss`` is ``nsgvmss00002D``
    (learn.microsoft.com virtual-machine-scale-sets-instance-ids, as quoted in microsoft/onefuzz#2550)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return prefix + out.rjust(6, "0")


def _new_instance(ctx: Context, vmss: dict[str, Any]) -> dict[str, Any]:
    """One instance made from the set's profile, in ``Creating`` until its set operation ends."""
    sb = set_book(ctx, vmss["id"])
    number = int(sb.get("next_instance") or 0)
    sb["next_instance"] = number + 1
    instance_id = str(number)
    profile: dict[str, Any] = vmss["properties"]["virtualMachineProfile"]
    storage = copy.deepcopy(profile.get("storageProfile") or {})
    os_disk = storage.setdefault("osDisk", {})
    set_name = vmss["name"]
    # Disk name and id as CPA-VMSSVM shows them: '<set>_<set>_<id>_OS__1_<32 hex>' in the set's group.
    disk_name = f"{set_name}_{set_name}_{instance_id}_OS__1_{ctx.new_guid().replace('-', '')}"
    os_disk["name"] = disk_name
    managed = os_disk.setdefault("managedDisk", {})
    group_id = vmss["id"].split("/providers/")[0]
    managed["id"] = f"{group_id}/providers/Microsoft.Compute/disks/{disk_name}"
    os_disk.pop("deleteOption", None)  # not in the instance's osDisk (CPA-VMSSVM)
    storage.setdefault("dataDisks", [])
    os_in = profile.get("osProfile") or {}
    prefix = str(os_in.get("computerNamePrefix") or set_name[:9])
    os_profile: dict[str, Any] = {"computerName": _computer_name(prefix, number)}
    for key, value in os_in.items():
        if key not in ("computerNamePrefix", "adminPassword", "customData"):  # secrets never echo
            os_profile[key] = copy.deepcopy(value)
    network = profile.get("networkProfile") or {}
    configs = copy.deepcopy(network.get("networkInterfaceConfigurations") or [])
    instance_path = f"{vmss['id']}/virtualMachines/{instance_id}"
    body: dict[str, Any] = {
        "name": f"{set_name}_{instance_id}",
        "id": instance_path,
        "type": INSTANCE_TYPE,
        "location": vmss["location"],
        "instanceId": instance_id,
        "sku": {k: v for k, v in (vmss.get("sku") or {}).items() if k != "capacity"},
        "properties": {
            "latestModelApplied": True,
            "modelDefinitionApplied": "VirtualMachineScaleSet",
            "networkProfileConfiguration": {"networkInterfaceConfigurations": configs},
            "provisioningState": "Creating",
            "hardwareProfile": {"vmSize": str((vmss.get("sku") or {}).get("name"))},
            "resilientVMDeletionStatus": "Disabled",
            "vmId": ctx.new_guid(),
            "storageProfile": storage,
            "osProfile": os_profile,
            # The NIC of each NIC configuration, a child of the instance (CPA-VMSSVM).
            "networkProfile": {
                "networkInterfaces": [
                    {"id": f"{instance_path}/networkInterfaces/{c['name']}"} for c in configs
                ]
            },
            "timeCreated": ctx.clock.iso(),
        },
        "etag": '"1"',
    }
    zones = vmss.get("zones") or []
    if zones:
        # Inferred: instances spread over the set's zones in turn, each in one zone.
        body["zones"] = [str(zones[number % len(zones)])]
    return body


def plan_capacity(ctx: Context, vmss: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Bring a Uniform set's instances to its ``sku.capacity``: new ones are made (``Creating``),
    surplus ones marked ``Deleting``; the ids of both, for the set operation that settles them.
    Scale-in picks the highest instance ids (the Uniform Default and NewestVM policies; OldestVM
    the lowest: learn.microsoft.com virtual-machine-scale-sets-scale-in-policy; zone and fault
    domain balancing is not modelled, inferred as a simplification)."""
    if not isinstance(vmss["properties"].get("virtualMachineProfile"), dict):
        return [], []
    target = int((vmss.get("sku") or {}).get("capacity") or 0)
    found = instances(ctx, vmss["id"])
    live = [
        b for b in instances_in_order(ctx, vmss["id"]) if b["properties"]["provisioningState"] != "Deleting"
    ]
    created: list[str] = []
    victims: list[str] = []
    if target > len(live):
        for _ in range(target - len(live)):
            body = _new_instance(ctx, vmss)
            found[body["instanceId"]] = body
            created.append(body["instanceId"])
    elif target < len(live):
        rules = [str(r).lower() for r in ((vmss["properties"].get("scaleInPolicy") or {}).get("rules") or [])]
        order = live if "oldestvm" in rules else list(reversed(live))
        for body in order[: len(live) - target]:
            body["properties"]["provisioningState"] = "Deleting"
            bump_etag(body)
            victims.append(body["instanceId"])
    return created, victims


def settle_instances(
    ctx: Context, set_id: str, created: list[str], victims: list[str], succeeded: bool
) -> None:
    """The end of the set operation that made ``created`` and removes ``victims``: on success
    the new instances are ``Succeeded`` and the victims gone; on failure both are ``Failed``
    (inferred, as the set's own VMs in :func:`.scaling.begin_set_op`)."""
    found = instances(ctx, set_id)
    for instance_id in created:
        body = found.get(instance_id)
        if body is not None and body["properties"]["provisioningState"] == "Creating":
            body["properties"]["provisioningState"] = "Succeeded" if succeeded else "Failed"
            bump_etag(body)
    for instance_id in victims:
        if succeeded:
            found.pop(instance_id, None)
        elif instance_id in found:
            found[instance_id]["properties"]["provisioningState"] = "Failed"
            bump_etag(found[instance_id])


def mark_all_deleting(ctx: Context, set_id: str) -> None:
    """A set being deleted shows its instances ``Deleting`` (inferred); they go with the set."""
    for body in instances(ctx, set_id).values():
        body["properties"]["provisioningState"] = "Deleting"
        bump_etag(body)


def find_instance(
    ctx: Context, vmss: dict[str, Any], instance_id: str, resource_group: str
) -> dict[str, Any]:
    """The instance a VMSS-VM request names; Azure's errors otherwise: a name that is not a
    number is refused (CPA-VMSSVM interaction 15: 400 InvalidParameter, target 'instanceId'),
    a number no instance has is not found (inferred: ARM's ResourceNotFound)."""
    if not instance_id.isdigit():
        raise ArmError.invalid_parameter(
            "Virtual Machine Scale Set VM instanceId must be a number.", target="instanceId"
        )
    body = instances(ctx, vmss["id"]).get(str(int(instance_id)))
    if body is None:
        raise ArmError.resource_not_found(f"{INSTANCE_TYPE}/{vmss['name']}", instance_id, resource_group)
    return body


def render_instance(
    ctx: Context, vmss: dict[str, Any], body: dict[str, Any], expand: str | None
) -> dict[str, Any]:
    """An instance's wire body; ``$expand=instanceView`` adds its instance view under
    ``properties.instanceView`` (REST spec VirtualMachineScaleSetVMs_Get, ``InstanceViewTypes``)."""
    out = copy.deepcopy(body)
    out["properties"]["provisioningState"] = _visible_state(ctx, vmss["id"], body)
    if expand and "instanceview" in expand.lower():
        out["properties"]["instanceView"] = instance_view(ctx, vmss, body)
    return out


def _visible_state(ctx: Context, set_id: str, body: dict[str, Any]) -> str:
    """The provisioning state reads show: the instance's own, or (realism's visibility lag, as
    for VMs in :func:`.power.visible_state`) what it was before its delete, until the lag passed."""
    sb = set_book(ctx, set_id)
    shown = (sb.get("instance_shown") or {}).get(body["instanceId"])
    running = (sb.get("instance_ops") or {}).get(body["instanceId"])
    if shown and shown["op"] == running and ctx.clock.now() < float(shown["until"]):
        return str(shown["provisioningState"])
    return str(body["properties"]["provisioningState"])


def instance_view(ctx: Context, vmss: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """An instance's instance view, shaped as CPA-VMSSVM interaction 7 shows it.

    Values inferred: the placement group is one GUID per set (the recording's set has
    ``singlePlacementGroup`` true); update domain = instance id mod 5 and fault domain = instance
    id mod the set's ``platformFaultDomainCount`` (Azure spreads instances over both); the OS
    name, version and agent as :data:`.defaults.RUNNING_INSTANCE_VIEW_DEFAULTS` give them for VMs."""
    sb = set_book(ctx, vmss["id"])
    if not sb.get("placementGroupId"):
        sb["placementGroupId"] = ctx.new_guid()
    props = body["properties"]
    number = int(body["instanceId"])
    fd_count = max(1, int(vmss["properties"].get("platformFaultDomainCount") or 1))
    state = _visible_state(ctx, vmss["id"], body)
    now = ctx.clock.iso()
    if state == "Succeeded":
        provisioning: dict[str, Any] = {
            "code": "ProvisioningState/succeeded",
            "level": "Info",
            "displayStatus": "Provisioning succeeded",
            "time": now,
        }
    else:
        provisioning = {"code": f"ProvisioningState/{state.lower()}", "level": "Info", "displayStatus": state}
    now_power = power(ctx, vmss["id"], body["instanceId"])
    if state == "Creating":
        now_power = "starting"
    running = now_power == "running"
    windows = is_windows(props)
    view: dict[str, Any] = {
        "placementGroupId": sb["placementGroupId"],
        "platformUpdateDomain": number % 5,
        "platformFaultDomain": number % fd_count,
        "computerName": props["osProfile"]["computerName"],
        "osName": "Windows" if windows else "Linux",
    }
    if running:
        apply_instance_view_defaults(view, windows=windows, time=now)
    os_disk = props["storageProfile"].get("osDisk") or {}
    view["disks"] = [{"name": os_disk.get("name"), "statuses": [provisioning]}]
    view["hyperVGeneration"] = "V1"  # CPA-VMSSVM (a 2019-Datacenter image); inferred for others
    view["statuses"] = [
        provisioning,
        {"code": f"PowerState/{now_power}", "level": "Info", "displayStatus": power_display(now_power)},
    ]
    return view


def begin_instance_delete(
    ctx: Context, request: Request, vmss: dict[str, Any], body: dict[str, Any]
) -> Operation:
    """Delete one instance: it shows ``Deleting`` until the operation ends, then it is gone and
    the set's ``sku.capacity`` is one less (inferred: the capacity counts the instances the set
    holds, as a scale-in by capacity removes them). A delete already running is returned as it is."""
    sb = set_book(ctx, vmss["id"])
    ops: dict[str, str] = sb.setdefault("instance_ops", {})
    instance_id = body["instanceId"]
    current = ctx.lro.get(ops.get(instance_id, ""))
    if current is not None and not current.terminal:
        return current
    set_id = vmss["id"]
    before = str(body["properties"]["provisioningState"])
    body["properties"]["provisioningState"] = "Deleting"
    bump_etag(body)

    def succeed() -> None:
        instances(ctx, set_id).pop(instance_id, None)
        set_book(ctx, set_id).get("instance_ops", {}).pop(instance_id, None)
        set_book(ctx, set_id).get("instance_shown", {}).pop(instance_id, None)
        owner = ctx.store.get(set_id)
        if owner is not None and "sku" in owner:
            owner["sku"]["capacity"] = max(0, int(owner["sku"].get("capacity") or 0) - 1)
            bump_etag(owner)

    def fail(_error: dict[str, Any]) -> None:
        # Inferred: a failed delete leaves the instance as it was.
        left = instances(ctx, set_id).get(instance_id)
        if left is not None:
            left["properties"]["provisioningState"] = before
            bump_etag(left)

    op = start_operation(ctx, request, body, "vmssvm.delete", on_succeed=succeed, on_fail=fail)
    ops[instance_id] = op.id
    shown: dict[str, Any] = sb.setdefault("instance_shown", {})
    shown.pop(instance_id, None)
    lag = ctx.realism.visibility_lag
    if lag > 0:
        # Realism (as for VM actions, .power.begin_vm_op): for a while reads still show the
        # instance as it was before its delete.
        shown[instance_id] = {"op": op.id, "until": ctx.clock.now() + lag, "provisioningState": before}
    return op


#: The per-instance actions (``POST .../virtualMachines/{id}/<action>``, REST spec
#: VirtualMachineScaleSetVMs_Start, _PowerOff, ...): the power state while each runs and after,
#: and its emulated seconds. Inferred: as the per-VM actions of :mod:`.actions` (same durations),
#: with the ``Updating`` provisioning state while they run and no refusals modelled.
INSTANCE_ACTIONS: dict[str, tuple[str, str, float]] = {
    "start": ("starting", "running", 30.0),
    "powerOff": ("stopping", "stopped", 20.0),
    "deallocate": ("deallocating", "deallocated", 40.0),
    "restart": ("starting", "running", 30.0),
    "reimage": ("starting", "running", 60.0),
    "reimageall": ("starting", "running", 60.0),
    "redeploy": ("starting", "running", 90.0),
    "performMaintenance": ("starting", "running", 120.0),
}
for _action, (_during, _after, _seconds) in INSTANCE_ACTIONS.items():
    register_kind(f"vmssvm.{_action}", OperationKind(_seconds, _action[0].upper() + _action[1:]))


def power(ctx: Context, set_id: str, instance_id: str) -> str:
    """An instance's power state (``running`` unless an action changed it)."""
    return str((set_book(ctx, set_id).get("instance_power") or {}).get(instance_id, "running"))


def begin_instance_action(
    ctx: Context,
    request: Request,
    vmss: dict[str, Any],
    chosen: list[dict[str, Any]],
    action: str,
    *,
    anchor: dict[str, Any],
) -> Operation:
    """Run a per-instance action on the ``chosen`` instances as one operation on ``anchor`` (the
    instance, or the set for a batch action): ``Updating`` and the transitional power state while
    it runs, its power state after; a failure leaves them as they were (inferred)."""
    during, after, _ = INSTANCE_ACTIONS[action]
    set_id = vmss["id"]
    powers: dict[str, str] = set_book(ctx, set_id).setdefault("instance_power", {})
    before: dict[str, tuple[str, str]] = {}
    for body in chosen:
        instance_id = body["instanceId"]
        before[instance_id] = (str(body["properties"]["provisioningState"]), power(ctx, set_id, instance_id))
        body["properties"]["provisioningState"] = "Updating"
        powers[instance_id] = during
        bump_etag(body)

    def end(succeeded: bool) -> None:
        for instance_id, (state, was) in before.items():
            left = instances(ctx, set_id).get(instance_id)
            if left is None or left["properties"]["provisioningState"] != "Updating":
                continue
            left["properties"]["provisioningState"] = "Succeeded" if succeeded else state
            set_book(ctx, set_id).setdefault("instance_power", {})[instance_id] = after if succeeded else was
            bump_etag(left)

    return start_operation(
        ctx,
        request,
        anchor,
        f"vmssvm.{action}",
        on_succeed=lambda: end(True),
        on_fail=lambda _error: end(False),
    )


def chosen_instances(
    ctx: Context, vmss: dict[str, Any], ids: Any, resource_group: str
) -> list[dict[str, Any]]:
    """The instances a set-wide request's ``instanceIds`` name (REST spec
    VirtualMachineScaleSetVMInstanceIDs: omitted or ``*`` means every instance); each id as the
    per-instance APIs take it (:func:`find_instance`)."""
    if ids is None or [str(i) for i in ids] == ["*"]:
        return [
            b
            for b in instances_in_order(ctx, vmss["id"])
            if b["properties"]["provisioningState"] != "Deleting"
        ]
    if not isinstance(ids, list):
        raise ArmError.invalid_parameter(
            "The value of parameter instanceIds is invalid.", target="instanceIds"
        )
    return [find_instance(ctx, vmss, str(i), resource_group) for i in ids]


def begin_delete_instances(
    ctx: Context, request: Request, vmss: dict[str, Any], chosen: list[dict[str, Any]]
) -> Operation:
    """DeleteInstances on a Uniform set: the chosen instances go when the set operation ends and
    the capacity is that many less (inferred, as a single instance's delete)."""
    victims = [b["instanceId"] for b in chosen if b["properties"]["provisioningState"] != "Deleting"]
    for body in chosen:
        body["properties"]["provisioningState"] = "Deleting"
        bump_etag(body)
    set_id = vmss["id"]

    def settled(succeeded: bool) -> None:
        gone = [i for i in victims if i in instances(ctx, set_id)] if succeeded else []
        settle_instances(ctx, set_id, [], victims, succeeded)
        owner = ctx.store.get(set_id)
        if gone and owner is not None and "sku" in owner:
            owner["sku"]["capacity"] = max(0, int(owner["sku"].get("capacity") or 0) - len(gone))

    return begin_set_op(
        ctx,
        request,
        vmss,
        "vmss.deleteInstances",
        created=[],
        victims=[],
        provisioning="",
        on_settled=settled,
    )


#: What a Flexible set's VMSS-VM list item carries of each member VM's properties (the keys
#: ``VirtualMachineScaleSetVMProperties`` declares that a VM has; tags are left out:
#: Azure/azure-rest-api-specs#27441, 2024-01, "List API does not return tags for Flexible").
_FLEX_ITEM_KEYS = (
    "vmId",
    "hardwareProfile",
    "storageProfile",
    "osProfile",
    "networkProfile",
    "diagnosticsProfile",
    "securityProfile",
    "provisioningState",
    "timeCreated",
)


def flex_listing(ctx: Context, vmss: dict[str, Any]) -> list[dict[str, Any]]:
    """The VMSS-VM list of a Flexible set: its member VMs, each with its VM name as instance id.
    Azure answers this list for Flex (hashicorp/terraform-provider-azurerm's scale set data
    source reads it for both modes, Flex fix 1e8703a3, 2023; Azure/azure-cli ``az vmss
    list-instances`` has no Flex branch; research/terraform-flex.md, azure-cli-flex.md); the
    item shape beyond ``instanceId`` and the missing tags is inferred from the Uniform item."""
    out = []
    for vm in set_members(ctx, vmss["id"]):
        props = vm.get("properties") or {}
        item: dict[str, Any] = {
            "name": vm["name"],
            "id": f"{vmss['id']}/virtualMachines/{vm['name']}",
            "type": INSTANCE_TYPE,
            "location": vm["location"],
            "instanceId": vm["name"],
            "properties": {k: copy.deepcopy(props[k]) for k in _FLEX_ITEM_KEYS if k in props},
        }
        if vm.get("zones"):
            item["zones"] = list(vm["zones"])
        if vm.get("etag"):
            item["etag"] = vm["etag"]
        out.append(item)
    return out
