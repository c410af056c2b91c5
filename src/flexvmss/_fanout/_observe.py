"""Observing many long-running operations with few requests, and reporting only what Azure
confirms.

azure-core's ARM poller polls each operation on its own (one GET per operation every
Retry-After). Here every operation a fan-out starts is handed to one :class:`ObservationHub`
through a custom azure-core polling method (:class:`~flexvmss._fanout._polling.HubPolling`,
passed as ``polling=`` to any ``begin_*`` call), and the hub's single scheduler watches all of
them together.

**The operation's status decides.** An operation is reported succeeded or failed only when its
own status (the ``Azure-AsyncOperation`` URL, else ``Location``) says so, or on a fact that
cannot be stale: a 404 on a deleted VM followed by 404s on what its deletion takes with it
(disks and NICs whose deleteOption is Delete), or, for a simulated eviction (Azure answers 204
and gives no operation to read), the VM showing itself evicted. Right after a 202 a read can
still show the old state, and for restart, redeploy, reimage, maintenance and updates the end
state equals the start state, so a VM that *looks* done proves nothing (research:
real-azure-review.md; SupportArticles-docs troubleshooting-throttling-errors.md: "track the
async operation rather than polling provisioningState").

**The list schedules.** When many VMs of one scale set are pending, the set's filtered VM list
(``$expand=instanceView``) says *when* to read each status: a VM that shows its end state has
its status read at once (usually answered ``Succeeded``: one read per VM); one whose
provisioning state is Failed has it read once Azure's Retry-After allows; one still in
transition, or settled in another state (most often a read that still shows the VM as it was:
Azure's reads lag, and list reads may be a round stale), is looked at again later.
Operations whose end state equals their start state are not scheduled by the list: their
status is read at Azure's hints, first when the operations of the batch have been seen to
take (:class:`Expectation` says which). A VM that
stays pending in the list past ``pending_bound`` (or three times the shortest duration seen)
has its status read anyway.

**Pages cost linear.** The first look reads every page and remembers which page holds which
VM; later looks read only the pages that hold operations due for a look, each page at most
once per ``page_gap`` (a sixth of the shortest duration seen), and an operation's next look
follows how long the batch's operations take. Every page comes out of one list budget per
subscription (:class:`~flexvmss._pipeline.PageBudget`: a share of Compute's HighCostGet
refill, shared by every scale set the process watches, slower when Azure reports the bucket
low). A VM missing from a page proves nothing (the list may have shifted): only a full list
says a VM is gone. Once Azure refuses a page's link, links are not reused again.

**The tail is read directly.** Once no more than a quarter of a set (or the list threshold)
is pending, the list's next round may be a long way off: its pages come out of a budget of
about one a second, and the stragglers are spread over many pages (a 1,000-VM set is 20 pages
of 50). An operation of that tail whose age has passed the bar (the time within which 70% of
the batch's resolved operations finished, each estimated from the looks that saw it running
and done, or the oldest age at which a status said one was still running, whichever is later)
then has its status read at once: oldest first, a few per turn, never sooner than Azure's
Retry-After (nor 4 s) after its last read. Such a read is the one read the list would have
called for, without the pages; one that finds its operation still running costs a read and
raises the bar past its age by its Retry-After, so the next are read later (or by the list).
Inferred: Azure documents no duration for an action; a status read is never stale and decides
the outcome either way. The reads stay within Compute's Get Operation limits (15 a minute per
resource, 5,000 per subscription; compute-throttling-limits, research/k8s-azure-flex.md).

**Reading a status never fails an operation.** A status URL that answers an error, times out
or is lost is read again (with back-off) or through the operation's other URL; a throttled read
waits for its Retry-After. A 404 on both URLs of a delete falls back to the VM's own 404 and its
leftovers'. The batch's deadline, not a count of read errors, ends the wait.

The hub reads time from the ``clock`` and waits with the ``sleep`` it is given (the runtime's,
:class:`~flexvmss._runtime.Runtime`); it reads Azure through an
:class:`~flexvmss._fanout.Observer`.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from flexvmss import _clock
from flexvmss._errors import (
    AzureOperationError,
    FlexError,
    ThrottledError,
    from_azure_error,
    from_error_body,
)
from flexvmss._fanout._expect import Expectation, hibernation_state
from flexvmss._fanout._observer import Observer, PagedObserver, StatusUnreadable
from flexvmss._pipeline import MAX_RETRY_AFTER, bounded_wait

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._runtime import Clock, ObserveMode, Sleep

__all__ = [
    "HubStats",
    "ObservationHub",
    "PendingOperation",
]

_LOGGER = logging.getLogger("flexvmss.fanout")

_MAX_LIST_FAILURES = 3
#: Re-reads of a fact (the hibernation state, leftovers) before a fact that stays untrue fails.
_FACT_CHECKS = 6

Reason = Literal["list", "check", "bound", "hint", "fact", "tail"]

#: A set's last operations are its tail once no more than this share of the set (or the
#: list threshold, if more) is pending: their statuses are then read directly once they are
#: past due, instead of waiting for the next list round (inferred; see ObservationHub).
_TAIL_SHARE = 0.25
#: The most tail reads one scheduler turn makes (oldest operations first): a read that finds
#: its operation still running raises the bar for the next ones before many more are read.
_TAIL_READS_PER_TURN = 25
#: The tail's bar is this quantile of how long the batch's resolved operations took: an
#: operation read at that age is most likely done (a read that finds it running costs a read,
#: and the operation then waits Azure's Retry-After before the next; inferred).
_TAIL_QUANTILE = 0.7
#: Compute's Get Operation limit per resource is 15 a minute (compute-throttling-limits;
#: research/k8s-azure-flex.md): a tail read comes at least this long after the last read of
#: the same operation, whatever Retry-After said.
_STATUS_READ_GAP = 4.0


@dataclass(eq=False)
class PendingOperation:
    """One accepted long-running operation the hub watches until Azure confirms how it ended.

    ``status_url`` is the ``Azure-AsyncOperation`` URL and ``location_url`` the ``Location``
    URL (either may be None; both None: an answer without an operation, watched through the VM
    itself). ``leftovers`` are the resources a delete must take with it (checked after the VM's
    404). ``kind`` groups the operations of one batch (``deallocate``) for what the hub learns
    about how long they take."""

    vm: str
    operation: str
    resource_group: str
    scale_set_id: str | None
    expect: Expectation
    status_url: str | None
    location_url: str | None
    accepted_at: float
    retry_after: float | None
    due_at: float
    future: asyncio.Future[Any]
    kind: str = ""
    leftovers: tuple[str, ...] = ()
    #: False when a look at the VM cannot tell that it is done (its end state is its start
    #: state): only Azure's hints schedule the status reads.
    scheduled_by_list: bool = True
    #: No status read for a "check" or a bound before this (Azure's Retry-After).
    next_status_at: float = 0.0
    last_status_read: float | None = None
    #: Why the next status read is due now (None: it is not).
    status_due: Reason | None = None
    read_errors: int = 0
    status_reads: int = 0
    looks: int = 0
    fact_checks: int = 0
    #: Status said Succeeded; a fact (hibernation state, leftovers) is being confirmed.
    confirming: bool = False
    #: The age at which a look or a read first showed it done (an upper bound of its duration),
    #: and the oldest at which a look or a read showed it still running (a lower bound).
    done_age: float | None = None
    running_age: float | None = None
    #: The operation's URLs that answered 404 (no longer know it).
    dead_urls: set[str] = field(default_factory=set)
    prefer_location: bool = False
    result: Any = None
    #: The scale set it belongs to, as a key (None: no set known).
    group: tuple[str, str] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.scale_set_id is not None:
            self.group = (self.resource_group.lower(), self.scale_set_id.lower())

    def urls(self) -> list[tuple[str, bool]]:
        """The operation's live status URLs, preferred first: (url, is_location)."""
        found = [(u, False) for u in (self.status_url,) if u and u not in self.dead_urls]
        located = [(u, True) for u in (self.location_url,) if u and u not in self.dead_urls]
        return located + found if self.prefer_location else found + located


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
    #: When each page (by index) was last read.
    page_read_at: dict[int, float] = field(default_factory=dict)
    #: No page map, or a page no longer held a VM it held: the next list reads every page.
    stale: bool = True
    #: False once a page's link was refused: every round then reads from the first page.
    links_reusable: bool = True

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


@dataclass
class HubStats:
    """What the hub spent and how it resolved: list rounds and pages read, status reads (and
    why each was made), and operations resolved by their status or by a fact."""

    lists: int = 0
    pages: int = 0
    polls: int = 0
    fact_reads: int = 0
    resolved_by_status: int = 0
    resolved_by_fact: int = 0
    poll_reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class _ListRound:
    """One list round's bookkeeping."""

    state: _Group
    started: float
    targeted: bool = False
    pages: int = 0
    reserved: int = 0
    to_read: list[PendingOperation] = field(default_factory=list)
    running: list[PendingOperation] = field(default_factory=list)


class PageBudgetLike(Protocol):
    """What the hub needs of a list budget (:class:`~flexvmss._pipeline.ThrottleState` has
    both): take pages (a debt is allowed: a list round reads all the pages it needs, and the
    next waits longer), and say how long until one more page is covered."""

    def reserve_pages(self, pages: int = 1) -> float: ...

    def pages_wait(self) -> float: ...


class _LocalBudget:
    """A budget of one page per ``interval`` seconds, for a hub without a shared one."""

    def __init__(self, interval: float, clock: Clock, burst: float = 5.0) -> None:
        self.interval = interval
        self.clock = clock
        self.burst = burst
        self.tokens = burst
        self.updated: float | None = None

    def _refill(self) -> float:
        now = self.clock()
        if self.updated is not None and self.interval > 0:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) / self.interval)
        self.updated = now
        return now

    def reserve_pages(self, pages: int = 1) -> float:
        self._refill()
        if self.interval <= 0:
            return 0.0
        self.tokens -= pages
        return 0.0 if self.tokens >= 0 else -self.tokens * self.interval

    def pages_wait(self) -> float:
        self._refill()
        if self.interval <= 0 or self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) * self.interval


class ObservationHub:
    """Watches every registered operation from one scheduler; see the module docstring.

    Create one per batch, :meth:`start` it inside the event loop, register operations through
    :class:`~flexvmss._fanout._polling.HubPolling`, and :meth:`close` it when the batch ends.
    ``budget`` is the subscription's list budget (None: a local one of a page per ``list_page_interval``).
    ``on_tick`` is called at every turn of the scheduler, which never naps past
    ``deadline_at`` (the batch checks its deadline there).
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
        settle_lag: float | None = None,
        pending_bound: float | None = None,
        max_backoff: float | None = None,
        jitter: float = 0.1,
        budget: PageBudgetLike | None = None,
        deadline_at: float | None = None,
        on_tick: Callable[[], object] | None = None,
        clock: Clock = _clock.monotonic,
        sleep: Sleep = _clock.sleep,
        rng: random.Random | None = None,
        status_concurrency: int = 32,
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
        scale = min_interval / 0.2 if min_interval > 0 else 1.0
        #: A look younger than this that shows the start state proves nothing yet: Azure shows
        #: an accepted change after a lag (a few seconds, inferred from azure-sdk-for-net#19977's
        #: ~2 s; the emulator's realism uses 3 s).
        self.settle_lag = settle_lag if settle_lag is not None else 5.0 * scale
        #: A VM pending in the list this long after its operation was accepted has its status read.
        self.pending_bound = pending_bound if pending_bound is not None else 120.0 * scale
        #: The longest wait between reads of a status that could not be read.
        self.max_backoff = max_backoff if max_backoff is not None else 30.0 * scale
        self.hint_cap = MAX_RETRY_AFTER * scale
        self._status_gap = _STATUS_READ_GAP * scale
        self.jitter = jitter
        self.stats = HubStats()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._budget: PageBudgetLike = budget or _LocalBudget(list_page_interval, clock)
        self._deadline_at = deadline_at
        self._on_tick = on_tick
        #: Pending operations (in registration order), by scale set, and how many of each set's
        #: the list can schedule; kept as operations come and go (an operation leaves once its
        #: future is done), never rebuilt: rebuilding at every turn was quadratic in the batch.
        self._ops: dict[PendingOperation, None] = {}
        self._members: dict[tuple[str, str], dict[PendingOperation, None]] = {}
        self._listable: Counter[tuple[str, str]] = Counter()
        self._groups: dict[tuple[str, str], _Group] = {}
        #: Per operation kind (and scale set): the shortest time an operation was seen to take.
        self._shortest: dict[tuple[str, tuple[str, str] | None], float] = {}
        #: Per operation kind and scale set: the oldest age at which an operation's own status
        #: said it was still running (status reads are never stale; after a tail read, plus
        #: its Retry-After), and about how long each resolved operation took (sorted): the
        #: tail's bar.
        self._running_age: dict[tuple[str, tuple[str, str] | None], float] = {}
        self._done_ages: dict[tuple[str, tuple[str, str] | None], list[float]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._status_slots = asyncio.Semaphore(status_concurrency)

    def now(self) -> float:
        return self._clock()

    # ----------------------------------------------------------------- registration
    def register(self, op: PendingOperation) -> None:
        op.kind = op.kind or op.operation.split(" vm ", 1)[0]
        op.scheduled_by_list = op.scheduled_by_list and op.group is not None and self.mode != "poll"
        op.due_at = self._first_due(op)
        self._ops[op] = None
        group = op.group
        if group is not None:
            self._members.setdefault(group, {})[op] = None
            if op.scheduled_by_list:
                self._listable[group] += 1
        op.future.add_done_callback(lambda _future: self._gone(op))
        self._wake.set()

    def _gone(self, op: PendingOperation) -> None:
        if op not in self._ops:
            return
        del self._ops[op]
        group = op.group
        if group is None:
            return
        members = self._members.get(group)
        if members is not None:
            members.pop(op, None)
            if not members:
                del self._members[group]
        if op.scheduled_by_list:
            self._listable[group] -= 1
            if self._listable[group] <= 0:
                del self._listable[group]

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
        self._members.clear()
        self._listable.clear()

    def pending(self) -> list[PendingOperation]:
        return [op for op in self._ops if not op.future.done()]

    # ----------------------------------------------------------------- timing
    def _jittered(self, seconds: float) -> float:
        return seconds * (1.0 + self._rng.uniform(0.0, self.jitter))

    def _hint(self, op: PendingOperation) -> float:
        return max(self.min_interval, op.retry_after if op.retry_after else self.default_interval)

    def _shortest_for(self, op: PendingOperation) -> float | None:
        return self._shortest.get((op.kind, op.group))

    def _note_done(self, op: PendingOperation, took: float, *, timed: bool = True) -> None:
        if op.done_age is None and timed:
            op.done_age = took
        key = (op.kind, op.group)
        known = self._shortest.get(key)
        self._shortest[key] = took if known is None else min(known, took)

    def _first_due(self, op: PendingOperation) -> float:
        """The first look: after Azure's first hint, or (once the batch's operations have been
        seen to take some time) a little before the shortest of them, whichever is later."""
        wait = self._hint(op)
        shortest = self._shortest_for(op) if self.mode != "poll" else None
        if shortest is not None:
            wait = max(wait, 0.9 * shortest)
        return op.accepted_at + self._jittered(wait)

    def _page_gap(self, op: PendingOperation) -> float:
        """How soon a page may be read again: a sixth of the shortest duration seen (a third of
        the hint before any), never under ``list_page_interval`` or ``min_interval``."""
        shortest = self._shortest_for(op)
        base = shortest / 6 if shortest is not None else self._hint(op) / 3
        return max(self.min_interval, self.list_page_interval, base)

    def _next_look(self, op: PendingOperation, started: float) -> float:
        """When the list looks at a pending operation again (a look started at ``started``
        found it running). Before any operation of the batch finished: when it is half again
        as old. After: once it reaches nine tenths of the shortest duration seen, and from then
        on once per page gap."""
        age = max(0.0, started - op.accepted_at)
        shortest = self._shortest_for(op)
        if shortest is None:
            at = started + max(self.min_interval, 0.5 * age)
        else:
            at = max(op.accepted_at + 0.9 * shortest, started + self._page_gap(op))
        return started + self._jittered(at - started)

    def _note_running(self, op: PendingOperation, age: float, *, wait: float = 0.0) -> None:
        """A status said the operation was still running at ``age``; the bar moves past it by
        ``wait`` (a tail read's Retry-After)."""
        op.running_age = max(age, op.running_age or 0.0)
        key = (op.kind, op.group)
        self._running_age[key] = max(age + wait, self._running_age.get(key, 0.0))

    def _in_tail(self, op: PendingOperation) -> bool:
        """Whether the operation is one of its set's last: no more than a quarter of the set
        (or the list threshold) is pending. Only in ``auto`` mode, once the set was listed."""
        group = op.group
        if self.mode != "auto" or group is None:
            return False
        state = self._groups.get(group)
        if state is None or state.size is None:
            return False
        return self._listable.get(group, 0) <= max(self.list_threshold, _TAIL_SHARE * state.size)

    def _tail_bar(self, op: PendingOperation) -> float | None:
        """The age past which a tail operation's status is read directly: the time within
        which 70% of the batch's resolved operations finished, or the oldest age at which a
        status said one was still running, whichever is later (None: no operation of the
        batch has been resolved yet)."""
        key = (op.kind, op.group)
        ages = self._done_ages.get(key)
        if not ages:
            return None
        return max(ages[int(len(ages) * _TAIL_QUANTILE)], self._running_age.get(key, 0.0))

    def _tail_ready_at(self, op: PendingOperation) -> float | None:
        """When a tail operation's status may be read directly (None: not yet known)."""
        bar = self._tail_bar(op)
        if bar is None:
            return None
        ready_at = max(op.accepted_at + bar, op.next_status_at)
        if op.last_status_read is not None:
            ready_at = max(ready_at, op.last_status_read + self._status_gap)
        return ready_at

    def _bound_age(self, op: PendingOperation) -> float:
        shortest = self._shortest_for(op)
        return max(self.pending_bound, 3.0 * shortest if shortest is not None else 0.0)

    # ----------------------------------------------------------------- the scheduler
    async def _loop(self) -> None:
        while True:
            if self._on_tick is not None:
                self._on_tick()  # the batch checks its deadline at every turn
            if not self._ops:
                self._wake.clear()
                await self._wake.wait()
                continue
            now = self._clock()
            # what falls due within the shortest interval goes in this round too: fewer turns
            horizon = now + self.min_interval
            due = [op for op in self._ops if op.due_at <= horizon and not op.future.done()]
            if due:
                try:
                    await self._round(due)
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bug in one round must not strand every operation
                    _LOGGER.exception("observation round failed")
                    for op in due:
                        op.due_at = self._clock() + self._jittered(self._hint(op))
                for op in due:  # never a busy loop: a round that left an operation due waits
                    if not op.future.done() and op.due_at <= horizon:
                        op.due_at = horizon + 0.5 * self.min_interval
                continue
            wake_at = min(op.due_at for op in self._ops)
            if self._deadline_at is not None:
                wake_at = min(wake_at, self._deadline_at)
            # Never longer than the default interval: an operation registered meanwhile may be
            # due before the ones known now.
            await self._sleep(max(0.0, min(wake_at - now, max(self.min_interval, self.default_interval))))

    def _listed(self, op: PendingOperation) -> bool:
        """Whether the list schedules this operation's status reads right now."""
        group = op.group
        if not op.scheduled_by_list or group is None or self.mode == "poll":
            return False
        state = self._groups.get(group)
        if state is not None and state.list_failures >= _MAX_LIST_FAILURES:
            return False
        if self.mode == "list" or (state is not None and state.size is not None):
            return True
        return self._listable.get(group, 0) >= self.list_threshold

    async def _round(self, due: list[PendingOperation]) -> None:
        """One round: the list rounds of the sets with operations due for a look, then every
        status and fact read due (the list's included), concurrently."""
        to_read: list[PendingOperation] = []
        by_group: dict[tuple[str, str], list[PendingOperation]] = {}
        tail: list[PendingOperation] = []
        now = self._clock()
        for op in due:
            if op.confirming or op.status_due is not None or not self._listed(op):
                if op.status_due is None and not op.confirming:
                    op.status_due = "hint"
                to_read.append(op)
                continue
            assert op.group is not None
            if self._in_tail(op):
                ready_at = self._tail_ready_at(op)
                if ready_at is not None and ready_at <= now:
                    tail.append(op)
                    continue
            by_group.setdefault(op.group, []).append(op)
        # the oldest first, a few per turn; the others stay due for the next turn
        tail.sort(key=lambda op: op.accepted_at)
        for op in tail[:_TAIL_READS_PER_TURN]:
            op.status_due = "tail"
            to_read.append(op)
        for group, ops in by_group.items():
            state = self._groups.setdefault(group, _Group())
            to_read.extend(
                await self._list_round(ops[0].resource_group, ops[0].scale_set_id or "", group, state, ops)
            )
        reads = [op for op in dict.fromkeys(to_read) if not op.future.done()]
        if reads:
            await asyncio.gather(*(self._read(op) for op in reads))
        # once the reads the list called for are done, the set may be in its tail: an operation
        # past due is then read directly, sooner than the list's next look
        now = self._clock()
        for ops in by_group.values():
            for op in ops:
                if op.future.done() or op.status_due is not None or not self._in_tail(op):
                    continue
                ready_at = self._tail_ready_at(op)
                if ready_at is None:
                    continue
                # ready: at the next turn; not yet: when it is, but never turning faster than
                # the least gap between two reads of one operation (the bar moves as the batch
                # resolves: an operation about to be ready must not keep the scheduler busy)
                soonest = now + (self.min_interval if ready_at <= now else self._status_gap)
                op.due_at = min(op.due_at, max(ready_at, soonest))

    async def _list_round(
        self,
        resource_group: str,
        scale_set_id: str,
        group: tuple[str, str],
        state: _Group,
        due: list[PendingOperation],
    ) -> list[PendingOperation]:
        """Read the pages that hold ``due`` (every page when needed), judge what each page
        shows as it arrives; return the operations whose status the list calls for."""
        started = self._clock()
        wait = self._budget.pages_wait()
        if wait > 0:  # the subscription's list budget: not yet
            for op in due:
                op.due_at = max(op.due_at, started + wait)
            return []
        targets = state.target_pages(op.vm for op in due)
        if targets is not None:
            gap = self._page_gap(due[0])
            fresh = [p for p in targets if started - state.page_read_at.get(p, -1e18) >= gap * 0.999]
            if not fresh:  # every page wanted was read a moment ago: look again once it may be
                soonest = min(state.page_read_at.get(p, started) for p in targets) + gap
                for op in due:
                    op.due_at = max(op.due_at, soonest, started + 0.1 * self.min_interval)
                return []
            targets = fresh
        members = [op for op in self._members.get(group, ()) if not op.future.done()]
        round_ = _ListRound(state, started)
        # the pages this round will read, taken from the budget at once (before any await), so
        # another hub of the subscription sees them spent; a full list that turns out longer
        # takes the rest page by page
        if targets is not None:
            round_.reserved = len(targets)
        elif state.page_links:
            round_.reserved = len(state.page_links)
        else:
            round_.reserved = max(1, -(-max(len(members), state.size or 0) // self.page_size))
        self._budget.reserve_pages(round_.reserved)
        try:
            observer = self.observer
            if isinstance(observer, PagedObserver):
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
            wait = error.retry_after if isinstance(error, ThrottledError) and error.retry_after else 0.0
            _LOGGER.warning("listing scale set %s failed (%s); operations stay pending", scale_set_id, error)
            for op in due:
                if not op.future.done() and op.status_due is None:
                    op.due_at = self._clock() + max(wait, self._jittered(self._hint(op)))
            return round_.to_read
        state.list_failures = 0
        self.stats.lists += 1
        self.stats.pages += round_.pages
        for op in round_.running:
            if not op.future.done() and op.status_due is None:
                op.due_at = self._next_look(op, started)
        now = self._clock()
        for op in due:  # due, but on a page read too recently to read again: once it may be
            if not op.future.done() and op.status_due is None and op.due_at <= now:
                index = state.page_of.get(op.vm.lower())
                read_at = state.page_read_at.get(index, now) if index is not None else now
                op.due_at = max(now + self.min_interval, read_at + self._page_gap(op))
        return round_.to_read

    async def _read_all_pages(
        self,
        observer: PagedObserver,
        resource_group: str,
        scale_set_id: str,
        members: list[PendingOperation],
        round_: _ListRound,
    ) -> None:
        """Every page, judging each page's operations as it arrives; remember which page holds
        which VM; then judge the operations whose VM was on no page."""
        by_name = {op.vm.lower(): op for op in members}
        links: list[str | None] = []
        page_of: dict[str, int] = {}
        read_at: dict[int, float] = {}
        link: str | None = None
        while True:
            if round_.pages >= round_.reserved:
                self._budget.reserve_pages(1)
            page_started = self._clock()
            page = await observer.list_page(resource_group, scale_set_id, link)
            round_.pages += 1
            read_at[len(links)] = page_started
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
        state.page_read_at = read_at
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
        on_page: dict[int, list[PendingOperation]] = {}  # one pass over the members, not one per page
        for op in members:
            where = state.page_of.get(op.vm.lower())
            if where is not None:
                on_page.setdefault(where, []).append(op)
        for index in pages:
            page_started = self._clock()
            page = await observer.list_page(resource_group, scale_set_id, state.page_links[index])
            round_.pages += 1
            state.page_read_at[index] = page_started
            for op in on_page.get(index, ()):
                vm = page.vms.get(op.vm.lower())
                if vm is None:
                    state.stale = True
                    round_.running.append(op)
                else:
                    self._judge(op, vm, page_started, round_)

    def _judge(
        self, op: PendingOperation, vm: Mapping[str, Any] | None, snapshot_at: float, round_: _ListRound
    ) -> None:
        """What one look (a snapshot taken from ``snapshot_at`` on) says about when to read the
        operation's status. Never an outcome, except for an operation Azure gave no status for
        (an eviction), whose VM showing its end state is the only confirmation there is."""
        if op.future.done() or op.status_due is not None:
            return
        if op.accepted_at >= snapshot_at:  # the snapshot may predate this operation
            op.due_at = max(op.due_at, self._clock() + self.min_interval)
            return
        verdict = op.expect.evaluate(vm)
        op.looks += 1
        age = snapshot_at - op.accepted_at
        now = self._clock()
        if verdict == "pending" and op.done_age is None:
            op.running_age = max(age, op.running_age or 0.0)
        if verdict == "done":
            self._note_done(op, age)
            if not op.urls():  # no operation to read: the VM itself is the confirmation
                if vm is None:
                    op.status_due = "fact"  # gone from a full list: confirm with its own 404
                    round_.to_read.append(op)
                else:
                    self._succeed(op, vm, by_fact=True)
                return
            recheck = min(self._hint(op), max(self.min_interval, self.settle_lag))
            if op.last_status_read is None or now - op.last_status_read >= recheck:
                op.status_due = "list"
                round_.to_read.append(op)
                return
        elif verdict == "failed" and age >= self.settle_lag and now >= op.next_status_at:
            op.status_due = "check"
            round_.to_read.append(op)
            return
        if age >= self._bound_age(op) and now >= op.next_status_at:
            op.status_due = "bound"
            round_.to_read.append(op)
            return
        round_.running.append(op)

    # ----------------------------------------------------------------- status reads
    async def _read(self, op: PendingOperation) -> None:
        try:
            async with self._status_slots:
                if op.future.done():
                    return
                if op.confirming or not op.urls():
                    await self._read_fact(op)
                else:
                    await self._read_status(op)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug must not strand the operation: look again later
            _LOGGER.exception("reading the status of %s failed", op.operation)
            op.due_at = self._clock() + self._jittered(self._hint(op))

    def _back_off(self, op: PendingOperation, at_least: float = 0.0) -> None:
        """Read again later: a growing wait (never more than ``max_backoff``), or Azure's own."""
        wait = min(self.max_backoff, self.min_interval * (2 ** min(op.read_errors, 10)))
        op.due_at = self._clock() + self._jittered(max(at_least, wait))

    async def _read_status(self, op: PendingOperation) -> None:
        url, location = op.urls()[0]
        reason = op.status_due or "hint"
        op.status_due = None
        started = self._clock()
        self.stats.polls += 1
        self.stats.poll_reasons[reason] += 1
        op.status_reads += 1
        op.last_status_read = started
        try:
            status = await self.observer.operation_status(url, location=location)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._status_unreadable(op, url, exc)
            return
        op.read_errors = 0
        hint = bounded_wait(status.retry_after, cap=self.hint_cap)
        if status.state == "InProgress":
            if hint:
                op.retry_after = hint
            # a tail read that found its operation running: the others of its age wait as long
            # as Azure asked this one to (else each would be read as it crosses the bar, in vain)
            self._note_running(op, started - op.accepted_at, wait=self._hint(op) if reason == "tail" else 0.0)
            op.next_status_at = self._clock() + self._hint(op)
            if self._listed(op):
                op.due_at = self._next_look(op, started)
            else:
                op.due_at = self._clock() + self._jittered(self._next_hint_wait(op, started))
            return
        if status.state == "Succeeded":
            # a tail read's age says when the bar let it be read, not how long it took: it
            # would move the bar with the ages
            self._note_done(op, started - op.accepted_at, timed=reason != "tail")
            op.result = status.resource
            if op.expect.hibernated:
                op.confirming = True
                op.due_at = self._clock()
                return
            self._succeed(op, status.resource)
            return
        self.stats.resolved_by_status += 1
        op.future.set_exception(
            from_error_body(
                dict(status.error or {}), operation=op.operation, correlation_id=status.correlation_id
            )
        )

    def _next_hint_wait(self, op: PendingOperation, started: float) -> float:
        """For an operation only its status tells about: Azure's hint, or (when the batch's
        operations have been seen to take longer) until this one reaches the shortest of them."""
        wait = self._hint(op)
        shortest = self._shortest_for(op)
        if shortest is not None and self.mode != "poll":
            wait = max(wait, op.accepted_at + 0.9 * shortest - started)
        return wait

    def _status_unreadable(self, op: PendingOperation, url: str, exc: BaseException) -> None:
        """A status read answered something that is not the status: never an outcome."""
        error = exc if isinstance(exc, FlexError) else from_azure_error(exc, operation=op.operation)
        if isinstance(error, ThrottledError):
            wait = bounded_wait(error.retry_after, cap=self.hint_cap) or 0.0
            op.due_at = self._clock() + self._jittered(max(wait, self._hint(op)))
            op.status_due = op.status_due or "hint"
            return
        status = getattr(error, "status", None)
        if status in (401, 403):  # a credential or permission problem does not fix itself
            op.future.set_exception(error)
            return
        if isinstance(error, StatusUnreadable) and error.gone:
            op.dead_urls.add(url)
            _LOGGER.info("%s: %s no longer knows the operation", op.operation, "a status URL")
            op.status_due = "fact" if not op.urls() else "hint"
            if not op.urls() and not (op.expect.deleted or op.expect.gone_ok):
                op.future.set_exception(
                    AzureOperationError(
                        op.operation,
                        code="OperationStatusNotFound",
                        status=404,
                        message="Azure no longer knows this operation (its status URLs answer 404), "
                        "so its outcome cannot be confirmed",
                        remedy="Check the VM's state, then run the operation again: it is idempotent.",
                    )
                )
                return
            op.due_at = self._clock() + self.min_interval
            return
        op.read_errors += 1
        if op.location_url and op.status_url:
            op.prefer_location = not op.prefer_location  # the other URL may answer
        op.status_due = op.status_due or "hint"
        _LOGGER.info("%s: status read failed (%s); reading again", op.operation, error)
        self._back_off(op)

    # ----------------------------------------------------------------- facts
    async def _read_fact(self, op: PendingOperation) -> None:
        """Facts that cannot be stale: the VM's own 404 (deletes, evictions) and its leftovers',
        or its hibernation state once Azure said the deallocation succeeded."""
        op.status_due = None
        self.stats.fact_reads += 1
        try:
            vm = await self.observer.read_vm(op.resource_group, op.vm)
            if vm is None and op.leftovers and (op.expect.deleted or op.expect.gone_ok):
                remaining = [rid for rid in op.leftovers if await self.observer.exists(rid)]
            else:
                remaining = []
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = exc if isinstance(exc, FlexError) else from_azure_error(exc, operation=op.operation)
            if getattr(error, "status", None) in (401, 403):
                op.future.set_exception(error)
                return
            op.read_errors += 1
            wait = error.retry_after if isinstance(error, ThrottledError) and error.retry_after else 0.0
            self._back_off(op, at_least=bounded_wait(wait, cap=self.hint_cap) or 0.0)
            return
        op.read_errors = 0
        if op.confirming:  # the status said Succeeded: is the VM hibernated?
            state = hibernation_state(vm) if vm is not None else None
            if state == "hibernated":
                self._succeed(op, op.result, by_fact=False)
                return
            self._fact_not_yet(
                op,
                code="HibernationNotConfirmed",
                message=(
                    "Azure says the deallocation succeeded, but the VM's instance view shows no "
                    f"HibernationState/Hibernated (it shows {state or 'no hibernation state'})"
                ),
                remedy="Check that hibernation is enabled on the VM (additionalCapabilities."
                "hibernationEnabled) and supported by its size and image.",
            )
            return
        if vm is None:
            if remaining:
                self._fact_not_yet(
                    op,
                    code="LeftoversRemain",
                    message=f"the VM is gone but {len(remaining)} resource(s) its deletion takes with it "
                    f"remain: {', '.join(r.rsplit('/', 1)[-1] for r in remaining[:5])}",
                    remedy="Delete the remaining resources (or run the scale set's teardown, which "
                    "sweeps them).",
                )
                return
            self._succeed(op, None, by_fact=True)
            return
        if op.expect.gone_ok and op.expect.evaluate(vm) == "done":
            self._succeed(op, vm, by_fact=True)
            return
        # The VM is still there: it is not gone yet. Keep looking (the deadline ends the wait).
        op.due_at = self._clock() + self._jittered(self._hint(op))

    def _fact_not_yet(self, op: PendingOperation, *, code: str, message: str, remedy: str) -> None:
        op.fact_checks += 1
        if op.fact_checks >= _FACT_CHECKS:
            op.future.set_exception(
                AzureOperationError(op.operation, code=code, message=message, remedy=remedy)
            )
            return
        op.status_due = "fact"
        # growing waits (about 3.5 minutes over the checks at a 10 s hint): Azure removes what a
        # deletion takes with it, and shows a hibernation, some time after the VM itself
        op.due_at = self._clock() + self._jittered(self._hint(op) * 1.5 ** (op.fact_checks - 1))

    def _succeed(self, op: PendingOperation, resource: Any, *, by_fact: bool = False) -> None:
        if op.future.done():
            return
        if op.done_age is not None:  # about how long it took: between the last look that
            # showed it running and the first that showed it done, when they were close enough
            # (within half its age) to say; else the first that showed it done (an upper bound)
            took = op.done_age
            if op.running_age is not None and took - op.running_age <= 0.5 * took:
                took = (took + op.running_age) / 2
            bisect.insort(self._done_ages.setdefault((op.kind, op.group), []), took)
        if by_fact:
            self.stats.resolved_by_fact += 1
        else:
            self.stats.resolved_by_status += 1
        op.future.set_result(resource)
