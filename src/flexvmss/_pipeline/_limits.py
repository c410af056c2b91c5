"""Azure's throttling limits as flexvmss knows them: the token buckets of ARM and of Compute's
policies (published tables, with their sources), the legacy windowed policies seen in real
answers, and how a policy's name reads (scope, window). Data and names only; the decisions
built on them live in :mod:`flexvmss._pipeline._throttle`."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ARM_BUCKETS",
    "BLIND_BURST",
    "COMPUTE_POLICIES",
    "LEGACY_POLICIES",
    "MAX_RESERVE",
    "MAX_RETRY_AFTER",
    "MAX_SPEEDUP",
    "ArmClass",
    "Bucket",
    "PolicyName",
    "Scope",
    "parse_policy",
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
