"""The emulator's own truth, read in process: what the soak and the crash checks compare the
library's reports with.

Nothing here goes through flexvmss or over HTTP: the in-process
:class:`~flexvmss.emulator.Emulator`'s store (resource bodies and the compute provider's private
book, where each VM's power state lives) and its operation manager (every long-running operation
it started, finished or not) are read under the store's lock, after completing what is due. So
realism (stale list reads, a visibility lag after a 202) never reaches these reads: they show
what the emulator *did*, not what a client may be shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flexvmss.emulator import Emulator

__all__ = [
    "OpMark",
    "VmTruth",
    "leftovers",
    "mark",
    "members",
    "ops_since",
    "set_id_of",
    "vms_in_group",
]

VM_TYPE = "microsoft.compute/virtualmachines"
NIC_TYPE = "microsoft.network/networkinterfaces"
DISK_TYPE = "microsoft.compute/disks"
PIP_TYPE = "microsoft.network/publicipaddresses"
TRANSITIONAL = frozenset({"starting", "stopping", "deallocating"})


@dataclass(frozen=True)
class VmTruth:
    """One VM as the emulator holds it."""

    name: str
    id: str
    set_id: str | None
    #: The power state the VM is in (a transitional one while an operation runs).
    power: str
    provisioning: str
    #: The kind of the operation in flight on it (``vm.deallocate``...), None when idle.
    in_flight: str | None


@dataclass(frozen=True)
class OpMark:
    """A point in the emulator's operation history (see :func:`mark`, :func:`ops_since`)."""

    count: int


@contextmanager
def _locked(emu: Emulator) -> Iterator[None]:
    with emu.store.lock:
        emu.lro.tick()  # complete what is due, as every request does first
        yield


def set_id_of(emu: Emulator, resource_group: str, name: str) -> str:
    return (
        f"/subscriptions/{emu.subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.Compute/virtualMachineScaleSets/{name}"
    )


def vms_in_group(emu: Emulator, resource_group: str) -> dict[str, VmTruth]:
    """Every VM of the resource group, by name."""
    prefix = f"/subscriptions/{emu.subscription_id}/resourcegroups/{resource_group}/".lower()
    with _locked(emu):
        book: dict[str, Any] = emu.store.extra.get("compute", {}).get("vms", {})
        out: dict[str, VmTruth] = {}
        for key, body in emu.store.resources.items():
            if not key.startswith(prefix) or str(body.get("type", "")).lower() != VM_TYPE:
                continue
            props = body.get("properties") or {}
            private = book.get(key) or {}
            ref = (props.get("virtualMachineScaleSet") or {}).get("id")
            out[str(body["name"])] = VmTruth(
                name=str(body["name"]),
                id=str(body["id"]),
                set_id=str(ref).lower() if ref else None,
                power=str(private.get("power") or "running"),
                provisioning=str(props.get("provisioningState") or "Succeeded"),
                in_flight=private.get("op_kind") if private.get("token") is not None else None,
            )
        return out


def members(emu: Emulator, resource_group: str, set_name: str) -> dict[str, VmTruth]:
    """The VMs that reference the set, by name."""
    set_id = set_id_of(emu, resource_group, set_name).lower()
    return {n: vm for n, vm in vms_in_group(emu, resource_group).items() if vm.set_id == set_id}


def mark(emu: Emulator) -> OpMark:
    """Where the emulator's operation history stands now."""
    with _locked(emu):
        return OpMark(len(emu.lro.ops))


def ops_since(emu: Emulator, since: OpMark) -> list[dict[str, Any]]:
    """The operations started after ``since`` (oldest first): ``kind``, ``vm`` (the last
    segment of the resource id), ``status`` (InProgress, Succeeded, Failed, Canceled) and the
    error ``code`` of a failed one."""
    with _locked(emu):
        started = list(emu.lro.ops.values())[since.count :]
        return [
            {
                "kind": op.kind,
                "vm": op.resource_id.rstrip("/").rsplit("/", 1)[-1],
                "status": op.status,
                "code": (op.error or {}).get("code"),
            }
            for op in started
        ]


def leftovers(emu: Emulator, resource_group: str, keep: set[str]) -> list[str]:
    """NICs no VM holds, disks no VM manages and public IPs on no NIC in the group: what a
    deleted or half-created VM would leave behind. ``keep`` (lower-case ids) are resources the
    test made on purpose."""
    prefix = f"/subscriptions/{emu.subscription_id}/resourcegroups/{resource_group}/".lower()
    with _locked(emu):
        bodies = {k: b for k, b in emu.store.resources.items() if k.startswith(prefix) and k not in keep}
        found = []
        for body in bodies.values():
            kind = str(body.get("type", "")).lower()
            props = body.get("properties") or {}
            name = body.get("name")
            if kind == NIC_TYPE and not (props.get("virtualMachine") or {}).get("id"):
                found.append(f"NIC {name} belongs to no VM")
            elif kind == DISK_TYPE and not body.get("managedBy"):
                found.append(f"disk {name} is attached to no VM")
            elif kind == PIP_TYPE and not (props.get("ipConfiguration") or props.get("natGateway")):
                found.append(f"public IP {name} is on no NIC")
        return sorted(found)
