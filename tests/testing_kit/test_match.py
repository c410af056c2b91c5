"""Request matching: what a replay may differ in and still find its answer."""

from __future__ import annotations

import pytest
from vcr.request import Request

from flexvmss.testing import normalise_url
from flexvmss.testing._match import azure_request_matcher, is_poll_url

OP = (
    "https://management.azure.com/subscriptions/0/providers/Microsoft.Compute/locations/eastus/operations/abc"
)


def test_operation_url_signatures_are_ignored():
    a = f"{OP}?p=one&t=1&c=MIIabc&s=sig1&h=h1&api-version=2026-04-01"
    b = f"{OP}?api-version=2026-04-01&p=two&t=2&c=MIIdef&s=sig2&h=h2"
    assert normalise_url(a) == normalise_url(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (f"{OP}?api-version=2026-04-01", f"{OP}?api-version=2025-04-01"),
        (f"{OP}?$skiptoken=page1", f"{OP}?$skiptoken=page2"),
        (f"{OP}?api-version=1", f"{OP}/other?api-version=1"),
        ("https://management.azure.com/x", "https://management.usgovcloudapi.net/x"),
    ],
)
def test_meaningful_differences_still_matter(a, b):
    assert normalise_url(a) != normalise_url(b)


def test_case_default_port_and_double_slashes_are_normalised():
    assert normalise_url(
        "HTTPS://Management.Azure.com:443//subscriptions/X/resourceGroups/RG"
    ) == normalise_url("https://management.azure.com/subscriptions/x/resourcegroups/rg/")


def test_matcher_compares_method_and_url_not_body():
    url = f"{OP}?api-version=1"
    azure_request_matcher(Request("PUT", url, b'{"a": 1}', {}), Request("put", url + "&p=x", b'{"a": 2}', {}))
    with pytest.raises(AssertionError):
        azure_request_matcher(Request("GET", url, None, {}), Request("DELETE", url, None, {}))


def test_poll_urls_are_recognised():
    assert is_poll_url(f"{OP}?api-version=1")
    assert is_poll_url(
        "https://management.azure.com/subscriptions/0/providers/Microsoft.Network/locations/e/operationResults/x"
    )
    assert not is_poll_url("https://management.azure.com/subscriptions/0/resourceGroups/rg")


def test_a_body_that_differs_only_in_what_cannot_repeat_agrees():
    from flexvmss.testing._match import body_difference

    recorded = (
        b'{"tags": {"at": "2026-01-02T03:04:05Z", "b": 1}, "id": "5f0e2c3a-1111-4222-8333-944445555666",'
        b' "zones": ["1", "2"], "properties": {"userData": "Sanitized"}}'
    )
    sent = (
        '{"zones": ["2", "1"], "id": "0d1c9a7e-aaaa-4bbb-8ccc-9ddddeeeefff", "tags": {"b": 1,'
        ' "at": "2026-12-02T01:00:00.123+00:00"}, "properties": {"userData": "c2VjcmV0"}}'
    )
    assert body_difference(recorded, sent) is None
    assert body_difference(None, b"") is None


@pytest.mark.parametrize(
    ("recorded", "sent", "named"),
    [
        ('{"sku": {"capacity": 4}}', '{"sku": {"capacity": 5}}', "$.sku.capacity: recorded 4, sent 5"),
        ('{"a": true}', '{"a": 1}', "$.a: recorded true, sent 1"),
        ('{"a": {"b": 1}}', '{"a": {}}', "$.a.b: recorded 1, not sent"),
        ('{"a": [{"b": 1}, {"b": 2}]}', '{"a": [{"b": 1}, {"b": 3}]}', "$.a[1].b: recorded 2, sent 3"),
        ('{"ids": ["x", "y"]}', '{"ids": ["x"]}', '$.ids: recorded ["x", "y"], sent ["x"]'),
        (None, '{"a": 1}', '$: recorded no body, sent {"a": 1}'),
        ('{"odd key": 1}', '{"odd key": 2}', "$['odd key']: recorded 1, sent 2"),
    ],
)
def test_a_body_that_differs_names_the_json_path(recorded, sent, named):
    from flexvmss.testing._match import body_difference

    assert body_difference(recorded, sent) == named
