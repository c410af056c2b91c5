"""Deallocate 1,000 VMs of a Flex set under Azure's throttling model, three ways.

1. a sequential azure-mgmt loop: ``begin_deallocate(rg, name).result()`` VM after VM;
2. a 32-thread pool over the same sync SDK client, with its default retries;
3. flexvmss: ``FlexScaleSet.deallocate()`` (bounded fan-out, shared throttle gates and pacing,
   VMs observed through the set's VM list instead of one poll per operation).

Each way runs against a fresh in-process emulator with ``throttle="azure"`` on a scaled clock,
and is measured in emulated seconds. The sequential loop is perfectly linear, so by default it
runs on a sample of VMs and is extrapolated (said so in the table). Printed per way: wall time,
the lower bound the throttling model allows (admission of the last write at ARM's and Compute's
rates, plus one deallocation), requests by class, 429s and VMs not deallocated. Targets for
flexvmss: within 1.2x of the lower bound, zero failed VMs, 429s under 1% of its requests, and
fewer requests than either naive way. Writes bench/results/fanout.json.

    python bench/bench_fanout.py [--vms 1000] [--time-scale 0.25] [--naive-time-scale 0.1]
                                 [--sequential-sample 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from flexvmss.emulator import Emulator, throttle_lower_bound

RG = "rg-bench"
LOCATION = "westeurope"
SET = "web"
SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0flexvmsbenchkey bench@example"


def _member_filter(emu: Emulator) -> str:
    scale_set_id = (
        f"/subscriptions/{emu.subscription_id}/resourceGroups/{RG}"
        f"/providers/Microsoft.Compute/virtualMachineScaleSets/{SET}"
    )
    return f"'virtualMachineScaleSet/id' eq '{scale_set_id}'"


def prepare(emu: Emulator, vms: int) -> list[str]:
    """A resource group, a subnet behind a NAT gateway and a profile set of ``vms`` running VMs."""
    from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, render_scale_set_body

    network = emu.create_network(RG, LOCATION)
    c = emu.clients()
    spec = ScaleSetSpec(
        location=LOCATION,
        vm_size="Standard_D2s_v5",
        capacity=vms,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=network.subnet_id, outbound="nat_gateway"),
        ssh_public_keys=(SSH_KEY,),
    )
    c.compute.virtual_machine_scale_sets.begin_create_or_update(
        RG, SET, render_scale_set_body(spec, name=SET)
    ).result()
    names = [vm.name for vm in c.compute.virtual_machines.list(RG, filter=_member_filter(emu))]
    if len(names) != vms:
        raise RuntimeError(f"expected {vms} VMs, the emulator made {len(names)}")
    return sorted(names)


def not_deallocated(emu: Emulator, names: list[str]) -> int:
    """VMs of ``names`` whose power state is not deallocated (read with the throttle off)."""
    emu.set_throttle("off")
    c = emu.clients()
    wanted = {n.lower() for n in names}
    bad = 0
    for vm in c.compute.virtual_machines.list(RG, filter=_member_filter(emu), expand="instanceView"):
        if vm.name.lower() not in wanted:
            continue
        codes = [s.code for s in (vm.properties.instance_view.statuses or [])]
        if "PowerState/deallocated" not in codes:
            bad += 1
    return bad


class Run:
    """Counters and the emulated clock around one way's run."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.before = emu.counters()
        self.start = emu.clock.now()

    def actual_bound(self) -> float:
        """The least emulated time the throttling model allows *for the durations this run
        drew*: the i-th deallocate admitted at the earliest time the buckets allow it, each
        lasting what the emulator made it last (durations vary +/-20%), the last completion
        wins. Pairs slots with operations in the order the client started them."""
        ops = sorted(
            (o for o in self.emu.lro.ops.values() if o.kind == "vm.deallocate" and o.start >= self.start),
            key=lambda o: o.start,
        )
        return max(
            (
                throttle_lower_bound(i + 1, arm="write", policy="DeleteVM", resources=len(ops))
                + (o.done_at - o.start)
                for i, o in enumerate(ops)
            ),
            default=0.0,
        )

    def finish(
        self, label: str, vms: int, names: list[str], *, scale: float = 1.0, **extra: Any
    ) -> dict[str, Any]:
        after = self.emu.counters()
        elapsed = self.emu.clock.now() - self.start
        by_class = {
            k: round((after["by_op_class"].get(k, 0) - self.before["by_op_class"].get(k, 0)) * scale)
            for k in sorted(set(after["by_op_class"]) | set(self.before["by_op_class"]))
        }
        by_class = {k: v for k, v in by_class.items() if v}
        throttled = round(
            (after["throttled"].get("total", 0) - self.before["throttled"].get("total", 0)) * scale
        )
        failed = not_deallocated(self.emu, names)
        extra.setdefault("lower_bound_actual_seconds", self.actual_bound())
        return {
            "way": label,
            "vms": vms,
            "emulated_seconds": elapsed * scale,
            "requests": sum(by_class.values()),
            "requests_by_class": by_class,
            "throttled_429": throttled,
            "failed_vms": round(failed * scale),
            **extra,
        }


def sequential(emu: Emulator, names: list[str], vms: int) -> dict[str, Any]:
    c = emu.clients()
    run = Run(emu)
    for name in names:
        c.compute.virtual_machines.begin_deallocate(RG, name).result()
    scale = vms / len(names)
    return run.finish(
        "sequential SDK loop", vms, names, scale=scale, extrapolated_from=len(names) if scale != 1 else None
    )


def pool(emu: Emulator, names: list[str], threads: int) -> dict[str, Any]:
    c = emu.clients()
    run = Run(emu)
    errors: list[str] = []

    def one(name: str) -> None:
        try:
            c.compute.virtual_machines.begin_deallocate(RG, name).result()
        except Exception as exc:  # counted as a failed VM below
            errors.append(f"{name}: {type(exc).__name__}")

    with ThreadPoolExecutor(max_workers=threads) as executor:
        list(executor.map(one, names))
    return run.finish(f"{threads}-thread SDK pool", len(names), names, errors=len(errors))


def flexvmss_way(emu: Emulator, names: list[str], time_scale: float) -> dict[str, Any]:
    from flexvmss._arm import ArmSettings, build_clients
    from flexvmss._pipeline import ThrottleConfig
    from flexvmss.aio import FlexScaleSet

    async def go() -> Any:
        clients = build_clients(
            ArmSettings(
                emu.subscription_id,
                base_url=emu.base_url,
                credential=emu.async_credential,
                connection_verify=emu.ca_file,
                polling_interval=max(0.01, 5.0 * time_scale),
                throttle=ThrottleConfig(time_scale=time_scale),
            )
        )
        async with FlexScaleSet(emu.subscription_id, RG, SET, clients=clients) as ss:
            try:
                return await ss.deallocate()
            finally:
                await clients.close()

    run = Run(emu)
    result = asyncio.run(go())
    return run.finish(
        "flexvmss", len(names), names, batch=result.summary(), library_counted_requests=result.total_requests
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.25,
        help="real seconds per emulated second for the flexvmss run (large enough that the emulator's "
        "own CPU time stays small next to emulated time)",
    )
    parser.add_argument(
        "--naive-time-scale",
        type=float,
        default=0.1,
        help="time scale of the two naive runs (they are long; their cost is in waiting, not CPU)",
    )
    parser.add_argument("--sequential-sample", type=int, default=20, help="0: run the loop on every VM")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--skip-naive", action="store_true", help="run flexvmss only")
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "fanout.json"))
    args = parser.parse_args(argv)

    from flexvmss.emulator.compute import DURATIONS

    admission = throttle_lower_bound(args.vms, arm="write", policy="DeleteVM", resources=args.vms)
    bound = admission + DURATIONS["vm.deallocate"]
    rows: list[dict[str, Any]] = []
    ways = ["flexvmss"] if args.skip_naive else ["sequential", "pool", "flexvmss"]
    for way in ways:
        scale = args.time_scale if way == "flexvmss" else args.naive_time_scale
        with Emulator(time_scale=scale, throttle="azure", seed=11) as emu:
            names = prepare(emu, args.vms)
            emu.set_throttle("azure")  # fresh buckets for the measured run
            t0 = time.perf_counter()
            if way == "sequential":
                sample = names[: args.sequential_sample] if args.sequential_sample else names
                row = sequential(emu, sample, args.vms)
            elif way == "pool":
                row = pool(emu, names, args.threads)
            else:
                row = flexvmss_way(emu, names, args.time_scale)
            row["real_seconds"] = time.perf_counter() - t0
            row["time_scale"] = scale
            row["lower_bound_seconds"] = bound
            row["vs_lower_bound"] = row["emulated_seconds"] / bound
            actual = row.get("lower_bound_actual_seconds") or bound
            if row.get("extrapolated_from"):  # the sample's durations don't bound the whole run
                actual = bound
            row["lower_bound_actual_seconds"] = actual
            row["vs_lower_bound_actual"] = row["emulated_seconds"] / actual
            rows.append(row)
            print(f"  {row['way']}: {row['emulated_seconds']:.0f} emulated s", file=sys.stderr)

    header = (
        f"{'way':<24} {'emulated s':>11} {'x bound':>8} {'x actual':>9} {'requests':>9} {'429s':>6} "
        f"{'failed':>7}  by class"
    )
    print(
        f"\nDeallocate {args.vms} VMs, Azure throttling model; time scale {args.time_scale} (flexvmss), "
        f"{args.naive_time_scale} (naive ways)"
    )
    print(
        f"lower bound the model allows: {bound:.0f} emulated s with the mean deallocate duration "
        f"(x bound); 'x actual' uses the bound for the durations each run actually drew (+/-20% jitter)\n"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        note = f" (extrapolated from {row['extrapolated_from']})" if row.get("extrapolated_from") else ""
        classes = ", ".join(f"{k} {v}" for k, v in row["requests_by_class"].items())
        print(
            f"{row['way']:<24} {row['emulated_seconds']:>11.0f} {row['vs_lower_bound']:>8.2f} "
            f"{row['vs_lower_bound_actual']:>9.2f} {row['requests']:>9} {row['throttled_429']:>6} "
            f"{row['failed_vms']:>7}  {classes}{note}"
        )
    flex = next(r for r in rows if r["way"] == "flexvmss")
    naive = [r for r in rows if r["way"] != "flexvmss"]
    checks = {
        "within_1.2x_of_lower_bound": flex["vs_lower_bound"] <= 1.2,
        "within_1.2x_of_actual_lower_bound": flex["vs_lower_bound_actual"] <= 1.2,
        "zero_failed_vms": flex["failed_vms"] == 0,
        "429s_under_1_percent": flex["throttled_429"] < 0.01 * max(1, flex["requests"]),
        "fewer_requests_than_naive": all(flex["requests"] < r["requests"] for r in naive) if naive else None,
    }
    print("\nflexvmss targets: " + ", ".join(f"{k}={v}" for k, v in checks.items()))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "vms": args.vms,
                "time_scale": args.time_scale,
                "naive_time_scale": args.naive_time_scale,
                "lower_bound_seconds": bound,
                "ways": rows,
                "targets": checks,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
