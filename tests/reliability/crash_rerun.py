"""Crash and rerun: SIGKILL a flexvmss command at a chosen point of what it has written, rerun it
to completion and verify the end state. Shared by the quick test and ``bench/soak.py``.

The emulator runs in the calling process (a background thread serving HTTPS); the command is
``crash_driver.py`` in a fresh interpreter, so a kill is a real SIGKILL of a real process holding
open connections and in-flight long-running operations.

Kills are placed by writes, not by time: a clean run of the command first counts the writes
(PUT, PATCH, DELETE, POST actions) the emulator serves for it (``N``); then, from the same saved
state, the command is killed once the emulator has served ``k`` of its writes, at its next
request (``k = 0``: before its first write; ``0 < k < N``: between writes; ``k = N``: after its
last write, while it waits on its operations). The :class:`KillSwitch` does it inside the
emulator's request path: the request that meets the condition is refused and the process is
killed before any further request is served. Every kill that lands is followed by a rerun to
completion and a check of the command's promise, from the emulator's in-process truth
(:mod:`soak_truth`):

* create: exactly ``capacity`` VMs in the set, all running, no operation in flight, no other VM
  in the group (nothing duplicated), no NIC, disk or public IP that no VM holds;
* deallocate: the same VMs, all deallocated, nothing left behind;
* teardown: nothing of the set left (the group holds what it held before the set), the
  resources that are not the set's unchanged.

The report counts kills, checks and convergences separately, per command and per placement.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import soak_truth as truth
from soak_scenario import RG, World, build_world, inventory_ids, outsiders_changed

from flexvmss.emulator import Emulator, FaultRule

__all__ = ["PLACEMENTS", "CrashReport", "KillSwitch", "run_crash_cycle"]

DRIVER = Path(__file__).with_name("crash_driver.py")
SET_NAME = "crashy"
WRITE_CLASSES = frozenset({"write", "delete", "action"})
PLACEMENTS = ("before_first_write", "between_writes", "after_last_write")
#: What the switch answers the request it kills at (the process is dead before it could read it).
_REFUSED = FaultRule(kind="status", status=503)


def placement(k: int, total: int) -> str:
    return "before_first_write" if k == 0 else "after_last_write" if k >= total else "between_writes"


class KillSwitch:
    """Counts the writes the emulator serves and kills an armed process at a write count.

    Test instrumentation: wraps the in-process emulator's ``faults.pre_dispatch`` on the
    instance (every request passes it, in the server thread, before it is served), without
    changing what the fault rules decide; :meth:`remove` unwraps it."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self._lock = threading.Lock()
        self.writes = 0
        self._pid: int | None = None
        self._at = 0
        self.killed_at: int | None = None
        inner = emu.faults.pre_dispatch

        def pre_dispatch(method: str, path: str, op_class: str | None) -> list[FaultRule]:
            with self._lock:
                if self._pid is not None and self.killed_at is None and self.writes >= self._at:
                    os.kill(self._pid, signal.SIGKILL)
                    self.killed_at = self.writes
                if self.killed_at is not None:
                    return [_REFUSED]
                if op_class in WRITE_CLASSES:
                    self.writes += 1
            return inner(method, path, op_class)

        emu.faults.pre_dispatch = pre_dispatch  # type: ignore[method-assign]

    def count(self) -> None:
        """Start counting a new run's writes (disarmed)."""
        with self._lock:
            self.writes, self._pid, self.killed_at = 0, None, None

    def arm(self, pid: int, at: int) -> None:
        with self._lock:
            self._pid, self._at = pid, at

    def disarm(self) -> None:
        with self._lock:
            self._pid = None
            self.killed_at = None

    def remove(self) -> None:
        del self.emu.faults.pre_dispatch  # the instance attribute; the method shows again


@dataclass
class CrashReport:
    """Every kill, its rerun and its check; the totals per command and placement."""

    kills: list[dict[str, Any]] = field(default_factory=list)
    calibrations: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    def totals(self, rows: list[dict[str, Any]] | None = None) -> dict[str, int]:
        rows = self.kills if rows is None else rows
        landed = [k for k in rows if k["killed"]]
        return {
            "kill_points_tried": len(rows),
            "kills": len(landed),
            "reruns": sum(1 for k in landed if k["rerun_exit"] is not None),
            "checks": sum(1 for k in landed if k["checked"]),
            "convergences": sum(1 for k in landed if k["converged"]),
        }

    @property
    def convergences(self) -> int:
        return self.totals()["convergences"]

    def as_dict(self) -> dict[str, Any]:
        commands = sorted({k["command"] for k in self.kills})
        return {
            **self.totals(),
            "by_placement": {
                p: self.totals([k for k in self.kills if k["placement"] == p]) for p in PLACEMENTS
            },
            "by_command": {c: self.totals([k for k in self.kills if k["command"] == c]) for c in commands},
            "writes_per_clean_run": {c["command"]: c["writes"] for c in self.calibrations},
            "kills_detail": self.kills,
            "calibrations": self.calibrations,
            "findings": self.findings,
        }


def _command(emu: Emulator, *args: str) -> list[str]:
    return [
        sys.executable,
        str(DRIVER),
        "--base-url",
        emu.base_url,
        "--ca-file",
        emu.ca_file,
        "--subscription",
        emu.subscription_id,
        "--resource-group",
        RG,
        "--name",
        SET_NAME,
        "--time-scale",
        str(emu.time_scale),
        *args,
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def kill_at(
    emu: Emulator, switch: KillSwitch, args: list[str], k: int, timeout: float = 120.0
) -> dict[str, Any]:
    """Start the command and kill it once the emulator has served ``k`` of its writes (at its
    next request). ``killed`` is False when it finished first."""
    switch.count()
    proc = subprocess.Popen(
        _command(emu, *args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env()
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "begin":
        proc.kill()
        proc.wait()
        raise RuntimeError(f"crash driver did not start: {line!r}")
    switch.arm(proc.pid, k)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    killed_at = switch.killed_at
    switch.disarm()
    return {"killed": killed_at is not None, "writes_at_kill": killed_at, "exit": proc.returncode}


def run_to_completion(
    emu: Emulator, switch: KillSwitch, args: list[str], timeout: float = 180.0
) -> dict[str, Any]:
    switch.count()
    try:
        done = subprocess.run(
            _command(emu, *args), capture_output=True, text=True, env=_env(), timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"exit": None, "output": f"no result within {timeout:.0f} s", "writes": switch.writes}
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return {"exit": done.returncode, "output": last, "stderr": done.stderr[-1500:], "writes": switch.writes}


# ------------------------------------------------------------------------------------ checks


def _vm_findings(emu: Emulator, world: World, capacity: int, power: str) -> list[str]:
    found = []
    members = truth.members(emu, RG, SET_NAME)
    if len(members) != capacity:
        found.append(f"{len(members)} VMs in the set, expected {capacity}")
    wrong = {n: vm.power for n, vm in members.items() if vm.power != power}
    if wrong:
        found.append(f"not {power}: {wrong}")
    busy = {n: vm.in_flight for n, vm in members.items() if vm.in_flight}
    if busy:
        found.append(f"operations still in flight: {busy}")
    others = sorted(set(truth.vms_in_group(emu, RG)) - set(members) - {"outsider"})
    if others:
        found.append(f"VMs outside the set (duplicates of a create?): {others}")
    found.extend(truth.leftovers(emu, RG, world.baseline))
    return found


def _teardown_findings(emu: Emulator, world: World) -> list[str]:
    found = [f"left after teardown: {rid}" for rid in sorted(inventory_ids(emu) - world.baseline)]
    return found + outsiders_changed(emu, world)


def _kill_points(rng: random.Random, total: int, count: int) -> list[int]:
    """``count`` write counts to kill at: before the first write and after the last (one of
    them when ``count`` is 1: between writes when there are two or more), and seeded ones
    between (as many as there are)."""
    if count == 1:
        return [rng.randint(1, total - 1) if total > 1 else 0]
    ends = [0, total] if total > 0 else [0]
    between = list(range(1, total))
    picked = sorted(rng.sample(between, min(len(between), max(0, count - len(ends)))))
    return sorted({*ends, *picked})


def run_crash_cycle(
    emu: Emulator,
    *,
    seed: int,
    capacity: int,
    kills_per_command: int | Mapping[str, int],
    cycles: int = 1,
    log: Callable[[str], None] = lambda _: None,
) -> CrashReport:
    """``cycles`` times on a reset emulator: create, deallocate and tear down one set. Each
    command runs clean once (its write count, its check), then from the same saved state is
    killed at ``kills_per_command`` write counts (:func:`_kill_points`; a mapping gives them
    per command), each kill followed by a rerun to completion and the command's check."""
    if not isinstance(kills_per_command, Mapping):
        kills_per_command = dict.fromkeys(("create", "deallocate", "teardown"), kills_per_command)
    rng = random.Random(seed)
    report = CrashReport()
    switch = KillSwitch(emu)
    try:
        for cycle in range(cycles):
            emu.clear_faults()
            emu.reset()
            _cycle(emu, switch, report, rng, capacity, kills_per_command, cycle, log)
    finally:
        switch.remove()
    return report


def _cycle(
    emu: Emulator,
    switch: KillSwitch,
    report: CrashReport,
    rng: random.Random,
    capacity: int,
    kills: Mapping[str, int],
    cycle: int,
    log: Callable[[str], None],
) -> None:
    world: World = build_world(emu)
    checks: dict[str, Callable[[], list[str]]] = {
        "create": lambda: _vm_findings(emu, world, capacity, "running"),
        "deallocate": lambda: _vm_findings(emu, world, capacity, "deallocated"),
        "teardown": lambda: _teardown_findings(emu, world),
    }
    plan = [
        ["create", "--subnet", world.subnet_id, "--capacity", str(capacity)],
        ["deallocate"],
        ["teardown"],
    ]
    for args in plan:
        command = args[0]
        start = emu.snapshot()
        clean = run_to_completion(emu, switch, args)
        found = checks[command]() if clean["exit"] == 0 else [f"exit {clean['exit']}: {clean['output']}"]
        report.calibrations.append(
            {"command": command, "cycle": cycle, "writes": clean["writes"], "findings": found}
        )
        report.findings += [f"{command} (clean run): {f}" for f in found]
        done = emu.snapshot()
        total = int(clean["writes"])
        for k in _kill_points(rng, total, kills[command]):
            emu.restore(start)
            kill = kill_at(emu, switch, args, k)
            row: dict[str, Any] = {
                "command": command,
                "cycle": cycle,
                "kill_at_write": k,
                "writes_in_clean_run": total,
                "writes_at_kill": kill["writes_at_kill"],
                "placement": placement(
                    kill["writes_at_kill"] if kill["writes_at_kill"] is not None else k, total
                ),
                "killed": kill["killed"],
                "rerun_exit": None,
                "checked": False,
                "converged": False,
                "findings": [],
            }
            report.kills.append(row)
            if kill["killed"]:
                rerun = run_to_completion(emu, switch, args)
                row["rerun_exit"] = rerun["exit"]
                row["rerun_writes"] = rerun["writes"]
                if rerun["exit"] != 0:
                    row["findings"] = [
                        f"rerun exited {rerun['exit']}: {rerun['output']} {rerun.get('stderr', '')}"
                    ]
                else:
                    row["checked"] = True
                    row["findings"] = checks[command]()
                    row["converged"] = not row["findings"]
                report.findings += [
                    f"{command} killed after {row['writes_at_kill']} writes: {f}" for f in row["findings"]
                ]
            log(
                f"{command}: kill at write {k} of {total} ({row['placement']}): killed={row['killed']} "
                f"converged={row['converged']}"
            )
        emu.restore(done)
