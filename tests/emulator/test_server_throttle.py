"""Azure's throttling model: ARM and Compute token buckets, 429 shapes and remaining headers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from azure.core.rest import HttpRequest

from flexvmss.emulator import Emulator, ThrottleLimits, throttle_lower_bound

if TYPE_CHECKING:
    from conftest import Raw


def _resource_header(resp: object) -> dict[str, int]:
    header = resp.headers["x-ms-ratelimit-remaining-resource"]  # type: ignore[attr-defined]
    out = {}
    for part in header.split(","):
        name, count = part.split(";")
        out[name] = int(count)
    return out


def test_remaining_headers_report_full_buckets_when_throttling_is_off(mraw: Raw) -> None:
    for _ in range(20):
        resp = mraw.put(mraw.limited("a"))
        assert resp.status_code == 200
    assert resp.headers["x-ms-ratelimit-remaining-subscription-writes"] == "199"
    assert resp.headers["x-ms-ratelimit-remaining-subscription-global-writes"] == "2999"
    assert _resource_header(resp) == {
        "Microsoft.Compute/PutVMSubscriptionMaximum": 1499,
        "Microsoft.Compute/PutVMResource": 11,
    }


def test_compute_resource_bucket_depletes_then_429s_in_compute_shape(mraw: Raw) -> None:
    mraw.emu.set_throttle("azure")
    seen = [
        _resource_header(mraw.put(mraw.limited("a")))["Microsoft.Compute/PutVMResource"] for _ in range(12)
    ]
    assert seen == list(range(11, -1, -1))
    resp = mraw.put(mraw.limited("a"))
    assert resp.status_code == 429
    err = resp.json()["error"]
    assert err["code"] == "OperationNotAllowed"
    assert err["target"] == "PutVMResource"
    assert err["details"][0]["code"] == "TooManyRequests"
    assert err["innererror"] == {"internalErrorCode": "TooManyRequestsReceived"}
    detail = json.loads(err["message"])
    assert detail["operationGroup"] == "PutVMResource"
    assert detail["allowedRequestCount"] == 12
    assert set(detail) == {
        "operationGroup",
        "startTime",
        "endTime",
        "allowedRequestCount",
        "measuredRequestCount",
    }
    # time scale 1: the retry hint is Retry-After in whole seconds; one token refills in 15 s
    assert resp.headers["Retry-After"] == "15"
    # another resource has its own bucket
    assert mraw.put(mraw.limited("b")).status_code == 200


def test_a_throttled_request_spends_no_tokens(mraw: Raw) -> None:
    mraw.emu.set_throttle("azure")
    for _ in range(12):
        mraw.put(mraw.limited("a"))
    refused = mraw.put(mraw.limited("a"))
    assert refused.status_code == 429
    assert _resource_header(refused)["Microsoft.Compute/PutVMSubscriptionMaximum"] == 1488
    assert refused.headers["x-ms-ratelimit-remaining-subscription-writes"] == "188"
    ok = mraw.put(mraw.limited("b"))
    assert _resource_header(ok)["Microsoft.Compute/PutVMSubscriptionMaximum"] == 1487
    assert ok.headers["x-ms-ratelimit-remaining-subscription-writes"] == "187"
    counters = mraw.emu.counters()["throttled"]
    assert counters["total"] == 1
    assert counters["compute"] == 1
    assert counters["compute:PutVMResource"] == 1


def test_buckets_refill_with_emulated_time(mraw: Raw) -> None:
    mraw.emu.set_throttle("azure")
    for _ in range(12):
        mraw.put(mraw.limited("a"))
    assert mraw.put(mraw.limited("a")).status_code == 429
    mraw.emu.advance(15)
    assert mraw.put(mraw.limited("a")).status_code == 200
    assert mraw.put(mraw.limited("a")).status_code == 429


def test_arm_write_bucket_429s_with_arms_code(mraw: Raw) -> None:
    mraw.emu.set_throttle("azure")
    for i in range(200):
        assert mraw.put(mraw.thing(f"t{i}")).status_code == 201
    resp = mraw.put(mraw.thing("one-too-many"))
    assert resp.status_code == 429
    err = resp.json()["error"]
    assert err["code"] == "SubscriptionRequestsThrottled"
    assert "aka.ms/arm-throttling" in err["message"]
    assert resp.headers["x-ms-ratelimit-remaining-subscription-writes"] == "0"
    assert resp.headers["Retry-After"] == "1"  # 0.1 s until a write token, rounded up
    # reads have their own bucket
    read = mraw.get(mraw.thing("t0"))
    assert read.status_code == 200
    assert read.headers["x-ms-ratelimit-remaining-subscription-reads"] == "249"
    mraw.emu.advance(1)  # 10 writes per second
    assert [mraw.put(mraw.thing(f"u{i}")).status_code for i in range(11)] == [201] * 10 + [429]
    assert mraw.emu.counters()["throttled"]["arm:write"] == 2


def test_operation_polls_use_the_operations_resource_bucket(mraw: Raw) -> None:
    mraw.emu.set_throttle("azure")
    url = mraw.put(mraw.thing("t1")).headers["Azure-AsyncOperation"]
    first = mraw.absolute(url)
    assert _resource_header(first) == {
        "Microsoft.Compute/GetOperationSubscriptionMaximum": 14999,
        "Microsoft.Compute/GetOperationResource": 44,
    }


def test_the_stock_client_waits_out_a_scaled_429(emu: Emulator, raw: Raw) -> None:
    """At time scale 0.01 the 429's hint is retry-after-ms; azure-core's retry policy waits
    it out and the call succeeds without the caller seeing the 429."""
    emu.set_throttle("azure")
    pipeline = emu.clients().resource._client._pipeline
    statuses = []
    for _ in range(14):
        request = HttpRequest("PUT", raw.url(raw.limited("a")), json={})
        statuses.append(pipeline.run(request).http_response.status_code)
    assert statuses == [200] * 14
    assert emu.counters()["throttled"]["compute:PutVMResource"] >= 1


def test_the_stock_client_retries_a_throttled_post_on_a_scaled_clock(emu: Emulator, raw: Raw) -> None:
    """azure-core retries a POST only when the 429 carries Retry-After (RetryPolicy.is_retry):
    the emulator sends it on a scaled clock too, so an action is retried as on Azure."""
    emu.set_throttle("azure")
    pipeline = emu.clients().resource._client._pipeline
    statuses = []
    for _ in range(13):
        request = HttpRequest("POST", raw.url(raw.limited("p") + "/start"), json={})
        statuses.append(pipeline.run(request).http_response.status_code)
    assert statuses == [200] * 13
    assert emu.counters()["throttled"]["compute:PutVMResource"] >= 1


def test_a_throttled_request_may_be_made_to_cost_its_tokens(mraw: Raw) -> None:
    """Whether a 429 costs a token in Azure is unknown: off by default, a knob turns it on
    (``Emulator(throttle_refusals_cost=True)``)."""
    assert mraw.emu.throttle.refusals_cost is False
    try:
        for costs, remaining_after_refusal in ((False, "188"), (True, "187")):
            mraw.emu.throttle.refusals_cost = costs
            mraw.emu.set_throttle("azure")  # full buckets
            for _ in range(12):
                assert mraw.put(mraw.limited("a")).status_code == 200
            refused = mraw.put(mraw.limited("a"))
            assert refused.status_code == 429
            assert refused.headers["x-ms-ratelimit-remaining-subscription-writes"] == remaining_after_refusal
    finally:
        mraw.emu.throttle.refusals_cost = False


def test_set_throttle_rejects_unknown_modes(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="turbo"):
        emu.set_throttle("turbo")


def test_throttle_lower_bound() -> None:
    # 1,000 VM creates on 1,000 VMs: ARM's write bucket binds (200 burst, then 10/s)
    assert throttle_lower_bound(1000, arm="write", policy="PutVM", resources=1000) == 80.0
    # 600 scale set deletes: Compute's subscription bucket (525, 175/min) binds less than ARM's
    assert throttle_lower_bound(600, arm="delete", policy="DeleteVMScaleSet") == 40.0
    # 20 updates on one VM: the per-resource bucket (12, 4/min) binds
    assert throttle_lower_bound(20, arm="write", policy="UpdateVM", resources=1) == 120.0
    assert throttle_lower_bound(100, arm="read") == 0.0


def test_limits_other_than_azures_are_enforced_and_reported(mraw: Raw) -> None:
    """Halved limits (issue 17, point 3): the resource bucket holds 6, not 12, and refills at 2
    per minute; the headers count from the halved capacities."""
    mraw.emu.set_throttle("azure", limits=ThrottleLimits(capacity=0.5, refill=0.5))
    seen = [
        _resource_header(mraw.put(mraw.limited("a")))["Microsoft.Compute/PutVMResource"] for _ in range(6)
    ]
    assert seen == [5, 4, 3, 2, 1, 0]
    refused = mraw.put(mraw.limited("a"))
    assert refused.status_code == 429
    assert json.loads(refused.json()["error"]["message"])["allowedRequestCount"] == 6
    assert refused.headers["Retry-After"] == "30"  # one token at 2 per minute
    assert refused.headers["x-ms-ratelimit-remaining-subscription-writes"] == "94"  # 100 - 6
    mraw.emu.advance(30)
    assert mraw.put(mraw.limited("a")).status_code == 200


def test_other_callers_spend_the_same_buckets(mraw: Raw) -> None:
    """Another caller taking 4 writes a second: the count a client reads falls without its
    own requests, and the bucket's level is what both left."""
    mraw.emu.set_throttle("azure", limits=ThrottleLimits(others={"arm/write": 14.0}))
    first = int(mraw.put(mraw.limited("a")).headers["x-ms-ratelimit-remaining-subscription-writes"])
    mraw.emu.advance(10)  # the others took 140, the refill gave back 100
    later = int(mraw.put(mraw.limited("b")).headers["x-ms-ratelimit-remaining-subscription-writes"])
    assert first == 199 and later == 199 - 40 - 1
    mraw.emu.advance(60)  # the others drain it: nothing left for the client
    assert mraw.put(mraw.limited("c")).status_code == 429


def test_reset_goes_back_to_the_limits_the_emulator_was_made_with(mraw: Raw) -> None:
    mraw.emu.set_throttle("azure", limits=ThrottleLimits(capacity=2.0))
    mraw.emu.reset()
    assert mraw.emu.throttle.limits == ThrottleLimits()


@pytest.mark.parametrize(
    "bad",
    [
        {"capacity": 0},
        {"refill": 1e9},
        {"capacity": "half"},
        {"others": {"arm/everything": 1}},
        {"others": {"arm/write": -1}},
        {"speed": 2},
    ],
)
def test_bad_limits_are_refused_before_anything_changes(mraw: Raw, bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ThrottleLimits.from_dict(bad)
    resp = mraw.request(
        "POST", "/_emulator/throttle", json={"mode": "azure", "limits": bad}, headers=mraw.emu.admin_headers()
    )
    assert resp.status_code == 400
    assert mraw.emu.throttle.limits == ThrottleLimits() and not mraw.emu.throttle.enabled


def test_the_admin_api_sets_limits(mraw: Raw) -> None:
    body = {"mode": "azure", "limits": {"capacity": 0.5, "others": {"compute/DeleteVM": 2}}}
    resp = mraw.request("POST", "/_emulator/throttle", json=body, headers=mraw.emu.admin_headers())
    assert resp.status_code == 200
    assert resp.json()["limits"] == {"capacity": 0.5, "refill": 1.0, "others": {"compute/DeleteVM": 2.0}}
    assert mraw.emu.throttle.limits.others == {"compute/DeleteVM": 2.0}


def test_throttle_lower_bound_under_other_limits() -> None:
    halved = ThrottleLimits(capacity=0.5, refill=0.5)
    assert throttle_lower_bound(1000, arm="write", policy="DeleteVM", resources=1000, limits=halved) == 180.0
    shared = ThrottleLimits(others={"arm/write": 5.0})
    assert throttle_lower_bound(1000, arm="write", policy="DeleteVM", resources=1000, limits=shared) == 160.0
