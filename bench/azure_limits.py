"""Azure's published request limits, for the benchmarks' bounds: the one place the benches take
them from (the library and the emulator carry their own copies; a bound taken from either would
prove the library against its own belief).

Sources (read 2026-12; the numbers below are the tables as published):

* ARM, per subscription and principal, token buckets since 2024: reads 250 burst refilled at 25
  per second, writes and deletes 200 at 10 per second —
  learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
  (research: /work/shared/research/k8s-azure-flex.md section 4).
* Compute, per policy, per subscription and per resource, refill per minute / capacity —
  learn.microsoft.com/azure/virtual-machines/compute-throttling-limits (ms.date 2024-05-27):
  Delete VM (Delete, Deallocate, Simulate Eviction) 4/12 per resource and 500/1,500 per
  subscription; Update VM (Start, Restart, Power Off...) the same; High Cost Get VM (List)
  300/900 per subscription; Get Operation 15/45 and 5,000/15,000.

A bucket ``(capacity, refill per second)`` lets the ``i``-th request through no earlier than
``(i - capacity) / refill`` seconds after the start, from full. :func:`write_admissions` gives
those moments for ``n`` per-VM writes of one policy (every VM its own resource), under limits
scaled by ``capacity`` and ``refill`` factors and with other callers taking ``others`` tokens per
second from named buckets (the emulator's :class:`~flexvmss.emulator.ThrottleLimits`, which a
bench sets to run the library against limits it does not know).
"""

from __future__ import annotations

from collections.abc import Mapping

#: ARM per subscription and principal: class -> (capacity, refill per second).
ARM: dict[str, tuple[float, float]] = {"read": (250, 25.0), "write": (200, 10.0), "delete": (200, 10.0)}

#: Compute, per policy: (resource capacity, resource refill per minute, subscription capacity,
#: subscription refill per minute).
COMPUTE: dict[str, tuple[float, float, float, float]] = {
    "DeleteVM": (12, 4, 1500, 500),
    "UpdateVM": (12, 4, 1500, 500),
    "PutVM": (12, 4, 1500, 500),
    "HighCostGet": (0, 0, 900, 300),
    "GetOperation": (45, 15, 15000, 5000),
}

#: The Compute policy each per-VM action is charged to (compute-throttling-limits).
POLICY_OF_ACTION = {
    "deallocate": "DeleteVM",
    "start": "UpdateVM",
    "powerOff": "UpdateVM",
    "restart": "UpdateVM",
}


def _first_moment(i: int, capacity: float, refill_per_s: float) -> float:
    if i <= capacity:
        return 0.0
    if refill_per_s <= 0:
        return float("inf")
    return (i - capacity) / refill_per_s


def write_admissions(
    n: int,
    *,
    policy: str = "DeleteVM",
    arm: str = "write",
    capacity: float = 1.0,
    refill: float = 1.0,
    others: Mapping[str, float] | None = None,
) -> list[float]:
    """The earliest moments (seconds from full buckets) at which ``n`` per-VM writes of
    ``policy`` can be admitted, one per VM: the binding bucket decides each. ``others`` names
    buckets as ``arm/write`` or ``compute/DeleteVM``."""
    others = others or {}
    arm_cap, arm_rate = ARM[arm]
    _, _, sub_cap, sub_per_min = COMPUTE[policy]
    buckets = [
        (arm_cap * capacity, arm_rate * refill - others.get(f"arm/{arm}", 0.0)),
        (sub_cap * capacity, sub_per_min / 60 * refill - others.get(f"compute/{policy}", 0.0)),
    ]
    # a VM's own resource bucket holds 12 at least: one write per VM never waits on it
    return [max(_first_moment(i, cap, rate) for cap, rate in buckets) for i in range(1, n + 1)]


def subscription_admissions(n: int, *, policy: str = "DeleteVM") -> list[float]:
    """The earliest moments ``n`` operations charged only to ``policy``'s subscription bucket can
    start (ScheduledActions runs a batch's per-VM work against Compute's buckets, not ARM's)."""
    _, _, sub_cap, sub_per_min = COMPUTE[policy]
    return [_first_moment(i, sub_cap, sub_per_min / 60) for i in range(1, n + 1)]


def bound_with_durations(admissions: list[float], durations: list[float]) -> float:
    """The earliest the last of the operations can be done: the ``i``-th admitted write
    followed by the ``i``-th duration (in the order the emulator started them)."""
    return max((t + d for t, d in zip(admissions, durations, strict=True)), default=0.0)
