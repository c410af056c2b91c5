"""How fast the cassette-backed test suite replays (what ``make test`` pays for it).

Finds the cassette-backed test files the way ``scripts/rerecord_check.sh`` does (files under
tests/ that mention ``flexvmss_cassette``, the kit's own plugin tests left out), replays them
offline in a fresh ``pytest -q`` subprocess, and reports the cassettes (count, total size),
the tests and their outcomes, the replay's wall time, the slowest test and the 200-VM fan-out
test's time (per-test times are pytest's setup + call + teardown, from its JUnit XML).
Writes bench/results/replay.json.

    python bench/bench_replay.py [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
FANOUT_TEST = "test_deallocate_then_start_200_vms"
MARKER = "flexvmss_cassette"
EXCLUDED_PREFIX = "tests/testing_kit/test_plugin"  # as scripts/rerecord_check.sh


def cassette_test_files(root: Path = ROOT) -> list[str]:
    """``grep -rl flexvmss_cassette tests --include='test_*.py' | grep -v <plugin tests>``."""
    found = []
    for path in sorted((root / "tests").rglob("test_*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(EXCLUDED_PREFIX):
            continue
        if MARKER in path.read_text(encoding="utf-8", errors="replace"):
            found.append(rel)
    return found


def cassette_dir(root: Path = ROOT) -> Path:
    """The ini option ``flexvmss_cassette_dir`` from pyproject.toml (``cassettes`` if unset)."""
    config = tomllib.loads((root / "pyproject.toml").read_text())
    options = config.get("tool", {}).get("pytest", {}).get("ini_options", {})
    return root / str(options.get("flexvmss_cassette_dir", "cassettes"))


def cassettes_of(files: list[str], directory: Path) -> list[Path]:
    """The cassettes of these test modules: ``<dir>/<module>/*.yaml``."""
    out: list[Path] = []
    for rel in files:
        out.extend(sorted((directory / Path(rel).stem).glob("*.yaml")))
    return out


def replay(files: list[str], junit: Path) -> tuple[float, int, str]:
    """Run the files offline (the default replay target); returns the wall seconds, pytest's
    exit code and its summary line."""
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
        f"--junitxml={junit}", *files,
    ]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    lines = proc.stdout.strip().splitlines()
    return wall, proc.returncode, lines[-1] if lines else proc.stderr.strip()[-200:]


@dataclass(frozen=True)
class TestTime:
    """One test of the replay: its node id, seconds (setup + call + teardown) and outcome."""

    id: str
    seconds: float
    outcome: str


def read_junit(junit: Path) -> list[TestTime]:
    tests = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
            elif child.tag == "skipped":
                outcome = "xfailed" if "xfail" in (child.get("type") or "") else "skipped"
        module = str(case.get("classname")).replace(".", "/") + ".py"
        tests.append(TestTime(f"{module}::{case.get('name')}", float(case.get("time") or 0.0), outcome))
    return tests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(Path(__file__).parent / "results" / "replay.json"))
    args = parser.parse_args(argv)

    files = cassette_test_files()
    cassettes = cassettes_of(files, cassette_dir())
    total_bytes = sum(p.stat().st_size for p in cassettes)
    with tempfile.TemporaryDirectory() as scratch:
        junit = Path(scratch) / "replay.xml"
        wall, code, summary = replay(files, junit)
        tests = read_junit(junit) if junit.exists() else []

    outcomes: dict[str, int] = {}
    for t in tests:
        outcomes[t.outcome] = outcomes.get(t.outcome, 0) + 1
    slowest = max(tests, key=lambda t: t.seconds, default=None)
    fanout = next((t for t in tests if FANOUT_TEST in t.id), None)
    biggest = max(cassettes, key=lambda p: p.stat().st_size, default=None)

    rows = [
        ("test files", str(len(files))),
        ("cassettes", str(len(cassettes))),
        ("cassettes, total size", f"{total_bytes / 1e6:.2f} MB"),
        ("largest cassette", f"{biggest.name} ({biggest.stat().st_size / 1e6:.2f} MB)" if biggest else "-"),
        ("tests", f"{len(tests)} ({', '.join(f'{n} {k}' for k, n in sorted(outcomes.items()))})"),
        ("replay wall time (pytest subprocess)", f"{wall:.2f} s"),
        ("slowest test", f"{slowest.id} {slowest.seconds:.2f} s" if slowest else "-"),
        ("200-VM fan-out test", f"{fanout.seconds:.2f} s" if fanout else "not found"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")

    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "files": files,
                "cassettes": len(cassettes),
                "cassette_bytes": total_bytes,
                "tests": len(tests),
                "outcomes": outcomes,
                "replay_wall_seconds": round(wall, 3),
                "pytest_exit_code": code,
                "pytest_summary": summary,
                "slowest_test": asdict(slowest) if slowest else None,
                "fanout_200_test": asdict(fanout) if fanout else None,
                "per_test": [asdict(t) for t in sorted(tests, key=lambda t: -t.seconds)],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {output}")
    if code != 0:
        print(f"FAIL: the replay did not pass ({summary})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
