"""Crash and rerun: run a flexvmss command in a subprocess, SIGKILL it at seeded random points,
then rerun the same command to completion and check the end state. Shared by the quick test
and ``bench/soak.py``.

The emulator runs in the calling process (a background thread serving HTTPS); the command is
``crash_driver.py`` in a fresh interpreter, so a kill is a real SIGKILL of a real process
holding open connections and in-flight long-running operations.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soak_scenario import RG, World, build_world, inventory_ids, outsiders_changed

from flexvmss.emulator import Emulator

__all__ = ["CrashReport", "run_crash_cycle"]

DRIVER = Path(__file__).with_name("crash_driver.py")
SET_NAME = "crashy"


@dataclass
class CrashReport:
    """Kill points survived per command, and what the final state showed."""

    kills: list[dict[str, Any]] = field(default_factory=list)
    reruns: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    @property
    def crash_points_survived(self) -> int:
        return sum(1 for k in self.kills if k["killed"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "crash_points_survived": self.crash_points_survived,
            "kills": self.kills,
            "reruns": self.reruns,
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


def kill_during(emu: Emulator, args: list[str], delay: float) -> dict[str, Any]:
    """Start the command, wait for its ``begin`` line, then ``delay`` seconds, then SIGKILL it.
    ``killed`` is False when it finished before the kill landed; ``writes`` counts the writes,
    deletes and actions the emulator served for the run before it died."""
    writes_before = _writes(emu)
    proc = subprocess.Popen(
        _command(emu, *args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env()
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "begin":
        proc.kill()
        proc.wait()
        raise RuntimeError(f"crash driver did not start: {line!r}")
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return {
        "command": args[0],
        "delay": round(delay, 3),
        "killed": killed,
        "writes": _writes(emu) - writes_before,
    }


def _writes(emu: Emulator) -> int:
    by_class = emu.counters()["by_op_class"]
    return sum(by_class.get(k, 0) for k in ("write", "delete", "action"))


def run_to_completion(emu: Emulator, args: list[str], timeout: float = 120.0) -> dict[str, Any]:
    done = subprocess.run(
        _command(emu, *args), capture_output=True, text=True, env=_env(), timeout=timeout, check=False
    )
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return {"command": args[0], "exit": done.returncode, "output": last, "stderr": done.stderr[-2000:]}


def _vm_states(emu: Emulator) -> dict[str, str | None]:
    from soak_scenario import _states

    set_id = (
        f"/subscriptions/{emu.subscription_id}/resourceGroups/{RG}"
        f"/providers/Microsoft.Compute/virtualMachineScaleSets/{SET_NAME}"
    )
    return _states(emu, set_id)


def run_crash_cycle(
    emu: Emulator,
    *,
    seed: int,
    capacity: int,
    kills_per_command: int,
    cycles: int = 1,
    max_delay: Callable[[str], float] = lambda command: {"create": 1.6, "deallocate": 0.6}.get(command, 2.5),
) -> CrashReport:
    """``cycles`` times on a reset emulator: create, deallocate and tear down one set, killing
    each command up to ``kills_per_command`` times at seeded random points (after its clients
    are built) before running it to completion. When a run finishes before its kill lands, the
    command has converged: no more kills for it in this cycle, and later delays are shorter."""
    rng = random.Random(seed)
    report = CrashReport()
    limits = {command: max_delay(command) for command in ("create", "deallocate", "teardown")}
    for _ in range(cycles):
        emu.clear_faults()
        emu.reset()
        _cycle(emu, report, rng, capacity, kills_per_command, limits)
    return report


def _cycle(
    emu: Emulator,
    report: CrashReport,
    rng: random.Random,
    capacity: int,
    kills: int,
    limits: dict[str, float],
) -> None:
    world: World = build_world(emu)

    def created() -> None:
        states = _vm_states(emu)
        if len(states) != capacity:
            report.findings.append(f"create: {len(states)} VMs after the rerun, expected {capacity}")
        if any(s != "running" for s in states.values()):
            report.findings.append(f"create: not all running: {sorted(set(states.values()), key=str)}")

    def deallocated() -> None:
        states = _vm_states(emu)
        wrong = {n: s for n, s in states.items() if s != "deallocated"}
        if len(states) != capacity or wrong:
            report.findings.append(f"deallocate: {len(states)} VMs, not deallocated: {wrong}")

    def torn_down() -> None:
        emu.complete_all()
        leaked = sorted(inventory_ids(emu) - world.baseline)
        if leaked:
            report.findings.append(f"teardown leaked: {leaked}")
        report.findings.extend(outsiders_changed(emu, world))

    plan: list[tuple[list[str], Callable[[], None]]] = [
        (["create", "--subnet", world.subnet_id, "--capacity", str(capacity)], created),
        (["deallocate"], deallocated),
        (["teardown"], torn_down),
    ]
    for args, check in plan:
        command = args[0]
        for _ in range(kills):
            kill = kill_during(emu, args, rng.uniform(0.05, limits[command]))
            report.kills.append(kill)
            if not kill["killed"]:
                limits[command] = max(0.1, limits[command] * 0.6)
                break
        rerun = run_to_completion(emu, args)
        report.reruns.append(rerun)
        if rerun["exit"] != 0:
            report.findings.append(
                f"{command} rerun exited {rerun['exit']}: {rerun['output']} {rerun['stderr']}"
            )
            continue
        check()
