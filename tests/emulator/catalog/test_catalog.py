"""The Resource SKUs catalog: wire shape checked against Azure's example files, and the
facts Flex rules depend on (fault domains, memory-preserving maintenance, restrictions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.compute.models import ResourceSku

from flexvmss.emulator.catalog import FLEX_REFUSED_SIZES, load_catalog

EXAMPLES = Path("/work/shared/azure-examples")
EXAMPLE = EXAMPLES / "Compute__stable__2021-07-01__examples__skus__ListAvailableResourceSkusForARegion.json"

CATALOG = load_catalog()
ITEMS = [(loc, item) for loc, items in CATALOG.items() for item in items]


def caps(item: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["value"] for c in item["capabilities"]}


def vm(location: str, name: str) -> dict[str, Any]:
    return next(i for i in CATALOG[location] if i["resourceType"] == "virtualMachines" and i["name"] == name)


def aligned_fds(location: str) -> str:
    item = next(
        i for i in CATALOG[location] if i["resourceType"] == "availabilitySets" and i["name"] == "Aligned"
    )
    return caps(item)["MaximumPlatformFaultDomainCount"]


def test_regions() -> None:
    assert {"eastus", "westeurope", "westus2", "westcentralus"} <= set(CATALOG)
    assert all(loc == loc.lower() and " " not in loc for loc in CATALOG)
    assert aligned_fds("westcentralus") == "2"
    assert {aligned_fds(loc) for loc in ("eastus", "westeurope", "westus2")} == {"3"}


@pytest.mark.skipif(not EXAMPLE.exists(), reason="Azure example files not available")
def test_items_have_the_example_keys_and_types() -> None:
    example = json.loads(EXAMPLE.read_text())["responses"]["200"]["body"]["value"]
    example_keys = set().union(*(e.keys() for e in example))
    for loc, item in ITEMS:
        if item["resourceType"] != "availabilitySets":  # Azure's have no tier, size or family
            assert example_keys <= set(item), (loc, item["name"])
        assert set(item) <= example_keys | {"restrictions", "apiVersions", "costs"}
        assert "restrictions" in item
        for key in ("resourceType", "name", "tier", "size", "family"):
            assert isinstance(item.get(key, ""), str)
        assert item["locations"] == [loc]
        for cap in item["capabilities"]:
            assert set(cap) == {"name", "value"} and isinstance(cap["value"], str)
        for info in item["locationInfo"]:
            assert info["location"] == loc and all(isinstance(z, str) for z in info["zones"])
            for detail in info.get("zoneDetails", []):
                assert set(detail) == {"Name", "capabilities"}  # capital N, as on the wire
        for r in item["restrictions"]:
            assert r["type"] in ("Location", "Zone") and r["values"] == [loc]
            assert r["reasonCode"] == "NotAvailableForSubscription"
            assert r["restrictionInfo"]["locations"] == [loc]


def test_items_deserialize_through_the_sdk_model() -> None:
    for _loc, item in ITEMS:
        sku = ResourceSku(item)
        assert sku.name == item["name"] and sku.resource_type == item["resourceType"]
        assert [c.value for c in sku.capabilities or []] == [c["value"] for c in item["capabilities"]]
    d8 = ResourceSku(vm("westeurope", "Standard_D8s_v5"))
    assert d8.location_info[0].zone_details[0].name == ["1", "2", "3"]
    restriction = d8.restrictions[0]
    assert (restriction.type, restriction.restriction_info.zones) == ("Zone", ["3"])


def test_memory_preserving_maintenance_by_family() -> None:
    general = ["Standard_A2_v2", "Standard_B2s", "Standard_D2s_v5", "Standard_E2s_v5", "Standard_F2s_v2"]
    specialty = [
        "Standard_GS1",
        "Standard_HB120rs_v3",
        "Standard_L8s_v3",
        "Standard_M8ms",
        "Standard_NC6s_v3",
    ]
    for name in general:
        assert caps(vm("eastus", name))["MemoryPreservingMaintenanceSupported"] == "True"
    for name in specialty:
        assert caps(vm("eastus", name))["MemoryPreservingMaintenanceSupported"] == "False"
    # The family letter is not enough: DCasv5 is a D but has no memory-preserving maintenance.
    assert "MemoryPreservingMaintenanceSupported" not in caps(vm("eastus", "Standard_DC2as_v5"))


def test_restrictions_and_capabilities_that_rules_read() -> None:
    m128 = vm("eastus", "Standard_M128s")
    assert m128["restrictions"][0]["type"] == "Location"
    assert "zones" not in m128["restrictions"][0]["restrictionInfo"]
    assert vm("westus2", "Standard_E4s_v5")["restrictions"][0]["restrictionInfo"]["zones"] == ["2"]
    assert vm("eastus", "Standard_D8s_v5")["restrictions"] == []
    assert caps(vm("eastus", "Standard_B2s"))["LowPriorityCapable"] == "False"
    assert caps(vm("eastus", "Standard_D2ps_v5"))["CpuArchitectureType"] == "Arm64"
    assert caps(vm("eastus", "Standard_HB120rs_v3"))["RdmaEnabled"] == "True"
    assert vm("westcentralus", "Standard_D2s_v5")["locationInfo"][0]["zones"] == []
    names = {i["name"] for i in CATALOG["westcentralus"]}
    assert "Standard_HB120rs_v3" not in names


def test_disk_skus() -> None:
    disks = {i["name"] for i in CATALOG["eastus"] if i["resourceType"] == "disks"}
    assert disks == {"Premium_LRS", "Standard_LRS", "StandardSSD_LRS", "UltraSSD_LRS"}


def test_flex_refused_sizes_exist_in_catalog() -> None:
    assert "Standard_B1ls" in FLEX_REFUSED_SIZES
    for name in FLEX_REFUSED_SIZES:
        assert vm("eastus", name)


def test_deterministic_and_independent_copies() -> None:
    first, second = load_catalog(), load_catalog()
    assert first == second
    first["eastus"][0]["capabilities"].clear()
    assert load_catalog()["eastus"][0]["capabilities"]
