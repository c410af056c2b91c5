"""The fan-out executor against a fake Azure: outcomes per VM, few observation requests,
retryable re-issues, deadline, cancellation. Time is a fake clock advanced by the fake sleep."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from flexvmss import _clock
from flexvmss._errors import ConflictError, DeadlineExceededError, ThrottledError
from flexvmss._fanout import (
    BatchFailedError,
    BatchResult,
    FanOut,
    Outcome,
    SkipVm,
    as_expectation,
    batch_succeeded,
    merge_results,
)
from flexvmss._observe import (
    Expectation,
    HubPolling,
    ObservationHub,
    OperationStatus,
    PendingOperation,
    _status_from_response,
)
from flexvmss._retry import retryable_lro

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


@pytest.fixture
def clock():
    fake = FakeClock()
    previous = _clock.set_sleep(fake.sleep)
    yield fake
    _clock.set_sleep(previous)


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
            await _clock.sleep(0.05)  # the initial request's round trip
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
    return FanOut(None, observer=azure, clock=clock, **kwargs)


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
    hub = ObservationHub(azure, mode="list", clock=clock, default_interval=5.0)
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
    hub = ObservationHub(azure, clock=clock)
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
