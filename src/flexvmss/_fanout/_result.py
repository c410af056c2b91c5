"""What a batch did: each VM's outcome, and the batch's cost.

:class:`BatchResult` is what every per-VM operation returns (the fan-out's answer, and the
teardown's); :class:`VmResult` is one VM's line of it; :class:`BatchFailedError` is what
:meth:`BatchResult.raise_for_failures` raises.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import overload

from flexvmss._errors import FlexError

__all__ = [
    "BatchFailedError",
    "BatchResult",
    "Outcome",
    "VmResult",
    "batch_succeeded",
    "merge_results",
]


class Outcome(str, enum.Enum):
    """How one VM's operation ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_STARTED = "not_started"
    CANCELLED = "cancelled"


class _VmsThatEnded:
    """A :class:`BatchResult` attribute: :meth:`BatchResult.ended` for one outcome."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.__doc__ = f"The VMs whose operation ended {outcome.value.replace('_', ' ')}."

    @overload
    def __get__(self, result: None, owner: type[BatchResult]) -> _VmsThatEnded: ...

    @overload
    def __get__(self, result: BatchResult, owner: type[BatchResult]) -> list[str]: ...

    def __get__(self, result: BatchResult | None, owner: type[BatchResult]) -> list[str] | _VmsThatEnded:
        return self if result is None else result.ended(self.outcome)


@dataclass
class VmResult:
    """One VM's outcome. ``started_at``/``finished_at`` are seconds since the batch started
    (None when it never started/finished); ``attempts`` counts issued requests (re-issues of
    retryable failures included); ``detail`` is a short human note. ``backend`` names what
    ran the VM's operation: ``"per_vm"`` (flexvmss's own request per VM) or ``"scheduled"``
    (Azure's ScheduledActions); ``fallback_reason`` says why a VM ran per VM when the
    ``auto`` backend first chose ScheduledActions for it (its refusal code, or why the
    service was not used), empty otherwise."""

    name: str
    outcome: Outcome | None = None
    error: FlexError | None = None
    started_at: float | None = None
    finished_at: float | None = None
    attempts: int = 0
    detail: str = ""
    backend: str = "per_vm"
    fallback_reason: str = ""

    def conclude(
        self, outcome: Outcome, *, error: FlexError | None = None, detail: str = "", at: float
    ) -> bool:
        """Record how the VM ended, ``at`` seconds since the batch started (kept only when it
        had started); False, changing nothing, when an outcome was recorded already."""
        if self.outcome is not None:
            return False
        self.outcome = outcome
        self.error = error
        self.detail = detail or (str(error) if error is not None else "")
        if self.started_at is not None:
            self.finished_at = at
        return True

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@dataclass
class BatchResult:
    """What a batch did, VM by VM, and what it cost.

    ``results`` maps each VM name (in the order given) to its :class:`VmResult`; ``requests``
    counts the requests sent for the batch by class (write, delete, action, read, list, poll);
    ``throttled`` the 429s met; ``waited`` the request-seconds spent waiting on throttling gates
    and pacing (summed over concurrent requests, so it can exceed ``duration``);
    ``duration`` the batch's seconds; ``interrupted`` is None, ``"deadline"`` or ``"cancelled"``.
    """

    operation: str
    results: dict[str, VmResult]
    requests: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    waited: float = 0.0
    duration: float = 0.0
    interrupted: str | None = None

    def ended(self, outcome: Outcome) -> list[str]:
        """The VMs whose operation ended with ``outcome``, in the order the batch was given them."""
        return [name for name, result in self.results.items() if result.outcome is outcome]

    succeeded = _VmsThatEnded(Outcome.SUCCEEDED)
    failed = _VmsThatEnded(Outcome.FAILED)
    skipped = _VmsThatEnded(Outcome.SKIPPED)
    not_started = _VmsThatEnded(Outcome.NOT_STARTED)
    cancelled = _VmsThatEnded(Outcome.CANCELLED)

    @property
    def errors(self) -> dict[str, FlexError]:
        """VM name -> error, for the failed VMs."""
        return {name: r.error for name, r in self.results.items() if r.error is not None}

    @property
    def ok(self) -> bool:
        """True when every VM succeeded or was skipped."""
        return all(r.outcome in (Outcome.SUCCEEDED, Outcome.SKIPPED) for r in self.results.values())

    @property
    def backends(self) -> dict[str, list[str]]:
        """The VMs each backend ran (``"per_vm"``, ``"scheduled"``), in the batch's order."""
        out: dict[str, list[str]] = {}
        for name, result in self.results.items():
            out.setdefault(result.backend, []).append(name)
        return out

    @property
    def fallbacks(self) -> dict[str, str]:
        """VM name -> why it ran per VM after the ``auto`` backend first chose ScheduledActions."""
        return {name: r.fallback_reason for name, r in self.results.items() if r.fallback_reason}

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def raise_for_failures(self) -> None:
        """Raise :class:`BatchFailedError` unless every VM succeeded or was skipped."""
        if not self.ok:
            raise BatchFailedError(self)

    def summary(self) -> str:
        done = outcome_counts(self.results.values())
        text = f"{self.operation}: {done} of {len(self.results)} in {self.duration:.1f} s"
        text += f"; {self.total_requests} requests"
        if self.throttled:
            text += f", {self.throttled} throttled"
        if self.interrupted:
            text += f" (interrupted: {self.interrupted})"
        return text

    def __repr__(self) -> str:
        return f"<BatchResult {self.summary()}>"


def outcome_counts(results: Iterable[VmResult]) -> str:
    """``"8 succeeded, 2 failed"``: how many VMs ended each way, in :class:`Outcome`'s order
    ("no VMs" when none ended)."""
    counts = Counter(r.outcome for r in results if r.outcome is not None)
    text = ", ".join(f"{counts[o]} {o.value.replace('_', ' ')}" for o in Outcome if counts[o])
    return text or "no VMs"


def batch_succeeded(
    operation: str, names: Sequence[str], *, started_at: float, finished_at: float
) -> BatchResult:
    """A BatchResult for VMs that one batch request handled (e.g. VMSS DeleteInstances) and that
    were verified done; ``started_at``/``finished_at`` are readings of the runtime's clock
    (:attr:`flexvmss._runtime.Runtime.clock`)."""
    duration = max(0.0, finished_at - started_at)
    results = {
        name: VmResult(name, Outcome.SUCCEEDED, started_at=0.0, finished_at=duration, attempts=1)
        for name in names
    }
    return BatchResult(operation=operation, results=results, duration=duration)


def merge_results(first: BatchResult, then: BatchResult) -> BatchResult:
    """One BatchResult for two batches run one after the other (a VM in both keeps ``then``'s
    result, shifted by the first batch's duration)."""
    results = dict(first.results)
    for name, result in then.results.items():
        shifted = replace(
            result,
            started_at=None if result.started_at is None else result.started_at + first.duration,
            finished_at=None if result.finished_at is None else result.finished_at + first.duration,
            attempts=result.attempts + (first.results[name].attempts if name in first.results else 0),
        )
        results[name] = shifted
    requests = {
        k: first.requests.get(k, 0) + then.requests.get(k, 0) for k in {*first.requests, *then.requests}
    }
    return BatchResult(
        operation=first.operation,
        results=results,
        requests=requests,
        throttled=first.throttled + then.throttled,
        waited=first.waited + then.waited,
        duration=first.duration + then.duration,
        interrupted=then.interrupted or first.interrupted,
    )


class BatchFailedError(FlexError):
    """Some VMs of a batch did not succeed. ``result`` is the :class:`BatchResult`; ``errors``
    maps each failed VM to its error (Azure's code and message)."""

    default_remedy = "Fix the cause named for each VM and re-run: the operations are idempotent and converge."

    def __init__(self, result: BatchResult) -> None:
        self.result = result
        self.errors = result.errors
        shown = [f"{name}: {short_error(error)}" for name, error in list(self.errors.items())[:5]]
        more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        parts = [f"{len(result.failed)} of {len(result.results)} VMs failed"]
        if result.not_started:
            parts.append(f"{len(result.not_started)} not started")
        if result.cancelled:
            parts.append(f"{len(result.cancelled)} cancelled")
        detail = f": {'; '.join(shown)}{more}" if shown else ""
        super().__init__(f"{result.operation}: {', '.join(parts)}{detail}.")


def short_error(error: FlexError) -> str:
    """``Code: message`` of an error, for one line of a summary or a log."""
    code = getattr(error, "code", None)
    message = getattr(error, "azure_message", None) or error.message
    return f"{code}: {message}" if code else message

