"""The soak run, as a list of phases: shared by the quick reliability test and ``bench/soak.py``.

A Flexible set is created from a profile (plus a few Spot VMs attached afterwards), every fan-out
operation runs over it, a subset is deleted and the set is torn down, while the emulator injects
faults from a recorded seed (and, when it is built with ``realism="azure"``, shows stale list
reads and lagged state after each 202). Each operation is audited VM by VM against the emulator's
own truth (:mod:`soak_audit`, :mod:`soak_truth`): the VMs it should affect are read from the
emulator before it runs, and every one of them is compared afterwards with what the emulator did
and what the library reported.

A phase is an ``async`` function of a :class:`SoakRun`; it records its findings in the run's
:class:`SoakReport` (an :class:`~soak_audit.OpAudit` per operation, or a list of named findings).
:data:`PHASES` is the default order; a new phase (a reconcile step, say) is one more function in
that list, or passed as ``phases=`` to :func:`run_soak`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import soak_truth as truth
from soak_audit import EXCUSES, OpAudit, audit_batch
from soak_scenario import (
    FAULT_MIX,
    RG,
    DropWatch,
    World,
    build_world,
    clients_for,
    fault_counts,
    inventory_ids,
    outsiders_changed,
    profile_spec,
    vm_spec,
)

from flexvmss import FlexError, SpotSpec
from flexvmss.emulator import Emulator

__all__ = [
    "OPERATIONS",
    "PHASES",
    "TIMING_DEPENDENT",
    "Phase",
    "SoakReport",
    "SoakRun",
    "run_soak",
    "without_timing",
]

SET_NAME = "soak"

#: (facade method, the emulator's operation kinds that do its work, target power state; None:
#: the state does not change).
OPERATIONS: list[tuple[str, tuple[str, ...], str | None]] = [
    ("deallocate", ("vm.deallocate",), "deallocated"),
    ("start", ("vm.start",), "running"),
    ("stop", ("vm.powerOff",), "stopped"),
    ("start", ("vm.start",), "running"),
    ("restart", ("vm.restart",), "running"),
    ("redeploy", ("vm.redeploy",), "running"),
    ("reimage", ("vm.reimage",), "running"),
    ("perform_maintenance", ("vm.performMaintenance",), None),
]

#: Why a typed error raised by one attempt of an operation is not a finding on its own.
RAISED_ATTEMPT = (
    "A typed flexvmss error is a truthful report (e.g. the set's VM list failed past the "
    "transient retries under the injected faults); the operations are idempotent and a user "
    "re-runs them. Only an operation that raises on every attempt (never_completed) is a finding."
)

#: Fields whose values depend on timing (request interleaving on a wall-clock-driven emulator),
#: not only on the seed, with the reason. Everything else in the report is the same for a seed.
TIMING_DEPENDENT: dict[str, str] = {
    "faults_injected": "faults are drawn per request in arrival order; concurrent requests and "
    "retries arrive in an order that depends on scheduling",
    "realism": "stale list items are drawn per list read; how many reads a batch makes depends on timing",
    "operations[].affected": "which VMs an injected LRO failure hits depends on arrival order",
    "operations[teardown].expected": "a VM whose deletion an injected failure ended stays in the set "
    "for the teardown",
    "operations[].outcomes": "as affected",
    "operations[].failed": "as affected",
    "operations[].summary": "durations and request counts are measured",
    "operations[].excused": "which VMs had a dropped answer or were left stopped depends on arrival order",
    "operations[].attempts_raised": "whether a list read outlasts its retries depends on arrival order",
    "teardown_runs": "as attempts_raised",
    "affected": "the sum of operations[].affected",
    "excused": "the sums of operations[].excused",
    "log_bytes_searched": "the DEBUG log carries timings and request counts",
    "wall_seconds": "measured",
}


def without_timing(out: dict[str, Any]) -> dict[str, Any]:
    """``out`` (:meth:`SoakReport.as_dict`) without the fields :data:`TIMING_DEPENDENT` names:
    what the same seed must reproduce. ``a[].b`` names field ``b`` of every item of list ``a``;
    ``a[x].b`` of the items whose ``operation`` is ``x``."""
    out = dict(out)
    for key in TIMING_DEPENDENT:
        top, _, rest = key.partition("[")
        if not rest:
            out.pop(top, None)
            continue
        which, _, sub = rest.partition("].")
        out[top] = [
            {k: v for k, v in item.items() if k != sub} if which in ("", item.get("operation")) else item
            for item in out[top]
        ]
    return out


@dataclass
class SoakReport:
    """What a soak run did and found. ``ok`` is False on any finding."""

    seed: int
    vms: int
    audits: list[OpAudit] = field(default_factory=list)
    faults_injected: dict[str, int] = field(default_factory=dict)
    realism: dict[str, Any] = field(default_factory=dict)
    #: Findings outside one operation's audit, by kind (duplicates, resources_leaked...).
    findings: dict[str, list[str]] = field(default_factory=dict)
    teardown_runs: int = 0

    def find(self, kind: str, text: str) -> None:
        self.findings.setdefault(kind, []).append(text)

    @property
    def operations_run(self) -> int:
        """Operations that ran to a result (an attempt that raised is not one)."""
        return sum(1 for a in self.audits if a.never_completed is None)

    def total(self, kind: str) -> int:
        return sum(len(a.findings[kind]) for a in self.audits)

    @property
    def ok(self) -> bool:
        return all(a.ok for a in self.audits) and not any(self.findings.values())

    def as_dict(self) -> dict[str, Any]:
        excused: dict[str, int] = {k: sum(len(a.excused[k]) for a in self.audits) for k in EXCUSES}
        return {
            "seed": self.seed,
            "vms": self.vms,
            "operations_run": self.operations_run,
            "operations_never_completed": [
                f"{a.operation}: {a.never_completed}" for a in self.audits if a.never_completed
            ],
            "operations": [a.as_dict() for a in self.audits],
            "expected": sum(len(a.expected) for a in self.audits),
            "affected": sum(len(a.affected) for a in self.audits),
            "reported": sum(len(a.reported) for a in self.audits),
            "false_successes": self.total("false_successes"),
            "false_failures": self.total("false_failures"),
            "findings": {k: v for k, v in self.findings.items() if v},
            "excused": {"counts": excused, "justification": {**EXCUSES, "attempts_raised": RAISED_ATTEMPT}},
            "faults_injected": self.faults_injected,
            "realism": self.realism,
            "teardown_runs": self.teardown_runs,
            "timing_dependent": TIMING_DEPENDENT,
            "ok": self.ok,
        }


@dataclass
class SoakRun:
    """What the phases share: the emulator, the set under test, the world around it."""

    emu: Emulator
    ss: Any
    world: World
    report: SoakReport
    rng: random.Random
    drops: DropWatch
    vms: int
    spot: int
    spec_overrides: dict[str, Any]
    deadline: float
    attempts: int
    log: Callable[[str], None]
    #: The set's VMs after creation (names), regular and Spot.
    members: list[str] = field(default_factory=list)

    @property
    def spots(self) -> list[str]:
        return [n for n in self.members if n.startswith("spot")]

    @property
    def regular(self) -> list[str]:
        return [n for n in self.members if not n.startswith("spot")]

    def truth(self) -> dict[str, truth.VmTruth]:
        return truth.vms_in_group(self.emu, RG)

    def set_members(self) -> dict[str, truth.VmTruth]:
        return truth.members(self.emu, RG, SET_NAME)

    async def attempt(
        self, audit: OpAudit, call: Callable[[], Awaitable[Any]], attempts: int | None = None
    ) -> Any:
        """Run ``call`` until it returns (at most ``attempts`` times, each within the deadline).
        A typed error is recorded on the audit and the call re-run; raising every time, hanging
        past the deadline or an untyped error leave ``never_completed`` set: a finding."""
        tries = self.attempts if attempts is None else attempts
        for n in range(tries):
            try:
                return await asyncio.wait_for(call(), timeout=self.deadline)
            except FlexError as exc:
                text = f"attempt {n + 1}: {type(exc).__name__} {getattr(exc, 'code', None)}"
                audit.attempts_raised.append(text)
                self.log(f"{audit.operation}: {text}")
            except asyncio.TimeoutError:
                audit.never_completed = f"no result within the deadline ({self.deadline:.0f} s)"
                return None
            except Exception as exc:  # an untyped error is a finding
                audit.find("untyped_errors", f"raised {type(exc).__name__}: {exc}")
                audit.never_completed = f"raised an untyped {type(exc).__name__}"
                return None
        audit.never_completed = f"raised on every one of {tries} attempts"
        return None

    async def batch(
        self,
        label: str,
        call: Callable[[], Awaitable[Any]],
        expected: Sequence[str],
        kinds: tuple[str, ...],
        target: str | None,
    ) -> Any:
        """Run one batch operation and audit it against the emulator's truth."""
        audit = OpAudit(label, target, expected=sorted(expected))
        self.report.audits.append(audit)
        before = self.truth()
        since = truth.mark(self.emu)
        self.drops.take()
        result = await self.attempt(audit, call)
        dropped = self.drops.take()
        if result is None:
            self.log(f"{label}: never completed ({audit.never_completed})")
            return None
        audit_batch(audit, result, before, self.truth(), truth.ops_since(self.emu, since), kinds, dropped)
        self.log(result.summary())
        return result

    def check_group(self, when: str) -> None:
        """Nothing a VM left behind: no NIC, disk or public IP that no VM holds."""
        for item in truth.leftovers(self.emu, RG, self.world.baseline):
            self.report.find("resources_leaked", f"after {when}: {item}")


Phase = Callable[[SoakRun], Awaitable[None]]


async def create_phase(run: SoakRun) -> None:
    """Create the set from its profile (a create that failed part way converges through
    ``scale_to``), then attach the Spot VMs; audited by the member count and states."""
    audit = OpAudit("create", "running")
    run.report.audits.append(audit)
    spec = profile_spec(run.world.subnet_id, run.vms, **run.spec_overrides)
    info = await run.attempt(audit, lambda: run.ss.create(spec))
    scale_audit = OpAudit("scale_to", "running")
    scaled = await run.attempt(scale_audit, lambda: run.ss.scale_to(run.vms))
    audit.attempts_raised += [f"scale_to {text}" for text in scale_audit.attempts_raised]
    if scaled is None:
        audit.never_completed = f"scale_to {scale_audit.never_completed}"
        for kind, items in scale_audit.findings.items():
            audit.findings[kind] += items
    elif info is None:  # the create raised every time, but scale_to converged: what a user re-runs
        audit.never_completed = None
        audit.attempts_raised.append("create converged through scale_to")
    members = run.set_members()
    # the VMs' names are the set's to choose: expected and reported are counted as slots
    audit.expected = [f"#{i}" for i in range(run.vms)]
    audit.affected = sorted(n for n, vm in members.items() if vm.power == "running" and vm.in_flight is None)
    claimed = (scaled or info).capacity if (scaled or info) is not None else 0
    audit.reported = [f"#{i}" for i in range(claimed or 0)]
    audit.summary = f"create: {len(members)} VMs of {run.vms}, the library says capacity {claimed}"
    if (info or scaled) is not None and (len(audit.affected) != run.vms or len(members) != run.vms):
        audit.find(
            "false_successes",
            f"returned, but the emulator holds {len(members)} members, {len(audit.affected)} running",
        )
    if claimed != run.vms and audit.never_completed is None:
        audit.find("not_reported", f"the library reports capacity {claimed}, not {run.vms}")
    if run.spot:
        specs = [
            vm_spec(
                run.world.subnet_id, f"spot{i}", priority="Spot", spot=SpotSpec(eviction_policy="Deallocate")
            )
            for i in range(run.spot)
        ]
        await run.batch(
            "add_vms", lambda: run.ss.add_vms(specs), [s.name for s in specs], ("vm.create",), "running"
        )
    run.check_group("create")
    run.members = sorted(run.set_members())
    run.log(f"created: {len(run.members)} VMs")


async def operations_phase(run: SoakRun) -> None:
    """Every fan-out operation over the whole set; each expects every member VM."""
    for name, kinds, target in OPERATIONS:
        expected = sorted(run.set_members())
        await run.batch(name, getattr(run.ss, name), expected, kinds, target)


async def eviction_phase(run: SoakRun) -> None:
    """Simulated eviction of the Spot VMs (named)."""
    spots = run.spots
    if spots:
        await run.batch(
            "simulate_eviction",
            lambda: run.ss.simulate_eviction(spots),
            spots,
            ("vm.simulateEviction",),
            "deallocated",
        )


async def delete_phase(run: SoakRun) -> None:
    """Delete a seeded tenth of the regular VMs (named); nothing of theirs may stay."""
    regular = run.regular
    subset = sorted(run.rng.sample(regular, max(1, len(regular) // 10))) if regular else []
    await run.batch("delete_vms", lambda: run.ss.delete_vms(subset), subset, (), None)
    run.emu.complete_all()  # the leftovers' own deletions (NIC, disk) finish
    run.check_group("delete_vms")


async def teardown_phase(run: SoakRun) -> None:
    """Ordered teardown, re-run until it converges (each run under the same faults)."""
    audit = OpAudit("teardown", None)
    run.report.audits.append(audit)
    before = run.set_members()
    audit.expected = sorted(before)
    for _ in range(5):
        run.report.teardown_runs += 1
        audit.never_completed = None
        if await run.attempt(audit, lambda: run.ss.delete(cascade=True), attempts=1) is not None:
            break
    left = run.set_members()
    audit.affected = sorted(n for n in before if n not in left)
    audit.reported = audit.affected if audit.never_completed is None else []
    audit.summary = (
        f"teardown: {len(before) - len(left)} of {len(before)} VMs gone in {run.report.teardown_runs} run(s)"
    )
    if audit.never_completed is None and left:
        audit.find("false_successes", f"returned, but {len(left)} VMs remain: {sorted(left)[:5]}")


PHASES: list[Phase] = [create_phase, operations_phase, eviction_phase, delete_phase, teardown_phase]


def default_scale_set(emu: Emulator, clients: Any) -> Any:
    import flexvmss.aio

    return flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, SET_NAME, clients=clients)


async def run_soak(
    emu: Emulator,
    *,
    vms: int,
    seed: int,
    spot: int = 4,
    fault_scale: float = 1.0,
    throttle: bool = False,
    spec_overrides: dict[str, Any] | None = None,
    phases: Sequence[Phase] = PHASES,
    scale_set: Callable[[Emulator, Any], Any] = default_scale_set,
    deadline: float = 300.0,
    attempts: int = 3,
    log: Callable[[str], None] = lambda _: None,
) -> SoakReport:
    """Run ``phases`` on a reset ``emu``; returns the report (never raises for findings).
    ``scale_set(emu, clients)`` builds the object under test (the library's FlexScaleSet; tests
    pass stand-ins that misbehave); ``deadline`` bounds each attempt of an operation (real
    seconds); ``spec_overrides`` changes fields of the set's spec (e.g. a password)."""
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
    clients = clients_for(emu)
    run = SoakRun(
        emu=emu,
        ss=scale_set(emu, clients),
        world=world,
        report=report,
        rng=random.Random(seed),
        drops=DropWatch(emu),
        vms=vms,
        spot=spot,
        spec_overrides=dict(spec_overrides or {}),
        deadline=deadline,
        attempts=attempts,
        log=log,
    )
    try:
        for phase in phases:
            await phase(run)
    finally:
        await run.ss.close()
        await clients.close()
        report.faults_injected = fault_counts(emu)
        knobs = emu.realism
        report.realism = {
            "level": knobs.level,
            "visibility_lag": knobs.visibility_lag,
            "stale_list_probability": knobs.stale_list_probability,
            "stale_list_window": knobs.stale_list_window,
            "failed_ops_leave_state": knobs.failed_ops_leave_state,
            "stale_list_items_served": emu.counters()["realism"]["stale_list_items"],
        }
        emu.clear_faults()
        emu.set_throttle("off")
    emu.complete_all()
    for rid in sorted(inventory_ids(emu) - world.baseline):
        report.find("resources_leaked", f"after teardown: {rid}")
    for item in outsiders_changed(emu, world):
        report.find("outsiders_touched", item)
    return report
