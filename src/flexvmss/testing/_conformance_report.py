"""The conformance report as Markdown: short enough to paste into an issue, complete enough to
act on (every difference with its request, step and both sides; what was not compared and why).
The JSON form (:meth:`ConformanceReport.to_json`) holds every request, differing or not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ._conformance import ConformanceReport, ExchangeResult

__all__ = ["COMPARED", "IGNORED", "REPORT_FORMAT", "markdown"]

#: The ``format`` field of the JSON report.
REPORT_FORMAT = "flexvmss-conformance-report/1"

#: What the comparison looks at, and what it leaves alone (both in the report).
COMPARED = (
    "status code",
    "presence of Azure-AsyncOperation, Location, Operation-Location and a poll hint (Retry-After)",
    "body shape: recursive key sets and JSON types",
    "error code (error.code)",
    "the status a finished operation reports",
)
IGNORED = (
    "values: ids, names, times, GUIDs, ETags, addresses",
    "error texts (shown beside a differing code)",
    "tag contents",
    "operation timing (how many polls an operation took)",
)

#: Meta fields shown in the report's head, in this order, with their labels.
_META = (
    ("recorded", "recorded"),
    ("location", "location"),
    ("vm_size", "VM size"),
    ("vms", "VMs"),
    ("api_versions", "API versions"),
    ("flexvmss", "flexvmss"),
    ("endpoint", "recorded against"),
    ("outcome", "run outcome"),
)


def _cell(value: Any) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _request(result: ExchangeResult) -> str:
    query = "&".join(f"{k}={v}" for k, v in result.query.items())
    return f"`{result.method} {result.path}{'?' + query if query else ''}`"


def markdown(report: ConformanceReport) -> str:
    """The report as Markdown (see the module docstring)."""
    summary = report.summary()
    lines = [
        "# flexvmss conformance report",
        "",
        "Azure's answers, recorded by `flexvmss conformance`, compared with the answers of the flexvmss "
        "emulator to the same requests (replayed in order on a fresh emulator).",
        "",
    ]
    head = [(label, report.meta[key]) for key, label in _META if report.meta.get(key) not in (None, "")]
    head += [
        ("requests recorded", summary["requests"]),
        ("compared", summary["compared"]),
        ("not compared", summary["not_compared"]),
        ("differences", f"{summary['differences']} in {summary['requests_with_differences']} request(s)"),
    ]
    lines += _table(("", ""), [(k, v) for k, v in head])
    lines += [
        "",
        "Compared: " + "; ".join(COMPARED) + ".",
        "Ignored: " + "; ".join(IGNORED) + ".",
        "",
        "## By step",
        "",
    ]
    lines += _table(
        ("step", "requests", "compared", "differences"),
        [(r["step"], r["requests"], r["compared"], r["differences"]) for r in report.by_step()],
    )
    lines += ["", "## Differences", ""]
    differing = [r for r in report.results if r.differences]
    if not differing:
        lines.append("None: the emulator answered every compared request as Azure did.")
    for result in differing:
        lines += [
            f"### #{result.index} {_request(result)}",
            "",
            f"Step `{result.step or '-'}`; Azure answered {result.azure_status}, "
            f"the emulator {result.emulator_status}.",
            "",
        ]
        lines += _table(
            ("what", "where", "Azure", "emulator", "detail"),
            [(d.kind, f"`{d.where}`", d.azure, d.emulator, d.detail) for d in result.differences],
        )
        lines.append("")
    noted = [(r, note) for r in report.results for note in r.notes]
    if noted:
        lines += ["## Notes", ""]
        rows = [(r.index, r.step, _request(r), note) for r, note in noted]
        lines += _table(("#", "step", "request", "note"), rows)
        lines.append("")
    skipped = [r for r in report.results if r.skipped]
    if skipped:
        lines += ["## Not compared", ""]
        lines += _table(
            ("#", "step", "request", "why"), [(r.index, r.step, _request(r), r.skipped) for r in skipped]
        )
        lines.append("")
    lines += [
        "---",
        f"Recording: `{report.recording}` (scrubbed by the flexvmss cassette kit). "
        "The JSON report lists every request, differing or not.",
        "",
    ]
    return "\n".join(lines)
