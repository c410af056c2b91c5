"""Long-running operations on the virtual clock: started by handlers, completed lazily,
reported in ARM's operation-status shapes."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ._clock import Clock
from ._errors import ArmError
from ._http import Request

__all__ = ["DEFAULT_DURATION", "JITTER", "POLL_HINTS", "Operation", "OperationManager", "OutcomeHook"]


#: Emulated seconds of an operation kind no provider gave a duration for.
DEFAULT_DURATION = 10.0
#: Relative jitter applied to every duration (+/-).
JITTER = 0.2

#: The wait (emulated seconds) Azure asks for before the next poll, per provider: on the answer
#: that starts an operation, and on each poll while it runs. Azure sends fixed hints, not the
#: time left:
#:
#: * Compute: ``Retry-After: 10`` on the 201/202 of a VM PUT and DELETE and of a scale set
#:   PUT and DELETE, ``30`` on an InProgress poll (Azure/azure-sdk-assets
#:   ``python/sdk/compute/azure-mgmt-compute`` recordings, 2023-12, api 2023-09-01;
#:   research/wire-truth.md 2.2-2.3); polls of a Flex set create 30 s apart (Azure/azure-powershell
#:   ``TestVirtualMachineScaleSetFlexAnyPFDC.json``, 2023-08-31, api 2023-07-01).
#: * Network: ``Retry-After: 3`` on network PUTs (same recordings, wire-truth.md 2.3); polls
#:   inferred the same.
#: * Resources: ``Retry-After: 15`` on a resource group DELETE and on each 202 of its
#:   ``operationresults`` (TestVirtualMachineScaleSetFlexAnyPFDC.json).
POLL_HINTS: dict[str, tuple[float, float]] = {
    "Microsoft.Compute": (10.0, 30.0),
    "Microsoft.Network": (3.0, 3.0),
    "Microsoft.Resources": (15.0, 15.0),
}


@dataclass
class Operation:
    """A long-running operation. It completes when the clock passes ``done_at``."""

    id: str
    provider: str  # "Microsoft.Compute" | "Microsoft.Network" | "Microsoft.Resources"
    location: str
    subscription_id: str
    kind: str
    resource_id: str
    start: float
    done_at: float
    on_succeed: Callable[[], None] | None = None
    on_fail: Callable[[dict[str, Any]], None] | None = None
    status: str = "InProgress"  # InProgress | Succeeded | Failed | Canceled
    #: The outcome decided at start: ("Succeeded", None) or ("Failed"|"Canceled", error dict).
    planned: tuple[str, dict[str, Any] | None] = ("Succeeded", None)
    error: dict[str, Any] | None = None
    end: float | None = None
    #: The ``error.target`` a failure reports when its error names none (Compute names the
    #: member VM that failed a scale set operation: see :meth:`OperationManager.start`).
    target: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status != "InProgress"


#: Decides an operation's outcome at start: returns None to succeed, or
#: (status, error) with status "Failed" or "Canceled". Set by the fault injector.
OutcomeHook = Callable[[Request | None, str], "tuple[str, dict[str, Any]] | None"]


class OperationManager:
    """Starts, completes and reports long-running operations on the virtual clock.

    Completion is lazy: :meth:`tick` (called by the server before every request and by
    the admin API) runs the callbacks of every operation whose ``done_at`` has passed, in
    ``done_at`` order, so the state a client observes is always consistent with time.
    """

    def __init__(self, clock: Clock, rng: random.Random, base_url: str = "https://localhost") -> None:
        self.clock = clock
        self.rng = rng
        self.base_url = base_url.rstrip("/")
        self.ops: dict[str, Operation] = {}
        self._pending: list[Operation] = []
        self.outcome_hook: OutcomeHook | None = None
        #: Emulated seconds (before jitter) per operation kind: the mounted providers' tables.
        self.durations: dict[str, float] = {}

    def duration(self, kind: str) -> float:
        base = self.durations.get(kind, DEFAULT_DURATION)
        return base * (1.0 + self.rng.uniform(-JITTER, JITTER))

    def start(
        self,
        request: Request | None,
        *,
        provider: str,
        location: str,
        subscription_id: str,
        kind: str,
        resource_id: str,
        on_succeed: Callable[[], None] | None = None,
        on_fail: Callable[[dict[str, Any]], None] | None = None,
        duration: float | None = None,
        fail_with: tuple[str, dict[str, Any]] | None = None,
        target: str | None = None,
    ) -> Operation:
        """Begin an operation. ``on_succeed`` runs when it completes successfully; ``on_fail``
        gets the error dict when it ends Failed or Canceled (planned by ``fail_with`` or by
        the fault injector's :attr:`outcome_hook`). ``target`` is the ``error.target`` a
        failure carries when its error names none."""
        now = self.clock.now()
        dur = self.duration(kind) if duration is None else duration
        op = Operation(
            id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            provider=provider,
            location=location.replace(" ", "").lower(),
            subscription_id=subscription_id,
            kind=kind,
            resource_id=resource_id,
            start=now,
            done_at=now + dur,
            on_succeed=on_succeed,
            on_fail=on_fail,
            target=target,
        )
        planned = fail_with
        if planned is None and self.outcome_hook is not None:
            planned = self.outcome_hook(request, kind)
        if planned is not None:
            op.planned = planned
        self.ops[op.id] = op
        self._pending.append(op)
        if dur <= 0:
            self.tick()
        return op

    def tick(self) -> int:
        """Complete every due operation; returns how many completed."""
        now = self.clock.now()
        due = [op for op in self._pending if op.done_at <= now]
        if not due:
            return 0
        due.sort(key=lambda o: o.done_at)
        done_ids = {op.id for op in due}
        self._pending = [op for op in self._pending if op.id not in done_ids]
        for op in due:
            self._finish(op)
        return len(due)

    def _finish(self, op: Operation) -> None:
        status, error = op.planned
        op.end = op.done_at
        if status == "Succeeded":
            try:
                if op.on_succeed:
                    op.on_succeed()
                op.status = "Succeeded"
            except ArmError as exc:  # the state changed under the operation
                op.status, op.error = "Failed", exc.error_body()
                if op.on_fail:
                    op.on_fail(op.error)
        else:
            op.status, op.error = (
                status,
                dict(error or {"code": "InternalExecutionError", "message": "Failed."}),
            )
            if op.target and "target" not in op.error:
                op.error["target"] = op.target
            if op.on_fail:
                op.on_fail(op.error)

    def complete_all(self) -> None:
        """Finish every pending operation now (tests, teardown)."""
        for op in sorted(self._pending, key=lambda o: o.done_at):
            self._finish(op)
        self._pending = []

    def get(self, op_id: str) -> Operation | None:
        return self.ops.get(op_id)

    def in_flight(self) -> int:
        return len(self._pending)

    def pending(self) -> Iterator[Operation]:
        return iter(list(self._pending))

    # wire shapes ---------------------------------------------------------------
    def status_url(self, op: Operation, api_version: str | None, *, monitor: bool = False) -> str:
        """The absolute URL of the operation status resource, as ARM builds it."""
        api = api_version or "2026-04-01"
        base = (
            f"{self.base_url}/subscriptions/{op.subscription_id}/providers/{op.provider}"
            f"/locations/{op.location}/operations/{op.id}"
        )
        q = f"?p={op.id}&api-version={api}" if op.provider == "Microsoft.Compute" else f"?api-version={api}"
        if monitor:
            q += "&monitor=true"
        return base + q

    def reset(self) -> None:
        """Forget every operation, finished or not (the emulator's reset)."""
        self.ops = {}
        self._pending = []

    def drop_pending(self) -> int:
        """End every pending operation ``Canceled`` without running its callbacks (after a
        state restore, whose state they no longer belong to); returns how many."""
        now = self.clock.now()
        for op in self._pending:
            op.status, op.end = "Canceled", now
            op.error = {"code": "OperationCanceled", "message": "The emulator's state was restored."}
        n = len(self._pending)
        self._pending = []
        return n

    def accepted_headers(self, op: Operation, request: Request, *, location: bool) -> dict[str, str]:
        """Headers of a 201/202 that starts ``op``: ``Azure-AsyncOperation`` (absolute),
        ``Location`` (``monitor=true``) when ``location`` is set, and the retry hint."""
        headers = {"Azure-AsyncOperation": self.status_url(op, request.api_version)}
        if location:
            headers["Location"] = self.status_url(op, request.api_version, monitor=True)
        headers["Azure-AsyncNotification"] = "Enabled"
        headers.update(self.clock.retry_after_headers(self.poll_hint(op, initial=True)))
        return headers

    def poll_hint(self, op: Operation, *, initial: bool = False) -> float:
        """Emulated seconds a client should wait before its next poll of ``op``: the fixed
        hint of :data:`POLL_HINTS` for its provider (``initial``: on the answer that started
        it), never the time left."""
        first, later = POLL_HINTS.get(op.provider, (DEFAULT_DURATION, DEFAULT_DURATION))
        return first if initial else later

    def status_body(self, op: Operation) -> dict[str, Any]:
        """The operation status body: Compute sends ``{startTime, endTime?, status, name}``
        (plus ``error`` when Failed/Canceled); Network sends ``{status}`` (plus ``error``)."""
        if op.provider == "Microsoft.Compute":
            body: dict[str, Any] = {"startTime": self.clock.iso(op.start)}
            if op.terminal and op.end is not None:
                body["endTime"] = self.clock.iso(op.end)
            body["status"] = op.status
            body["name"] = op.id
        else:
            body = {"status": op.status}
        if op.error is not None and op.status in ("Failed", "Canceled"):
            body["error"] = op.error
        return body
