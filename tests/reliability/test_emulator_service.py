"""The emulator as a careful local service (issue 14, point 5).

It binds loopback unless told otherwise, loudly; its admin API needs the token it prints; admin
inputs are checked (finite numbers, JSON objects, valid regexes) and refused with 400s in ARM's
error shape; bodies nested too deep are a 400, not a 500; and no input, however hostile, leaves
it broken until a restart.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings, strategies as st

from flexvmss.emulator import Emulator
from flexvmss.emulator._serve import serve

ADMIN_ENDPOINTS = [
    ("POST", "reset"),
    ("POST", "restore"),
    ("POST", "faults"),
    ("DELETE", "faults"),
    ("POST", "clock/advance"),
    ("POST", "throttle"),
    ("POST", "snapshot"),
    ("GET", "counters"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with Emulator(time_scale=0.01, seed=5) as emu:
        yield emu


@pytest.fixture
def http(server: Emulator) -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False
    session.verify = server.ca_file
    yield session
    session.close()
    server.clear_faults()
    server.set_throttle("off")
    server.reset()


def _admin(http: requests.Session, emu: Emulator, method: str, name: str, body: Any = None, **kw: Any):
    return http.request(
        method, f"{emu.base_url}/_emulator/{name}", headers=emu.admin_headers(), data=body, timeout=10, **kw
    )


def _works(http: requests.Session, emu: Emulator) -> None:
    """The emulator still serves: a resource group is created and read, a long-running
    operation completes, the clock moves, counters answer."""
    client = emu.clients()
    try:
        client.resource.resource_groups.create_or_update("rg-alive", {"location": "westeurope"})
        assert client.resource.resource_groups.get("rg-alive").name == "rg-alive"
        poller = client.network.public_ip_addresses.begin_create_or_update(
            "rg-alive",
            "ip",
            {
                "location": "westeurope",
                "sku": {"name": "Standard"},
                "properties": {"publicIPAllocationMethod": "Static"},
            },
        )
        assert poller.result().provisioning_state == "Succeeded"
    finally:
        client.close()
    assert _admin(http, emu, "POST", "clock/advance", json.dumps({"seconds": 5})).status_code == 200
    assert _admin(http, emu, "GET", "counters").json()["requests"] >= 2


# ------------------------------------------------------------------------------- binding


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.com"])
def test_a_non_loopback_host_needs_an_explicit_flag(host, capsys, caplog):
    with pytest.raises(ValueError, match="allow_remote"):
        Emulator(host=host)
    assert serve(["serve", "--host", host]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    with caplog.at_level(logging.WARNING, logger="flexvmss.emulator"):
        Emulator(host=host, allow_remote=True)  # allowed, not started: nothing is bound
    assert any("non-loopback" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts_need_no_flag(host):
    Emulator(host=host)


def test_serve_on_every_interface_warns_and_says_where_it_listens():
    proc = subprocess.Popen(
        [sys.executable, "-m", "flexvmss.emulator", "serve", "--host", "0.0.0.0", "--allow-remote"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    watchdog = threading.Timer(60, proc.kill)  # a changed banner fails the test, never hangs it
    watchdog.start()
    try:
        assert proc.stdout is not None and proc.stderr is not None
        warning = proc.stderr.readline()
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
    finally:
        watchdog.cancel()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert warning.startswith("WARNING") and "0.0.0.0" in warning
    text = "".join(lines)
    assert "listening on:    0.0.0.0:" in text and "every interface" in text
    assert "admin token:" in text


# ------------------------------------------------------------------------------- the admin token


def test_the_admin_api_needs_the_admin_token(server, http):
    url = f"{server.base_url}/_emulator/reset"
    for headers in ({}, {"Authorization": "Bearer x"}, {"x-flexvmss-admin-token": server.admin_token[:-1]}):
        answer = http.post(url, headers=headers, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "AuthenticationFailed"
    assert _admin(http, server, "POST", "reset").status_code == 200
    assert server.admin_token not in repr(server)
    assert len(Emulator().admin_token) >= 32 and Emulator().admin_token != server.admin_token
    assert Emulator(admin_token="a-fixed-token-of-16+").admin_token == "a-fixed-token-of-16+"


# ------------------------------------------------------------------------------- inputs

BAD_INPUTS = [
    ("clock/advance", {"seconds": "nan"}),
    ("clock/advance", {"seconds": float("nan")}),
    ("clock/advance", {"seconds": float("inf")}),
    ("clock/advance", {"seconds": 1e300}),
    ("clock/advance", {"seconds": 10**400}),
    ("clock/advance", {"seconds": -5}),
    ("clock/advance", {"seconds": True}),
    ("clock/advance", {}),
    ("clock/advance", [1]),
    ("faults", {"kind": "status", "path": "("}),
    ("faults", {"kind": "slow", "delay": "nan"}),
    ("faults", {"kind": "slow", "delay": float("inf")}),
    ("faults", {"kind": "status", "status": 99}),
    ("faults", {"kind": "status", "probability": "1"}),
    ("faults", [{"kind": "status"}, {"kind": "status", "path": "[a-"}]),
    ("faults", "status"),
    ("restore", ["id"]),
    ("restore", {"id": 5}),
    ("throttle", {"mode": ["azure"]}),
    ("throttle", "azure"),
]


@pytest.mark.parametrize(("name", "payload"), BAD_INPUTS, ids=[f"{n}:{p!r}"[:60] for n, p in BAD_INPUTS])
def test_bad_admin_inputs_are_400s_in_arm_shape_and_change_nothing(server, http, name, payload):
    before = server.clock.now()
    rules = len(server.faults.rules)
    answer = _admin(http, server, "POST", name, json.dumps(payload, allow_nan=True))
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert set(error) == {"code", "message"} and error["code"].startswith("Invalid")
    assert len(server.faults.rules) == rules, "no fault of a refused batch is in force"
    assert server.clock.now() - before < 60
    _works(http, server)


def test_malformed_and_deeply_nested_bodies_are_400s_not_500s(server, http):
    for body in (b"{not json", b"[" * 5000 + b"]" * 5000, b'{"seconds": ' + b"[" * 100_000):
        answer = _admin(http, server, "POST", "clock/advance", body)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidRequestContent"
    arm = http.put(
        f"{server.base_url}/subscriptions/{server.subscription_id}/resourcegroups/rg-deep?api-version=2025-04-01",
        data=b'{"location": "westeurope", "tags": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
        timeout=10,
    )
    assert arm.status_code == 400, arm.text
    assert arm.json()["error"]["code"] == "InvalidRequestContent"
    _works(http, server)


def test_the_python_api_refuses_the_same_inputs(server):
    for seconds in (float("nan"), float("inf"), -1.0, 1e300):
        with pytest.raises(ValueError):
            server.advance(seconds)
    with pytest.raises(ValueError):
        server.add_fault({"kind": "status", "path": "(unclosed"})
    with pytest.raises(ValueError):
        server.add_fault({"kind": "slow", "delay": float("nan")})


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["status", "slow", "drop", "lro_fail", "(", "[a-", ".*", "azure", "off", "nan"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["kind", "seconds", "id", "mode", "path", "delay", "probability", "status", "nth", "rules"]
            )
            | st.text(max_size=5),
            inner,
            max_size=4,
        )
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(ADMIN_ENDPOINTS), payload=JSON_VALUES)
@example(endpoint=("POST", "clock/advance"), payload={"seconds": "nan"})
@example(endpoint=("POST", "faults"), payload={"kind": "slow", "delay": 1e308})
def test_no_admin_input_leaves_the_emulator_broken(server, http, endpoint, payload):
    method, name = endpoint
    answer = _admin(http, server, method, name, json.dumps(payload, allow_nan=True))
    assert answer.status_code in (200, 400, 404), answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    if answer.status_code >= 400:
        assert set(answer.json()["error"]) == {"code", "message"}
    server.clear_faults()  # a valid fault rule may have been added: it is not what is tested
    _works(http, server)
