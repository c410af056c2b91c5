"""The throttling model's budget for calls one provider makes to Compute on a caller's behalf
(``ThrottleModel.reserve``): Compute's buckets, shared with the caller's own requests; ARM's
untouched."""

from __future__ import annotations

from flexvmss.emulator._throttle import COMPUTE_POLICIES, ThrottleModel
from flexvmss.emulator.core import Clock

SUB = "00000000-0000-0000-0000-0000000000aa"
VM = f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1"


def _model(enabled: bool = True) -> ThrottleModel:
    return ThrottleModel(Clock(manual=True), enabled=enabled)


def _remaining(model: ThrottleModel, policy: str = "DeleteVM") -> dict[str, int]:
    headers = model.check(
        subscription_id=SUB, arm="write", policy=policy, resource_key=VM, spend=False
    ).headers
    out = {k: int(v) for k, v in headers.items() if k.startswith("x-ms-ratelimit-remaining-subscription")}
    for part in headers["x-ms-ratelimit-remaining-resource"].split(","):
        name, count = part.split(";")
        out[name] = int(count)
    return out


def test_reserve_spends_compute_tokens_and_no_arm_tokens() -> None:
    model = _model()
    before = _remaining(model)
    for _ in range(5):
        assert model.reserve(subscription_id=SUB, policy="DeleteVM", resource_key=VM) == 0.0
    after = _remaining(model)
    assert (
        after["Microsoft.Compute/DeleteVMSubscriptionMaximum"]
        == before["Microsoft.Compute/DeleteVMSubscriptionMaximum"] - 5
    )
    assert after["Microsoft.Compute/DeleteVMResource"] == before["Microsoft.Compute/DeleteVMResource"] - 5
    assert (
        after["x-ms-ratelimit-remaining-subscription-writes"]
        == before["x-ms-ratelimit-remaining-subscription-writes"]
    )


def test_reserve_says_how_long_to_wait_once_the_bucket_is_empty() -> None:
    model = _model()
    pol = COMPUTE_POLICIES["DeleteVM"]
    calls = 0
    while model.reserve(subscription_id=SUB, policy="DeleteVM") == 0.0:
        calls += 1
    assert calls == int(pol.subscription_capacity)
    wait = model.reserve(subscription_id=SUB, policy="DeleteVM")
    assert 0 < wait <= 60 / pol.subscription_refill
    model.clock.advance(wait)
    assert model.reserve(subscription_id=SUB, policy="DeleteVM") == 0.0


def test_a_drained_bucket_throttles_the_callers_own_requests_too() -> None:
    model = _model()
    while model.reserve(subscription_id=SUB, policy="DeleteVM") == 0.0:
        pass
    decision = model.check(subscription_id=SUB, arm="write", policy="DeleteVM", resource_key=VM)
    assert decision.error is not None and decision.error.status == 429 and decision.kind == "compute"


def test_with_the_model_off_nothing_waits() -> None:
    model = _model(enabled=False)
    assert all(
        model.reserve(subscription_id=SUB, policy="DeleteVM", resource_key=VM) == 0.0 for _ in range(3000)
    )
    assert _model().reserve(subscription_id=SUB, policy="NoSuchPolicy") == 0.0
