"""The compute operation kinds: what each is called in Azure's texts and how long it takes.

One row per kind. The per-VM actions register theirs where they are written
(:func:`.actions.vm_action`), so a new action is one function in :mod:`.actions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...core import Context, Operation, Request
from .state import NS

__all__ = [
    "CREATING_KINDS",
    "DELETING_KINDS",
    "DURATIONS",
    "OPERATIONS",
    "OperationKind",
    "op_name",
    "register_kind",
    "start_operation",
]


@dataclass(frozen=True)
class OperationKind:
    #: Emulated seconds before jitter.
    seconds: float
    #: The operation's name in Azure's "Operation '...' is not allowed on VM" texts.
    name: str | None = None


#: Every operation kind the compute provider starts (``vmss.scaleIn`` marks the VMs a set's
#: own operation removes; it is never started on its own); the per-VM actions' kinds are added
#: by :func:`register_kind` when :mod:`.actions` is imported.
OPERATIONS: dict[str, OperationKind] = {
    "vm.create": OperationKind(45.0, "Create VM"),
    "vm.update": OperationKind(15.0, "Update VM"),
    "vm.delete": OperationKind(30.0, "Delete VM"),
    "vmss.create": OperationKind(15.0),
    "vmss.update": OperationKind(10.0),
    "vmss.delete": OperationKind(10.0),
    "vmss.deleteInstances": OperationKind(35.0),
    "disk.create": OperationKind(5.0),
    "disk.delete": OperationKind(5.0),
}

#: Emulated duration in seconds of each operation kind (before jitter).
DURATIONS: dict[str, float] = {kind: op.seconds for kind, op in OPERATIONS.items()}

#: Kinds during which a VM is marked for deletion: only a delete may follow.
DELETING_KINDS = frozenset({"vm.delete", "vmss.delete", "vmss.deleteInstances", "vmss.scaleIn"})
#: Kinds during which a VM is being created: only a delete may follow.
CREATING_KINDS = frozenset({"vm.create", "vmss.create", "vmss.update"})


def register_kind(kind: str, row: OperationKind) -> None:
    """Add an operation kind (a per-VM action declares its own where it is written)."""
    if kind in OPERATIONS:
        raise ValueError(f"operation kind {kind!r} is declared twice")
    OPERATIONS[kind] = row
    DURATIONS[kind] = row.seconds


def op_name(kind: str) -> str:
    """The name Azure's texts give ``kind`` (the kind itself when they give none)."""
    row = OPERATIONS.get(kind)
    return row.name if row is not None and row.name else kind


def start_operation(
    ctx: Context,
    request: Request | None,
    body: dict[str, Any],
    kind: str,
    *,
    on_succeed: Callable[[], None],
    on_fail: Callable[[dict[str, Any]], None],
    duration: float | None = None,
    target: str | None = None,
    fail_with: tuple[str, dict[str, Any]] | None = None,
) -> Operation:
    """Start a compute operation of ``kind`` on the resource ``body`` (a VM or a set);
    ``request`` is the one that asked for it (fault rules match on it); ``target`` is the
    ``error.target`` its failure names; ``fail_with`` plans its failure (status, error)."""
    resource_id: str = body["id"]
    return ctx.lro.start(
        request,
        provider=NS,
        location=str(body.get("location", "")),
        subscription_id=resource_id.split("/")[2],
        kind=kind,
        resource_id=resource_id,
        on_succeed=on_succeed,
        on_fail=on_fail,
        duration=duration,
        target=target,
        fail_with=fail_with,
    )
