"""The soak's audit of one operation, VM by VM: expected, affected, reported.

Before an operation runs, the set of VMs it should affect is taken from the emulator's own
inventory (:mod:`soak_truth`, never through the library); afterwards every one of them is looked
at, whether the library reported it or not:

* **expected**: the VMs the operation should act on (every member, or the ones it is given);
* **affected**: those the emulator shows a *succeeded* operation of the right kind for, started
  during the step (a delete: the VM is gone; a create: it exists);
* **reported**: those the library's :class:`~flexvmss.BatchResult` names.

Findings (each counts against ``ok``):

* ``not_reported``: expected, absent from the report; ``reported_unexpected``: reported, not
  expected; ``touched_unexpected``: affected, not expected;
* ``false_successes``: reported succeeded (or skipped) while the emulator shows no succeeded
  operation for it, or the VM is not in the operation's target state;
* ``false_failures``: reported failed while every operation the emulator ran for it succeeded and
  the VM is in the target state;
* ``unexplained_failures``: failed with a code no injected fault produces (and no excuse below);
* ``untyped_errors``: a failure that is not a :class:`~flexvmss.FlexError`;
* ``unfinished``: left not started, cancelled or without outcome in a batch without deadline.

Excuses (counted, each with its justification in the JSON, see :data:`EXCUSES`): VMs whose
failure or state the library could not have reported otherwise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from soak_truth import VmTruth

from flexvmss import FlexError

__all__ = ["EXCUSES", "FINDING_KINDS", "OpAudit", "audit_batch"]

#: Error codes the injected faults can surface as: an LRO failure that stays failed after the
#: library's retries, a status fault that outlasted the transient retries.
INJECTED_LRO_CODES = ("RetryableError", "OperationPreempted", "AllocationFailed", "InternalExecutionError")
TRANSIENT_CODES = ("InternalServerError", "ServiceUnavailable", "TooManyRequests")

FINDING_KINDS = (
    "not_reported",
    "reported_unexpected",
    "touched_unexpected",
    "false_successes",
    "false_failures",
    "unexplained_failures",
    "untyped_errors",
    "unfinished",
)

#: Each excuse bucket and why it is not a finding.
EXCUSES: dict[str, str] = {
    "failed_after_dropped_answer": (
        "The VM's first request was served but its answer dropped by the injector; the library "
        "re-sent it and Azure failed the re-sent operation (its own status says Failed). The "
        "library reports the outcome Azure confirmed for the operation it holds; the earlier, "
        "unanswered one it cannot see."
    ),
    "refused_by_state": (
        "Azure refused the action (OperationNotAllowed) because an earlier step's injected failure "
        "left the VM in a state the action is not allowed from (e.g. restart of a stopped VM); "
        "nothing ran, the failure is Azure's answer."
    ),
    "already_off": (
        "Power-off of a VM that an earlier step left deallocated: Azure answers Succeeded and the "
        "VM stays deallocated (the emulator models this as a succeeded vm.powerOff), so "
        "'succeeded' with the VM deallocated is the truth."
    ),
}


@dataclass
class OpAudit:
    """The audit of one operation."""

    operation: str
    target: str | None
    expected: list[str] = field(default_factory=list)
    affected: list[str] = field(default_factory=list)
    reported: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str | None] = field(default_factory=dict)
    findings: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in FINDING_KINDS})
    excused: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in EXCUSES})
    #: Set when the operation never produced a result (raised every attempt, hung).
    never_completed: str | None = None
    attempts_raised: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def ok(self) -> bool:
        return self.never_completed is None and not any(self.findings.values())

    def find(self, kind: str, text: str) -> None:
        self.findings[kind].append(f"{self.operation} {text}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "target_state": self.target,
            "expected": len(self.expected),
            "affected": len(self.affected),
            "reported": len(self.reported),
            "outcomes": dict(sorted(self.outcomes.items())),
            "completed": self.never_completed is None,
            "never_completed": self.never_completed,
            "attempts_raised": self.attempts_raised,
            "false_successes": len(self.findings["false_successes"]),
            "false_failures": len(self.findings["false_failures"]),
            "findings": {k: v for k, v in self.findings.items() if v},
            "excused": {k: v for k, v in self.excused.items() if v},
            "failed": self.failed,
            "summary": self.summary,
            "ok": self.ok,
        }


def audit_batch(
    audit: OpAudit,
    result: Any,
    before: dict[str, VmTruth],
    after: dict[str, VmTruth],
    ops: list[dict[str, Any]],
    kinds: tuple[str, ...],
    dropped: set[str],
) -> None:
    """Compare one BatchResult with what the emulator did. ``before``/``after``: the group's VMs
    around the step; ``ops``: the operations the emulator started during it; ``kinds``: the
    operation kinds that do this operation's work (empty for a delete, whose work is the VM's
    absence); ``dropped``: VMs one of whose requests was served but its answer dropped."""
    target = audit.target
    expected = set(audit.expected)
    by_vm: dict[str, list[dict[str, Any]]] = {}
    for op in ops:
        if op["kind"] in kinds:
            by_vm.setdefault(op["vm"], []).append(op)
    deleting = not kinds
    if deleting:
        affected = {n for n in expected if n not in after}
        touched = {n for n in before if n not in after} - expected
    else:
        affected = {n for n, vm_ops in by_vm.items() if any(o["status"] == "Succeeded" for o in vm_ops)}
        touched = set(by_vm) - expected
    audit.affected = sorted(affected & expected)
    reported = set(result.results)
    audit.reported = sorted(reported)
    audit.summary = result.summary()
    for name in sorted(expected - reported):
        audit.find("not_reported", f"{name}: expected, missing from the library's report")
    for name in sorted(reported - expected):
        audit.find("reported_unexpected", f"{name}: reported, not a VM the operation should touch")
    for name in sorted(touched):
        audit.find("touched_unexpected", f"{name}: the emulator ran {audit.operation} on it, not expected")
    outcomes: Counter[str] = Counter()
    for name in sorted(expected & reported):
        vm_result = result.results[name]
        outcome = vm_result.outcome.value if vm_result.outcome else "none"
        outcomes[outcome] += 1
        vm_after = after.get(name)
        state = "gone" if vm_after is None else vm_after.power
        vm_before = before.get(name)
        state_before = "gone" if vm_before is None else vm_before.power
        vm_ops = by_vm.get(name, [])
        in_target = (deleting and vm_after is None) or (
            not deleting and (target is None or state == target) and vm_after is not None
        )
        done = name in affected
        statuses = ",".join(o["status"] for o in vm_ops) or "none"
        if outcome in ("succeeded", "skipped"):
            if outcome == "succeeded" and done and in_target:
                continue
            if outcome == "skipped" and in_target and not done:
                continue
            if (
                outcome == "succeeded"
                and done
                and target == "stopped"
                and state == state_before == "deallocated"
            ):
                audit.excused["already_off"].append(f"{audit.operation} {name}")
                continue
            audit.find(
                "false_successes",
                f"{name}: reported {outcome}, emulator ran {statuses}, the VM is {state}",
            )
        elif outcome == "failed":
            error = vm_result.error
            code = getattr(error, "code", None)
            audit.failed[name] = code
            if not isinstance(error, FlexError):
                audit.find("untyped_errors", f"{name}: {type(error).__name__}: {error!r}")
                continue
            last_failed = bool(vm_ops) and vm_ops[-1]["status"] != "Succeeded"
            if code == "PreconditionFailed" and name in dropped and vm_after is not None:
                # a create re-sent after its dropped answer meets its own VM (If-None-Match: *);
                # test_retried_writes.py holds the reproduction
                audit.excused["failed_after_dropped_answer"].append(
                    f"{audit.operation} {name}: {code}, the VM is {state}"
                )
                continue
            if done and in_target:
                if last_failed and name in dropped:
                    audit.excused["failed_after_dropped_answer"].append(
                        f"{audit.operation} {name}: {code}, emulator ran {statuses}, the VM is {state}"
                    )
                else:
                    audit.find(
                        "false_failures",
                        f"{name}: reported failed ({code}), the emulator ran {statuses}, the VM is {state}",
                    )
                continue
            if code == "OperationNotAllowed" and not vm_ops and state_before not in ("running", "gone"):
                audit.excused["refused_by_state"].append(
                    f"{audit.operation} {name}: the VM was {state_before}"
                )
                continue
            kind = type(error).__name__
            if kind != "TransportError" and code not in (*INJECTED_LRO_CODES, *TRANSIENT_CODES):
                audit.find(
                    "unexplained_failures", f"{name}: failed with {kind} {code!r}, not an injected fault"
                )
        else:
            audit.find("unfinished", f"{name}: left {outcome} in a batch without deadline")
    audit.outcomes = dict(outcomes)
