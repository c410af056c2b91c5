"""Secrets are scrubbed by shape as well as by name, in one place shared by cassettes, logs and
traces (issue 14, point 1).

Each shape the detectors know is planted in an extension's ``settings``, a header and a query
string; the scrubber removes it and the scanner flags it in the raw interaction and not in the
scrubbed one. Public values (GUIDs, resource ids, ETags, SKU names, base64 of text, SSH public
keys) are left alone, the committed cassettes are exactly what the scrubber would make of them,
and recording never logs an unscrubbed interaction. Last, a property: random secrets of every
shape in random places of random bodies, headers and query strings, recorded through the kit
against a live server, leave nothing the scanner finds, in the cassette or in the logs.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import random
import string
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from echo_server import echo_server
from hypothesis import HealthCheck, given, settings, strategies as st
from secret_shapes import NAMED_HEADERS, NAMED_KEYS, NAMED_PARAMS, SHAPES, Plant, plant
from vcr.request import Request
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from flexvmss._redact import find_secrets, looks_random, redact_body, redact_headers, redact_text, redact_url
from flexvmss.testing import ScrubRule, default_scrubber, scan_path, use_cassette
from flexvmss.testing._scan import scan_text, scan_value

ROOT = Path(__file__).resolve().parents[2]
ARM = "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000"


def _text(body: str | bytes) -> str:
    return body.decode() if isinstance(body, bytes) else body


def _raw_findings(text: str) -> set[str]:
    return {f.kind for f in scan_text(text)}


# ------------------------------------------------------------------------------- one shape at a time


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_each_shape_in_extension_settings_is_scrubbed_and_flagged(kind):
    secret = plant(kind, 7)
    body = {
        "properties": {
            "virtualMachineProfile": {
                "extensionProfile": {
                    "extensions": [
                        {
                            "name": "setup",
                            "properties": {
                                "type": "CustomScript",
                                "settings": {
                                    "commandToExecute": f"run {secret.text} now",
                                    "note": secret.text,
                                },
                            },
                        }
                    ]
                }
            }
        }
    }
    raw = json.dumps(body)
    assert kind in {f.kind for f in scan_value(body)}, "the scanner sees the raw secret"
    scrubbed = default_scrubber().scrub_request(Request("PUT", f"{ARM}/x?api-version=1", raw, {}))
    text = _text(scrubbed.body)
    assert all(core not in text for core in secret.cores)
    assert scan_text(text) == []
    settings_out = json.loads(text)["properties"]["virtualMachineProfile"]["extensionProfile"]
    assert settings_out["extensions"][0]["properties"]["type"] == "CustomScript"  # the rest is kept
    # the library's own redaction (traces, errors) removes the same thing
    assert all(core not in redact_body(raw) for core in secret.cores)


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_each_shape_in_a_header_and_a_query_string_is_scrubbed(kind):
    secret = plant(kind, 11)
    value = secret.text.replace("\n", " ")
    url = f"{ARM}/x?api-version=1&note={urllib.parse.quote(value, safe='')}"
    request = Request("GET", url, None, {"x-custom": value})
    scrubbed = default_scrubber().scrub_request(request)
    for core in secret.cores:
        assert core not in scrubbed.headers["x-custom"]
        assert core not in urllib.parse.unquote(scrubbed.uri)
    assert scrubbed.uri.startswith(f"{ARM}/x?api-version=1&note=")
    assert all(core not in redact_url(url) and core not in redact_headers({"x-custom": value})["x-custom"]
               for core in secret.cores)  # fmt: skip


@pytest.mark.parametrize("key", NAMED_KEYS)
def test_keys_named_like_secrets_are_scrubbed_at_any_depth(key):
    body = {"properties": {"settings": {"deep": [{key: "plain-but-secret-4711"}]}}}
    assert scan_value(body), key
    out = default_scrubber().scrub_body(json.dumps(body))
    assert isinstance(out, str) and "plain-but-secret-4711" not in out
    assert scan_text(out) == []


@pytest.mark.parametrize("header", NAMED_HEADERS)
def test_headers_and_query_parameters_on_the_deny_list_are_scrubbed(header):
    scrubber = default_scrubber()
    request = scrubber.scrub_request(
        Request("GET", f"{ARM}/x?api-version=1&token=t0k3n-4711&code=c0d3-4711", None, {header: "v4lu3-4711"})
    )
    assert request.headers[header] == "Sanitized"
    assert "4711" not in request.uri and "api-version=1" in request.uri
    response = scrubber.scrub_response(
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {header: ["v4lu3-4711"]},
            "body": {"string": b""},
        }
    )
    assert response["headers"][header] == ["Sanitized"]


def test_a_user_hook_decides_about_keys_headers_and_query_parameters():
    seen: list[tuple[str, str]] = []

    def internal(where: str, name: str, value: str) -> bool:
        seen.append((where, name))
        return name.lower() in ("x-tenant-secret-ish", "badge", "employee")

    scrubber = default_scrubber().with_rules(ScrubRule.hook("internal", internal))
    request = scrubber.scrub_request(
        Request(
            "PUT",
            f"{ARM}/x?api-version=1&badge=1234",
            json.dumps({"owner": {"employee": "E-4711", "team": "web"}}),
            {"x-tenant-secret-ish": "abc"},
        )
    )
    assert "badge=Sanitized" in request.uri
    assert json.loads(_text(request.body)) == {"owner": {"employee": "Sanitized", "team": "web"}}
    assert request.headers["x-tenant-secret-ish"] == "Sanitized"
    assert {"key", "header", "query"} <= {where for where, _ in seen}
    with pytest.raises(ValueError):
        ScrubRule("no-predicate", "hook")


# ------------------------------------------------------------------------------- what is not secret

PUBLIC = [
    "8f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b",
    "8F1C2A4E5B6D4E7F9A0B1C2D3E4F5A6B",
    "/subscriptions/8f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b/resourceGroups/rg-web/providers/"
    "Microsoft.Compute/virtualMachineScaleSets/web/virtualMachines/web_Zx12ab34",
    'W/"e3e70682-c209-4cac-a29f-6fbed82c07cd"',
    '"0x8DC3A1B2C3D4E5F"',
    "web_OsDisk_1_fbcefcd05050f32cd4062cce773a13fb",
    "Standard_NC24ads_A100_v4",
    "HighCostGetVMScaleSet30Min;107,Microsoft.Compute/HighCostGetVMScaleSet3Min;27",
    "azsdk-python-mgmt-compute/39.0.0 Python/3.11.7 (Linux-6.18.44-fc-v669-x86_64-with-glibc2.36)",
    "Fri, 27 Nov 2026 23:53:53 GMT",
    "2026-11-27T23:53:53.1234567+00:00",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0+mP3Jv1TjBEIYIPPbkVqdYo1pl0vPRcsvZf2xkZDyu7ka4G6UVjx"
    "ufnI4RgNb7Jw3lJQDdXoJ3QBPxDUCI2PmRt0oC4F3sQ8ho9c8OyTfmjtsn6XFnwjPGVQgIlK9Cum0zJG9A7vJZSj6rm/"
    "H0SmZ2I2lfQ6JZVF0Y0ThoJtZzHtKSEdKohvQR2aWMqWF9WFq5gmIn5NEeD8TAl2HkUCgHqYsqe3X83hLv9b1ytQIrVk"
    "bRwL1/dnPjrkVOBMGFiSMQV8W1zlu3uqdIzAE1HZcRSO5yJ7J8bLStJpcRn+rkZjU4i7dvlfOjSSwTGsmCuA0jNc4XqO"
    "RpEwIe5qkZkZ user@example",
    "I2Nsb3VkLWNvbmZpZwpwYWNrYWdlczoKICAtIG5naW54CnJ1bmNtZDoKICAtIHN5c3RlbWN0bCBzdGFydCBuZ2lueA==",
    "https://management.azure.com/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/"
    "virtualMachines?api-version=2026-04-01&$skiptoken=eyJuZXh0IjoxMDB9",
    '{"error": {"code": "ResourceNotFound", "message": "The Resource was not found."}}',
    "disablePasswordAuthentication=true",
]


@pytest.mark.parametrize("text", PUBLIC)
def test_public_values_are_not_taken_for_secrets(text):
    assert find_secrets(text) == [], text
    assert redact_text(text) == text


def test_random_tokens_are_taken_for_secrets_from_24_bytes_and_names_are_not():
    rng = random.Random(3)
    caught = sum(looks_random(plant("high-entropy", rng.randrange(2**32)).text) for _ in range(500))
    assert caught == 500
    assert not looks_random("VirtualMachineScaleSetPublicIPAddressConfigurationDnsSettings")
    assert not looks_random("0001-com-ubuntu-server-jammy-22_04-lts-gen2")


def test_the_committed_cassettes_are_what_the_scrubber_makes_of_them_and_scan_clean():
    """Scrubbing a committed interaction again changes nothing (in particular no request URL,
    so replays still match) and the scanner finds nothing: what the new detectors would remove
    is not in them."""
    scrubber = default_scrubber()
    files = sorted((ROOT / "cassettes").rglob("*.yaml"))
    assert files
    for file in files:
        requests_, responses = deserialize(file.read_text(), yamlserializer)
        for request, response in zip(requests_, responses, strict=True):
            again = scrubber.scrub_request(copy.deepcopy(request))
            assert (again.uri, again.body, dict(again.headers)) == (
                request.uri,
                request.body,
                dict(request.headers),
            )
            assert scrubber.scrub_response(copy.deepcopy(response)) == response
    assert scan_path(ROOT / "cassettes") == ([], len(files))


# ------------------------------------------------------------------------------- logs


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, as text."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    names = ["", "vcr", "urllib3", "flexvmss"]
    saved = {name: logging.getLogger(name).level for name in names}
    logging.getLogger().addHandler(handler)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    with echo_server() as url:
        yield url


def test_recording_logs_no_interaction_before_it_is_scrubbed(echo, captured_logs, tmp_path):
    """vcrpy logs each interaction at INFO before its before_record hooks run; an accessSAS in
    a response body, a token in a query string, a password header must not reach the log."""
    sas = plant("sas-signature", 5)
    cassette = tmp_path / "c.yaml"
    with use_cassette(cassette, record_mode="all"):
        answer = requests.post(
            f"{echo}/grant?api-version=1&token=t0k3n-MARKER-4711",
            json={"accessSAS": sas.text},
            headers={"x-api-key": "MARKER-key-4711"},
            timeout=10,
        )
    assert sas.cores[0] in answer.text and "MARKER-key-4711" in answer.text  # the live answer had them
    logs = captured_logs.getvalue()
    assert "vcr" in logs and "127.0.0.1" in logs, "vcrpy and urllib3 did log the exchange"
    for leaked in (*sas.cores, "t0k3n-MARKER-4711", "MARKER-key-4711"):
        assert leaked not in logs
        assert leaked not in cassette.read_text()
    assert scan_text(logs) == [] and scan_path(cassette)[0] == []


def test_the_http_trace_masks_a_sas_signature_inside_a_json_string():
    sas = plant("sas-signature", 9)
    logged = redact_body(json.dumps({"properties": {"output": {"blobUri": sas.text}}}))
    assert sas.cores[0] not in logged and "sig=REDACTED" in logged


# ------------------------------------------------------------------------------- the property

WORDS = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-1000, 1000)
    | st.text(alphabet=string.ascii_letters + " -", max_size=12)
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=3),
    max_leaves=8,
)
KINDS = st.sampled_from([*sorted(SHAPES), "named"])
PLACES = st.sampled_from(["body", "header", "query"])


def _put(document: Any, path: list[str], value: Any) -> dict[str, Any]:
    """``document`` (made a mapping if it is not one) with ``value`` at ``path``."""
    root: dict[str, Any] = document if isinstance(document, dict) else {"doc": document}
    node = root
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value
    return root


@st.composite
def exchanges(draw: st.DrawFn) -> tuple[dict[str, Any], list[Plant]]:
    """A request (method, path, query, headers, a JSON or a text body) with 1-4 secrets planted
    in it. A shape goes anywhere; a "named" secret (a plain password-like value) goes where its
    name makes it secret: under a secret key, in a secret header or query parameter."""
    query: list[tuple[str, str]] = [("api-version", "2026-04-01")]
    headers: dict[str, str] = {}
    as_text = draw(st.booleans())
    document: Any = draw(DOCUMENTS)
    words = [draw(WORDS)]
    plants = []
    for index in range(draw(st.integers(1, 4))):
        kind, place, seed = draw(KINDS), draw(PLACES), draw(st.integers(0, 2**32))
        secret = plant(kind, seed)
        plants.append(secret)
        one_line = secret.text.replace("\n", " ")
        named = kind == "named"
        if place == "body" and as_text:
            words += [
                f"{draw(st.sampled_from(NAMED_KEYS))}={secret.text}" if named else secret.text,
                draw(WORDS),
            ]
        elif place == "body":
            path = [f"p{index}", *draw(st.lists(WORDS, max_size=3))]  # a subtree of its own
            around = f"{draw(WORDS)} {secret.text} {draw(WORDS)}"
            if named:
                path.append(draw(st.sampled_from(NAMED_KEYS)))
                value: Any = draw(st.sampled_from([secret.text, around]))
            else:
                value = draw(st.sampled_from([secret.text, around, [secret.text]]))
            document = _put(document, path, value)
        elif place == "header":
            name = draw(st.sampled_from(NAMED_HEADERS)) if named else f"x-{draw(WORDS)}"
            if name in headers:  # a second one: still named like a secret (x-2-x-api-key)
                name = f"x-{len(headers)}-{name}"
            headers[name] = one_line
        else:
            name = draw(st.sampled_from(NAMED_PARAMS)) if named else draw(WORDS)
            query.append((name, one_line))
    request = {
        "method": draw(st.sampled_from(["PUT", "POST", "PATCH"])),
        "path": "/" + "/".join(draw(st.lists(WORDS, min_size=1, max_size=3))),
        "query": query,
        "headers": headers,
        "json": None if as_text else document,
        "data": " ".join(words) if as_text else None,
    }
    return request, plants


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    elif value is not None:
        yield str(value)


def _forms(core: str) -> set[str]:
    return {core, urllib.parse.quote(core, safe=""), urllib.parse.quote_plus(core)}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(exchanges())
def test_random_secrets_in_random_places_reach_neither_the_cassette_nor_the_logs(
    echo, captured_logs, exchange
):
    request, plants = exchange
    captured_logs.seek(0)
    captured_logs.truncate()
    with tempfile.TemporaryDirectory() as folder:
        cassette = Path(folder) / "c.yaml"
        with use_cassette(cassette, record_mode="all"):
            answer = requests.request(
                request["method"],
                f"{echo}{request['path']}?{urllib.parse.urlencode(request['query'])}",
                headers=request["headers"],
                json=request["json"],
                data=request["data"],
                timeout=10,
            )
        assert answer.status_code == 200
        recorded = yaml.safe_load(cassette.read_text())
        findings, _ = scan_path(cassette)
    logs = captured_logs.getvalue()
    # not vacuous: the secrets were on the wire, and the scanner sees them there
    for secret in plants:
        assert any(form in answer.text for core in secret.cores for form in _forms(core))
    assert _raw_findings(answer.text), "the scanner finds the raw secrets in the live answer"
    # the property: nothing the scanner finds, and none of the secrets, in the cassette or the logs
    assert findings == []
    assert scan_text(logs) == []
    everything = "\n".join(_strings(recorded))
    for secret in plants:
        for core in secret.cores:
            for form in _forms(core):
                assert form not in everything, (secret.kind, "cassette")
                assert form not in logs, (secret.kind, "logs")
