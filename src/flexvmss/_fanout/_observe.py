"""Observing many long-running operations with few requests.

azure-core's ARM poller polls each operation on its own (one GET per operation every
Retry-After). A fan-out over a thousand VMs would spend most of its read budget on those
polls (research: k8s-azure-flex.md, "Implications"). Here every operation the fan-out starts is
handed to one :class:`ObservationHub` through a custom azure-core polling method
(:class:`HubPolling`, passed as ``polling=`` to any ``begin_*`` call), and the hub's single loop
observes all of them together:

* **list** — the scale set's filtered VM list with ``$expand=instanceView`` resolves every VM
  whose provisioning state has settled, page by page as the pages arrive: Succeeded with the
  expected power state is success; a Failed VM, a mismatch or a vanished VM costs one GET of
  that operation's status URL, which carries Azure's error code and message. A page is only
  used for operations accepted before its request started. The first round reads every page
  and remembers which page (by its link) holds which VM; later rounds read only the pages that
  hold operations due for a look. A VM missing from its page proves nothing (the list may have
  shifted): the next round reads every page again, and only a full list can say a VM is gone.
  Once Azure refuses a page's link (anything but throttling), links are not reused again.
* **poll** — one GET of each due operation's status URL (Azure-AsyncOperation, else Location).
* **auto** — list for a scale set with at least ``list_threshold`` pending operations, else poll;
  a set already listed stays listed while one list (its pages, ``page_size`` VMs each) costs no
  more requests than polling its pending operations would.

Rounds follow Azure's Retry-After hints (``retry-after-ms`` honoured), with jitter, never
faster than ``min_interval``. An operation a list found still running is looked at again after
a third of its hint until one operation of the set has finished; from then on, operations that
reached the shortest duration seen (less a tenth) are looked at on every round, and the rest
when they reach it. A set's list never reads more than one page per ``list_page_interval`` s
(the default, 1 s per page, spends at most a fifth of Compute's HighCostGet budget of 300
requests a minute). Observation errors never pass for answers: a throttled or failed
list leaves its operations pending, and an operation whose status cannot be read five times in
a row fails with that error.

The hub reads time from the ``clock`` and waits with the ``sleep`` it is given (the runtime's,
:class:`~flexvmss._runtime.Runtime`); it reads Azure through an
:class:`~flexvmss._fanout.Observer`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from azure.core.polling import AsyncPollingMethod

from flexvmss import _clock
from flexvmss._errors import (
    AzureOperationError,
    FlexError,
    ThrottledError,
    from_azure_error,
    from_error_body,
    retry_after_seconds,
)
from flexvmss._fanout._expect import Expectation
from flexvmss._fanout._observer import Observer, PagedObserver

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._runtime import Clock, ObserveMode, Sleep

__all__ = [
    "HubPolling",
    "HubStats",
    "ObservationHub",
    "PendingOperation",
]

_LOGGER = logging.getLogger("flexvmss.fanout")

_MAX_POLL_ERRORS = 5
_MAX_LIST_FAILURES = 3


@dataclass(eq=False)
class PendingOperation:
    """One accepted long-running operation the hub watches until it ends."""

    vm: str
    operation: str
    resource_group: str
    scale_set_id: str | None
    expect: Expectation
    status_url: str | None
    location: bool
    accepted_at: float
    retry_after: float | None
    due_at: float
    future: asyncio.Future[Any]
    poll_errors: int = 0
    observations: int = 0

    @property
    def group(self) -> tuple[str, str] | None:
        if self.scale_set_id is None:
            return None
        return (self.resource_group.lower(), self.scale_set_id.lower())


@dataclass
class _Group:
    """What the hub knows about one scale set's list."""

    list_failures: int = 0
    #: VMs in the set at the last full list (None: never listed).
    size: int | None = None
    #: The link each page was read from in the last full list (None: the first page).
    page_links: list[str | None] = field(default_factory=list)
    #: Lower-cased VM name -> index of its page in the last full list.
    page_of: dict[str, int] = field(default_factory=dict)
    #: No page map, or a page no longer held a VM it held: the next list reads every page.
    stale: bool = True
    #: False once a page's link was refused: every round then reads from the first page.
    links_reusable: bool = True
    #: The page budget: when the next list of this set may start.
    next_list_at: float = 0.0
    #: The shortest time an operation of this set has taken, as observed (an upper bound).
    shortest: float | None = None

    def pages(self, page_size: int) -> int:
        if self.page_links:
            return len(self.page_links)
        return max(1, -(-(self.size or 0) // page_size))

    def target_pages(self, names: Iterable[str]) -> list[int] | None:
        """The pages that hold these VMs, or None when only a full list will do (no fresh map,
        a VM not in it, or every page wanted anyway)."""
        if self.stale or not self.page_links or not self.links_reusable:
            return None
        pages: set[int] = set()
        for name in names:
            index = self.page_of.get(name.lower())
            if index is None:
                return None
            pages.add(index)
        if len(pages) >= len(self.page_links):
            return None
        return sorted(pages)

    def note_done(self, took: float) -> None:
        self.shortest = took if self.shortest is None else min(self.shortest, took)


@dataclass
class HubStats:
    """What the hub spent: list rounds, pages read, status polls, and operations resolved by each."""

    lists: int = 0
    pages: int = 0
    polls: int = 0
    resolved_by_list: int = 0
    resolved_by_poll: int = 0


@dataclass
class _ListRound:
    """One list round's bookkeeping."""

    state: _Group
    started: float
    targeted: bool = False
    pages: int = 0
    to_poll: list[PendingOperation] = field(default_factory=list)
    running: list[PendingOperation] = field(default_factory=list)


class ObservationHub:
    """Watches every registered operation from one loop; see the module docstring.

    Create one per batch, :meth:`start` it inside the event loop, register operations through
    :class:`HubPolling`, and :meth:`close` it when the batch ends.
    """

    def __init__(
        self,
        observer: Observer,
        *,
        mode: ObserveMode = "auto",
        list_threshold: int = 10,
        page_size: int = 100,
        list_page_interval: float = 1.0,
        min_interval: float = 0.2,
        default_interval: float = 5.0,
        jitter: float = 0.1,
        clock: Clock = _clock.monotonic,
        sleep: Sleep = _clock.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if mode not in ("auto", "list", "poll"):
            raise ValueError(f"observe must be 'auto', 'list' or 'poll', not {mode!r}")
        self.observer = observer
        self.mode: ObserveMode = mode
        self.list_threshold = list_threshold
        self.page_size = page_size
        self.list_page_interval = list_page_interval
        self.min_interval = min_interval
        self.default_interval = default_interval
        self.jitter = jitter
        self.stats = HubStats()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._ops: list[PendingOperation] = []
        self._groups: dict[tuple[str, str], _Group] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._poll_slots = asyncio.Semaphore(16)

    def now(self) -> float:
        return self._clock()

    # ----------------------------------------------------------------- registration
    def register(self, op: PendingOperation) -> None:
        self._ops.append(op)
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._loop())

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
        for op in self._ops:
            if not op.future.done():
                op.future.cancel()
        self._ops.clear()

    def pending(self) -> list[PendingOperation]:
        return [op for op in self._ops if not op.future.done()]

    # ----------------------------------------------------------------- the loop
    def _interval(self, op: PendingOperation) -> float:
        base = op.retry_after if op.retry_after else self.default_interval
        return max(self.min_interval, base) * (1.0 + self._rng.uniform(0.0, self.jitter))

    def _next_look(self, op: PendingOperation, state: _Group, started: float) -> float:
        """When to look again at an operation a list (started at ``started``) found running.

        Until one operation of the set has finished, after a third of its Retry-After (a list
        costs the operation nothing, and its hint is not refreshed the way a poll's would be).
        After that, from the shortest duration seen on (less a tenth), as soon as the page
        budget allows: operations started together end together, so the ones that reached that
        age are looked at on every round. Never before ``list_page_interval`` per page read."""
        if state.shortest is None:
            base = (op.retry_after if op.retry_after else self.default_interval) / 3
            at = started + max(self.min_interval, base)
        else:
            at = op.accepted_at + 0.9 * state.shortest
        at = max(at, state.next_list_at)
        return at + (at - started) * self._rng.uniform(0.0, self.jitter)

    async def _loop(self) -> None:
        while True:
            self._ops = self.pending()
            if not self._ops:
                self._wake.clear()
                await self._wake.wait()
                continue
            now = self._clock()
            due = [op for op in self._ops if op.due_at <= now]
            if due:
                try:
                    await self._round(due)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bug in one round must not strand every operation
                    _LOGGER.exception("observation round failed")
                    for op in due:
                        op.due_at = self._clock() + self._interval(op)
                continue
            next_due = min(op.due_at for op in self._ops)
            await self._sleep(max(0.0, next_due - now))

    def _use_list(self, group: tuple[str, str] | None) -> bool:
        if group is None or self.mode == "poll":
            return False
        if self._groups.get(group, _Group()).list_failures >= _MAX_LIST_FAILURES:
            return False
        if self.mode == "list":
            return True
        pending = [op for op in self._ops if op.group == group]
        if len(pending) >= self.list_threshold:
            return True
        # Once a set is listed, keep listing while a list costs no more requests than polls.
        known = self._groups.get(group)
        if known is None or known.size is None:
            return False
        return len(pending) >= known.pages(self.page_size)

    async def _round(self, due: list[PendingOperation]) -> None:
        to_poll: list[PendingOperation] = []
        listed: set[tuple[str, str]] = set()
        for op in due:
            group = op.group
            if group is not None and group in listed:
                continue
            if self._use_list(group):
                assert group is not None
                listed.add(group)
                group_due = [other for other in due if other.group == group]
                to_poll.extend(
                    await self._list_round(op.resource_group, op.scale_set_id or "", group, group_due)
                )
            else:
                to_poll.append(op)
        if to_poll:
            await asyncio.gather(*(self._poll(op) for op in to_poll if not op.future.done()))

    async def _list_round(
        self, resource_group: str, scale_set_id: str, group: tuple[str, str], due: list[PendingOperation]
    ) -> list[PendingOperation]:
        """List (every page, or only the pages holding ``due`` operations); resolve what each
        page settles as it arrives; return the operations to poll."""
        state = self._groups.setdefault(group, _Group())
        started = self._clock()
        if started < state.next_list_at:  # the page budget: not yet
            for op in due:
                op.due_at = max(op.due_at, state.next_list_at)
            return []
        members = [op for op in self._ops if op.group == group and not op.future.done()]
        round_ = _ListRound(state, started)
        try:
            observer = self.observer
            if isinstance(observer, PagedObserver):
                targets = state.target_pages(op.vm for op in due)
                if targets is None:
                    await self._read_all_pages(observer, resource_group, scale_set_id, members, round_)
                else:
                    round_.targeted = True
                    await self._read_pages(observer, resource_group, scale_set_id, members, targets, round_)
            else:
                vms = await self.observer.list_vms(resource_group, scale_set_id)
                state.size = len(vms)
                round_.pages = state.pages(self.page_size)
                for op in members:
                    self._judge(op, vms.get(op.vm.lower()), started, round_)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            state.list_failures += 1
            state.stale = True  # read from the first page next time
            error = exc if isinstance(exc, FlexError) else from_azure_error(exc, operation="list VMs")
            if round_.targeted and not isinstance(error, ThrottledError):
                state.links_reusable = False  # Azure refused a link it gave: never reuse one again
            wait = error.retry_after if isinstance(error, ThrottledError) and error.retry_after else None
            _LOGGER.warning("listing scale set %s failed (%s); operations stay pending", scale_set_id, error)
            for op in members:
                if not op.future.done() and op not in round_.to_poll:
                    op.due_at = self._clock() + max(wait or 0.0, self._interval(op))
            return round_.to_poll
        state.list_failures = 0
        self.stats.lists += 1
        self.stats.pages += round_.pages
        state.next_list_at = started + max(self.min_interval, round_.pages * self.list_page_interval)
        for op in round_.running:
            if not op.future.done():
                op.due_at = self._next_look(op, state, started)
        return round_.to_poll

    async def _read_all_pages(
        self,
        observer: PagedObserver,
        resource_group: str,
        scale_set_id: str,
        members: list[PendingOperation],
        round_: _ListRound,
    ) -> None:
        """Every page, settling each page's operations as it arrives; remember which page holds
        which VM; then judge the operations whose VM was on no page."""
        by_name = {op.vm.lower(): op for op in members}
        links: list[str | None] = []
        page_of: dict[str, int] = {}
        link: str | None = None
        while True:
            page_started = self._clock()
            page = await observer.list_page(resource_group, scale_set_id, link)
            round_.pages += 1
            for name, vm in page.vms.items():
                page_of[name] = len(links)
                op = by_name.get(name)
                if op is not None:
                    self._judge(op, vm, page_started, round_)
            links.append(link)
            link = page.next_link
            if not link:
                break
        state = round_.state
        state.page_links, state.page_of, state.stale, state.size = links, page_of, False, len(page_of)
        for name, op in by_name.items():
            if name not in page_of:
                self._judge(op, None, round_.started, round_)

    async def _read_pages(
        self,
        observer: PagedObserver,
        resource_group: str,
        scale_set_id: str,
        members: list[PendingOperation],
        pages: list[int],
        round_: _ListRound,
    ) -> None:
        """Only ``pages`` of the last full list, by their links. A VM missing from its page
        proves nothing (the list may have shifted): the next round reads every page."""
        state = round_.state
        for index in pages:
            page_started = self._clock()
            page = await observer.list_page(resource_group, scale_set_id, state.page_links[index])
            round_.pages += 1
            for op in members:
                if state.page_of.get(op.vm.lower()) != index:
                    continue
                vm = page.vms.get(op.vm.lower())
                if vm is None:
                    state.stale = True
                    round_.running.append(op)
                else:
                    self._judge(op, vm, page_started, round_)

    def _judge(
        self, op: PendingOperation, vm: Mapping[str, Any] | None, snapshot_at: float, round_: _ListRound
    ) -> None:
        """Settle one operation from a list snapshot taken from ``snapshot_at`` on."""
        if op.future.done():
            return
        if op.accepted_at >= snapshot_at:  # the snapshot may predate this operation
            op.due_at = max(op.due_at, self._clock() + self.min_interval)
            return
        verdict = op.expect.evaluate(vm)
        op.observations += 1
        if verdict == "succeeded":
            round_.state.note_done(snapshot_at - op.accepted_at)
            self.stats.resolved_by_list += 1
            op.future.set_result(vm)
        elif verdict == "check" and op.status_url:
            round_.to_poll.append(op)
        elif verdict == "check":
            op.future.set_exception(
                AzureOperationError(
                    op.operation,
                    code="UnexpectedState",
                    message=f"the VM is not {op.expect} and Azure gave no operation status URL",
                )
            )
        else:
            round_.running.append(op)

    async def _poll(self, op: PendingOperation) -> None:
        if op.status_url is None:  # pragma: no cover - registration guarantees a URL or a group
            op.due_at = self._clock() + self._interval(op)
            return
        async with self._poll_slots:
            try:
                status = await self.observer.operation_status(op.status_url, location=op.location)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = exc if isinstance(exc, FlexError) else from_azure_error(exc, operation=op.operation)
                op.poll_errors += 1
                if op.poll_errors >= _MAX_POLL_ERRORS and not isinstance(error, ThrottledError):
                    op.future.set_exception(error)
                    return
                wait = error.retry_after if isinstance(error, ThrottledError) and error.retry_after else 0.0
                op.due_at = self._clock() + max(wait, self._interval(op))
                return
        self.stats.polls += 1
        op.poll_errors = 0
        op.observations += 1
        if status.state == "InProgress":
            if status.retry_after:
                op.retry_after = status.retry_after
            op.due_at = self._clock() + self._interval(op)
        elif status.state == "Succeeded":
            self.stats.resolved_by_poll += 1
            op.future.set_result(status.resource)
        else:
            self.stats.resolved_by_poll += 1
            op.future.set_exception(
                from_error_body(
                    dict(status.error or {}), operation=op.operation, correlation_id=status.correlation_id
                )
            )


class HubPolling(AsyncPollingMethod[Any]):
    """An azure-core async polling method that hands its operation to an :class:`ObservationHub`.

    Pass it as ``polling=`` to a ``begin_*`` call. ``initialize`` reads the initial response
    (Azure-AsyncOperation, Location, Retry-After, the body's provisioning state) and registers
    the operation; ``run`` waits for the hub to resolve it and raises the operation's
    :class:`~flexvmss.AzureOperationError` if it failed. ``resource()`` is the VM's JSON as last
    observed (list mode) or the status body (poll mode), or None — not a deserialized model.
    ``on_accepted`` is called once the initial response arrived (the fan-out releases its
    concurrency slot then).
    """

    def __init__(
        self,
        hub: ObservationHub,
        *,
        vm: str,
        operation: str,
        resource_group: str,
        scale_set_id: str | None,
        expect: Expectation,
        on_accepted: Callable[[], None] | None = None,
    ) -> None:
        self._hub = hub
        self._vm = vm
        self._operation = operation
        self._resource_group = resource_group
        self._scale_set_id = scale_set_id
        self._expect = expect
        self._on_accepted = on_accepted
        self._op: PendingOperation | None = None
        self._status = "InProgress"
        self._resource: Any = None
        self._error: AzureOperationError | None = None

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Any) -> None:
        http_response = initial_response.http_response
        headers = {k.lower(): v for k, v in http_response.headers.items()}
        status = http_response.status_code
        body: Any = None
        try:
            body = http_response.json() if http_response.text() else None
        except Exception:
            body = None
        async_url = headers.get("azure-asyncoperation")
        location_url = headers.get("location")
        now = self._hub.now()
        if self._on_accepted is not None:
            self._on_accepted()
        if status in (200, 201, 202) and (async_url or location_url):
            hint = retry_after_seconds(headers)
            loop = asyncio.get_running_loop()
            self._op = PendingOperation(
                vm=self._vm,
                operation=self._operation,
                resource_group=self._resource_group,
                scale_set_id=self._scale_set_id,
                expect=self._expect,
                status_url=async_url or location_url,
                location=not async_url,
                accepted_at=now,
                retry_after=hint,
                due_at=now + max(self._hub.min_interval, hint or self._hub.default_interval),
                future=loop.create_future(),
            )
            self._hub.register(self._op)
            return
        provisioning = ""
        if isinstance(body, Mapping):
            provisioning = str((body.get("properties") or {}).get("provisioningState") or "").lower()
        if provisioning in ("failed", "canceled"):
            self._status = "Failed"
            self._error = from_error_body(
                {"code": "ProvisioningFailed", "message": f"provisioningState is {provisioning}"},
                operation=self._operation,
            )
        else:
            self._status = "Succeeded"
            self._resource = body

    async def run(self) -> None:
        if self._op is not None:
            try:
                self._resource = await self._op.future
                self._status = "Succeeded"
            except AzureOperationError:
                self._status = "Failed"
                raise
        elif self._error is not None:
            raise self._error

    def status(self) -> str:
        return self._status

    def finished(self) -> bool:
        return self._status in ("Succeeded", "Failed")

    def resource(self) -> Any:
        return self._resource

