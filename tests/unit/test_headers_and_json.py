"""Reading Azure's answers fast must not change what is read: header names case-insensitive,
repeated headers joined as azure-core joins them, JSON decoded as the json module would."""

from __future__ import annotations

import math

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from flexvmss._errors import retry_after_seconds
from flexvmss._headers import case_insensitive, lower_headers
from flexvmss._json import loads
from flexvmss._pipeline import parse_remaining


def _azure_core_headers(pairs: list[tuple[str, str]]) -> object:
    """Headers as azure-core's aiohttp response holds them (its CIMultiDict subclass)."""
    from azure.core.rest._aiohttp import _CIMultiDict

    return _CIMultiDict(CIMultiDictProxy(CIMultiDict(pairs)))


PAIRS = [
    ("Azure-AsyncOperation", "https://management.azure.com/op/1"),
    ("x-ms-ratelimit-remaining-resource", "Microsoft.Compute/DeleteVMSubscriptionMaximum;59"),
    ("X-MS-RATELIMIT-REMAINING-RESOURCE", "Microsoft.Compute/HighCostGet3Min;139"),
    ("x-ms-ratelimit-remaining-subscription-writes", "1199"),
    ("Retry-After", "15"),
]


@pytest.mark.parametrize(
    "make", [dict, CIMultiDict, _azure_core_headers], ids=["dict", "multidict", "azure-core"]
)
def test_headers_read_the_same_from_every_mapping_azure_clients_hand_out(make: object) -> None:
    pairs = PAIRS if make is not dict else PAIRS[:2] + PAIRS[3:]  # a dict cannot repeat a name
    headers = make(pairs)  # type: ignore[operator]
    lowered = lower_headers(headers)
    assert lowered["azure-asyncoperation"] == "https://management.azure.com/op/1"
    assert retry_after_seconds(headers) == 15.0
    remaining = parse_remaining(headers)
    assert remaining.arm == {"write": 1199}
    assert remaining.compute["DeleteVMSubscriptionMaximum"] == 59
    if make is not dict:
        # repeated names are joined with ", " as azure-core's headers[name] joins them
        assert lowered["x-ms-ratelimit-remaining-resource"].count(";") == 2
        assert remaining.compute["HighCostGet3Min"] == 139


def test_a_header_azure_did_not_send_is_absent_whatever_its_spelling() -> None:
    headers = _azure_core_headers([("Location", "https://x/op")])
    assert case_insensitive(headers)  # type: ignore[arg-type]
    assert retry_after_seconds(headers) is None  # type: ignore[arg-type]
    assert retry_after_seconds({"RETRY-AFTER-MS": "1500"}) == 1.5
    assert not case_insensitive({"a": "b"})


def test_json_is_decoded_as_the_json_module_decodes_it() -> None:
    body = b'{"value": [{"name": "vm1", "properties": {"provisioningState": "Succeeded"}}], "n": 1.5}'
    import json

    assert loads(body) == json.loads(body)
    assert loads(body.decode()) == json.loads(body)
    assert math.isnan(loads(b"[NaN]")[0])  # the json module's extension, refused by orjson
    with pytest.raises(ValueError):
        loads(b"<html>bad gateway</html>")
