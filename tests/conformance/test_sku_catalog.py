"""The Resource SKU facts built from public data (``scripts/build_sku_catalog.py``): present,
cited, and covering the common sizes in the regions they claim; and, wired into the emulator's
Resource SKUs answers, read by the library's SKU rules: what Azure accepted passes, what the data
restricts is refused.
"""

from __future__ import annotations

import gzip
import json
import re
from importlib.resources import files
from typing import Any

import pytest

#: Regions the catalog must cover well: the emulator's current ones, the regions of the
#: Resource SKU records read (eastus, southcentralus, westcentralus, westus2) and eastus2.
COVERED = (
    "eastus",
    "eastus2",
    "westus2",
    "westeurope",
    "southcentralus",
    "westcentralus",
    "northeurope",
    "centralus",
)
REASON_CODES = {"NotAvailableForSubscription", "QuotaId"}
#: Capabilities Flex decisions read, where a full Resource SKU record exists.
FLEX_CAPABILITIES = (
    "vCPUs",
    "MemoryGB",
    "HyperVGenerations",
    "LowPriorityCapable",
    "MaxResourceVolumeMB",
    "PremiumIO",
    "EphemeralOSDiskSupported",
    "CpuArchitectureType",
    "AcceleratedNetworkingEnabled",
)


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    # A missing file is an error, not a skip.
    raw = files("flexvmss.emulator.catalog").joinpath("data", "resource_skus.json.gz").read_bytes()
    assert len(raw) < 5_000_000
    return json.loads(gzip.decompress(raw))  # type: ignore[no-any-return]


def _generation(name: str) -> tuple[str, int] | None:
    """``Standard_D2s_v5`` -> ("D", 5); first-generation sizes (no ``_vN``) -> 1."""
    m = re.match(r"Standard_([A-Z]+)\d+[a-z0-9\-]*(?:_[A-Z0-9]+)*?(?:_v(\d))?$", name)
    if not m:
        return None
    return m.group(1)[0], int(m.group(2) or 1)


def test_every_source_is_cited(data: dict[str, Any]) -> None:
    assert data["format"] == "flexvmss-resource-skus/1"
    ids = set()
    for src in data["sources"]:
        assert re.fullmatch(r"[0-9a-f]{40}", src["commit"]), src
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", src["date"]), src
        assert src["repo"] and src["path"] and src["what"], src
        ids.add(src["id"])
    for spec in data["sizes"].values():
        assert spec["src"] in ids
    for region in data["regions"].values():
        for offer in region["offered"].values():
            assert set(offer["src"]) <= ids


@pytest.mark.parametrize("region", COVERED)
def test_common_families_in_covered_regions(data: dict[str, Any], region: str) -> None:
    offered = data["regions"][region]["offered"]
    have: dict[str, set[int]] = {}
    for name in offered:
        gen = _generation(name)
        if gen:
            have.setdefault(gen[0], set()).add(gen[1])
    assert 2 in have["A"], "Av2"
    assert have["B"], "B-series"
    assert {2, 3, 4, 5, 6} <= have["D"], f"D v2-v6: {sorted(have['D'])}"
    assert any(n.startswith("Standard_DS") and n.endswith("_v2") for n in offered), "DSv2"
    assert {3, 4, 5, 6} <= have["E"], f"E v3-v6: {sorted(have['E'])}"
    assert {2, 6} <= have["F"], f"F v2 and v6: {sorted(have['F'])}"
    gpu_sizes = [n for n in offered if n.startswith("Standard_N")]
    assert gpu_sizes, "N-series"
    for name in gpu_sizes:
        spec = data["sizes"][name]
        assert spec["gpus"] >= 1 or spec["family"].lower().startswith("standardn"), name


@pytest.mark.parametrize("region", COVERED)
def test_fields_are_sane(data: dict[str, Any], region: str) -> None:
    entry = data["regions"][region]
    assert entry["maxFaultDomains"] in (1, 2, 3)
    assert set(entry["zones"]) <= {"1", "2", "3"}
    for name, offer in entry["offered"].items():
        spec = data["sizes"][name]
        assert spec["family"], name
        assert isinstance(spec["vCPUs"], int) and spec["vCPUs"] > 0, name
        assert spec["memoryGB"] is None or spec["memoryGB"] > 0, name
        assert spec["size"] == name.split("_", 1)[1], name
        assert set(offer.get("zones", [])) <= set(entry["zones"]), name
        for restriction in offer.get("restrictions", []):
            assert restriction["type"] in ("Location", "Zone"), name
            assert restriction["reasonCode"] in REASON_CODES, name


def test_sizes_real_tests_used_are_offered(data: dict[str, Any]) -> None:
    """Sizes real recordings created (issue 12): Standard_DS1_v2 and Basic_A0 in eastus
    (Java session record, 2023), Standard_E2bds_v5 in zones 1-3 of westus2 (az table, 2023)."""
    eastus = data["regions"]["eastus"]["offered"]
    assert "Standard_DS1_v2" in eastus and "Basic_A0" in eastus
    assert data["regions"]["westus2"]["offered"]["Standard_E2bds_v5"]["zones"] == ["1", "2", "3"]
    assert data["regions"]["westcentralus"]["zones"] == []
    assert data["regions"]["westcentralus"]["maxFaultDomains"] == 2


def test_full_records_carry_flex_capabilities(data: dict[str, Any]) -> None:
    assert len(data["capabilities"]) >= 15
    for name, record in data["capabilities"].items():
        values = record["values"]
        assert all(isinstance(v, str) for v in values.values()), name  # strings, as on the wire
        missing = [c for c in FLEX_CAPABILITIES if c not in values]
        assert not missing, (name, missing)
        assert int(values["vCPUs"]) == data["sizes"][name]["vCPUs"], name


# --------------------------------------------------------------------------- the data, wired in

SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.Network/virtualNetworks/vnet/subnets/default"
)
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIConformanceKeyNotASecret conformance@example"


def _findings(location: str, **spec_fields: Any) -> list[str]:
    """The library's SKU findings for a Flex set spec, read against the emulator's catalog of
    ``location`` as the library reads it over the wire (``SkuCatalog.from_wire``)."""
    from flexvmss._rules import evaluate
    from flexvmss._skus import SkuCatalog
    from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec
    from flexvmss.emulator.catalog import load_catalog

    catalog = SkuCatalog.from_wire(load_catalog()[location], location)
    spec = ScaleSetSpec(
        location=location,
        capacity=2,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway"),
        ssh_public_keys=(SSH_KEY,),
        **spec_fields,
    )
    return [f.message for f in evaluate(spec, catalog=catalog) if f.severity == "error"]


@pytest.mark.parametrize(
    ("location", "size", "zones"),
    [
        ("eastus", "Standard_DS1_v2", ()),  # Java session record, 2023
        ("eastus", "Basic_A0", ()),
        ("eastus", "Standard_E2bds_v5", ("3",)),  # PowerShell session record, 2023
        ("westus2", "Standard_E2bds_v5", ("1", "2", "3")),
        ("westeurope", "Standard_D2s_v5", ("1", "2", "3")),
        ("westcentralus", "Standard_D2s_v5", ()),
    ],
)
def test_the_library_accepts_the_sizes_azure_accepted(
    location: str, size: str, zones: tuple[str, ...]
) -> None:
    assert _findings(location, vm_size=size, zones=zones) == []


def test_the_library_refuses_what_the_data_restricts() -> None:
    (location_restricted,) = _findings("westcentralus", vm_size="Standard_A0")
    assert "not available to this subscription in westcentralus" in location_restricted
    (zone_restricted,) = _findings("eastus", vm_size="Standard_M8-2ms", zones=("1",))
    assert "zone 1" in zone_restricted and "NotAvailableForSubscription" in zone_restricted
    assert _findings("eastus", vm_size="Standard_M8-2ms", zones=("2",)) == []
    assert any("Spot" in m for m in _findings("eastus", vm_size="Standard_B2s", priority="Spot"))
    assert any(
        "fault" in m.lower()
        for m in _findings("westcentralus", vm_size="Standard_D2s_v5", platform_fault_domain_count=3)
    )
    assert any("no such size" in m for m in _findings("eastus", vm_size="Standard_Nonexistent_v9"))
