"""Import cost of flexvmss against the azure-mgmt stack it wraps (Azure Functions cold starts),
and the time and memory to the first answer.

Each scenario runs in a fresh interpreter, several times; we report the median wall time of
the import statement and the peak resident memory the interpreter reached (ru_maxrss), both
also as the increase over a bare interpreter.

**First answer**: a fresh interpreter imports, builds its first client and reads one scale set
(a GET against the emulator, which runs in this process), timing each step; flexvmss's async
and sync faces next to the raw azure-mgmt aio client a careful programmer writes (one pooled
transport). The memory is read by the measured process itself: ``VmHWM`` (peak resident set)
from its own ``/proc/self/status`` after each step. Writes bench/results/import.json.

    python bench/bench_import.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

SCENARIOS: dict[str, str] = {
    "bare interpreter": "pass",
    "import flexvmss": "import flexvmss",
    "from flexvmss import FlexScaleSet, ScaleSetSpec": "from flexvmss import FlexScaleSet, ScaleSetSpec",
    "import flexvmss.aio": "import flexvmss.aio",
    "azure-mgmt aio clients (compute, network, resource)": (
        "import azure.mgmt.compute.aio, azure.mgmt.network.aio, azure.mgmt.resource.resources.aio"
    ),
    "azure-mgmt models (compute, network)": "import azure.mgmt.compute.models, azure.mgmt.network.models",
}

_PROBE = """
import resource, sys, time, json
t0 = time.perf_counter()
exec(compile({stmt!r}, "<bench>", "exec"))
t1 = time.perf_counter()
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
mgmt = sorted(m for m in sys.modules if m.startswith("azure.mgmt"))
print(json.dumps({{"seconds": t1 - t0, "peak_rss_kb": rss_kb, "modules": len(sys.modules),
                   "azure_mgmt_modules": len(mgmt)}}))
"""


def run_once(stmt: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(stmt=stmt)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


#: Each first-answer client: setup (not timed), then the three timed steps, as source run by the
#: child (``BASE``, ``CA``, ``SUB``, ``RG``, ``NAME`` are given to it).
FIRST_ANSWER: dict[str, tuple[str, str, str]] = {
    "flexvmss.aio": (
        "import flexvmss.aio",
        "ss = flexvmss.aio.FlexScaleSet(SUB, RG, NAME, base_url=BASE, connection_verify=CA)",
        "info = asyncio.run(get_and_close(ss))",
    ),
    "flexvmss (sync face)": (
        "import flexvmss",
        "ss = flexvmss.FlexScaleSet(SUB, RG, NAME, base_url=BASE, connection_verify=CA)",
        "info = ss.get(); ss.close()",
    ),
    "raw azure-mgmt aio client": (
        "from azure.mgmt.compute.aio import ComputeManagementClient\n"
        "from azure.core.pipeline.transport import AioHttpTransport\n"
        "from flexvmss.emulator import AsyncEmulatorCredential",
        "client = ComputeManagementClient(AsyncEmulatorCredential(TENANT), SUB, base_url=BASE,"
        " credential_scopes=['https://management.azure.com/.default'],"
        " transport=AioHttpTransport(connection_verify=CA))",
        "info = asyncio.run(get_and_close_raw(client))",
    ),
}

_FIRST = """
import asyncio, json, sys, time
BASE, CA, SUB, TENANT, RG, NAME = {args!r}

def hwm_kb():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0

async def get_and_close(ss):
    try:
        return await ss.get()
    finally:
        await ss.close()

async def get_and_close_raw(client):
    async with client:
        return await client.virtual_machine_scale_sets.get(RG, NAME)

out = {{"hwm_start_kb": hwm_kb()}}
for step, code in zip(("import", "client", "first_get"), {steps!r}):
    t0 = time.perf_counter()
    exec(compile(code, "<" + step + ">", "exec"))
    out[step + "_ms"] = (time.perf_counter() - t0) * 1000
    out["hwm_after_" + step + "_kb"] = hwm_kb()
print(json.dumps(out))
"""


def first_answer(repeat: int) -> dict[str, dict[str, float]]:
    """Time and peak memory to the first answer from a fresh interpreter, per client."""
    from flexvmss.emulator import Emulator

    results: dict[str, dict[str, float]] = {}
    with Emulator(time_scale=0.001) as emu:
        network = emu.create_network("rg-import", "westeurope")
        c = emu.clients()
        body = {
            "location": "westeurope",
            "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1},
        }
        c.compute.virtual_machine_scale_sets.begin_create_or_update("rg-import", "web", body).result()
        c.close()
        del network
        args = (emu.base_url, emu.ca_file, emu.subscription_id, emu.tenant_id, "rg-import", "web")
        for label, steps in FIRST_ANSWER.items():
            runs = []
            for _ in range(repeat):
                out = subprocess.run(
                    [sys.executable, "-c", _FIRST.format(args=args, steps=steps)],
                    capture_output=True,
                    text=True,
                    check=False,
                    env={**os.environ, "FLEXVMSS_BASE_URL": "", "FLEXVMSS_CA_FILE": ""},
                )
                if out.returncode != 0:
                    raise RuntimeError(f"{label}: {out.stderr[-2000:]}")
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            entry = {
                key: statistics.median(r[key] for r in runs)
                for key in runs[0]
                if key.endswith("_ms") or key.endswith("_kb")
            }
            entry["total_ms"] = entry["import_ms"] + entry["client_ms"] + entry["first_get_ms"]
            results[label] = entry
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "import.json"))
    args = parser.parse_args(argv)

    results: dict[str, dict[str, float]] = {}
    for label, stmt in SCENARIOS.items():
        runs = [run_once(stmt) for _ in range(args.repeat)]
        results[label] = {
            "statement": stmt,  # type: ignore[dict-item]
            "median_ms": statistics.median(r["seconds"] for r in runs) * 1000,
            "min_ms": min(r["seconds"] for r in runs) * 1000,
            "peak_rss_mb": statistics.median(r["peak_rss_kb"] for r in runs) / 1024,
            "modules": statistics.median(r["modules"] for r in runs),
            "azure_mgmt_modules": max(r["azure_mgmt_modules"] for r in runs),
        }
    base = results["bare interpreter"]
    for entry in results.values():
        entry["extra_rss_mb"] = entry["peak_rss_mb"] - base["peak_rss_mb"]

    header = (
        f"{'scenario':<52} {'import ms':>10} {'peak RSS MB':>12} {'+RSS MB':>8} "
        f"{'modules':>8} {'azure.mgmt':>10}"
    )
    print(header)
    print("-" * len(header))
    for label, r in results.items():
        print(
            f"{label:<52} {r['median_ms']:>10.1f} {r['peak_rss_mb']:>12.1f} {r['extra_rss_mb']:>8.1f} "
            f"{r['modules']:>8.0f} {r['azure_mgmt_modules']:>10.0f}"
        )
    first = first_answer(max(3, args.repeat // 2))
    print()
    header = (
        f"{'first answer (fresh interpreter)':<34} {'import ms':>9} {'client ms':>9} {'GET ms':>8} "
        f"{'total ms':>9} {'peak RSS MB (VmHWM)':>20}"
    )
    print(header)
    print("-" * len(header))
    for label, r in first.items():
        print(
            f"{label:<34} {r['import_ms']:>9.0f} {r['client_ms']:>9.0f} {r['first_get_ms']:>8.0f} "
            f"{r['total_ms']:>9.0f} {r['hwm_after_first_get_kb'] / 1024:>20.1f}"
        )
    print("memory: VmHWM read by the measured process from its own /proc/self/status after the GET")
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "repeat": args.repeat,
                "scenarios": results,
                "first_answer": first,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {output}")
    if results["import flexvmss"]["azure_mgmt_modules"]:
        print("FAIL: import flexvmss imported azure.mgmt modules", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
