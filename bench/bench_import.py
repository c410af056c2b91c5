"""Import cost of flexvmss against the azure-mgmt stack it wraps (Azure Functions cold starts).

Each scenario runs in a fresh interpreter, several times; we report the median wall time of
the import statement and the peak resident memory the interpreter reached (ru_maxrss), both
also as the increase over a bare interpreter. Writes bench/results/import.json.

    python bench/bench_import.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
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
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "repeat": args.repeat,
                "scenarios": results,
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
