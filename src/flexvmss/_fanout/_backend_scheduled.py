"""The fan-out's ``scheduled`` room: one power action on many VMs through Azure's
ScheduledActions (``Microsoft.ComputeSchedule``), each outcome what its operation says.

::

    backend = ScheduledBackend(clients, options=ScheduledOptions(), deadline=900)
    run = await backend.run("deallocate", [ScheduledVm(name, vm_id, "eastus"), ...])
    run.result          # BatchResult of the VMs ScheduledActions accepted
    run.refused         # VMs it refused one by one: name -> (code, details)
    run.unavailable     # VMs whose whole request it refused (not registered, no region...)

* **Send.** VMs are grouped by region (a request names one) and sent 100 at a time
  (:data:`~flexvmss._fanout._scheduled.MAX_VMS_PER_REQUEST`) through ``virtualMachinesExecute<
  Action>``; the answer gives one operation id per accepted VM, or a per-VM refusal.
* **Watch.** ``virtualMachinesGetOperationStatus`` reads up to 100 operations per request. The
  first read waits 30 s (Microsoft's samples wait that long before their first poll), later
  ones 15 s (*inferred*). A round reads the pending operations oldest first and stops at the
  first read that finds most of them still running, so a 1,000-VM batch costs about ten requests to
  send and about one read per 100 VMs confirmed, plus one per round.
* **Outcome.** A VM succeeded only when its operation says ``Succeeded``; ``Failed`` (and a
  ``Cancelled`` nobody here asked for) is a failure carrying the operation's error code.
  ``Blocked`` keeps waiting: the service may still run it (samples).
* **Deadline and cancellation.** At the deadline (unless a checkpoint records the operations
  for a later run: then they run on), or on :meth:`ScheduledBackend.cancel` or task
  cancellation (Ctrl-C), the pending operations are cancelled
  (``virtualMachinesCancelOperations``); an operation Azure confirms ``Cancelled`` never ran
  (``CANCELLED``), one already ``Executing`` cannot be stopped and is ``FAILED`` with
  :class:`~flexvmss.DeadlineExceededError` at a deadline (it may still complete in Azure), as
  the per-VM engine reports its unconfirmed VMs.
* **Checkpoint.** With a :class:`~flexvmss._fanout._checkpoint.Checkpoint`, each accepted
  operation id is written as soon as Azure answers, and each outcome once confirmed; a run
  over the same checkpoint watches the recorded operations instead of sending them again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flexvmss._errors import AzureOperationError, DeadlineExceededError, FlexError, from_azure_error
from flexvmss._fanout import _scheduled as sa
from flexvmss._fanout._checkpoint import Checkpoint
from flexvmss._fanout._result import BatchResult, Outcome, VmResult
from flexvmss._fanout._stop import StopSwitch
from flexvmss._pipeline import deadline_scope
from flexvmss._progress import EventKind, ProgressEvent, RequestTally, current_tally
from flexvmss._runtime import DEFAULT_RUNTIME, Runtime

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._arm import ArmClients

__all__ = ["FIRST_POLL", "POLL_INTERVAL", "ScheduledBackend", "ScheduledRun", "ScheduledVm"]

_LOGGER = logging.getLogger("flexvmss.fanout")

#: Azure seconds before the first status read: Microsoft's samples wait 30 s after submitting
#: before they poll (Azure/azure-computeschedule-dotnet-samples, ``ComputescheduleOperations.cs``).
FIRST_POLL = 30.0
#: Azure seconds between later status reads. Inferred: not documented; a VM power action takes
#: tens of seconds, so 15 s confirms within a quarter of one while keeping reads few.
POLL_INTERVAL = 15.0
#: Azure seconds the cancel requests of an interrupted batch may take at most (inferred: long
#: enough for a few answers, short enough that Ctrl-C still feels immediate).
CANCEL_BUDGET = 30.0


@dataclass(frozen=True)
class ScheduledVm:
    """A VM to send: its name (the result's key), ARM resource id and region."""

    name: str
    resource_id: str
    location: str


@dataclass
class ScheduledRun:
    """What :meth:`ScheduledBackend.run` did: ``result`` holds the VMs ScheduledActions took
    (and those a checkpoint already had), ``refused`` the VMs it refused one by one (name ->
    (code, details)), ``unavailable`` the VMs of requests it refused whole (name -> error: the
    provider not registered, the region without it, the caller without rights)."""

    result: BatchResult
    refused: dict[str, tuple[str, str]] = field(default_factory=dict)
    unavailable: dict[str, AzureOperationError] = field(default_factory=dict)


@dataclass
class _Op:
    name: str
    location: str
    #: The operation was seen ``Executing`` (cancel no longer stops it).
    executing: bool = False


class ScheduledBackend(StopSwitch):
    """Runs one action over many VMs through ScheduledActions (see the module docstring).

    ``options`` are the execution parameters (optimization preference, retry policy);
    ``deadline`` seconds bound the call (None: none); ``first_poll``/``poll_interval`` are
    Azure seconds (scaled by the clients' ``ThrottleConfig.time_scale``, as the engine's own
    intervals); ``checkpoint`` records and resumes progress.
    """

    def __init__(
        self,
        clients: ArmClients,
        *,
        options: sa.ScheduledOptions | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
        runtime: Runtime | None = None,
        first_poll: float | None = None,
        poll_interval: float | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        self.clients = clients
        self.options = options or sa.ScheduledOptions()
        self.deadline = None if deadline is None or math.isinf(deadline) else deadline
        self.on_event = on_event
        runtime = runtime or getattr(getattr(clients, "settings", None), "runtime", None) or DEFAULT_RUNTIME
        self._clock = runtime.clock
        self._sleep = runtime.sleep
        settings = getattr(clients, "settings", None)
        scale = settings.throttle.time_scale if settings is not None else 1.0
        self.first_poll = FIRST_POLL * scale if first_poll is None else first_poll
        self.poll_interval = POLL_INTERVAL * scale if poll_interval is None else poll_interval
        self._cancel_budget = CANCEL_BUDGET * scale
        self.checkpoint = checkpoint
        self.last_result: BatchResult | None = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_reason: str | None = None
        self._results: dict[str, VmResult] = {}
        self._pending: dict[str, _Op] = {}
        self._op_of: dict[str, str] = {}  # VM name -> its operation id in _pending
        self._done = 0
        self._started = 0.0
        self._deadline_at: float | None = None
        self._action = ""

    # ----------------------------------------------------------------- control
    async def _nap(self, seconds: float) -> None:
        """Sleep ``seconds``, never past the deadline, less when the batch stops meanwhile."""
        stop = self._stop
        if stop is None or self._stopping():
            return
        if self._deadline_at is not None:
            seconds = min(seconds, max(0.0, self._deadline_at - self._clock()))
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeping, stopping):
                task.cancel()
        self._stopping()

    # ----------------------------------------------------------------- events
    def _emit(self, kind: EventKind, vm: str | None, detail: str) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(ProgressEvent(kind, vm, detail, self._done, len(self._results)))
        except Exception:
            _LOGGER.exception("on_event callback failed (ignored)")

    def _track(self, op_id: str, op: _Op) -> None:
        self._pending[op_id] = op
        self._op_of[op.name] = op_id

    def _finish(
        self, name: str, outcome: Outcome, *, error: FlexError | None = None, detail: str = ""
    ) -> None:
        result = self._results[name]
        if not result.conclude(outcome, error=error, detail=detail, at=self._clock() - self._started):
            return
        self._done += 1
        op_id = self._op_of.pop(name, None)  # one operation per VM: no scan of every pending one
        if op_id is not None:
            self._pending.pop(op_id, None)
        if self.checkpoint is not None:
            if outcome is Outcome.SUCCEEDED or (
                outcome is Outcome.FAILED and not isinstance(error, DeadlineExceededError)
            ):
                self.checkpoint.done(
                    name, outcome.value, code=getattr(error, "code", None), detail=result.detail
                )
            elif outcome is Outcome.CANCELLED and "never ran" in result.detail:
                self.checkpoint.vms.pop(name, None)  # Azure confirmed it never ran: send it again
        kinds: dict[Outcome, EventKind] = {
            Outcome.SUCCEEDED: "done",
            Outcome.FAILED: "failed",
            Outcome.SKIPPED: "skipped",
            Outcome.NOT_STARTED: "cancelled",
            Outcome.CANCELLED: "cancelled",
        }
        self._emit(kinds[outcome], name, result.detail if outcome is not Outcome.SUCCEEDED else outcome.value)

    # ----------------------------------------------------------------- the batch
    async def run(self, action: str, vms: Sequence[ScheduledVm], *, force: bool = False) -> ScheduledRun:
        """Send ``action`` (``start``, ``deallocate``, ``hibernate``, ``delete``) for ``vms``
        and watch every accepted operation until Azure says how it ended, or the batch stops."""
        if action not in sa.ACTIONS:
            raise ValueError(f"ScheduledActions has no action {action!r}")
        self._action = action
        self._results = {vm.name: VmResult(vm.name, backend="scheduled") for vm in vms}
        self._pending = {}
        self._op_of = {}
        self._done = 0
        self._stop = asyncio.Event()
        self._stop_reason = None
        self._loop = asyncio.get_running_loop()
        self._started = self._clock()
        self._deadline_at = None if self.deadline is None else self._started + self.deadline
        run = ScheduledRun(BatchResult(action, {}))
        tally = RequestTally()
        token = current_tally.set(tally)
        try:
            try:
                # the sends, throttling waits and status reads keep within the deadline; the
                # cancel requests after it do not (they run once it has passed)
                with deadline_scope(self._deadline_at, self._clock):
                    to_send = self._resume(vms)
                    resumed = bool(self._pending)
                    await self._send(action, to_send, run, force=force)
                    await self._watch(resumed=resumed)
            except asyncio.CancelledError as exc:
                self._stop_reason = "cancelled"
                await self._wind_down()
                exc.batch_result = self._conclude(run, tally)  # type: ignore[attr-defined]
                raise
            if self._pending:
                await self._wind_down()
            self._conclude(run, tally)
        finally:
            current_tally.reset(token)
        return run

    def _resume(self, vms: Sequence[ScheduledVm]) -> list[ScheduledVm]:
        """Take over what a checkpoint recorded; the VMs still to send."""
        checkpoint = self.checkpoint
        if checkpoint is None or not checkpoint.resumed:
            return list(vms)
        to_send = []
        for vm in vms:
            entry = checkpoint.entry(vm.name)
            if entry is not None and entry.get("backend") == "scheduled" and entry.get("state") == "done":
                result = self._results[vm.name]
                result.outcome = Outcome(entry["outcome"])
                result.detail = f"from the checkpoint: {entry.get('detail') or entry['outcome']}"
                if result.outcome is Outcome.FAILED:
                    result.error = AzureOperationError(
                        f"{self._action} vm {vm.name}", code=entry.get("code"), message=entry.get("detail")
                    )
                self._done += 1
            elif entry is not None and entry.get("backend") == "scheduled" and entry.get("operation_id"):
                location = str(entry.get("location") or vm.location)
                self._track(str(entry["operation_id"]), _Op(vm.name, location))
                self._results[vm.name].started_at = 0.0
                self._results[vm.name].detail = "resumed from the checkpoint"
            else:
                to_send.append(vm)
        _LOGGER.info(
            "%s: resuming from a checkpoint: %d done, %d in flight, %d to send",
            self._action,
            self._done,
            len(self._pending),
            len(to_send),
        )
        return to_send

    async def _send(self, action: str, vms: Sequence[ScheduledVm], run: ScheduledRun, *, force: bool) -> None:
        ops = self.clients.compute_schedule.scheduled_actions
        method = getattr(ops, f"virtual_machines_execute_{action}")
        by_location: dict[str, list[ScheduledVm]] = {}
        for vm in vms:
            by_location.setdefault(vm.location.replace(" ", "").lower(), []).append(vm)
        for location, group in by_location.items():
            for start in range(0, len(group), sa.MAX_VMS_PER_REQUEST):
                if self._stopping():
                    return  # the rest are NOT_STARTED
                chunk = group[start : start + sa.MAX_VMS_PER_REQUEST]
                await self._send_chunk(method, action, location, chunk, run, force=force)

    async def _send_chunk(
        self,
        method: Any,
        action: str,
        location: str,
        chunk: Sequence[ScheduledVm],
        run: ScheduledRun,
        *,
        force: bool,
    ) -> None:
        operation = f"{action} via ScheduledActions in {location}"
        body = sa.execute_body(
            action, [vm.resource_id for vm in chunk], self.options, str(uuid.uuid4()), force=force
        )
        for vm in chunk:
            self._results[vm.name].started_at = self._clock() - self._started
            self._results[vm.name].attempts += 1
        try:
            answer = await method(location, body)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = from_azure_error(exc, operation=operation)
            if error.status is not None and 400 <= error.status < 500 and error.status != 429:
                # refused whole (ARM answers before the service; nothing was accepted)
                for vm in chunk:
                    run.unavailable[vm.name] = error
                    self._results.pop(vm.name, None)
                _LOGGER.info("%s: refused (%s); %d VMs not sent", operation, error.code, len(chunk))
                return
            for vm in chunk:  # nothing known to be accepted, nothing assumed
                self._finish(vm.name, Outcome.FAILED, error=error)
            return
        read = sa.read_batch_answer(answer)
        by_id = {vm.resource_id.lower(): vm for vm in chunk}
        seen: set[str] = set()
        for resource_id, op_id in read.accepted.items():
            accepted = by_id.get(resource_id.lower())
            if accepted is None:
                continue
            seen.add(accepted.name)
            self._track(op_id, _Op(accepted.name, location))
            if self.checkpoint is not None:
                self.checkpoint.sent(accepted.name, "scheduled", operation_id=op_id, location=location)
        for resource_id, (code, details) in read.refused.items():
            refused = by_id.get(resource_id.lower())
            if refused is None:
                continue
            seen.add(refused.name)
            run.refused[refused.name] = (code, details)
            self._results.pop(refused.name, None)
        for vm in chunk:
            if vm.name not in seen:  # not named in the answer: not accepted (inferred)
                run.refused[vm.name] = ("NotInAnswer", "ScheduledActions' answer did not name this VM")
                self._results.pop(vm.name, None)
        if self.checkpoint is not None:
            self.checkpoint.flush()  # before anyone hears of them: a kill after this loses nothing
        for op in self._pending.values():
            if op.name in seen and self._results[op.name].outcome is None:
                self._emit("started", op.name, f"{action} accepted by ScheduledActions")

    async def _watch(self, *, resumed: bool = False) -> None:
        first = True
        wait = not resumed  # operations another run sent: how they stand now, before any wait
        while self._pending and not self._stopping():
            if wait:
                await self._nap(self.first_poll if first else self.poll_interval)
                first = False
            wait = True
            if self._stopping():
                return
            before = len(self._pending)
            await self._read()
            if len(self._pending) < before and self.checkpoint is not None:
                self.checkpoint.flush()

    def _groups(self, op_ids: Sequence[str]) -> list[tuple[str, list[str]]]:
        by_location: dict[str, list[str]] = {}
        for op_id in op_ids:
            by_location.setdefault(self._pending[op_id].location, []).append(op_id)
        groups = []
        for location, ids in by_location.items():
            for start in range(0, len(ids), sa.MAX_OPERATION_IDS):
                groups.append((location, ids[start : start + sa.MAX_OPERATION_IDS]))
        return groups

    async def _read(self) -> None:
        """One status round: the pending operations, 100 at a time, oldest first, until a read
        finds most of its operations still running. The service starts operations in the order
        it accepted them (the emulator's reading, inferred), so younger ones are not done either:
        a round costs about one read per 100 operations that ended, plus one."""
        ops = self.clients.compute_schedule.scheduled_actions
        for location, ids in self._groups(list(self._pending)):
            body = sa.operation_ids_body(ids, str(uuid.uuid4()))
            try:
                answer = await ops.virtual_machines_get_operation_status(location, body)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failed read never fails a VM: read again next round
                _LOGGER.info("%s: status read failed (%s); reading again", self._action, type(exc).__name__)
                return
            self._take(sa.read_status(answer))
            # mostly still running: younger ones are too. A few stragglers (a VM whose retries
            # run on) do not stop the round, so they never hide the rest.
            if sum(op_id in self._pending for op_id in ids) * 2 > len(ids):
                return

    def _take(self, statuses: Sequence[sa.OperationStatus], *, ours: str | None = None) -> None:
        """Apply read statuses; ``ours`` names the reason when this batch cancelled them."""
        for status in statuses:
            op = self._pending.get(status.operation_id)
            if op is None:
                continue
            operation = f"{self._action} vm {op.name} (ScheduledActions)"
            if status.state is sa.ScheduledState.SUCCEEDED:
                self._finish(op.name, Outcome.SUCCEEDED)
            elif status.state is sa.ScheduledState.FAILED:
                error = AzureOperationError(
                    operation, code=status.code or "OperationFailed", message=status.details
                )
                self._finish(op.name, Outcome.FAILED, error=error)
            elif status.state is sa.ScheduledState.CANCELLED:
                if ours is not None:
                    self._finish(
                        op.name,
                        Outcome.CANCELLED,
                        detail=f"cancelled ({ours}); Azure confirms the operation never ran",
                    )
                else:  # someone else cancelled it: the VM did not get what was asked
                    error = AzureOperationError(
                        operation,
                        code=status.code or "OperationCancelled",
                        message=status.details or "cancelled",
                    )
                    self._finish(op.name, Outcome.FAILED, error=error)
            elif status.state is sa.ScheduledState.EXECUTING:
                op.executing = True

    async def _wind_down(self) -> None:
        """Cancel what is pending (at most :data:`CANCEL_BUDGET`), then settle every VM. At the
        deadline of a batch with a checkpoint nothing is cancelled: the operations run on in
        Azure, recorded, and the next run over the checkpoint reads how they ended."""
        reason = self._stop_reason or "deadline"
        keep = reason == "deadline" and self.checkpoint is not None
        if self._pending and not keep:
            task = asyncio.ensure_future(self._cancel_pending(reason))
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=max(self._cancel_budget, 0.01))
            except (asyncio.TimeoutError, asyncio.CancelledError):
                _LOGGER.warning("%s: the cancel requests did not all finish", self._action)
        for op in list(self._pending.values()):
            if reason == "deadline":
                still = "runs on, recorded in the checkpoint" if keep else "may still complete"
                self._finish(
                    op.name,
                    Outcome.FAILED,
                    error=DeadlineExceededError(
                        f"{self._action} vm {op.name} did not finish before the batch deadline "
                        f"({self.deadline} s); its ScheduledActions operation {still} in Azure."
                    ),
                )
            else:
                self._finish(
                    op.name,
                    Outcome.CANCELLED,
                    detail="stopped observing; the operation may still complete in Azure",
                )
        if self.checkpoint is not None:
            self.checkpoint.flush()

    async def _cancel_pending(self, reason: str) -> None:
        ops = self.clients.compute_schedule.scheduled_actions
        for location, ids in self._groups([op for op, p in self._pending.items() if not p.executing]):
            body = sa.operation_ids_body(ids, str(uuid.uuid4()))
            try:
                answer = await ops.virtual_machines_cancel_operations(location, body)
            except Exception as exc:
                _LOGGER.warning("%s: cancel failed (%s)", self._action, type(exc).__name__)
                continue
            self._take(sa.read_status(answer), ours=reason)

    def _conclude(self, run: ScheduledRun, tally: RequestTally) -> BatchResult:
        for name, result in self._results.items():
            if result.outcome is None:
                self._finish(name, Outcome.NOT_STARTED, detail=f"not sent ({self._stop_reason})")
        run.result = BatchResult(
            operation=self._action,
            results=dict(self._results),
            requests=tally.by_class(),
            throttled=tally.throttled,
            waited=tally.waited,
            duration=self._clock() - self._started,
            interrupted=self._stop_reason,
        )
        self.last_result = run.result
        return run.result
