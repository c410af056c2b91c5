"""Named retry policies: which failures flexvmss retries, how often and how long it waits.

Each policy is a value (a :class:`NamedRetry`) built from tenacity's composable pieces —
a stop condition, a wait and a retry predicate — with a docstring saying why. How a policy
sleeps is tenacity's ``sleep=``, given by whoever runs it (:meth:`NamedRetry.retrying`,
:class:`TransientRetryPolicy`): the runtime's sleep (:class:`~flexvmss._runtime.Runtime`), real
time by default, so tests and the cassette kit make the waits instant by passing their own.

* :data:`transient_http` — one HTTP request that failed in a way a retry usually fixes.
* :data:`retryable_lro` — a long-running operation Azure ended as ``Failed`` with a code that
  says "run it again".

Throttling (429) is not retried here: :class:`~flexvmss._pipeline.ThrottlePolicy` owns it, so
a 429 is never slept on twice.

**Idempotency.** flexvmss re-sends a request whose outcome is unknown (the connection dropped
after it was sent, a 5xx) only when sending it twice does what sending it once does: GET, PUT
(a full desired state), PATCH, DELETE (a second delete finds nothing, 204/404) and Azure's POST
actions on a VM (deallocate, start, restart, powerOff, redeploy: asking twice leaves the VM in
the same state). A POST in :data:`NOT_IDEMPOTENT_ACTIONS` (``runCommand``: a second request
runs the script a second time) is sent once by :class:`TransientRetryPolicy`; its unknown
outcome goes back to the caller, which says so instead of guessing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from azure.core.pipeline.policies import AsyncHTTPPolicy
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from flexvmss import _clock
from flexvmss._errors import AzureOperationError, tls_failure
from flexvmss._pipeline._deadline import time_left
from flexvmss._pipeline._http import read_body, url_path

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.pipeline import PipelineRequest, PipelineResponse
    from tenacity.retry import retry_base

    from flexvmss._runtime import Sleep

__all__ = [
    "NOT_IDEMPOTENT_ACTIONS",
    "RETRYABLE_LRO_CODES",
    "TRANSIENT_STATUSES",
    "NamedRetry",
    "TransientRetryPolicy",
    "is_idempotent",
    "is_retryable_lro_error",
    "is_transient_exception",
    "is_transient_response",
    "retryable_lro",
    "stop_when",
    "transient_http",
    "wait_for_code",
]

_LOGGER = logging.getLogger("flexvmss.retry")

#: The header Azure correlates a client's request by (azure-core RequestIdPolicy's default name).
_REQUEST_ID = "x-ms-client-request-id"

#: HTTP statuses worth one more try: request timeout and the server-side 5xx family.
#: 429 is deliberately absent (see the module docstring).
TRANSIENT_STATUSES = frozenset({408, 500, 502, 503, 504})

#: ARM error codes of a failed long-running operation that mean "issue it again", with the
#: least wait before the re-issue. ``NicReservedForAnotherVm``: Azure keeps a deleted VM's NIC
#: reserved for 180 s. ``InternalExecutionError`` is Compute's generic transient failure.
RETRYABLE_LRO_CODES: Mapping[str, float] = {
    "retryableerror": 0.0,
    "operationpreempted": 0.0,
    "internalexecutionerror": 0.0,
    "nicreservedforanothervm": 180.0,
}


@dataclass(frozen=True)
class NamedRetry:
    """A retry policy as a value: a name, tenacity's stop/wait/retry pieces and why.

    :meth:`retrying` builds a fresh :class:`tenacity.AsyncRetrying` (tenacity keeps per-call
    state on the instance, so one is never shared between concurrent calls) that waits with
    ``sleep``; :meth:`with_` derives a variant (``retryable_lro.with_(stop=stop_after_attempt(2))``).
    """

    name: str
    stop: stop_base
    wait: wait_base | Callable[[RetryCallState], float]
    retry: retry_base
    doc: str

    def retrying(self, *, sleep: Sleep = _clock.sleep, **overrides: Any) -> AsyncRetrying:
        options: dict[str, Any] = {
            "stop": self.stop,
            "wait": self.wait,
            "retry": self.retry,
            "sleep": sleep,
            "reraise": True,
            "name": self.name,
        }
        options.update(overrides)
        return AsyncRetrying(**options)

    def with_(self, **changes: Any) -> NamedRetry:
        return replace(self, **changes)

    def __repr__(self) -> str:
        return f"NamedRetry({self.name!r})"


#: POST actions whose second sending would do the work again, by the last segment of their
#: path (lower case): ``runCommand`` runs its script on every request (Virtual Machines - Run
#: Command has no idempotency key, and Azure offers no read of a v1 command's earlier runs).
NOT_IDEMPOTENT_ACTIONS = frozenset({"runcommand"})


def is_idempotent(method: str, url: str) -> bool:
    """Whether sending ``method url`` twice does what sending it once does (see the module's
    docstring): everything but a POST to one of :data:`NOT_IDEMPOTENT_ACTIONS`."""
    if method.upper() != "POST":
        return True
    return url_path(url).rstrip("/").rsplit("/", 1)[-1].lower() not in NOT_IDEMPOTENT_ACTIONS


def is_transient_exception(exc: BaseException) -> bool:
    """A failure without a response: the request could not be sent, or the connection dropped
    (azure-core's ServiceRequestError / ServiceResponseError, which wrap aiohttp's errors).
    A refused TLS handshake (a certificate that does not verify, an endpoint that does not
    speak TLS) is not transient: retrying meets the same refusal (:func:`flexvmss._errors.tls_failure`)."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    if not isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return False
    return tls_failure(exc) is None


def is_transient_response(response: Any) -> bool:
    """A pipeline response whose status is in :data:`TRANSIENT_STATUSES`."""
    status = getattr(getattr(response, "http_response", response), "status_code", None)
    return status in TRANSIENT_STATUSES


transient_http = NamedRetry(
    name="transient_http",
    stop=stop_after_attempt(5) | stop_after_delay(60),
    wait=wait_exponential_jitter(multiplier=0.5, max=30, jitter=0.5),
    retry=retry_if_exception(is_transient_exception) | retry_if_result(is_transient_response),
    doc=(
        "Re-send one HTTP request after 408, 500, 502, 503, 504 or a dropped/failed connection: up to "
        "5 attempts within 60 s, waiting 0.5 s, 1 s, 2 s... (jittered, at most 30 s). 429 is not "
        "retried here: the throttle policy waits for Azure's Retry-After instead."
    ),
)


def _lro_code(exc: BaseException) -> str | None:
    if isinstance(exc, AzureOperationError) and exc.code:
        return exc.code.lower()
    return None


def is_retryable_lro_error(exc: BaseException) -> bool:
    """An :class:`~flexvmss.AzureOperationError` whose code is in :data:`RETRYABLE_LRO_CODES`."""
    return _lro_code(exc) in RETRYABLE_LRO_CODES


def wait_for_code(
    base: wait_base, minimums: Mapping[str, float] = RETRYABLE_LRO_CODES
) -> Callable[[RetryCallState], float]:
    """A wait that is ``base``'s, but never shorter than the failure code's minimum."""

    def wait(state: RetryCallState) -> float:
        seconds = float(base(state))
        outcome = state.outcome
        if outcome is not None and outcome.failed:
            code = _lro_code(outcome.exception())  # type: ignore[arg-type]
            if code is not None:
                seconds = max(seconds, minimums.get(code, 0.0))
        return seconds

    return wait


retryable_lro = NamedRetry(
    name="retryable_lro",
    stop=stop_after_attempt(3),
    wait=wait_for_code(wait_exponential_jitter(multiplier=2, max=60, jitter=2)),
    retry=retry_if_exception(is_retryable_lro_error),
    doc=(
        "Re-issue a long-running operation that Azure ended Failed with RetryableError, "
        "OperationPreempted, InternalExecutionError or NicReservedForAnotherVm: up to 3 attempts, "
        "waiting 2 s, 4 s... (jittered, at most 60 s), and at least 180 s after NicReservedForAnotherVm "
        "(Azure holds a deleted VM's NIC that long)."
    ),
)


class stop_when(stop_base):
    """Stop retrying when ``predicate(retry_state)`` is true ."""

    def __init__(self, predicate: Callable[[RetryCallState], bool]) -> None:
        self.predicate = predicate

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.predicate(retry_state)


class TransientRetryPolicy(AsyncHTTPPolicy):  # type: ignore[type-arg]
    """azure-core policy that re-sends a request per a :class:`NamedRetry` (default
    :data:`transient_http`).

    It sits outermost among flexvmss's policies; azure-core's own RetryPolicy is configured
    with no retries. It never sleeps past the deadline of the call it serves
    (:func:`~flexvmss._pipeline.time_left`), and stops retrying once it has passed. When the
    attempts run out, the last response is returned (so the SDK raises its usual
    HttpResponseError with Azure's error body) or the last exception raised.
    ``sleep`` is how it waits between attempts (the runtime's sleep; real time by default).
    A request that is not idempotent (:func:`is_idempotent`) is sent once, never re-sent.
    """

    def __init__(self, policy: NamedRetry = transient_http, *, sleep: Sleep = _clock.sleep) -> None:
        super().__init__()
        self.policy = policy
        self._sleep = sleep

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        headers = request.http_request.headers
        if _REQUEST_ID not in headers:
            # One client request id per call, kept by its retries (azure-core's RequestIdPolicy,
            # further in, keeps an id already set). uuid4, not azure-core's uuid1: uuid1 goes
            # through libuuid's clock (a lock, sometimes a file) on every request, ~8x the cost.
            headers[_REQUEST_ID] = str(uuid.uuid4())
        if not is_idempotent(request.http_request.method, request.http_request.url):
            # sent once: a second sending after a failure could do the work twice
            response: PipelineResponse[Any, Any] = await self.next.send(request)
            return response
        first: Any = None
        if self.policy is transient_http:
            # The first attempt without tenacity (most requests need no retry, and building a
            # retrying object per request costs as much as the rest of this policy stack);
            # a transient outcome is handed to tenacity as its first attempt, so the policy's
            # attempts and delays count exactly as before.
            try:
                response = await self._attempt(request)
            except BaseException as exc:
                if not is_transient_exception(exc):
                    raise
                first = exc
            else:
                if not is_transient_response(response):
                    return response
                first = response
        return await self._retrying(request, first)

    async def _retrying(self, request: PipelineRequest[Any], first: Any) -> PipelineResponse[Any, Any]:
        """The retry loop; ``first`` (a response or an exception), when given, is the outcome
        of the first attempt, already made."""
        pending = [first] if first is not None else []

        async def attempt(request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
            if pending:
                outcome = pending.pop()
                if isinstance(outcome, BaseException):
                    raise outcome
                return outcome  # type: ignore[no-any-return]
            return await self._attempt(request)

        def give_up(state: RetryCallState) -> Any:
            assert state.outcome is not None
            return state.outcome.result()

        def before_sleep(state: RetryCallState) -> None:
            outcome = state.outcome
            what = "error"
            if outcome is not None:
                if outcome.failed:
                    what = type(outcome.exception()).__name__
                else:
                    what = f"HTTP {outcome.result().http_response.status_code}"
            _LOGGER.info(
                "retrying %s %s after %s (attempt %d)",
                request.http_request.method,
                url_path(request.http_request.url),
                what,
                state.attempt_number,
            )

        base_wait = self.policy.wait

        def wait(state: RetryCallState) -> float:  # never past the call's deadline
            return max(0.0, min(float(base_wait(state)), time_left()))

        retrying = self.policy.retrying(
            sleep=self._sleep,
            retry_error_callback=give_up,
            before_sleep=before_sleep,
            stop=self.policy.stop | stop_when(lambda state: time_left() <= 0),
            wait=wait,
        )
        retried: PipelineResponse[Any, Any] = await retrying(attempt, request)
        return retried

    async def _attempt(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        response = await self.next.send(request)
        if is_transient_response(response):
            await read_body(response.http_response)  # give its connection back to the pool
        return response
