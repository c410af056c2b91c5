"""The Resource SKUs catalog built from real Resource SKUs data: wire shape checked against
Azure's example files, and the facts Flex decisions read (sizes offered, fault domains,
memory-preserving maintenance, Spot, zones, restrictions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from azure.mgmt.compute.models import ResourceSku

from flexvmss.emulator.catalog import FLEX_REFUSED_SIZES, Catalog, load_catalog, provenance

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "azure-examples"  # vendored
EXAMPLE = EXAMPLES / "Compute__stable__2021-07-01__examples__skus__ListAvailableResourceSkusForARegion.json"

CATALOG = load_catalog()
#: Regions checked item by item (all 56 hold ~70,000 items).
SAMPLED = ("eastus", "eastus2", "westeurope", "westus2", "westcentralus", "southcentralus")
ITEMS = [(loc, item) for loc in SAMPLED for item in CATALOG[loc]]


def caps(item: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["value"] for c in item["capabilities"]}


def vm(location: str, name: str) -> dict[str, Any]:
    item = CATALOG.find(location, "virtualMachines", name)
    assert item is not None, (location, name)
    return item


def aligned_fds(location: str) -> str:
    item = CATALOG.find(location, "availabilitySets", "Aligned")
    assert item is not None
    return caps(item)["MaximumPlatformFaultDomainCount"]


def test_regions_and_fault_domain_maxima_come_from_the_data() -> None:
    assert len(CATALOG) == 56
    assert {"eastus", "eastus2", "westeurope", "westus2", "westcentralus"} <= set(CATALOG)
    assert all(loc == loc.lower() and " " not in loc for loc in CATALOG)
    assert aligned_fds("westcentralus") == "2"  # sap-automation's table
    assert {aligned_fds(loc) for loc in ("eastus", "eastus2", "westeurope", "westus2")} == {"3"}
    # a region the fault-domain table lacks has no Aligned item (never an invented maximum)
    assert CATALOG.find("chilecentral", "availabilitySets", "Aligned") is None
    assert "nowhere" not in CATALOG and CATALOG.find("nowhere", "virtualMachines", "Standard_D2s_v5") is None


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
    for _loc, item in ITEMS[::7]:
        sku = ResourceSku(item)
        assert sku.name == item["name"] and sku.resource_type == item["resourceType"]
        assert [c.value for c in sku.capabilities or []] == [c["value"] for c in item["capabilities"]]
    a0 = ResourceSku(vm("eastus", "Standard_A0"))  # a real record: restricted in every zone
    restriction = a0.restrictions[0]
    assert (restriction.type, restriction.restriction_info.zones) == ("Zone", ["1", "2", "3"])
    b20 = ResourceSku(vm("southcentralus", "Standard_B20ms"))  # UltraSSDAvailable is per zone
    assert b20.location_info[0].zone_details[0].capabilities[0].name == "UltraSSDAvailable"
    assert "UltraSSDAvailable" not in caps(vm("southcentralus", "Standard_B20ms"))


def test_sizes_real_azure_accepted_are_offered() -> None:
    """Issue 12: sizes real recordings created were refused by the synthetic catalog."""
    assert vm("eastus", "Standard_DS1_v2")["tier"] == "Standard"
    assert vm("eastus", "Basic_A0")["tier"] == "Basic"
    assert vm("westus2", "Standard_E2bds_v5")["locationInfo"][0]["zones"] == ["1", "2", "3"]
    assert vm("eastus", "Standard_E2bds_v5")


def test_full_records_are_used_where_the_data_has_them() -> None:
    d2 = caps(vm("westeurope", "Standard_D2_v5"))  # karpenter's eastus record, a size fact
    assert d2["PremiumIO"] == "False" and d2["UncachedDiskIOPS"] == "3750"
    assert provenance("westeurope", "Standard_D2_v5") == {
        "capabilities": "karpenter-eastus",
        "zones": "inferred",
        "offered": "pricing",
    }
    assert provenance("westus2", "Standard_E2bds_v5")["zones"] == "westus2"  # type: ignore[index]
    assert provenance("westcentralus", "Standard_HB120rs_v3") is None


def test_memory_preserving_maintenance_by_family() -> None:
    general = ["Standard_A2_v2", "Standard_B2s", "Standard_D2s_v5", "Standard_E2s_v5", "Standard_F2s_v2"]
    for name in general:
        assert caps(vm("eastus", name))["MemoryPreservingMaintenanceSupported"] == "True", name
    # real records say so for M and NC; the docs for the other specialty families
    for name in ("Standard_M8-2ms", "Standard_NC6s_v3", "Standard_L8s_v3", "Standard_HB120rs_v3"):
        assert caps(vm("eastus", name))["MemoryPreservingMaintenanceSupported"] == "False", name
    # The family letter is not enough: DCasv5 is a D without memory-preserving maintenance.
    assert caps(vm("eastus", "Standard_DC2as_v5"))["MemoryPreservingMaintenanceSupported"] == "False"


def test_capabilities_that_rules_read() -> None:
    assert caps(vm("eastus", "Standard_B2s"))["LowPriorityCapable"] == "False"
    assert caps(vm("eastus", "Standard_D2s_v5"))["LowPriorityCapable"] == "True"
    assert caps(vm("eastus", "Standard_D2ps_v5"))["CpuArchitectureType"] == "Arm64"
    assert caps(vm("eastus", "Standard_D2s_v5"))["PremiumIO"] == "True"
    assert caps(vm("eastus", "Standard_D2ds_v5"))["EphemeralOSDiskSupported"] == "True"
    assert caps(vm("eastus", "Standard_D2s_v5"))["EphemeralOSDiskSupported"] == "False"
    assert caps(vm("eastus", "Standard_NC6s_v3"))["GPUs"] == "1"
    assert vm("westcentralus", "Standard_D2s_v5")["locationInfo"][0]["zones"] == []


def test_restrictions_from_the_data() -> None:
    westus2 = CATALOG["westus2"]
    restricted = [i for i in westus2 if i["resourceType"] == "virtualMachines" and i["restrictions"]]
    assert len(restricted) >= 20  # the 2023 az table's subscription (the table names no zones)
    assert all(i["restrictions"][0]["type"] == "Zone" for i in restricted)
    a0 = vm("eastus", "Standard_A0")["restrictions"][0]  # karpenter's record names them
    assert a0["restrictionInfo"]["zones"] == ["1", "2", "3"]
    assert vm("westeurope", "Standard_D8s_v5")["restrictions"] == []


def test_disk_skus_stay_synthetic() -> None:
    disks = {i["name"] for i in CATALOG["eastus"] if i["resourceType"] == "disks"}
    assert disks == {"Premium_LRS", "Standard_LRS", "StandardSSD_LRS", "UltraSSD_LRS"}


def test_flex_refused_sizes_exist_in_catalog() -> None:
    assert "Standard_B1ls" in FLEX_REFUSED_SIZES
    for name in FLEX_REFUSED_SIZES:
        assert vm("eastus", name)


def test_every_catalog_shares_one_build_and_one_serialized_answer() -> None:
    first, second = load_catalog(), Catalog()
    assert first["eastus"] is second["eastus"]
    answer = first.answer("eastus")
    assert answer is second.answer("eastus")
    assert json.loads(answer)["value"] == first["eastus"]
    assert json.loads(first.answer("nowhere")) == {"value": []}
