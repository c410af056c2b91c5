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
client pipeline, one state per (endpoint, subscription). The decision logic (header and body
parsing, gate maths, pacing delays) is pure and tested without I/O; only
:meth:`ThrottlePolicy.send` sleeps and sends.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import random
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from azure.core.pipeline.policies import AsyncHTTPPolicy

from flexvmss import _clock
from flexvmss._errors import ThrottledError, from_azure_error, retry_after_seconds
from flexvmss._headers import lower_headers
from flexvmss._pipeline._deadline import time_left
from flexvmss._pipeline._http import read_body, url_path
from flexvmss._progress import current_tally, current_vm

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.pipeline import PipelineRequest, PipelineResponse

    from flexvmss._runtime import Clock, Sleep

__all__ = [
    "ARM_BUCKETS",
    "BLIND_BURST",
    "COMPUTE_POLICIES",
    "LEGACY_POLICIES",
    "MAX_RESERVE",
    "MAX_RETRY_AFTER",
    "MAX_SPEEDUP",
    "Bucket",
    "Gate",
    "Pacer",
    "PageBudget",
    "PolicyName",
    "Remaining",
    "ThrottleConfig",
    "ThrottlePolicy",
    "ThrottleState",
    "arm_class",
    "bounded_wait",
    "family_key",
    "gate_scope",
    "parse_policy",
    "parse_remaining",
    "resource_key",
    "shared_throttle_state",
    "throttled_policies",
]


Scope = Literal["read", "write"]
ArmClass = Literal["read", "write", "delete"]

#: The most tokens a pacer keeps in hand, whatever the bucket's size: enough to cover what
#: another caller may have in flight when the bucket runs low (inferred; see ThrottleConfig).
MAX_RESERVE = 30.0

#: The longest wait a 429 or a poll hint may impose, in Azure seconds: the longest window
#: Azure meters (the legacy 30-minute policies, k8s-azure-flex.md section 4). Inferred: longer
#: or non-finite values are taken as this (``Retry-After: inf`` must not close a gate forever).
MAX_RETRY_AFTER = 1800.0

#: Requests a pacer lets go before Azure has reported any count of its bucket (the bucket may
#: be smaller than the table says; inferred).
BLIND_BURST = 4

#: The most a pacer believes a bucket refills beyond the published table, once measured
#: (a subscription with a raised quota; inferred: limits can differ from the table).
MAX_SPEEDUP = 2.0


@dataclass(frozen=True)
class Bucket:
    """A token bucket: ``capacity`` requests, refilled at ``refill_per_s``."""

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

#: Compute's subscription-scope buckets (compute-throttling-limits, 2024-05-27): (capacity,
#: refill per minute) -> the policies metered that way.
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

#: Compute's subscription-scope bucket of each current policy, refill converted to per second.
COMPUTE_POLICIES: dict[str, Bucket] = {
    policy: Bucket(capacity, per_minute / 60)
    for (capacity, per_minute), policies in _COMPUTE_BUCKETS.items()
    for policy in policies
}

#: Capacities of legacy windowed policies seen in real answers (k8s-azure-flex.md section 4:
#: azure-sdk-for-js recordings ``PutVM3Min;239``/``PutVM30Min;1198``, ``LowCostGet3Min;3993``/
#: ``LowCostGet30Min;31993``, a gist's ``GetVMScaleSet3Min;197``/``GetVMScaleSet30Min;1297``,
#: cloud-provider-azure#2880 ``HighCostGet3Min`` allowed 140, the 2018 doc's ``HighCostGet30Min``
#: allowed 800). A window missing here is learned from the largest count Azure reports.
LEGACY_POLICIES: dict[str, float] = {
    "PutVM3Min": 240,
    "PutVM30Min": 1200,
    "LowCostGet3Min": 4000,
    "LowCostGet30Min": 32000,
    "GetVMScaleSet3Min": 200,
    "GetVMScaleSet30Min": 1300,
    "HighCostGet3Min": 140,
    "HighCostGet30Min": 800,
}

_WINDOW = re.compile(r"^(?P<base>.+?)(?P<minutes>\d+)Min$")


@dataclass(frozen=True)
class PolicyName:
    """What a Compute policy's name says: ``name`` as Azure spells it (no namespace), ``base``
    (``DeleteVM``), ``scope`` and the metering ``window`` in seconds (None: unknown)."""

    name: str
    base: str
    scope: Literal["subscription", "resource"]
    window: float | None

    def bucket(self, observed_max: float | None = None) -> Bucket | None:
        """The bucket to pace this policy by: documented when known, else learned from the
        largest remaining count seen (plus the request that count excluded) over the window;
        None when it is not paced (resource scope, unknown window)."""
        if self.scope == "resource" or self.window is None:
            return None
        if self.window == 60.0 and self.base in COMPUTE_POLICIES:
            return COMPUTE_POLICIES[self.base]
        capacity = LEGACY_POLICIES.get(self.name)
        if capacity is None:
            if observed_max is None:
                return None
            capacity = observed_max + 1
        return Bucket(capacity, capacity / self.window)


@functools.lru_cache(maxsize=256)  # a handful of names, parsed on every answer
def parse_policy(raw: str) -> PolicyName:
    """``Microsoft.Compute/DeleteVMSubscriptionMaximum`` -> DeleteVM at subscription scope over
    a minute; ``DeleteVMResource`` -> resource scope; ``PutVM30Min`` -> a 30-minute window
    (legacy names are subscription scope: their recorded counts are subscription-sized, inferred
    from k8s-azure-flex.md section 4); anything else keeps its name, subscription scope and an
    unknown window (it is gated when a 429 names it, never paced)."""
    name = raw.strip().split("/", 1)[-1].strip()
    if name.endswith("SubscriptionMaximum"):
        return PolicyName(name, name[: -len("SubscriptionMaximum")], "subscription", 60.0)
    if name.endswith("Resource"):
        return PolicyName(name, name[: -len("Resource")], "resource", 60.0)
    match = _WINDOW.match(name)
    if match:
        return PolicyName(name, match["base"], "subscription", 60.0 * int(match["minutes"]))
    if name in COMPUTE_POLICIES:  # the table's own spelling (the emulator's headers, tests)
        return PolicyName(name, name, "subscription", 60.0)
    return PolicyName(name, name, "subscription", None)


def gate_scope(method: str) -> Scope:
    """The class a request is reported under: ``read`` for GET/HEAD, ``write`` otherwise."""
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


_RESOURCE = re.compile(r"^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/[^/]+/[^/]+/[^/]+)", re.I)


def resource_key(url: str) -> str | None:
    """The top-level resource a request addresses (its actions and children included),
    lower-cased; None for collections and subscription-level paths (operation statuses)."""
    match = _RESOURCE.match(urlsplit(url).path)
    return match.group(1).lower() if match else None


def bounded_wait(seconds: float | None, *, cap: float) -> float | None:
    """A wait Azure asked for, made safe: None stays None, NaN and negatives become 0, and
    infinite or larger values become ``cap``."""
    if seconds is None:
        return None
    if math.isnan(seconds) or seconds < 0:
        return 0.0
    return min(seconds, cap)


@dataclass(frozen=True)
class Remaining:
    """The remaining-request counts one response reported: ARM's by class, Compute's by policy
    name (every policy named, paced or not)."""

    arm: dict[str, int] = field(default_factory=dict)
    compute: dict[str, int] = field(default_factory=dict)


_ARM_HEADERS = {
    "x-ms-ratelimit-remaining-subscription-reads": "read",
    "x-ms-ratelimit-remaining-subscription-writes": "write",
    "x-ms-ratelimit-remaining-subscription-deletes": "delete",
}


def parse_remaining(headers: Mapping[str, str]) -> Remaining:
    """Read ``x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`` and every policy of
    ``x-ms-ratelimit-remaining-resource`` (one entry per policy; azure-core joins repeated
    headers with ", "). Unreadable values are ignored."""
    arm: dict[str, int] = {}
    compute: dict[str, int] = {}
    lowered = lower_headers(headers)
    # the per-principal counts, not the ...-global-... ones (15x larger)
    for name, klass in _ARM_HEADERS.items():
        raw = lowered.get(name)
        if raw is not None:
            with contextlib.suppress(ValueError):
                arm[klass] = int(str(raw).strip())
    for item in str(lowered.get("x-ms-ratelimit-remaining-resource") or "").split(","):
        name, _, count = item.strip().partition(";")
        if not name.strip():
            continue
        try:
            value = int(count.strip())
        except ValueError:
            continue
        short = parse_policy(name).name
        compute[short] = min(value, compute.get(short, value))
    return Remaining(arm=arm, compute=compute)


#: ARM's own codes for a throttled subscription or tenant (request-limits-and-throttling).
_ARM_THROTTLE_CODES = frozenset({"subscriptionrequeststhrottled", "tenantrequeststhrottled"})


def _nodes(error: Any) -> Iterable[Mapping[str, Any]]:
    if not isinstance(error, Mapping):
        return
    yield error
    for detail in error.get("details") or ():
        yield from _nodes(detail)


def throttled_policies(body: Any) -> tuple[bool, list[str]]:
    """What a 429's body blames: (ARM's subscription bucket?, the Compute policies it names).

    Compute names the policy in ``target`` of the error or of its ``details`` and as
    ``operationGroup`` in the JSON text of ``message`` (SupportArticles-docs
    troubleshooting-throttling-errors.md, 2024-04-15; cloud-provider-azure#2880)."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return False, []
    names: list[str] = []
    arm = False
    for node in _nodes(error):
        code = str(node.get("code") or "").lower()
        arm = arm or code in _ARM_THROTTLE_CODES
        target = node.get("target")
        if isinstance(target, str) and target.strip() and code in ("operationnotallowed", "toomanyrequests"):
            names.append(parse_policy(target).name)
        message = node.get("message")
        if isinstance(message, str) and message.lstrip().startswith("{"):
            with contextlib.suppress(ValueError):
                parsed = json.loads(message)
                group = parsed.get("operationGroup") if isinstance(parsed, Mapping) else None
                if isinstance(group, str) and group.strip():
                    names.append(parse_policy(group).name)
    return arm, list(dict.fromkeys(names))


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
    """Spends a bucket's burst down to a small reserve, then spaces requests at the refill rate
    the bucket's other callers leave.

    The estimate starts from the last observed remaining count less the requests that were
    still unanswered then (the count may not include them yet), grows at the refill rate less
    what others take, and shrinks by one for every request reserved since. While one more
    request leaves at least ``floor`` (``watermark_fraction`` of the capacity, at least 4)
    requests in the bucket it goes at once (the reserve is at most :data:`MAX_RESERVE`, so a
    30-minute window of 1,200 is not held back by minutes); after that each request gets the
    moment the bucket will have refilled one more token for it.

    **Others, and limits not as published.** Azure's counts are the subscription's, every
    caller included, and a subscription's limits may differ from the published table. Every
    ``window`` seconds the pacer compares what Azure reports with what its own sends alone
    would have left at the table's refill since the start of the window; the difference, per
    second, is what the other callers take, or (negative) how much faster than the table the
    bucket refills (smoothed; between ``max_share`` of the refill taken and :data:`MAX_SPEEDUP`
    times the refill given). With two processes pacing on one bucket each measures the other,
    and together they stay within the refill. A 429 that blames the bucket halves the rate the
    pacer allows itself at once (:meth:`throttled`): the measurement needs a window, a bucket
    far smaller than the table must not cost a window of 429s. Counts above the table's
    capacity raise the capacity the estimate is capped at.
    """

    def __init__(
        self,
        bucket: Bucket,
        *,
        watermark_fraction: float,
        margin: float,
        window: float | None = None,
        max_share: float = 0.98,
    ) -> None:
        self.bucket = bucket
        self.floor = max(4.0, min(MAX_RESERVE, bucket.capacity * watermark_fraction))
        self.margin = margin
        self.remaining: float | None = None
        #: Requests reserved and not yet answered (sent, or waiting for their slot).
        self.outstanding = 0
        #: Tokens per second the bucket's other callers take, as measured.
        self.others = 0.0
        self.window = window if window is not None else 40.0 * bucket.spacing
        self.max_share = max_share
        self._observed_at = 0.0
        self._sent_since = 0
        #: Requests of this bucket Azure answered (not refused) so far: what it spent.
        self.answered = 0
        self._window_start: tuple[float, float, int] | None = None  # (time, count, answered)
        #: The bucket's capacity: the table's, or the largest count Azure reported (plus the
        #: request it excluded) when that is larger.
        self.capacity = bucket.capacity
        self._last_cut = -math.inf

    @property
    def refill(self) -> float:
        """Tokens per second this process may spend: the refill less what others take (or
        more, when the bucket was measured to refill faster than the table says)."""
        return max(self.bucket.refill_per_s * (1.0 - self.max_share), self.bucket.refill_per_s - self.others)

    def _bounded_others(self, value: float) -> float:
        rate = self.bucket.refill_per_s
        return min(rate * self.max_share, max(-rate * (MAX_SPEEDUP - 1.0), value))

    def throttled(self, now: float) -> None:
        """A 429 blamed this bucket: it is empty now, and it refills slower for this process
        than assumed; halve the rate this process allows itself (once per quarter window: the
        429s of requests already in flight say nothing more)."""
        if now >= self._last_cut + self.window / 4:
            self._last_cut = now
            self.others = self._bounded_others(self.bucket.refill_per_s - 0.5 * self.refill)
        self.remaining = 0.0
        self._observed_at = now
        self._sent_since = 0
        self._window_start = (now, 0.0, self.answered)

    def observe(self, remaining: int, now: float) -> bool:
        """A response reported ``remaining``; call :meth:`settle` for that response first.
        True for the bucket's first count."""
        first = self.remaining is None
        tokens = float(remaining) - self.outstanding
        # a count above the table's capacity shows a larger bucket (a count below it may be
        # other callers' doing: the table's capacity and reserve stay)
        self.capacity = max(self.capacity, float(remaining) + 1.0)
        count = float(remaining)
        if self._window_start is None:
            self._window_start = (now, count, self.answered)
        else:
            started, start_count, start_answered = self._window_start
            elapsed = now - started
            if elapsed >= self.window:
                # what the bucket gained for this process: the change of Azure's count plus what
                # this process spent meanwhile; the table's refill less that is the others' take
                net = (count - start_count + self.answered - start_answered) / elapsed
                if count < self.capacity - self.floor:
                    self.others = self._bounded_others(
                        0.5 * self.others + 0.5 * (self.bucket.refill_per_s - net)
                    )
                else:  # a bucket at its top hides its refill: it gives at least this, up to the table
                    faster = max(net, 1.25 * self.refill)
                    self.others = min(self.others, max(0.0, self.bucket.refill_per_s - faster))
                self._window_start = (now, count, self.answered)
        self.remaining = tokens
        self._observed_at = now
        self._sent_since = 0
        return first

    def settle(self, *, spent: bool = True) -> None:
        """One reserved request was answered (or lost in transport: it may have been spent);
        ``spent=False`` for a refusal (a 429 spends nothing, as far as Azure documents)."""
        self.outstanding = max(0, self.outstanding - 1)
        if spent:
            self.answered += 1

    def cancel(self) -> None:
        """One reserved request was given up before it was sent: its token is not spent."""
        self.settle(spent=False)
        self._sent_since = max(0, self._sent_since - 1)

    def estimate(self, now: float) -> float | None:
        if self.remaining is None:
            return None
        refilled = self.remaining + self.refill * max(0.0, now - self._observed_at)
        return min(self.capacity, refilled) - self._sent_since

    def reserve(self, now: float) -> float:
        """Seconds to wait before sending one more request of this bucket."""
        estimate = self.estimate(now)
        ahead = self.outstanding
        self._sent_since += 1
        self.outstanding += 1
        if estimate is None:  # no count yet: a few go, the rest at the table's pace until one comes
            return 0.0 if ahead < BLIND_BURST else (ahead - BLIND_BURST + 1) * self.bucket.spacing
        if estimate - 1.0 >= self.floor:
            return 0.0
        missing = self.floor + 1.0 - estimate
        return missing / (self.refill * self.margin)


class PageBudget:
    """The VM-list pages fan-outs may read, one budget per subscription (every scale set the
    process watches shares it): ``share`` of Compute's HighCostGet refill (300 per minute,
    compute-throttling-limits), with a small burst. When Azure reports the subscription's
    HighCostGet bucket below half full (other callers list too), the budget shrinks in
    proportion, down to a tenth."""

    def __init__(self, bucket: Bucket, share: float, *, burst: float = 5.0) -> None:
        self.capacity = bucket.capacity
        self.rate = bucket.refill_per_s * share
        self.burst = burst
        self._tokens = burst
        self._updated: float | None = None
        self._level: float | None = None  # the HighCostGet bucket's level, as a fraction

    def note_level(self, remaining: int) -> None:
        """Azure reported ``remaining`` tokens in the subscription's HighCostGet bucket (read
        against the table's capacity: a smaller bucket than published is taken for a drained
        one, the safe side)."""
        self._level = max(0.0, min(1.0, remaining / self.capacity))

    def _current_rate(self) -> float:
        if self._level is None or self._level >= 0.5:
            return self.rate
        return self.rate * max(0.1, self._level / 0.5)

    def reserve(self, now: float, pages: int = 1) -> float:
        """Take ``pages`` pages; returns the seconds until they are covered (0: now)."""
        if self._updated is None:
            self._updated = now
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._current_rate())
        self._updated = now
        self._tokens -= pages
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self._current_rate()

    def available_at(self, now: float) -> float:
        """When one more page would be covered (``now`` if it is)."""
        if self._updated is None:
            return now
        tokens = min(self.burst, self._tokens + (now - self._updated) * self._current_rate())
        return now if tokens >= 1 else now + (1 - tokens) / self._current_rate()


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
            retry_after = self.state.record(method, url, status, http_response.headers, body, family=family)
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
