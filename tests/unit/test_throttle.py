"""Throttling: header parsing, gate and pacing maths (pure), and ThrottlePolicy in a pipeline
with a scripted transport and a fake clock (no network, no real sleeping)."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest
from _http_fakes import FakeClock, ScriptedTransport
from azure.core.pipeline import AsyncPipeline
from azure.core.rest import HttpRequest

from flexvmss._errors import ThrottledError
from flexvmss._pipeline import (
    ARM_BUCKETS,
    COMPUTE_POLICIES,
    Gate,
    Pacer,
    ThrottleConfig,
    ThrottlePolicy,
    ThrottleState,
    family_key,
    gate_scope,
    parse_remaining,
    shared_throttle_state,
)
from flexvmss._progress import RequestTally, current_tally, current_vm

VM = "https://arm.test/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web_1"


@pytest.fixture
def clock():
    """The state's clock and the policy's sleep, given to both (nothing global is replaced)."""
    return FakeClock()


def state_for(clock, **config) -> ThrottleState:
    return ThrottleState(ThrottleConfig(**config), clock=clock, rng=random.Random(7))


def pipeline(state: ThrottleState, transport: ScriptedTransport, clock: FakeClock) -> AsyncPipeline:
    return AsyncPipeline(transport, policies=[ThrottlePolicy(state, sleep=clock.sleep)])


# ----------------------------------------------------------------------------- parsing


def test_remaining_counts_are_read_from_arm_and_compute_headers():
    remaining = parse_remaining(
        {
            "x-ms-ratelimit-remaining-subscription-reads": "249",
            "X-Ms-Ratelimit-Remaining-Subscription-Writes": "17",
            "x-ms-ratelimit-remaining-resource": (
                "Microsoft.Compute/DeleteVMSubscriptionMaximum;1490,Microsoft.Compute/DeleteVMResource;11,"
                "Microsoft.Compute/HighCostGet3Min;46,Microsoft.Compute/HighCostGet30Min;300,"
                "Microsoft.Compute/UnknownPolicy;1"
            ),
        }
    )
    assert remaining.arm == {"read": 249, "write": 17}
    # per-resource and 30-minute windows are not paced; unknown policies are ignored
    assert remaining.compute == {"DeleteVM": 1490, "HighCostGet": 46}


def test_unreadable_counts_are_ignored():
    remaining = parse_remaining({"x-ms-ratelimit-remaining-subscription-reads": "many"})
    assert remaining.arm == {}


def test_family_key_replaces_names_but_keeps_the_provider_and_action():
    assert family_key("post", VM + "/deallocate?api-version=1") == (
        "POST /subscriptions/{}/resourcegroups/{}/providers/microsoft.compute/virtualmachines/{}/deallocate"
    )
    assert family_key("POST", VM.replace("web_1", "web_2") + "/deallocate") == family_key(
        "POST", VM + "/deallocate"
    )


def test_gate_scope_follows_the_http_method():
    assert gate_scope("GET") == gate_scope("head") == "read"
    assert {gate_scope(m) for m in ("PUT", "PATCH", "POST", "DELETE")} == {"write"}


# ----------------------------------------------------------------------------- gate maths


def test_closed_gate_releases_waiters_one_spacing_apart():
    gate = Gate(spacing=0.1, rng=random.Random(1))
    gate.close(10.0)
    slots = [5.0 + gate.reserve(5.0) for _ in range(20)]
    assert all(slot >= 10.0 for slot in slots)
    assert slots == sorted(slots)
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) > 0.04  # spaced (jitter is at most half a spacing), never a herd
    assert slots[-1] - slots[0] >= 19 * 0.05


def test_gate_never_reopens_earlier_and_is_free_once_open():
    gate = Gate(spacing=0.1)
    gate.close(10.0)
    gate.close(4.0)
    assert gate.open_at == 10.0
    assert gate.reserve(11.0) == 0.0


# ----------------------------------------------------------------------------- pacing maths


def test_no_pacing_while_the_count_is_comfortable():
    pacer = Pacer(ARM_BUCKETS["write"], watermark_fraction=0.25, margin=0.9)
    pacer.observe(150, now=0.0)
    assert [pacer.reserve(0.0) for _ in range(50)] == [0.0] * 50


def test_the_burst_is_spent_down_to_the_reserve_then_requests_follow_at_the_refill_rate():
    pacer = Pacer(ARM_BUCKETS["write"], watermark_fraction=0.03, margin=1.0)  # keeps 6 in hand
    pacer.observe(20, now=0.0)
    delays = [pacer.reserve(0.0) for _ in range(24)]
    assert delays[:14] == [0.0] * 14  # 20 down to 6 at once
    assert delays[14] == pytest.approx(0.1)  # then one token's refill each, no idle gap
    steps = [b - a for a, b in itertools.pairwise(delays[14:])]
    assert steps == pytest.approx([0.1] * 9)


def test_a_pace_margin_below_one_spaces_paced_requests_slower_than_the_refill_rate():
    pacer = Pacer(ARM_BUCKETS["write"], watermark_fraction=0.25, margin=0.9)
    pacer.observe(40, now=0.0)  # below the reserve of 50
    delays = [pacer.reserve(0.0) for _ in range(5)]
    assert delays[0] > 0.0
    steps = [b - a for a, b in itertools.pairwise(delays)]
    assert steps == pytest.approx([1 / (10 * 0.9)] * 4)


def test_paced_slots_stay_valid_as_time_passes():
    pacer = Pacer(ARM_BUCKETS["write"], watermark_fraction=0.03, margin=1.0)
    pacer.observe(6, now=0.0)
    first = pacer.reserve(0.0)
    # Asked again later, the next slot is one spacing after the first, not one after "now".
    assert pacer.reserve(0.05) == pytest.approx(first + 0.1 - 0.05)


def test_unanswered_requests_count_against_an_observed_remaining_count():
    pacer = Pacer(ARM_BUCKETS["write"], watermark_fraction=0.03, margin=1.0)
    pacer.observe(100, now=0.0)
    for _ in range(10):
        pacer.reserve(0.0)
    pacer.settle()  # the first answer...
    pacer.observe(99, now=0.0)  # ...may not count the nine still in flight
    assert pacer.estimate(0.0) == pytest.approx(90.0)
    for _ in range(9):
        pacer.settle()
    assert pacer.outstanding == 0


def test_estimate_refills_over_time_and_counts_what_was_sent():
    pacer = Pacer(ARM_BUCKETS["read"], watermark_fraction=0.25, margin=0.9)
    pacer.observe(10, now=0.0)
    assert pacer.estimate(2.0) == pytest.approx(60.0)  # 25/s refill
    pacer.reserve(2.0)
    assert pacer.estimate(2.0) == pytest.approx(59.0)
    assert pacer.estimate(1000.0) == ARM_BUCKETS["read"].capacity - 1


def test_compute_policy_buckets_come_from_the_published_table():
    assert COMPUTE_POLICIES["HighCostGet"].refill_per_s == pytest.approx(5.0)
    assert COMPUTE_POLICIES["DeleteVM"].capacity == 1500


# ----------------------------------------------------------------------------- state


def test_a_write_429_closes_only_the_write_gate(clock):
    state = state_for(clock)
    wait = state.record("POST", VM + "/deallocate", 429, {"Retry-After": "7"})
    assert wait == 7.0
    assert state.gate_open_at("write") == clock.now + 7
    assert state.gate_open_at("read") == 0.0
    assert state.throttled == 1


def test_retry_after_ms_wins_and_a_bare_429_uses_the_default(clock):
    state = state_for(clock, default_retry_after=3.0)
    assert state.record("GET", VM, 429, {"retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    assert state.record("GET", VM, 429, {}) == 3.0


def test_shared_state_is_one_per_endpoint_subscription_and_clock():
    a = shared_throttle_state("https://Management.Azure.com/", "SUB-1")
    assert shared_throttle_state("https://management.azure.com", "sub-1") is a
    assert shared_throttle_state("https://management.azure.com", "sub-2") is not a
    # another clock (a test's virtual time) is another time line: its gates are its own
    other = FakeClock()
    b = shared_throttle_state("https://management.azure.com", "sub-1", clock=other)
    assert b is not a
    assert shared_throttle_state("https://management.azure.com", "sub-1", clock=other) is b
    b.record("GET", VM, 429, {"Retry-After": "30"})
    assert b.gate_open_at("read") == other.now + 30
    assert a.gate_open_at("read") < b.gate_open_at("read")


# ----------------------------------------------------------------------------- the policy


async def test_wait_mode_resends_the_throttled_request_after_retry_after(clock):
    state = state_for(clock)
    transport = ScriptedTransport(
        [(429, {"Retry-After": "12"}, {"error": {"code": "TooManyRequests"}}), (200, {}, {})]
    )
    response = await pipeline(state, transport, clock).run(HttpRequest("GET", VM))
    assert response.http_response.status_code == 200
    assert len(transport.sent) == 2
    assert 12.0 <= sum(clock.sleeps) <= 12.0 + 0.04  # the gate's wait plus at most half a spacing of jitter
    assert state.waited == pytest.approx(sum(clock.sleeps))


async def test_fail_fast_raises_and_then_sends_nothing_while_the_gate_is_closed(clock):
    state = state_for(clock, mode="fail_fast")
    transport = ScriptedTransport(
        [(429, {"Retry-After": "30"}, {"error": {"code": "TooManyRequests", "message": "slow"}})]
    )
    pipe = pipeline(state, transport, clock)
    with pytest.raises(ThrottledError) as first:
        await pipe.run(HttpRequest("POST", VM + "/deallocate"))
    assert first.value.scope == "write" and first.value.retry_after == 30.0
    with pytest.raises(ThrottledError) as second:
        await pipe.run(HttpRequest("PUT", VM))
    assert len(transport.sent) == 1  # the second write was refused locally
    assert second.value.retry_after == pytest.approx(30.0)
    transport.replies.append((200, {}, {}))
    assert (await pipe.run(HttpRequest("GET", VM))).http_response.status_code == 200  # reads still flow
    assert clock.sleeps == []


async def test_a_retry_after_beyond_the_single_sleep_cap_raises_instead_of_blocking(clock):
    state = state_for(clock, max_single_sleep=60.0)
    transport = ScriptedTransport([(429, {"Retry-After": "1200"}, {"error": {"code": "TooManyRequests"}})])
    with pytest.raises(ThrottledError) as caught:
        await pipeline(state, transport, clock).run(HttpRequest("GET", VM))
    assert caught.value.retry_after == pytest.approx(1200.0, abs=1)
    assert clock.sleeps == []
    assert len(transport.sent) == 1


async def test_total_wait_is_bounded(clock):
    state = state_for(clock, max_single_sleep=60.0, max_total_wait=100.0)
    transport = ScriptedTransport(responder=lambda request: (429, {"Retry-After": "40"}, None))
    with pytest.raises(ThrottledError):
        await pipeline(state, transport, clock).run(HttpRequest("GET", VM))
    assert sum(clock.sleeps) <= 100.0
    assert len(transport.sent) == 3  # 0 s, after 40 s, after 80 s; the next 40 s would exceed 100 s


async def test_waiters_behind_a_closed_gate_are_released_gradually(clock):
    release_at: list[float] = []

    class RecordingState(ThrottleState):
        def admit(self, method, url, **kwargs):
            admission = super().admit(method, url, **kwargs)
            release_at.append(self.now() + admission.delay)
            return admission

    state = RecordingState(ThrottleConfig(), clock=clock, rng=random.Random(7))
    state.record("GET", VM, 429, {"Retry-After": "5"})
    transport = ScriptedTransport(responder=lambda request: (200, {}, {}))
    pipe = pipeline(state, transport, clock)
    await asyncio.gather(*(pipe.run(HttpRequest("GET", f"{VM}{i}")) for i in range(25)))
    assert len(transport.sent) == 25
    assert min(release_at) >= 1005.0
    gaps = [b - a for a, b in itertools.pairwise(sorted(release_at))]
    assert min(gaps) > 0.5 / ARM_BUCKETS["read"].refill_per_s  # one by one at about the refill rate


async def test_low_remaining_writes_slow_the_next_writes_down(clock):
    state = state_for(clock)
    transport = ScriptedTransport(
        responder=lambda request: (202, {"x-ms-ratelimit-remaining-subscription-writes": "3"}, None)
    )
    pipe = pipeline(state, transport, clock)
    await pipe.run(HttpRequest("POST", VM + "/deallocate"))
    assert clock.sleeps == []
    for _ in range(5):
        await pipe.run(HttpRequest("POST", VM + "/deallocate"))
    # below the reserve each write waits for the bucket to refill above it (10 writes/s)
    assert len(clock.sleeps) == 5
    assert all(s >= 1 / 10 - 1e-6 for s in clock.sleeps)


async def test_compute_policy_counts_pace_only_their_own_request_family(clock):
    state = state_for(clock)
    low = {"x-ms-ratelimit-remaining-resource": "Microsoft.Compute/HighCostGetSubscriptionMaximum;20"}
    transport = ScriptedTransport(
        responder=lambda request: (200, low if request.url.endswith("Machines") else {}, {})
    )
    pipe = pipeline(state, transport, clock)
    listing = VM.rsplit("/", 1)[0]
    await pipe.run(HttpRequest("GET", listing))
    await pipe.run(HttpRequest("GET", VM))  # a single VM GET is another family: not paced
    assert clock.sleeps == []
    await pipe.run(HttpRequest("GET", listing))
    await pipe.run(HttpRequest("GET", listing))
    assert clock.sleeps and min(clock.sleeps) >= 1 / (5 * 0.95) - 1e-6  # HighCostGet refills 5/s


async def test_waits_and_429s_are_reported_to_the_batch_with_the_vm_they_delayed(clock):
    waits: list[tuple[str | None, float, str]] = []
    throttles: list[tuple[str | None, float | None, str]] = []
    tally = RequestTally(on_wait=lambda *a: waits.append(a), on_throttled=lambda *a: throttles.append(a))
    state = state_for(clock)
    throttled = (429, {"Retry-After": "3"}, {"error": {"code": "TooManyRequests"}})
    transport = ScriptedTransport([throttled, (202, {}, None)])
    tally_token, vm_token = current_tally.set(tally), current_vm.set("web_7")
    try:
        await pipeline(state, transport, clock).run(HttpRequest("POST", VM + "/deallocate"))
    finally:
        current_vm.reset(vm_token)
        current_tally.reset(tally_token)
    assert throttles == [("web_7", 3.0, "write")]
    assert waits and waits[0][0] == "web_7" and waits[0][2] == "write"
    assert tally.waited == pytest.approx(sum(clock.sleeps))


async def test_a_long_queue_behind_the_pacer_keeps_its_slot_in_capped_sleeps(clock):
    state = state_for(clock, max_single_sleep=0.5)
    state.record("POST", VM + "/deallocate", 202, {"x-ms-ratelimit-remaining-subscription-writes": "5"})
    transport = ScriptedTransport(responder=lambda request: (202, {}, None))
    pipe = pipeline(state, transport, clock)
    await asyncio.gather(*(pipe.run(HttpRequest("POST", f"{VM}{i}/deallocate")) for i in range(12)))
    assert len(transport.sent) == 12  # queued beyond max_single_sleep, yet nobody failed
    assert max(clock.sleeps) <= 0.5


async def test_a_request_lost_in_transport_is_no_longer_counted_as_unanswered(clock):
    from azure.core.exceptions import ServiceRequestError

    state = state_for(clock)
    transport = ScriptedTransport(
        [(202, {"x-ms-ratelimit-remaining-subscription-writes": "100"}, None), ServiceRequestError("reset")]
    )
    pipe = pipeline(state, transport, clock)
    await pipe.run(HttpRequest("POST", VM + "/deallocate"))
    with pytest.raises(ServiceRequestError):
        await pipe.run(HttpRequest("POST", VM + "/deallocate"))
    # had it stayed "unanswered", the next observed count would be read one lower forever
    assert state._arm["write"].outstanding == 0
