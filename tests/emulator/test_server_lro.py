"""Long-running operations through the stock azure-core pollers, status bodies, the monitor
(Location) protocol and the emulated clock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest
from azure.mgmt.core.polling.arm_polling import ARMPolling

from flexvmss.emulator import Emulator

if TYPE_CHECKING:
    from conftest import Raw

API = "2026-04-01"
FLEX = {"location": "eastus", "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1}}


def _poller(emu: Emulator, method: str, path: str, body: Any = None) -> LROPoller[Any]:
    """Start an operation on any route and follow it with azure-mgmt-core's ARMPolling,
    exactly as a generated ``begin_*`` method does."""
    client = emu.clients().resource._client
    request = HttpRequest(method, f"{emu.base_url}{path}?api-version={API}", json=body)
    initial = client._pipeline.run(request, stream=False)
    if initial.http_response.status_code >= 400:
        raise HttpResponseError(response=initial.http_response)

    def output(pipeline_response: Any) -> Any:
        resp = pipeline_response.http_response
        return resp.json() if resp.text() else None

    return LROPoller(client, initial, output, ARMPolling(0.01))


def test_vmss_create_and_delete_through_the_stock_sync_client(emu: Emulator) -> None:
    c = emu.clients()
    c.resource.resource_groups.create_or_update("rg1", {"location": "eastus"})
    vmss = c.compute.virtual_machine_scale_sets.begin_create_or_update("rg1", "ss1", FLEX).result()
    assert vmss.properties.provisioning_state == "Succeeded"
    c.compute.virtual_machine_scale_sets.begin_delete("rg1", "ss1").result()
    with pytest.raises(ResourceNotFoundError):
        c.compute.virtual_machine_scale_sets.get("rg1", "ss1")


def test_resource_group_delete_follows_its_location(emu: Emulator) -> None:
    rg = emu.clients().resource.resource_groups
    rg.create_or_update("rg1", {"location": "eastus"})
    rg.begin_delete("rg1").result()
    assert not rg.check_existence("rg1")


async def test_the_stock_aio_clients_work_with_the_ca_file(emu: Emulator) -> None:
    c = emu.clients(aio=True)
    try:
        await c.resource.resource_groups.create_or_update("rg1", {"location": "eastus"})
        poller = await c.compute.virtual_machine_scale_sets.begin_create_or_update("rg1", "ss1", FLEX)
        vmss = await poller.result()
        assert vmss.properties.provisioning_state == "Succeeded"
        names = [s.name async for s in c.compute.virtual_machine_scale_sets.list("rg1")]
        assert names == ["ss1"]
    finally:
        await c.aclose()


def test_put_returns_201_creating_with_absolute_async_operation(raw: Raw) -> None:
    resp = raw.put(raw.thing("t1"))
    assert resp.status_code == 201
    assert resp.json()["properties"]["provisioningState"] == "Creating"
    url = resp.headers["Azure-AsyncOperation"]
    assert url.startswith(raw.emu.base_url + f"/subscriptions/{raw.emu.subscription_id}/providers/")
    assert "/Microsoft.Compute/locations/eastus/operations/" in url
    assert "Location" not in resp.headers
    assert "retry-after-ms" in resp.headers  # scaled clock: the hint is in real milliseconds


def test_put_completes_through_the_arm_poller(emu: Emulator, raw: Raw) -> None:
    result = _poller(emu, "PUT", raw.thing("t1"), {"location": "eastus"}).result()
    assert result["properties"]["provisioningState"] == "Succeeded"


def test_delete_completes_through_the_arm_poller(emu: Emulator, raw: Raw) -> None:
    raw.put(raw.thing("t1"))
    emu.complete_all()
    resp = raw.delete(raw.thing("t1"))
    assert resp.status_code == 202
    assert resp.text == ""
    assert "monitor=true" in resp.headers["Location"]
    assert resp.headers["Location"].split("?")[0] == resp.headers["Azure-AsyncOperation"].split("?")[0]
    _poller(emu, "DELETE", raw.thing("t1")).result()
    assert raw.get(raw.thing("t1")).status_code == 404
    assert raw.delete(raw.thing("t1")).status_code == 204


def test_an_action_completes_through_the_arm_poller_with_a_final_monitor_get(emu: Emulator, raw: Raw) -> None:
    raw.put(raw.thing("t1"))
    emu.complete_all()
    assert _poller(emu, "POST", raw.thing("t1") + "/poke").result() is None
    routes = emu.counters()["by_route"]
    status_route = "GET /subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}"
    status_route += "/operations/{operationId}"
    assert routes[status_route] >= 2  # the status polls and the final GET on the monitor URL


def test_lro_fail_fault_surfaces_in_the_stock_client(emu: Emulator) -> None:
    c = emu.clients()
    c.resource.resource_groups.create_or_update("rg1", {"location": "eastus"})
    # a Flex set without a profile is made at once (no operation): its DELETE carries the fault
    c.compute.virtual_machine_scale_sets.begin_create_or_update("rg1", "ss1", FLEX).result()
    emu.add_fault(
        {
            "kind": "lro_fail",
            "method": "DELETE",
            "path": "virtualMachineScaleSets",
            "code": "AllocationFailed",
        }
    )
    with pytest.raises(HttpResponseError, match="AllocationFailed"):
        c.compute.virtual_machine_scale_sets.begin_delete("rg1", "ss1").result()
    assert emu.counters()["faults"] == {"lro_fail": 1}


# --------------------------------------------------------------------- manual clock


def test_compute_status_body_moves_with_the_clock(mraw: Raw) -> None:
    resp = mraw.put(mraw.thing("t1"))
    status_url = resp.headers["Azure-AsyncOperation"]
    running = mraw.absolute(status_url)
    assert running.status_code == 200
    body = running.json()
    assert list(body) == ["startTime", "status", "name"]
    assert body["status"] == "InProgress"
    assert body["name"] in status_url
    # time scale 1: Azure's fixed poll hint in whole seconds (30 while running), not the time left
    assert running.headers["Retry-After"] == "30"
    assert resp.headers["Retry-After"] == "10"  # ... and 10 on the answer that started it
    mraw.emu.advance(29)
    assert mraw.absolute(status_url).json()["status"] == "InProgress"
    assert mraw.get(mraw.thing("t1")).json()["properties"]["provisioningState"] == "Creating"
    mraw.emu.advance(2)
    done = mraw.absolute(status_url)
    assert list(done.json()) == ["startTime", "endTime", "status", "name"]
    assert done.json()["status"] == "Succeeded"
    assert "Retry-After" not in done.headers
    assert mraw.get(mraw.thing("t1")).json()["properties"]["provisioningState"] == "Succeeded"


def test_network_status_body_is_status_only(mraw: Raw) -> None:
    resp = mraw.put(mraw.thing("n1"), {"location": "westus", "provider": "Microsoft.Network"})
    status_url = resp.headers["Azure-AsyncOperation"]
    assert "/Microsoft.Network/locations/westus/operations/" in status_url
    assert mraw.absolute(status_url).json() == {"status": "InProgress"}
    mraw.post("/_emulator/clock/advance", {"seconds": 60})
    assert mraw.absolute(status_url).json() == {"status": "Succeeded"}


def test_monitor_url_answers_202_then_200_empty(mraw: Raw) -> None:
    mraw.put(mraw.thing("t1"))
    mraw.emu.complete_all()
    location = mraw.delete(mraw.thing("t1")).headers["Location"]
    running = mraw.absolute(location)
    assert running.status_code == 202
    assert running.text == ""
    assert running.headers["Retry-After"] == "30"
    assert mraw.post("/_emulator/lro/complete").json() == {"completed": 1}
    done = mraw.absolute(location)
    assert done.status_code == 200
    assert done.text == ""


def test_failed_operation_status_and_monitor(mraw: Raw) -> None:
    mraw.emu.add_fault({"kind": "lro_fail", "path": "things/t1$", "code": "OperationPreempted"})
    mraw.put(mraw.thing("t1"))
    mraw.emu.complete_all()
    mraw.emu.clear_faults()
    mraw.emu.add_fault({"kind": "lro_cancel", "path": "things/t1$"})
    resp = mraw.delete(mraw.thing("t1"))
    mraw.emu.complete_all()
    status = mraw.absolute(resp.headers["Azure-AsyncOperation"]).json()
    assert status["status"] == "Canceled"
    assert status["error"]["code"] == "OperationCanceled"
    monitor = mraw.absolute(resp.headers["Location"])
    assert monitor.status_code == 409
    assert monitor.json()["error"]["code"] == "OperationCanceled"
    assert mraw.get(mraw.thing("t1")).json()["properties"]["provisioningState"] == "Failed"


def test_failed_create_reports_the_fault_code(mraw: Raw) -> None:
    mraw.emu.add_fault({"kind": "lro_fail", "code": "OperationPreempted"})
    resp = mraw.put(mraw.thing("t1"))
    mraw.emu.advance(60)
    status = mraw.absolute(resp.headers["Azure-AsyncOperation"]).json()
    assert status["status"] == "Failed"
    assert status["error"]["code"] == "OperationPreempted"
    assert "endTime" in status


def test_unknown_operation_is_an_arm_404(mraw: Raw) -> None:
    sub = mraw.emu.subscription_id
    resp = mraw.get(
        f"/subscriptions/{sub}/providers/Microsoft.Compute/locations/eastus/operations/"
        "00000000-1111-4222-8333-444444444444"
    )
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "NotFound"


def test_an_operation_is_not_found_under_another_provider(mraw: Raw) -> None:
    url = mraw.put(mraw.thing("t1")).headers["Azure-AsyncOperation"]
    assert mraw.absolute(url.replace("Microsoft.Compute", "Microsoft.Network")).status_code == 404


def test_manual_clock_stands_still_until_advanced(manual: Emulator) -> None:
    before = manual.clock.now()
    manual.advance(12.5)
    assert manual.clock.now() == before + 12.5
