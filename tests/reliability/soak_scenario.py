"""The soak scenario shared by the quick reliability test and ``bench/soak.py``.

A Flexible set is created from a profile (plus a few Spot VMs attached at creation), every
fan-out operation runs over it, a subset is deleted and the set is torn down, all while the
emulator injects faults from a recorded seed. After every step the library's report (each
VM's :class:`~flexvmss.BatchResult` outcome) is checked against the emulator's own state,
read with the stock azure-mgmt client while the faults are paused:

* a VM reported SUCCEEDED is in the operation's target power state (or gone, for deletes);
* a VM reported FAILED carries a typed flexvmss error whose code is one the faults produce,
  and is not silently in the target state it was not in before (unless the failure is a
  dropped connection, where Azure may have acted without the client hearing);
* no VM and no NIC exist twice (a retried PUT never creates a duplicate);
* teardown leaves nothing of the set, and resources created before the set (a standalone
  VM, a disk, a NIC) are untouched: their bodies, etags included, are unchanged.

The scenario runs in the caller's event loop against an in-process
:class:`~flexvmss.emulator.Emulator`; the library's own waits are scaled to the emulator's
clock by the runtime its clients are given (:func:`scaled_runtime`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flexvmss import FlexError, ImageSpec, NetworkSpec, ScaleSetSpec, SpotSpec, VmSpec
from flexvmss._runtime import Runtime
from flexvmss.emulator import Emulator, FaultRule

__all__ = [
    "FAULT_MIX",
    "LOCATION",
    "RG",
    "SoakReport",
    "World",
    "build_world",
    "clients_for",
    "paused_faults",
    "run_soak",
    "scaled_runtime",
]

LOCATION = "westeurope"
RG = "rg-soak"
IMAGE = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest")
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFlexvmssSoakKeyOnlyForTests0000000000000 soak@test"
SIZE = "Standard_D2s_v5"

#: Error codes the injected faults can surface as (an LRO failure that stays failed after the
#: library's retries, a status fault that outlasted the transient retries, a dropped connection).
INJECTED_LRO_CODES = ("RetryableError", "OperationPreempted", "AllocationFailed", "InternalExecutionError")
TRANSITIONAL = ("starting", "stopping", "deallocating")
TRANSIENT_CODES = ("InternalServerError", "ServiceUnavailable", "TooManyRequests")


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


def clients_for(emu: Emulator, *, polling_interval: float = 0.05) -> Any:
    """flexvmss's own client stack (throttle, retries) pointed at ``emu``, on the emulator's
    time (:func:`scaled_runtime`: the fan-outs these clients serve run on it too)."""
    from flexvmss._arm import ArmSettings, build_clients
    from flexvmss._pipeline import ThrottleConfig

    return build_clients(
        ArmSettings(
            emu.subscription_id,
            base_url=emu.base_url,
            credential=emu.async_credential,
            connection_verify=emu.ca_file,
            polling_interval=polling_interval,
            throttle=ThrottleConfig(time_scale=emu.time_scale),
            runtime=scaled_runtime(emu.time_scale),
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


# ------------------------------------------------------------------------------------- report


@dataclass
class SoakReport:
    """What a soak run did and found. Every list of findings is empty in a passing run."""

    seed: int
    vms: int
    operations: list[dict[str, Any]] = field(default_factory=list)
    vms_affected: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)
    outsiders_touched: list[str] = field(default_factory=list)
    untyped_errors: list[str] = field(default_factory=list)
    #: Reported failed by Azure's answer to a re-sent request, though the first (dropped) one worked.
    failed_after_drop: list[str] = field(default_factory=list)
    #: Known emulator infidelities met on the way (not library faults; see the report).
    emulator_findings: list[str] = field(default_factory=list)
    teardown_runs: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.mismatches or self.duplicates or self.leaked or self.outsiders_touched or self.untyped_errors
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "vms": self.vms,
            "operations_run": len(self.operations),
            "operations": self.operations,
            "vms_affected": self.vms_affected,
            "faults_injected": self.faults_injected,
            "outcome_mismatches": self.mismatches,
            "duplicates": self.duplicates,
            "resources_leaked": self.leaked,
            "outsiders_touched": self.outsiders_touched,
            "untyped_errors": self.untyped_errors,
            "failed_after_dropped_answer": self.failed_after_drop,
            "emulator_findings": self.emulator_findings,
            "teardown_runs": self.teardown_runs,
        }


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


def _check_batch(
    report: SoakReport,
    operation: str,
    result: Any,
    before: dict[str, str | None],
    after: dict[str, str | None],
    target: str | None,
    dropped: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Compare one BatchResult with the states read afterwards. ``dropped``: VMs one of whose
    requests was served but its answer dropped during the step."""
    for name, vm_result in result.results.items():
        outcome = vm_result.outcome.value if vm_result.outcome else None
        state = after.get(name, "gone")
        if outcome == "succeeded":
            # Azure answers a power-off of a deallocated VM with success and leaves it deallocated
            already_off = target == "stopped" and state == before.get(name) == "deallocated"
            if state in TRANSITIONAL and name in dropped:
                report.emulator_findings.append(
                    f"{operation} {name}: re-sent after a dropped answer, Azure said Succeeded, the VM "
                    f"stays {state} (the emulator took the first request's transitional state as final)"
                )
            elif target is not None and state != target and not already_off:
                report.mismatches.append(f"{operation} {name}: reported succeeded, but the VM is {state}")
        elif outcome == "failed":
            error = vm_result.error
            if not isinstance(error, FlexError):
                report.untyped_errors.append(f"{operation} {name}: {type(error).__name__}: {error!r}")
                continue
            code = getattr(error, "code", None)
            kind = type(error).__name__
            allowed = {*INJECTED_LRO_CODES, *TRANSIENT_CODES}
            if code == "PreconditionFailed" and name in dropped and state != "gone":
                # a create re-sent after its dropped answer meets its own VM (If-None-Match: *);
                # test_retried_writes.py holds the reproduction
                report.failed_after_drop.append(f"{operation} {name}: {code}, VM is {state}")
                continue
            # Azure refuses to restart a VM that an earlier injected failure left stopped
            refused_by_state = (
                code == "OperationNotAllowed" and operation == "restart" and before.get(name) != "running"
            )
            if kind != "TransportError" and code not in allowed and not refused_by_state:
                report.mismatches.append(
                    f"{operation} {name}: failed with {kind} {code!r}, not an injected fault"
                )
            if (
                target is not None
                and code in INJECTED_LRO_CODES
                and state == target
                and before.get(name) != target
            ):
                if name in dropped:
                    # the first request was served but its answer dropped; the re-sent one was
                    # failed by the injector although the VM had already got there
                    report.failed_after_drop.append(f"{operation} {name}: {code}, VM is {state}")
                    continue
                report.mismatches.append(
                    f"{operation} {name}: reported failed ({code}, {vm_result.attempts} attempt(s)) "
                    f"but the VM silently went from {before.get(name)} to {target}"
                )
        elif outcome in ("not_started", "cancelled", None):
            report.mismatches.append(f"{operation} {name}: left {outcome} in a batch without deadline")


def fault_counts(emu: Emulator) -> dict[str, int]:
    """Faults injected so far, by kind and status or code (``status:429``, ``lro_fail:AllocationFailed``)."""
    out: Counter[str] = Counter()
    for rule in emu.faults.rules:
        detail = rule.status or rule.code
        out[f"{rule.kind}:{detail}" if detail else rule.kind] += rule.fired
    return dict(sorted(out.items()))


# ------------------------------------------------------------------------------------- scenario

OPERATIONS: list[tuple[str, str | None]] = [
    # (facade method, target power state; None: no state change expected)
    ("deallocate", "deallocated"),
    ("start", "running"),
    ("stop", "stopped"),
    ("start", "running"),
    ("restart", "running"),
    ("redeploy", "running"),
    ("reimage", "running"),
    ("perform_maintenance", None),
]


async def run_soak(
    emu: Emulator,
    *,
    vms: int,
    seed: int,
    spot: int = 4,
    fault_scale: float = 1.0,
    throttle: bool = False,
    spec_overrides: dict[str, Any] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> SoakReport:
    """Run the whole scenario on a reset ``emu``; returns the report (never raises for findings).
    ``spec_overrides`` changes fields of the set's spec (e.g. a password and custom data)."""
    import flexvmss.aio

    report = SoakReport(seed=seed, vms=vms)
    emu.reset()
    emu.clear_faults()
    emu.set_throttle("off")
    world = build_world(emu)
    emu.faults.seed = seed
    emu.faults.reset()
    for rule in FAULT_MIX(fault_scale):
        emu.add_fault(rule)
    if throttle:
        emu.set_throttle("azure")
    rng = random.Random(seed)
    drops = DropWatch(emu)

    clients = clients_for(emu)
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "soak", clients=clients)
    affected: set[str] = set()

    async def step(label: str, call: Callable[[], Awaitable[Any]], attempts: int = 4) -> Any:
        """Run a non-batch call; a typed error is a truthful report, re-run it (idempotent)."""
        for attempt in range(attempts):
            try:
                return await call()
            except FlexError as exc:
                log(f"{label}: attempt {attempt + 1} raised {type(exc).__name__} {getattr(exc, 'code', '')}")
                report.operations.append(
                    {"operation": label, "raised": type(exc).__name__, "code": getattr(exc, "code", None)}
                )
            except Exception as exc:  # an untyped error is a finding
                report.untyped_errors.append(f"{label}: {type(exc).__name__}: {exc}")
                return None
        return None

    try:
        await step(
            "create", lambda: ss.create(profile_spec(world.subnet_id, vms, **(spec_overrides or {})))
        )
        # a create that failed part way converges through scale_to (the profile's capacity)
        await step("scale_to", lambda: ss.scale_to(vms))
        spot_specs = [
            vm_spec(
                world.subnet_id, f"spot{i}", priority="Spot", spot=SpotSpec(eviction_policy="Deallocate")
            )
            for i in range(spot)
        ]
        if spot:
            added = await step("add_vms", lambda: ss.add_vms(spot_specs))
            if added is not None:
                with paused_faults(emu):
                    after = _states(emu, ss.id)
                _check_batch(report, "add_vms", added, {}, after, "running", drops.take())
                report.operations.append({"operation": "add_vms", "summary": added.summary()})
        with paused_faults(emu):
            report.duplicates.extend(_duplicates(emu))
            states = _states(emu, ss.id)
        log(f"created: {len(states)} VMs")
        members = sorted(states)
        regular = [n for n in members if not n.startswith("spot")]
        for name, target in OPERATIONS:
            with paused_faults(emu):
                before = _states(emu, ss.id)
            drops.take()
            result = await step(name, getattr(ss, name))
            if result is None:
                continue
            with paused_faults(emu):
                after = _states(emu, ss.id)
                report.duplicates.extend(f"after {name}: {d}" for d in _duplicates(emu))
            _check_batch(report, name, result, before, after, target, drops.take())
            affected.update(result.results)
            report.operations.append(
                {
                    "operation": name,
                    "summary": result.summary(),
                    "failed": {n: getattr(e, "code", None) for n, e in result.errors.items()},
                }
            )
            log(result.summary())
        if spot:
            spots = [n for n in members if n.startswith("spot")]
            with paused_faults(emu):
                before = _states(emu, ss.id)
            result = await step("simulate_eviction", lambda: ss.simulate_eviction(spots))
            if result is not None:
                with paused_faults(emu):
                    after = _states(emu, ss.id)
                _check_batch(
                    report, "simulate_eviction", result, before, after, "deallocated", drops.take()
                )
                report.operations.append({"operation": "simulate_eviction", "summary": result.summary()})
        subset = sorted(rng.sample(regular, max(1, len(regular) // 10)))
        with paused_faults(emu):
            before = _states(emu, ss.id)
        result = await step("delete_vms", lambda: ss.delete_vms(subset))
        if result is not None:
            with paused_faults(emu):
                after = _states(emu, ss.id)
            _check_batch(report, "delete_vms", result, before, after, None, drops.take())
            for name in result.succeeded:
                if name in after:
                    report.mismatches.append(f"delete_vms {name}: reported deleted, but still listed")
            report.operations.append({"operation": "delete_vms", "summary": result.summary()})
        # ordered teardown, re-run until it converges (each run under the same faults)
        for _ in range(5):
            report.teardown_runs += 1
            done = await step("teardown", lambda: ss.delete(cascade=True), attempts=1)
            if done is not None:
                break
        report.vms_affected = len(affected | set(members))
    finally:
        await ss.close()
        await clients.close()
        report.faults_injected = fault_counts(emu)
        emu.clear_faults()
        emu.set_throttle("off")
    emu.complete_all()
    leaked = inventory_ids(emu) - world.baseline
    report.leaked = sorted(leaked)
    report.outsiders_touched = outsiders_changed(emu, world)
    return report
