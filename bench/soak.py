"""The long reliability run (``make soak``): the full forms of tests/reliability.

1. **Soak under faults.** A 1,000-VM Flexible set is created from a profile (with a password and
   custom data, to look for leaks), every fan-out operation runs over it (deallocate, start, stop,
   start, restart, redeploy, reimage, perform_maintenance, simulate_eviction on Spot VMs, delete
   of a subset) and it is torn down, while the emulator injects from a recorded seed: 5% 500/503,
   5% 429, 1% dropped connections, 2% slow answers and 1% LROs ending Failed (RetryableError,
   OperationPreempted, AllocationFailed, InternalExecutionError). After every step each VM's
   reported outcome is compared with its real state; duplicates, leaked resources and touched
   outsiders are counted; the DEBUG log of the whole run is searched for the secrets.
2. **Reconcile** (``bench/_soak_reconcile.py``). Plans, drift injected by another actor between
   plan and apply, guarded applies: ``unsafe_actions`` (writes on a VM the actor had changed
   after the plan) must be 0.
3. **Crash and rerun.** create, deallocate and teardown run in a subprocess, SIGKILLed at seeded
   random points (up to 4 per command, 3 cycles: at least 20 kills that land), then rerun to
   completion; the end state must be the intended one with nothing leaked.

Writes ``bench/results/soak.json`` and prints a table. Exit code 1 when anything was found.

    python bench/soak.py [--vms 1000] [--seed 20261127] [--kills 4] [--cycles 3]
                         [--time-scale 0.001] [--throttle]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import logging
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))
sys.path.insert(0, str(ROOT / "bench"))

from _soak_reconcile import run_reconcile  # noqa: E402
from crash_rerun import run_crash_cycle  # noqa: E402
from soak_scenario import run_soak  # noqa: E402

from flexvmss import Secret  # noqa: E402
from flexvmss._redact import find_secrets  # noqa: E402
from flexvmss.emulator import Emulator  # noqa: E402

PASSWORD = "Soak7!MARKERpassword-c41e"
CUSTOM_DATA = "#cloud-config MARKERsoakcustomdata-5d2a"


def _secret_forms() -> list[str]:
    forms = []
    for secret in (PASSWORD, CUSTOM_DATA):
        forms += [secret, base64.b64encode(secret.encode()).decode()]
    return forms


def soak(vms: int, seed: int, time_scale: float, throttle: bool) -> dict[str, Any]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in ("", "flexvmss", "azure")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    started = time.perf_counter()
    try:
        with Emulator(time_scale=time_scale, page_size=100, seed=seed) as emu:
            report = asyncio.run(
                run_soak(
                    emu,
                    vms=vms,
                    seed=seed,
                    spot=max(4, vms // 100),
                    throttle=throttle,
                    spec_overrides={
                        "ssh_public_keys": (),
                        "admin_password": Secret(PASSWORD),
                        "custom_data": Secret(CUSTOM_DATA),
                    },
                    log=lambda line: print(f"  {time.perf_counter() - started:7.1f} s  {line}", flush=True),
                )
            )
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    text = stream.getvalue() + json.dumps(report.as_dict())
    out = report.as_dict()
    out["secrets_found"] = sorted(
        {form for form in _secret_forms() if form in text} | {m.kind for m in find_secrets(text)}
    )
    out["log_bytes_searched"] = len(text)
    out["wall_seconds"] = round(time.perf_counter() - started, 1)
    out["ok"] = report.ok and not out["secrets_found"]
    return out


def crash(seed: int, kills: int, cycles: int) -> dict[str, Any]:
    started = time.perf_counter()
    with Emulator(time_scale=0.01, page_size=100, seed=seed) as emu:
        report = run_crash_cycle(emu, seed=seed, capacity=20, kills_per_command=kills, cycles=cycles)
    out = report.as_dict()
    out["kill_points_tried"] = len(report.kills)
    out["kills_after_writes"] = sum(1 for k in report.kills if k["killed"] and k["writes"])
    out["wall_seconds"] = round(time.perf_counter() - started, 1)
    out["ok"] = not report.findings and report.crash_points_survived >= 20
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vms", type=int, default=1000)
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--kills", type=int, default=4, help="kill points per command and cycle (3 commands)")
    p.add_argument("--cycles", type=int, default=3, help="create-deallocate-teardown cycles to kill")
    p.add_argument("--time-scale", type=float, default=0.001)
    p.add_argument("--throttle", action="store_true", help="Azure's throttling model on as well")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "soak.json"))
    args = p.parse_args(argv)

    print(f"soak: {args.vms} VMs, seed {args.seed}, time scale {args.time_scale}", flush=True)
    soak_result = soak(args.vms, args.seed, args.time_scale, args.throttle)
    print(f"crash and rerun: {args.cycles} cycles, up to {args.kills} kill points per command", flush=True)
    crash_result = crash(args.seed, args.kills, args.cycles)
    print("reconcile: plan, another actor's drift, guarded apply", flush=True)
    reconcile_result = asyncio.run(run_reconcile(seed=args.seed))

    result = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "seed": args.seed,
        "soak": soak_result,
        "crash": crash_result,
        "reconcile": reconcile_result,
        "summary": {
            "faults_injected": soak_result["faults_injected"],
            "operations_run": soak_result["operations_run"],
            "vms_affected": soak_result["vms_affected"],
            "outcome_mismatches": len(soak_result["outcome_mismatches"]),
            "duplicates": len(soak_result["duplicates"]),
            "resources_leaked": len(soak_result["resources_leaked"]),
            "outsiders_touched": len(soak_result["outsiders_touched"]),
            "untyped_errors": len(soak_result["untyped_errors"]),
            "secrets_found": len(soak_result["secrets_found"]),
            "crash_points_survived": crash_result["crash_points_survived"],
            "crash_findings": len(crash_result["findings"]),
            "unsafe_actions": reconcile_result["unsafe_actions"],
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")

    summary = result["summary"]
    rows = [
        ("VMs in the set", args.vms),
        ("faults injected", ", ".join(f"{k} {v}" for k, v in summary["faults_injected"].items())),
        ("operations run", summary["operations_run"]),
        ("VMs affected", summary["vms_affected"]),
        ("outcome mismatches", summary["outcome_mismatches"]),
        ("duplicate VMs/NICs", summary["duplicates"]),
        ("resources leaked", summary["resources_leaked"]),
        ("outsiders touched", summary["outsiders_touched"]),
        ("untyped errors", summary["untyped_errors"]),
        ("secrets found", summary["secrets_found"]),
        (
            "crash points survived",
            f"{summary['crash_points_survived']} of {crash_result['kill_points_tried']}",
        ),
        ("crash findings", summary["crash_findings"]),
        ("reconcile: unsafe actions", summary["unsafe_actions"]),
        (
            "reconcile: stopped by ETag / refused plans",
            f"{reconcile_result['stopped_by_etag']} / {reconcile_result['refused_plans']}",
        ),
        ("soak wall time", f"{soak_result['wall_seconds']} s"),
        ("crash wall time", f"{crash_result['wall_seconds']} s"),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    for title, items in (
        ("outcome mismatches", soak_result["outcome_mismatches"]),
        ("emulator findings", soak_result["emulator_findings"]),
        ("failed after a dropped answer", soak_result["failed_after_dropped_answer"]),
        ("crash findings", crash_result["findings"]),
    ):
        for item in items[:20]:
            print(f"  {title}: {item}")
    print(f"\nwrote {out}")
    return 0 if soak_result["ok"] and crash_result["ok"] and reconcile_result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
