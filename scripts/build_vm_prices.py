"""Build the VM price table ``flexvmss conformance`` estimates its cost from.

Output: ``src/flexvmss/cli/conformance/data/vm_prices.json``: for each region, the hourly
pay-as-you-go price in USD of every VM size sold there for at most ``--max-price`` an hour
(the cheap end is all a conformance run picks from), with the source, its commit and the date
the prices were fetched.

Source: Azure/karpenter-provider-azure ``pkg/providers/pricing/zz_generated.pricing.go``
(pinned to the commit ``build_sku_catalog.py`` reads). Karpenter generates it from the Azure
Retail Prices API (``prices.azure.com``) with ``priceType eq 'Consumption'``,
``currencyCode eq 'USD'``, ``serviceName eq 'Virtual Machines'``, leaving out Windows, Spot and
Low Priority meters (``pkg/providers/pricing/pricing.go``, ``FetchPricing``/``processPage``): Linux
on-demand list prices. The file states when it was generated. Re-running with the same snapshot
gives the same output.

Usage::

    python scripts/build_vm_prices.py --karpenter <snapshot> [--max-price 0.1] [--out PATH]

``<snapshot>`` is a git directory (for example ``fetch``'s ``/work/.mirror/<owner>+<name>/repo``).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from build_sku_catalog import KARPENTER, KARPENTER_HEAD, PRICING_PATH, ROOT, git_show

OUT = ROOT / "src" / "flexvmss" / "cli" / "conformance" / "data" / "vm_prices.json"
FORMAT = "flexvmss-vm-prices/1"

_REGION = re.compile(r'initialOnDemandPrices\["([a-z0-9]+)"\] = map\[string\]float64\{(.*?)\n\t\}', re.S)
_PRICE = re.compile(r'"([A-Za-z0-9_\-]+)":\s*([0-9.]+)')
_GENERATED = re.compile(r'InitialPriceUpdate, _ = time\.Parse\(time\.RFC3339, "([^"]+)"\)')


def prices(text: str, max_price: float) -> dict[str, dict[str, float]]:
    """Region -> size -> USD per hour, for sizes above zero and at most ``max_price``."""
    out: dict[str, dict[str, float]] = {}
    for block in _REGION.finditer(text):
        found = ((name, float(value)) for name, value in _PRICE.findall(block.group(2)))
        cheap = {name: value for name, value in found if 0 < value <= max_price}
        out[block.group(1)] = dict(sorted(cheap.items()))
    return dict(sorted(out.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--karpenter", type=Path, required=True, help="git directory of a snapshot")
    parser.add_argument("--max-price", type=float, default=0.1, help="USD per hour (default 0.1)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    text = git_show(args.karpenter, KARPENTER_HEAD, PRICING_PATH)
    generated = _GENERATED.search(text)
    table = {
        "format": FORMAT,
        "source": {
            "repo": KARPENTER,
            "path": PRICING_PATH,
            "commit": KARPENTER_HEAD,
            "generated": generated.group(1) if generated else None,
            "what": "Azure Retail Prices API, priceType Consumption, USD, Linux on-demand (no Windows, "
            "Spot or Low Priority meters), per hour",
        },
        "max_price": args.max_price,
        "currency": "USD",
        "unit": "hour",
        "regions": prices(text, args.max_price),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(table, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    sizes = sum(len(v) for v in table["regions"].values())
    print(f"{args.out}: {len(table['regions'])} regions, {sizes} prices")


if __name__ == "__main__":
    main()
