"""The soak's world and helpers, shared by the reliability tests, the soak run
(:mod:`soak_run`) and ``bench/soak.py``.

A resource group with a subnet behind a NAT gateway and three outsiders (a standalone VM, a
disk, a NIC: resources that are not the set's and must stay untouched), the set's specs, the
issue's fault mix, flexvmss's own clients on the emulator's clock (:func:`clients_for`,
:func:`scaled_runtime`) and a few reads with the stock azure-mgmt client (:func:`_states`,
:func:`_duplicates`) that other reliability tests use. The soak itself compares the library's
reports with the emulator's in-process truth (:mod:`soak_truth`), not with these reads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flexvmss import ImageSpec, NetworkSpec, ScaleSetSpec, VmSpec
from flexvmss._runtime import Runtime
from flexvmss.emulator import Emulator, FaultRule

__all__ = [
    "FAULT_MIX",
    "LOCATION",
    "RG",
    "DropWatch",
    "World",
    "build_world",
    "clients_for",
    "fault_counts",
    "inventory_ids",
    "outsiders_changed",
    "paused_faults",
    "profile_spec",
    "scaled_runtime",
    "vm_spec",
]

LOCATION = "westeurope"
RG = "rg-soak"
IMAGE = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest")
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFlexvmssSoakKeyOnlyForTests0000000000000 soak@test"
SIZE = "Standard_D2s_v5"

#: The error codes of the injected LRO failures.
INJECTED_LRO_CODES = ("RetryableError", "OperationPreempted", "AllocationFailed", "InternalExecutionError")


def FAULT_MIX(scale: float = 1.0) -> list[FaultRule]:
    """The issue's fault mix: 5% 500/503, 5% 429, 1% dropped connections, 2% slow answers and
    1% LROs ending Failed (retryable and non-retryable codes). ``scale`` multiplies every rate."""
    lro = 0.01 * scale / len(INJECTED_LRO_CODES)
    return [
        FaultRule(kind="status", status=500, probability=0.025 * scale),
        FaultRule(kind="status", status=503, probability=0.025 * scale, delay=2.0),
        FaultRule(kind="status", status=429, probability=0.05 * scale, delay=2.0),
        FaultRule(kind="drop", probability=0.01 * scale),
        FaultRule(kind="slow", probability=0.02 * scale, delay=20.0),
        *(FaultRule(kind="lro_fail", probability=lro, code=code) for code in INJECTED_LRO_CODES),
    ]


def scaled_runtime(time_scale: float) -> Runtime:
    """A runtime whose waits (emulated seconds) take ``time_scale`` of their real length."""

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) * time_scale)

    return Runtime(sleep=sleep)


@contextlib.contextmanager
def paused_faults(emu: Emulator) -> Iterator[None]:
    """Lift the fault rules for a verification read; put the same rules back afterwards."""
    rules = list(emu.faults.rules)
    emu.clear_faults()
    try:
        yield
    finally:
        for rule in rules:
            emu.add_fault(rule)


def clients_for(
    emu: Emulator, *, polling_interval: float = 0.05, scaled: bool = True, **throttle: Any
) -> Any:
    """flexvmss's own client stack (throttle, retries) pointed at ``emu``, its throttle on the
    emulator's time scale (``throttle``: other ThrottleConfig fields). ``scaled``: the runtime
    is :func:`scaled_runtime` too (the fan-outs these clients serve run on the emulator's
    time); False keeps real-time sleeps, for tests whose pacer waits are already real seconds."""
    from flexvmss._arm import ArmSettings, build_clients
    from flexvmss._pipeline import ThrottleConfig
    from flexvmss._runtime import DEFAULT_RUNTIME

    return build_clients(
        ArmSettings(
            emu.subscription_id,
            base_url=emu.base_url,
            credential=emu.async_credential,
            connection_verify=emu.ca_file,
            polling_interval=polling_interval,
            throttle=ThrottleConfig(time_scale=emu.time_scale, **throttle),
            runtime=scaled_runtime(emu.time_scale) if scaled else DEFAULT_RUNTIME,
        )
    )


class DropWatch:
    """Names the VMs whose requests the injector dropped (served, answer lost), per step.

    Test instrumentation: wraps the in-process emulator's ``faults.pre_dispatch`` on the
    instance, without changing what it decides."""

    def __init__(self, emu: Emulator) -> None:
        self.names: set[str] = set()
        inner = emu.faults.pre_dispatch

        def pre_dispatch(method: str, path: str, op_class: str | None) -> list[FaultRule]:
            fired = inner(method, path, op_class)
            if any(rule.kind == "drop" for rule in fired):
                parts = path.split("/")
                lower = [p.lower() for p in parts]
                if "virtualmachines" in lower and lower.index("virtualmachines") + 1 < len(parts):
                    self.names.add(parts[lower.index("virtualmachines") + 1])
            return fired

        emu.faults.pre_dispatch = pre_dispatch  # type: ignore[method-assign]

    def take(self) -> set[str]:
        names, self.names = self.names, set()
        return names


# ------------------------------------------------------------------------------------- world


@dataclass
class World:
    """What exists before the set: its network, and resources that are not the set's."""

    subnet_id: str
    outsiders: dict[str, dict[str, Any]]  # id -> body (as the stock client returns it)
    baseline: set[str]  # every resource id (lower case) before the set


def _outsider_bodies(emu: Emulator, rg: str) -> dict[str, dict[str, Any]]:
    c = emu.clients()
    try:
        vm = c.compute.virtual_machines.get(rg, "outsider").as_dict()
        disk = c.compute.disks.get(rg, "spare-disk").as_dict()
        nic = c.network.network_interfaces.get(rg, "spare-nic").as_dict()
    finally:
        c.close()
    return {str(body["id"]).lower(): body for body in (vm, disk, nic)}


def outsiders_changed(emu: Emulator, world: World, rg: str = RG) -> list[str]:
    """Ids of the outsiders whose body (etag included) differs from before, or that are gone."""
    try:
        now = _outsider_bodies(emu, rg)
    except Exception as exc:  # one of them is gone: that is the finding
        return [f"outsider missing: {type(exc).__name__}: {exc}"]
    return sorted(rid for rid, body in world.outsiders.items() if now.get(rid) != body)


def inventory_ids(emu: Emulator) -> set[str]:
    return {str(r["id"]).lower() for r in emu.inventory()["resources"]}


def build_world(emu: Emulator, rg: str = RG) -> World:
    """A resource group with a subnet behind a NAT gateway, and three outsiders: a standalone
    VM, a spare disk and a spare NIC (created with the stock SDK, never by flexvmss)."""
    from flexvmss._specs import render_vm_body

    c = emu.clients()
    try:
        subnet_id = emu.create_network(rg, LOCATION).subnet_id  # /20 behind a NAT gateway
        spec = vm_spec(subnet_id, "outsider")
        body = render_vm_body(spec, scale_set_id="", location=LOCATION)
        del body["properties"]["virtualMachineScaleSet"]
        c.compute.virtual_machines.begin_create_or_update(rg, "outsider", body).result()
        c.compute.disks.begin_create_or_update(
            rg,
            "spare-disk",
            {
                "location": LOCATION,
                "sku": {"name": "Standard_LRS"},
                "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 8},
            },
        ).result()
        c.network.network_interfaces.begin_create_or_update(
            rg,
            "spare-nic",
            {
                "location": LOCATION,
                "properties": {
                    "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet_id}}}]
                },
            },
        ).result()
    finally:
        c.close()
    return World(subnet_id=subnet_id, outsiders=_outsider_bodies(emu, rg), baseline=inventory_ids(emu))


def profile_spec(subnet_id: str, capacity: int, **overrides: Any) -> ScaleSetSpec:
    fields: dict[str, Any] = {
        "location": LOCATION,
        "vm_size": SIZE,
        "capacity": capacity,
        "image": IMAGE,
        "network": NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        "ssh_public_keys": (SSH_KEY,),
    }
    fields.update(overrides)
    return ScaleSetSpec(**fields)


def vm_spec(subnet_id: str, name: str, **overrides: Any) -> VmSpec:
    fields: dict[str, Any] = {
        "name": name,
        "vm_size": SIZE,
        "image": IMAGE,
        "network": NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        "ssh_public_keys": (SSH_KEY,),
    }
    fields.update(overrides)
    return VmSpec(**fields)


# ------------------------------------------------------------------------------------- checks


def _states(emu: Emulator, set_id: str, rg: str = RG) -> dict[str, str | None]:
    """Each member VM's power state (None while unknown), read with the stock client."""
    c = emu.clients()
    try:
        out: dict[str, str | None] = {}
        for vm in c.compute.virtual_machines.list(
            rg, filter=f"'virtualMachineScaleSet/id' eq '{set_id}'", expand="instanceView"
        ):
            power = None
            view = vm.instance_view
            for status in (view.statuses or []) if view else []:
                if status.code and status.code.startswith("PowerState/"):
                    power = status.code.split("/", 1)[1]
            out[vm.name] = power
        return out
    finally:
        c.close()


def _duplicates(emu: Emulator, rg: str = RG) -> list[str]:
    """VMs listed twice, and NICs that no VM references (what a retried PUT would leave)."""
    c = emu.clients()
    try:
        vms = list(c.compute.virtual_machines.list(rg))
        nics = list(c.network.network_interfaces.list(rg))
    finally:
        c.close()
    found = [
        f"VM {name} listed {n} times" for name, n in Counter(vm.name.lower() for vm in vms).items() if n > 1
    ]
    referenced = {
        str(ref.id).lower()
        for vm in vms
        for ref in (vm.network_profile.network_interfaces or [] if vm.network_profile else [])
    }
    for nic in nics:
        if nic.name == "spare-nic":
            continue
        if str(nic.id).lower() not in referenced and nic.virtual_machine is None:
            found.append(f"NIC {nic.name} belongs to no VM")
    return found


def fault_counts(emu: Emulator) -> dict[str, int]:
    """Faults injected so far, by kind and status or code (``status:429``, ``lro_fail:AllocationFailed``)."""
    out: Counter[str] = Counter()
    for rule in emu.faults.rules:
        detail = rule.status or rule.code
        out[f"{rule.kind}:{detail}" if detail else rule.kind] += rule.fired
    return dict(sorted(out.items()))
