"""The scanner catches each kind of secret planted in a cassette, and says where."""

from __future__ import annotations

import json

import pytest
from kit_stub import JWT, PRIVATE_KEY, SAS_URL, SUBSCRIPTION
from vcr.request import Request
from vcr.serialize import serialize
from vcr.serializers import jsonserializer, yamlserializer

from flexvmss.testing import ZERO_GUID, scan_path
from flexvmss.testing.__main__ import main

CLEAN_URL = f"https://management.azure.com/subscriptions/{ZERO_GUID}/resourceGroups/rg?api-version=2025-04-01"


def cassette(
    tmp_path,
    *,
    url=CLEAN_URL,
    request_body=None,
    request_headers=None,
    response_body=None,
    response_headers=None,
    serializer=yamlserializer,
    name="c.yaml",
):
    req = Request("PUT", url, request_body, request_headers or {"Accept": "application/json"})
    resp = {
        "status": {"code": 200, "message": "OK"},
        "headers": response_headers or {"Content-Type": ["application/json"]},
        "body": {"string": (response_body or '{"name": "rg"}').encode()},
    }
    path = tmp_path / name
    path.write_text(serialize({"requests": [req], "responses": [resp]}, serializer))
    return path


PLANTS = {
    "bearer-token": {"request_headers": {"X-Forwarded-Auth": "Bearer abcdefgh12345678"}},
    "authorization-header": {"request_headers": {"Authorization": "Basic c2VjcmV0"}},
    "cookie": {"response_headers": {"Set-Cookie": ["session=abc"]}},
    "jwt": {"response_body": json.dumps({"note": JWT})},
    "private-key": {"response_body": json.dumps({"key": PRIVATE_KEY})},
    "client-secret": {"request_body": "grant_type=client_credentials&client_secret=s3cr3t"},
    "admin-password": {"request_body": json.dumps({"osProfile": {"adminPassword": "P@ssw0rd!"}})},
    "custom-data": {"request_body": json.dumps({"osProfile": {"customData": "I2Nsb3VkLWNvbmZpZw=="}})},
    "user-data": {"request_body": json.dumps({"properties": {"userData": "ZWNobyBoaQ=="}})},
    "protected-settings": {"request_body": json.dumps({"protectedSettings": {"commandToExecute": "x"}})},
    "token": {"response_body": json.dumps({"token_type": "Bearer", "access_token": "opaque-value"})},
    "sas-signature": {"response_body": json.dumps({"uri": SAS_URL})},
    "subscription-id": {"url": CLEAN_URL.replace(ZERO_GUID, SUBSCRIPTION)},
    "secret-value": {"request_body": json.dumps({"settings": {"storageAccountKey": "c3RvcmFnZWtleQ=="}})},
    "secret-header": {"request_headers": {"x-api-key": "k3y-value-4711"}},
    "secret-query": {"url": CLEAN_URL + "&code=c0de-4711"},
    "connection-string": {
        "response_body": json.dumps(
            {"note": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5PT0="}
        )
    },
    "command-password": {
        "request_body": json.dumps(
            {"settings": {"commandToExecute": "mysql -u root -pHunter2x -e 'select 1'"}}
        )
    },
    "high-entropy": {
        "response_body": json.dumps({"blob": "q8Xv2LmN0pR7sT4uW1yZ3aB6cD9eF5gH8iJ2kL4mN7oP0qR3sT6u"})
    },
}


@pytest.mark.parametrize("kind", sorted(PLANTS))
def test_each_planted_kind_is_caught(tmp_path, kind):
    path = cassette(tmp_path, **PLANTS[kind])
    findings, files = scan_path(path)
    assert files == 1
    assert kind in {f.kind for f in findings}
    lines = path.read_text().splitlines()
    for finding in findings:
        assert 1 <= finding.line <= len(lines)


@pytest.mark.parametrize("kind", ["admin-password", "jwt", "subscription-id", "sas-signature"])
def test_planted_kinds_are_caught_in_json_cassettes(tmp_path, kind):
    path = cassette(tmp_path, serializer=jsonserializer, name="c.json", **PLANTS[kind])
    assert kind in {f.kind for f in scan_path(path)[0]}


def test_a_scrubbed_cassette_is_clean(tmp_path):
    body = json.dumps(
        {
            "osProfile": {
                "adminPassword": "Sanitized",
                "customData": "Sanitized",
                "adminUsername": "azureuser",
            },
            "userData": "Sanitized",
            "protectedSettings": "Sanitized",
            "access_token": "Sanitized",
            "uri": "https://a.blob.core.windows.net/c?sv=1&sig=Sanitized",
            "id": f"/subscriptions/{ZERO_GUID}/resourceGroups/rg",
        }
    )
    path = cassette(tmp_path, request_body=body, response_body=body)
    assert scan_path(path) == ([], 1)


def test_the_line_reported_is_the_line_of_the_value(tmp_path):
    path = cassette(tmp_path, **PLANTS["subscription-id"])
    findings, _ = scan_path(path)
    line = path.read_text().splitlines()[findings[0].line - 1]
    assert "uri:" in line and SUBSCRIPTION in line


def test_a_value_yaml_folds_over_lines_is_still_seen(tmp_path):
    filler = ", ".join(f'"k{i}": "value number {i}"' for i in range(30))
    body = "{" + filler + ', "adminPassword": "hunter2-long-enough"}'
    path = cassette(tmp_path, request_body=body)
    assert "\n" in path.read_text().split("body:", 1)[1].split("headers:", 1)[0]  # YAML folded it
    assert "admin-password" in {f.kind for f in scan_path(path)[0]}


def test_folders_are_searched(tmp_path):
    nested = tmp_path / "cassettes" / "test_mod"
    nested.mkdir(parents=True)
    cassette(nested, name="a.yaml")
    cassette(nested, name="b.yaml", **PLANTS["jwt"])
    (nested / "notes.txt").write_text(JWT)  # not a cassette: ignored
    findings, files = scan_path(tmp_path / "cassettes")
    assert files == 2
    assert {f.path for f in findings} == {str(nested / "b.yaml")}


def test_cli_exits_non_zero_listing_file_line_kind_without_the_secret(tmp_path, capsys):
    path = cassette(tmp_path, **PLANTS["admin-password"])
    assert main(["scan", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:" in out and ": admin-password" in out
    assert "P@ssw0rd!" not in out


def test_cli_exits_zero_with_a_summary_when_clean(tmp_path, capsys):
    cassette(tmp_path)
    assert main(["scan", str(tmp_path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "1 cassette file(s) scanned" in out[0]


def test_cli_refuses_a_missing_path(tmp_path, capsys):
    assert main(["scan", str(tmp_path / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err
