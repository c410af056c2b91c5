"""The fan-out executor against a fake Azure: outcomes per VM, few observation requests,
retryable re-issues, deadline, cancellation. Time is a fake clock advanced by the fake sleep."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from flexvmss._errors import ConflictError, DeadlineExceededError, ThrottledError
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
    PendingOperation,
    SkipVm,
    as_expectation,
    batch_succeeded,
    merge_results,
)
from flexvmss._fanout._observer import _status_from_response
from flexvmss._pipeline import retryable_lro
from flexvmss._runtime import DEFAULT_RUNTIME, Runtime

RG = "rg"
SET_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


    def runtime(self, **fields: Any) -> Runtime:
        """A runtime on this clock, for the engine (nothing global is replaced)."""
        return Runtime(clock=self, sleep=self.sleep, **fields)


@pytest.fixture
def clock():
    return FakeClock()


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
    initial_error: Exception | None = None
    never_ends: bool = False


@dataclass
class FakeOp:
    vm: str
    done_at: float
    code: str | None
    never_ends: bool


class FakeAzure:
    """VMs, operations and the two observation calls, with request counts."""

    def __init__(self, clock: FakeClock, names: list[str], power: str = "running") -> None:
        self.clock = clock
        self.vms: dict[str, dict[str, Any]] = {n.lower(): self._vm(n, "Succeeded", power) for n in names}
        self.plans: dict[str, Plan] = {}
        self.ops: dict[str, FakeOp] = {}
        self.attempts: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.in_flight_initial = 0
        self.max_in_flight_initial = 0
        self.list_errors: list[Exception] = []
        self.target_power = "deallocated"

    @staticmethod
    def _vm(name: str, state: str, power: str) -> dict[str, Any]:
        return {
            "name": name,
            "properties": {
                "provisioningState": state,
                "instanceView": {
                    "statuses": [
                        {"code": f"ProvisioningState/{state.lower()}"},
                        {"code": f"PowerState/{power}"},
                    ]
                },
            },
        }

    def _settle(self) -> None:
        for op in self.ops.values():
            if op.never_ends or op.done_at > self.clock.now:
                continue
            if op.code is None:
                self.vms[op.vm.lower()] = self._vm(op.vm, "Succeeded", self.target_power)
            else:
                self.vms[op.vm.lower()] = self._vm(op.vm, "Failed", "running")

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
        if plan.initial_error is not None:
            raise plan.initial_error
        index = min(attempt, len(plan.durations) - 1)
        url = f"https://emu/ops/{name}-{attempt}"
        self.ops[url] = FakeOp(
            name, self.clock.now + plan.durations[index], plan.fail_codes[index], plan.never_ends
        )
        self.vms[name.lower()] = self._vm(name, "Updating", "deallocating")
        polling.initialize(
            None,
            FakePipelineResponse(FakeHttpResponse(202, {"Azure-AsyncOperation": url, "Retry-After": "5"})),
            None,
        )
        await polling.run()
        return polling.resource()

    # Observer protocol
    async def list_vms(self, resource_group: str, scale_set_id: str) -> dict[str, Any]:
        self.calls["list"] += 1
        await asyncio.sleep(0)
        if self.list_errors:
            raise self.list_errors.pop(0)
        self._settle()
        return {k: dict(v) for k, v in self.vms.items()}

    async def operation_status(self, url: str, *, location: bool) -> OperationStatus:
        self.calls["poll"] += 1
        await asyncio.sleep(0)
        op = self.ops[url]
        if op.never_ends or op.done_at > self.clock.now:
            return OperationStatus("InProgress", retry_after=5.0)
        self._settle()
        if op.code is None:
            return OperationStatus("Succeeded")
        return OperationStatus(
            "Failed",
            error={"code": op.code, "message": f"{op.code} happened to {op.vm}"},
            correlation_id=f"corr-{op.vm}",
        )


def fanout(azure: FakeAzure, clock: FakeClock, **kwargs: Any) -> FanOut:
    kwargs.setdefault("default_interval", 5.0)
    return FanOut(None, observer=azure, runtime=clock.runtime(), **kwargs)


async def run(engine: FanOut, azure: FakeAzure, names: list[str], **kwargs: Any) -> BatchResult:
    return await engine.run(
        "deallocate",
        names,
        azure.begin,
        expect=kwargs.pop("expect", Expectation.power("deallocated")),
        scale_set_id=SET_ID,
        resource_group=RG,
        **kwargs,
    )


NAMES = [f"web_{i:04x}" for i in range(50)]


async def test_many_vms_are_observed_with_a_few_list_calls_not_one_poll_each(clock):
    azure = FakeAzure(clock, NAMES)
    engine = fanout(azure, clock, concurrency=20)
    result = await run(engine, azure, NAMES)
    assert result.succeeded == NAMES
    assert result.ok and not result.failed
    assert azure.calls["poll"] == 0
    assert 1 <= azure.calls["list"] < len(NAMES) / 3  # one request per round for all 50, not one per VM
    assert all(
        r.attempts == 1 and r.duration is not None and r.duration >= 10 for r in result.results.values()
    )


async def test_a_few_vms_are_polled_individually(clock):
    names = NAMES[:3]
    azure = FakeAzure(clock, names)
    result = await run(fanout(azure, clock), azure, names)
    assert result.succeeded == names
    assert azure.calls["list"] == 0
    assert azure.calls["poll"] >= 3


async def test_initial_requests_never_exceed_the_concurrency_bound(clock):
    azure = FakeAzure(clock, NAMES)
    result = await run(fanout(azure, clock, concurrency=7), azure, NAMES)
    assert result.ok
    assert azure.max_in_flight_initial == 7


@pytest.mark.parametrize("observe", ["list", "poll"])
async def test_errors_are_attached_to_their_own_vm_whatever_the_completion_order(clock, observe):
    names = NAMES[:12]
    azure = FakeAzure(clock, names)
    # Later VMs fail sooner, so completion order is the reverse of issue order.
    for i, name in enumerate(names):
        code = ("AllocationFailed", "SkuNotAvailable")[i % 2] if i % 3 == 0 else None
        azure.plans[name] = Plan(durations=[100.0 - i * 7], fail_codes=[code])
    result = await run(fanout(azure, clock, observe=observe), azure, names)
    failing = [n for i, n in enumerate(names) if i % 3 == 0]
    assert result.failed == failing
    for name in failing:
        error = result.results[name].error
        assert error is not None
        assert error.azure_message == f"{error.code} happened to {name}"
        assert error.correlation_id == f"corr-{name}"
    assert sorted(result.succeeded + result.failed) == sorted(names)


async def test_a_refused_initial_request_fails_only_that_vm(clock):
    names = NAMES[:4]
    azure = FakeAzure(clock, names)
    azure.plans[names[2]] = Plan(
        initial_error=ConflictError("deallocate vm x", code="OperationNotAllowed", message="busy")
    )
    result = await run(fanout(azure, clock), azure, names)
    assert result.failed == [names[2]]
    assert isinstance(result.results[names[2]].error, ConflictError)
    assert result.succeeded == [names[0], names[1], names[3]]


async def test_retryable_lro_failures_are_reissued_and_reported(clock):
    names = NAMES[:3]
    azure = FakeAzure(clock, names)
    azure.plans[names[1]] = Plan(durations=[10.0, 10.0], fail_codes=["RetryableError", None])
    events = []
    result = await run(fanout(azure, clock, on_event=events.append), azure, names)
    assert result.ok
    assert result.results[names[1]].attempts == 2
    assert azure.attempts[names[1]] == 2
    assert any(e.kind == "retrying" and e.vm == names[1] for e in events)


async def test_retryable_failures_stop_after_the_policy_attempts(clock):
    names = NAMES[:1]
    azure = FakeAzure(clock, names)
    azure.plans[names[0]] = Plan(durations=[5.0], fail_codes=["OperationPreempted"])
    result = await run(fanout(azure, clock), azure, names)
    assert result.failed == names
    assert result.results[names[0]].error.code == "OperationPreempted"
    assert azure.attempts[names[0]] == 3


async def test_nic_reservation_is_waited_out_before_reissuing(clock):
    names = NAMES[:1]
    azure = FakeAzure(clock, names)
    azure.plans[names[0]] = Plan(durations=[5.0, 5.0], fail_codes=["NicReservedForAnotherVm", None])
    result = await run(fanout(azure, clock), azure, names)
    assert result.ok
    assert max(clock.sleeps) >= 180.0


async def test_non_retryable_failures_are_not_reissued(clock):
    names = NAMES[:1]
    azure = FakeAzure(clock, names)
    azure.plans[names[0]] = Plan(durations=[5.0], fail_codes=["AllocationFailed"])
    result = await run(fanout(azure, clock), azure, names)
    assert azure.attempts[names[0]] == 1
    assert result.results[names[0]].error.code == "AllocationFailed"


async def test_deadline_stops_issuing_and_reports_truthfully(clock):
    names = NAMES[:10]
    azure = FakeAzure(clock, names)
    for name in names:
        azure.plans[name] = Plan(never_ends=True)
    result = await run(fanout(azure, clock, concurrency=2, deadline=30.0), azure, names)
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
    result = await run(engine, azure, names)
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
    task = asyncio.ensure_future(run(engine, azure, names))
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
    result = await run(fanout(azure, clock, observe="list"), azure, names)
    assert result.succeeded == names
    assert azure.calls["list"] >= 2


async def test_skipped_vms_send_nothing(clock):
    names = NAMES[:3]
    azure = FakeAzure(clock, names)

    async def begin(name, polling):
        if name == names[0]:
            raise SkipVm("already deallocated")
        return await azure.begin(name, polling)

    result = await fanout(azure, clock).run(
        "deallocate",
        names,
        begin,
        expect="deallocated",
        scale_set_id=SET_ID,
        resource_group=RG,
        skip={names[2]: "protected"},
    )
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
    result = await run(engine, azure, names)
    kinds = [event async for event in stream]
    done = [e for e in kinds if e.kind == "done"]
    assert sorted(e.vm for e in done) == sorted(result.succeeded)
    assert done[-1].done == 3 and done[-1].total == 3


async def test_a_list_snapshot_older_than_an_operation_does_not_resolve_it(clock):
    azure = FakeAzure(clock, ["vm1"], power="deallocated")  # looks done before the op even starts
    hub = ObservationHub(azure, mode="list", clock=clock, sleep=clock.sleep, default_interval=5.0)
    loop = asyncio.get_running_loop()
    op = PendingOperation(
        vm="vm1",
        operation="deallocate vm vm1",
        resource_group=RG,
        scale_set_id=SET_ID,
        expect=Expectation.power("deallocated"),
        status_url="https://emu/ops/x",
        location=False,
        accepted_at=clock.now + 1,
        retry_after=5.0,
        due_at=clock.now,
        future=loop.create_future(),
    )
    hub._ops.append(op)
    to_poll = await hub._list_round(RG, SET_ID, op.group, [op])
    assert to_poll == [] and not op.future.done()


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
        (Expectation.power("deallocated"), ("Succeeded", "deallocated"), "succeeded"),
        (Expectation.power("deallocated"), ("Updating", "deallocating"), "pending"),
        (Expectation.power("deallocated"), ("Succeeded", "deallocating"), "pending"),
        (Expectation.power("deallocated"), ("Succeeded", "running"), "check"),
        (Expectation.power("deallocated"), ("Failed", "running"), "check"),
        (Expectation.power("deallocated"), None, "check"),
        (Expectation.gone(), None, "succeeded"),
        (Expectation.gone(), ("Deleting", "running"), "pending"),
        (Expectation.provisioned(), ("Creating", "starting"), "pending"),
        (Expectation.provisioned(), ("Succeeded", "running"), "succeeded"),
    ],
)
def test_expectation_reads_a_listed_vm(expect, vm, verdict):
    body = None if vm is None else FakeAzure._vm("x", vm[0], vm[1])
    assert expect.evaluate(body) == verdict


def test_expectation_from_the_facade_strings():
    assert as_expectation("deleted") == Expectation.gone()
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
        (404, {"error": {"code": "NotFound", "message": "gone"}}, True, "Failed"),
    ],
)
def test_operation_status_bodies(status, body, location, state):
    parsed = _status_from_response(status, {"retry-after-ms": "1500"}, body, location=location)
    assert parsed.state == state
    if state == "InProgress":
        assert parsed.retry_after == 1.5


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


async def test_waits_go_through_the_runtime_sleep_and_time_through_its_clock(clock):
    """A deadline of an hour expires in no real time: the engine, its hub and its re-issues
    only ever slept on the fake clock."""
    names = NAMES[:3]
    azure = FakeAzure(clock, names)
    for name in names:
        azure.plans[name] = Plan(durations=[7200.0])
    started = clock.now
    result = await run(fanout(azure, clock, deadline=3600.0), azure, names)
    assert result.interrupted == "deadline" and len(result.failed) == 3
    assert clock.now - started >= 3600.0
    assert sum(clock.sleeps) == pytest.approx(clock.now - started)


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
    result = await run(engine, azure, names)
    assert result.interrupted == "cancelled"
    assert set(result.cancelled) >= set(names[:3])
    assert result.cancelled + result.not_started == names


async def test_an_empty_batch_is_an_empty_result(clock):
    azure = FakeAzure(clock, [])
    result = await run(fanout(azure, clock), azure, [])
    assert result.ok and result.results == {} and result.total_requests == 0


# ----------------------------------------------------------------------------- paged lists


class PagedSet:
    """A scale set's VM list served in pages of ``page_size``, links carrying an offset."""

    def __init__(self, names: list[str], page_size: int = 10) -> None:
        self.vms = {n.lower(): self.vm(n, "Updating", "deallocating") for n in names}
        self.page_size = page_size
        self.reads: list[str | None] = []
        self.on_page: Any = None
        self.errors: list[Exception] = []

    @staticmethod
    def vm(name: str, state: str, power: str) -> dict[str, Any]:
        statuses = [{"code": f"ProvisioningState/{state.lower()}"}, {"code": f"PowerState/{power}"}]
        view = {"statuses": statuses}
        return {"name": name, "properties": {"provisioningState": state, "instanceView": view}}

    def finish(self, *names: str) -> None:
        for name in names:
            self.vms[name.lower()] = self.vm(name, "Succeeded", "deallocated")

    async def list_vms(self, resource_group: str, scale_set_id: str) -> dict[str, Any]:
        raise AssertionError("a paged observer is read page by page")

    async def list_page(self, resource_group: str, scale_set_id: str, link: str | None) -> ListPage:
        self.reads.append(link)
        if self.errors:
            raise self.errors.pop(0)
        if self.on_page is not None:
            self.on_page(link)
        start = int(link.rsplit("=", 1)[1]) if link else 0
        names = list(self.vms)
        page = {n: dict(self.vms[n]) for n in names[start : start + self.page_size]}
        more = start + self.page_size < len(names)
        return ListPage(page, f"https://emu/list?skip={start + self.page_size}" if more else None)

    async def operation_status(self, url: str, *, location: bool) -> OperationStatus:
        return OperationStatus("InProgress", retry_after=5.0)


def pending_op(name: str, clock: FakeClock, *, accepted_at: float, expect: Expectation | None = None) -> Any:
    return PendingOperation(
        vm=name,
        operation=f"deallocate vm {name}",
        resource_group=RG,
        scale_set_id=SET_ID,
        expect=expect or Expectation.power("deallocated"),
        status_url=f"https://emu/ops/{name}",
        location=False,
        accepted_at=accepted_at,
        retry_after=30.0,
        due_at=clock.now,
        future=asyncio.get_running_loop().create_future(),
    )


def paged_hub(observer: PagedSet, clock: FakeClock) -> tuple[ObservationHub, list[Any]]:
    hub = ObservationHub(
        observer, mode="list", clock=clock, sleep=clock.sleep, jitter=0.0, list_page_interval=1.0
    )
    ops = [pending_op(name, clock, accepted_at=clock.now - 40) for name in observer.vms]
    hub._ops.extend(ops)
    return hub, ops


PAGED = [f"web_{i:02d}" for i in range(30)]


async def test_a_full_list_settles_each_page_as_it_arrives(clock):
    observer = PagedSet(PAGED)
    hub, ops = paged_hub(observer, clock)
    observer.finish("web_00")
    done_when_read: list[bool] = []
    observer.on_page = lambda link: done_when_read.append(ops[0].future.done())
    await hub._list_round(RG, SET_ID, ops[0].group, ops)
    assert observer.reads == [None, "https://emu/list?skip=10", "https://emu/list?skip=20"]
    assert done_when_read == [False, True, True]  # resolved before page 2 was asked for
    assert hub.stats.pages == 3 and hub.stats.resolved_by_list == 1


async def test_later_rounds_read_only_the_pages_holding_due_operations(clock):
    observer = PagedSet(PAGED)
    hub, ops = paged_hub(observer, clock)
    group = ops[0].group
    await hub._list_round(RG, SET_ID, group, ops)
    observer.reads.clear()
    clock.now += 3.0  # the page budget: three pages read, one per second
    observer.finish("web_12", "web_25")
    due = [ops[12], ops[13]]  # both on the second page
    await hub._list_round(RG, SET_ID, group, due)
    assert observer.reads == ["https://emu/list?skip=10"]
    assert ops[12].future.done() and not ops[25].future.done()  # page 3 was not read


async def test_no_list_starts_before_the_page_budget_allows(clock):
    observer = PagedSet(PAGED)
    hub, ops = paged_hub(observer, clock)
    await hub._list_round(RG, SET_ID, ops[0].group, ops)
    observer.reads.clear()
    clock.now += 1.0
    ops[0].due_at = clock.now
    assert await hub._list_round(RG, SET_ID, ops[0].group, [ops[0]]) == []
    assert observer.reads == []
    assert ops[0].due_at == pytest.approx(clock.now + 2.0)  # three pages read: three seconds


async def test_a_vm_missing_from_its_page_is_only_judged_gone_by_a_full_list(clock):
    observer = PagedSet(PAGED)
    hub = ObservationHub(observer, mode="list", clock=clock, sleep=clock.sleep, jitter=0.0)
    ops = [pending_op(n, clock, accepted_at=clock.now - 40, expect=Expectation.gone()) for n in PAGED]
    hub._ops.extend(ops)
    group = ops[0].group
    await hub._list_round(RG, SET_ID, group, ops)
    clock.now += 3.0
    del observer.vms["web_00"], observer.vms["web_11"]  # deleted: later VMs move up a page
    await hub._list_round(RG, SET_ID, group, [ops[15]])  # web_15 is now on page 1
    assert not ops[15].future.done() and not ops[11].future.done()  # its page no longer holds it
    clock.now += 3.0
    observer.reads.clear()
    await hub._list_round(RG, SET_ID, group, [ops[15]])
    assert observer.reads == [None, "https://emu/list?skip=10", "https://emu/list?skip=20"]
    assert ops[0].future.done() and ops[11].future.done()  # gone, by the full list
    assert not ops[15].future.done()


async def test_operations_that_reached_the_shortest_duration_seen_are_looked_at_every_round(clock):
    observer = PagedSet(PAGED)
    hub, ops = paged_hub(observer, clock)
    young = pending_op("web_29", clock, accepted_at=clock.now - 5)
    hub._ops[-1] = young
    observer.finish("web_00")
    group = ops[0].group
    await hub._list_round(RG, SET_ID, group, ops)
    state = hub._groups[group]
    assert state.shortest == pytest.approx(40.0)
    # old enough: at the next round the page budget allows (three pages, three seconds)
    assert ops[1].due_at == pytest.approx(clock.now + 3.0)
    # too young: when it reaches nine tenths of the shortest duration seen
    assert young.due_at == pytest.approx(young.accepted_at + 36.0)


async def test_before_any_operation_finished_a_running_one_is_looked_at_after_a_third_of_its_hint(clock):
    observer = PagedSet(PAGED[:5])
    hub, ops = paged_hub(observer, clock)
    await hub._list_round(RG, SET_ID, ops[0].group, ops)
    assert ops[0].due_at == pytest.approx(clock.now + 10.0)  # Retry-After 30 / 3


async def test_after_a_page_could_not_be_read_the_next_round_reads_from_the_first_page(clock):
    observer = PagedSet(PAGED)
    hub, ops = paged_hub(observer, clock)
    group = ops[0].group
    await hub._list_round(RG, SET_ID, group, ops)
    clock.now += 3.0
    observer.errors = [ConflictError("list VMs", code="InvalidSkipToken", message="expired", status=400)]
    await hub._list_round(RG, SET_ID, group, [ops[12]])
    assert not ops[12].future.done()
    observer.reads.clear()
    clock.now = ops[12].due_at
    observer.finish("web_12")
    await hub._list_round(RG, SET_ID, group, [ops[12]])
    assert observer.reads[0] is None and ops[12].future.done()
    # Azure refused a link it gave: links are not reused again, whatever the page map says
    observer.reads.clear()
    clock.now += 10.0
    ops[13].due_at = clock.now
    await hub._list_round(RG, SET_ID, group, [ops[13]])
    assert observer.reads[0] is None and len(observer.reads) == 3
