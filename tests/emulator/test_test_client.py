"""The in-process TestClient: the same dispatcher as the HTTPS server, without HTTP."""

from __future__ import annotations

import pytest

from flexvmss.emulator import Emulator, TestClient
from flexvmss.emulator.core import Context, Request, Response, Router

SUB = "00000000-0000-0000-0000-000000000001"
GROUP = f"/subscriptions/{SUB}/resourcegroups/rg1"


@pytest.fixture
def client() -> TestClient:
    # realism off: these tests read the emulator's own state step by step (test_realism.py tests the lag)
    return Emulator(manual_clock=True, realism="off").test_client(api_version="2025-04-01")


def test_requests_go_through_the_dispatcher(client: TestClient) -> None:
    resp = client.request("GET", GROUP)
    assert resp.error == (404, "ResourceGroupNotFound", "Resource group 'rg1' could not be found.")
    assert resp.headers["x-ms-request-id"] and resp.headers["Content-Type"].startswith("application/json")
    counters = client.emulator.counters()
    assert counters["requests"] == 1 and counters["by_route"] == {
        "GET /subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}": 1
    }


def test_bearer_token_is_sent_unless_the_caller_overrides_it(client: TestClient) -> None:
    assert client.request("PUT", GROUP, {"location": "eastus"}).status == 201
    refused = client.request("GET", GROUP, headers={"Authorization": ""})
    assert refused.error[:2] == (401, "AuthenticationFailed")
    assert "WWW-Authenticate" in refused.headers


def test_api_version_default_path_query_and_keyword(client: TestClient) -> None:
    client.ok("PUT", GROUP, {"location": "eastus"})
    assert client.request("GET", GROUP).status == 200
    assert client.request("GET", GROUP + "?api-version=2024-01-01").status == 200
    missing = client.request("GET", GROUP, query={"api-version": ""})
    assert missing.error[:2] == (400, "MissingApiVersionParameter")


def test_delete_settles_only_when_the_clock_moves(client: TestClient) -> None:
    client.ok("PUT", GROUP, {"location": "eastus"})
    resp = client.request("DELETE", GROUP)
    assert resp.status == 202 and resp.body is None and "Location" in resp.headers
    client.settle(1)
    assert client.get(GROUP)["properties"]["provisioningState"] == "Deleting"
    client.settle()
    assert client.request("GET", GROUP).status == 404


def test_dropped_answer_is_reported_after_the_request_was_served(client: TestClient) -> None:
    client.emulator.add_fault({"kind": "drop", "method": "PUT", "times": 1})
    assert client.request("PUT", GROUP, {"location": "eastus"}).dropped
    assert client.get(GROUP)["name"] == "rg1"


def test_handler_crash_raises_unless_asked_for_the_500() -> None:
    crashing = Router()

    @crashing.route("POST", "/subscriptions/{subscriptionId}/crash", op_class="action")
    def crash(ctx: Context, req: Request) -> Response:
        raise RuntimeError("secret-internal-detail")

    emu = Emulator(manual_clock=True, extra_routers=[crashing])
    with pytest.raises(RuntimeError, match="secret-internal-detail"):
        emu.test_client().request("POST", f"/subscriptions/{SUB}/crash")
    resp = emu.test_client(raise_server_exceptions=False).request("POST", f"/subscriptions/{SUB}/crash")
    assert resp.error[:2] == (500, "InternalServerError")
    assert "secret" not in resp.content.decode()
    assert emu.counters()["handler_errors"] == 2
