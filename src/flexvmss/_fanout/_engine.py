"""The fan-out executor: one operation on many VMs, fast, polite to Azure and honest.

::

    fanout = FanOut(clients, concurrency=32, deadline=900, on_event=print)
    result = await fanout.run(
        "deallocate",
        names,
        lambda name, polling: _deallocate(clients, rg, name, polling),
        expect=Expectation.power("deallocated"),
        scale_set_id=vmss_id,
        resource_group=rg,
    )
    result.raise_for_failures()

where ``begin(name, polling)`` starts the operation with the given polling method and awaits
its result, e.g. ``await (await clients.compute.virtual_machines.begin_deallocate(rg, name,
polling=polling)).result()``.

* **Bounded issuing.** At most ``concurrency`` initial requests are in flight; a slot is freed
  as soon as Azure accepted the operation (the polling method's ``initialize``), not when it
  finished, so a thousand running operations are a thousand awaiting coroutines, not threads.
  Throttling and pacing happen below, in the pipeline (:mod:`flexvmss._pipeline`).
* **Confirmed outcomes, few observation requests.** Accepted operations are watched by one
  :class:`~flexvmss._fanout.ObservationHub`: each is reported only once its own operation status
  (or a fact that cannot be stale) says how it ended; the set's filtered VM list only schedules
  when to read each status, so a thousand operations cost about one status read each.
* **Retryable failures** (RetryableError, OperationPreempted, InternalExecutionError,
  NicReservedForAnotherVm) are re-issued through :data:`flexvmss._pipeline.retryable_lro`.
* **Throttled before acceptance, re-queued.** A VM whose request Azure refused with a 429 whose
  Retry-After is longer than the throttle policy sleeps at once (a
  :class:`~flexvmss.ThrottledError` in the default ``"wait"`` mode) waits out that Retry-After
  and is sent again, until the deadline: it is not a failure. With ``ThrottleConfig(mode=
  "fail_fast")`` it fails at once, as asked.
* **Errors stay with their VM**: each VM runs in its own task, so an error is never paired
  with a VM by completion order.
* **Deadline.** When ``deadline`` seconds have passed, nothing new is issued; VMs never accepted
  by Azure (never sent, or still re-queued after a 429) are ``NOT_STARTED``, VMs whose
  operation Azure accepted and has not confirmed are ``FAILED`` with
  :class:`~flexvmss.DeadlineExceededError` (their operation may still finish in Azure).
* **Cancellation.** :meth:`FanOut.cancel` (e.g. from a Ctrl-C handler) stops issuing and makes
  :meth:`FanOut.run` *return* the partial :class:`BatchResult` (``interrupted="cancelled"``,
  in-flight VMs ``CANCELLED``). If the task running :meth:`FanOut.run` is cancelled instead,
  the ``CancelledError`` is re-raised (asyncio's contract) with the partial result attached as
  ``exc.batch_result``; it is also kept on :attr:`FanOut.last_result`.
* **Time is injected.** The engine, its observation hub and its re-issue policy read the clock,
  sleep and observe the way its :class:`~flexvmss._runtime.Runtime` says (by default, its
  clients'); nothing reads a module global.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azure.core.polling import AsyncPollingMethod

from flexvmss._errors import DeadlineExceededError, FlexError, ThrottledError, from_azure_error
from flexvmss._fanout._expect import Expectation, as_expectation
from flexvmss._fanout._observe import ObservationHub, PageBudgetLike
from flexvmss._fanout._observer import ArmObserver, Observer
from flexvmss._fanout._polling import HubPolling
from flexvmss._fanout._result import BatchResult, Outcome, VmResult, short_error
from flexvmss._fanout._stop import StopSwitch
from flexvmss._gcpause import older_objects_frozen
from flexvmss._pipeline import NamedRetry, deadline_scope, retryable_lro, stop_when, time_left
from flexvmss._progress import EventKind, ProgressEvent, RequestTally, current_tally, current_vm
from flexvmss._runtime import DEFAULT_RUNTIME, ObserveMode, Runtime

if TYPE_CHECKING:  # pragma: no cover
    from tenacity import RetryCallState

    from flexvmss._arm import ArmClients

__all__ = ["Begin", "FanOut", "SkipVm"]

_LOGGER = logging.getLogger("flexvmss.fanout")

#: ``begin(name, polling_method)``: start the operation on one VM and await its result.
Begin = Callable[[str, AsyncPollingMethod[Any]], Awaitable[Any]]


class SkipVm(Exception):
    """Raise from a ``begin`` callable to record the VM as SKIPPED (e.g. already deallocated)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Batch:
    """What every VM's task of one :meth:`FanOut.run` shares."""

    begin: Begin
    slots: asyncio.Semaphore
    hub: ObservationHub
    expect: Expectation
    scale_set_id: str | None
    resource_group: str
    leftovers: Mapping[str, Sequence[str]]
    #: Whether a look at the VM can tell that its operation is done (its end state differs
    #: from its start state): then the set's list schedules the status reads.
    scheduled_by_list: bool


class _NotIssued(Exception):
    """The batch stopped before this VM's request was sent."""


class _EventStream:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[ProgressEvent | None] = asyncio.Queue()

    def __aiter__(self) -> AsyncIterator[ProgressEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[ProgressEvent]:
        while True:
            event = await self.queue.get()
            if event is None:
                return
            yield event


class FanOut(StopSwitch):
    """Runs one operation over many VMs; see the module docstring.

    ``concurrency``: initial requests in flight at once (default 32: under ARM's write burst of
    200, above what the pacing needs to keep 10 writes/s flowing). ``deadline``: seconds for the
    whole batch (None: none). ``on_event``: a sync callable receiving :class:`ProgressEvent`.
    ``runtime``: the clock, the sleep and the observation mode (see
    :class:`~flexvmss._runtime.Runtime`); None takes the clients' (``clients.settings.runtime``),
    or :data:`~flexvmss._runtime.DEFAULT_RUNTIME` without clients. ``observe`` (``"auto"``,
    ``"list"`` or ``"poll"``, see :mod:`flexvmss._fanout._observe`) overrides the runtime's mode
    for this engine.
    ``observer`` replaces the ARM observer (tests); ``list_budget`` the list-page budget (by
    default the subscription's, on the clients' throttle state); ``lro_retry`` the re-issue policy;
    ``list_threshold``, ``list_page_interval``, ``min_interval`` and ``default_interval`` shape
    the observation rounds (see :class:`~flexvmss._fanout.ObservationHub`; ``default_interval``
    defaults to the clients' polling interval; the others default to 1 s per list page and
    0.2 s, times the clients' ``ThrottleConfig.time_scale``).
    Waits of at least ``wait_event_threshold`` seconds are reported as ``"waiting"`` events.
    """

    def __init__(
        self,
        clients: ArmClients | None,
        *,
        concurrency: int = 32,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
        runtime: Runtime | None = None,
        observe: ObserveMode | None = None,
        observer: Observer | None = None,
        list_budget: PageBudgetLike | None = None,
        lro_retry: NamedRetry = retryable_lro,
        list_threshold: int = 10,
        list_page_interval: float | None = None,
        min_interval: float | None = None,
        default_interval: float | None = None,
        wait_event_threshold: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if observer is None and clients is None:
            raise ValueError("FanOut needs clients (or an observer)")
        if runtime is None:
            runtime = clients.settings.runtime if clients is not None else DEFAULT_RUNTIME
        self.clients = clients
        self.concurrency = concurrency
        self.deadline = deadline
        self.on_event = on_event
        self.runtime = runtime
        self.observe: ObserveMode = observe if observe is not None else runtime.observe
        self.lro_retry = lro_retry
        self.list_threshold = list_threshold
        # On a scaled clock (the emulator), Azure's seconds are time_scale real seconds.
        scale = clients.settings.throttle.time_scale if clients is not None else 1.0
        self.list_page_interval = list_page_interval if list_page_interval is not None else 1.0 * scale
        self.min_interval = min_interval if min_interval is not None else 0.2 * scale
        if default_interval is None:
            default_interval = clients.settings.polling_interval if clients is not None else 5.0
        self.default_interval = default_interval
        self.wait_event_threshold = wait_event_threshold
        self.last_result: BatchResult | None = None
        self.hub: ObservationHub | None = None
        self._observer = observer
        self._list_budget = list_budget
        self._clock = runtime.clock
        self._sleep = runtime.sleep
        self._rng = rng
        self._streams: list[_EventStream] = []
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_reason: str | None = None
        self._results: dict[str, VmResult] = {}
        self._done = 0
        self._accepted: set[str] = set()
        self._requeued: dict[str, str] = {}
        #: VMs waiting out a Retry-After before they are sent again (Azure has not accepted them).
        self._requeue_waiting: set[str] = set()
        self._started = 0.0
        self._deadline_at: float | None = None
        self._operation = ""

    # ----------------------------------------------------------------- events
    def events(self) -> AsyncIterator[ProgressEvent]:
        """An async iterator of this fan-out's events; it ends when the running batch ends.
        Call it before (or while) :meth:`run` runs, on the same event loop."""
        stream = _EventStream()
        self._streams.append(stream)
        return stream.__aiter__()

    def _done_count(self) -> int:
        return self._done

    def _emit(self, kind: EventKind, vm: str | None, detail: str) -> None:
        event = ProgressEvent(kind, vm, detail, self._done_count(), len(self._results))
        for stream in self._streams:
            stream.queue.put_nowait(event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                _LOGGER.exception("on_event callback failed (ignored)")

    def _on_wait(self, vm: str | None, seconds: float, scope: str) -> None:
        if seconds >= self.wait_event_threshold:
            self._emit("waiting", vm, f"waiting {seconds:.1f} s for Azure's {scope} limits")

    def _on_throttled(self, vm: str | None, retry_after: float | None, scope: str) -> None:
        wait = f", retry after {retry_after:.1f} s" if retry_after is not None else ""
        self._emit("throttled", vm, f"Azure throttled a {scope} request (429){wait}")

    # ----------------------------------------------------------------- control
    def _on_deadline(self) -> None:
        _LOGGER.warning("%s: deadline of %s s reached; no new work is issued", self._operation, self.deadline)

    def _elapsed(self) -> float:
        return self._clock() - self._started

    # ----------------------------------------------------------------- the batch
    async def run(
        self,
        operation: str,
        names: Sequence[str],
        begin: Begin,
        *,
        expect: Expectation | str | None,
        scale_set_id: str | None,
        resource_group: str,
        skip: Mapping[str, str] | None = None,
        leftovers: Mapping[str, Sequence[str]] | None = None,
    ) -> BatchResult:
        """Run ``begin`` for every name; return the :class:`BatchResult` (never raises for VM
        failures: call :meth:`BatchResult.raise_for_failures`).

        ``expect`` is what the VM shows once its operation is done (it schedules when each
        operation's status is read; the status decides): an :class:`Expectation`, or a string:
        ``"deleted"``, ``"evicted"`` or a power state (``"deallocated"``, ``"running"``,
        ``"stopped"``); None means "provisioned" and that a look at the VM cannot tell (the end
        state equals the start state: restart, redeploy, reimage, updates), so only Azure's
        hints schedule the status reads. ``skip`` maps names to record as SKIPPED, with the
        reason, without sending anything. ``leftovers`` maps a VM to the resources its deletion
        takes with it (checked when only the VM's own 404 can confirm the deletion).
        """
        if len({n.lower() for n in names}) != len(names):
            raise ValueError("names must be unique")
        expect = as_expectation(expect)
        scheduled_by_list = expect.power_state is not None or expect.deleted or expect.gone_ok
        self._operation = operation
        self._results = {name: VmResult(name) for name in names}
        self._done = 0
        self._accepted = set()
        self._requeued = {}
        self._requeue_waiting = set()
        self._stop = asyncio.Event()
        self._stop_reason = None
        self._loop = asyncio.get_running_loop()
        self._started = self._clock()
        deadline = self.deadline if self.deadline is not None and not math.isinf(self.deadline) else None
        self._deadline_at = None if deadline is None else self._started + deadline
        observer = self._observer or ArmObserver(self.clients)  # type: ignore[arg-type]
        # The list budget is the subscription's, shared with every other batch of the process
        # (a fake observer without clients gets a budget of its own).
        budget = self._list_budget
        if budget is None and self._observer is None and self.clients is not None:
            budget = self.clients.throttle
        self.hub = hub = ObservationHub(
            observer,
            mode=self.observe,
            list_threshold=self.list_threshold,
            list_page_interval=self.list_page_interval,
            min_interval=self.min_interval,
            default_interval=self.default_interval,
            budget=budget,
            deadline_at=self._deadline_at,
            on_tick=self._stopping,
            clock=self._clock,
            sleep=self._sleep,
            rng=self._rng,
        )
        batch = _Batch(
            begin,
            asyncio.Semaphore(self.concurrency),
            hub,
            expect,
            scale_set_id,
            resource_group,
            leftovers or {},
            scheduled_by_list,
        )
        tally = RequestTally(on_wait=self._on_wait, on_throttled=self._on_throttled)
        token = current_tally.set(tally)
        # every wait the batch's tasks (and its hub's) make keeps within the deadline
        scope = deadline_scope(self._deadline_at, self._clock)
        scope.__enter__()
        frozen = older_objects_frozen(self.runtime.freeze_gc)
        frozen.__enter__()
        hub.start()  # after the tally is set: the hub's requests count for this batch
        tasks: list[asyncio.Task[None]] = []
        _LOGGER.info(
            "%s: starting on %d VMs (concurrency %d, observe %s)",
            operation,
            len(names),
            self.concurrency,
            self.observe,
        )
        try:
            for name in names:
                if skip and name in skip:
                    self._finish(name, Outcome.SKIPPED, detail=skip[name])
                    continue
                tasks.append(asyncio.ensure_future(self._run_vm(name, batch)))
            all_done: asyncio.Future[Any] = asyncio.ensure_future(
                asyncio.gather(*tasks, return_exceptions=True)
            )
            stop_wait: asyncio.Future[Any] = asyncio.ensure_future(self._stop.wait())
            try:
                await asyncio.wait({all_done, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop_wait.cancel()
            if not all_done.done():
                for task in tasks:
                    task.cancel()
                await all_done
        except asyncio.CancelledError as exc:
            self._stop_reason = "cancelled"
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks)
            result = await self._conclude(hub, tally)
            exc.batch_result = result  # type: ignore[attr-defined]
            raise
        finally:
            frozen.__exit__(None, None, None)
            scope.__exit__(None, None, None)
            current_tally.reset(token)
        return await self._conclude(hub, tally)

    async def _conclude(self, hub: ObservationHub, tally: RequestTally) -> BatchResult:
        await hub.close()
        for name, vm_result in self._results.items():
            if vm_result.outcome is not None:
                continue
            if vm_result.started_at is None:
                self._finish(name, Outcome.NOT_STARTED, detail=f"not issued ({self._stop_reason})")
            elif name in self._requeue_waiting:
                reason = self._requeued.get(name, "not accepted")
                self._finish(
                    name, Outcome.NOT_STARTED, detail=f"not accepted by Azure ({reason}; {self._stop_reason})"
                )
            elif self._stop_reason == "deadline":
                self._finish(
                    name,
                    Outcome.FAILED,
                    error=DeadlineExceededError(
                        f"{self._operation} vm {name} did not finish before the batch deadline "
                        f"({self.deadline} s); it may still complete in Azure."
                    ),
                )
            else:
                self._finish(
                    name,
                    Outcome.CANCELLED,
                    detail="stopped observing; the operation may still complete in Azure",
                )
        result = BatchResult(
            operation=self._operation,
            results=dict(self._results),
            requests=tally.by_class(),
            throttled=tally.throttled,
            waited=tally.waited,
            duration=self._elapsed(),
            interrupted=self._stop_reason,
        )
        self.last_result = result
        _LOGGER.info("%s", result.summary(), extra={"flexvmss_batch": result.operation})
        for stream in self._streams:
            stream.queue.put_nowait(None)
        self._streams.clear()
        return result

    def _finish(
        self, name: str, outcome: Outcome, *, error: FlexError | None = None, detail: str = ""
    ) -> None:
        result = self._results[name]
        if not result.conclude(outcome, error=error, detail=detail, at=self._elapsed()):
            return
        self._done += 1
        kinds: dict[Outcome, EventKind] = {
            Outcome.SUCCEEDED: "done",
            Outcome.FAILED: "failed",
            Outcome.SKIPPED: "skipped",
            Outcome.NOT_STARTED: "cancelled",
            Outcome.CANCELLED: "cancelled",
        }
        kind = kinds[outcome]
        log = _LOGGER.warning if outcome is Outcome.FAILED else _LOGGER.info
        log(
            "%s vm %s: %s%s",
            self._operation,
            name,
            outcome.value,
            f" ({short_error(error)})" if error is not None else "",
            extra={
                "flexvmss_vm": name,
                "flexvmss_operation": self._operation,
                "flexvmss_outcome": outcome.value,
                "flexvmss_code": getattr(error, "code", None),
            },
        )
        self._emit(kind, name, result.detail if outcome is not Outcome.SUCCEEDED else outcome.value)

    async def _run_vm(self, name: str, batch: _Batch) -> None:
        current_vm.set(name)
        operation = f"{self._operation} vm {name}"

        def deadline_passed(state: RetryCallState) -> bool:
            return self._stopping()

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            code = getattr(error, "code", None) or type(error).__name__
            self._emit("retrying", name, f"{code}; re-issuing (attempt {state.attempt_number + 1})")

        try:
            # The first attempt without tenacity (most VMs need one; a retrying object per VM
            # costs more than the attempt's own bookkeeping); its failure is handed to tenacity
            # as attempt 1, so attempts, waits and the retry decision are tenacity's as before.
            pending: list[Exception] = []
            try:
                await self._attempt_until_accepted(name, batch)
            except Exception as first:
                pending.append(first)
            if pending:
                retrying = self.lro_retry.retrying(
                    sleep=self._sleep,
                    stop=self.lro_retry.stop | stop_when(deadline_passed),
                    before_sleep=before_sleep,
                )
                async for attempt in retrying:
                    with attempt:
                        if pending:
                            raise pending.pop()
                        await self._attempt_until_accepted(name, batch)
        except _NotIssued:
            return  # concluded as NOT_STARTED by _conclude
        except SkipVm as skip:
            self._finish(name, Outcome.SKIPPED, detail=skip.reason)
            return
        except FlexError as error:
            self._finish(name, Outcome.FAILED, error=error)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._finish(name, Outcome.FAILED, error=from_azure_error(exc, operation=operation))
            return
        self._finish(name, Outcome.SUCCEEDED)

    def _requeues(self) -> bool:
        """Whether a request Azure refused with a long Retry-After is sent again later (the
        default ``"wait"`` mode) rather than failed at once (``"fail_fast"``)."""
        if self.clients is None:
            return True
        return self.clients.settings.throttle.mode != "fail_fast"

    async def _attempt_until_accepted(self, name: str, batch: _Batch) -> None:
        """One attempt; a 429 whose wait the throttle policy would not sleep in one go
        (a :class:`ThrottledError` before Azure accepted the operation) re-queues the VM: it
        waits Azure's Retry-After (bounded by the deadline's checks) and is sent again."""
        while True:
            try:
                await self._attempt(name, batch)
                return
            except ThrottledError as error:
                if name in self._accepted or not self._requeues():
                    raise
                wait = error.retry_after if error.retry_after else self.min_interval
                self._requeued[name] = f"throttled, Azure asked to wait {wait:.0f} s"
                self._emit("waiting", name, f"re-queued: {self._requeued[name]}")
                self._requeue_waiting.add(name)
                await self._wait_or_stop(wait)
                if self._stopping():
                    raise _NotIssued from None
                self._requeue_waiting.discard(name)

    async def _wait_or_stop(self, seconds: float) -> None:
        """Sleep ``seconds`` (the runtime's sleep; never past the deadline), or less if the
        batch stops meanwhile."""
        stop = self._stop
        if stop is None or stop.is_set():
            return
        sleeping = asyncio.ensure_future(self._sleep(min(seconds, max(0.0, time_left()))))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeping, stopping):
                task.cancel()

    async def _attempt(self, name: str, batch: _Batch) -> None:
        if self._stopping():
            raise _NotIssued
        await batch.slots.acquire()
        released = False

        def release() -> None:
            # the slot bounds requests in flight, not operations: it is free again as soon as
            # Azure accepted the operation (or the attempt ended)
            nonlocal released
            if not released:
                released = True
                batch.slots.release()

        try:
            if self._stopping():
                raise _NotIssued
            result = self._results[name]
            result.attempts += 1
            if result.started_at is None:
                result.started_at = self._elapsed()
                self._emit("started", name, f"{self._operation} sent")

            def on_accepted() -> None:
                self._accepted.add(name)
                release()

            polling = HubPolling(
                batch.hub,
                vm=name,
                operation=f"{self._operation} vm {name}",
                resource_group=batch.resource_group,
                scale_set_id=batch.scale_set_id,
                expect=batch.expect,
                scheduled_by_list=batch.scheduled_by_list,
                leftovers=batch.leftovers.get(name, ()),
                kind=self._operation,
                on_accepted=on_accepted,
            )
            await batch.begin(name, polling)
        finally:
            release()
