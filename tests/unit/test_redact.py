"""What the HTTP trace and error messages may show: never a secret."""

from __future__ import annotations

import json

from flexvmss._redact import REDACTED, redact_body, redact_headers, redact_url


def test_secret_json_keys_are_masked_at_any_depth_and_the_rest_is_kept():
    body = {
        "location": "westeurope",
        "properties": {
            "virtualMachineProfile": {
                "osProfile": {"adminUsername": "azureuser", "adminPassword": "Hunter2!Hunter2!"},
                "userData": "c2VjcmV0",
                "extensionProfile": {"extensions": [{"properties": {"protectedSettings": {"k": "v"}}}]},
            },
            "customData": "Y3VzdG9t",
        },
    }
    out = json.loads(redact_body(json.dumps(body)))
    profile = out["properties"]["virtualMachineProfile"]
    assert profile["osProfile"] == {"adminUsername": "azureuser", "adminPassword": REDACTED}
    assert profile["userData"] == REDACTED
    assert profile["extensionProfile"]["extensions"][0]["properties"]["protectedSettings"] == REDACTED
    assert out["properties"]["customData"] == REDACTED
    assert out["location"] == "westeurope"


def test_private_keys_and_bearer_tokens_inside_strings_are_masked():
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAB3NzaC1yc2E\n-----END OPENSSH PRIVATE KEY-----"
    out = redact_body(json.dumps({"note": f"key {key}", "auth": "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi"}))
    assert "AAAAB3NzaC1yc2E" not in out and "eyJ0eXAi" not in out


def test_a_body_that_is_not_json_is_not_logged():
    assert redact_body(b"password=hunter2") == "<16 characters, not JSON: not logged>"
    assert redact_body(None) == ""


def test_sas_signatures_and_tokens_in_urls_and_auth_headers_are_masked():
    url = "https://x.blob.core.windows.net/c/b?sv=2024&sig=abc%2Fdef&token=t0k"
    assert redact_url(url) == f"https://x.blob.core.windows.net/c/b?sv=2024&sig={REDACTED}&token={REDACTED}"
    headers = redact_headers({"Authorization": "Bearer abc", "x-ms-request-id": "1"})
    assert headers == {"Authorization": REDACTED, "x-ms-request-id": "1"}


def test_secrets_by_shape_are_masked_in_json_string_values_too():
    body = {
        "output": {"blobUri": "https://a.blob.core.windows.net/c/b?sv=2024&sig=c2lnbmF0dXJl%3D"},
        "settings": {"commandToExecute": "setup --password Hunter2x", "storageAccountKey": "a2V5"},
        "skipToken": "cursor",
    }
    out = json.loads(redact_body(json.dumps(body)))
    assert out["output"]["blobUri"].endswith(f"sig={REDACTED}")
    assert out["settings"] == {
        "commandToExecute": f"setup --password {REDACTED}",
        "storageAccountKey": REDACTED,
    }
    assert out["skipToken"] == "cursor"


def test_headers_on_the_deny_list_are_masked():
    assert redact_headers({"x-api-key": "k", "x-auth-token": "t", "Accept": "json"}) == {
        "x-api-key": REDACTED,
        "x-auth-token": REDACTED,
        "Accept": "json",
    }
