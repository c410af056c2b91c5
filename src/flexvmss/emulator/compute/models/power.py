"""VM lifecycle on the virtual clock: operations in flight, power states, instance views.

Each VM has at most one operation in flight, identified by a token in its private state.
A later action preempts the one in flight (which then fails with ``OperationPreempted``, as
Azure does); nothing may follow a delete; nothing but a delete may follow a create. The
callbacks of an operation only touch the VM while its token is still the current one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...core import ArmError, Context, Operation, Request
from .defaults import apply_instance_view_defaults
from .operations import CREATING_KINDS, DELETING_KINDS, op_name, start_operation
from .state import book, bump_etag, next_seq, vm_state

__all__ = [
    "PREEMPTED",
    "begin_vm_op",
    "end_vm_op",
    "guard",
    "instance_view",
    "owned",
    "power_display",
    "preempt",
    "set_health",
    "settled_power",
    "visible_state",
    "vm_health",
]

PREEMPTED = {
    "code": "OperationPreempted",
    "message": "Operation execution has been preempted by a more recent operation.",
}

_POWER_DISPLAY = {
    "starting": "VM starting",
    "running": "VM running",
    "stopping": "VM stopping",
    "stopped": "VM stopped",
    "deallocating": "VM deallocating",
    "deallocated": "VM deallocated",
}


def power_display(power: str) -> str:
    return _POWER_DISPLAY.get(power, power)


def guard(ctx: Context, vm: dict[str, Any], kind: str) -> None:
    """Refuse ``kind`` on ``vm`` if its state forbids it; preempt the operation in flight otherwise."""
    st = vm_state(ctx, vm["id"])
    name = vm["name"]
    if st.get("token") is None:
        return
    in_flight = st.get("op_kind")
    what = op_name(kind)
    if in_flight in DELETING_KINDS:
        raise ArmError.operation_not_allowed(
            f"Operation '{what}' is not allowed on VM '{name}' since the VM is marked for deletion. "
            "You can only retry the Delete operation (or wait for an ongoing one to complete)."
        )
    if in_flight in CREATING_KINDS and kind != "vm.delete":
        # Inferred text, in the shape of the marked-for-deletion message above.
        raise ArmError(
            409,
            "Conflict",
            f"Operation '{what}' is not allowed on VM '{name}' since the VM is being created. "
            "Retry after the ongoing operation completes.",
        )
    preempt(ctx, st)


def preempt(ctx: Context, state: dict[str, Any]) -> None:
    """A VM's own operation in flight (``vm.*``) fails with ``OperationPreempted`` when it
    completes, as Azure fails an operation a later one overtook."""
    if str(state.get("op_kind")).startswith("vm."):
        op = ctx.lro.get(state.get("op_id") or "")
        if op is not None and not op.terminal:
            op.planned = ("Failed", dict(PREEMPTED))


def owned(ctx: Context, vm_id: str, token: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The VM's body and private state while the operation holding ``token`` is still its
    current one; None once the VM is gone or a later operation took over."""
    body = ctx.store.get(vm_id)
    state = book(ctx)["vms"].get(vm_id.lower())
    if body is None or state is None or state.get("token") != token:
        return None
    return body, state


def end_vm_op(state: dict[str, Any], error: dict[str, Any] | None) -> None:
    """The VM's operation ended: it holds none now, and ``error`` (None on success) is the
    failure its instance view reports."""
    state["token"] = state["op_id"] = state["op_kind"] = None
    state["failed"] = (
        None
        if error is None
        else {"code": error.get("code", "InternalExecutionError"), "message": error.get("message", "")}
    )


#: Power states a VM only passes through while an operation runs.
TRANSITIONAL_POWER = frozenset({"starting", "stopping", "deallocating"})
#: Provisioning states a VM shows only while an operation runs.
IN_FLIGHT_STATES = frozenset({"Creating", "Updating", "Deleting", "Migrating"})


def visible_state(ctx: Context, vm: dict[str, Any]) -> tuple[str, str]:
    """The provisioning and power state reads show for ``vm``: its own, or (with realism's
    visibility lag) what it was before the operation in flight, until the lag has passed."""
    st = vm_state(ctx, vm["id"])
    shown = st.get("shown")
    if shown and shown.get("token") == st.get("token") and ctx.clock.now() < float(shown["until"]):
        return str(shown["provisioningState"]), str(shown["power"])
    return str(vm["properties"].get("provisioningState", "Succeeded")), str(st.get("power") or "running")


def settled_power(state: dict[str, Any]) -> str:
    """The power state a VM is in, or settling to while an operation runs."""
    power: str = state["power"]
    if power in TRANSITIONAL_POWER:
        return str(state.get("power_target") or "running")
    return power


def begin_vm_op(
    ctx: Context,
    req: Request | None,
    vm: dict[str, Any],
    kind: str,
    *,
    power_during: str | None,
    power_after: str | None,
    provisioning: str = "Updating",
    apply: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
    duration: float | None = None,
) -> Operation:
    """Start an operation on one VM. While it runs the VM shows ``provisioning`` and
    ``power_during``; on success ``apply(vm, state)`` runs and the VM ends ``Succeeded`` in
    ``power_after`` (None: unchanged); on failure it ends ``Failed`` with the error recorded
    for its instance view and its power state as before."""
    guard(ctx, vm, kind)
    vm_id: str = vm["id"]
    st = vm_state(ctx, vm_id)
    token = next_seq(ctx)
    # A preempted operation leaves a transitional power state behind; what the VM was
    # settling to is the state this operation starts from.
    power_before = settled_power(st)
    provisioning_before = str(vm["properties"].get("provisioningState") or "Succeeded")
    if provisioning_before in IN_FLIGHT_STATES:
        provisioning_before = "Succeeded"
    realism = ctx.realism
    keeps_state = realism.failed_ops_leave_state and kind not in CREATING_KINDS

    def succeed() -> None:
        cur = owned(ctx, vm_id, token)
        if cur is None:
            return
        body, state = cur
        end_vm_op(state, None)
        if power_after is not None:
            state["power"] = power_after
        if apply is not None:
            apply(body, state)
        if ctx.store.get(vm_id) is not None:
            body["properties"]["provisioningState"] = "Succeeded"
            bump_etag(body)

    def fail(error: dict[str, Any]) -> None:
        cur = owned(ctx, vm_id, token)
        if cur is None:
            return
        body, state = cur
        if keeps_state:
            # Realism: the failure leaves no mark on the VM; only the operation says it failed.
            end_vm_op(state, None)
            state["power"] = power_before
            body["properties"]["provisioningState"] = provisioning_before
            return
        end_vm_op(state, error)
        state["power"] = power_before if power_before not in ("starting",) else "stopped"
        body["properties"]["provisioningState"] = "Failed"
        bump_etag(body)

    st["token"] = token
    st["op_kind"] = kind
    st["op_id"] = None
    st["power_target"] = power_after if power_after is not None else power_before
    st["shown"] = None
    if realism.visibility_lag > 0 and kind not in CREATING_KINDS:
        # Realism: for a while reads still show the VM as it was before this operation.
        st["shown"] = {
            "token": token,
            "until": ctx.clock.now() + realism.visibility_lag,
            "provisioningState": provisioning_before,
            "power": st["power"],
        }
    if power_during is not None:
        st["power"] = power_during
    vm["properties"]["provisioningState"] = provisioning
    bump_etag(vm)
    op = start_operation(ctx, req, vm, kind, on_succeed=succeed, on_fail=fail, duration=duration)
    if st.get("token") == token:
        st["op_id"] = op.id
    return op


def instance_view(ctx: Context, vm: dict[str, Any]) -> dict[str, Any]:
    """The VM's instance view as Compute returns it (statuses, computer name, OS, FD)."""
    st = vm_state(ctx, vm["id"])
    props = vm.get("properties") or {}
    prov, power = visible_state(ctx, vm)
    statuses: list[dict[str, Any]] = []
    failed = st.get("failed")
    if prov == "Failed" and failed:
        statuses.append(
            {
                "code": f"ProvisioningState/failed/{failed['code']}",
                "level": "Error",
                "displayStatus": "Provisioning failed",
                "message": failed["message"],
                "time": ctx.clock.iso(),
            }
        )
    elif prov == "Succeeded":
        statuses.append(
            {
                "code": "ProvisioningState/succeeded",
                "level": "Info",
                "displayStatus": "Provisioning succeeded",
                "time": ctx.clock.iso(),
            }
        )
    else:
        statuses.append({"code": f"ProvisioningState/{prov.lower()}", "level": "Info", "displayStatus": prov})
    statuses.append({"code": f"PowerState/{power}", "level": "Info", "displayStatus": power_display(power)})
    if st.get("hibernated") and power == "deallocated":  # see actions.deallocate
        statuses.append(
            {"code": "HibernationState/Hibernated", "level": "Info", "displayStatus": "VM hibernated"}
        )
    os_profile = props.get("osProfile") or {}
    os_disk = (props.get("storageProfile") or {}).get("osDisk") or {}
    windows = os_disk.get("osType") == "Windows"
    view: dict[str, Any] = {}
    if power not in ("deallocated", "deallocating"):
        # A deallocated VM's instance view has no computer name, OS or agent: only disks,
        # hyperVGeneration and statuses (Java session record canOperateVirtualMachine, 2021-11-01).
        view["computerName"] = os_profile.get("computerName", vm["name"])
        view["osName"] = "Windows" if windows else "Linux"
        if power == "running":
            apply_instance_view_defaults(view, windows=windows, time=ctx.clock.iso())
    view["hyperVGeneration"] = "V2"
    view["statuses"] = statuses
    if "platformFaultDomain" in props:
        view["platformFaultDomain"] = props["platformFaultDomain"]
    disks = []
    if os_disk.get("name"):
        disks.append({"name": os_disk["name"], "statuses": [statuses[0]]})
    for dd in (props.get("storageProfile") or {}).get("dataDisks") or []:
        if dd.get("name"):
            disks.append({"name": dd["name"], "statuses": [statuses[0]]})
    view["disks"] = disks
    health = vm_health(ctx, vm["name"]) if power == "running" else None
    if health is not None:
        view["vmHealth"] = {"status": health}
    return view


#: The Application Health extension's states as a VM's instance view reports them
#: (``vmHealth.status``, REST spec VirtualMachineInstanceView.vmHealth / VirtualMachineHealthStatus;
#: the states Initializing, Healthy, Unhealthy, Unknown from learn.microsoft.com "Application
#: Health extension"). Inferred: the level and display text of each.
_HEALTH = {
    "initializing": ("Info", "The VM health is initializing"),
    "healthy": ("Info", "The VM is healthy"),
    "unhealthy": ("Warning", "The VM is unhealthy"),
    "unknown": ("Warning", "The VM health is unknown"),
}


def set_health(ctx: Context, state: str | None, name: str = "*") -> None:
    """What the emulated Application Health extension reports for VM ``name`` ("*": every VM
    without its own entry); None removes the entry (no extension: no ``vmHealth``). The
    emulator runs no application, so a test says what the extension would see."""
    entries: dict[str, str] = book(ctx).setdefault("health", {})
    if state is None:
        entries.pop(name.lower(), None)
        return
    if state.lower() not in _HEALTH:
        raise ValueError(f"health state must be one of {', '.join(_HEALTH)}, not {state!r}")
    entries[name.lower()] = state.lower()


def vm_health(ctx: Context, name: str) -> dict[str, Any] | None:
    """The ``vmHealth.status`` of a running VM, None when no health entry applies to it.
    Inferred: a VM that is not running reports no health (its extension is not running)."""
    entries: dict[str, str] = book(ctx).get("health") or {}
    state = entries.get(name.lower(), entries.get("*"))
    if state is None:
        return None
    level, text = _HEALTH[state]
    return {"code": f"HealthState/{state}", "level": level, "displayStatus": text}
