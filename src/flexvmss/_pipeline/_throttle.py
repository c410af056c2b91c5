"""Client-side throttling: Retry-After gates scoped to what Azure throttled, and pacing from
Azure's own remaining-request counts.

Azure meters requests with token buckets (research: k8s-azure-flex.md section 4): ARM per
subscription and principal (reads 250 burst / 25 per s, writes and deletes 200 / 10 per s) and
Compute per policy (``PutVM``, ``DeleteVM``, ``HighCostGet``... per minute; some subscriptions
still report the legacy ``<Policy>3Min`` / ``<Policy>30Min`` windows), each at subscription or
at resource scope. Every response says how many requests are left
(``x-ms-ratelimit-remaining-subscription-reads|writes|deletes`` and
``x-ms-ratelimit-remaining-resource: Microsoft.Compute/<Policy>;<n>,...``, one entry per policy
that charged the request); a 429 says which policy refused it (ARM's
``SubscriptionRequestsThrottled``, or Compute's ``OperationNotAllowed`` whose ``details[].target``
and JSON ``message.operationGroup`` name the policy: SupportArticles-docs
troubleshooting-throttling-errors.md, 2024-04-15) and how long to stay away (``Retry-After``,
``retry-after-ms``, ``x-ms-retry-after-ms``).

:class:`ThrottleState` turns those into three decisions, shared by every client of one
(endpoint, subscription) in the process (:func:`shared_throttle_state`):

* **Gates, scoped to what was throttled.** A 429 closes one gate until its Retry-After has
  passed: ARM's bucket of the request's class (read, write or delete) when ARM refused it; the
  named Compute policy when Compute did (a subscription-scope policy holds back every request
  that policy charges; a resource-scope one, ``<Policy>Resource``, only the requests to that one
  resource); the request's own family (method and path shape) when the 429 names nothing. One
  VM's exhausted bucket never stops the reads or writes of the rest of the subscription. While a
  gate is closed, the requests it holds wait (mode ``"wait"``) or fail locally with
  :class:`~flexvmss.ThrottledError` without being sent (mode ``"fail_fast"``, the circuit breaker
  cloud-provider-azure uses). Waiters are released one by one at the bucket's refill rate.
* **Bounded waits.** A Retry-After that is not a finite, non-negative number, or that exceeds
  :data:`MAX_RETRY_AFTER`, is clamped (a ``Retry-After: inf`` must not close a gate forever).
  A wait longer than ``max_single_sleep`` raises :class:`~flexvmss.ThrottledError` carrying it,
  so a fan-out re-queues the VM (see :mod:`flexvmss._fanout`) instead of blocking a slot.
* **Pacing.** Requests spend a bucket's burst down to a small reserve (the remaining count Azure
  last reported, refilled at the bucket's rate, less what was sent since), then each request is
  given the moment the bucket will have refilled a token for it. Azure's counts include every
  other caller of the subscription, so the pacer also measures how fast the others drain the
  bucket (what Azure reports against what this process alone would have left) and paces at the
  refill rate *they leave*: two processes on one subscription share it instead of each taking
  all of it. The documented buckets (ARM's, and Compute's current policies) and the legacy
  ``3Min``/``30Min`` windows are paced; a resource-scope policy is not (a fan-out touches each VM
  once, so one VM's count says nothing about the next VM's).

:class:`ThrottleState` also keeps the subscription's **list budget** (:class:`PageBudget`): the
share of Compute's HighCostGet bucket the fan-out's observation may spend on VM list pages,
one per subscription for every scale set the process watches.

:class:`ThrottlePolicy` is the azure-core pipeline policy that applies them; one instance per
client pipeline, one state per (endpoint, subscription). The decision logic is pure and tested
without I/O, in three modules beside this one: :mod:`~flexvmss._pipeline._limits` (the buckets
and policy names), :mod:`~flexvmss._pipeline._signals` (what a request and an answer say) and
:mod:`~flexvmss._pipeline._pacing` (gates, pacers, the list budget); only
:meth:`ThrottlePolicy.send` sleeps and sends.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from azure.core.pipeline.policies import AsyncHTTPPolicy

from flexvmss import _clock
from flexvmss._errors import ThrottledError, from_azure_error, retry_after_seconds
from flexvmss._headers import lower_headers
from flexvmss._pipeline._deadline import time_left
from flexvmss._pipeline._http import read_body, url_path
from flexvmss._pipeline._limits import (
    ARM_BUCKETS,
    COMPUTE_POLICIES,
    LEGACY_POLICIES,
    MAX_RETRY_AFTER,
    Bucket,
    Scope,
    parse_policy,
)
from flexvmss._pipeline._pacing import Gate, Pacer, PageBudget
from flexvmss._pipeline._signals import (
    Remaining,
    arm_class,
    bounded_wait,
    family_key,
    gate_scope,
    parse_remaining,
    resource_key,
    throttled_policies,
)
from flexvmss._progress import current_tally, current_vm

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.pipeline import PipelineRequest, PipelineResponse

    from flexvmss._runtime import Clock, Sleep

__all__ = [
    "Admission",
    "ThrottleConfig",
    "ThrottlePolicy",
    "ThrottleState",
    "shared_throttle_state",
]


@dataclass(frozen=True)
class ThrottleConfig:
    """How flexvmss behaves under throttling.

    ``mode``: ``"wait"`` (requests wait for a closed gate, then go; the 429 that closed it is
    re-sent) or ``"fail_fast"`` (raise :class:`~flexvmss.ThrottledError` at once, send nothing).
    ``max_single_sleep``: the longest single sleep; a Retry-After beyond it raises
    ThrottledError instead of blocking (Azure has answered Retry-After: 1200; a fan-out then
    re-queues the VM until its deadline). A longer wait for a queued slot (many waiters behind
    the gate or the pacer) is slept in pieces of this size.
    ``max_total_wait``: the most one request may wait in total for gates and pacing.
    ``low_watermark``: the fraction of a bucket kept in hand: requests go at once while the
    estimated count stays above it, then at the refill rate left by every caller. The reserve
    also covers what other callers have in flight when the bucket runs low (a simulation of two
    processes with 32 requests in flight each overdrew ARM's write bucket on 2% of its requests
    at 0.08 and on 0.2% at 0.15; inferred, tests/unit/test_throttle.py).
    ``pace_margin``: paced requests go at this fraction of that rate (1.0: all of it).
    ``default_retry_after``: the wait assumed for a 429 without any Retry-After header.
    ``list_share``: the fraction of Compute's HighCostGet refill (300 per minute per
    subscription) that fan-outs may spend reading VM list pages, shared by every scale set of
    the subscription in this process.
    ``time_scale``: real seconds per second of the service's clock — 1.0 for Azure; the
    emulator's ``time_scale`` when it runs on a scaled clock (its refill rates and waits are
    then that much faster in real time; its Retry-After hints already are).
    """

    mode: Literal["wait", "fail_fast"] = "wait"
    max_single_sleep: float = 60.0
    max_total_wait: float = 600.0
    low_watermark: float = 0.15
    pace_margin: float = 1.0
    default_retry_after: float = 2.0
    list_share: float = 0.2
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in ("wait", "fail_fast"):
            raise ValueError(f"ThrottleConfig.mode must be 'wait' or 'fail_fast', not {self.mode!r}")
        if not 0.0 < self.pace_margin <= 1.0:
            raise ValueError("ThrottleConfig.pace_margin must be in (0, 1]")
        if not 0.0 < self.list_share <= 1.0:
            raise ValueError("ThrottleConfig.list_share must be in (0, 1]")
        if self.time_scale <= 0:
            raise ValueError("ThrottleConfig.time_scale must be positive")


@dataclass(frozen=True)
class Admission:
    """What :meth:`ThrottleState.admit` decided for one request."""

    delay: float
    gate_wait: float
    scope: Scope
    #: The closed gate that decided ``gate_wait`` (for messages), if any.
    gate: str | None = None
    #: :attr:`ThrottleState.generation` when it was decided: a request that slept while the
    #: generation moved is admitted again instead of sent.
    generation: int = 0


GateKey = tuple[str, ...]


class ThrottleState:
    """Gates, pacers and counters for one (endpoint, subscription); thread-safe.

    ``clock`` (monotonic seconds) times the gates and the pacing: the runtime's clock
    (:class:`~flexvmss._runtime.Runtime`), real time by default.
    """

    def __init__(
        self,
        config: ThrottleConfig | None = None,
        *,
        clock: Clock = _clock.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or ThrottleConfig()
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._gates: dict[GateKey, Gate] = {}
        self._arm: dict[str, Pacer] = {name: self._pacer(bucket) for name, bucket in ARM_BUCKETS.items()}
        self._compute: dict[str, Pacer] = {}
        self._observed_max: dict[str, float] = {}
        #: Request family -> the Compute policies (short names) that charge it.
        self._families: dict[str, set[str]] = {}
        self.list_budget = PageBudget(self._scaled(COMPUTE_POLICIES["HighCostGet"]), self.config.list_share)
        self.requests: dict[str, int] = {"read": 0, "write": 0, "delete": 0}
        self.throttled = 0
        self.failed_fast = 0
        self.waited = 0.0
        #: Moves when what the waiting requests' slots were computed from changes: a 429, or a
        #: bucket's first count (before it, requests beyond a few wait at the table's pace).
        self.generation = 0

    def _scaled(self, bucket: Bucket) -> Bucket:
        """The bucket as it refills in real time (see ``ThrottleConfig.time_scale``)."""
        return Bucket(bucket.capacity, bucket.refill_per_s / self.config.time_scale)

    def _pacer(self, bucket: Bucket) -> Pacer:
        return Pacer(
            self._scaled(bucket), watermark_fraction=self.config.low_watermark, margin=self.config.pace_margin
        )

    def now(self) -> float:
        return self._clock()

    # ----------------------------------------------------------------- which gates hold a request
    def _gate_keys(self, method: str, url: str, family: str) -> list[GateKey]:
        keys: list[GateKey] = [("arm", arm_class(method)), ("family", family)]
        resource: str | None = None
        for name in self._families.get(family, ()):
            if name.endswith("Resource"):
                resource = resource if resource is not None else (resource_key(url) or "")
                keys.append(("resource", name, resource))
            else:
                keys.append(("policy", name))
        return keys

    def _gate_spacing(self, key: GateKey) -> float:
        if key[0] == "arm":
            return self._scaled(ARM_BUCKETS[key[1]]).spacing
        if key[0] in ("policy", "resource"):
            policy = parse_policy(key[1])
            bucket = policy.bucket(self._observed_max.get(policy.name))
            if bucket is None and policy.scope == "resource" and policy.base in COMPUTE_POLICIES:
                bucket = Bucket(12, 4 / 60)  # Compute's resource-scope rows: 4 per minute
            if bucket is not None:
                return min(self._scaled(bucket).spacing, 60.0 * self.config.time_scale)
        return self._scaled(ARM_BUCKETS["write"]).spacing

    def admit(
        self, method: str, url: str, *, mode: str | None = None, family: str | None = None
    ) -> Admission:
        """Reserve a send slot: how long to wait, and how much of that is a closed gate.
        In ``fail_fast`` mode (default: the state's config) a closed gate reserves nothing.
        ``family`` is :func:`family_key` of the request, when the caller has it already."""
        now = self._clock()
        scope = gate_scope(method)
        family = family or family_key(method, url)
        with self._lock:
            gates = [
                (key, self._gates[key]) for key in self._gate_keys(method, url, family) if key in self._gates
            ]
            closed = [(key, gate.open_at - now) for key, gate in gates if gate.open_at > now]
            gate_wait, gate_name = 0.0, None
            if closed:
                key, gate_wait = max(closed, key=lambda item: item[1])
                gate_name = "/".join(key[:2])
            if gate_wait > 0 and (mode or self.config.mode) == "fail_fast":
                return Admission(
                    delay=gate_wait,
                    gate_wait=gate_wait,
                    scope=scope,
                    gate=gate_name,
                    generation=self.generation,
                )
            delays = [gate.reserve(now) for _, gate in gates]
            delays.append(self._arm[arm_class(method)].reserve(now))
            for policy in self._families.get(family, ()):
                pacer = self._compute.get(policy)
                if pacer is not None:
                    delays.append(pacer.reserve(now))
            return Admission(
                delay=max(delays),
                gate_wait=gate_wait,
                scope=scope,
                gate=gate_name,
                generation=self.generation,
            )

    def record(
        self,
        method: str,
        url: str,
        status: int,
        headers: Mapping[str, str],
        body: Any = None,
        *,
        family: str | None = None,
    ) -> float | None:
        """Learn from one response (``body``: its decoded JSON, read for 429s). Returns the
        Retry-After (seconds, bounded) when it was a 429."""
        now = self._clock()
        remaining = parse_remaining(headers)
        family = family or family_key(method, url)
        with self._lock:
            self.requests[arm_class(method)] += 1
            self._settle(method, family, spent=status != 429)
            for klass, count in remaining.arm.items():
                if self._arm[klass].observe(count, now):
                    self.generation += 1
            if remaining.compute:
                charged = self._families.setdefault(family, set())
                for name, count in remaining.compute.items():
                    charged.add(name)
                    self._observe_policy(name, count, now)
            if status != 429:
                return None
            self.throttled += 1
            self.generation += 1
            wait = bounded_wait(retry_after_seconds(headers), cap=MAX_RETRY_AFTER * self.config.time_scale)
            if wait is None:
                wait = self.config.default_retry_after * self.config.time_scale
            for key in self._blamed(method, url, family, remaining, body):
                gate = self._gates.get(key)
                if gate is None:
                    gate = self._gates[key] = Gate(self._gate_spacing(key), self._rng)
                gate.close(now + wait)
                pacer = self._arm.get(key[1]) if key[0] == "arm" else None
                if key[0] == "policy":
                    pacer = self._compute.get(key[1])
                if pacer is not None:
                    pacer.throttled(now)
            return wait

    def _observe_policy(self, name: str, count: int, now: float) -> None:
        policy = parse_policy(name)
        if policy.scope == "resource":
            return
        seen = max(float(count), self._observed_max.get(name, 0.0))
        self._observed_max[name] = seen
        if policy.base == "HighCostGet" and policy.window == 60.0:
            self.list_budget.note_level(count)
        pacer = self._compute.get(name)
        if pacer is None:
            bucket = policy.bucket(seen)
            if bucket is None:
                return
            pacer = self._compute[name] = self._pacer(bucket)
        elif policy.name not in LEGACY_POLICIES and not (
            policy.window == 60.0 and policy.base in COMPUTE_POLICIES
        ):
            learned = policy.bucket(seen)  # a learned window grows with the largest count seen
            if learned is not None and learned.capacity > pacer.bucket.capacity:
                pacer.bucket = self._scaled(learned)
        if pacer.observe(count, now):
            self.generation += 1

    def _blamed(self, method: str, url: str, family: str, remaining: Remaining, body: Any) -> list[GateKey]:
        """The gates a 429 closes (call locked): ARM's class bucket when ARM refused (its code,
        or its remaining count for the class at 0: the support article's rule), the Compute
        policies it names, else the request's family."""
        arm, names = throttled_policies(body)
        klass = arm_class(method)
        keys: list[GateKey] = []
        if arm or remaining.arm.get(klass) == 0:
            keys.append(("arm", klass))
        for name in names:
            self._families.setdefault(family, set()).add(name)
            if name.endswith("Resource"):
                keys.append(("resource", name, resource_key(url) or ""))
            else:
                keys.append(("policy", name))
        if not keys:
            keys.append(("family", family))
        return keys

    def _settle(self, method: str, family: str, *, spent: bool = True) -> None:
        """The request reserved by :meth:`admit` for ``method`` of ``family`` is answered
        (call locked)."""
        self._arm[arm_class(method)].settle(spent=spent)
        for policy in self._families.get(family, ()):
            pacer = self._compute.get(policy)
            if pacer is not None:
                pacer.settle(spent=spent)

    def release(self, method: str, url: str, *, family: str | None = None) -> None:
        """A reserved request was sent but never answered (a transport error)."""
        with self._lock:
            self._settle(method, family or family_key(method, url))

    def abandon(self, method: str, url: str, *, family: str | None = None) -> None:
        """A reserved request was given up before it was sent (it raised instead of waiting,
        or its wait was cancelled): nothing was spent."""
        with self._lock:
            self._arm[arm_class(method)].cancel()
            for policy in self._families.get(family or family_key(method, url), ()):
                pacer = self._compute.get(policy)
                if pacer is not None:
                    pacer.cancel()

    def reserve_pages(self, pages: int = 1) -> float:
        """Take ``pages`` from the subscription's list budget; seconds until they are covered."""
        with self._lock:
            return self.list_budget.reserve(self._clock(), pages)

    def pages_wait(self) -> float:
        """Seconds until the list budget covers one more page (0: it does now)."""
        with self._lock:
            now = self._clock()
            return max(0.0, self.list_budget.available_at(now) - now)

    def add_wait(self, seconds: float) -> None:
        with self._lock:
            self.waited += seconds

    def note_failed_fast(self) -> None:
        with self._lock:
            self.failed_fast += 1

    def gate_open_at(self, scope: str, name: str | None = None) -> float:
        """When a gate opens (0.0: never closed): ``gate_open_at("write")`` for ARM's write
        bucket (``"read"``, ``"write"``, ``"delete"``); ``gate_open_at("policy", "PutVM30Min")``,
        ``gate_open_at("family", key)``... for the others."""
        key: GateKey = ("arm", scope) if name is None else (scope, name)
        with self._lock:
            gates = [gate for k, gate in self._gates.items() if k[: len(key)] == key]
            return max((gate.open_at for gate in gates), default=0.0)

    def snapshot(self) -> dict[str, Any]:
        """Counters and gate/pacing state, for logs and benchmarks."""
        now = self._clock()
        with self._lock:
            return {
                "requests": dict(self.requests),
                "throttled": self.throttled,
                "failed_fast": self.failed_fast,
                "waited": self.waited,
                "gates": {
                    "/".join(key): gate.open_at - now
                    for key, gate in self._gates.items()
                    if gate.open_at > now
                },
                "remaining": {
                    **{f"arm/{k}": p.estimate(now) for k, p in self._arm.items()},
                    **{f"compute/{k}": p.estimate(now) for k, p in self._compute.items()},
                },
                "others_per_s": {
                    **{f"arm/{k}": p.others for k, p in self._arm.items()},
                    **{f"compute/{k}": p.others for k, p in self._compute.items()},
                },
            }


_registry: dict[tuple[str, str, Clock], ThrottleState] = {}
_registry_lock = threading.Lock()


def shared_throttle_state(
    endpoint: str,
    subscription_id: str,
    config: ThrottleConfig | None = None,
    *,
    clock: Clock = _clock.monotonic,
) -> ThrottleState:
    """The process-wide :class:`ThrottleState` of one (ARM endpoint, subscription), on ``clock``.

    Every client built for the same pair shares it, so one client's 429 holds back the others.
    The first caller's ``config`` sets the pacing parameters of the state. Clients on another
    clock (a test's virtual time) get a state of their own: a gate's opening time only means
    something on the clock that set it.
    """
    key = (endpoint.rstrip("/").lower(), subscription_id.lower(), clock)
    with _registry_lock:
        state = _registry.get(key)
        if state is None:
            state = _registry[key] = ThrottleState(config, clock=clock)
        return state


def _operation_name(method: str, url: str) -> str:
    return f"{method.upper()} {url_path(url)}"


def _json_body(http_response: Any) -> Any:
    """A small error body's JSON, or None."""
    try:
        text = http_response.text()
    except Exception:
        return None
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


#: The pipeline context's key for the answer's headers as :func:`lower_headers` made them.
LOWERED_HEADERS = "flexvmss.lowered_headers"


class ThrottlePolicy(AsyncHTTPPolicy):  # type: ignore[type-arg]
    """azure-core policy applying a shared :class:`ThrottleState`.

    Place it inside the transient-retry policy and outside azure-core's own RetryPolicy (which
    flexvmss configures with no retries), so a 429 is handled here once: in mode ``"wait"`` the
    request waits for its gate and is re-sent, in mode ``"fail_fast"`` it raises
    :class:`~flexvmss.ThrottledError`. A 429 is never returned to the SDK, so a throttled list
    can never read as an empty one.

    One instance per pipeline (policies hold their ``next``); the state is what is shared.
    ``sleep`` is how it waits (the runtime's sleep; real time by default). A wait that would
    outlast the deadline of the call it serves (:func:`~flexvmss._pipeline.time_left`) is not
    started: it raises :class:`~flexvmss.ThrottledError` at once.
    """

    def __init__(
        self, state: ThrottleState, config: ThrottleConfig | None = None, *, sleep: Sleep = _clock.sleep
    ) -> None:
        super().__init__()
        self.state = state
        self.config = config or state.config
        self._sleep = sleep

    def _raise(self, operation: str, scope: Scope, retry_after: float | None, detail: str) -> None:
        raise ThrottledError(
            operation,
            retry_after=retry_after,
            scope=scope,
            status=429,
            code="ClientThrottled",
            message=detail,
        )

    async def _wait(self, seconds: float, scope: Scope) -> None:
        tally = current_tally.get()
        if tally is not None:
            tally.add_wait(seconds)
            if tally.on_wait is not None:
                tally.on_wait(current_vm.get(), seconds, scope)
        self.state.add_wait(seconds)
        await self._sleep(seconds)

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        http_request = request.http_request
        method, url = http_request.method, http_request.url
        family = family_key(method, url)
        waited = 0.0
        while True:
            admission = self.state.admit(method, url, mode=self.config.mode, family=family)
            if admission.gate_wait > 0 and self.config.mode == "fail_fast":
                self.state.note_failed_fast()
                self._raise(
                    _operation_name(method, url),
                    admission.scope,
                    admission.gate_wait,
                    f"the {admission.gate} gate is closed after a 429 for {admission.gate_wait:.1f} s more; "
                    "nothing was sent",
                )
            if admission.delay > 0:
                left = time_left()
                if admission.delay > left:  # the wait would outlast the call's deadline
                    self.state.abandon(method, url, family=family)
                    self._raise(
                        _operation_name(method, url),
                        admission.scope,
                        admission.delay,
                        f"waiting {admission.delay:.1f} s for Azure's limits would pass the deadline "
                        f"({max(0.0, left):.1f} s left); nothing was sent",
                    )
                if admission.gate_wait > self.config.max_single_sleep:
                    self.state.abandon(method, url, family=family)
                    self._raise(
                        _operation_name(method, url),
                        admission.scope,
                        admission.gate_wait,
                        f"Azure asked to wait {admission.gate_wait:.0f} s ({admission.gate}), more than "
                        f"max_single_sleep ({self.config.max_single_sleep:.0f} s)",
                    )
                if waited + admission.delay > self.config.max_total_wait:
                    self.state.abandon(method, url, family=family)
                    self._raise(
                        _operation_name(method, url),
                        admission.scope,
                        admission.delay,
                        f"waited {waited:.0f} s, max_total_wait is {self.config.max_total_wait:.0f} s",
                    )
                waited += admission.delay
                # A long queue behind the gate or the pacer keeps its slot, in sleeps of at most
                # max_single_sleep each.
                remaining = admission.delay
                try:
                    while remaining > 0:
                        chunk = min(remaining, self.config.max_single_sleep)
                        await self._wait(chunk, admission.scope)
                        remaining -= chunk
                except BaseException:
                    self.state.abandon(method, url, family=family)
                    raise
                if self.state.generation != admission.generation:
                    # a 429 (or a bucket's first count) came while this request waited: its slot
                    # was computed from what was known before; take a new one
                    self.state.abandon(method, url, family=family)
                    continue
            try:
                response = await self.next.send(request)
            except BaseException:
                self.state.release(method, url, family=family)
                raise
            http_response = response.http_response
            status = http_response.status_code
            body: Any = None
            if status == 429:
                await read_body(http_response)
                body = _json_body(http_response)
            # lowered once, here, for every later reader of this answer (ArmClients.request)
            headers = response.context[LOWERED_HEADERS] = lower_headers(http_response.headers)
            retry_after = self.state.record(method, url, status, headers, body, family=family)
            if retry_after is None:
                return response
            tally = current_tally.get()
            if tally is not None and tally.on_throttled is not None:
                tally.on_throttled(current_vm.get(), retry_after, admission.scope)
            if self.config.mode == "fail_fast":
                from azure.core.exceptions import HttpResponseError

                raise from_azure_error(
                    HttpResponseError(response=http_response), operation=_operation_name(method, url)
                )
