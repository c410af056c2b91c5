"""What a conformance run costs, roughly: VM prices from a dated table, the rest from Azure's
published list prices, every number with where it comes from.

The VM prices (``data/vm_prices.json``, built by ``scripts/build_vm_prices.py``) are Linux
pay-as-you-go list prices in USD per hour from the Azure Retail Prices API, as generated into
Azure's Karpenter provider; only sizes up to $0.10 an hour are kept (a conformance run picks
the cheapest). Your own prices (agreements, credits, currency) differ: the estimate is rough
and says so.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = [
    "DISK_PER_HOUR",
    "NAT_GATEWAY_PER_HOUR",
    "PUBLIC_IP_PER_HOUR",
    "CostLine",
    "PriceTable",
    "estimate",
    "price_table",
]

#: Standard NAT gateway, per gateway-hour (Azure NAT Gateway pricing page, US list price, 2026;
#: data processed through it costs $0.045/GB more, a few MB for a run).
NAT_GATEWAY_PER_HOUR = 0.045
#: Standard static public IPv4 address, per hour (Azure IP address pricing page, US list price).
PUBLIC_IP_PER_HOUR = 0.005
#: One 30 GiB Standard SSD OS disk (billed as an E4), per hour: inferred from its monthly list
#: price of about $2.40 (730 hours a month); not region-specific.
DISK_PER_HOUR = 0.0033

_PUBLISHED = "Azure's published US list price (pricing pages, 2026); not region-specific"


@dataclass(frozen=True)
class PriceTable:
    """Hourly VM prices per region, with their source."""

    regions: dict[str, dict[str, float]]
    source: dict[str, Any]
    max_price: float

    def price(self, location: str, size: str) -> float | None:
        """USD per hour of ``size`` in ``location`` (None when the table does not have it)."""
        region = self.regions.get(normalise_region(location), {})
        if size in region:
            return region[size]
        lowered = size.lower()
        return next((p for name, p in region.items() if name.lower() == lowered), None)

    @property
    def citation(self) -> str:
        src = self.source
        when = str(src.get("generated") or "")[:10]
        return (
            f"Azure Retail Prices API (Linux pay-as-you-go, USD) as of {when}, "
            f"from {src.get('repo')} {src.get('path')} @ {str(src.get('commit'))[:8]}"
        )


def normalise_region(location: str) -> str:
    """``East US`` and ``eastus`` alike."""
    return "".join(location.split()).lower()


@functools.cache
def price_table() -> PriceTable:
    """The VM price table shipped with flexvmss."""
    raw = (
        resources.files("flexvmss.cli.conformance")
        .joinpath("data/vm_prices.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(raw)
    return PriceTable(regions=data["regions"], source=data["source"], max_price=float(data["max_price"]))


@dataclass(frozen=True)
class CostLine:
    """One line of the estimate: what, how many, USD per hour each (None: unknown), source."""

    what: str
    count: int
    per_hour: float | None
    source: str

    @property
    def total(self) -> float | None:
        return None if self.per_hour is None else self.count * self.per_hour


def estimate(location: str, vm_size: str, vms: int, table: PriceTable | None = None) -> list[CostLine]:
    """What a run with ``vms`` VMs of ``vm_size`` costs per hour that everything exists."""
    table = table or price_table()
    vm_price = table.price(location, vm_size)
    vm_source = (
        table.citation
        if vm_price is not None
        else f"not in the price table (it holds sizes up to ${table.max_price:.2f}/h): left out"
    )
    return [
        CostLine(f"VM {vm_size}", vms, vm_price, vm_source),
        CostLine("OS disk (Standard SSD, 30 GiB)", vms, DISK_PER_HOUR, "inferred: ~$2.40 a month each"),
        CostLine("NAT gateway", 1, NAT_GATEWAY_PER_HOUR, _PUBLISHED),
        CostLine("public IP (Standard, static)", 1, PUBLIC_IP_PER_HOUR, _PUBLISHED),
        CostLine("resource group, VNet, scale sets, NICs", 1, 0.0, "no charge"),
    ]
