"""Deallocate the VMs of a Flex set under Azure's throttling model: flexvmss against the ways a
careful programmer would write it, at 1,000 and 3,000 VMs.

Ways (each a fresh emulator with ``throttle="azure"`` and its realism on, on a scaled clock):

1. a sequential azure-mgmt loop (``begin_deallocate(...).result()`` VM after VM), on a sample
   of VMs and extrapolated (said so in the table);
2. a 32-thread pool over the sync SDK client, with its default retries;
3. a careful hand-written baseline: ``asyncio.gather`` with a ``Semaphore(200)`` over the aio
   SDK (``begin_deallocate`` then ``poller.result()`` per VM, azure-core's own polling);
4. flexvmss: ``FlexScaleSet.deallocate()``, at 1,000 and 3,000 VMs;
5. two flexvmss processes on one subscription, each deallocating its own set of 1,000 VMs;
6. flexvmss at 1,000 VMs against limits it does not know: the emulator enforces Azure's table
   halved, doubled, with another burst and refill, or with other callers spending the same
   buckets (:class:`~flexvmss.emulator.ThrottleLimits`); the bound is computed for those limits.

Every row runs at the same time scale (at least 0.1: the clients can outrun the buckets' refill,
so throttling binds and a caller that does not pace meets 429s). Every client runs in its own
process (the emulator stays in this one), so its CPU seconds and its peak resident memory
(``VmHWM`` in ``/proc/self/status``, read by the client itself) are its own. Printed per way:
emulated seconds of the batch against the **lower bound** (the per-VM writes admitted at the
earliest moments Azure's published ARM and Compute buckets allow, from bench/azure_limits.py,
each followed by the deallocation duration the emulator drew for it: the earliest the last VM
can be done; it leaves out reads, so it is not reachable exactly), requests per VM by class
(action, list, status), 429s, VMs not deallocated, client CPU milliseconds per VM and memory per
1,000 VMs (peak RSS over the batch, less the peak before it).

Targets for flexvmss: within 1.2x of the bound, zero failed VMs, 429s under 1%, list pages at
most 0.15 per VM, client CPU at most 3 ms per VM, at 1,000 and 3,000 VMs; for two processes
and under unknown limits: 429s under 1% and zero failed (and within 1.2x for one process).
Writes bench/results/fanout.json.

    python bench/bench_fanout.py [--sizes 1000,3000] [--time-scale 0.25] [--sequential-sample 10]
                                 [--skip-naive] [--skip-pair] [--skip-unknown] [--only TEXT]
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

RG = "rg-bench"
LOCATION = "westeurope"
SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0flexvmsbenchkey bench@example"
REALISM = "azure"


# ------------------------------------------------------------------------------------ client side


def _status_kb(field: str) -> int:
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM) of this very process."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_split() -> tuple[float, float]:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def _aio_compute(spec: dict[str, Any]) -> Any:
    """The stock aio ComputeManagementClient a careful programmer builds: one pooled transport."""
    from azure.mgmt.compute.aio import ComputeManagementClient

    from flexvmss.emulator import AsyncEmulatorCredential
    from flexvmss.emulator._emulator import _aio_transport

    return ComputeManagementClient(
        AsyncEmulatorCredential(spec["tenant"]),
        spec["subscription"],
        base_url=spec["base_url"],
        connection_verify=spec["ca_file"],
        credential_scopes=["https://management.azure.com/.default"],
        polling_interval=max(0.01, 30.0 * spec["time_scale"]),  # azure-core's default, scaled
        transport=_aio_transport(spec["ca_file"]),
    )


def _sync_compute(spec: dict[str, Any]) -> Any:
    from azure.mgmt.compute import ComputeManagementClient

    from flexvmss.emulator import EmulatorCredential

    return ComputeManagementClient(
        EmulatorCredential(spec["tenant"]),
        spec["subscription"],
        base_url=spec["base_url"],
        connection_verify=spec["ca_file"],
        credential_scopes=["https://management.azure.com/.default"],
        polling_interval=max(0.01, 30.0 * spec["time_scale"]),
    )


def _member_filter(subscription: str, set_name: str) -> str:
    set_id = (
        f"/subscriptions/{subscription}/resourceGroups/{RG}"
        f"/providers/Microsoft.Compute/virtualMachineScaleSets/{set_name}"
    )
    return f"'virtualMachineScaleSet/id' eq '{set_id}'"


def flexvmss_clients(spec: dict[str, Any]) -> Any:
    """flexvmss's clients for a client process: the emulator of ``spec``, throttled and polling
    on its clock (also bench_backends.py's)."""
    from flexvmss._arm import ArmSettings, build_clients
    from flexvmss._pipeline import ThrottleConfig
    from flexvmss.emulator import AsyncEmulatorCredential

    scale = spec["time_scale"]
    return build_clients(
        ArmSettings(
            spec["subscription"],
            base_url=spec["base_url"],
            credential=AsyncEmulatorCredential(spec["tenant"]),
            connection_verify=spec["ca_file"],
            polling_interval=max(0.01, 5.0 * scale),
            throttle=ThrottleConfig(time_scale=scale),
        )
    )


def client_flexvmss(spec: dict[str, Any]) -> dict[str, Any]:
    from flexvmss.aio import FlexScaleSet

    out: dict[str, Any] = {}

    async def go() -> None:
        clients = flexvmss_clients(spec)
        # a Flex set holds at most 1,000 VMs: more VMs in one process are several sets, each
        # deallocated at once, sharing the process's clients and throttle state
        names = spec.get("sets") or [spec["set"]]
        sets = [FlexScaleSet(spec["subscription"], RG, name, clients=clients) for name in names]
        try:
            for ss in sets:
                await ss.get()  # warm: imports, clients, connections
            out["rss_before_kb"], out["hwm_before_kb"] = _status_kb("VmRSS"), _status_kb("VmHWM")
            cpu, out["batch_start"] = _cpu(), time.monotonic()
            results = await asyncio.gather(*(ss.deallocate() for ss in sets))
            out["cpu_batch_s"], out["batch_end"] = _cpu() - cpu, time.monotonic()
            out["summary"] = "; ".join(result.summary() for result in results)
            out["failed"] = sum(len(result.failed) + len(result.not_started) for result in results)
            requests: dict[str, int] = {}
            for result in results:
                for key, count in result.requests.items():
                    requests[key] = requests.get(key, 0) + count
            out["library_requests"] = requests
        finally:
            for ss in sets:
                await ss.close()
            await clients.close()

    asyncio.run(go())
    return out


def client_baseline(spec: dict[str, Any]) -> dict[str, Any]:
    """``asyncio.gather`` with a ``Semaphore(200)`` over the aio SDK: begin, then wait for the
    poller, per VM; azure-core polls each operation at its Retry-After."""
    out: dict[str, Any] = {}

    async def go() -> None:
        compute = _aio_compute(spec)
        try:
            names = [
                vm.name
                async for vm in compute.virtual_machines.list(
                    RG, filter=_member_filter(spec["subscription"], spec["set"])
                )
            ]
            out["rss_before_kb"], out["hwm_before_kb"] = _status_kb("VmRSS"), _status_kb("VmHWM")
            semaphore = asyncio.Semaphore(200)
            errors: list[str] = []

            async def one(name: str) -> None:
                async with semaphore:
                    try:
                        poller = await compute.virtual_machines.begin_deallocate(RG, name)
                        await poller.result()
                    except Exception as exc:  # counted as failed
                        errors.append(f"{name}: {type(exc).__name__}")

            cpu, out["batch_start"] = _cpu(), time.monotonic()
            await asyncio.gather(*(one(name) for name in names))
            out["cpu_batch_s"], out["batch_end"] = _cpu() - cpu, time.monotonic()
            out["failed"] = len(errors)
        finally:
            await compute.close()

    asyncio.run(go())
    return out


def client_pool(spec: dict[str, Any]) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    compute = _sync_compute(spec)
    names = [
        vm.name
        for vm in compute.virtual_machines.list(RG, filter=_member_filter(spec["subscription"], spec["set"]))
    ]
    out: dict[str, Any] = {"rss_before_kb": _status_kb("VmRSS"), "hwm_before_kb": _status_kb("VmHWM")}
    errors: list[str] = []

    def one(name: str) -> None:
        try:
            compute.virtual_machines.begin_deallocate(RG, name).result()
        except Exception as exc:  # counted as failed
            errors.append(f"{name}: {type(exc).__name__}")

    cpu, out["batch_start"] = _cpu(), time.monotonic()
    with ThreadPoolExecutor(max_workers=spec.get("threads", 32)) as executor:
        list(executor.map(one, names))
    out["cpu_batch_s"], out["batch_end"] = _cpu() - cpu, time.monotonic()
    out["failed"] = len(errors)
    compute.close()
    return out


def client_sequential(spec: dict[str, Any]) -> dict[str, Any]:
    compute = _sync_compute(spec)
    names = sorted(
        vm.name
        for vm in compute.virtual_machines.list(RG, filter=_member_filter(spec["subscription"], spec["set"]))
    )[: spec["sample"]]
    out: dict[str, Any] = {"rss_before_kb": _status_kb("VmRSS"), "hwm_before_kb": _status_kb("VmHWM")}
    cpu, out["batch_start"] = _cpu(), time.monotonic()
    for name in names:
        compute.virtual_machines.begin_deallocate(RG, name).result()
    out["cpu_batch_s"], out["batch_end"] = _cpu() - cpu, time.monotonic()
    out["failed"] = 0
    out["sample"] = len(names)
    compute.close()
    return out


CLIENTS = {
    "flexvmss": client_flexvmss,
    "baseline": client_baseline,
    "pool": client_pool,
    "sequential": client_sequential,
}


def client_main(way: str, spec_json: str) -> int:
    spec = json.loads(spec_json)
    profile_to = os.environ.get("FLEXVMSS_BENCH_PROFILE")  # a path: cProfile the client into it
    if profile_to:
        import cProfile

        with cProfile.Profile(time.process_time) as profiler:  # CPU, not waits
            result = CLIENTS[way](spec)
        profiler.dump_stats(f"{profile_to}.{os.getpid()}")
    else:
        result = CLIENTS[way](spec)
    result["hwm_kb"] = _status_kb("VmHWM")
    result["cpu_total_s"] = _cpu()
    result["cpu_user_s"], result["cpu_system_s"] = _cpu_split()
    print(json.dumps(result))
    return 0


# ------------------------------------------------------------------------------------ bench side


def prepare(emu: Any, set_name: str, vms: int) -> list[str]:
    """A profile set of ``vms`` running VMs (the network is made once per emulator)."""
    from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, render_scale_set_body

    if not getattr(emu, "_bench_subnet", None):
        emu._bench_subnet = emu.create_network(RG, LOCATION).subnet_id
    c = emu.clients()
    spec = ScaleSetSpec(
        location=LOCATION,
        vm_size="Standard_D2s_v5",
        capacity=vms,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=emu._bench_subnet, outbound="nat_gateway"),
        ssh_public_keys=(SSH_KEY,),
    )
    c.compute.virtual_machine_scale_sets.begin_create_or_update(
        RG, set_name, render_scale_set_body(spec, name=set_name)
    ).result()
    emu.complete_all()
    names = [
        vm.name
        for vm in c.compute.virtual_machines.list(RG, filter=_member_filter(emu.subscription_id, set_name))
    ]
    c.close()
    if len(names) != vms:
        raise RuntimeError(f"expected {vms} VMs in {set_name}, the emulator made {len(names)}")
    return sorted(names)


def not_deallocated(emu: Any, set_names: list[str]) -> int:
    """VMs of the sets whose power state is not deallocated: the emulator's own record, read
    in process after every operation completed (not through a list: with realism on, a list
    read may still show a VM as it was up to 15 emulated seconds after it changed, and a batch
    that confirms its last VMs quickly would be counted failed)."""
    from flexvmss.emulator.compute.models.state import vm_state

    emu.complete_all()
    sets = "/providers/microsoft.compute/virtualmachinescalesets/"
    wanted = {f"/resourcegroups/{RG}{sets}{n}".lower() for n in set_names}
    bad = 0
    with emu.store.lock:
        for body in emu.store.resources.values():
            if str(body.get("type", "")).lower() != "microsoft.compute/virtualmachines":
                continue
            set_id = str(((body.get("properties") or {}).get("virtualMachineScaleSet") or {}).get("id", ""))
            if not any(set_id.lower().endswith(w) for w in wanted):
                continue
            if vm_state(emu.ctx, str(body["id"]))["power"] != "deallocated":
                bad += 1
    return bad


def check_tables() -> list[str]:
    """Where the emulator's throttling table differs from Azure's published numbers
    (bench/azure_limits.py): a bound is only a bound if the emulator enforces what it assumes."""
    from flexvmss.emulator._throttle import ARM_LIMITS, COMPUTE_POLICIES

    differences = [
        f"arm/{k}: {ARM_LIMITS.get(k)} != {v}" for k, v in azure_limits.ARM.items() if ARM_LIMITS.get(k) != v
    ]
    for name, (r_cap, r_rate, s_cap, s_rate) in azure_limits.COMPUTE.items():
        pol = COMPUTE_POLICIES[name]
        emulated = (
            pol.resource_capacity or 0,
            pol.resource_refill or 0,
            pol.subscription_capacity,
            pol.subscription_refill,
        )
        if emulated != (r_cap, r_rate, s_cap, s_rate):
            differences.append(f"compute/{name}: {emulated} != {(r_cap, r_rate, s_cap, s_rate)}")
    return differences


def lower_bound(emu: Any, since: float, limits: dict[str, Any]) -> float:
    """The least emulated time, from ``since``, for the deallocations this run drew: the i-th
    accepted deallocation admitted at the earliest moment Azure's published buckets (scaled by
    ``limits``) allow, lasting what the emulator made the i-th one last; the last completion wins."""
    ops = sorted(
        (o for o in emu.lro.ops.values() if o.kind == "vm.deallocate" and o.start >= since),
        key=lambda o: o.start,
    )
    admissions = azure_limits.write_admissions(len(ops), policy="DeleteVM", **limits)
    return azure_limits.bound_with_durations(admissions, [o.done_at - o.start for o in ops])


def spawn(way: str, spec: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, "--client", way, json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def collect(proc: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"client failed ({proc.returncode}):\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_way(
    label: str,
    way: str,
    vms: int,
    time_scale: float,
    *,
    sets: int = 1,
    sample: int = 0,
    threads: int = 32,
    limits: dict[str, Any] | None = None,
    per_process: int = 1,
) -> dict[str, Any]:
    """One row: a fresh emulator, ``sets`` sets of ``vms`` VMs, one client process per set.
    The measured window is the batch itself (first client's start to last client's end, read
    on the system's monotonic clock by the clients and turned into emulated time), not the
    clients' interpreter start-up."""
    from flexvmss.emulator import Emulator, ThrottleLimits

    limits = limits or {}
    with Emulator(
        time_scale=time_scale,
        throttle="azure",
        seed=11,
        realism=REALISM,
        throttle_limits=ThrottleLimits(**limits),
    ) as emu:
        set_names = [f"set{i}" for i in range(sets * per_process)]
        for name in set_names:
            prepare(emu, name, vms // per_process)
        before = emu.counters()
        t0 = time.perf_counter()
        base = {
            "base_url": emu.base_url,
            "ca_file": emu.ca_file,
            "subscription": emu.subscription_id,
            "tenant": emu.tenant_id,
            "time_scale": time_scale,
            "sample": sample,
            "threads": threads,
        }
        groups = [set_names[i : i + per_process] for i in range(0, len(set_names), per_process)]
        procs = [spawn(way, {**base, "set": group[0], "sets": group}) for group in groups]
        emu.set_throttle("azure")  # fresh buckets for the measured run (the clients are still starting)
        clients = [collect(proc) for proc in procs]
        real = time.perf_counter() - t0
        now_emulated, now_mono = emu.clock.now(), time.monotonic()

        def emulated_at(mono: float) -> float:
            return now_emulated - (now_mono - mono) / time_scale

        batch_start = emulated_at(min(c["batch_start"] for c in clients))
        elapsed = emulated_at(max(c["batch_end"] for c in clients)) - batch_start
        after = emu.counters()
        bound = lower_bound(emu, batch_start, limits)
        failed = sum(c["failed"] for c in clients)
        scale = vms / sample if sample else 1.0  # the sequential loop is extrapolated
        failed = round(failed * scale) if sample else not_deallocated(emu, set_names)
    by_class = {
        k: after["by_op_class"].get(k, 0) - before["by_op_class"].get(k, 0)
        for k in sorted(set(after["by_op_class"]) | set(before["by_op_class"]))
    }
    by_class = {k: round(v * scale) for k, v in by_class.items() if v}
    throttled = round((after["throttled"].get("total", 0) - before["throttled"].get("total", 0)) * scale)
    total_vms = vms * sets
    requests = sum(by_class.values())
    per_vm = {
        k: by_class.get(src, 0) / total_vms
        for k, src in (("action", "action"), ("list", "list"), ("status", "poll"))
    }
    per_vm["other"] = (requests - sum(by_class.get(k, 0) for k in ("action", "list", "poll"))) / total_vms
    emulated = elapsed * scale
    cpu = sum(c["cpu_batch_s"] for c in clients) * scale
    hwm_growth = max(c["hwm_kb"] - c["hwm_before_kb"] for c in clients) / 1024
    if sample:  # the bound of all the VMs, each lasting the mean drawn duration
        from flexvmss.emulator.compute import DURATIONS

        bound = (
            azure_limits.write_admissions(total_vms, policy="DeleteVM", **limits)[-1]
            + DURATIONS["vm.deallocate"]
        )
    return {
        "way": label,
        "client": way,
        "vms": total_vms,
        "processes": sets,
        "time_scale": time_scale,
        "realism": REALISM,
        "limits": ThrottleLimits(**limits).to_dict(),
        "emulated_seconds": emulated,
        "lower_bound_seconds": bound,
        "vs_lower_bound": emulated / bound if bound else None,
        "real_seconds": real,
        "requests": requests,
        "requests_by_class": by_class,
        "requests_per_vm": {k: round(v, 3) for k, v in per_vm.items()},
        "throttled_429": throttled,
        "throttled_share": throttled / max(1, requests),
        "failed_vms": failed,
        "client_cpu_seconds": round(cpu, 2),
        "client_cpu_ms_per_vm": round(1000 * cpu / total_vms, 2),
        "client_peak_rss_mb": round(max(c["hwm_kb"] for c in clients) / 1024, 1),
        "client_rss_growth_mb_per_1000_vms": round(1000 * hwm_growth / vms, 1),
        "extrapolated_from": sample or None,
        "clients": clients,
    }


#: Limits the library does not know (issue 17, point 3): every row deallocates 1,000 VMs with
#: flexvmss against an emulator enforcing these instead of Azure's published table.
UNKNOWN_LIMITS: dict[str, dict[str, Any]] = {
    "limits halved": {"capacity": 0.5, "refill": 0.5},
    "limits doubled": {"capacity": 2.0, "refill": 2.0},
    "burst x1.5, refill x0.6": {"capacity": 1.5, "refill": 0.6},
    "others take 4 writes/s": {"others": {"arm/write": 4.0, "compute/DeleteVM": 2.0}},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000", help="flexvmss set sizes")
    parser.add_argument("--time-scale", type=float, default=0.25, help="every row (at least 0.1)")
    parser.add_argument("--sequential-sample", type=int, default=10)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--skip-naive", action="store_true", help="no sequential, pool or baseline rows")
    parser.add_argument("--skip-pair", action="store_true", help="no two-process row")
    parser.add_argument(
        "--skip-unknown", action="store_true", help="no rows under limits the library does not know"
    )
    parser.add_argument(
        "--only",
        default="",
        help="run only the rows whose label contains this text (e.g. 'limits doubled')",
    )
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "fanout.json"))
    parser.add_argument(
        "--resume", action="store_true", help="keep the rows the output already holds at this time scale"
    )
    args = parser.parse_args(argv)
    if args.time_scale < 0.1:
        parser.error(
            "throttling rows run at a time scale of at least 0.1 (the emulator's own CPU stays small)"
        )
    differences = check_tables()
    if differences:
        print(
            "the emulator's throttling table differs from Azure's published numbers:",
            *differences,
            sep="\n  ",
        )
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s]
    first = sizes[0]
    scale = args.time_scale
    load = os.getloadavg()

    plan: list[tuple[str, str, int, dict[str, Any]]] = []
    if not args.skip_naive:
        plan.append(("sequential SDK loop", "sequential", first, {"sample": args.sequential_sample}))
        plan.append((f"{args.threads}-thread SDK pool", "pool", first, {"threads": args.threads}))
        plan.append(("asyncio+Semaphore(200), aio SDK", "baseline", first, {}))
    for size in sizes:
        plan.append(("flexvmss", "flexvmss", size, {"per_process": -(-size // 1000)}))
    if not args.skip_pair:
        plan.append(("flexvmss x2 processes", "flexvmss", first, {"sets": 2}))
    if not args.skip_unknown:
        for label, limits in UNKNOWN_LIMITS.items():
            plan.append((f"flexvmss, {label}", "flexvmss", first, {"limits": limits}))

    if args.only:
        plan = [step for step in plan if args.only in step[0]]
        if not plan:
            parser.error(f"no row's label contains {args.only!r}")
    output = Path(args.output)
    done: dict[tuple[str, int], dict[str, Any]] = {}
    if args.resume and output.exists():
        kept = json.loads(output.read_text())
        done = {(r["way"], r["vms"]): r for r in kept.get("ways", []) if r.get("time_scale") == scale}
    rows = []
    for label, way, vms, extra in plan:
        total = vms * extra.get("sets", 1)
        if (label, total) in done:
            rows.append(done[(label, total)])
            continue
        print(f"  {label} at {total} VMs, time scale {scale} ...", file=sys.stderr, flush=True)
        row = run_way(label, way, vms, scale, **extra)
        rows.append(row)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps({"partial": True, "time_scale": scale, "ways": rows}, indent=2) + "\n")
        print(
            f"    {row['emulated_seconds']:.0f} emulated s, {row['real_seconds']:.0f} real s", file=sys.stderr
        )

    print(
        f"\nDeallocate the VMs of a Flex set: the emulator's realism on, time scale {scale} for every row, "
        f"load average at start {load[0]:.1f}"
    )
    print(
        "bound = per-VM writes admitted at the earliest moments Azure's published ARM write and Compute\n"
        "DeleteVM buckets allow (bench/azure_limits.py; scaled for the rows under other limits), each\n"
        "followed by the deallocation duration the emulator drew for it. x bound = emulated batch / bound\n"
    )
    header = (
        f"{'way':<40} {'VMs':>5} {'emul. s':>8} {'x bound':>8} {'action/VM':>9} {'list/VM':>8} "
        f"{'status/VM':>9} "
        f"{'429s':>6} {'failed':>6} {'CPU ms/VM':>9} {'RSS MB':>7} {'+MB/1kVM':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        per = row["requests_per_vm"]
        note = f"  (extrapolated from {row['extrapolated_from']})" if row["extrapolated_from"] else ""
        print(
            f"{row['way']:<40} {row['vms']:>5} {row['emulated_seconds']:>8.0f} {row['vs_lower_bound']:>8.2f} "
            f"{per['action']:>9.2f} {per['list']:>8.3f} {per['status']:>9.2f} {row['throttled_429']:>6} "
            f"{row['failed_vms']:>6} {row['client_cpu_ms_per_vm']:>9.2f} {row['client_peak_rss_mb']:>7.0f} "
            f"{row['client_rss_growth_mb_per_1000_vms']:>8.1f}{note}"
        )
    checks: dict[str, bool] = {}
    for row in rows:
        if row["client"] != "flexvmss":
            continue
        n = row["vms"]
        per = row["requests_per_vm"]
        name = f"{row['way']} at {n}"
        checks[f"{name}: zero failed VMs"] = row["failed_vms"] == 0
        checks[f"{name}: 429s under 1%"] = row["throttled_share"] < 0.01
        if row["processes"] == 1:
            checks[f"{name}: within 1.2x of the bound"] = row["vs_lower_bound"] <= 1.2
        if row["way"] == "flexvmss":
            checks[f"{name}: list pages at most 0.15 per VM"] = per["list"] <= 0.15
            checks[f"{name}: at most 2.2 requests per VM"] = row["requests"] / n <= 2.2
            checks[f"{name}: client CPU at most 3 ms per VM"] = row["client_cpu_ms_per_vm"] <= 3.0
    print("\nflexvmss targets:")
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    output.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "load_average_at_start": load,
                "cpus": os.cpu_count(),
                "realism": REALISM,
                "time_scale": scale,
                "bound": "per-VM writes admitted at the earliest moments Azure's published ARM write and "
                "Compute DeleteVM buckets allow (bench/azure_limits.py, scaled by a row's limits), each "
                "followed by the deallocation duration the emulator drew for it",
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
        sys.exit(client_main(sys.argv[2], sys.argv[3]))
    sys.exit(main())
