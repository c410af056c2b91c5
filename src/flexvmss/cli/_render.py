"""How the command line shows flexvmss's values: findings, VMs, batch results and errors.

Everything here reads the library's public value types by attribute and turns them into
rows (for rich tables) or plain dicts (for ``--output json``); nothing talks to Azure.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flexvmss import BatchResult
    from flexvmss.cli._terminal import Terminal

__all__ = [
    "FINDING_COLUMNS",
    "VM_COLUMNS",
    "batch_to_dict",
    "failure_rows",
    "finding_rows",
    "findings_to_dicts",
    "plain",
    "render_flex_error",
    "vm_rows",
    "vms_to_dicts",
]

VM_COLUMNS = ("name", "power state", "provisioning state", "zone", "fault domain", "size", "priority")
#: The message already ends with the fix ("... Fix: ..."), so tables show it once.
FINDING_COLUMNS = ("rule", "severity", "field", "value", "message")


def plain(value: Any) -> Any:
    """A JSON-friendly copy of ``value`` (dataclasses, enums, mappings, sequences)."""
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# -- VMs ----------------------------------------------------------------------------


def vm_rows(vms: Iterable[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            vm.name,
            vm.power_state,
            vm.provisioning_state,
            vm.zone,
            vm.platform_fault_domain,
            vm.size,
            vm.priority,
        )
        for vm in vms
    ]


def vms_to_dicts(vms: Iterable[Any]) -> list[dict[str, Any]]:
    keys = ("name", "power_state", "provisioning_state", "zone", "platform_fault_domain", "size", "priority")
    out = []
    for vm in vms:
        row = {k: plain(getattr(vm, k, None)) for k in keys}
        row["id"] = getattr(vm, "id", None)
        row["tags"] = plain(getattr(vm, "tags", None) or {})
        out.append(row)
    return out


# -- findings -----------------------------------------------------------------------


def finding_rows(findings: Iterable[Any]) -> list[tuple[Any, ...]]:
    return [(f.rule_id, f.severity, f.field, _short(f.value), f.message) for f in findings]


def findings_to_dicts(findings: Iterable[Any]) -> list[dict[str, Any]]:
    keys = ("rule_id", "severity", "field", "value", "message", "fix", "source")
    return [{k: plain(getattr(f, k, None)) for k in keys} for f in findings]


def _short(value: Any, limit: int = 40) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- batch results -------------------------------------------------------------------


def failure_rows(batch: BatchResult) -> list[tuple[Any, ...]]:
    """One row per VM that failed, never started or was cancelled: name, outcome, Azure's
    code and message."""
    from flexvmss import Outcome

    rows = []
    for r in batch.results.values():
        if r.outcome in (Outcome.SUCCEEDED, Outcome.SKIPPED):
            continue
        outcome = r.outcome.value if r.outcome is not None else "unknown"
        rows.append((r.name, outcome, getattr(r.error, "code", None), _azure_message(r.error) or r.detail))
    return rows


def _azure_message(error: Any) -> str | None:
    if error is None:
        return None
    return getattr(error, "azure_message", None) or getattr(error, "message", None) or str(error)


def batch_to_dict(batch: BatchResult, *, operation: str) -> dict[str, Any]:
    """The batch result as JSON: names by outcome, per-VM errors, requests, 429s, duration."""
    return {
        "operation": operation,
        "ok": batch.ok,
        "succeeded": batch.succeeded,
        "failed": batch.failed,
        "skipped": batch.skipped,
        "not_started": batch.not_started,
        "cancelled": batch.cancelled,
        "requests": dict(batch.requests),
        "throttled": batch.throttled,
        "duration": round(batch.duration, 3),
        "interrupted": batch.interrupted,
        "vms": [
            {
                "name": r.name,
                "outcome": r.outcome.value if r.outcome is not None else None,
                "attempts": r.attempts,
                "backend": r.backend,
                "fallback_reason": r.fallback_reason or None,
                "error": None
                if r.error is None
                else {"code": getattr(r.error, "code", None), "message": _azure_message(r.error)},
            }
            for r in batch.results.values()
        ],
    }


# -- errors -------------------------------------------------------------------------


def render_flex_error(term: Terminal, exc: BaseException) -> None:
    """One red message (for Azure errors it holds Azure's code, message and correlation id)
    and the fix on its own line; for a refused spec, the findings table instead of the
    message."""
    findings: Sequence[Any] = getattr(exc, "findings", None) or ()
    if findings:
        errors = sum(1 for f in findings if f.severity == "error")
        text = f"the spec breaks {errors} Flex rule(s); nothing was created."
        term.display_error(f"Error: {text}")
        term.display_diagnostic_table(term.table(FINDING_COLUMNS, finding_rows(findings), title="Findings"))
    else:
        text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        term.display_error(f"Error: {text}")
    remedy = getattr(exc, "remedy", None)
    if remedy and remedy not in text:
        term.display_warning(f"Fix: {remedy}")
