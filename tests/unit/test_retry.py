"""Named retry policies, tested tenacity-style on hand-built retry states, and
TransientRetryPolicy in a pipeline with a scripted transport and a fake sleep."""

from __future__ import annotations

import pytest
from _http_fakes import FakeClock, ScriptedTransport
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline import AsyncPipeline
from azure.core.rest import HttpRequest
from tenacity import RetryCallState, stop_after_attempt

from flexvmss._errors import AzureOperationError
from flexvmss._pipeline import (
    NamedRetry,
    TransientRetryPolicy,
    is_retryable_lro_error,
    is_transient_exception,
    retryable_lro,
    transient_http,
)

URL = "https://arm.test/subscriptions/s/resourceGroups/rg"


@pytest.fixture
def clock():
    """The sleep handed to the policies (nothing global is replaced)."""
    return FakeClock()


def state_after(attempt: int, *, exc: BaseException | None = None, result: object = None, delay: float = 0.0):
    """A RetryCallState as it is after ``attempt`` attempts, the last one ending as given."""
    state = RetryCallState(retry_object=transient_http.retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    if exc is not None:
        state.set_exception((type(exc), exc, None))
    else:
        state.set_result(result)
    state.outcome_timestamp = state.start_time + delay
    return state


class _Response:
    def __init__(self, status: int) -> None:
        self.http_response = type("R", (), {"status_code": status})()


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status):
    assert transient_http.retry(state_after(1, result=_Response(status)))


@pytest.mark.parametrize("status", [200, 201, 400, 404, 409, 412, 429])
def test_other_statuses_are_not_retried(status):
    assert not transient_http.retry(state_after(1, result=_Response(status)))


def test_dropped_connections_are_retried_but_other_exceptions_are_not():
    assert transient_http.retry(state_after(1, exc=ServiceResponseError("connection reset")))
    assert transient_http.retry(state_after(1, exc=ServiceRequestError("cannot connect")))
    assert not transient_http.retry(state_after(1, exc=ValueError("bug")))
    assert is_transient_exception(ServiceResponseError("x"))


def test_transient_http_stops_after_five_attempts_or_sixty_seconds():
    assert not transient_http.stop(state_after(4, result=_Response(503), delay=1))
    assert transient_http.stop(state_after(5, result=_Response(503), delay=1))
    assert transient_http.stop(state_after(2, result=_Response(503), delay=61))


def test_transient_http_waits_grow_and_are_capped():
    waits = [transient_http.wait(state_after(n, result=_Response(503))) for n in (1, 2, 3, 12)]
    assert 0.5 <= waits[0] <= 1.0
    assert 1.0 <= waits[1] <= 1.5
    assert 2.0 <= waits[2] <= 2.5
    assert waits[3] <= 30.0


@pytest.mark.parametrize(
    ("code", "retried"),
    [
        ("RetryableError", True),
        ("OperationPreempted", True),
        ("NicReservedForAnotherVm", True),
        ("InternalExecutionError", True),
        ("AllocationFailed", False),
        ("SkuNotAvailable", False),
        (None, False),
    ],
)
def test_retryable_lro_codes(code, retried):
    error = AzureOperationError("deallocate vm a", code=code, message="m")
    assert is_retryable_lro_error(error) is retried
    assert bool(retryable_lro.retry(state_after(1, exc=error))) is retried


def test_a_nic_reservation_waits_at_least_180_seconds_other_codes_do_not():
    nic = AzureOperationError("delete nic", code="NicReservedForAnotherVm", message="reserved")
    preempted = AzureOperationError("deallocate", code="OperationPreempted", message="m")
    assert retryable_lro.wait(state_after(1, exc=nic)) >= 180.0
    assert retryable_lro.wait(state_after(1, exc=preempted)) < 10.0


def test_retryable_lro_gives_up_after_three_attempts():
    error = AzureOperationError("x", code="RetryableError")
    assert not retryable_lro.stop(state_after(2, exc=error))
    assert retryable_lro.stop(state_after(3, exc=error))


async def test_a_named_retry_waits_with_the_sleep_it_is_given(clock):
    calls = []

    async def fails_twice() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise AzureOperationError("deallocate vm a", code="RetryableError", message="m")
        return "done"

    assert await retryable_lro.retrying(sleep=clock.sleep)(fails_twice) == "done"
    assert len(clock.sleeps) == 2 and all(s > 0 for s in clock.sleeps)


def test_policies_are_values_that_can_be_varied():
    short = retryable_lro.with_(stop=stop_after_attempt(1))
    assert isinstance(short, NamedRetry) and short.name == "retryable_lro"
    assert short.stop(state_after(1, exc=AzureOperationError("x", code="RetryableError")))
    assert retryable_lro.doc and transient_http.doc
    assert repr(transient_http) == "NamedRetry('transient_http')"


# ----------------------------------------------------------------------------- the policy


async def test_policy_resends_after_5xx_and_returns_the_success(clock):
    transport = ScriptedTransport([(503, {}, None), (500, {}, None), (200, {}, {"ok": True})])
    pipe = AsyncPipeline(transport, policies=[TransientRetryPolicy(sleep=clock.sleep)])
    response = await pipe.run(HttpRequest("PUT", URL))
    assert response.http_response.status_code == 200
    assert len(transport.sent) == 3
    assert len(clock.sleeps) == 2  # slept through the sleep it was given, not the transport
    assert transport.transport_sleeps == []


async def test_policy_resends_after_a_dropped_connection(clock):
    transport = ScriptedTransport([ServiceResponseError("connection reset by peer"), (200, {}, {})])
    pipe = AsyncPipeline(transport, policies=[TransientRetryPolicy(sleep=clock.sleep)])
    response = await pipe.run(HttpRequest("POST", URL + "/deallocate"))
    assert response.http_response.status_code == 200
    assert len(transport.sent) == 2


async def test_policy_returns_the_last_error_response_when_attempts_run_out(clock):
    transport = ScriptedTransport(
        responder=lambda request: (503, {}, {"error": {"code": "ServiceUnavailable"}})
    )
    pipe = AsyncPipeline(transport, policies=[TransientRetryPolicy(sleep=clock.sleep)])
    response = await pipe.run(HttpRequest("GET", URL))
    assert response.http_response.status_code == 503
    assert len(transport.sent) == 5


async def test_policy_reraises_the_last_connection_error(clock):
    transport = ScriptedTransport(responder=lambda request: ServiceRequestError("no route"))
    pipe = AsyncPipeline(transport, policies=[TransientRetryPolicy(sleep=clock.sleep)])
    with pytest.raises(ServiceRequestError):
        await pipe.run(HttpRequest("GET", URL))
    assert len(transport.sent) == 5


async def test_policy_leaves_429_and_client_errors_alone(clock):
    transport = ScriptedTransport([(429, {"Retry-After": "5"}, None), (409, {}, None)])
    pipe = AsyncPipeline(transport, policies=[TransientRetryPolicy(sleep=clock.sleep)])
    assert (await pipe.run(HttpRequest("GET", URL))).http_response.status_code == 429
    assert (await pipe.run(HttpRequest("GET", URL))).http_response.status_code == 409
    assert len(transport.sent) == 2
    assert clock.sleeps == []
