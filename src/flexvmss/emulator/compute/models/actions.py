"""The per-VM actions (``POST .../virtualMachines/{vm}/<action>``): what each does to the VM's
power state, on the virtual clock, through :func:`~.power.begin_vm_op`.

Each action has a row in :data:`.operations.OPERATIONS` (its name and duration) and a route
in ``compute/urls.py``; its response is ARM's 202 with ``Azure-AsyncOperation`` and
``Location`` unless noted.
"""

from __future__ import annotations

import copy
from typing import Any

from ...core import ArmError, Context, Operation, Request
from .flex import is_spot
from .power import begin_vm_op, settled_power
from .state import book, vm_state
from .vms import remove_vm

__all__ = [
    "deallocate",
    "perform_maintenance",
    "power_off",
    "redeploy",
    "reimage",
    "restart",
    "run_command",
    "run_command_result",
    "simulate_eviction",
    "start",
]


def start(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    return begin_vm_op(
        ctx,
        request,
        vm,
        "vm.start",
        power_during="starting",
        power_after="running",
        apply=lambda _body, state: state.pop("hibernated", None),
    )


def power_off(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    """A deallocated VM stays deallocated (the operation succeeds and changes nothing)."""
    if vm_state(ctx, vm["id"])["power"] in ("deallocated", "deallocating"):
        return begin_vm_op(ctx, request, vm, "vm.powerOff", power_during=None, power_after=None)
    return begin_vm_op(ctx, request, vm, "vm.powerOff", power_during="stopping", power_after="stopped")


def deallocate(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    """``hibernate=true`` leaves the VM hibernated: its instance view then shows
    ``HibernationState/Hibernated`` beside ``PowerState/deallocated`` (MicrosoftDocs azure-docs
    hibernate-resume.md, "View the state of a hibernated VM"), until it is started again."""
    hibernate = request.flag("hibernate")

    def mark(_body: dict[str, Any], state: dict[str, Any]) -> None:
        state["hibernated"] = hibernate

    return begin_vm_op(
        ctx,
        request,
        vm,
        "vm.deallocate",
        power_during="deallocating",
        power_after="deallocated",
        apply=mark,
    )


def _require_running(ctx: Context, vm: dict[str, Any], op_name: str) -> None:
    power = vm_state(ctx, vm["id"])["power"]
    if power in ("deallocated", "deallocating", "stopped", "stopping"):
        # Inferred text, in the shape of Azure's "Operation '...' is not allowed on VM" messages.
        raise ArmError.operation_not_allowed(
            f"Operation '{op_name}' is not allowed on VM '{vm['name']}' since the "
            f"VM is {'deallocated' if power.startswith('dealloc') else 'stopped'}."
        )


def restart(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    _require_running(ctx, vm, "Restart")
    return begin_vm_op(ctx, request, vm, "vm.restart", power_during="starting", power_after="running")


def _back_in(ctx: Context, request: Request, vm: dict[str, Any], kind: str, after: str) -> Operation:
    """An action after which the VM is ``after``, passing through ``starting`` to get there
    when that is running."""
    return begin_vm_op(
        ctx, request, vm, kind, power_during="starting" if after == "running" else None, power_after=after
    )


def redeploy(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    """A deallocated VM is redeployed deallocated; any other comes back running."""
    after = "deallocated" if settled_power(vm_state(ctx, vm["id"])) == "deallocated" else "running"
    return _back_in(ctx, request, vm, "vm.redeploy", after)


def reimage(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    """The VM ends in the power state it was settling to."""
    return _back_in(ctx, request, vm, "vm.reimage", settled_power(vm_state(ctx, vm["id"])))


def perform_maintenance(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    return begin_vm_op(ctx, request, vm, "vm.performMaintenance", power_during=None, power_after=None)


def simulate_eviction(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    """Compute accepts a simulated eviction with 204 No Content and evicts the Spot VM in
    the background: there is no operation to poll (the SDK's ``simulate_eviction`` accepts
    only 204), only the VM's state to watch. The VM goes as its ``evictionPolicy`` says."""
    if not is_spot(vm["properties"].get("priority")):
        # Inferred text: Simulate Eviction applies to Spot VMs only.
        raise ArmError.operation_not_allowed(
            f"Operation 'SimulateEviction' is not allowed on VM '{vm['name']}' since it is not a Spot VM."
        )
    if str(vm["properties"].get("evictionPolicy", "Deallocate")) == "Delete":
        return begin_vm_op(
            ctx,
            request,
            vm,
            "vm.simulateEviction",
            power_during="stopping",
            power_after=None,
            provisioning="Deleting",
            apply=lambda body, _st: remove_vm(ctx, body["id"]),
        )
    return begin_vm_op(
        ctx, request, vm, "vm.simulateEviction", power_during="deallocating", power_after="deallocated"
    )


def _command_output(command_id: str, script: Any) -> dict[str, Any]:
    """What a run command answers: the script's ``echo`` lines as its stdout, in the shape
    of the RunPowerShellScript / RunShellScript results."""
    lines = [str(line) for line in script] if isinstance(script, list) else str(script).splitlines()
    stdout = "".join(
        line.strip()[5:].strip().strip("'\"") + "\n"
        for line in lines
        if line.strip().lower().startswith("echo ")
    )
    if "powershell" in command_id.lower():
        return {
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
    return {
        "value": [
            {
                "code": "ProvisioningState/succeeded",
                "level": "Info",
                "displayStatus": "Provisioning succeeded",
                "message": f"Enable succeeded: \n[stdout]\n{stdout}\n[stderr]\n",
            }
        ]
    }


def run_command(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    """Run the command ``request`` names on a running VM; its output is kept for
    :func:`run_command_result`."""
    _require_running(ctx, vm, "RunCommand")
    payload = request.json()
    command_id = str(payload.get("commandId") or "")
    if not command_id:
        raise ArmError.invalid_parameter(
            "Required parameter 'commandId' is missing (null).", target="commandId"
        )
    result = _command_output(command_id, payload.get("script") or [])
    results = book(ctx)["run_results"]
    op = begin_vm_op(
        ctx,
        request,
        vm,
        "vm.runCommand",
        power_during=None,
        power_after=None,
        apply=lambda _body, _st: None,
    )
    results[op.id] = result
    return op


def run_command_result(ctx: Context, op_id: str) -> tuple[Operation, dict[str, Any]]:
    """The operation of a run command and its output (a copy); ARM's 404 when unknown."""
    op = ctx.lro.get(op_id)
    result = book(ctx)["run_results"].get(op_id)
    if op is None or result is None:
        raise ArmError(404, "NotFound", f"The operation '{op_id}' was not found.")
    return op, copy.deepcopy(result)
