"""The backends and fleets under Azure's throttling model (issue 15, point 5).

Rows (each a fresh emulator with ``throttle="azure"`` and its realism on, on a scaled clock; the
client in its own process, so its CPU seconds are its own):

1. ``FlexScaleSet.deallocate(backend="scheduled")`` of one set of 1,000 VMs (ScheduledActions);
2. ``Fleet.deallocate(backend="per_vm")`` over 10 sets of 1,000 VMs on one subscription;
3. ``Fleet.deallocate(backend="scheduled")`` over the same fleet.

Printed per row: emulated seconds against the **lower bound** of the throttling model, client
requests by class, 429s, VMs not deallocated, client CPU seconds. The bound is, per VM, the
earliest moment its Compute operation can start plus the deallocation time the emulator drew
for it, the last VM deciding: per VM the i-th write is admitted when ARM's write bucket and
Compute's DeleteVM policy allow; through ScheduledActions the service's 5 s scheduling delay
(the emulator's inferred ``SCHEDULING_DELAY``) and then Compute's DeleteVM policy alone (the
service calls Compute directly; its own Execute requests are the caller's ARM writes).

Targets: the ScheduledActions row costs at most 50 client requests with 0 failed; the fleet
rows stay within 1.3x of the bound with 0 failed and 429s under 1% of requests. Writes
bench/results/backends.json.

    python bench/bench_backends.py [--vms 1000] [--sets 10] [--time-scale 0.25] [--skip-fleet]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import azure_limits  # bench/, beside this script
from bench_fanout import RG, _cpu, flexvmss_clients, not_deallocated

LOCATION = "westeurope"
SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0flexvmsbenchkey bench@example"
REALISM = "azure"
#: Emulated seconds ScheduledActions holds an accepted operation before it runs (the emulator's
#: ``computeschedule.models.limits.SCHEDULING_DELAY``, inferred there).
SCHEDULING_DELAY = 5.0


# ------------------------------------------------------------------------------------ client side


def client(spec: dict[str, Any]) -> dict[str, Any]:
    """One client process: a set or a fleet, deallocated through ``spec["backend"]``."""
    import flexvmss.aio

    out: dict[str, Any] = {}

    async def go() -> None:
        clients = flexvmss_clients(spec)
        try:
            if spec["fleet"]:
                target: Any = flexvmss.aio.Fleet(spec["subscription"], resource_group=RG, clients=clients)
                await target.scale_sets()
            else:
                target = flexvmss.aio.FlexScaleSet(spec["subscription"], RG, spec["sets"][0], clients=clients)
                await target.get()
            cpu, wall = _cpu(), time.perf_counter()
            result = await target.deallocate(backend=spec["backend"], deadline=float("inf"))
            out["cpu_batch_s"], out["wall_batch_s"] = _cpu() - cpu, time.perf_counter() - wall
            out["summary"] = result.summary()
            out["library_requests"] = result.requests
            out["failed"] = sum(
                1 for r in result.results.values() if r.outcome is not None and r.outcome.value != "succeeded"
            )
            out["set_errors"] = len(getattr(result, "errors", {}) or {}) if spec["fleet"] else 0
            await target.close()
        finally:
            await clients.close()

    asyncio.run(go())
    out["cpu_total_s"] = _cpu()
    return out


# ------------------------------------------------------------------------------------ bench side


def prepare(emu: Any, set_name: str, vms: int, index: int) -> None:
    """A profile set of ``vms`` running VMs, on a network of its own (a /20 subnet holds about
    4,000 NICs; ten sets of 1,000 need more than one)."""
    from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, render_scale_set_body

    subnet = emu.create_network(
        RG, LOCATION, address_space=f"10.{index}.0.0/16", prefix=f"net{index}"
    ).subnet_id
    c = emu.clients()
    spec = ScaleSetSpec(
        location=LOCATION,
        vm_size="Standard_D2s_v5",
        capacity=vms,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=subnet, outbound="nat_gateway"),
        ssh_public_keys=(SSH_KEY,),
    )
    c.compute.virtual_machine_scale_sets.begin_create_or_update(
        RG, set_name, render_scale_set_body(spec, name=set_name)
    ).result()
    emu.complete_all()
    c.close()


def lower_bound(emu: Any, since: float, backend: str) -> float:
    """The least emulated time the throttling model allows for the deallocations this run drew
    (see the module docstring): Azure's published buckets as bench/azure_limits.py holds them
    (bench_fanout checks that the emulator enforces the same tables)."""
    ops = sorted(
        (o for o in emu.lro.ops.values() if o.kind == "vm.deallocate" and o.start >= since),
        key=lambda o: o.start,
    )
    if backend == "scheduled":
        admissions = [SCHEDULING_DELAY + t for t in azure_limits.subscription_admissions(len(ops))]
    else:
        admissions = azure_limits.write_admissions(len(ops), policy="DeleteVM")
    return azure_limits.bound_with_durations(admissions, [o.done_at - o.start for o in ops])


def run_row(
    label: str, backend: str, sets: int, vms: int, time_scale: float, *, fleet: bool
) -> dict[str, Any]:
    from flexvmss.emulator import Emulator

    with Emulator(time_scale=time_scale, throttle="azure", seed=15, realism=REALISM) as emu:
        set_names = [f"set{i:02d}" for i in range(sets)]
        for index, name in enumerate(set_names):
            prepare(emu, name, vms, index)
        emu.set_throttle("azure")  # fresh buckets for the measured run
        before = emu.counters()
        start = emu.clock.now()
        t0 = time.perf_counter()
        spec = {
            "base_url": emu.base_url,
            "ca_file": emu.ca_file,
            "subscription": emu.subscription_id,
            "tenant": emu.tenant_id,
            "time_scale": time_scale,
            "backend": backend,
            "fleet": fleet,
            "sets": set_names,
        }
        proc = subprocess.run(
            [sys.executable, __file__, "--client", json.dumps(spec)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"client failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        real = time.perf_counter() - t0
        elapsed = emu.clock.now() - start
        after = emu.counters()
        bound = lower_bound(emu, start, backend)
        failed = max(out["failed"], not_deallocated(emu, set_names))
    by_class = {
        k: after["by_op_class"].get(k, 0) - before["by_op_class"].get(k, 0)
        for k in sorted(set(after["by_op_class"]) | set(before["by_op_class"]))
    }
    by_class = {k: v for k, v in by_class.items() if v}
    throttled = after["throttled"].get("total", 0) - before["throttled"].get("total", 0)
    requests = sum(by_class.values())
    return {
        "way": label,
        "backend": backend,
        "sets": sets,
        "vms": sets * vms,
        "time_scale": time_scale,
        "realism": REALISM,
        "emulated_seconds": round(elapsed, 1),
        "lower_bound_seconds": round(bound, 1),
        "vs_lower_bound": round(elapsed / bound, 3) if bound else None,
        "real_seconds": round(real, 1),
        "requests": requests,
        "requests_by_class": by_class,
        "throttled_429": throttled,
        "throttled_share": throttled / max(1, requests),
        "failed_vms": failed,
        "client_cpu_seconds": round(out["cpu_batch_s"], 2),
        "client": out,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--vms", type=int, default=1000, help="VMs per set")
    parser.add_argument("--sets", type=int, default=10, help="sets of the fleet rows")
    parser.add_argument(
        "--time-scale", type=float, default=0.25, help="bench_fanout's flexvmss rows use 0.25 (at least 0.1)"
    )
    parser.add_argument("--skip-fleet", action="store_true")
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "backends.json"))
    args = parser.parse_args(argv)
    if args.time_scale < 0.1:
        parser.error(
            "throttling rows run at a time scale of at least 0.1 (the emulator's own CPU stays small)"
        )
    load = os.getloadavg()
    plan = [("ScheduledActions, one set", "scheduled", 1, False)]
    if not args.skip_fleet:
        plan += [
            ("fleet, per VM", "per_vm", args.sets, True),
            ("fleet, ScheduledActions", "scheduled", args.sets, True),
        ]
    rows = []
    for label, backend, sets, fleet in plan:
        print(
            f"  {label}: {sets} x {args.vms} VMs, time scale {args.time_scale} ...",
            file=sys.stderr,
            flush=True,
        )
        rows.append(run_row(label, backend, sets, args.vms, args.time_scale, fleet=fleet))
        print(
            f"    {rows[-1]['emulated_seconds']:.0f} emulated s, {rows[-1]['real_seconds']:.0f} real s",
            file=sys.stderr,
        )

    print(
        f"\nDeallocate through each backend, Azure's throttling model on; load average at start {load[0]:.1f}"
    )
    header = (
        f"{'way':<26} {'VMs':>6} {'emul. s':>8} {'bound s':>8} {'x bound':>7} {'requests':>8} "
        f"{'action':>6} {'read':>5} {'list':>5} {'poll':>5} {'429s':>5} {'failed':>6} {'CPU s':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        c = row["requests_by_class"]
        print(
            f"{row['way']:<26} {row['vms']:>6} {row['emulated_seconds']:>8.0f} "
            f"{row['lower_bound_seconds']:>8.0f} {row['vs_lower_bound'] or 0:>7.2f} {row['requests']:>8} "
            f"{c.get('action', 0):>6} {c.get('read', 0):>5} "
            f"{c.get('list', 0):>5} {c.get('poll', 0):>5} {row['throttled_429']:>5} {row['failed_vms']:>6} "
            f"{row['client_cpu_seconds']:>6.1f}"
        )
    checks: dict[str, bool] = {}
    for row in rows:
        if row["sets"] == 1:
            checks[f"ScheduledActions {row['vms']} VMs: at most 50 client requests"] = row["requests"] <= 50
            checks[f"ScheduledActions {row['vms']} VMs: zero failed"] = row["failed_vms"] == 0
        else:
            name = f"{row['way']} ({row['sets']} x {row['vms'] // row['sets']})"
            checks[f"{name}: within 1.3x of the bound"] = (row["vs_lower_bound"] or 99) <= 1.3
            checks[f"{name}: zero failed"] = row["failed_vms"] == 0
            checks[f"{name}: 429s under 1%"] = row["throttled_share"] < 0.01
    print("\ntargets:")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "load_average_at_start": load,
                "cpus": os.cpu_count(),
                "vms_per_set": args.vms,
                "time_scale": args.time_scale,
                "ways": rows,
                "targets": checks,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {output}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--client":
        print(json.dumps(client(json.loads(sys.argv[2]))))
        sys.exit(0)
    sys.exit(main())
