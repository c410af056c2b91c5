"""Seeded fault injection: status, drop, slow and LRO faults, matching and reproducibility."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
import requests

from flexvmss.emulator import Emulator, FaultRule
from flexvmss.emulator._faults import FaultInjector

if TYPE_CHECKING:
    from conftest import Raw


def test_status_fault_answers_in_arm_shape_on_the_nth_request(raw: Raw) -> None:
    raw.emu.add_fault(FaultRule("status", nth=2, status=503, method="GET"))
    codes = [raw.get(raw.thing("t1")).status_code for _ in range(3)]
    assert codes == [404, 503, 404]
    raw.emu.clear_faults()
    raw.emu.add_fault({"kind": "status", "status": 500})
    err = raw.get(raw.thing("t1"))
    assert err.json() == {
        "error": {
            "code": "InternalServerError",
            "message": "An internal server error occurred. Please retry the request.",
        }
    }
    assert err.headers["x-ms-ratelimit-remaining-subscription-reads"] == "249"
    assert raw.emu.counters()["faults"] == {"status": 2}


def test_status_fault_with_code_and_a_429_retry_hint(raw: Raw) -> None:
    raw.emu.add_fault(
        {
            "kind": "status",
            "status": 429,
            "code": "RetryableErrorDueToAnotherOperation",
            "delay": 3,
            "times": 1,
        }
    )
    resp = raw.get(raw.thing("t1"))
    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "RetryableErrorDueToAnotherOperation"
    # 3 emulated seconds at time scale 0.01: exactly in retry-after-ms, rounded up to the whole
    # real second in Retry-After (what azure-core sleeps, and what makes it retry at all)
    assert resp.headers["retry-after-ms"] == "30"
    assert resp.headers["Retry-After"] == "1"
    assert raw.get(raw.thing("t1")).status_code == 404


def test_the_stock_client_retries_through_a_transient_503(emu: Emulator) -> None:
    rg = emu.clients().resource.resource_groups
    emu.add_fault({"kind": "status", "status": 503, "method": "PUT", "nth": 1})
    assert rg.create_or_update("rg1", {"location": "eastus"}).name == "rg1"
    assert emu.counters()["by_status"]["503"] == 1


def test_drop_closes_the_connection_after_serving(raw: Raw) -> None:
    raw.emu.add_fault({"kind": "drop", "method": "PUT", "times": 1})
    with pytest.raises(requests.ConnectionError):
        raw.put(raw.thing("t1"))
    # the request took effect; only the answer was lost
    assert raw.get(raw.thing("t1")).status_code == 200
    assert raw.emu.counters()["faults"] == {"drop": 1}


def test_slow_holds_the_answer_for_the_scaled_delay(raw: Raw) -> None:
    raw.emu.add_fault({"kind": "slow", "delay": 30, "path": "things/slow"})
    started = time.monotonic()
    resp = raw.get(raw.thing("slow"))
    assert time.monotonic() - started >= 0.3  # 30 emulated seconds at time scale 0.01
    assert resp.status_code == 404
    assert raw.emu.counters()["faults"] == {"slow": 1}


def test_rules_match_on_op_class_method_and_path(raw: Raw) -> None:
    raw.emu.add_fault({"kind": "status", "status": 500, "op_class": "write"})
    assert raw.get(raw.thing("t1")).status_code == 404
    assert raw.put(raw.thing("t1")).status_code == 500
    raw.emu.clear_faults()
    raw.emu.add_fault({"kind": "status", "status": 500, "path": r"THINGS/t2$"})  # case-insensitive
    assert raw.get(raw.thing("t1")).status_code == 404
    assert raw.get(raw.thing("t2")).status_code == 500


def test_times_caps_the_firings(raw: Raw) -> None:
    raw.emu.add_fault({"kind": "status", "status": 500, "times": 2})
    assert [raw.get(raw.thing("t1")).status_code for _ in range(4)] == [500, 500, 404, 404]


def test_lro_faults_count_only_requests_that_start_operations(mraw: Raw) -> None:
    mraw.emu.add_fault({"kind": "lro_fail", "nth": 2, "code": "RetryableError"})
    mraw.get(mraw.thing("t1"))  # starts no operation: not counted
    first = mraw.put(mraw.thing("t1")).headers["Azure-AsyncOperation"]
    second = mraw.put(mraw.thing("t2")).headers["Azure-AsyncOperation"]
    mraw.emu.complete_all()
    assert mraw.absolute(first).json()["status"] == "Succeeded"
    failed = mraw.absolute(second).json()
    assert failed["status"] == "Failed"
    assert failed["error"] == {"code": "RetryableError", "message": "A retryable error occurred."}
    assert mraw.emu.counters()["faults"] == {"lro_fail": 1}


def _pattern(raw: Raw, n: int = 30) -> list[int]:
    return [raw.get(raw.thing("t1")).status_code for _ in range(n)]


def test_same_seed_same_faults(raw: Raw) -> None:
    raw.emu.add_fault({"kind": "status", "status": 500, "probability": 0.3})
    first = _pattern(raw)
    assert 500 in first and 404 in first
    raw.emu.reset()  # reseeds the injector; the rule stays
    assert _pattern(raw) == first


def test_different_seeds_give_different_faults() -> None:
    def fired(seed: int) -> list[bool]:
        inj = FaultInjector(seed)
        inj.add({"kind": "status", "probability": 0.5})
        return [bool(inj.pre_dispatch("GET", "/x", "read")) for _ in range(40)]

    assert fired(1) == fired(1)
    assert fired(1) != fired(2)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "meteor"}, "unknown fault kind"),
        ({"kind": "slow"}, "needs delay"),
        ({"kind": "status", "probability": 2}, "probability"),
        ({"kind": "status", "nth": 0}, "nth"),
        ({"kind": "status", "op_class": "shout"}, "op_class"),
        ({"kind": "status", "colour": "red"}, "unknown fault rule keys"),
    ],
)
def test_bad_rules_are_refused(emu: Emulator, rule: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        emu.add_fault(rule)
