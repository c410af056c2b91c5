"""Every route of the ``Microsoft.Compute`` provider, with the request class the admin API
counts it under and the Compute throttling policy it is charged to
(learn.microsoft.com/azure/virtual-machines/compute-throttling-limits; the policies are
modelled in ``emulator/_throttle.py``)."""

from __future__ import annotations

from ..core import Router
from .models import actions
from .responses import disks, skus, vms, vmss
from .responses.common import put_policy

__all__ = ["BATCH_ACTIONS", "router"]

_SUB = "/subscriptions/{subscriptionId}/providers/Microsoft.Compute"
_RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute"
VMS = _RG + "/virtualMachines"
VM = VMS + "/{vmName}"
SETS = _RG + "/virtualMachineScaleSets"
SET = SETS + "/{vmScaleSetName}"
DISKS = _RG + "/disks"
DISK = DISKS + "/{diskName}"

#: Set-wide actions that exist for Uniform sets only (each also per instance).
BATCH_ACTIONS = (
    "start",
    "deallocate",
    "powerOff",
    "restart",
    "reimage",
    "reimageall",
    "redeploy",
    "performMaintenance",
)

router = Router()
add = router.add

# --------------------------------------------------------------------------- scale sets
add(
    "PUT",
    SET,
    vmss.put_vmss,
    op_class="write",
    policy=put_policy(
        "virtualMachineScaleSets", "vmScaleSetName", create="CreateVMScaleSet", update="UpdateVMScaleSet"
    ),
)
add("PATCH", SET, vmss.patch_vmss, op_class="write", policy="UpdateVMScaleSet")
add("GET", SET, vmss.get_vmss, op_class="read", policy="GetVMScaleSet")
add("GET", SETS, vmss.list_vmss, op_class="list", policy="HighCostGetVMScaleSet")
add(
    "GET",
    _SUB + "/virtualMachineScaleSets",
    vmss.list_all_vmss,
    op_class="list",
    policy="HighCostGetVMScaleSet",
)
add("DELETE", SET, vmss.delete_vmss, op_class="delete", policy="DeleteVMScaleSet")
add("POST", SET + "/delete", vmss.delete_instances, op_class="delete", policy="DeleteVMScaleSet")
add("GET", SET + "/instanceView", vmss.get_vmss_instance_view, op_class="read", policy="GetVMScaleSet")
add("GET", SET + "/virtualMachines", vmss.list_instances, op_class="list", policy="HighCostGet")
add("GET", SET + "/virtualMachines/{instanceId}", vmss.get_instance, op_class="read", policy="LowCostGet")
add(
    "GET",
    SET + "/virtualMachines/{instanceId}/instanceView",
    vmss.get_instance_view,
    op_class="read",
    policy="LowCostGet",
)
add(
    "DELETE",
    SET + "/virtualMachines/{instanceId}",
    vmss.delete_instance,
    op_class="delete",
    policy="DeleteVM",
)
for _action in BATCH_ACTIONS:
    add(
        "POST",
        SET + "/virtualMachines/{instanceId}/" + _action,
        vmss.instance_action(_action),
        op_class="action",
        policy="UpdateVM",
    )
    add("POST", SET + "/" + _action, vmss.batch_action(_action), op_class="action", policy="UpdateVMScaleSet")

# --------------------------------------------------------------------------- virtual machines
add(
    "PUT",
    VM,
    vms.put_vm,
    op_class="write",
    policy=put_policy("virtualMachines", "vmName", create="PutVM", update="UpdateVM"),
)
add("PATCH", VM, vms.patch_vm, op_class="write", policy="UpdateVM")
add("GET", VM, vms.get_vm, op_class="read", policy="LowCostGet")
add("GET", VM + "/instanceView", vms.get_instance_view, op_class="read", policy="LowCostGet")
add("GET", VMS, vms.list_vms, op_class="list", policy="HighCostGet")
add("GET", _SUB + "/virtualMachines", vms.list_all_vms, op_class="list", policy="HighCostGet")
add("DELETE", VM, vms.delete_vm, op_class="delete", policy="DeleteVM")
# the per-VM actions answered with a 202: each declared in models/actions.py
for _vm_action in actions.VM_ACTIONS:
    add(
        "POST",
        VM + "/" + _vm_action.path,
        vms.action(_vm_action.run),
        op_class="action",
        policy=_vm_action.policy,
    )
add("POST", VM + "/simulateEviction", vms.simulate_eviction, op_class="action", policy="DeleteVM")
add("POST", VM + "/runCommand", vms.run_command, op_class="action", policy="UpdateVM")
add(
    "GET",
    _SUB + "/locations/{location}/runCommandResults/{operationId}",
    vms.run_command_result,
    op_class="poll",
    arm="read",
    policy="GetOperation",
)

# --------------------------------------------------------------------------- disks
add("PUT", DISK, disks.put_disk, op_class="write")
add("PATCH", DISK, disks.patch_disk, op_class="write")
add("GET", DISK, disks.get_disk, op_class="read")
add("GET", DISKS, disks.list_disks, op_class="list")
add("DELETE", DISK, disks.delete_disk, op_class="delete")

# --------------------------------------------------------------------------- resource SKUs
add("GET", _SUB + "/skus", skus.list_skus, op_class="list", policy="LowCostGet")
