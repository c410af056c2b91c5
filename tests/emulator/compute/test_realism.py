"""Realism: the visibility lag after an accepted action, list reads one round stale, failed
operations that leave no mark, strict zoneBalance; each seeded, bounded, and off when off."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from compute_bodies import API, LOC, RG, SUB, cid, make_nic, make_subnet, vm_body

from flexvmss.emulator import Emulator
from flexvmss.emulator.core import REALISM_ENV, REALISM_LEVELS, Realism, resolve_realism
from flexvmss.emulator.testing import TestClient

VM = cid("virtualMachines", "vm1")
VMS = cid("virtualMachines", "x").rsplit("/", 1)[0]
OFF = REALISM_LEVELS["off"]


def client(realism: str | Realism, seed: int = 0) -> TestClient:
    h = Emulator(manual_clock=True, realism=realism, seed=seed).test_client(api_version=API)
    h.resource_group(RG, LOC, subscription_id=SUB)
    return h


def with_vm(realism: str | Realism, seed: int = 0) -> TestClient:
    """A client whose emulator holds one running VM (settled)."""
    h = client(realism, seed)
    nic = make_nic(h, "n1", make_subnet(h))
    h.ok("PUT", VM, vm_body(nic))
    h.settle()
    return h


def shown(h: TestClient) -> tuple[str, str]:
    """(provisioningState, power state) as a GET with the instance view shows them."""
    props = h.get(VM, query={"$expand": "instanceView"})["properties"]
    power = next(s["code"] for s in props["instanceView"]["statuses"] if s["code"].startswith("PowerState/"))
    return props["provisioningState"], power.split("/", 1)[1]


def listed(h: TestClient) -> list[tuple[str, str]]:
    return [(v["name"], v["properties"]["provisioningState"]) for v in h.get(VMS)["value"]]


# --------------------------------------------------------------------------- levels and knobs


def test_azure_is_the_default_and_the_env_names_the_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REALISM_ENV, raising=False)
    assert Emulator().realism == REALISM_LEVELS["azure"] and REALISM_LEVELS["azure"].enabled
    monkeypatch.setenv(REALISM_ENV, "off")
    assert Emulator().realism == OFF and not OFF.enabled
    monkeypatch.setenv(REALISM_ENV, "azure")
    assert Emulator(realism="off").realism == OFF  # an explicit level wins over the env
    custom = Realism(level="custom", visibility_lag=1.0)
    assert resolve_realism(custom) is custom and custom.enabled
    with pytest.raises(ValueError, match="azure, off"):
        resolve_realism("chaos")


def test_the_azure_level_turns_every_knob_on() -> None:
    azure = REALISM_LEVELS["azure"]
    assert azure.visibility_lag > 0 and 0 < azure.stale_list_probability <= 1
    assert azure.stale_list_window > 0 and azure.failed_ops_leave_state


# --------------------------------------------------------------------------- (a) visibility lag


def test_an_accepted_action_shows_only_after_the_lag() -> None:
    h = with_vm(replace(OFF, level="custom", visibility_lag=3.0))
    assert shown(h) == ("Succeeded", "running")
    assert h.request("POST", VM + "/deallocate").status == 202
    assert shown(h) == ("Succeeded", "running")  # accepted, not visible yet
    assert listed(h) == [("vm1", "Succeeded")]
    h.settle(3.0)
    assert shown(h) == ("Updating", "deallocating")
    h.settle()
    assert shown(h) == ("Succeeded", "deallocated")


def test_without_realism_the_action_shows_at_once() -> None:
    h = with_vm("off")
    h.ok("POST", VM + "/deallocate")
    assert shown(h) == ("Updating", "deallocating")


# --------------------------------------------------------------------------- (b) stale lists


def test_a_list_read_may_show_a_vm_as_it_was_before_its_last_change() -> None:
    h = with_vm(replace(OFF, level="custom", stale_list_probability=1.0, stale_list_window=15.0))
    assert listed(h) == [("vm1", "Succeeded")]
    h.ok("POST", VM + "/restart")
    assert shown(h)[0] == "Updating"  # a GET of the VM itself is exact
    assert listed(h) == [("vm1", "Succeeded")]  # the list still shows the state before
    h.settle(16.0)
    assert listed(h) == [("vm1", "Updating")]  # the window has passed: fresh
    assert h.emulator.counters()["realism"]["stale_list_items"] == 1


def test_a_deleted_vm_may_linger_in_lists_for_the_window() -> None:
    h = with_vm(replace(OFF, level="custom", stale_list_probability=1.0, stale_list_window=15.0))
    assert listed(h) == [("vm1", "Succeeded")]
    h.ok("DELETE", VM)
    h.settle()
    assert h.request("GET", VM).status == 404
    assert [name for name, _ in listed(h)] == ["vm1"]  # first seen gone now: still listed
    h.settle(16.0)
    assert listed(h) == []


def test_a_restored_snapshot_is_listed_as_it_is_not_as_lists_showed_the_state_it_replaced() -> None:
    h = with_vm(replace(OFF, level="custom", stale_list_probability=1.0, stale_list_window=15.0))
    snapshot = h.emulator.snapshot()
    assert listed(h) == [("vm1", "Succeeded")]
    h.ok("DELETE", VM)
    h.settle()
    assert [name for name, _ in listed(h)] == ["vm1"]  # the list has seen the VM go (and lags)
    h.emulator.restore(snapshot)
    # before, the list took the restored VM for a change and hid it for the window
    assert listed(h) == [("vm1", "Succeeded")]


def test_stale_answers_are_seeded() -> None:
    knobs = replace(OFF, level="custom", stale_list_probability=0.5, stale_list_window=10.0)

    def pattern(seed: int) -> list[str]:
        h = with_vm(knobs, seed)
        out = []
        for _ in range(10):
            out.append(listed(h)[0][1])
            h.ok("POST", VM + "/restart")
            out.append(listed(h)[0][1])
            h.settle()
        return out

    first = pattern(7)
    assert first == pattern(7)
    fresh = ["Succeeded", "Updating"] * 10
    stale = [i for i, (got, want) in enumerate(zip(first, fresh, strict=True)) if got != want]
    assert stale and len(stale) < len(fresh)  # some reads lagged, not all
    assert pattern(8) != first


def test_without_realism_lists_are_never_stale() -> None:
    h = with_vm("off")
    listed(h)
    h.ok("POST", VM + "/restart")
    assert listed(h) == [("vm1", "Updating")]


# --------------------------------------------------------------------------- (c) failed operations


def _failed_restart(h: TestClient) -> dict[str, Any]:
    h.emulator.add_fault({"kind": "lro_fail", "path": "/restart$", "code": "InternalExecutionError"})
    url = h.ok("POST", VM + "/restart").headers["Azure-AsyncOperation"]
    h.settle()
    status: dict[str, Any] = h.get(urlsplit(url).path)
    return status


def test_a_failed_operation_can_leave_no_mark_on_the_vm() -> None:
    h = with_vm(replace(OFF, level="custom", failed_ops_leave_state=True))
    assert _failed_restart(h)["status"] == "Failed"
    assert shown(h) == ("Succeeded", "running")
    view = h.get(VM, query={"$expand": "instanceView"})["properties"]["instanceView"]
    assert not any("failed" in s["code"].lower() for s in view["statuses"])


def test_without_realism_a_failed_operation_marks_the_vm_failed() -> None:
    h = with_vm("off")
    assert _failed_restart(h)["status"] == "Failed"
    assert shown(h)[0] == "Failed"


# --------------------------------------------------------------------------- zoneBalance


@pytest.mark.parametrize("level", ["off", "azure"])
@pytest.mark.parametrize("value", [False, True])
def test_zone_balance_with_one_zone_is_refused_at_every_level(level: str, value: bool) -> None:
    # any value with fewer than two zones: Azure/azure-powershell#6012, azure-rest-api-specs#11805
    h = client(level)
    body = {
        "location": LOC,
        "zones": ["1"],
        "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1, "zoneBalance": value},
    }
    resp = h.request("PUT", cid("virtualMachineScaleSets", "z1"), body)
    assert resp.error[:2] == (400, "InvalidParameter") and "zoneBalance" in resp.error[2]
