"""compare_with_emulator: a recording replayed on a fresh emulator, every difference reported.

A small session is recorded against one emulator (standing in for Azure) exactly as
``flexvmss conformance`` records; replayed as it is, it differs in nothing. Doctored (a status
edited, a header dropped, a body key's type changed, a key added, an error code changed), each
edit comes back as a difference, named where it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from flexvmss.emulator import Emulator
from flexvmss.testing import (
    ConformanceReport,
    RecordedStep,
    Target,
    compare_with_emulator,
    default_scrubber,
    use_cassette,
)
from flexvmss.testing._conformance import (
    Answer,
    _masked,
    _Names,
    compare_answers,
    display,
)

RG = "rg-diff"
LOCATION = "westeurope"
SET_PATH = f"/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/flex"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """RG create, a VNet (a Network LRO, polled), a Flex set without a profile, a GET of it, a GET of
    a set that does not exist (404), a refused zoneBalance (400), the RG's deletion (polled)."""
    path = tmp_path_factory.mktemp("diff") / "recording.yaml"
    with Emulator(time_scale=0.002) as emu:
        target = Target.from_emulator(emu)
        scrubber = default_scrubber().without("poll-delays").with_rules(*target.normaliser().rules)
        clients = emu.clients()
        with use_cassette(path, record_mode="rewrite", scrubber=scrubber):
            clients.resource.resource_groups.create_or_update(RG, {"location": LOCATION})
            clients.network.virtual_networks.begin_create_or_update(
                RG,
                "vnet",
                {"location": LOCATION, "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}},
            ).result()
            sets = clients.compute.virtual_machine_scale_sets
            sets.begin_create_or_update(
                RG,
                "flex",
                {
                    "location": LOCATION,
                    "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1},
                },
            ).result()
            sets.get(RG, "flex")
            for name, body in (
                ("missing", None),
                (
                    "refused",
                    {
                        "location": LOCATION,
                        "zones": ["1"],
                        "properties": {
                            "orchestrationMode": "Flexible",
                            "platformFaultDomainCount": 1,
                            "zoneBalance": True,
                        },
                    },
                ),
            ):
                with pytest.raises(Exception):  # noqa: B017 - any refusal; the recording is the point
                    sets.get(RG, name) if body is None else sets.begin_create_or_update(RG, name, body)
            clients.resource.resource_groups.begin_delete(RG).result()
        clients.close()
    yield path


def interactions(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text())["interactions"]  # type: ignore[no-any-return]


def doctor(recording: Path, folder: Path, edit: Callable[[list[dict[str, Any]]], None]) -> Path:
    data = yaml.safe_load(recording.read_text())
    edit(data["interactions"])
    out = folder / "doctored.yaml"
    out.write_text(yaml.safe_dump(data))
    return out


def find(items: list[dict[str, Any]], method: str, tail: str) -> dict[str, Any]:
    return next(
        i
        for i in items
        if i["request"]["method"] == method and i["request"]["uri"].split("?")[0].endswith(tail)
    )


def body_of(item: dict[str, Any]) -> Any:
    return json.loads(item["response"]["body"]["string"])


def set_body(item: dict[str, Any], body: Any) -> None:
    item["response"]["body"]["string"] = json.dumps(body)


def kinds(report: ConformanceReport) -> set[tuple[str, str, Any, Any]]:
    return {(d.kind, d.where, d.azure, d.emulator) for _, d in report.differences}


# --------------------------------------------------------------------------- as recorded


def test_a_recording_replayed_as_it_is_differs_in_nothing(recording: Path) -> None:
    report = compare_with_emulator(recording)
    assert report.differences == [], report.to_markdown()
    summary = report.summary()
    assert summary["compared"] == summary["requests"] >= 10
    methods = {(r.method, r.azure_status) for r in report.results}
    assert {("PUT", 201), ("GET", 404), ("PUT", 400), ("DELETE", 202)} <= methods


def test_operation_polls_and_results_are_replayed_through_the_emulators_own_urls(recording: Path) -> None:
    text = recording.read_text()
    # the group deletion's operation token (base64 of JSON, not a secret) survives scrubbing
    assert "/operationresults/eyJ" in text and "Sanitized?api-version" not in text
    report = compare_with_emulator(recording)
    polls = [r for r in report.results if "/operations/" in r.path or "/operationresults/" in r.path]
    assert polls and all(r.skipped is None and r.emulator_status in (200, 202) for r in polls)


# --------------------------------------------------------------------------- doctored


def test_an_edited_status_is_reported(recording: Path, tmp_path: Path) -> None:
    def edit(items: list[dict[str, Any]]) -> None:
        find(items, "PUT", f"/resourcegroups/{RG}")["response"]["status"]["code"] = 200

    report = compare_with_emulator(doctor(recording, tmp_path, edit))
    assert kinds(report) == {("status", "status", 200, 201)}


def test_a_dropped_header_is_reported(recording: Path, tmp_path: Path) -> None:
    def edit(items: list[dict[str, Any]]) -> None:
        headers = find(items, "PUT", "/virtualNetworks/vnet")["response"]["headers"]
        for name in [n for n in headers if n.lower() in ("retry-after", "retry-after-ms")]:
            del headers[name]

    report = compare_with_emulator(doctor(recording, tmp_path, edit))
    assert kinds(report) == {("header", "Retry-After (poll hint)", "absent", "present")}


def test_a_dropped_operation_header_is_reported(recording: Path, tmp_path: Path) -> None:
    def edit(items: list[dict[str, Any]]) -> None:
        headers = find(items, "PUT", "/virtualNetworks/vnet")["response"]["headers"]
        del headers[next(n for n in headers if n.lower() == "azure-asyncoperation")]

    report = compare_with_emulator(doctor(recording, tmp_path, edit))
    assert ("header", "Azure-AsyncOperation", "absent", "present") in kinds(report)


def test_a_changed_key_type_and_an_added_key_are_reported(recording: Path, tmp_path: Path) -> None:
    def edit(items: list[dict[str, Any]]) -> None:
        got = [
            i
            for i in items
            if i["request"]["method"] == "GET" and i["request"]["uri"].split("?")[0].endswith(SET_PATH)
        ]
        body = body_of(got[-1])
        body["properties"]["platformFaultDomainCount"] = "1"
        body["properties"]["doctored"] = {"flag": True}
        set_body(got[-1], body)

    report = compare_with_emulator(doctor(recording, tmp_path, edit))
    assert kinds(report) == {
        ("type", "properties.platformFaultDomainCount", "string", "integer"),
        ("missing_key", "properties.doctored", "present", "absent"),
    }


def test_a_removed_key_is_reported_as_one_the_emulator_adds(recording: Path, tmp_path: Path) -> None:
    def edit(items: list[dict[str, Any]]) -> None:
        item = find(items, "PUT", f"/resourcegroups/{RG}")
        body = body_of(item)
        del body["properties"]
        set_body(item, body)

    report = compare_with_emulator(doctor(recording, tmp_path, edit))
    assert kinds(report) == {("extra_key", "properties", "absent", "present")}


def test_a_changed_error_code_is_reported_with_both_texts(recording: Path, tmp_path: Path) -> None:
    def edit(items: list[dict[str, Any]]) -> None:
        item = find(items, "GET", "/virtualMachineScaleSets/missing")
        body = body_of(item)
        body["error"]["code"] = "NotFound"
        set_body(item, body)

    report = compare_with_emulator(doctor(recording, tmp_path, edit))
    ((result, diff),) = report.differences
    assert (diff.kind, diff.azure, diff.emulator) == ("error_code", "NotFound", "ResourceNotFound")
    assert "Azure: " in diff.detail and "emulator: " in diff.detail
    assert result.method == "GET" and result.path.endswith("/virtualMachineScaleSets/missing")


def test_every_doctored_difference_is_in_both_reports(recording: Path, tmp_path: Path) -> None:
    def edit(items: list[dict[str, Any]]) -> None:
        find(items, "PUT", f"/resourcegroups/{RG}")["response"]["status"]["code"] = 200
        item = find(items, "GET", "/virtualMachineScaleSets/missing")
        body = body_of(item)
        body["error"]["code"] = "NotFound"
        set_body(item, body)

    doctored = doctor(recording, tmp_path, edit)
    steps = [RecordedStep("first", 0, 3), RecordedStep("rest", 3, 1000)]
    report = compare_with_emulator(doctored, steps=steps, meta={"location": LOCATION, "flexvmss": "test"})
    md, js = report.write(tmp_path / "out")
    data = json.loads(js.read_text())
    assert data["format"] == "flexvmss-conformance-report/1"
    assert data["recording"] == "doctored.yaml"
    assert "2025-04-01" in data["meta"]["api_versions"]  # resource groups' api-version, as sent
    assert data["summary"]["differences"] == 2 and data["summary"]["requests_with_differences"] == 2
    assert {s["step"] for s in data["steps"]} == {"first", "rest"}
    found = [
        (r["step"], d["kind"], d["azure"], d["emulator"]) for r in data["results"] for d in r["differences"]
    ]
    assert ("first", "status", 200, 201) in found
    assert ("rest", "error_code", "NotFound", "ResourceNotFound") in found
    text = md.read_text()
    assert "| status | `status` | 200 | 201 |" in text
    assert "| error_code | `error.code` | NotFound | ResourceNotFound |" in text
    assert "| location | westeurope |" in text
    assert str(tmp_path) not in text and str(tmp_path) not in js.read_text()


# --------------------------------------------------------------------------- the comparison itself


def answer(status: int = 200, body: Any = None, **headers: str) -> Answer:
    raw = b"" if body is None else json.dumps(body).encode()
    return Answer(status, {k.lower().replace("_", "-"): v for k, v in headers.items()}, raw)


def test_a_poll_hint_counts_whatever_its_spelling() -> None:
    assert compare_answers(answer(202, Retry_After="10"), answer(202, retry_after_ms="100")) == []
    assert [d.where for d in compare_answers(answer(202, Retry_After="10"), answer(202))] == [
        "Retry-After (poll hint)"
    ]


def test_values_ids_and_tag_contents_are_not_compared() -> None:
    ours = {"id": "/subscriptions/a/x", "etag": "1", "tags": {"a": "b"}, "properties": {"n": 1, "t": "2020"}}
    theirs = {"id": "/subscriptions/b/y", "etag": "2", "tags": {"c": 1}, "properties": {"n": 7, "t": "2026"}}
    assert compare_answers(answer(200, ours), answer(200, theirs)) == []


def test_a_finished_operations_status_is_compared_on_polls_only() -> None:
    ours, theirs = answer(200, {"status": "Failed"}), answer(200, {"status": "Succeeded"})
    assert compare_answers(ours, theirs) == []
    assert [(d.kind, d.azure, d.emulator) for d in compare_answers(ours, theirs, poll=True)] == [
        ("operation_status", "Failed", "Succeeded")
    ]


def test_a_body_on_one_side_only_is_a_difference() -> None:
    assert [(d.kind, d.azure, d.emulator) for d in compare_answers(answer(202), answer(202, {"a": 1}))] == [
        ("body", "none", "object")
    ]


def test_list_items_are_compared_over_all_items() -> None:
    ours = {"value": [{"name": "a"}, {"name": "b", "extra": 1}]}
    theirs = {"value": [{"name": "b", "extra": 1}, {"name": "a"}]}
    assert compare_answers(answer(200, ours), answer(200, theirs)) == []


def test_generated_names_pair_only_when_they_differ_in_generated_parts() -> None:
    names = _Names()
    ours = {
        "value": [{"name": "web_1a2b3c4d", "id": "/subscriptions/0/x/web_1a2b3c4d"}, {"name": "plain-vm"}]
    }
    theirs = {
        "value": [{"name": "plain-vm"}, {"name": "web_99ff00aa", "id": "/subscriptions/0/x/web_99ff00aa"}]
    }
    names.learn(ours, theirs)
    assert names.pairs == {"web_1a2b3c4d": "web_99ff00aa"}
    assert names.url("https://h/subscriptions/0/virtualMachines/WEB_1A2B3C4D/start?x=1").endswith(
        "/virtualMachines/web_99ff00aa/start?x=1"
    )
    assert names.body(b'{"instanceIds": ["web_1a2b3c4d"]}') == b'{"instanceIds": ["web_99ff00aa"]}'
    assert _masked("web_1a2b3c4d") == _masked("web_00000000") != _masked("api_00000000")


def test_the_report_shows_paths_without_the_subscription_or_signatures() -> None:
    path, query = display(
        "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/providers/"
        "Microsoft.Compute/locations/eastus/operations/6f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"
        "?p=abc&api-version=2026-04-01&$skiptoken=xyz"
    )
    assert (
        path == "/subscriptions/{subscription}/providers/Microsoft.Compute/locations/eastus/operations/{guid}"
    )
    assert query == {"api-version": "2026-04-01", "$skiptoken": "..."}


def test_a_recording_that_is_not_there_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(Exception):  # noqa: B017 - vcrpy's own "no cassette" error
        compare_with_emulator(tmp_path / "nothing.yaml")


async def test_a_live_target_goes_where_it_is_told_and_nowhere_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLEXVMSS_BASE_URL", "https://127.0.0.1:9")
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "from-the-environment")
    azure = Target.live("my-subscription")
    try:
        assert (azure.base_url, azure.subscription_id, azure.polling_interval) == (
            "https://management.azure.com",
            "my-subscription",
            None,
        )
        assert type(azure.async_credential).__name__ == "DefaultAzureCredential"
    finally:
        await azure.async_credential.close()
    local = Target.live("my-subscription", base_url="https://127.0.0.1:8443", connection_verify="ca.pem")
    assert (local.base_url, local.connection_verify, local.polling_interval) == (
        "https://127.0.0.1:8443",
        "ca.pem",
        0.0,
    )
    assert type(local.async_credential).__name__ == "LocalEndpointCredential"  # a token with no secret
    assert local.normaliser().scrub_text("https://127.0.0.1:8443/subscriptions/my-subscription/x") == (
        "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/x"
    )
