"""The long reliability run (``make soak``): the full forms of tests/reliability.

1. **Soak under faults and stale reads.** A 1,000-VM Flexible set is created from a profile
   (with a password and custom data, to look for leaks), every fan-out operation runs over it
   (deallocate, start, stop, start, restart, redeploy, reimage, perform_maintenance,
   simulate_eviction on Spot VMs, delete of a subset) and it is torn down, while the emulator
   injects from a recorded seed: 5% 500/503, 5% 429, 1% dropped connections, 2% slow answers
   and 1% LROs ending Failed, with Azure's realism on (stale list reads, a visibility lag after
   each 202, failures that leave no mark on the VM). Each operation is audited VM by VM against
   the emulator's in-process truth (tests/reliability/soak_audit.py): expected (read before it
   runs), affected, reported, false successes and false failures; an operation that never
   completes is a finding. The DEBUG log of the whole run is searched for the secrets.
2. **Crash and rerun.** create, deallocate and teardown run in a subprocess, SIGKILLed once the
   emulator has served k of their writes (before the first, between, after the last), then
   rerun to completion; after every kill the end state is verified (nothing leaked, nothing
   duplicated, the promise kept). Kills, checks and convergences are counted apart, per
   command and placement.

Writes ``bench/results/soak.json`` and prints a table. Exit code 1 when anything was found.
``timing_dependent`` in the JSON names the fields a rerun with the same seed may change, and why.

    python bench/soak.py [--vms 1000] [--seed 20261127] [--kills 4] [--cycles 2]
                         [--time-scale 0.001] [--throttle] [--realism azure]
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

from crash_rerun import PLACEMENTS, run_crash_cycle  # noqa: E402
from soak_run import run_soak  # noqa: E402

from flexvmss import Secret  # noqa: E402
from flexvmss._redact import find_secrets  # noqa: E402
from flexvmss.emulator import Emulator  # noqa: E402

PASSWORD = "Soak7!MARKERpassword-c41e"
CUSTOM_DATA = "#cloud-config MARKERsoakcustomdata-5d2a"
#: At least this many kills must land (each rerun, checked and converged) for the crash part to pass.
MIN_KILLS = 20


def _secret_forms() -> list[str]:
    forms = []
    for secret in (PASSWORD, CUSTOM_DATA):
        forms += [secret, base64.b64encode(secret.encode()).decode()]
    return forms


def soak(vms: int, seed: int, time_scale: float, throttle: bool, realism: str) -> dict[str, Any]:
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
        with Emulator(time_scale=time_scale, page_size=100, seed=seed, realism=realism) as emu:
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
    out = report.as_dict()
    text = stream.getvalue() + json.dumps(out)
    out["secrets_found"] = sorted(
        {form for form in _secret_forms() if form in text} | {m.kind for m in find_secrets(text)}
    )
    out["log_bytes_searched"] = len(text)
    out["wall_seconds"] = round(time.perf_counter() - started, 1)
    out["ok"] = report.ok and not out["secrets_found"]
    return out


def crash(seed: int, kills: int, cycles: int, time_scale: float) -> dict[str, Any]:
    started = time.perf_counter()
    with Emulator(time_scale=time_scale, page_size=100, seed=seed) as emu:
        report = run_crash_cycle(
            emu,
            seed=seed,
            capacity=20,
            kills_per_command=kills,
            cycles=cycles,
            log=lambda line: print(f"  {time.perf_counter() - started:7.1f} s  {line}", flush=True),
        )
    out = report.as_dict()
    out["wall_seconds"] = round(time.perf_counter() - started, 1)
    placed = all(out["by_placement"][p]["kills"] > 0 for p in PLACEMENTS)
    out["ok"] = (
        not report.findings and out["kills"] == out["checks"] == out["convergences"] >= MIN_KILLS and placed
    )
    return out


#: The JSON's fields that a rerun with the same seed may change (besides soak.timing_dependent).
TIMING_DEPENDENT = {
    "generated": "the time of the run",
    "soak.wall_seconds": "measured",
    "crash.wall_seconds": "measured",
    "crash.kills_detail[].rerun_writes": "what a killed run left in flight when its rerun starts "
    "depends on timing",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vms", type=int, default=1000)
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--kills", type=int, default=4, help="kill points per command and cycle (3 commands)")
    p.add_argument("--cycles", type=int, default=2, help="create-deallocate-teardown cycles to kill")
    p.add_argument("--time-scale", type=float, default=0.001)
    p.add_argument("--crash-time-scale", type=float, default=0.005)
    p.add_argument("--throttle", action="store_true", help="Azure's throttling model on as well")
    p.add_argument(
        "--realism", default="azure", help="the emulator's realism level for the soak (azure, off)"
    )
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "soak.json"))
    args = p.parse_args(argv)

    print(
        f"soak: {args.vms} VMs, seed {args.seed}, time scale {args.time_scale}, realism {args.realism}",
        flush=True,
    )
    soak_result = soak(args.vms, args.seed, args.time_scale, args.throttle, args.realism)
    print(f"crash and rerun: {args.cycles} cycles, {args.kills} kill points per command", flush=True)
    crash_result = crash(args.seed, args.kills, args.cycles, args.crash_time_scale)

    per_op = {
        f"{i:02d} {op['operation']}": {
            k: op[k]
            for k in ("expected", "affected", "reported", "false_successes", "false_failures", "completed")
        }
        for i, op in enumerate(soak_result["operations"])
    }
    result = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "seed": args.seed,
        "timing_dependent": TIMING_DEPENDENT,
        "summary": {
            "ok": soak_result["ok"] and crash_result["ok"],
            "realism": soak_result["realism"]["level"],
            "stale_list_items_served": soak_result["realism"]["stale_list_items_served"],
            "faults_injected": soak_result["faults_injected"],
            "operations_run": soak_result["operations_run"],
            "operations_never_completed": len(soak_result["operations_never_completed"]),
            "expected": soak_result["expected"],
            "affected": soak_result["affected"],
            "reported": soak_result["reported"],
            "false_successes": soak_result["false_successes"],
            "false_failures": soak_result["false_failures"],
            "per_operation": per_op,
            "excused": soak_result["excused"]["counts"],
            "findings": {k: len(v) for k, v in soak_result["findings"].items()},
            "secrets_found": len(soak_result["secrets_found"]),
            "crash_kills": crash_result["kills"],
            "crash_checks": crash_result["checks"],
            "crash_convergences": crash_result["convergences"],
            "crash_by_placement": crash_result["by_placement"],
            "crash_findings": len(crash_result["findings"]),
        },
        "soak": soak_result,
        "crash": crash_result,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")

    summary = result["summary"]
    print(
        f"\n  {'operation':<24}{'expected':>9}{'affected':>9}{'reported':>9}{'false ok':>9}{'false fail':>11}"
    )
    for label, row in per_op.items():
        done = "" if row["completed"] else "  NEVER COMPLETED"
        print(
            f"  {label:<24}{row['expected']:>9}{row['affected']:>9}{row['reported']:>9}"
            f"{row['false_successes']:>9}{row['false_failures']:>11}{done}"
        )
    rows = [
        ("VMs in the set", args.vms),
        ("realism", f"{summary['realism']} ({summary['stale_list_items_served']} stale list items served)"),
        ("faults injected", ", ".join(f"{k} {v}" for k, v in summary["faults_injected"].items())),
        (
            "operations run",
            f"{summary['operations_run']} ({summary['operations_never_completed']} never completed)",
        ),
        ("false successes", summary["false_successes"]),
        ("false failures", summary["false_failures"]),
        ("excused", ", ".join(f"{k} {v}" for k, v in summary["excused"].items())),
        ("other findings", ", ".join(f"{k} {v}" for k, v in summary["findings"].items()) or "none"),
        ("secrets found", summary["secrets_found"]),
        (
            "crash kills / checks / converged",
            f"{summary['crash_kills']} / {summary['crash_checks']} / {summary['crash_convergences']}",
        ),
        *(
            (f"  {where}", "{kills} / {checks} / {convergences}".format(**row))
            for where, row in summary["crash_by_placement"].items()
        ),
        ("crash findings", summary["crash_findings"]),
        ("soak wall time", f"{soak_result['wall_seconds']} s"),
        ("crash wall time", f"{crash_result['wall_seconds']} s"),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    for op in soak_result["operations"]:
        for kind, items in op["findings"].items():
            for item in items[:10]:
                print(f"  finding {kind}: {item}")
    for kind, items in soak_result["findings"].items():
        for item in items[:10]:
            print(f"  finding {kind}: {item}")
    for item in crash_result["findings"][:20]:
        print(f"  crash finding: {item}")
    print(f"\nwrote {out}")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
