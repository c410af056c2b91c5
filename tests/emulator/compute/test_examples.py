"""Replays the Azure REST API examples vendored in tests/data/azure-examples: each request body sent
to the emulator gets a response carrying every key of the example's response, with the same
JSON types, that deserializes into the azure-mgmt-compute 39 model."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.compute import models
from compute_bodies import LOC, SUB, cid, make_nic, make_subnet, new_client, nid, vm_body, vmss_body

from flexvmss.emulator.testing import TestClient

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "azure-examples"  # vendored: never skipped

RG = "myResourceGroup"


def _load(name: str) -> dict[str, Any]:
    text = (EXAMPLES / name).read_text()
    # every {placeholder} becomes a plain name (ids stay well-formed)
    text = text.replace("{subscription-id}", SUB).replace("{subscriptionId}", SUB)
    text = re.sub(r"\{([A-Za-z0-9-]+)\}", lambda m: m.group(1).replace("-", "")[:40], text)
    data: dict[str, Any] = json.loads(text)
    return data


def _same_shape(expected: Any, actual: Any, where: str = "$") -> None:
    """Every key of ``expected`` is in ``actual`` with the same JSON type (lists: by first item)."""
    assert type(actual) is type(expected) or (
        isinstance(expected, (int, float)) and isinstance(actual, (int, float))
    ), f"{where}: {type(expected).__name__} expected, got {type(actual).__name__}"
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            _same_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list) and expected and actual:
        _same_shape(expected[0], actual[0], f"{where}[0]")


@pytest.fixture
def hx() -> TestClient:
    h = new_client()
    h.resource_group(RG, LOC, subscription_id=SUB)
    make_subnet(h, vnet="existingvirtualnetworkname", name="existingsubnetname", rg=RG, location="westus")
    return h


@pytest.mark.parametrize(
    "name",
    [
        "Compute__stable__2026-04-01__examples__virtualMachineScaleSetExamples__VirtualMachineScaleSet_Create_WithSpotPlusPriorityFlex.json",
        "Compute__stable__2026-04-01__examples__virtualMachineScaleSetExamples__VirtualMachineScaleSet_Create_WithSkuProfile.json",
        "Compute__stable__2026-04-01__examples__virtualMachineScaleSetExamples__VirtualMachineScaleSet_Create_WithPriorityMixPolicy.json",
    ],
)
def test_vmss_create_examples(hx: TestClient, name: str) -> None:
    ex = _load(name)
    params = ex["parameters"]
    body = params["parameters"]
    network = body["properties"]["virtualMachineProfile"]["networkProfile"]
    # The WithSkuProfile example omits networkApiVersion, which Azure requires with NIC
    # configurations (NetworkApiVersionMustBeSpecifiedWithNetworkInterfaceConfigurations).
    network.setdefault("networkApiVersion", "2020-11-01")
    path = cid("virtualMachineScaleSets", params["vmScaleSetName"], rg=RG)
    resp = hx.ok("PUT", path, body)
    assert resp.status == 201
    _same_shape(ex["responses"]["201"]["body"], resp.body)
    model = models.VirtualMachineScaleSet(resp.body)
    assert model.properties.orchestration_mode == "Flexible"
    hx.settle()
    again = hx.ok("PUT", path, body)
    assert again.status == 200
    _same_shape(ex["responses"]["200"]["body"], again.body)
    assert models.VirtualMachineScaleSet(again.body).sku.capacity == body["sku"]["capacity"]


def test_vm_in_flex_set_with_platform_fault_domain_example(hx: TestClient) -> None:
    ex = _load(
        "Compute__stable__2026-04-01__examples__virtualMachineExamples__"
        "VirtualMachine_Create_InAVmssWithCustomerAssignedPlatformFaultDomain.json"
    )
    params = ex["parameters"]
    body = params["parameters"]
    set_id = body["properties"]["virtualMachineScaleSet"]["id"]
    hx.ok("PUT", set_id, vmss_body(None, fd=2) | {"location": "westus"})
    nic_id = body["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
    make_nic(hx, nic_id.rsplit("/", 1)[1], _subnet(), rg=RG, location="westus")
    resp = hx.ok("PUT", cid("virtualMachines", params["vmName"], rg=RG), body)
    assert resp.status == 201
    _same_shape(ex["responses"]["201"]["body"], resp.body)
    vm = models.VirtualMachine(resp.body)
    assert vm.properties.platform_fault_domain == 1
    assert vm.properties.virtual_machine_scale_set.id == set_id


@pytest.mark.parametrize(
    ("name", "collection", "param"),
    [
        (
            "Compute__stable__2026-04-01__examples__virtualMachineScaleSetExamples__VirtualMachineScaleSet_Delete_Force.json",
            "virtualMachineScaleSets",
            "vmScaleSetName",
        ),
        (
            "ComputeRP__stable__2025-04-01__examples__virtualMachineExamples__VirtualMachine_Delete_Force.json",
            "virtualMachines",
            "vmName",
        ),
    ],
)
def test_force_delete_examples(hx: TestClient, name: str, collection: str, param: str) -> None:
    ex = _load(name)
    params = ex["parameters"]
    path = cid(collection, params[param], rg=RG)
    if collection == "virtualMachineScaleSets":
        hx.ok("PUT", path, vmss_body(None) | {"location": "westus"})
    else:
        hx.ok(
            "PUT",
            path,
            vm_body(make_nic(hx, "n1", _subnet(), rg=RG, location="westus")) | {"location": "westus"},
        )
    hx.settle()
    resp = hx.ok("DELETE", path, query={"forceDeletion": params["forceDeletion"]})
    assert resp.status == 202
    expected_location = ex["responses"]["202"]["headers"]["Location"]
    assert "/providers/Microsoft.Compute/locations/" in expected_location
    assert "/providers/Microsoft.Compute/locations/westus/operations/" in resp.headers["Location"]
    assert "monitor=true" in resp.headers["Location"]
    hx.settle()
    assert hx.request("DELETE", path, query={"forceDeletion": "true"}).status == 204


def _subnet() -> str:
    return nid("virtualNetworks", "existingvirtualnetworkname", "subnets", "existingsubnetname", rg=RG)


@pytest.mark.parametrize(
    "name",
    [
        "Compute__stable__2021-07-01__examples__skus__ListAvailableResourceSkus.json",
        "Compute__stable__2021-07-01__examples__skus__ListAvailableResourceSkusForARegion.json",
        "Compute__stable__2021-07-01__examples__skus__ListAvailableResourceSkusWithExtendedLocations.json",
    ],
)
def test_sku_examples(hx: TestClient, name: str) -> None:
    ex = _load(name)
    query = {k: str(v) for k, v in ex["parameters"].items() if k in ("$filter", "includeExtendedLocations")}
    query["api-version"] = "2021-07-01"
    query.pop("$filter", None)  # the examples filter on westus, which the built-in catalog does not hold
    got = hx.get(
        f"/subscriptions/{SUB}/providers/Microsoft.Compute/skus",
        query={**query, "$filter": "location eq 'eastus'"},
    )
    vm_items = [i for i in got["value"] if i["resourceType"] == "virtualMachines"]
    assert vm_items
    for example_item in ex["responses"]["200"]["body"]["value"]:
        for item in vm_items:
            for key, value in example_item.items():
                if key == "locationInfo":
                    continue  # checked below: the extended-locations example spells zoneDetails' key "name"
                assert key in item, key
                assert type(item[key]) is type(value), key
            models.ResourceSku(item)
    zone_details = [zd for i in vm_items for li in i["locationInfo"] for zd in li.get("zoneDetails", [])]
    assert all("Name" in zd for zd in zone_details)
