"""The emulator's HTTP face: TLS, authentication, ARM's error shape and headers, the admin API."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError
from azure.mgmt.resource.resources import ResourceManagementClient

from flexvmss.emulator import Emulator, EmulatorCredential

if TYPE_CHECKING:
    from conftest import Raw

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_stock_client_works_over_tls_with_the_emulator_ca(emu: Emulator) -> None:
    c = emu.clients()
    rg = c.resource.resource_groups.create_or_update("rg1", {"location": "eastus"})
    assert rg.name == "rg1"
    assert c.resource.resource_groups.get("rg1").location == "eastus"


def test_a_client_that_does_not_trust_the_ca_is_refused(emu: Emulator) -> None:
    kwargs = emu.client_kwargs()
    kwargs.pop("connection_verify")
    client = ResourceManagementClient(EmulatorCredential(emu.tenant_id), emu.subscription_id, **kwargs)
    with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
        client.resource_groups.get("rg1", retry_total=0)


def test_the_credential_gives_a_jwt_shaped_token_without_secrets(emu: Emulator) -> None:
    token = emu.credential.get_token("https://management.azure.com/.default").token
    assert token.count(".") == 2
    assert token.endswith(".emulator")
    info = emu.credential.get_token_info("https://management.azure.com/.default")
    assert info.expires_on > 0
    assert "tenant_id" in repr(emu.credential) and token not in repr(emu.credential)


def test_requests_without_a_bearer_token_get_401_in_arm_shape(raw: Raw) -> None:
    resp = requests.get(raw.url("/subscriptions/x/resourcegroups/rg1"), verify=raw.emu.ca_file)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "AuthenticationFailed"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer ")


def test_admin_routes_need_the_admin_token_not_a_bearer_token(raw: Raw) -> None:
    url = raw.url("/_emulator/counters")
    for headers in ({}, {"Authorization": "Bearer anything"}, {"x-flexvmss-admin-token": "guess"}):
        resp = requests.get(url, verify=raw.emu.ca_file, headers=headers)
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "AuthenticationFailed"
        assert raw.emu.admin_token not in resp.text
    resp = requests.get(url, verify=raw.emu.ca_file, headers=raw.emu.admin_headers())
    assert resp.status_code == 200


def test_unknown_provider_path_is_an_arm_404(raw: Raw) -> None:
    resp = raw.get(
        f"/subscriptions/{raw.emu.subscription_id}/resourceGroups/rg1/providers/Microsoft.Nope/x/y"
    )
    assert resp.status_code == 404
    err = resp.json()["error"]
    assert err["code"] == "InvalidResourceType"
    assert "Microsoft.Nope" in err["message"]


def test_unknown_path_is_an_arm_404(raw: Raw) -> None:
    resp = raw.get("/definitely/not/arm")
    assert resp.status_code == 404
    assert resp.json() == {
        "error": {
            "code": "NotFound",
            "message": "No HTTP resource was found that matches the request URI '/definitely/not/arm'.",
        }
    }


def test_wrong_method_is_an_arm_405(raw: Raw) -> None:
    resp = raw.request("PATCH", raw.thing("t1"))
    assert resp.status_code == 405
    assert resp.json()["error"]["code"] == "HttpMethodNotAllowed"


def test_missing_api_version_is_an_arm_400(raw: Raw) -> None:
    resp = raw.session.get(raw.emu.base_url + raw.thing("t1"))
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "MissingApiVersionParameter"


def test_malformed_json_is_an_arm_400(raw: Raw) -> None:
    resp = raw.request(
        "PUT", raw.thing("t1"), data=b'{"location": ', headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "InvalidRequestContent"


def test_malformed_json_to_a_real_provider_is_an_arm_400(raw: Raw) -> None:
    resp = raw.request(
        "PUT",
        f"/subscriptions/{raw.emu.subscription_id}/resourcegroups/rg1",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert set(resp.json()["error"]) >= {"code", "message"}


def test_a_handler_crash_is_a_500_in_arm_shape_without_internals(raw: Raw) -> None:
    resp = raw.post(raw.thing("t1") + "/crash")
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == "InternalServerError"
    assert "secret-internal-detail" not in resp.text
    assert "Traceback" not in resp.text
    assert raw.emu.counters()["handler_errors"] == 1


def test_a_broken_response_is_still_an_arm_500(raw: Raw) -> None:
    resp = raw.post(raw.thing("t1") + "/unserialisable")
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == "InternalServerError"
    assert raw.get(raw.thing("t1")).status_code == 404  # the server carries on


def test_arm_headers_on_every_answer(raw: Raw) -> None:
    resp = raw.get(raw.thing("missing"))
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "ResourceNotFound"
    assert GUID.match(resp.headers["x-ms-request-id"])
    assert GUID.match(resp.headers["x-ms-correlation-request-id"])
    assert resp.headers["x-ms-routing-request-id"].endswith(resp.headers["x-ms-request-id"])
    assert "Date" in resp.headers
    assert resp.headers["Content-Type"].startswith("application/json")
    assert int(resp.headers["x-ms-ratelimit-remaining-subscription-reads"]) > 0
    assert int(resp.headers["x-ms-ratelimit-remaining-subscription-global-reads"]) > 0


def test_the_callers_correlation_id_is_echoed(raw: Raw) -> None:
    resp = raw.get(
        raw.thing("t1"), headers={"x-ms-correlation-request-id": "c0ffee00-aaaa-bbbb-cccc-000000000001"}
    )
    assert resp.headers["x-ms-correlation-request-id"] == "c0ffee00-aaaa-bbbb-cccc-000000000001"


def test_correlation_id_reaches_the_stock_client_error(emu: Emulator) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        emu.clients().resource.resource_groups.get("nope")
    assert info.value.response is not None
    assert GUID.match(info.value.response.headers["x-ms-correlation-request-id"])


def test_compute_writes_carry_a_request_charge(raw: Raw) -> None:
    assert raw.put(raw.limited("a")).headers["x-ms-request-charge"] == "1"
    assert "x-ms-request-charge" not in raw.get(raw.limited("a")).headers


# --------------------------------------------------------------------- admin API


def test_admin_counters_count_by_op_class_and_route(raw: Raw) -> None:
    raw.put(raw.thing("t1"))
    raw.get(raw.thing("t1"))
    raw.get(raw.thing("t1"))
    counters = raw.get("/_emulator/counters").json()
    assert counters["by_op_class"] == {"write": 1, "read": 2}
    route = "GET /subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.Test/things/{name}"
    assert counters["by_route"][route] == 2
    assert counters["by_status"] == {"200": 2, "201": 1}
    assert counters == raw.emu.counters()


def test_admin_inventory_lists_resources_groups_and_pending_operations(raw: Raw, emu: Emulator) -> None:
    emu.clients().resource.resource_groups.create_or_update("rg1", {"location": "eastus"})
    raw.put(raw.thing("t1"))
    inv = raw.get("/_emulator/inventory").json()
    assert inv["resources"] == [
        {"id": raw.thing("t1"), "type": "Microsoft.Test/things", "provisioningState": "Creating"}
    ]
    assert [g["name"] for g in inv["resource_groups"]] == ["rg1"]
    assert [op["kind"] for op in inv["operations"]] == ["test.create"]
    assert inv["operations"][0]["resourceId"] == raw.thing("t1")
    assert inv == {**emu.inventory(), "operations": inv["operations"]}


def test_admin_reset_forgets_everything(raw: Raw) -> None:
    raw.put(raw.thing("t1"))
    assert raw.post("/_emulator/reset").status_code == 200
    assert raw.get(raw.thing("t1")).status_code == 404
    assert raw.emu.inventory()["counts"]["in_flight_operations"] == 0
    assert raw.emu.counters()["requests"] == 1  # the GET after the reset


def test_admin_snapshot_and_restore_over_http(raw: Raw) -> None:
    raw.put(raw.thing("t1"))
    snap = raw.post("/_emulator/snapshot").json()["id"]
    raw.put(raw.thing("t2"))
    assert raw.post("/_emulator/restore", {"id": snap}).status_code == 200
    assert raw.get(raw.thing("t1")).status_code == 200
    assert raw.get(raw.thing("t2")).status_code == 404


def test_snapshot_and_restore_in_python(emu: Emulator) -> None:
    rg = emu.clients().resource.resource_groups
    rg.create_or_update("keep", {"location": "eastus"})
    snap = emu.snapshot()
    rg.create_or_update("drop", {"location": "eastus"})
    emu.restore(snap)
    assert [g.name for g in rg.list()] == ["keep"]
    with pytest.raises(KeyError):
        emu.restore("no-such-snapshot")


def test_restore_cancels_operations_of_the_replaced_state(raw: Raw, emu: Emulator) -> None:
    snap = emu.snapshot()
    resp = raw.put(raw.thing("t1"))
    emu.restore(snap)
    status = raw.absolute(resp.headers["Azure-AsyncOperation"]).json()
    assert status["status"] == "Canceled"


def test_admin_restore_of_an_unknown_id_is_a_400(raw: Raw) -> None:
    resp = raw.post("/_emulator/restore", {"id": "nope"})
    assert resp.status_code == 400
    assert "error" in resp.json()


def test_admin_unknown_endpoint_is_a_404(raw: Raw) -> None:
    assert raw.get("/_emulator/nothing-here").status_code == 404


def test_admin_faults_add_list_and_clear(raw: Raw) -> None:
    added = raw.post("/_emulator/faults", {"kind": "status", "status": 503, "path": "things/t9"}).json()
    assert added["added"][0]["status"] == 503
    assert len(raw.get("/_emulator/faults").json()["rules"]) == 1
    assert raw.get(raw.thing("t9")).status_code == 503
    raw.delete("/_emulator/faults")
    assert raw.get(raw.thing("t9")).status_code == 404


def test_admin_rejects_an_unknown_fault_kind(raw: Raw) -> None:
    resp = raw.post("/_emulator/faults", {"kind": "meteor"})
    assert resp.status_code == 400
    assert "meteor" in resp.json()["error"]["message"]


def test_admin_throttle_switch(raw: Raw) -> None:
    published = {"capacity": 1.0, "refill": 1.0, "others": {}}
    assert raw.post("/_emulator/throttle", {"mode": "azure"}).json() == {"mode": "azure", "limits": published}
    assert raw.emu.throttle.enabled
    assert raw.post("/_emulator/throttle", {"mode": "off"}).json() == {"mode": "off", "limits": published}
    assert raw.post("/_emulator/throttle", {"mode": "fast"}).status_code == 400


def test_http_response_error_keeps_the_arm_code(emu: Emulator) -> None:
    with pytest.raises(HttpResponseError) as info:
        emu.clients().resource.resource_groups.create_or_update("rg1", {})
    assert info.value.error is not None
    assert info.value.error.code


def test_admin_vm_health(raw: Raw) -> None:
    assert raw.post("/_emulator/health", {"state": "unhealthy"}).json() == {"state": "unhealthy", "name": "*"}
    assert raw.post("/_emulator/health", {"state": "sick"}).status_code == 400
    assert raw.post("/_emulator/health", {"state": None, "name": "*"}).status_code == 200
