"""Replay every conformance case on a fresh emulator and write the divergence report.

    python scripts/conformance/report.py                # writes tests/conformance/DIVERGENCES.md
    python scripts/conformance/report.py --mark-xfails  # also records each failing case's
                                                        # divergence as its xfail reason

The report lists, per failing case, what Azure does (with the source), what the emulator
does, and the suggested fix curated in the case file (``fix``). Passing cases are counted
and listed with the keys the emulator adds that today's azure-mgmt models declare.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "tests" / "conformance"
sys.path.insert(0, str(CONF))

from _conformance import CASES_DIR, Outcome, load_cases, run_case  # noqa: E402
from _conformance_wire import Arm  # noqa: E402

MAX_REASON = 300

#: The state of the work list (curated; case ids refer to the sections below).
PRIORITIES = """\
## Work list: state after issue 12

Fixed (each behaviour cites its source in the emulator's code):

1. **Server-side defaults**, one sourced table per resource type (`compute/models/defaults.py`:
   VM, scale set, VM profile, running instance view; `network/models/defaults.py`: VNet, subnet,
   public IP, NAT gateway, NIC, load balancer): `vm-*`, `flex-get-with-profile`, `vmss-get-uniform`,
   `vmss-update-put`, `vmss-list`, `nic-*`, `vnet-*`, `nat-*`, `lb-*`, `pip-create-standard-static`.
2. **Status and LRO shape**: 409 for a VM naming a Uniform set; profile-less Flex create done at once
   (201 `Succeeded`, no Azure-AsyncOperation, `singlePlacementGroup: false`); NIC PUT synchronous, NIC
   DELETE 200; VM re-PUT 200 without operation headers; fixed `Retry-After` poll hints (10 on the
   answer that starts a Compute operation, 30 on its polls, 3 for Network, 15 for Resources).
3. **Refusals Azure does not make**: public Standard LB pools count as outbound access; the real SKU
   catalog (Standard_DS1_v2, Basic_A0, Standard_E2bds_v5 ...); `$expand=instanceView` without
   `$filter`; default orchestration mode Uniform; FD 3 in one zone (`flex-fd3-one-zone`).
4. **Refusals Azure makes**: zoneBalance of any value below two zones, a first profile without
   `osDisk.osType`, a blob-based disk into a set.
5. **Error texts**: Compute and Network 412s, the set-with-VMs delete wording; a failed set
   operation names the VM that failed as `error.target` (`flex-create-failed-operation-target`).
6. **Resource SKUs**: real data for 56 regions (`emulator/catalog`, `scripts/build_sku_catalog.py`).
7. **Uniform instances** (`compute/models/uniform.py`): a Uniform set of capacity N holds instances
   `0`..`N-1`; the VMSS-VM GET, list, instanceView and DELETE answer as recorded (`vmssvm-*`).

Left: nothing at api-versions 2023 or later (strict xfails below, if any, each with why).

## Claims of issue 12 settled outside single recorded exchanges

- *VM list page size 50*: Azure/azure-sdk-for-go#21291, Azure/azure-sdk-for-java#36506,
  Azure/azure-sdk-for-node#4769 (`core/_wire.py` `PAGE_SIZE`); tested in tests/emulator.
- *429 hints*: every 429 carries `Retry-After` (azure-core retries a POST only then), plus
  `retry-after-ms` on a scaled clock (tests/emulator/test_server_throttle.py).
- *Eventual consistency after a 202*: the realism knobs (`Emulator(realism=...)`), on by default ("azure");
  tests/emulator/compute/test_realism.py.
- *performMaintenance*: no recording or example found; not covered.
"""


def replay(cases: list[dict[str, Any]]) -> dict[str, Outcome]:
    from flexvmss.emulator import Emulator

    results: dict[str, Outcome] = {}
    with Emulator(manual_clock=True, realism="off") as emu:
        arm = Arm(emu)
        try:
            for case in cases:
                try:
                    results[case["id"]] = run_case(arm, case)
                except AssertionError as exc:  # a precondition or LRO header the emulator refused
                    out = Outcome()
                    out.problems.append(f"setup/follow-up: {exc}")
                    results[case["id"]] = out
        finally:
            arm.close()
    return results


def reason(outcome: Outcome) -> str:
    """The xfail reason: the divergences, most telling first, cut to a readable length."""
    problems = sorted(outcome.problems, key=_rank)
    text = "; ".join(problems)
    if len(text) > MAX_REASON:
        text = text[: MAX_REASON - 1].rsplit(";", 1)[0] + f"; ... ({len(problems)} divergences)"
    return text


def _rank(problem: str) -> int:
    for i, prefix in enumerate(("setup", "status", "error", "header", "value", "list", "type", "key")):
        if problem.startswith(prefix):
            return i
    return 99


def mark_xfails(cases: list[dict[str, Any]], results: dict[str, Outcome]) -> None:
    by_file: dict[str, dict[str, Any]] = {}
    for path in sorted(CASES_DIR.glob("*.json")):
        by_file[path.name] = json.loads(path.read_text(encoding="utf-8"))
    for doc in by_file.values():
        for case in doc["cases"]:
            outcome = results[case["id"]]
            if outcome.problems:
                case["xfail"] = reason(outcome)
                case.setdefault("fix", "TODO: suggested fix")
            else:
                case.pop("xfail", None)
    for name, doc in by_file.items():
        (CASES_DIR / name).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def render(cases: list[dict[str, Any]], results: dict[str, Outcome]) -> str:
    failing = [c for c in cases if results[c["id"]].problems]
    passing = [c for c in cases if not results[c["id"]].problems]
    lines = [
        "# Emulator divergences from real Azure",
        "",
        "Generated by `scripts/conformance/report.py` from `tests/conformance/cases/*.json` "
        "(do not edit by hand; edit a case's `fix` or `left` and re-run). Each failing case is a strict "
        "xfail in `tests/conformance/test_conformance.py` whose reason is the divergence listed here.",
        "",
        f"**{len(cases)} cases: {len(passing)} match Azure, {len(failing)} diverge.**",
        "",
        "| area | cases | match | diverge | strong | medium | weak |",
        "|---|---|---|---|---|---|---|",
    ]
    by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in cases:
        by_area[case["area"]].append(case)
    for area, group in sorted(by_area.items()):
        strengths = Counter(c["evidence"]["strength"] for c in group)
        bad = sum(1 for c in group if results[c["id"]].problems)
        lines.append(
            f"| {area} | {len(group)} | {len(group) - bad} | {bad} | {strengths['strong']} | "
            f"{strengths['medium']} | {strengths['weak']} |"
        )
    sources = Counter(c["evidence"]["repo"] for c in cases)
    lines += ["", "Sources: " + ", ".join(f"{repo} ({n})" for repo, n in sources.most_common()) + ".", ""]
    lines += [PRIORITIES, "## Divergences", ""]
    for case in failing:
        ev = case["evidence"]
        lines += [
            f"### `{case['id']}` — {case['title']}",
            "",
            f"- **Azure** ({ev['strength']} evidence; {ev['kind']} `{ev['repo']}` `{ev['path']}` "
            f"@ `{ev['commit']}`, "
            f"recorded {ev['recorded']}, api-version {ev['api_version']}"
            + (f", interaction {ev['interaction']}" if "interaction" in ev else "")
            + f"): {_azure_summary(case)}",
            "- **Emulator**:",
        ]
        lines += [f"  - {p}" for p in sorted(results[case["id"]].problems, key=_rank)]
        lines += [f"- **Suggested fix**: {case.get('fix', 'TODO')}"]
        if case.get("left"):
            lines += [f"- **Left as it is because**: {case['left']}"]
        lines += [""]
    lines += ["## Matching cases", ""]
    for case in passing:
        extras = results[case["id"]].allowed_extras
        note = (
            f" (emulator adds, declared at today's api-version: {', '.join(extras[:8])}"
            + (", ..." if len(extras) > 8 else "")
            + ")"
            if extras
            else ""
        )
        lines.append(f"- `{case['id']}` [{case['evidence']['strength']}]{note}")
    return "\n".join(lines) + "\n"


def _azure_summary(case: dict[str, Any]) -> str:
    exp = case["expect"]
    bits = []
    if exp.get("status") is not None:
        bits.append(f"status {exp['status']}")
    present = exp.get("headers", {}).get("present")
    if present:
        bits.append("headers " + ", ".join(present))
    absent = exp.get("headers", {}).get("absent")
    if absent:
        bits.append("no " + ", ".join(absent))
    if "error" in exp:
        err = exp["error"]
        bits.append(
            f"error {err.get('code', '?')} {err.get('message', '')!r}"
            + (f" target {err['target']!r}" if "target" in err else "")
        )
    for key, value in exp.get("values", {}).items():
        bits.append(f"{key}={value!r}")
    if "shape" in exp:
        bits.append("body shape as recorded")
    return "; ".join(bits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--mark-xfails", action="store_true", help="write each divergence into its case's xfail"
    )
    parser.add_argument("--out", type=Path, default=CONF / "DIVERGENCES.md")
    parser.add_argument("--only", help="replay one case id and print its outcome")
    args = parser.parse_args(argv)
    cases = load_cases()
    if args.only:
        cases = [c for c in cases if c["id"] == args.only]
        result = replay(cases)[args.only]
        print("\n".join(result.problems) or "matches Azure")
        print("allowed extras:", result.allowed_extras)
        return 0
    results = replay(cases)
    if args.mark_xfails:
        mark_xfails(cases, results)
        cases = load_cases()
    args.out.write_text(render(cases, results), encoding="utf-8")
    bad = sum(1 for r in results.values() if r.problems)
    print(f"{len(cases)} cases, {len(cases) - bad} match, {bad} diverge -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
