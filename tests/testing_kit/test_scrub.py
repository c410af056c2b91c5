"""The scrubber, one secret kind at a time, on the objects vcrpy hands it."""

from __future__ import annotations

import json

import pytest
from kit_stub import JWT, PRIVATE_KEY, PUBLIC_KEY, SAS_URL, SUBSCRIPTION, TENANT
from vcr.request import Request
from vcr.serializers import yamlserializer

from flexvmss.testing import REDACTED, ZERO_GUID, Scrubber, ScrubRule, default_scrubber, scan_path

ARM = "https://management.azure.com"
VMSS_URL = (
    f"{ARM}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/"
    "virtualMachineScaleSets/vmss1?api-version=2026-04-01"
)


def request(method="GET", url=VMSS_URL, body=None, headers=None) -> Request:
    return Request(method, url, body, headers or {})


def response(body=b"", status=200, headers=None) -> dict:
    text = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {
        "status": {"code": status, "message": "OK"},
        "headers": {"Content-Length": [str(len(text))], **(headers or {})},
        "body": {"string": text},
    }


def body_of(resp: dict):
    return json.loads(resp["body"]["string"])


@pytest.fixture
def scrubber() -> Scrubber:
    return default_scrubber()


# --------------------------------------------------------------------------- headers


def test_authorization_and_cookies_are_removed(scrubber):
    req = scrubber.scrub_request(request(headers={"Authorization": f"Bearer {JWT}", "Cookie": "fpc=abc"}))
    assert "Authorization" not in req.headers and "Cookie" not in req.headers
    resp = scrubber.scrub_response(response({}, headers={"Set-Cookie": ["fpc=abc; path=/"]}))
    assert "Set-Cookie" not in resp["headers"]


def test_request_ids_become_the_zero_guid(scrubber):
    ids = {
        "x-ms-request-id": ["3f1c2a4e-aaaa-4e7f-9a0b-1c2d3e4f5a6b"],
        "x-ms-correlation-request-id": ["4f1c2a4e-aaaa-4e7f-9a0b-1c2d3e4f5a6b"],
        "x-ms-routing-request-id": ["WESTEUROPE:20261127T220000Z:5f1c2a4e-aaaa-4e7f-9a0b-1c2d3e4f5a6b"],
    }
    resp = scrubber.scrub_response(response({}, headers=ids))
    for name in ids:
        assert resp["headers"][name] == [ZERO_GUID]
    req = scrubber.scrub_request(
        request(headers={"x-ms-client-request-id": "6f1c2a4e-aaaa-4e7f-9a0b-1c2d3e4f5a6b"})
    )
    assert req.headers["x-ms-client-request-id"] == ZERO_GUID


def test_poll_delays_are_removed_except_on_throttling_answers(scrubber):
    delays = {"Retry-After": ["30"], "retry-after-ms": ["30000"], "x-ms-retry-after-ms": ["30000"]}
    accepted = scrubber.scrub_response(response({}, status=202, headers=dict(delays)))
    assert not set(delays) & set(accepted["headers"])
    throttled = scrubber.scrub_response(response({}, status=429, headers=dict(delays)))
    assert throttled["headers"]["Retry-After"] == ["30"]


# --------------------------------------------------------------------------- AAD


@pytest.mark.parametrize(
    "url",
    [
        f"https://login.microsoftonline.com/{TENANT}/oauth2/token",
        f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
        "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1",
        f"https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration",
        "http://169.254.169.254/metadata/identity/oauth2/token?resource=x",
    ],
)
def test_token_traffic_is_not_recorded(scrubber, url):
    assert scrubber.scrub_request(request("POST", url, b"client_secret=s3cr3t")) is None


def test_arm_traffic_is_recorded(scrubber):
    assert scrubber.scrub_request(request()) is not None


# --------------------------------------------------------------------------- ids


def test_subscription_ids_become_the_zero_guid_in_urls_bodies_and_poll_headers(scrubber):
    req = scrubber.scrub_request(request())
    assert SUBSCRIPTION not in req.uri and f"/subscriptions/{ZERO_GUID}/" in req.uri
    poll = f"{ARM}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/eastus/operations/x"
    resp = scrubber.scrub_response(
        response(
            {"id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg", "subscriptionId": SUBSCRIPTION},
            status=201,
            headers={"Azure-AsyncOperation": [poll], "Location": [poll]},
        )
    )
    assert body_of(resp) == {
        "id": f"/subscriptions/{ZERO_GUID}/resourceGroups/rg",
        "subscriptionId": ZERO_GUID,
    }
    assert resp["headers"]["Azure-AsyncOperation"] == [poll.replace(SUBSCRIPTION, ZERO_GUID)]
    assert resp["headers"]["Location"] == [poll.replace(SUBSCRIPTION, ZERO_GUID)]


def test_tenant_ids_become_the_zero_guid(scrubber):
    resp = scrubber.scrub_response(
        response({"tenantId": TENANT, "identity": {"tid": TENANT, "tenantId": "not-a-guid"}})
    )
    assert body_of(resp) == {"tenantId": ZERO_GUID, "identity": {"tid": ZERO_GUID, "tenantId": "not-a-guid"}}


def test_known_values_are_replaced_everywhere_consistently():
    scrubber = default_scrubber().with_rules(ScrubRule.literal("sub", SUBSCRIPTION, ZERO_GUID))
    resp = scrubber.scrub_response(response({"note": f"scope {SUBSCRIPTION.upper()} here"}))
    assert body_of(resp) == {"note": f"scope {ZERO_GUID} here"}


# --------------------------------------------------------------------------- secrets in bodies


def test_vm_secrets_in_a_request_body_are_scrubbed_and_public_keys_kept(scrubber):
    vm = {
        "properties": {
            "osProfile": {
                "adminPassword": "P@ssw0rd!",
                "customData": "I2Nsb3VkLWNvbmZpZw==",
                "linuxConfiguration": {"ssh": {"publicKeys": [{"keyData": PUBLIC_KEY}]}},
            },
            "userData": "ZWNobyBoZWxsbw==",
            "extensionProfile": {"protectedSettings": {"commandToExecute": "echo hi"}},
        }
    }
    raw = json.dumps(vm).encode()
    req = scrubber.scrub_request(request("PUT", body=raw, headers={"Content-Length": str(len(raw))}))
    props = json.loads(req.body)["properties"]
    assert props["osProfile"]["adminPassword"] == REDACTED
    assert props["osProfile"]["customData"] == REDACTED
    assert props["userData"] == REDACTED
    assert props["extensionProfile"]["protectedSettings"] == REDACTED
    assert props["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]["keyData"] == PUBLIC_KEY
    assert req.headers["Content-Length"] == str(len(req.body))


def test_private_keys_are_scrubbed_anywhere(scrubber):
    as_json = scrubber.scrub_response(response({"properties": {"note": f"key: {PRIVATE_KEY} end"}}))
    assert "PRIVATE KEY" not in as_json["body"]["string"].decode()
    as_text = scrubber.scrub_response(response(f"prefix\n{PRIVATE_KEY}\nsuffix".encode()))
    assert as_text["body"]["string"] == f"prefix\n{REDACTED}\nsuffix".encode()


def test_client_secret_and_assertion_in_a_form_body_are_scrubbed(scrubber):
    form = b"grant_type=client_credentials&client_id=abc&client_secret=s3cr3t~x&client_assertion=eyJhbGc.x.y"
    req = scrubber.scrub_request(request("POST", f"{ARM}/custom/token", form))
    assert (
        req.body
        == b"grant_type=client_credentials&client_id=abc&client_secret=Sanitized&client_assertion=Sanitized"
    )


def test_tokens_are_scrubbed_in_bodies_and_headers(scrubber):
    resp = scrubber.scrub_response(
        response(
            {"access_token": "opaque-token", "refresh_token": "opaque-refresh", "blob": f"x {JWT} y"},
            headers={"x-custom": [f"Bearer {JWT}"]},
        )
    )
    assert body_of(resp) == {"access_token": REDACTED, "refresh_token": REDACTED, "blob": f"x {REDACTED} y"}
    assert resp["headers"]["x-custom"] == ["Bearer Sanitized"]


def test_sas_signatures_are_scrubbed_and_the_rest_of_the_url_kept(scrubber):
    resp = scrubber.scrub_response(response({"diskUri": SAS_URL}))
    assert body_of(resp)["diskUri"] == SAS_URL.replace("sig=Zm9vYmFyc2VjcmV0", "sig=Sanitized")
    req = scrubber.scrub_request(request(url=SAS_URL))
    assert req.uri.endswith("sig=Sanitized")


def test_content_length_is_fixed_after_scrubbing(scrubber):
    resp = scrubber.scrub_response(response({"adminPassword": "a-long-password-value-1234567890"}))
    assert resp["headers"]["Content-Length"] == [str(len(resp["body"]["string"]))]


def test_a_body_without_secrets_is_kept_byte_for_byte(scrubber):
    raw = b'{"name":"vmss1",   "properties":{"provisioningState":"Succeeded"}}'
    assert scrubber.scrub_response(response(raw))["body"]["string"] == raw


# --------------------------------------------------------------------------- rules as data


def test_user_rules_run_first_and_can_be_removed_by_name():
    scrubber = default_scrubber().with_rules(ScrubRule.json_key("names", "computerName", replacement="vm"))
    resp = scrubber.scrub_response(response({"computerName": "prod-db-01"}))
    assert body_of(resp) == {"computerName": "vm"}
    assert scrubber.rules[0].name == "names"
    kept = scrubber.without("names", "poll-delays")
    assert "names" not in [r.name for r in kept.rules]
    assert kept.scrub_response(response({}, 202, {"Retry-After": ["5"]}))["headers"]["Retry-After"] == ["5"]
    with pytest.raises(KeyError):
        scrubber.without("no-such-rule")


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("regex", {}),
        ("json_key", {}),
        ("header", {}),
        ("drop", {}),
        ("nonsense", {"pattern": "x"}),
        ("shapes", {}),
        ("shapes", {"keys": ("no-such-shape",)}),
        ("hook", {}),
        ("names", {"replacement": None}),
    ],
)
def test_malformed_rules_are_refused(kind, kwargs):
    with pytest.raises(ValueError):
        ScrubRule("bad", kind, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- scrubber + scanner


def _interaction_with_every_secret() -> tuple[Request, dict]:
    vm = {
        "properties": {
            "osProfile": {"adminPassword": "P@ssw0rd!", "customData": "I2Nsb3Vk"},
            "userData": "ZWNobw==",
            "extensionProfile": {"protectedSettings": {"script": "x"}},
            "key": PRIVATE_KEY,
        }
    }
    req = request(
        "PUT",
        body=json.dumps(vm).encode(),
        headers={"Authorization": f"Bearer {JWT}", "Cookie": "fpc=x"},
    )
    resp = response(
        {
            "id": f"/subscriptions/{SUBSCRIPTION}/x",
            "tenantId": TENANT,
            "diskUri": SAS_URL,
            "access_token": JWT,
            "form": "client_secret=s3cr3t&x=1",
        },
        headers={"Set-Cookie": ["fpc=x"]},
    )
    return req, resp


def _write(tmp_path, req, resp):
    path = tmp_path / "c.yaml"
    from vcr.serialize import serialize

    path.write_text(serialize({"requests": [req], "responses": [resp]}, yamlserializer))
    return path


def test_what_the_scrubber_leaves_the_scanner_finds_clean(tmp_path, scrubber):
    req, resp = _interaction_with_every_secret()
    raw_findings, _ = scan_path(_write(tmp_path, req, resp))
    assert {f.kind for f in raw_findings} >= {
        "authorization-header",
        "cookie",
        "bearer-token",
        "jwt",
        "private-key",
        "admin-password",
        "custom-data",
        "user-data",
        "protected-settings",
        "token",
        "sas-signature",
        "subscription-id",
        "client-secret",
    }
    scrubbed = _write(tmp_path, scrubber.scrub_request(req), scrubber.scrub_response(resp))
    assert scan_path(scrubbed) == ([], 1)


def test_the_shape_rules_can_be_removed_one_by_one():
    body = {"note": f"x {JWT} y", "settings": {"commandToExecute": "run --password Hunter2x"}}
    kept = default_scrubber().without("jwt").scrub_response(response(body))
    assert JWT in kept["body"]["string"].decode()
    assert "Hunter2x" not in kept["body"]["string"].decode()
    neither = default_scrubber().without("jwt", "secret-shapes").scrub_response(response(body))
    assert "Hunter2x" in neither["body"]["string"].decode()


def test_values_named_like_secrets_are_scrubbed_in_bodies_and_headers(scrubber):
    resp = scrubber.scrub_response(
        response(
            {"properties": {"sqlAdminPassword": "S3cret!", "skipToken": "cursor-1", "keyData": PUBLIC_KEY}},
            headers={"x-functions-key": ["f-key"], "x-ms-ratelimit-remaining-resource": ["Compute;99"]},
        )
    )
    assert body_of(resp)["properties"] == {
        "sqlAdminPassword": REDACTED,
        "skipToken": "cursor-1",
        "keyData": PUBLIC_KEY,
    }
    assert resp["headers"]["x-functions-key"] == [REDACTED]
    assert resp["headers"]["x-ms-ratelimit-remaining-resource"] == ["Compute;99"]


def test_a_remembered_text_scrubs_as_the_first_time_and_hooks_are_asked_every_time() -> None:
    scrubber = default_scrubber()
    text = "?sig=abcdefABCDEF0123456789abcdefABCDEF0123456789ab&api-version=1"
    first = scrubber.scrub_text(text)
    assert "abcdefABCDEF0123456789" not in first
    assert scrubber.scrub_text(text) == first == default_scrubber().scrub_text(text)
    asked: list[str] = []

    def secret(where: str, name: str, value: str) -> bool:
        asked.append(value)
        return name == "code"

    hooked = scrubber.with_rules(ScrubRule.hook("codes", secret))
    assert hooked.scrub_text("?code=1") == hooked.scrub_text("?code=1") == "?code=Sanitized"
    assert asked == ["1", "1"]
