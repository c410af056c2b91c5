"""The per-VM actions (``POST .../virtualMachines/{vm}/<action>``): what each does to the VM's
power state, on the virtual clock, through :func:`~.power.begin_vm_op`.

Each action is declared where it is written, with :func:`vm_action`: its URL segment, the
Compute throttling policy it is charged to (learn.microsoft.com/azure/virtual-machines/
compute-throttling-limits: power off, start, restart, redeploy, reimage and run command are
UpdateVM; deallocate and simulate eviction are DeleteVM), its emulated duration and the name
Azure's texts give it. ``compute/urls.py`` routes every declared action, so a new action is one
function here. Its response is ARM's 202 with ``Azure-AsyncOperation`` and ``Location`` unless
its route says otherwise (``simulateEviction``, ``runCommand``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...core import ArmError, Context, Operation, Request
from .flex import is_spot
from .operations import OperationKind, register_kind
from .power import begin_vm_op, settled_power
from .state import book, vm_state
from .vms import remove_vm

#: What an action does to one VM: starts its operation (or raises ARM's refusal).
ActionFn = Callable[[Context, Request, dict[str, Any]], Operation]


@dataclass(frozen=True)
class VmAction:
    """A per-VM action route: ``POST .../virtualMachines/{vm}/<path>`` runs ``run``."""

    path: str
    run: ActionFn
    policy: str


#: Every action answered with ARM's usual 202, in declaration order (``compute/urls.py``
#: routes each one).
VM_ACTIONS: list[VmAction] = []


def vm_action(
    path: str, *, policy: str, seconds: float, azure_name: str, routed: bool = True
) -> Callable[[ActionFn], ActionFn]:
    """Declare a per-VM action: its operation kind ``vm.<path>`` (``seconds`` long, called
    ``azure_name`` in Azure's texts) and, when ``routed``, its route with the usual 202 answer
    (an action with an answer of its own is routed in ``compute/urls.py``)."""

    def declare(run: ActionFn) -> ActionFn:
        register_kind(f"vm.{path}", OperationKind(seconds, azure_name))
        if routed:
            VM_ACTIONS.append(VmAction(path, run, policy))
        return run

    return declare


__all__ = [
    "VM_ACTIONS",
    "VmAction",
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
    "vm_action",
]


@vm_action("start", policy="UpdateVM", seconds=30.0, azure_name="Start")
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


@vm_action("powerOff", policy="UpdateVM", seconds=20.0, azure_name="PowerOff")
def power_off(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    """A deallocated VM stays deallocated (the operation succeeds and changes nothing)."""
    if vm_state(ctx, vm["id"])["power"] in ("deallocated", "deallocating"):
        return begin_vm_op(ctx, request, vm, "vm.powerOff", power_during=None, power_after=None)
    return begin_vm_op(ctx, request, vm, "vm.powerOff", power_during="stopping", power_after="stopped")


@vm_action("deallocate", policy="DeleteVM", seconds=40.0, azure_name="Deallocate")
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


@vm_action("restart", policy="UpdateVM", seconds=30.0, azure_name="Restart")
def restart(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    _require_running(ctx, vm, "Restart")
    return begin_vm_op(ctx, request, vm, "vm.restart", power_during="starting", power_after="running")


def _back_in(ctx: Context, request: Request, vm: dict[str, Any], kind: str, after: str) -> Operation:
    """An action after which the VM is ``after``, passing through ``starting`` to get there
    when that is running."""
    return begin_vm_op(
        ctx, request, vm, kind, power_during="starting" if after == "running" else None, power_after=after
    )


@vm_action("redeploy", policy="UpdateVM", seconds=90.0, azure_name="Redeploy")
def redeploy(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    """A deallocated VM is redeployed deallocated; any other comes back running."""
    after = "deallocated" if settled_power(vm_state(ctx, vm["id"])) == "deallocated" else "running"
    return _back_in(ctx, request, vm, "vm.redeploy", after)


@vm_action("reimage", policy="UpdateVM", seconds=60.0, azure_name="Reimage")
def reimage(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    """The VM ends in the power state it was settling to."""
    return _back_in(ctx, request, vm, "vm.reimage", settled_power(vm_state(ctx, vm["id"])))


@vm_action("performMaintenance", policy="UpdateVM", seconds=120.0, azure_name="PerformMaintenance")
def perform_maintenance(ctx: Context, request: Request, vm: dict[str, Any]) -> Operation:
    return begin_vm_op(ctx, request, vm, "vm.performMaintenance", power_during=None, power_after=None)


@vm_action("simulateEviction", policy="DeleteVM", seconds=10.0, azure_name="SimulateEviction", routed=False)
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


@vm_action("runCommand", policy="UpdateVM", seconds=20.0, azure_name="RunCommand", routed=False)
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
