"""Azure's published throttling, as token buckets on the emulated clock.

Two layers, as in Azure:

* **ARM** (Azure Resource Manager, in front of every provider): per subscription, one bucket
  per operation type. Reads hold 250 tokens refilled at 25/s, writes and deletes 200 at 10/s
  (learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
  A request's type follows its HTTP method: GET/HEAD read, DELETE delete, the rest write. A
  global bucket at 15x the per-principal one is reported too (``...-global-...`` headers);
  with one principal it never binds first.
* **Compute** (the Microsoft.Compute resource provider): per policy, one bucket per
  subscription and one per resource, with per-minute refill
  (learn.microsoft.com/azure/virtual-machines/compute-throttling-limits). A route names its
  policy (:attr:`Route.policy`); a policy this table doesn't know has no compute bucket.

Whether a throttled request costs a token in Azure is not documented (the Compute and ARM
throttling pages count requests, not refusals): by default a refused request spends nothing;
``refusals_cost=True`` makes it spend its tokens too, so a client that keeps retrying early
keeps itself throttled. With the model off (the default) nothing is refused and nothing is
spent, and the ``x-ms-ratelimit-remaining-*`` headers report full buckets.

**Limits the client does not know.** A client can carry the same tables as this module, so a
run on published limits proves less than it seems. :class:`ThrottleLimits` makes the emulator
enforce other limits (every capacity and refill scaled, as a subscription with a different
quota or a changed table would) and lets **other callers** spend the same buckets at a steady
rate (another process or principal on the subscription: ARM's per-principal buckets are
per subscription and principal, Compute's are the subscription's, so the headers a client reads
include what others took). Both are inferred test knobs, not Azure facts: Azure publishes one
table and reports only the counts left.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .core import ArmError, Clock

__all__ = [
    "ARM_LIMITS",
    "COMPUTE_POLICIES",
    "ComputePolicy",
    "Decision",
    "ThrottleLimits",
    "ThrottleModel",
    "TokenBucket",
    "bucket_names",
    "canonical_policy",
    "lower_bound_seconds",
    "throttle_lower_bound",
]

#: ARM per-subscription limits: operation type -> (bucket capacity, refill per second).
ARM_LIMITS: dict[str, tuple[float, float]] = {
    "read": (250.0, 25.0),
    "write": (200.0, 10.0),
    "delete": (200.0, 10.0),
}
#: The global subscription limit is this multiple of the per-principal one.
GLOBAL_FACTOR = 15


@dataclass(frozen=True)
class ComputePolicy:
    """One row of Compute's throttling table: per-minute refill and capacity per scope.

    ``resource_refill`` is None for subscription-only policies (High Cost Get VM)."""

    name: str
    resource_refill: float | None
    resource_capacity: float | None
    subscription_refill: float
    subscription_capacity: float


def _policy(name: str, r: tuple[float, float] | None, s: tuple[float, float]) -> ComputePolicy:
    return ComputePolicy(name, r[0] if r else None, r[1] if r else None, s[0], s[1])


#: Compute's published limits (refill per minute / capacity), per policy.
COMPUTE_POLICIES: dict[str, ComputePolicy] = {
    p.name: p
    for p in (
        _policy("PutVM", (4, 12), (500, 1500)),
        _policy("UpdateVM", (4, 12), (500, 1500)),
        _policy("DeleteVM", (4, 12), (500, 1500)),
        _policy("LowCostGet", (12, 36), (8000, 24000)),
        _policy("HighCostGet", None, (300, 900)),
        _policy("GetOperation", (15, 45), (5000, 15000)),
        _policy("CreateVMScaleSet", (4, 12), (125, 375)),
        _policy("UpdateVMScaleSet", (4, 12), (500, 1500)),
        _policy("DeleteVMScaleSet", (4, 12), (175, 525)),
        _policy("GetVMScaleSet", (12, 36), (800, 2400)),
        _policy("HighCostGetVMScaleSet", (10, 30), (360, 1080)),
    )
}

#: Other spellings providers may use for the same policies.
_ALIASES = {
    "lowcostgetvm": "LowCostGet",
    "highcostgetvm": "HighCostGet",
    "putvmscaleset": "CreateVMScaleSet",
    "lowcostgetvmscaleset": "GetVMScaleSet",
    "getoperationstatus": "GetOperation",
}
_BY_LOWER = {name.lower(): name for name in COMPUTE_POLICIES}


def canonical_policy(name: str | None) -> str | None:
    """The table's name for ``name`` (case-insensitive, aliases resolved); None if unknown."""
    if not name:
        return None
    key = name.lower()
    return _BY_LOWER.get(key) or _ALIASES.get(key)


def bucket_names() -> list[str]:
    """The subscription buckets :attr:`ThrottleLimits.others` may name: ``arm/read``,
    ``arm/write``, ``arm/delete`` and ``compute/<Policy>`` for every policy of the table."""
    return [f"arm/{kind}" for kind in ARM_LIMITS] + [f"compute/{name}" for name in COMPUTE_POLICIES]


@dataclass(frozen=True)
class ThrottleLimits:
    """Limits in place of Azure's published ones (inferred test knobs; see the module's text).

    ``capacity`` and ``refill`` multiply every bucket's capacity and refill rate (ARM's and
    Compute's, subscription and resource scope: 0.5 halves every limit). ``others`` maps a
    subscription bucket (:func:`bucket_names`: ``"arm/write"``, ``"compute/DeleteVM"``...) to the
    tokens per emulated second other callers take from it while it has any, in every
    subscription."""

    capacity: float = 1.0
    refill: float = 1.0
    others: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("capacity", "refill"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"ThrottleLimits.{name} must be a number, not {type(value).__name__}")
            if not (math.isfinite(value) and 0.01 <= value <= 100):
                raise ValueError(f"ThrottleLimits.{name} must be between 0.01 and 100, not {value!r}")
        if not isinstance(self.others, Mapping):
            raise ValueError("ThrottleLimits.others must map bucket names to tokens per second")
        known = {name.lower(): name for name in bucket_names()}
        others: dict[str, float] = {}
        for key, rate in self.others.items():
            bucket = known.get(str(key).lower())
            if bucket is None:
                raise ValueError(
                    f"ThrottleLimits.others: unknown bucket {key!r} (one of {', '.join(known.values())})"
                )
            if (
                isinstance(rate, bool)
                or not isinstance(rate, (int, float))
                or not (math.isfinite(rate) and rate >= 0)
            ):
                raise ValueError(f"ThrottleLimits.others[{key!r}] must be a finite number >= 0, not {rate!r}")
            others[bucket] = float(rate)
        object.__setattr__(self, "others", others)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThrottleLimits:
        """From the admin API's JSON (``{"capacity": 0.5, "refill": 0.5, "others": {...}}``)."""
        unknown = set(data) - {"capacity", "refill", "others"}
        if unknown:
            raise ValueError(f"unknown throttle limit(s): {', '.join(sorted(unknown))}")
        return cls(
            capacity=data.get("capacity", 1.0),
            refill=data.get("refill", 1.0),
            others=data.get("others") or {},
        )

    def to_dict(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "refill": self.refill, "others": dict(self.others)}

    @property
    def published(self) -> bool:
        """Azure's own limits and nobody else spending them."""
        return self.capacity == 1.0 and self.refill == 1.0 and not any(self.others.values())

    def bucket(self, name: str, capacity: float, refill_per_s: float) -> tuple[float, float, float]:
        """(capacity, refill per second, others' take per second) of the bucket ``name``
        (``arm/write``, ``compute/DeleteVM``; a resource-scope or global bucket: any other
        name) whose published limits are ``capacity`` and ``refill_per_s``. A bucket holds one
        request at least (a smaller one would refuse every request for ever)."""
        return max(1.0, capacity * self.capacity), refill_per_s * self.refill, self.others.get(name, 0.0)


class TokenBucket:
    """A token bucket refilled continuously on the emulated clock; ``drain`` tokens per second
    are taken by other callers while there are any."""

    __slots__ = ("capacity", "drain", "rate", "tokens", "updated")

    def __init__(self, capacity: float, rate_per_second: float, now: float, drain: float = 0.0) -> None:
        self.capacity = capacity
        self.rate = rate_per_second
        self.drain = drain
        self.tokens = capacity
        self.updated = now

    def level(self, now: float) -> float:
        """Tokens available at ``now`` (refills as a side effect)."""
        if now > self.updated:
            gained = (now - self.updated) * (self.rate - self.drain)
            self.tokens = max(min(self.tokens, 0.0), min(self.capacity, self.tokens + gained))
            self.updated = now
        return self.tokens

    def wait_for(self, now: float, cost: float = 1.0) -> float:
        """Emulated seconds until ``cost`` tokens are available (0 if they are now); a bucket the
        others drain as fast as it refills is said to need a minute (Compute's window)."""
        missing = cost - self.level(now)
        if missing <= 0:
            return 0.0
        net = self.rate - self.drain
        return missing / net if net > 0 else 60.0

    def take(self, cost: float = 1.0) -> None:
        self.tokens -= cost


def lower_bound_seconds(n_requests: int, capacity: float, rate_per_second: float) -> float:
    """The least emulated time in which one bucket lets ``n_requests`` through: the burst is
    free, every request beyond it waits for a refill."""
    return max(0.0, (n_requests - capacity) / rate_per_second)


def throttle_lower_bound(
    n_requests: int,
    *,
    arm: str = "write",
    policy: str | None = None,
    resources: int | None = None,
    limits: ThrottleLimits | None = None,
) -> float:
    """The least emulated seconds the throttling model allows for ``n_requests`` calls of
    one kind, starting from full buckets.

    ``arm`` is the ARM operation type (read/write/delete); ``policy`` the Compute policy;
    ``resources`` how many distinct resources the calls spread over evenly (each then has
    its own per-resource bucket); ``limits`` the emulator's :class:`ThrottleLimits` (other
    callers' take is subtracted from a bucket's refill). The binding bucket decides."""
    limits = limits or ThrottleLimits()

    def bound_of(name: str, n: int, capacity: float, refill: float) -> float:
        cap, rate, drain = limits.bucket(name, capacity, refill)
        return lower_bound_seconds(n, cap, rate - drain) if rate > drain else math.inf

    bound = bound_of(f"arm/{arm}", n_requests, *ARM_LIMITS[arm])
    pol = COMPUTE_POLICIES.get(canonical_policy(policy) or "")
    if pol is not None:
        sub = bound_of(
            f"compute/{pol.name}", n_requests, pol.subscription_capacity, pol.subscription_refill / 60
        )
        bound = max(bound, sub)
        if resources and pol.resource_capacity is not None and pol.resource_refill is not None:
            per = math.ceil(n_requests / resources)
            bound = max(bound, bound_of("resource", per, pol.resource_capacity, pol.resource_refill / 60))
    return bound


_RESOURCE_RE = re.compile(
    r"^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/[^/]+/[^/]+/[^/]+)", re.IGNORECASE
)


def resource_key_of(path: str) -> str | None:
    """The top-level resource id a request path addresses (actions and child paths
    included), lower-cased; None for collection paths."""
    m = _RESOURCE_RE.match(path)
    return m.group(1).lower() if m else None


@dataclass
class Decision:
    """What the model says about one request: refused (with the error) or let through, and
    the headers to send either way."""

    error: ArmError | None
    headers: dict[str, str]
    kind: str | None = None  # "arm" | "compute" when refused
    bucket: str | None = None  # operation group name when refused


class ThrottleModel:
    """Buckets per subscription and resource, consulted once per request."""

    def __init__(
        self,
        clock: Clock,
        *,
        enabled: bool = False,
        refusals_cost: bool = False,
        limits: ThrottleLimits | None = None,
    ) -> None:
        self.clock = clock
        self.enabled = enabled
        #: A refused (429) request spends its tokens as well (unknown in Azure; off by default).
        self.refusals_cost = refusals_cost
        #: The limits enforced (Azure's published ones unless a test says otherwise).
        self.limits = limits or ThrottleLimits()
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}

    def reset(self) -> None:
        """Refill every bucket (forget all usage)."""
        self._buckets = {}

    def _bucket(self, key: tuple[str, ...], capacity: float, rate: float, now: float) -> TokenBucket:
        b = self._buckets.get(key)
        if b is None:
            kind = key[0]
            name = f"arm/{key[2]}" if kind == "arm" else f"compute/{key[2]}" if kind == "compute" else kind
            cap, refill, drain = self.limits.bucket(name, capacity, rate)
            b = self._buckets[key] = TokenBucket(cap, refill, now, drain if self.enabled else 0.0)
        return b

    def check(
        self,
        *,
        subscription_id: str,
        arm: str,
        policy: str | None,
        resource_key: str | None,
        spend: bool = True,
    ) -> Decision:
        """Decide on one request and spend its tokens if it passes.

        ``arm`` is read/write/delete; ``policy`` the route's Compute policy (or None);
        ``resource_key`` the id of the resource the request addresses (per-resource bucket).
        With ``spend=False`` only the headers are wanted (a request refused before
        throttling): nothing is decided or spent."""
        now = self.clock.now()
        sub = subscription_id.lower()
        cap, rate = ARM_LIMITS.get(arm, ARM_LIMITS["write"])
        arm_b = self._bucket(("arm", sub, arm), cap, rate, now)
        glob_b = self._bucket(("arm-global", sub, arm), cap * GLOBAL_FACTOR, rate * GLOBAL_FACTOR, now)
        pol = COMPUTE_POLICIES.get(canonical_policy(policy) or "")
        compute: list[tuple[str, TokenBucket]] = []
        if pol is not None:
            compute.append(
                (
                    f"{pol.name}SubscriptionMaximum",
                    self._bucket(
                        ("compute", sub, pol.name),
                        pol.subscription_capacity,
                        pol.subscription_refill / 60,
                        now,
                    ),
                )
            )
            if resource_key and pol.resource_capacity is not None and pol.resource_refill is not None:
                compute.append(
                    (
                        f"{pol.name}Resource",
                        self._bucket(
                            ("compute-resource", resource_key.lower(), pol.name),
                            pol.resource_capacity,
                            pol.resource_refill / 60,
                            now,
                        ),
                    )
                )

        if self.enabled and spend:
            every = (arm_b, glob_b, *(b for _, b in compute))
            refusal: Decision | None = None
            for b in (arm_b, glob_b):
                wait = b.wait_for(now)
                if wait > 0:
                    refusal = Decision(self._arm_error(sub, arm, wait), {}, kind="arm", bucket=arm)
                    break
            if refusal is None:
                for group, b in compute:
                    wait = b.wait_for(now)
                    if wait > 0:
                        error = self._compute_error(group, b, wait, now)
                        refusal = Decision(error, {}, kind="compute", bucket=group)
                        break
            if refusal is None or self.refusals_cost:
                for b in every:
                    b.take()
            if refusal is not None:
                refusal.headers = self._headers(arm, arm_b, glob_b, compute, now)
                return refusal
        return Decision(None, self._headers(arm, arm_b, glob_b, compute, now))

    def reserve(self, *, subscription_id: str, policy: str, resource_key: str | None = None) -> float:
        """A call another resource provider makes to Compute on a caller's behalf (ScheduledActions
        running a VM's start or deallocate): 0.0 when it may go now, its tokens spent from the
        same Compute buckets the caller's own requests use; else the emulated seconds until it
        may, nothing spent. Such a call does not pass ARM's front door, so it spends no ARM
        tokens (inferred: provider-to-provider calls are not counted against the subscription's
        ARM limits). With the model off every call may go at once and nothing is spent."""
        pol = COMPUTE_POLICIES.get(canonical_policy(policy) or "")
        if not self.enabled or pol is None:
            return 0.0
        now = self.clock.now()
        sub = subscription_id.lower()
        buckets = [
            self._bucket(
                ("compute", sub, pol.name), pol.subscription_capacity, pol.subscription_refill / 60, now
            )
        ]
        if resource_key and pol.resource_capacity is not None and pol.resource_refill is not None:
            key = ("compute-resource", resource_key.lower(), pol.name)
            buckets.append(self._bucket(key, pol.resource_capacity, pol.resource_refill / 60, now))
        wait = max(b.wait_for(now) for b in buckets)
        if wait > 0:
            return wait
        for b in buckets:
            b.take()
        return 0.0

    # ------------------------------------------------------------------ wire shapes

    def _headers(
        self,
        arm: str,
        arm_b: TokenBucket,
        glob_b: TokenBucket,
        compute: list[tuple[str, TokenBucket]],
        now: float,
    ) -> dict[str, str]:
        def remaining(b: TokenBucket) -> int:
            if not self.enabled:  # full bucket less this request
                return max(0, int(b.capacity) - 1)
            return max(0, math.floor(b.level(now)))

        plural = {"read": "reads", "write": "writes", "delete": "deletes"}.get(arm, "writes")
        headers = {
            f"x-ms-ratelimit-remaining-subscription-{plural}": str(remaining(arm_b)),
            f"x-ms-ratelimit-remaining-subscription-global-{plural}": str(remaining(glob_b)),
        }
        if compute:
            headers["x-ms-ratelimit-remaining-resource"] = ",".join(
                f"Microsoft.Compute/{group};{remaining(b)}" for group, b in compute
            )
        return headers

    def _arm_error(self, sub: str, arm: str, wait: float) -> ArmError:
        seconds = max(1, math.ceil(wait))
        return ArmError(
            429,
            "SubscriptionRequestsThrottled",
            f"Number of '{arm}' requests for subscription '{sub}' exceeded the limit. Please try again "
            f"after '{seconds}' seconds after additional tokens are available. "
            "Refer to https://aka.ms/arm-throttling",
            headers=self.clock.throttle_headers(seconds),
        )

    def _compute_error(self, group: str, bucket: TokenBucket, wait: float, now: float) -> ArmError:
        seconds = max(1, math.ceil(wait))
        allowed = int(bucket.capacity)
        detail: dict[str, Any] = {
            "operationGroup": group,
            "startTime": self.clock.iso(max(0.0, now - 60.0)),
            "endTime": self.clock.iso(now),
            "allowedRequestCount": allowed,
            "measuredRequestCount": allowed + 1,
        }
        return ArmError(
            429,
            "OperationNotAllowed",
            json.dumps(detail),
            target=group,
            details=[
                {
                    "code": "TooManyRequests",
                    "target": group,
                    "message": "The request is being throttled as the limit has been reached for "
                    f"operation group '{group}'. Please try again after '{seconds}' seconds.",
                }
            ],
            innererror={"internalErrorCode": "TooManyRequestsReceived"},
            headers=self.clock.throttle_headers(seconds),
        )
