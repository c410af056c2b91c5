"""Build the emulator's Resource SKU facts from real Resource SKUs data in public repositories.

Output: ``src/flexvmss/emulator/catalog/data/resource_skus.json.gz`` (our own compact format,
described in its ``format`` and ``notes`` fields). Run once against local snapshots of the
source repositories; the output is committed. Re-running with the same snapshots gives the
same file (sorted keys, no timestamps but the sources' own dates).

Sources (each pinned to the commit read; dates are the data's own):

* ``karpenter``  Azure/karpenter-provider-azure ``pkg/fake/zz_generated.sku.<region>.go``:
  full Resource SKU records (``az``/SDK output, generated) for a selection of sizes in
  eastus (file as of commit ccf9fb77, generated 2024-12-13; removed later), southcentralus
  (generated 2025-06-03) and westcentralus (generated 2024-12-13): zones, restrictions and
  every capability. Also ``pkg/providers/pricing/zz_generated.pricing.go`` (Azure Retail
  Prices, generated 2026-06-18): which sizes are sold in which region, and
  ``pkg/fake/locations.json`` (``az account list-locations``): each region's zones.
* ``autoscaler``  kubernetes/autoscaler ``cluster-autoscaler/cloudprovider/azure/
  azure_instance_types.go``: family, vCPUs, memory, GPUs and CPU architecture of every VM
  size, generated from ``az vm list-skus`` (2026-03 table; the 2025-09 table adds the
  ``Basic_*``/``Standard_A0``-``A7`` sizes that left the newer one).
* ``sap``  Azure/sap-automation ``deploy/configs/max_fault_domain_count.json``: the
  ``availabilitySets``/``Aligned`` ``MaximumPlatformFaultDomainCount`` of every region, from
  ``az vm list-skus --resource-type availabilitySets``.
* ``westus2``  nollenr/AZURE-Terraform-CRDB-Module ``resources/vm_skus.md``: the table output
  of ``az vm list-skus --location westus2`` (2023-07-08): zones and restrictions per size.

Restrictions are the recording subscription's (``NotAvailableForSubscription``): facts about
that subscription, kept with their source so the emulator can choose to model them.

Usage::

    python scripts/build_sku_catalog.py --karpenter <snapshot> --autoscaler <snapshot> \\
        --sap <snapshot> --westus2 <snapshot> [--out src/flexvmss/emulator/catalog/data/resource_skus.json.gz]

Each ``<snapshot>`` is a git directory (for example ``fetch``'s ``/work/.mirror/<owner>+<name>/repo``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "flexvmss" / "emulator" / "catalog" / "data" / "resource_skus.json.gz"
FORMAT = "flexvmss-resource-skus/1"

KARPENTER = "Azure/karpenter-provider-azure"
KARPENTER_HEAD = "352646f599290c3a6d2f9710fb535a7b288f88ed"
KARPENTER_EASTUS = "ccf9fb774796e318484bbfdf19a0c6caa155354e"  # last commit with the eastus table
AUTOSCALER = "kubernetes/autoscaler"
AUTOSCALER_HEAD = "55c37cd5eb550756c5ccc5a89e9068d77797e575"
AUTOSCALER_OLD = "66046aff0eab201851b7347ca0fc99e6ede3f0d5"  # 2025-09-08 table, still with Basic_*
SAP = "Azure/sap-automation"
SAP_HEAD = "79348bf9e53fd634456da992678eb0a0c51e8466"
WESTUS2 = "nollenr/AZURE-Terraform-CRDB-Module"
WESTUS2_HEAD = "7fc8b37b040d447788c2f7c1106a5a9f5bcde9a3"

CA_PATH = "cluster-autoscaler/cloudprovider/azure/azure_instance_types.go"
PRICING_PATH = "pkg/providers/pricing/zz_generated.pricing.go"
LOCATIONS_PATH = "pkg/fake/locations.json"
SAP_PATH = "deploy/configs/max_fault_domain_count.json"
WESTUS2_PATH = "resources/vm_skus.md"


def git_show(repo: Path, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def git_date(repo: Path, commit: str, path: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%cs", commit, "--", path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return out


# ---------------------------------------------------------------------------- parsers


def autoscaler_sizes(text: str) -> dict[str, dict[str, Any]]:
    """Size -> family, vCPUs, memory (GB), GPUs, architecture, from the generated Go table."""
    out: dict[str, dict[str, Any]] = {}
    for block in re.finditer(r'"([A-Za-z0-9_\-]+)":\s*\{(.*?)\n\t\}', text, re.S):
        name, body = block.group(1), block.group(2)
        fields = dict(re.findall(r"(\w+):\s*\"?([^\",\n]*)\"?,", body))
        if "InstanceType" not in fields:
            continue
        memory_mb = int(fields.get("MemoryMb", "0") or 0)
        out[name] = {
            "family": fields.get("SkuFamily") or None,
            "vCPUs": int(fields.get("VCPU", "0") or 0),
            # the older table floors sub-GB sizes to 0 MB: unknown, not zero
            "memoryGB": round(memory_mb / 1024, 3) if memory_mb else None,
            "gpus": int(fields.get("GPU", "0") or 0),
            "arch": {"arm64": "Arm64", "amd64": "x64"}.get(fields.get("Architecture", "")),
        }
    return out


def karpenter_records(text: str) -> Iterator[dict[str, Any]]:
    """The Resource SKU records of one ``zz_generated.sku.<region>.go`` file."""
    for chunk in re.split(r"\n\t\t\{\n\t\t\tName:", text)[1:]:
        rec: dict[str, Any] = {}
        rec["name"] = re.match(r'\s*lo\.ToPtr\("([^"]+)"\)', chunk).group(1)  # type: ignore[union-attr]
        for key in ("Tier", "Size", "Family", "ResourceType"):
            m = re.search(rf'\n\t\t\t{key}:\s*lo\.ToPtr\("([^"]*)"\)', chunk)
            rec[key.lower()] = m.group(1) if m else None
        rec["capabilities"] = dict(
            re.findall(r'\{Name: lo\.ToPtr\("([^"]+)"\), Value: lo\.ToPtr\("([^"]*)"\)\}', chunk)
        )
        info = re.search(r"LocationInfo: &\[\]compute\.ResourceSkuLocationInfo\{(.*)", chunk, re.S)
        zones: list[str] = []
        if info:
            z = re.search(r"Zones:\s*&\[\]string\{([^}]*)\}", info.group(1))
            zones = re.findall(r'"([^"]+)"', z.group(1)) if z else []
        rec["zones"] = sorted(zones)
        rec["restrictions"] = []
        for r in re.finditer(
            r'Type:\s*compute\.ResourceSkuRestrictionsType\("(\w+)"\).*?Zones:\s*&\[\]string\{([^}]*)\}.*?'
            r'ReasonCode:\s*"(\w+)"',
            chunk,
            re.S,
        ):
            rec["restrictions"].append(
                {
                    "type": r.group(1),
                    "zones": sorted(re.findall(r'"([^"]+)"', r.group(2))),
                    "reasonCode": r.group(3),
                }
            )
        yield rec


def pricing_regions(text: str) -> dict[str, list[str]]:
    """Region -> VM sizes the Retail Prices data sells there."""
    out: dict[str, list[str]] = {}
    for block in re.finditer(
        r'initialOnDemandPrices\["([a-z0-9]+)"\] = map\[string\]float64\{(.*?)\n\t\}', text, re.S
    ):
        names = re.findall(r'"((?:Standard|Basic)_[A-Za-z0-9_\-]+)":', block.group(2))
        out[block.group(1)] = sorted(set(names))
    return out


def westus2_table(text: str) -> dict[str, dict[str, Any]]:
    """Size -> zones and restrictions, from ``az vm list-skus --output table`` for westus2."""
    out: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or cells[0] != "virtualMachines":
            continue
        name, zones, restriction = cells[2], cells[3], cells[4]
        entry: dict[str, Any] = {"zones": sorted(z for z in zones.split(",") if z), "restrictions": []}
        if restriction and restriction != "None":
            m = re.match(r"(\w+), type: (\w+), locations: [\w,]+(?:, zones: ([\d,]+))?", restriction)
            if m:
                entry["restrictions"].append(
                    {
                        "type": m.group(2),
                        "zones": sorted((m.group(3) or "").split(",")) if m.group(3) else [],
                        "reasonCode": m.group(1),
                    }
                )
        out[name] = entry
    return out


# ---------------------------------------------------------------------------- build


def build(args: argparse.Namespace) -> dict[str, Any]:
    sources: list[dict[str, str]] = []

    def cite(
        key: str, repo: str, commit: str, path: str, snapshot: Path, what: str, date: str | None = None
    ) -> None:
        sources.append(
            {
                "id": key,
                "repo": repo,
                "commit": commit,
                "path": path,
                "date": date or git_date(snapshot, commit, path),
                "what": what,
            }
        )

    ca_new = autoscaler_sizes(git_show(args.autoscaler, AUTOSCALER_HEAD, CA_PATH))
    ca_old = autoscaler_sizes(git_show(args.autoscaler, AUTOSCALER_OLD, CA_PATH))
    cite(
        "autoscaler",
        AUTOSCALER,
        AUTOSCALER_HEAD,
        CA_PATH,
        args.autoscaler,
        "family, vCPUs, memory, GPUs, architecture per size (az vm list-skus)",
    )
    cite(
        "autoscaler-2025",
        AUTOSCALER,
        AUTOSCALER_OLD,
        CA_PATH,
        args.autoscaler,
        "same table, older: sizes the newer one dropped (Basic_*, Standard_A0-A7 ...)",
    )

    sizes: dict[str, dict[str, Any]] = {}
    for name, spec in {**ca_old, **ca_new}.items():
        sizes[name] = {**spec, "src": "autoscaler" if name in ca_new else "autoscaler-2025"}

    regions: dict[str, dict[str, Any]] = {}
    locations = json.loads(git_show(args.karpenter, KARPENTER_HEAD, LOCATIONS_PATH))
    cite(
        "locations",
        KARPENTER,
        KARPENTER_HEAD,
        LOCATIONS_PATH,
        args.karpenter,
        "regions and their logical zones (az account list-locations)",
    )
    region_zones = {
        loc["name"]: sorted(m["logicalZone"] for m in (loc.get("availabilityZoneMappings") or []))
        for loc in locations
        if (loc.get("metadata") or {}).get("regionType") == "Physical"
    }

    fds = {
        e["Location"]: int(e["MaximumFaultDomainCount"])
        for e in json.loads(git_show(args.sap, SAP_HEAD, SAP_PATH))
    }
    cite(
        "sap",
        SAP,
        SAP_HEAD,
        SAP_PATH,
        args.sap,
        "availabilitySets/Aligned MaximumPlatformFaultDomainCount per region",
    )

    priced = pricing_regions(git_show(args.karpenter, KARPENTER_HEAD, PRICING_PATH))
    pricing_date = re.search(r"generated at (\S+)", git_show(args.karpenter, KARPENTER_HEAD, PRICING_PATH))
    cite(
        "pricing",
        KARPENTER,
        KARPENTER_HEAD,
        PRICING_PATH,
        args.karpenter,
        "VM sizes sold per region (Azure Retail Prices)",
        pricing_date.group(1)[:10] if pricing_date else None,
    )

    for region in sorted(set(priced) & set(region_zones)):
        offered = [n for n in priced[region] if n in sizes]
        regions[region] = {
            "zones": region_zones[region],
            "maxFaultDomains": fds.get(region),
            "offered": {n: {"src": ["pricing"]} for n in offered},
        }

    capabilities: dict[str, dict[str, Any]] = {}
    karpenter_files = (
        ("eastus", KARPENTER_EASTUS, "pkg/fake/zz_generated.sku.eastus.go"),
        ("southcentralus", KARPENTER_HEAD, "pkg/fake/zz_generated.sku.southcentralus.go"),
        ("westcentralus", KARPENTER_HEAD, "pkg/fake/zz_generated.sku.westcentralus.go"),
    )
    for region, commit, path in karpenter_files:
        text = git_show(args.karpenter, commit, path)
        generated = re.search(r"generated at (\S+)", text)
        key = f"karpenter-{region}"
        cite(
            key,
            KARPENTER,
            commit,
            path,
            args.karpenter,
            f"full Resource SKU records of selected sizes in {region}",
            generated.group(1)[:10] if generated else None,
        )
        for rec in karpenter_records(text):
            if rec["resourcetype"] != "virtualMachines":
                continue
            name = rec["name"]
            sizes.setdefault(
                name,
                {
                    "family": rec["family"],
                    "vCPUs": None,
                    "memoryGB": None,
                    "gpus": 0,
                    "arch": None,
                    "src": key,
                },
            )
            capabilities.setdefault(name, {"src": key, "values": rec["capabilities"]})
            entry = regions.setdefault(
                region,
                {"zones": region_zones.get(region, []), "maxFaultDomains": fds.get(region), "offered": {}},
            )
            offer = entry["offered"].setdefault(name, {"src": []})
            offer["src"].append(key)
            offer["zones"] = rec["zones"]
            if rec["restrictions"]:
                offer["restrictions"] = rec["restrictions"]

    table = westus2_table(git_show(args.westus2, WESTUS2_HEAD, WESTUS2_PATH))
    cite(
        "westus2",
        WESTUS2,
        WESTUS2_HEAD,
        WESTUS2_PATH,
        args.westus2,
        "az vm list-skus --location westus2 (table): zones and restrictions per size",
    )
    entry = regions.setdefault(
        "westus2",
        {"zones": region_zones.get("westus2", []), "maxFaultDomains": fds.get("westus2"), "offered": {}},
    )
    for name, facts in table.items():
        if name not in sizes:
            continue
        offer = entry["offered"].setdefault(name, {"src": []})
        offer["src"].append("westus2")
        offer["zones"] = facts["zones"]
        if facts["restrictions"]:
            offer["restrictions"] = facts["restrictions"]

    # capability values as facts of the size (same in every region in the records read)
    for name, spec in sizes.items():
        caps = capabilities.get(name, {}).get("values", {})
        if spec.get("vCPUs") is None and "vCPUs" in caps:
            spec["vCPUs"] = int(caps["vCPUs"])
        if spec.get("memoryGB") is None and "MemoryGB" in caps:
            spec["memoryGB"] = float(caps["MemoryGB"])
        if spec.get("arch") is None and "CpuArchitectureType" in caps:
            spec["arch"] = caps["CpuArchitectureType"]
        spec["size"] = name.split("_", 1)[1] if "_" in name else name

    return {
        "format": FORMAT,
        "generated_by": "scripts/build_sku_catalog.py",
        "sources": sources,
        "notes": [
            "sizes: name -> family, size, vCPUs, memoryGB (null when the source does not say), gpus, "
            "arch (x64/Arm64), src (a source id).",
            "capabilities: name -> the full capability list of a real Resource SKU record (values are "
            "strings, as on the wire) and its source; only for the sizes those records cover.",
            "regions: name -> zones (the region's logical zones), maxFaultDomains (availabilitySets/"
            "Aligned), offered: size -> src (source ids), zones (the size's zones where a Resource SKU "
            "record or table gives them; absent means the source does not say), restrictions (the "
            "recording subscription's).",
            "A size is listed under a region when the pricing data sells it there or a Resource SKU "
            "record or table lists it there; sizes without specs in any source are left out.",
        ],
        "sizes": dict(sorted(sizes.items())),
        "capabilities": dict(sorted(capabilities.items())),
        "regions": {
            r: {**v, "offered": dict(sorted(v["offered"].items()))} for r, v in sorted(regions.items())
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--karpenter", type=Path, required=True)
    parser.add_argument("--autoscaler", type=Path, required=True)
    parser.add_argument("--sap", type=Path, required=True)
    parser.add_argument("--westus2", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    data = build(args)
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(gzip.compress(raw, mtime=0))
    offered = sum(len(r["offered"]) for r in data["regions"].values())
    print(
        f"{len(data['sizes'])} sizes, {len(data['capabilities'])} with full capabilities, "
        f"{len(data['regions'])} regions, {offered} region offers; {len(raw):,} bytes JSON, "
        f"{args.out.stat().st_size:,} bytes gzip -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
