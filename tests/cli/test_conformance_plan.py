"""What a conformance run plans before it asks: the cheapest size the Flex rules accept, the
resources, and a cost estimate whose every number says where it comes from."""

from __future__ import annotations

from typing import Any

import pytest

from flexvmss.cli.conformance.core import RG_PREFIX, RUN_TAG, RunPlan, SizeChoice, choose_size
from flexvmss.cli.conformance.prices import PriceTable, estimate, price_table
from flexvmss.cli.skus import size_refusals


@pytest.fixture(scope="module")
def eastus(cli_emulator: Any) -> Any:
    import asyncio

    from flexvmss.aio import sku_catalog

    return asyncio.run(sku_catalog(cli_emulator.subscription_id, "eastus", emulator=cli_emulator))


def accepted_in(catalog: Any, location: str) -> Any:
    return lambda name: not size_refusals(catalog, location, name)


def test_the_price_table_says_where_its_prices_come_from() -> None:
    table = price_table()
    assert table.price("eastus", "Standard_B1s") == pytest.approx(0.0104)
    assert table.price("East US", "standard_b1s") == table.price("eastus", "Standard_B1s")
    assert table.price("eastus", "Standard_D64s_v5") is None  # above the table's $0.10/h
    assert "Azure Retail Prices API" in table.citation and "karpenter-provider-azure" in table.citation
    assert "2026-06-18" in table.citation


def test_the_cheapest_size_the_flex_rules_accept_is_chosen(eastus: Any) -> None:
    table = price_table()
    choice = choose_size(eastus, "eastus", table, accepted_in(eastus, "eastus"))
    assert choice.price_per_hour is not None
    cheaper = [
        s.name
        for s in eastus.sizes
        if (p := table.price("eastus", s.name)) is not None
        and p < choice.price_per_hour
        and (s.capability("CpuArchitectureType") or "x64") == "x64"
        and "V2" in (s.capability("HyperVGenerations") or "V2")
        and not size_refusals(eastus, "eastus", s.name)
    ]
    assert cheaper == []
    # the cheapest of all (Standard_B1ls) is one Flex refuses, and so is never chosen
    assert size_refusals(eastus, "eastus", "Standard_B1ls")
    assert choice.name != "Standard_B1ls"


def test_without_prices_the_smallest_accepted_size_is_chosen(eastus: Any) -> None:
    empty = PriceTable(regions={}, source={}, max_price=0.1)
    choice = choose_size(eastus, "eastus", empty, accepted_in(eastus, "eastus"))
    assert choice.price_per_hour is None
    assert "no size of the region has a price" in choice.why
    assert choice.vcpus == min(
        s.vcpus or 99 for s in eastus.sizes if not size_refusals(eastus, "eastus", s.name)
    )


def test_the_estimate_names_a_source_for_every_line() -> None:
    lines = estimate("eastus", "Standard_B1s", 2)
    assert all(line.source for line in lines)
    vm = lines[0]
    assert (vm.count, vm.per_hour) == (2, pytest.approx(0.0104)) and "Retail Prices" in vm.source
    assert any("inferred" in line.source for line in lines)
    unknown = estimate("eastus", "Standard_D64s_v5", 2)[0]
    assert unknown.per_hour is None and "left out" in unknown.source


def test_the_plan_names_its_group_and_tags() -> None:
    plan = RunPlan("sub", "eastus", SizeChoice("Standard_B1s", 1, 1.0, 0.0104, "test"))
    other = RunPlan("sub", "eastus", SizeChoice("Standard_B1s", 1, 1.0, 0.0104, "test"))
    assert plan.resource_group.startswith(RG_PREFIX) and plan.resource_group != other.resource_group
    assert plan.tags[RUN_TAG] == plan.run_id
    assert plan.vm_count == 2
    assert plan.resources()[0][1] == plan.resource_group
