"""Client-side throttling: Retry-After gates and pacing from ARM's remaining-request counts.

Azure meters requests with token buckets (research: k8s-azure-flex.md section 4): ARM per
subscription and principal (reads 250 burst / 25 per s, writes and deletes 200 / 10 per s) and
Compute per policy (``PutVM``, ``DeleteVM``, ``HighCostGet``... per minute). Every response
says how many requests are left (``x-ms-ratelimit-remaining-subscription-reads|writes|deletes``
and ``x-ms-ratelimit-remaining-resource: Microsoft.Compute/<Policy>;<n>,...``); a 429 says how
long to stay away (``Retry-After``, ``retry-after-ms``, ``x-ms-retry-after-ms``).

:class:`ThrottleState` turns those headers into two decisions, shared by every client of one
(endpoint, subscription) in the process (:func:`shared_throttle_state`):

* **Gates.** A 429 closes the *read* gate (GET/HEAD) or the *write* gate (everything else)
  until its Retry-After has passed. While a gate is closed, requests of its class either wait
  (mode ``"wait"``) or fail locally with :class:`~flexvmss.ThrottledError` without being sent
  (mode ``"fail_fast"``, the circuit breaker cloud-provider-azure uses). Waiters are released
  one by one at the class's refill rate, with jitter, never all at once.
* **Pacing.** Requests spend a bucket's burst down to a small reserve (the remaining count
  estimated forward from the last response at the bucket's refill rate, less what is still
  unanswered); from there each request is given the moment the bucket will have refilled a
  token for it, so the class flows at exactly the refill rate, with no idle gap and no 429.

:class:`ThrottlePolicy` is the azure-core pipeline policy that applies them; one instance
per client pipeline, one state per (endpoint, subscription). The decision logic (header
parsing, gate maths, pacing delays) is pure and tested without I/O; only
:meth:`ThrottlePolicy.send` sleeps and sends.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from azure.core.pipeline.policies import AsyncHTTPPolicy

from flexvmss import _clock
from flexvmss._errors import ThrottledError, from_azure_error, retry_after_seconds
from flexvmss._pipeline._http import read_body, url_path
from flexvmss._progress import current_tally, current_vm

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.pipeline import PipelineRequest, PipelineResponse

    from flexvmss._runtime import Clock, Sleep

__all__ = [
    "ARM_BUCKETS",
    "COMPUTE_POLICIES",
    "Bucket",
    "Gate",
    "Pacer",
    "ThrottleConfig",
    "ThrottlePolicy",
    "ThrottleState",
    "arm_class",
    "family_key",
    "gate_scope",
    "parse_remaining",
    "shared_throttle_state",
]


Scope = Literal["read", "write"]
ArmClass = Literal["read", "write", "delete"]


@dataclass(frozen=True)
class Bucket:
    """A documented token bucket: ``capacity`` requests, refilled at ``refill_per_s``."""

    capacity: float
    refill_per_s: float

    @property
    def spacing(self) -> float:
        """Seconds between two requests at the refill rate."""
        return 1.0 / self.refill_per_s


#: ARM's per-subscription, per-principal buckets since 2024 (request-limits-and-throttling).
ARM_BUCKETS: dict[str, Bucket] = {
    "read": Bucket(250, 25.0),
    "write": Bucket(200, 10.0),
    "delete": Bucket(200, 10.0),
}

#: Compute's subscription-scope buckets (compute-throttling-limits): (capacity, refill per
#: minute) -> the policies metered that way. Resource-scope policies (one VM's own bucket) are
#: not paced: a fan-out touches each VM once, so one VM's count says nothing about the next VM's.
_COMPUTE_BUCKETS: dict[tuple[int, int], tuple[str, ...]] = {
    (1500, 500): ("PutVM", "UpdateVM", "DeleteVM", "UpdateVMScaleSet"),
    (24000, 8000): ("LowCostGet",),
    (900, 300): ("HighCostGet",),
    (15000, 5000): ("GetOperation",),
    (375, 125): ("CreateVMScaleSet", "PutVMScaleSet"),
    (525, 175): ("DeleteVMScaleSet",),
    (2400, 800): ("GetVMScaleSet",),
    (1080, 360): ("HighCostGetVMScaleSet",),
}

#: Compute's subscription-scope bucket of each policy, refill converted to per second.
COMPUTE_POLICIES: dict[str, Bucket] = {
    policy: Bucket(capacity, per_minute / 60)
    for (capacity, per_minute), policies in _COMPUTE_BUCKETS.items()
    for policy in policies
}


def gate_scope(method: str) -> Scope:
    """The gate a request goes through: ``read`` for GET/HEAD, ``write`` for everything else."""
    return "read" if method.upper() in ("GET", "HEAD") else "write"


def arm_class(method: str) -> ArmClass:
    """ARM's bucket for a method: GET/HEAD read, DELETE delete, PUT/PATCH/POST write."""
    verb = method.upper()
    if verb in ("GET", "HEAD"):
        return "read"
    if verb == "DELETE":
        return "delete"
    return "write"


def family_key(method: str, url: str) -> str:
    """The shape of a request: its method and its path with resource names replaced by ``{}``.

    ``POST /subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}/deallocate``
    — requests of one family are charged to the same Compute policies, so what one response
    says about them applies to the next request of the family.
    """
    segments = [s for s in urlsplit(url).path.split("/") if s]
    shaped: list[str] = []
    index = 0
    while index < len(segments):
        key = segments[index]
        shaped.append(key.lower())
        if index + 1 < len(segments):
            value = segments[index + 1]
            shaped.append(value.lower() if key.lower() == "providers" else "{}")
        index += 2
    return f"{method.upper()} /" + "/".join(shaped)


@dataclass(frozen=True)
class Remaining:
    """The remaining-request counts one response reported."""

    arm: dict[str, int] = field(default_factory=dict)
    compute: dict[str, int] = field(default_factory=dict)


def _policy_base(name: str) -> str | None:
    """``Microsoft.Compute/DeleteVMSubscriptionMaximum`` -> ``DeleteVM``; resource-scope and
    30-minute legacy policies -> None (not paced)."""
    short = name.split("/", 1)[1] if "/" in name else name
    if short.endswith("Resource") or short.endswith("30Min"):
        return None
    for suffix in ("SubscriptionMaximum", "3Min"):
        if short.endswith(suffix):
            return short[: -len(suffix)]
    return short


def parse_remaining(headers: Mapping[str, str]) -> Remaining:
    """Read ``x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`` and the
    subscription-scope policies of ``x-ms-ratelimit-remaining-resource``. Unreadable values
    are ignored."""
    lowered = {k.lower(): v for k, v in headers.items()}
    arm: dict[str, int] = {}
    for klass, header in (("read", "reads"), ("write", "writes"), ("delete", "deletes")):
        raw = lowered.get(f"x-ms-ratelimit-remaining-subscription-{header}")
        if raw is not None:
            with contextlib.suppress(ValueError):
                arm[klass] = int(raw.strip())
    compute: dict[str, int] = {}
    raw = lowered.get("x-ms-ratelimit-remaining-resource")
    if raw:
        for item in raw.split(","):
            name, _, count = item.strip().partition(";")
            base = _policy_base(name.strip())
            if base is None or base not in COMPUTE_POLICIES:
                continue
            try:
                value = int(count.strip())
            except ValueError:
                continue
            compute[base] = min(value, compute.get(base, value))
    return Remaining(arm=arm, compute=compute)


@dataclass(frozen=True)
class ThrottleConfig:
    """How flexvmss behaves under throttling.

    ``mode``: ``"wait"`` (requests wait for a closed gate, then go; the 429 that closed it is
    re-sent) or ``"fail_fast"`` (raise :class:`~flexvmss.ThrottledError` at once, send nothing).
    ``max_single_sleep``: the longest single sleep; a Retry-After beyond it raises
    ThrottledError instead of blocking (Azure has answered Retry-After: 1200). A longer wait for
    a queued slot (many waiters behind the gate or the pacer) is slept in pieces of this size.
    ``max_total_wait``: the most one request may wait in total for gates and pacing.
    ``low_watermark``: the fraction of a documented bucket kept in hand: requests go at once
    while the estimated count stays above it, then at the refill rate.
    ``pace_margin``: paced requests go at this fraction of the refill rate (1.0: exactly the
    refill rate; lower leaves room for other clients of the same subscription).
    ``default_retry_after``: the wait assumed for a 429 without any Retry-After header.
    ``time_scale``: real seconds per second of the service's clock — 1.0 for Azure; the
    emulator's ``time_scale`` when it runs on a scaled clock (its refill rates and waits are
    then that much faster in real time; its Retry-After hints already are).
    """

    mode: Literal["wait", "fail_fast"] = "wait"
    max_single_sleep: float = 60.0
    max_total_wait: float = 600.0
    low_watermark: float = 0.03
    pace_margin: float = 1.0
    default_retry_after: float = 2.0
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in ("wait", "fail_fast"):
            raise ValueError(f"ThrottleConfig.mode must be 'wait' or 'fail_fast', not {self.mode!r}")
        if not 0.0 < self.pace_margin <= 1.0:
            raise ValueError("ThrottleConfig.pace_margin must be in (0, 1]")
        if self.time_scale <= 0:
            raise ValueError("ThrottleConfig.time_scale must be positive")


class Gate:
    """A Retry-After gate that releases its waiters one at a time.

    :meth:`close` moves the opening time forward (never back). :meth:`reserve` gives each
    caller its own release slot: the first at the opening time, the next ``spacing`` seconds
    later and so on (plus up to half a spacing of jitter), so a closed gate lets its queue
    through at the rate the bucket refills, not as a herd.
    """

    def __init__(self, spacing: float, rng: random.Random | None = None) -> None:
        self.spacing = spacing
        self.open_at = 0.0
        self._next_release = 0.0
        self._rng = rng or random.Random()

    def close(self, until: float) -> None:
        if until > self.open_at:
            self.open_at = until
            self._next_release = max(self._next_release, until)

    def is_closed(self, now: float) -> bool:
        return now < self.open_at

    def reserve(self, now: float) -> float:
        """Seconds this caller must wait before sending (0 when the gate is open and idle)."""
        if now >= self.open_at and now >= self._next_release:
            return 0.0
        slot = max(self.open_at, self._next_release)
        self._next_release = slot + self.spacing
        return slot + self._rng.uniform(0.0, self.spacing / 2) - now


class Pacer:
    """Spends a bucket's burst down to a small reserve, then spaces requests at its refill rate.

    The estimate starts from the last observed remaining count less the requests that were
    still unanswered then (the count may not include them yet), grows at the refill rate and
    shrinks by one for every request reserved since. While one more request leaves at least
    ``floor`` (``watermark_fraction`` of the capacity, at least 4) requests in the bucket it goes
    at once; after that each request gets the moment the bucket will have refilled one more
    token for it, so paced requests follow each other at exactly ``1 / (refill * margin)``
    seconds: no idle gap, and no 429 as long as the estimate holds.
    """

    def __init__(self, bucket: Bucket, *, watermark_fraction: float, margin: float) -> None:
        self.bucket = bucket
        self.floor = max(4.0, bucket.capacity * watermark_fraction)
        self.margin = margin
        self.remaining: float | None = None
        #: Requests reserved and not yet answered (sent, or waiting for their slot).
        self.outstanding = 0
        self._observed_at = 0.0
        self._sent_since = 0

    def observe(self, remaining: int, now: float) -> None:
        """A response reported ``remaining``; call :meth:`settle` for that response first."""
        self.remaining = float(remaining) - self.outstanding
        self._observed_at = now
        self._sent_since = 0

    def settle(self) -> None:
        """One reserved request was answered (or given up)."""
        self.outstanding = max(0, self.outstanding - 1)

    def estimate(self, now: float) -> float | None:
        if self.remaining is None:
            return None
        refilled = self.remaining + self.bucket.refill_per_s * max(0.0, now - self._observed_at)
        return min(self.bucket.capacity, refilled) - self._sent_since

    def reserve(self, now: float) -> float:
        """Seconds to wait before sending one more request of this bucket."""
        estimate = self.estimate(now)
        self._sent_since += 1
        self.outstanding += 1
        if estimate is None or estimate - 1.0 >= self.floor:
            return 0.0
        missing = self.floor + 1.0 - estimate
        return missing / (self.bucket.refill_per_s * self.margin)


@dataclass(frozen=True)
class Admission:
    """What :meth:`ThrottleState.admit` decided for one request."""

    delay: float
    gate_wait: float
    scope: Scope


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
        self._gates: dict[Scope, Gate] = {
            "read": Gate(self._scaled(ARM_BUCKETS["read"]).spacing, self._rng),
            "write": Gate(self._scaled(ARM_BUCKETS["write"]).spacing, self._rng),
        }
        self._arm: dict[str, Pacer] = {name: self._pacer(bucket) for name, bucket in ARM_BUCKETS.items()}
        self._compute: dict[str, Pacer] = {}
        self._families: dict[str, set[str]] = {}
        self.requests: dict[str, int] = {"read": 0, "write": 0, "delete": 0}
        self.throttled = 0
        self.failed_fast = 0
        self.waited = 0.0

    def _scaled(self, bucket: Bucket) -> Bucket:
        """The bucket as it refills in real time (see ``ThrottleConfig.time_scale``)."""
        return Bucket(bucket.capacity, bucket.refill_per_s / self.config.time_scale)

    def _pacer(self, bucket: Bucket) -> Pacer:
        return Pacer(
            self._scaled(bucket), watermark_fraction=self.config.low_watermark, margin=self.config.pace_margin
        )

    def now(self) -> float:
        return self._clock()

    def admit(self, method: str, url: str, *, mode: str | None = None) -> Admission:
        """Reserve a send slot: how long to wait, and how much of that is a closed gate.
        In ``fail_fast`` mode (default: the state's config) a closed gate reserves nothing."""
        now = self._clock()
        scope = gate_scope(method)
        with self._lock:
            gate = self._gates[scope]
            gate_wait = max(0.0, gate.open_at - now)
            if gate_wait > 0 and (mode or self.config.mode) == "fail_fast":
                return Admission(delay=gate_wait, gate_wait=gate_wait, scope=scope)
            delays = [gate.reserve(now), self._arm[arm_class(method)].reserve(now)]
            for policy in self._families.get(family_key(method, url), ()):
                delays.append(self._compute[policy].reserve(now))
            return Admission(delay=max(delays), gate_wait=gate_wait, scope=scope)

    def record(self, method: str, url: str, status: int, headers: Mapping[str, str]) -> float | None:
        """Learn from one response. Returns the Retry-After (seconds) when it was a 429."""
        now = self._clock()
        remaining = parse_remaining(headers)
        with self._lock:
            self.requests[arm_class(method)] += 1
            self._settle(method, url)
            for klass, count in remaining.arm.items():
                self._arm[klass].observe(count, now)
            if remaining.compute:
                family = self._families.setdefault(family_key(method, url), set())
                for policy, count in remaining.compute.items():
                    pacer = self._compute.get(policy)
                    if pacer is None:
                        pacer = self._compute[policy] = self._pacer(COMPUTE_POLICIES[policy])
                    pacer.observe(count, now)
                    family.add(policy)
            if status != 429:
                return None
            self.throttled += 1
            wait = retry_after_seconds(headers)
            if wait is None:
                wait = self.config.default_retry_after * self.config.time_scale
            self._gates[gate_scope(method)].close(now + wait)
            return wait

    def _settle(self, method: str, url: str) -> None:
        """The request reserved by :meth:`admit` for ``method url`` is answered (call locked)."""
        self._arm[arm_class(method)].settle()
        for policy in self._families.get(family_key(method, url), ()):
            self._compute[policy].settle()

    def release(self, method: str, url: str) -> None:
        """A reserved request was never answered (a transport error, or it gave up waiting)."""
        with self._lock:
            self._settle(method, url)

    def add_wait(self, seconds: float) -> None:
        with self._lock:
            self.waited += seconds

    def note_failed_fast(self) -> None:
        with self._lock:
            self.failed_fast += 1

    def gate_open_at(self, scope: Scope) -> float:
        with self._lock:
            return self._gates[scope].open_at

    def snapshot(self) -> dict[str, Any]:
        """Counters and gate/pacing state, for logs and benchmarks."""
        now = self._clock()
        with self._lock:
            return {
                "requests": dict(self.requests),
                "throttled": self.throttled,
                "failed_fast": self.failed_fast,
                "waited": self.waited,
                "gates": {scope: max(0.0, gate.open_at - now) for scope, gate in self._gates.items()},
                "remaining": {
                    **{f"arm/{k}": p.estimate(now) for k, p in self._arm.items()},
                    **{f"compute/{k}": p.estimate(now) for k, p in self._compute.items()},
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


class ThrottlePolicy(AsyncHTTPPolicy):  # type: ignore[type-arg]
    """azure-core policy applying a shared :class:`ThrottleState`.

    Place it inside the transient-retry policy and outside azure-core's own RetryPolicy (which
    flexvmss configures with no retries), so a 429 is handled here once: in mode ``"wait"`` the
    request waits for its gate and is re-sent, in mode ``"fail_fast"`` it raises
    :class:`~flexvmss.ThrottledError`. A 429 is never returned to the SDK, so a throttled list
    can never read as an empty one.

    One instance per pipeline (policies hold their ``next``); the state is what is shared.
    ``sleep`` is how it waits (the runtime's sleep; real time by default).
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
        operation = _operation_name(method, url)
        waited = 0.0
        while True:
            admission = self.state.admit(method, url, mode=self.config.mode)
            if admission.gate_wait > 0 and self.config.mode == "fail_fast":
                self.state.note_failed_fast()
                self._raise(
                    operation,
                    admission.scope,
                    admission.gate_wait,
                    f"the {admission.scope} gate is closed after a 429 for {admission.gate_wait:.1f} s more; "
                    "nothing was sent",
                )
            if admission.delay > 0:
                if admission.gate_wait > self.config.max_single_sleep:
                    self.state.release(method, url)
                    self._raise(
                        operation,
                        admission.scope,
                        admission.gate_wait,
                        f"Azure asked to wait {admission.gate_wait:.0f} s, more than max_single_sleep "
                        f"({self.config.max_single_sleep:.0f} s)",
                    )
                if waited + admission.delay > self.config.max_total_wait:
                    self.state.release(method, url)
                    self._raise(
                        operation,
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
                    self.state.release(method, url)
                    raise
            try:
                response = await self.next.send(request)
            except BaseException:
                self.state.release(method, url)
                raise
            http_response = response.http_response
            retry_after = self.state.record(method, url, http_response.status_code, http_response.headers)
            if retry_after is None:
                return response
            tally = current_tally.get()
            if tally is not None and tally.on_throttled is not None:
                tally.on_throttled(current_vm.get(), retry_after, admission.scope)
            await read_body(http_response)
            if self.config.mode == "fail_fast":
                from azure.core.exceptions import HttpResponseError

                raise from_azure_error(HttpResponseError(response=http_response), operation=operation)

