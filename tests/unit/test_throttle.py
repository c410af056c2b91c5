"""Throttling: header parsing, gate and pacing maths (pure), and ThrottlePolicy in a pipeline
with a scripted transport and a fake clock (no network, no real sleeping)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import math
import random

import pytest
from _http_fakes import FakeClock, ScriptedTransport
from azure.core.pipeline import AsyncPipeline
from azure.core.rest import HttpRequest

from flexvmss._errors import ThrottledError
from flexvmss._pipeline import (
    ARM_BUCKETS,
    BLIND_BURST,
    COMPUTE_POLICIES,
    MAX_RETRY_AFTER,
    MAX_SPEEDUP,
    Bucket,
    Gate,
    Pacer,
    ThrottleConfig,
    ThrottlePolicy,
    ThrottleState,
    bounded_wait,
    family_key,
    gate_scope,
    parse_policy,
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
            # the subscription-wide count of every principal (15x): never the one to pace by
            "x-ms-ratelimit-remaining-subscription-global-writes": "2999",
            "x-ms-ratelimit-remaining-resource": (
                "Microsoft.Compute/DeleteVMSubscriptionMaximum;1490,Microsoft.Compute/DeleteVMResource;11,"
                "Microsoft.Compute/HighCostGet3Min;46,Microsoft.Compute/HighCostGet30Min;300,"
                "Microsoft.Compute/UnknownPolicy;1"
            ),
        }
    )
    assert remaining.arm == {"read": 249, "write": 17}
    # every policy is read (the gates need them all); which are paced is the policy's own say
    assert remaining.compute == {
        "DeleteVMSubscriptionMaximum": 1490,
        "DeleteVMResource": 11,
        "HighCostGet3Min": 46,
        "HighCostGet30Min": 300,
        "UnknownPolicy": 1,
    }


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
    pacer.observe(25, now=0.0)  # below the reserve (a quarter of 200, at most MAX_RESERVE)
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


ARM_429 = {
    "error": {
        "code": "SubscriptionRequestsThrottled",
        "message": "Number of 'write' requests for subscription 's' exceeded the limit.",
    }
}


def compute_429(policy: str) -> dict:
    """Compute's throttling answer, shaped as the support article shows it."""
    group = json.dumps({"operationGroup": policy, "allowedRequestCount": 12, "measuredRequestCount": 13})
    return {
        "error": {
            "code": "OperationNotAllowed",
            "message": group,
            "details": [{"code": "TooManyRequests", "target": policy, "message": "throttled"}],
        }
    }


def test_an_arm_429_closes_arm_s_bucket_of_its_class_only(clock):
    state = state_for(clock)
    wait = state.record("POST", VM + "/deallocate", 429, {"Retry-After": "7"}, ARM_429)
    assert wait == 7.0
    assert state.gate_open_at("write") == clock.now + 7
    assert state.gate_open_at("read") == 0.0 and state.gate_open_at("delete") == 0.0
    assert state.throttled == 1
    assert state.admit("PUT", VM).gate_wait == pytest.approx(7.0)  # every write of the subscription
    assert state.admit("GET", VM).gate_wait == 0.0


def test_arm_is_blamed_when_its_remaining_count_for_the_class_is_zero(clock):
    state = state_for(clock)
    state.record("GET", VM, 429, {"Retry-After": "3", "x-ms-ratelimit-remaining-subscription-reads": "0"})
    assert state.gate_open_at("read") == clock.now + 3


def test_a_resource_scope_policy_429_holds_back_only_that_vm(clock):
    state = state_for(clock)
    headers = {"Retry-After": "20", "x-ms-ratelimit-remaining-subscription-writes": "150"}
    state.record("POST", VM + "/deallocate", 429, headers, compute_429("DeleteVMResource"))
    assert state.gate_open_at("write") == 0.0  # ARM was not the one refusing
    other_vm = VM.replace("web_1", "web_2")
    assert state.admit("POST", VM + "/deallocate").gate_wait == pytest.approx(20.0)
    assert state.admit("POST", other_vm + "/deallocate").gate_wait == 0.0
    assert state.admit("GET", VM).gate_wait == 0.0


def test_a_subscription_policy_429_holds_back_what_that_policy_charges(clock):
    state = state_for(clock)
    listing = VM.rsplit("/", 1)[0]
    state.record("GET", listing, 429, {"Retry-After": "30"}, compute_429("HighCostGet3Min"))
    assert state.gate_open_at("policy", "HighCostGet3Min") == clock.now + 30
    assert state.admit("GET", listing + "?$skiptoken=2").gate_wait == pytest.approx(30.0)
    assert state.admit("GET", VM).gate_wait == 0.0  # a single VM's GET is LowCostGet
    assert state.admit("POST", VM + "/deallocate").gate_wait == 0.0
    # a family later charged to the same policy is held back too
    state.record(
        "GET", VM + "/x", 200, {"x-ms-ratelimit-remaining-resource": "Microsoft.Compute/HighCostGet3Min;4"}
    )
    assert state.admit("GET", VM + "/x").gate_wait > 0


def test_a_429_that_names_nothing_holds_back_its_own_family(clock):
    state = state_for(clock)
    state.record(
        "POST", VM + "/deallocate", 429, {"Retry-After": "5"}, {"error": {"code": "TooManyRequests"}}
    )
    assert state.gate_open_at("family", family_key("POST", VM + "/deallocate")) == clock.now + 5
    assert state.admit("POST", VM.replace("web_1", "web_9") + "/deallocate").gate_wait == pytest.approx(5.0)
    assert state.admit("POST", VM + "/start").gate_wait == 0.0
    assert state.gate_open_at("write") == 0.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("inf", MAX_RETRY_AFTER), ("1e12", MAX_RETRY_AFTER), ("nan", 0.0), ("-5", 0.0), ("1200", 1200.0)],
)
def test_retry_after_values_are_clamped_to_a_finite_window(clock, header, expected):
    state = state_for(clock)
    wait = state.record("GET", VM, 429, {"Retry-After": header}, ARM_429)
    assert wait == expected
    assert math.isfinite(state.gate_open_at("read"))


def test_bounded_wait():
    assert bounded_wait(None, cap=10) is None
    assert bounded_wait(float("inf"), cap=10) == 10
    assert bounded_wait(float("nan"), cap=10) == 0.0
    assert bounded_wait(3.0, cap=10) == 3.0


@pytest.mark.parametrize(
    ("raw", "base", "scope", "window"),
    [
        ("Microsoft.Compute/DeleteVMSubscriptionMaximum", "DeleteVM", "subscription", 60.0),
        ("Microsoft.Compute/DeleteVMResource", "DeleteVM", "resource", 60.0),
        ("Microsoft.Compute/PutVM30Min", "PutVM", "subscription", 1800.0),
        ("HighCostGet3Min", "HighCostGet", "subscription", 180.0),
        ("VMScaleSetBatchedVMRequests5Min", "VMScaleSetBatchedVMRequests", "subscription", 300.0),
        ("VmssQueuedVMOperations", "VmssQueuedVMOperations", "subscription", None),
    ],
)
def test_policy_names_say_their_scope_and_window(raw, base, scope, window):
    policy = parse_policy(raw)
    assert (policy.base, policy.scope, policy.window) == (base, scope, window)


def test_which_policies_are_paced_and_by_which_bucket():
    assert parse_policy("DeleteVMSubscriptionMaximum").bucket() == COMPUTE_POLICIES["DeleteVM"]
    assert parse_policy("DeleteVMResource").bucket(11) is None  # one VM's count: not paced
    assert parse_policy("PutVM30Min").bucket() == Bucket(1200, 1200 / 1800)
    learned = parse_policy("DeleteVMScaleSet30Min").bucket(586)
    assert learned == Bucket(587, 587 / 1800)
    assert parse_policy("VmssQueuedVMOperations").bucket(0) is None  # unknown window: never paced


async def test_a_legacy_30_minute_budget_is_paced(clock):
    """``PutVM30Min`` nearly spent: the next VM writes follow its refill (1,200 per 30 minutes),
    not ARM's 10 per second."""
    state = state_for(clock)
    low = {
        "x-ms-ratelimit-remaining-resource": "Microsoft.Compute/PutVM3Min;200,Microsoft.Compute/PutVM30Min;30"
    }
    transport = ScriptedTransport(responder=lambda request: (200, low, {}))
    pipe = pipeline(state, transport, clock)
    for i in range(40):
        await pipe.run(HttpRequest("PUT", f"{VM}{i}"))
    spacing = 1800 / 1200
    paced = [s for s in clock.sleeps if s > 0]
    assert paced, "the 30-minute window was not paced"
    assert sum(paced) >= 10 * spacing  # at least the requests past the reserve waited a refill each


def test_a_pacer_measures_what_other_callers_take_and_leaves_them_their_share():
    bucket = ARM_BUCKETS["write"]  # 200, 10/s
    pacer = Pacer(bucket, watermark_fraction=0.05, margin=1.0, window=5.0)
    remaining, now = 50.0, 0.0
    pacer.observe(int(remaining), now)
    # another process takes 4 tokens a second; this one sends 5 a second; Azure refills 10
    for _ in range(40):
        now += 1.0
        for _ in range(5):
            pacer.reserve(now)
            pacer.settle()
        remaining += 10 - 4 - 5
        pacer.observe(int(remaining), now)
    assert pacer.others == pytest.approx(4.0, abs=0.5)
    assert pacer.refill == pytest.approx(6.0, abs=0.5)


@pytest.mark.parametrize("processes", [1, 2])
def test_pacers_on_one_bucket_share_its_refill_without_overdrawing_it(processes):
    """Processes with 32 requests in flight each, paced from the one remaining count Azure
    reports to all (answers arrive 25-75 ms after sending): together they overdraw the bucket
    on under 1% of their requests and still use most of it. Without the reserve and the measure
    of the others, two such processes overdrew it on a third of their requests."""
    rng = random.Random(5)
    bucket = Bucket(200, 10.0)
    pacers = [Pacer(bucket, watermark_fraction=0.15, margin=1.0) for _ in range(processes)]
    events: list[tuple[float, int, str, int]] = []
    seq = itertools.count()
    for i, pacer in enumerate(pacers):
        for _ in range(32):
            heapq.heappush(events, (pacer.reserve(0.0), next(seq), "send", i))
    tokens, last, sent, overdrawn = 200.0, 0.0, 0, 0
    while events:
        t, _, kind, i = heapq.heappop(events)
        if t > 200.0:
            break
        tokens, last = min(200.0, tokens + 10.0 * (t - last)), t
        if kind == "send":
            if tokens < 1:
                overdrawn += 1
            else:
                tokens -= 1
                sent += 1
            heapq.heappush(events, (t + rng.uniform(0.025, 0.075), next(seq), "answer", i))
        else:
            pacers[i].settle()
            pacers[i].observe(int(tokens), t)
            heapq.heappush(events, (t + pacers[i].reserve(t), next(seq), "send", i))
    assert overdrawn <= 0.01 * (sent + overdrawn), (overdrawn, sent)
    assert sent >= 0.95 * (200 + 10 * 200), sent


def test_the_list_budget_is_a_share_of_high_cost_get_and_shrinks_when_others_list(clock):
    state = state_for(clock, list_share=0.2)
    assert state.reserve_pages(5) == 0.0  # the burst
    assert state.reserve_pages(1) == pytest.approx(1.0)  # then a fifth of 300/min: one page a second
    clock.now += 10.0
    state.record(
        "GET",
        VM.rsplit("/", 1)[0],
        200,
        {"x-ms-ratelimit-remaining-resource": "Microsoft.Compute/HighCostGetSubscriptionMaximum;90"},
    )
    state.reserve_pages(5)
    # Azure's bucket at a tenth: other callers list too, so the budget runs slower
    assert state.reserve_pages(1) > 1.5


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
    b.record("GET", VM, 429, {"Retry-After": "30"}, ARM_429)
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
    transport = ScriptedTransport([(429, {"Retry-After": "30"}, ARM_429)])
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


# ------------------------------------------------------- limits other than the published table


def test_a_bucket_that_refills_faster_than_the_table_is_paced_faster_up_to_a_bound():
    """Measured over a window, Azure's count grew faster than the table's refill allows: the
    pacer spends what it measured (a subscription with a raised quota), at most MAX_SPEEDUP
    times the table."""
    pacer = Pacer(ARM_BUCKETS["write"], watermark_fraction=0.15, margin=1.0)
    pacer.observe(20, now=0.0)
    assert pacer.refill == pytest.approx(10.0)

    def answered(n: int) -> None:
        for _ in range(n):
            pacer.reserve(0.0)
            pacer.settle()

    answered(100)
    pacer.observe(20, now=5.0)  # 100 spent in 5 s and the count held: 20 per second
    assert pacer.refill == pytest.approx(15.0)  # smoothed half way from 10 to 20
    answered(1000)
    pacer.observe(20, now=10.0)  # absurdly fast: bounded
    assert pacer.refill == pytest.approx(10.0 * MAX_SPEEDUP)


def test_a_count_above_the_table_raises_the_capacity_the_estimate_is_capped_at():
    pacer = Pacer(ARM_BUCKETS["write"], watermark_fraction=0.15, margin=1.0)
    pacer.observe(399, now=0.0)
    assert pacer.capacity == 400
    assert pacer.estimate(100.0) == 400


def test_a_429_on_the_bucket_halves_the_pace_once_for_the_429s_already_in_flight(clock):
    state = state_for(clock)
    state.record("POST", VM + "/deallocate", 202, {"x-ms-ratelimit-remaining-subscription-writes": "150"})
    assert state._arm["write"].refill == pytest.approx(10.0)
    for _ in range(5):  # one burst of refusals of requests sent together
        state.record("POST", VM + "/deallocate", 429, {"Retry-After": "1"}, ARM_429)
    assert state._arm["write"].refill == pytest.approx(5.0)
    clock.now += 5.0  # a quarter window later (40 spacings of 0.1 s)
    state.record("POST", VM + "/deallocate", 429, {"Retry-After": "1"}, ARM_429)
    assert state._arm["write"].refill == pytest.approx(2.5)


def test_a_request_admitted_before_a_429_is_told_to_come_back(clock):
    """Slots computed before a 429 (or before a bucket's first count) are stale: the
    admission's generation no longer matches the state's, and the policy admits it again."""
    state = state_for(clock)
    first = state.admit("POST", VM + "/deallocate")
    assert first.generation == state.generation
    state.record("POST", VM + "/deallocate", 202, {"x-ms-ratelimit-remaining-subscription-writes": "199"})
    assert state.generation != first.generation  # the bucket's first count
    second = state.admit("POST", VM + "/deallocate")
    state.record("POST", VM + "/deallocate", 429, {"Retry-After": "1"}, ARM_429)
    assert state.generation != second.generation


def test_before_any_count_only_a_few_requests_go_at_once():
    """The bucket may be far smaller than the table says: before Azure's first count, a few
    requests go, the rest follow at the table's pace until it comes."""
    pacer = Pacer(ARM_BUCKETS["write"], watermark_fraction=0.15, margin=1.0)
    delays = [pacer.reserve(0.0) for _ in range(BLIND_BURST + 3)]
    assert delays[:BLIND_BURST] == [0.0] * BLIND_BURST
    assert delays[BLIND_BURST:] == pytest.approx([0.1, 0.2, 0.3])
