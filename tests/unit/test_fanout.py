"""The fan-out executor against a fake Azure: an outcome per VM only once its operation's status
(or a fact that cannot be stale) says so, few observation requests, retryable re-issues,
re-queues after long Retry-Afters, deadline, cancellation.

The fake Azure is eventually consistent on purpose: a VM shows an accepted change only after a
lag, list reads may be a round stale, a failed operation may leave its VM untouched, and status
answers may be lost. Time is a discrete-event virtual clock: sleeping costs nothing, and time
moves to the next timer once every task waits."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import random
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from flexvmss._errors import (
    ConflictError,
    DeadlineExceededError,
    ThrottledError,
    TransportError,
)
from flexvmss._fanout import (
    BatchFailedError,
    BatchResult,
    Expectation,
    FanOut,
    HubPolling,
    ListPage,
    ObservationHub,
    OperationStatus,
    Outcome,
    SkipVm,
    StatusUnreadable,
    as_expectation,
    batch_succeeded,
    merge_results,
)
from flexvmss._fanout._observer import status_from_response
from flexvmss._pipeline import retryable_lro
from flexvmss._runtime import DEFAULT_RUNTIME, Runtime

RG = "rg"
SET_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"
T = TypeVar("T")


class EventClock:
    """Virtual time: ``sleep(s)`` waits until the clock reaches ``now + s``; :meth:`run` drives
    the clock, moving it to the next timer whenever no task of the loop is ready to run."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + seconds, next(self._seq), future))
        await future

    def runtime(self, **fields: Any) -> Runtime:
        return Runtime(clock=self, sleep=self.sleep, **fields)

    async def _drive(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            for _ in range(200):
                await asyncio.sleep(0)
                if not loop._ready:  # type: ignore[attr-defined]  # every other task waits
                    break
            while self._timers and self._timers[0][2].done():
                heapq.heappop(self._timers)
            if not self._timers:
                continue
            at = self._timers[0][0]
            self.now = max(self.now, at)
            while self._timers and self._timers[0][0] <= self.now:
                _, _, future = heapq.heappop(self._timers)
                if not future.done():
                    future.set_result(None)

    async def run(self, awaitable: Awaitable[T]) -> T:
        driver = asyncio.ensure_future(self._drive())
        try:
            return await awaitable
        finally:
            driver.cancel()
            await asyncio.gather(driver, return_exceptions=True)


@pytest.fixture
def clock() -> EventClock:
    return EventClock()


class FakeHttpResponse:
    def __init__(self, status: int, headers: dict[str, str], body: Any = None) -> None:
        self.status_code = status
        self.headers = headers
        self._text = json.dumps(body) if body is not None else ""

    def text(self) -> str:
        return self._text

    def json(self) -> Any:
        return json.loads(self._text)


@dataclass
class FakePipelineResponse:
    http_response: FakeHttpResponse


@dataclass
class Plan:
    """What happens to one VM: per attempt, an initial error, or an LRO duration and error code."""

    durations: list[float] = field(default_factory=lambda: [10.0])
    fail_codes: list[str | None] = field(default_factory=lambda: [None])
    initial_errors: list[Exception] = field(default_factory=list)
    never_ends: bool = False


@dataclass
class FakeOp:
    vm: str
    url: str
    start: float
    done_at: float
    code: str | None
    never_ends: bool
    before: tuple[str, str]  # (provisioning, power) before the operation

    def done(self, now: float) -> bool:
        return not self.never_ends and now >= self.done_at

    def succeeded(self, now: float) -> bool:
        return self.done(now) and self.code is None


class FakeAzure:
    """Scale-set VMs, their operations and every read the hub makes, with request counts.

    Eventually consistent as configured: ``lag`` (a VM shows an accepted change only that
    long after the 202), ``stale`` (the chance a list page is answered as it was last time),
    ``leaves_state`` (a failed operation leaves the VM as it was), ``lose`` (the chance a status
    read's answer is lost: it raises a TransportError), ``target`` (the power state an
    operation leaves the VM in; None: unchanged, like a restart)."""

    def __init__(
        self,
        clock: EventClock,
        names: list[str],
        *,
        power: str = "running",
        target: str | None = "deallocated",
        lag: float = 0.0,
        stale: float = 0.0,
        leaves_state: bool = False,
        lose: float = 0.0,
        page_size: int = 100,
        hint: float = 10.0,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self.names = list(names)
        self.power = {n.lower(): power for n in names}
        self.plans: dict[str, Plan] = {}
        self.ops: dict[str, FakeOp] = {}
        self.latest: dict[str, FakeOp] = {}
        self.attempts: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.in_flight_initial = 0
        self.max_in_flight_initial = 0
        self.list_errors: list[Exception] = []
        self.status_errors: dict[str, list[Exception]] = {}
        self.forgotten: set[str] = set()
        self.deleted: set[str] = set()
        self.hibernated: set[str] = set()
        self.leftovers: dict[str, set[str]] = {}
        self.target = target
        self.lag = lag
        self.stale = stale
        self.leaves_state = leaves_state
        self.lose = lose
        self.page_size = page_size
        self.hint = hint
        self.rng = random.Random(seed)
        self._last_page: dict[str | None, ListPage] = {}
        self.hibernate = False

    # ------------------------------------------------------------------ truth
    def vm_json(self, name: str) -> dict[str, Any] | None:
        """The VM as a read shows it now (lag and failed-operation behaviour applied)."""
        key = name.lower()
        now = self.clock.now
        op = self.latest.get(key)
        state, power = "Succeeded", self.power[key]
        if op is not None:
            if now < op.start + self.lag:
                state, power = op.before
            elif not op.done(now):
                state = "Deleting" if self.target == "deleted" else "Updating"
                power = {"deallocated": "deallocating", "stopped": "stopping", "running": "starting"}.get(
                    self.target or "", op.before[1]
                )
            elif op.code is None:
                if self.target == "deleted":
                    return None
                state, power = "Succeeded", self.target or op.before[1]
            elif self.leaves_state:
                state, power = op.before
            else:
                state, power = "Failed", op.before[1]
        if key in self.deleted:
            return None
        statuses = [{"code": f"ProvisioningState/{state.lower()}"}, {"code": f"PowerState/{power}"}]
        if key in self.hibernated and op is not None and op.succeeded(now):
            statuses.append({"code": "HibernationState/Hibernated"})
        return {
            "name": name,
            "properties": {"provisioningState": state, "instanceView": {"statuses": statuses}},
        }

    def succeeded_at(self, name: str, now: float) -> bool:
        op = self.latest.get(name.lower())
        return op is not None and op.succeeded(now)

    def failed_at(self, name: str, now: float) -> bool:
        op = self.latest.get(name.lower())
        return op is not None and op.done(now) and op.code is not None

    # ------------------------------------------------------------------ the action
    async def begin(self, name: str, polling: HubPolling) -> Any:
        """What a ``begin_deallocate(..., polling=polling)`` + ``result()`` does."""
        plan = self.plans.get(name, Plan())
        attempt = self.attempts[name]
        self.attempts[name] += 1
        self.calls["action"] += 1
        self.in_flight_initial += 1
        self.max_in_flight_initial = max(self.max_in_flight_initial, self.in_flight_initial)
        try:
            await self.clock.sleep(0.05)  # the initial request's round trip
        finally:
            self.in_flight_initial -= 1
        if plan.initial_errors:
            raise plan.initial_errors.pop(0)
        index = min(attempt, len(plan.durations) - 1)
        key = name.lower()
        url = f"https://emu/ops/{name}-{attempt}"
        view = self.vm_json(name) or {"properties": {"provisioningState": "Succeeded"}}
        before = (
            str(view["properties"]["provisioningState"]),
            self.power[key] if self.latest.get(key) is None else self._settled_power(key),
        )
        op = FakeOp(
            name, url, self.clock.now, self.clock.now + plan.durations[index], plan.fail_codes[index],
            plan.never_ends, before,
        )  # fmt: skip
        self.ops[url] = op
        self.latest[key] = op
        if self.hibernate:
            self.hibernated.add(key)
        location = url.replace("/ops/", "/opresults/") + "?monitor=true"
        headers = {"Azure-AsyncOperation": url, "Location": location, "Retry-After": str(self.hint)}
        polling.initialize(None, FakePipelineResponse(FakeHttpResponse(202, headers)), None)
        await polling.run()
        return polling.resource()

    def _settled_power(self, key: str) -> str:
        op = self.latest[key]
        if op.succeeded(self.clock.now):
            return self.target or op.before[1]
        return op.before[1]

    # ------------------------------------------------------------------ the Observer protocol
    async def list_vms(self, resource_group: str, scale_set_id: str) -> dict[str, Any]:
        raise AssertionError("the fake is read page by page")

    async def list_page(self, resource_group: str, scale_set_id: str, link: str | None) -> ListPage:
        self.calls["list"] += 1
        await asyncio.sleep(0)
        if self.list_errors:
            raise self.list_errors.pop(0)
        last = self._last_page.get(link)
        if last is not None and self.rng.random() < self.stale:
            self.calls["stale"] += 1
            return last
        start = int(link.rsplit("=", 1)[1]) if link else 0
        alive = [n for n in self.names if self.vm_json(n) is not None]
        chunk = alive[start : start + self.page_size]
        vms = {n.lower(): self.vm_json(n) for n in chunk}
        more = start + self.page_size < len(alive)
        page = ListPage(vms, f"https://emu/list?skip={start + self.page_size}" if more else None)  # type: ignore[arg-type]
        self._last_page[link] = page
        return page

    async def operation_status(self, url: str, *, location: bool) -> OperationStatus:
        self.calls["poll"] += 1
        self.calls["poll_location" if location else "poll_async"] += 1
        await asyncio.sleep(0)
        base = url.split("?", 1)[0]
        queued = self.status_errors.get(base)
        if queued:
            raise queued.pop(0)
        if base in self.forgotten:
            raise StatusUnreadable("read operation status", status=404, code="NotFound", message="unknown")
        if self.lose and self.rng.random() < self.lose:
            raise TransportError("read operation status", code="ServiceResponseError", message="lost")
        op = self.ops[base.replace("/opresults/", "/ops/")]
        now = self.clock.now
        if not op.done(now):
            return OperationStatus("InProgress", retry_after=30.0)
        if op.code is None:
            return OperationStatus("Succeeded")
        return OperationStatus(
            "Failed",
            error={"code": op.code, "message": f"{op.code} happened to {op.vm}"},
            correlation_id=f"corr-{op.vm}",
        )

    async def read_vm(self, resource_group: str, name: str) -> dict[str, Any] | None:
        self.calls["read_vm"] += 1
        await asyncio.sleep(0)
        return self.vm_json(name)

    async def exists(self, resource_id: str) -> bool:
        self.calls["exists"] += 1
        await asyncio.sleep(0)
        return any(resource_id in ids for ids in self.leftovers.values())


class Audit:
    """Every 'done'/'failed' event checked against the truth at the moment it was reported."""

    def __init__(self, azure: FakeAzure) -> None:
        self.azure = azure
        self.false_successes: list[str] = []
        self.false_failures: list[str] = []

    def __call__(self, event: Any) -> None:
        now = self.azure.clock.now
        if event.kind == "done" and not self.azure.succeeded_at(event.vm, now):
            self.false_successes.append(event.vm)
        if event.kind == "failed" and not self.azure.failed_at(event.vm, now):
            self.false_failures.append(f"{event.vm}: {event.detail}")


def fanout(azure: FakeAzure, clock: EventClock, **kwargs: Any) -> FanOut:
    kwargs.setdefault("default_interval", 5.0)
    return FanOut(None, observer=azure, runtime=clock.runtime(), **kwargs)


async def run(
    engine: FanOut, azure: FakeAzure, names: list[str], *, clock: EventClock, **kwargs: Any
) -> BatchResult:
    return await clock.run(
        engine.run(
            kwargs.pop("operation", "deallocate"),
            names,
            kwargs.pop("begin", azure.begin),
            expect=kwargs.pop("expect", Expectation.power("deallocated")),
            scale_set_id=kwargs.pop("scale_set_id", SET_ID),
            resource_group=RG,
            **kwargs,
        )
    )


NAMES = [f"web_{i:04x}" for i in range(50)]


# ----------------------------------------------------------------------------- confirmed outcomes


async def test_each_vm_is_confirmed_by_one_status_read_scheduled_by_a_few_list_pages(clock):
    azure = FakeAzure(clock, NAMES, page_size=10)
    audit = Audit(azure)
    engine = fanout(azure, clock, concurrency=20, on_event=audit)
    result = await run(engine, azure, NAMES, clock=clock)
    assert result.succeeded == NAMES and result.ok
    assert audit.false_successes == [] and audit.false_failures == []
    assert azure.calls["poll"] == len(NAMES)  # one status read each, when the list showed it done
    assert azure.calls["list"] <= 0.3 * len(NAMES)
    assert engine.hub is not None and engine.hub.stats.resolved_by_status == len(NAMES)
    assert all(
        r.attempts == 1 and r.duration is not None and r.duration >= 10 for r in result.results.values()
    )


async def test_a_few_vms_are_read_through_their_status_only(clock):
    names = NAMES[:3]
    azure = FakeAzure(clock, names)
    result = await run(fanout(azure, clock), azure, names, clock=clock)
    assert result.succeeded == names
    assert azure.calls["list"] == 0
    assert azure.calls["poll"] >= 3


async def test_a_vm_that_looks_done_is_not_reported_until_its_status_says_so(clock):
    """The list shows the end state (the VM was already deallocated, or Azure shows the state
    before the operation completes) while the operation still runs."""
    azure = FakeAzure(clock, NAMES[:12], power="deallocated", page_size=5)
    for name in azure.names:
        azure.plans[name] = Plan(durations=[60.0])
    audit = Audit(azure)
    result = await run(fanout(azure, clock, observe="list", on_event=audit), azure, azure.names, clock=clock)
    assert result.ok
    assert audit.false_successes == []
    assert all(r.duration is not None and r.duration >= 60 for r in result.results.values())


async def test_a_failed_operation_that_left_its_vm_untouched_is_reported_failed(clock):
    azure = FakeAzure(clock, NAMES[:12], leaves_state=True)
    azure.plans[NAMES[3]] = Plan(durations=[20.0], fail_codes=["AllocationFailed"])
    audit = Audit(azure)
    result = await run(fanout(azure, clock, observe="list", on_event=audit), azure, azure.names, clock=clock)
    assert result.failed == [NAMES[3]]
    assert result.results[NAMES[3]].error.code == "AllocationFailed"
    assert audit.false_successes == [] and audit.false_failures == []


@pytest.mark.parametrize("fails", [False, True])
async def test_an_operation_whose_end_state_is_its_start_state_is_confirmed_by_its_status(clock, fails):
    """A restart: the VM is running before and after, so the list cannot tell; a failed restart
    that leaves the VM running is still reported failed."""
    azure = FakeAzure(clock, NAMES[:20], target=None, leaves_state=True)
    if fails:
        azure.plans[NAMES[5]] = Plan(durations=[30.0], fail_codes=["InternalExecutionError"] * 3)
    audit = Audit(azure)
    result = await run(
        fanout(azure, clock, on_event=audit),
        azure,
        azure.names,
        clock=clock,
        operation="restart",
        expect=None,
    )
    assert audit.false_successes == [] and audit.false_failures == []
    assert azure.calls["list"] == 0  # a look at the VM cannot tell: only the status is read
    assert result.failed == ([NAMES[5]] if fails else [])


@pytest.mark.parametrize("observe", ["list", "poll"])
async def test_errors_are_attached_to_their_own_vm_whatever_the_completion_order(clock, observe):
    names = NAMES[:12]
    azure = FakeAzure(clock, names)
    # Later VMs fail sooner, so completion order is the reverse of issue order.
    for i, name in enumerate(names):
        code = ("AllocationFailed", "SkuNotAvailable")[i % 2] if i % 3 == 0 else None
        azure.plans[name] = Plan(durations=[100.0 - i * 7], fail_codes=[code])
    result = await run(fanout(azure, clock, observe=observe), azure, names, clock=clock)
    failing = [n for i, n in enumerate(names) if i % 3 == 0]
    assert result.failed == failing
    for name in failing:
        error = result.results[name].error
        assert error is not None
        assert error.azure_message == f"{error.code} happened to {name}"
        assert error.correlation_id == f"corr-{name}"
    assert sorted(result.succeeded + result.failed) == sorted(names)


@pytest.mark.parametrize("seed", range(6))
async def test_stale_lagged_and_lost_reads_never_produce_a_false_outcome(clock, seed):
    """Visibility lag, stale list pages, failed operations that leave the VM as it was, and a
    third of the status answers lost: every VM reported succeeded had succeeded when it was
    reported, every VM reported failed had failed."""
    rng = random.Random(seed)
    names = [f"vm_{i:03d}" for i in range(60)]
    azure = FakeAzure(clock, names, lag=4.0, stale=0.5, leaves_state=True, lose=0.33, page_size=8, seed=seed)
    for name in names:
        code = rng.choice(["AllocationFailed", "InternalExecutionError"]) if rng.random() < 0.15 else None
        azure.plans[name] = Plan(durations=[rng.uniform(20, 80)], fail_codes=[code])
    audit = Audit(azure)
    result = await run(fanout(azure, clock, concurrency=16, on_event=audit), azure, names, clock=clock)
    assert audit.false_successes == []
    assert audit.false_failures == []
    assert not result.not_started and not result.cancelled
    for name in names:
        assert (name in result.succeeded) == azure.succeeded_at(name, clock.now)


async def test_lost_status_answers_never_fail_a_vm_that_did_deallocate(clock):
    """Most status answers lost: the hub reads again (alternating between the operation's two
    URLs), for as long as it takes; nothing is reported failed for a read it could not make."""
    azure = FakeAzure(clock, NAMES[:3], lose=0.85, seed=3)
    result = await run(fanout(azure, clock), azure, azure.names, clock=clock)
    assert result.succeeded == azure.names
    assert azure.calls["poll_location"] > 0 and azure.calls["poll_async"] > 0


async def test_a_status_url_that_forgot_the_operation_is_read_through_the_other_one(clock):
    azure = FakeAzure(clock, NAMES[:2])
    azure.forgotten = {f"https://emu/ops/{NAMES[0]}-0"}
    result = await run(fanout(azure, clock), azure, azure.names, clock=clock)
    assert result.succeeded == azure.names
    assert azure.calls["poll_location"] >= 1


async def test_a_delete_whose_status_is_gone_is_confirmed_by_the_vm_s_404_and_its_leftovers(clock):
    names = NAMES[:2]
    azure = FakeAzure(clock, names, target="deleted")
    # both status URLs of every operation forgot it: only facts can confirm the deletion
    azure.forgotten = {f"https://emu/{kind}/{n}-0" for n in names for kind in ("ops", "opresults")}
    nic = f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/{names[1]}-nic"
    azure.leftovers = {names[1]: {nic}}
    engine = fanout(azure, clock)

    async def nic_goes_later() -> None:
        await clock.sleep(80.0)
        azure.leftovers = {}

    result, _ = await clock.run(
        asyncio.gather(
            engine.run(
                "delete", names, azure.begin, expect="deleted", scale_set_id=SET_ID, resource_group=RG,
                leftovers={names[0]: (), names[1]: (nic,)},
            ),
            nic_goes_later(),
        )
    )  # fmt: skip
    assert result.succeeded == names
    assert result.results[names[1]].finished_at is not None
    assert result.results[names[1]].finished_at >= 80.0  # not before its NIC was gone
    assert azure.calls["exists"] >= 2


async def test_a_delete_whose_leftover_never_goes_is_reported_failed(clock):
    names = NAMES[:1]
    azure = FakeAzure(clock, names, target="deleted")
    azure.forgotten = {f"https://emu/{kind}/{names[0]}-0" for kind in ("ops", "opresults")}
    nic = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/stuck"
    azure.leftovers = {names[0]: {nic}}
    result = await run(
        fanout(azure, clock), azure, names, clock=clock, operation="delete", expect="deleted",
        leftovers={names[0]: (nic,)},
    )  # fmt: skip
    assert result.failed == names
    assert result.results[names[0]].error.code == "LeftoversRemain"


async def test_a_vm_pending_in_the_list_past_the_bound_gets_its_status_read(clock):
    """The list keeps showing a VM in transition (stuck stale): its status is read once the
    operation is older than the bound, and Azure's answer ends it."""
    azure = FakeAzure(clock, NAMES[:12], page_size=50)
    for name in azure.names:
        azure.plans[name] = Plan(durations=[30.0])
    frozen = {n.lower(): azure.vm_json(n) for n in azure.names}

    def still_in_transition(name: str) -> dict[str, Any]:
        return {
            "name": name,
            "properties": {
                "provisioningState": "Updating",
                "instanceView": {"statuses": [{"code": "PowerState/deallocating"}]},
            },
        }

    real = azure.vm_json
    azure.vm_json = lambda name: still_in_transition(name) if name.lower() in frozen else real(name)  # type: ignore[method-assign]
    engine = fanout(azure, clock, observe="list")
    result = await run(engine, azure, azure.names, clock=clock)
    assert result.ok
    assert engine.hub is not None and engine.hub.stats.poll_reasons["bound"] >= len(azure.names)
    assert all(r.duration is not None and r.duration >= 120.0 for r in result.results.values())


@pytest.mark.parametrize("hibernates", [True, False])
async def test_hibernation_is_confirmed_by_the_instance_view(clock, hibernates):
    names = NAMES[:2]
    azure = FakeAzure(clock, names)
    azure.hibernate = hibernates
    result = await run(
        fanout(azure, clock),
        azure,
        names,
        clock=clock,
        expect=Expectation.power("deallocated", hibernated=True),
    )
    if hibernates:
        assert result.succeeded == names
    else:
        assert result.failed == names
        assert {r.error.code for r in result.results.values()} == {"HibernationNotConfirmed"}
    assert azure.calls["read_vm"] >= 2


async def test_an_eviction_without_an_operation_is_confirmed_by_the_vm_itself(clock):
    """Simulated eviction: Azure answers 204 and gives no operation; the VM showing itself
    deallocated (or gone) is the confirmation."""
    names = NAMES[:3]
    azure = FakeAzure(clock, names)

    async def evict(name: str, polling: HubPolling) -> Any:
        azure.calls["action"] += 1
        op = FakeOp(
            name,
            f"https://emu/ops/{name}",
            clock.now,
            clock.now + 12.0,
            None,
            False,
            ("Succeeded", "running"),
        )
        azure.ops[op.url] = op
        azure.latest[name.lower()] = op
        return await polling.watch()

    audit = Audit(azure)
    result = await run(
        fanout(azure, clock, on_event=audit), azure, names, clock=clock, begin=evict, expect="evicted",
        operation="simulate_eviction",
    )  # fmt: skip
    assert result.succeeded == names
    assert audit.false_successes == []
    assert azure.calls["poll"] == 0 and azure.calls["read_vm"] >= 3


# ----------------------------------------------------------------------------- throttling, deadline


async def test_a_long_retry_after_requeues_the_vm_instead_of_failing_it(clock):
    names = NAMES[:3]
    azure = FakeAzure(clock, names)
    long_wait = ThrottledError(
        "deallocate", retry_after=300.0, scope="write", status=429, code="ClientThrottled"
    )
    azure.plans[names[1]] = Plan(initial_errors=[long_wait])
    events: list[Any] = []
    result = await run(fanout(azure, clock, on_event=events.append), azure, names, clock=clock)
    assert result.succeeded == names
    assert azure.attempts[names[1]] == 2
    assert result.results[names[1]].finished_at is not None and result.results[names[1]].finished_at >= 300.0
    assert any(e.kind == "waiting" and e.vm == names[1] and "re-queued" in e.detail for e in events)


async def test_a_vm_still_requeued_at_the_deadline_is_not_started_not_failed(clock):
    names = NAMES[:2]
    azure = FakeAzure(clock, names)
    long_wait = ThrottledError(
        "deallocate", retry_after=1200.0, scope="write", status=429, code="ClientThrottled"
    )
    azure.plans[names[1]] = Plan(initial_errors=[long_wait])
    result = await run(fanout(azure, clock, deadline=200.0), azure, names, clock=clock)
    assert result.succeeded == [names[0]]
    assert result.not_started == [names[1]]
    assert "throttled" in result.results[names[1]].detail
    assert result.failed == []


async def test_initial_requests_never_exceed_the_concurrency_bound(clock):
    azure = FakeAzure(clock, NAMES)
    result = await run(fanout(azure, clock, concurrency=7), azure, NAMES, clock=clock)
    assert result.ok
    assert azure.max_in_flight_initial == 7


async def test_a_refused_initial_request_fails_only_that_vm(clock):
    names = NAMES[:4]
    azure = FakeAzure(clock, names)
    azure.plans[names[2]] = Plan(
        initial_errors=[ConflictError("deallocate vm x", code="OperationNotAllowed", message="busy")]
    )
    result = await run(fanout(azure, clock), azure, names, clock=clock)
    assert result.failed == [names[2]]
    assert isinstance(result.results[names[2]].error, ConflictError)
    assert result.succeeded == [names[0], names[1], names[3]]


async def test_retryable_lro_failures_are_reissued_and_reported(clock):
    names = NAMES[:3]
    azure = FakeAzure(clock, names)
    azure.plans[names[1]] = Plan(durations=[10.0, 10.0], fail_codes=["RetryableError", None])
    events = []
    result = await run(fanout(azure, clock, on_event=events.append), azure, names, clock=clock)
    assert result.ok
    assert result.results[names[1]].attempts == 2
    assert azure.attempts[names[1]] == 2
    assert any(e.kind == "retrying" and e.vm == names[1] for e in events)


async def test_retryable_failures_stop_after_the_policy_attempts(clock):
    names = NAMES[:1]
    azure = FakeAzure(clock, names)
    azure.plans[names[0]] = Plan(durations=[5.0], fail_codes=["OperationPreempted"])
    result = await run(fanout(azure, clock), azure, names, clock=clock)
    assert result.failed == names
    assert result.results[names[0]].error.code == "OperationPreempted"
    assert azure.attempts[names[0]] == 3


async def test_nic_reservation_is_waited_out_before_reissuing(clock):
    names = NAMES[:1]
    azure = FakeAzure(clock, names)
    azure.plans[names[0]] = Plan(durations=[5.0, 5.0], fail_codes=["NicReservedForAnotherVm", None])
    result = await run(fanout(azure, clock), azure, names, clock=clock)
    assert result.ok
    assert max(clock.sleeps) >= 180.0


async def test_non_retryable_failures_are_not_reissued(clock):
    names = NAMES[:1]
    azure = FakeAzure(clock, names)
    azure.plans[names[0]] = Plan(durations=[5.0], fail_codes=["AllocationFailed"])
    result = await run(fanout(azure, clock), azure, names, clock=clock)
    assert azure.attempts[names[0]] == 1
    assert result.results[names[0]].error.code == "AllocationFailed"


async def test_deadline_stops_issuing_and_reports_truthfully(clock):
    names = NAMES[:10]
    azure = FakeAzure(clock, names)
    for name in names:
        azure.plans[name] = Plan(never_ends=True)
    result = await run(fanout(azure, clock, concurrency=2, deadline=30.0), azure, names, clock=clock)
    assert result.interrupted == "deadline"
    assert not result.succeeded
    started = [n for n in names if azure.attempts[n]]
    assert result.failed == started
    assert all(isinstance(result.results[n].error, DeadlineExceededError) for n in started)
    assert result.not_started == [n for n in names if n not in started]
    with pytest.raises(BatchFailedError):
        result.raise_for_failures()


async def test_cancel_returns_the_partial_result(clock):
    names = NAMES[:6]
    azure = FakeAzure(clock, names)
    for name in names:
        azure.plans[name] = Plan(durations=[1000.0])
    engine = fanout(azure, clock, concurrency=2)

    def on_event(event):
        if event.kind == "started" and event.vm == names[1]:
            engine.cancel()

    engine.on_event = on_event
    result = await run(engine, azure, names, clock=clock)
    assert result.interrupted == "cancelled"
    assert result.cancelled == names[:2]
    assert result.not_started == names[2:]
    assert engine.last_result is result


async def test_task_cancellation_reraises_with_the_partial_result(clock):
    names = NAMES[:4]
    azure = FakeAzure(clock, names)
    for name in names:
        azure.plans[name] = Plan(durations=[1000.0])
    engine = fanout(azure, clock, concurrency=4)
    task = asyncio.ensure_future(run(engine, azure, names, clock=clock))
    while sum(azure.attempts.values()) < 4:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert engine.last_result is not None
    assert engine.last_result.cancelled == names


async def test_a_throttled_list_is_never_taken_as_an_empty_answer(clock):
    names = NAMES[:20]
    azure = FakeAzure(clock, names)
    azure.list_errors = [ThrottledError("list VMs", retry_after=30.0, scope="read", status=429)]
    result = await run(fanout(azure, clock, observe="list"), azure, names, clock=clock)
    assert result.succeeded == names
    assert azure.calls["list"] >= 2


async def test_skipped_vms_send_nothing(clock):
    names = NAMES[:3]
    azure = FakeAzure(clock, names)

    async def begin(name, polling):
        if name == names[0]:
            raise SkipVm("already deallocated")
        return await azure.begin(name, polling)

    result = await run(
        fanout(azure, clock), azure, names, clock=clock, begin=begin, expect="deallocated",
        skip={names[2]: "protected"},
    )  # fmt: skip
    assert result.skipped == [names[0], names[2]]
    assert result.results[names[2]].detail == "protected"
    assert azure.attempts[names[2]] == 0
    assert result.succeeded == [names[1]]
    result.raise_for_failures()  # skipped is not a failure


async def test_events_stream_ends_with_the_batch(clock):
    names = NAMES[:3]
    azure = FakeAzure(clock, names)
    engine = fanout(azure, clock)
    stream = engine.events()
    result = await run(engine, azure, names, clock=clock)
    kinds = [event async for event in stream]
    done = [e for e in kinds if e.kind == "done"]
    assert sorted(e.vm for e in done) == sorted(result.succeeded)
    assert done[-1].done == 3 and done[-1].total == 3


async def test_waits_go_through_the_runtime_sleep_and_time_through_its_clock(clock):
    """A deadline of an hour expires in no real time: the engine, its hub and its re-issues
    only ever slept on the virtual clock."""
    names = NAMES[:3]
    azure = FakeAzure(clock, names)
    for name in names:
        azure.plans[name] = Plan(durations=[7200.0])
    started = clock.now
    result = await run(fanout(azure, clock, deadline=3600.0), azure, names, clock=clock)
    assert result.interrupted == "deadline" and len(result.failed) == 3
    assert clock.now - started >= 3600.0


async def test_cancel_from_another_thread_returns_the_partial_result(clock):
    import threading

    names = NAMES[:6]
    azure = FakeAzure(clock, names)
    for name in names:
        azure.plans[name] = Plan(durations=[1000.0])
    engine = fanout(azure, clock, concurrency=3)

    def on_event(event):
        if event.kind == "started" and event.vm == names[2]:
            threading.Thread(target=engine.cancel).start()

    engine.on_event = on_event
    result = await run(engine, azure, names, clock=clock)
    assert result.interrupted == "cancelled"
    assert set(result.cancelled) >= set(names[:3])
    assert result.cancelled + result.not_started == names


async def test_an_empty_batch_is_an_empty_result(clock):
    azure = FakeAzure(clock, [])
    result = await run(fanout(azure, clock), azure, [], clock=clock)
    assert result.ok and result.results == {} and result.total_requests == 0


# ----------------------------------------------------------------------------- pages cost linear


async def _deallocate_many(
    clock: EventClock, n: int, *, page_size: int = 50
) -> tuple[FakeAzure, BatchResult]:
    """n VMs issued at ARM's write pace (a 200 burst, then 10 a second), lasting 32-48 s."""
    rng = random.Random(n)
    names = [f"vm_{i:05d}" for i in range(n)]
    azure = FakeAzure(clock, names, page_size=page_size, seed=n)
    issued = itertools.count()

    async def paced(name: str, polling: HubPolling) -> Any:
        index = next(issued)
        if index >= 200:
            await clock.sleep(max(0.0, 1000.0 + (index - 200) / 10 - clock.now))
        return await azure.begin(name, polling)

    for name in names:
        azure.plans[name] = Plan(durations=[rng.uniform(32, 48)])
    engine = fanout(azure, clock, concurrency=32, min_interval=0.2, list_page_interval=1.0)
    return azure, await run(engine, azure, names, clock=clock, begin=paced)


@pytest.mark.parametrize("n", [1000, 3000])
async def test_list_pages_per_vm_stay_bounded_as_the_set_grows(clock, n):
    azure, result = await _deallocate_many(clock, n)
    assert result.ok
    assert azure.calls["list"] <= 0.15 * n, azure.calls
    assert azure.calls["poll"] <= 1.05 * n, azure.calls


async def test_two_sets_share_one_list_budget(clock):
    """Two batches on two sets of one subscription draw pages from the same budget: together
    they read no faster than it allows (each set's first full list may borrow its pages)."""
    from flexvmss._pipeline import ThrottleConfig, ThrottleState

    state = ThrottleState(ThrottleConfig(list_share=0.2), clock=clock)
    reads: list[float] = []

    class Recording(FakeAzure):
        async def list_page(self, resource_group: str, scale_set_id: str, link: str | None) -> ListPage:
            reads.append(clock.now)
            return await super().list_page(resource_group, scale_set_id, link)

    async def one(set_name: str) -> BatchResult:
        names = [f"{set_name}_{i:03d}" for i in range(200)]
        azure = Recording(clock, names, page_size=10)
        for name in names:
            azure.plans[name] = Plan(durations=[40.0])
        engine = FanOut(
            None,
            observer=azure,
            runtime=clock.runtime(),
            observe="list",
            default_interval=5.0,
            list_budget=state,
        )
        return await engine.run(
            "deallocate",
            names,
            azure.begin,
            expect="deallocated",
            scale_set_id=SET_ID + set_name,
            resource_group=RG,
        )

    results = await clock.run(asyncio.gather(one("a"), one("b")))
    assert all(r.ok for r in results)
    start = min(reads)
    # a fifth of HighCostGet (300/min): one page a second, after a burst of five and the debt
    # of the two first full lists (20 pages each); with a budget each, they would read twice as fast
    for i, at in enumerate(sorted(reads)):
        assert i + 1 <= 5 + 2 * 20 + (at - start) * 1.0 + 1, (i, at - start)
    assert len(reads) > 5 + 2 * 20 + 20  # long enough a run for the rate to show


async def _deallocate_paced(
    clock: EventClock, observe: str, seed: int
) -> tuple[FakeAzure, BatchResult, FanOut]:
    """200 VMs (20 list pages) issued 10 a second, each lasting 20-30 s, watched under a list
    budget of one page a second: a full list round takes the budget of 20 seconds."""
    rng = random.Random(seed)
    names = [f"vm_{i:03d}" for i in range(200)]
    azure = FakeAzure(clock, names, page_size=10, seed=seed)
    reads: dict[str, list[float]] = {}
    real_status = azure.operation_status

    async def operation_status(url: str, *, location: bool) -> OperationStatus:
        reads.setdefault(url.split("?", 1)[0], []).append(clock.now)
        return await real_status(url, location=location)

    azure.operation_status = operation_status  # type: ignore[method-assign]
    azure.status_reads = reads  # type: ignore[attr-defined]
    issued = itertools.count()

    async def paced(name: str, polling: HubPolling) -> Any:
        await clock.sleep(max(0.0, 1000.0 + next(issued) / 10 - clock.now))
        return await azure.begin(name, polling)

    for name in names:
        azure.plans[name] = Plan(durations=[rng.uniform(20, 30)])
    engine = fanout(
        azure,
        clock,
        concurrency=32,
        min_interval=0.2,
        list_page_interval=1.0,
        observe=observe,
        rng=random.Random(seed),
    )
    result = await run(engine, azure, names, clock=clock, begin=paced)
    return azure, result, engine


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_tail_is_confirmed_by_status_reads_before_the_next_list_round(clock, seed):
    """Once few of a set's operations are pending, those past due have their status read
    directly instead of waiting for the list budget to cover another round: the batch ends
    sooner than with the list alone, on no more requests, every outcome confirmed by its own
    status, no operation's status read faster than Azure's GetOperation allows per resource."""
    azure, result, engine = await _deallocate_paced(clock, "auto", seed)
    listed_azure, listed, _ = await _deallocate_paced(EventClock(), "list", seed)
    assert result.ok and listed.ok
    assert engine.hub is not None and engine.hub.stats.poll_reasons["tail"] > 0
    # the stragglers the list would have confirmed a round later are confirmed at once
    start = 1000.0  # the batches start at the clocks' start
    last_done = max(op.done_at for op in azure.ops.values())
    last_seen = start + max(r.finished_at or 0.0 for r in result.results.values())
    listed_last_done = max(op.done_at for op in listed_azure.ops.values())
    listed_last_seen = start + max(r.finished_at or 0.0 for r in listed.results.values())
    assert last_seen - last_done < 0.5 * (listed_last_seen - listed_last_done), (
        last_seen - last_done,
        listed_last_seen - listed_last_done,
    )
    # no more requests: a status read that finds its operation done is the one read it needs
    spent = azure.calls["list"] + azure.calls["poll"]
    assert spent <= listed_azure.calls["list"] + listed_azure.calls["poll"], (azure.calls, listed_azure.calls)
    assert azure.calls["poll"] <= 1.05 * len(azure.names), azure.calls
    # Get Operation: 15 a minute per resource (compute-throttling-limits, research/k8s-azure-flex.md)
    for times in azure.status_reads.values():  # type: ignore[attr-defined]
        assert all(b - a >= 60.0 for a, b in zip(times, times[15:], strict=False)), times


def test_batch_failed_error_names_each_vm_and_its_code():
    failed = BatchResult("deallocate", {})
    from flexvmss._errors import AzureOperationError
    from flexvmss._fanout import VmResult

    failed.results = {
        "a": VmResult("a", Outcome.SUCCEEDED),
        "b": VmResult(
            "b", Outcome.FAILED, AzureOperationError("deallocate vm b", code="AllocationFailed", message="no")
        ),
    }
    with pytest.raises(BatchFailedError) as caught:
        failed.raise_for_failures()
    assert "b: AllocationFailed: no" in str(caught.value)
    assert caught.value.result is failed
    assert "1 succeeded, 1 failed of 2" in failed.summary()


def test_merge_results_keeps_both_batches():
    first = batch_succeeded("delete", ["a", "b"], started_at=10.0, finished_at=14.0)
    then = BatchResult("delete", {}, requests={"delete": 1}, duration=3.0)
    merged = merge_results(first, then)
    assert merged.succeeded == ["a", "b"]
    assert merged.duration == 7.0
    assert merged.requests["delete"] == 1


@pytest.mark.parametrize(
    ("expect", "vm", "verdict"),
    [
        (Expectation.power("deallocated"), ("Succeeded", "deallocated"), "done"),
        (Expectation.power("deallocated"), ("Updating", "deallocating"), "pending"),
        (Expectation.power("deallocated"), ("Succeeded", "deallocating"), "pending"),
        (Expectation.power("deallocated"), ("Succeeded", "running"), "check"),
        (Expectation.power("deallocated"), ("Failed", "running"), "failed"),
        (Expectation.power("deallocated"), None, "check"),
        (Expectation.gone(), None, "done"),
        (Expectation.gone(), ("Deleting", "running"), "pending"),
        (Expectation.gone(), ("Succeeded", "running"), "check"),
        (Expectation.evicted(), None, "done"),
        (Expectation.evicted(), ("Succeeded", "deallocated"), "done"),
        (Expectation.provisioned(), ("Creating", "starting"), "pending"),
        (Expectation.provisioned(), ("Succeeded", "running"), "done"),
    ],
)
def test_expectation_reads_a_listed_vm(expect, vm, verdict):
    statuses = [] if vm is None else [{"code": f"PowerState/{vm[1]}"}]
    body = (
        None
        if vm is None
        else {"properties": {"provisioningState": vm[0], "instanceView": {"statuses": statuses}}}
    )
    assert expect.evaluate(body) == verdict


def test_expectation_from_the_facade_strings():
    assert as_expectation("deleted") == Expectation.gone()
    assert as_expectation("evicted") == Expectation.evicted()
    assert as_expectation("Deallocated") == Expectation.power("deallocated")
    assert as_expectation(None) == Expectation.provisioned()


@pytest.mark.parametrize(
    ("status", "body", "location", "state"),
    [
        (200, {"status": "InProgress"}, False, "InProgress"),
        (200, {"status": "Succeeded"}, False, "Succeeded"),
        (200, {"status": "Failed", "error": {"code": "X", "message": "m"}}, False, "Failed"),
        (200, {"status": "Canceled"}, False, "Canceled"),
        (202, None, True, "InProgress"),
        (200, None, True, "Succeeded"),
        (204, None, True, "Succeeded"),
        (409, {"error": {"code": "AllocationFailed", "message": "no"}}, True, "Failed"),
    ],
)
def test_operation_status_bodies(status, body, location, state):
    parsed = status_from_response(status, {"retry-after-ms": "1500"}, body, location=location)
    assert parsed.state == state
    if state == "InProgress":
        assert parsed.retry_after == 1.5


@pytest.mark.parametrize(
    ("status", "body", "location", "gone"),
    [
        (404, {"error": {"code": "NotFound", "message": "gone"}}, True, True),
        (404, {"error": {"code": "NotFound", "message": "gone"}}, False, True),
        (500, {"error": {"code": "InternalServerError", "message": "oops"}}, False, False),
        (503, None, True, False),
        (200, {"name": "no status here"}, False, False),
        (200, None, False, False),
    ],
)
def test_a_status_answer_that_is_not_a_status_is_unreadable_never_a_failure(status, body, location, gone):
    with pytest.raises(StatusUnreadable) as caught:
        status_from_response(status, {}, body, location=location)
    assert caught.value.gone is gone


async def test_a_synchronous_answer_needs_no_observation(clock):
    azure = FakeAzure(clock, ["vm1"])
    hub = ObservationHub(azure, clock=clock, sleep=clock.sleep)
    polling = HubPolling(
        hub,
        vm="vm1",
        operation="start vm vm1",
        resource_group=RG,
        scale_set_id=SET_ID,
        expect=Expectation.power("running"),
    )
    polling.initialize(
        None,
        FakePipelineResponse(FakeHttpResponse(200, {}, {"properties": {"provisioningState": "Succeeded"}})),
        None,
    )
    await polling.run()
    assert polling.finished() and polling.status() == "Succeeded"
    assert hub.pending() == []


async def test_a_list_snapshot_older_than_an_operation_does_not_schedule_it(clock):
    azure = FakeAzure(clock, ["vm1"], power="deallocated")  # looks done before the op even starts
    hub = ObservationHub(azure, mode="list", clock=clock, sleep=clock.sleep, default_interval=5.0)
    polling = HubPolling(
        hub, vm="vm1", operation="deallocate vm vm1", resource_group=RG, scale_set_id=SET_ID,
        expect=Expectation.power("deallocated"),
    )  # fmt: skip
    headers = {"Azure-AsyncOperation": "https://emu/ops/x", "Retry-After": "5"}
    clock.now += 1
    polling.initialize(None, FakePipelineResponse(FakeHttpResponse(202, headers)), None)
    op = hub.pending()[0]
    from flexvmss._fanout._observe import _ListRound

    state = hub._groups.setdefault(
        op.group, __import__("flexvmss._fanout._observe", fromlist=["_Group"])._Group()
    )
    round_ = _ListRound(state, started=clock.now - 1)
    hub._judge(op, azure.vm_json("vm1"), clock.now - 1, round_)
    assert round_.to_read == [] and op.status_due is None and not op.future.done()


def test_retryable_lro_is_the_default_policy():
    assert FanOut(None, observer=object()).lro_retry is retryable_lro  # type: ignore[arg-type]


def test_the_engine_runs_on_the_runtime_it_is_given_else_its_clients():
    from flexvmss._arm import ArmSettings, build_clients

    observer: Any = object()
    assert FanOut(None, observer=observer).runtime is DEFAULT_RUNTIME
    assert FanOut(None, observer=observer).observe == "auto"
    polling = Runtime(observe="poll")
    clients = build_clients(ArmSettings("sub", runtime=polling))
    assert FanOut(clients).runtime is polling and FanOut(clients).observe == "poll"
    given = Runtime(observe="list")
    assert FanOut(clients, runtime=given).observe == "list"
    assert FanOut(clients, runtime=given, observe="auto").observe == "auto"  # per engine


def test_a_runtime_refuses_an_unknown_observation_mode():
    with pytest.raises(ValueError, match="observe"):
        Runtime(observe="sometimes")  # type: ignore[arg-type]
