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
