"""The SKU catalog answers size questions from one Resource SKUs read; the cache reads once per
(subscription, location), in memory and on disk."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from _flex_sku_data import EXAMPLE_SKU_FILES, example_sku_items, synthetic_sku_items

from flexvmss._skus import SkuCache, SkuCatalog, normalize_location, size_series


@pytest.mark.parametrize("path", EXAMPLE_SKU_FILES, ids=lambda p: p.name.split("__")[-1])
def test_example_files_parse(path: Any) -> None:
    items = json.loads(path.read_text())["responses"]["200"]["body"]["value"]
    catalog = SkuCatalog.from_wire(items, "westus")
    a0, a1 = catalog.vm_size("Standard_A0"), catalog.vm_size("Standard_A1")
    assert a0 is not None and a1 is not None
    assert not a0.supports_spot and a1.supports_spot
    assert not a0.accelerated_networking and not a0.ephemeral_os_disk
    assert a0.vcpus == 1 and a0.memory_gb == 0.75
    assert a0.series == "A"
    assert catalog.max_fault_domain_count is None  # the examples list no availabilitySets item


def test_example_zones_and_zone_capabilities() -> None:
    catalog = SkuCatalog.from_wire(example_sku_items(), "westus")
    a0 = catalog.vm_size("Standard_A0")
    assert a0 is not None
    assert a0.zones == {"1", "2"}
    assert a0.zone_capabilities["2"]["UltraSSDAvailable"] == "True"


def test_lookups_are_case_insensitive_and_location_names_normalise() -> None:
    catalog = SkuCatalog.from_wire(example_sku_items(), "West US")
    assert catalog.location == "westus"
    assert catalog.vm_size("standard_a1") is catalog.vm_size("STANDARD_A1")
    assert "standard_a0" in catalog
    assert catalog.vm_size("Standard_A9") is None
    assert normalize_location("East US 2") == "eastus2"


def test_items_for_other_locations_are_ignored() -> None:
    assert len(SkuCatalog.from_wire(example_sku_items(), "eastus")) == 0
    east = SkuCatalog.from_wire(synthetic_sku_items(), "eastus")
    assert east.vm_size("Standard_D2s_v3") is None  # offered in northeurope only


def test_max_fault_domain_count_comes_from_availability_sets_aligned() -> None:
    assert SkuCatalog.from_wire(synthetic_sku_items(), "eastus").max_fault_domain_count == 3
    assert SkuCatalog.from_wire(synthetic_sku_items(), "westcentralus").max_fault_domain_count == 2


def test_restrictions_by_location_and_zone_count_only_not_available_for_subscription() -> None:
    east = SkuCatalog.from_wire(synthetic_sku_items(), "eastus")
    d4, d8, d16 = (east.vm_size(n) for n in ("Standard_D4s_v5", "Standard_D8s_v5", "Standard_D16s_v5"))
    assert d4 is not None and d4.restricted_in_location
    assert d8 is not None and not d8.restricted_in_location and d8.restricted_zones == {"3"}
    assert d8.available_zones == {"1", "2"} and not d8.available_in_zone("3")
    assert d16 is not None and not d16.restricted_in_location  # QuotaId is not an availability restriction
    assert "Standard_D4s_v5" not in [s.name for s in east.available_sizes()]
    assert "Standard_D8s_v5" not in [s.name for s in east.available_sizes(zone="3")]
    # the same sizes are not restricted in the other region
    wcus = SkuCatalog.from_wire(synthetic_sku_items(), "westcentralus")
    assert not wcus.vm_size("Standard_D4s_v5").restricted_in_location  # type: ignore[union-attr]
    assert wcus.vm_size("Standard_D8s_v5").restricted_zones == frozenset()  # type: ignore[union-attr]


def test_memory_preserving_is_false_when_the_capability_is_absent() -> None:
    east = SkuCatalog.from_wire(synthetic_sku_items(), "eastus")
    assert east.vm_size("Standard_D2s_v5").memory_preserving  # type: ignore[union-attr]
    assert not east.vm_size("Standard_M8ms").memory_preserving  # type: ignore[union-attr]
    assert not east.vm_size("Standard_DC2as_v5").memory_preserving  # type: ignore[union-attr]


def test_azure_mgmt_models_are_accepted() -> None:
    from azure.mgmt.compute.models import ResourceSku

    models = [ResourceSku(item) for item in synthetic_sku_items()]
    catalog = SkuCatalog.from_wire(models, "eastus")
    assert catalog.max_fault_domain_count == 3
    d8 = catalog.vm_size("Standard_D8s_v5")
    assert d8 is not None and d8.restricted_zones == {"3"} and d8.supports_spot


@pytest.mark.parametrize(
    ("name", "series"),
    [
        ("Standard_D2s_v5", "D"),
        ("Standard_DC2as_v5", "DC"),
        ("Standard_NC6", "NC"),
        ("Standard_B1ls", "B"),
        ("Standard_HB120rs_v3", "HB"),
        ("Standard_E16s_v5", "E"),
    ],
)
def test_size_series(name: str, series: str) -> None:
    assert size_series(name) == series


class Loader:
    """A Resource SKUs loader that counts its calls."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.calls: list[str] = []

    async def __call__(self, location: str) -> list[dict[str, Any]]:
        self.calls.append(location)
        await asyncio.sleep(0)
        return self.items


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_one_read_per_subscription_and_location_even_when_concurrent() -> None:
    cache = SkuCache()
    loader = Loader(synthetic_sku_items())
    catalogs = await asyncio.gather(*(cache.get("sub-1", "East US", loader) for _ in range(20)))
    assert loader.calls == ["eastus"]
    assert all(c is catalogs[0] for c in catalogs)
    await cache.get("SUB-1", "eastus", loader)
    assert loader.calls == ["eastus"]
    await cache.get("sub-1", "westcentralus", loader)
    await cache.get("sub-2", "eastus", loader)
    assert loader.calls == ["eastus", "westcentralus", "eastus"]
    assert cache.loads == 3


async def test_memory_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache = SkuCache(ttl=60, clock=clock)
    loader = Loader(synthetic_sku_items())
    await cache.get("sub", "eastus", loader)
    clock.now += 59
    await cache.get("sub", "eastus", loader)
    assert len(loader.calls) == 1
    clock.now += 2
    await cache.get("sub", "eastus", loader)
    assert len(loader.calls) == 2


async def test_disk_cache_is_shared_between_processes_and_respects_the_ttl(tmp_path: Any) -> None:
    clock = Clock()
    loader = Loader(synthetic_sku_items())
    first = await SkuCache(tmp_path, ttl=3600, clock=clock).get("sub", "eastus", loader)
    files = list(tmp_path.glob("skus-*.json"))
    assert len(files) == 1
    stored = json.loads(files[0].read_text())
    assert all("eastus" in item["locations"] for item in stored["items"])  # only this location is kept
    # a new cache (another process) reads the file instead of Azure
    second = await SkuCache(tmp_path, ttl=3600, clock=clock).get("sub", "eastus", loader)
    assert len(loader.calls) == 1
    assert second.max_fault_domain_count == first.max_fault_domain_count == 3
    assert [s.name for s in second.sizes] == [s.name for s in first.sizes]
    clock.now += 3601
    await SkuCache(tmp_path, ttl=3600, clock=clock).get("sub", "eastus", loader)
    assert len(loader.calls) == 2


async def test_a_corrupt_disk_file_is_ignored(tmp_path: Any) -> None:
    loader = Loader(synthetic_sku_items())
    cache = SkuCache(tmp_path)
    await cache.get("sub", "eastus", loader)
    next(tmp_path.glob("skus-*.json")).write_text("{not json")
    catalog = await SkuCache(tmp_path).get("sub", "eastus", loader)
    assert len(loader.calls) == 2
    assert catalog.vm_size("Standard_D2s_v5") is not None


async def test_invalidate_forgets_memory_and_disk(tmp_path: Any) -> None:
    loader = Loader(synthetic_sku_items())
    cache = SkuCache(tmp_path)
    await cache.get("sub-1", "eastus", loader)
    await cache.get("sub-2", "eastus", loader)
    cache.invalidate("sub-1")
    await cache.get("sub-2", "eastus", loader)
    assert len(loader.calls) == 2
    await cache.get("sub-1", "eastus", loader)
    assert len(loader.calls) == 3
    cache.invalidate()
    assert list(tmp_path.glob("skus-*.json")) == []


class _SkuArm:
    """ArmClients' ``request`` answering Resource SKUs pages in turn (a body that is not JSON
    reads as None, as ArmClients.request decodes it)."""

    def __init__(self, *pages: Any) -> None:
        self.pages = list(pages)
        self.urls: list[str] = []

    async def request(self, method: str, url: str, *, json: Any = None, ok: Any = None) -> Any:
        from flexvmss._arm import RawResponse

        self.urls.append(url)
        body = self.pages.pop(0)
        return RawResponse(200, {}, None if isinstance(body, bytes) else body)


async def test_the_sku_read_follows_next_links_and_refuses_a_page_without_items() -> None:

    from flexvmss import MalformedResponseError
    from flexvmss._scaleset._clients import read_catalog

    items = synthetic_sku_items()
    first = {"value": items[:3], "nextLink": "https://arm.example/next?page=2"}
    arm = _SkuArm(first, {"value": items[3:]})
    catalog = await read_catalog(arm, "sub", "eastus", SkuCache())  # type: ignore[arg-type]
    assert arm.urls[0] == (
        "/subscriptions/sub/providers/Microsoft.Compute/skus"
        "?api-version=2021-07-01&$filter=location%20eq%20'eastus'"
    )
    assert arm.urls[1] == "https://arm.example/next?page=2"
    assert catalog.vm_size("Standard_D2s_v5") is not None and catalog.vm_size("Standard_M8ms") is not None
    for broken in ({"value": "x"}, [1, 2], {}, b"<html>", {"value": []}):
        with pytest.raises(MalformedResponseError, match="list resource SKUs in eastus"):
            await read_catalog(_SkuArm(broken), "sub", "eastus", SkuCache())  # type: ignore[arg-type]
