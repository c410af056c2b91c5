"""``flexvmss skus``: which VM sizes a Flex scale set accepts in a region, and why not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from flexvmss.cli._render import plain

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["size_refusals", "size_verdicts", "skus"]

#: A stand-in subnet for the rule check: the verdict is about the size, not the network.
_PROBE_SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/probe/providers/"
    "Microsoft.Network/virtualNetworks/probe/subnets/probe"
)
_PROBE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIProbeKeyOnlyForTheRuleCheck000000000000 probe"


def size_refusals(catalog: Any, location: str, size: str, *, spot: bool = False) -> list[Any]:
    """The error findings the Flex rules give a one-VM Flex set of ``size`` in ``location``
    (empty: Flex accepts the size there)."""
    from flexvmss import ImageSpec, NetworkSpec, ScaleSetSpec
    from flexvmss._rules import evaluate

    spec = ScaleSetSpec(
        location=location,
        vm_size=size,
        capacity=1,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=_PROBE_SUBNET, outbound="nat_gateway"),
        ssh_public_keys=(_PROBE_KEY,),
        priority="Spot" if spot else "Regular",
    )
    return [f for f in evaluate(spec, catalog=catalog) if f.severity == "error"]


def size_verdicts(catalog: Any, location: str, *, spot: bool = False) -> list[dict[str, Any]]:
    """For every VM size in ``catalog``: its facts and the error findings a one-VM Flex set of
    that size gets from the rules (empty = Flex accepts it)."""
    out = []
    for size in catalog.sizes:
        errors = size_refusals(catalog, location, size.name, spot=spot)
        out.append(
            {
                "name": size.name,
                "family": size.family,
                "vcpus": size.vcpus,
                "memory_gb": size.memory_gb,
                "zones": sorted(size.zones),
                "flex_ok": not errors,
                "reasons": [{"rule_id": f.rule_id, "message": f.message, "fix": f.fix} for f in errors],
            }
        )
    return out


@click.command(short_help="VM sizes a Flex scale set accepts in a region, and why not.")
@click.option("--location", "-l", required=True, help="Azure region, e.g. eastus.")
@click.option("--flex-ok", is_flag=True, help="Only the sizes Flex accepts.")
@click.option("--spot", is_flag=True, help="Judge the sizes for Spot priority.")
@click.pass_obj
def skus(app: Application, /, *, location: str, flex_ok: bool, spot: bool) -> None:
    """List the VM sizes of the region's Resource SKUs catalog (one read, cached) with the
    verdict of the Flex rules for each: restrictions for your subscription, zones, sizes Flex
    refuses, Spot capability. Refused sizes name the rule and the reason."""
    catalog = app.sku_catalog(location)
    rows = size_verdicts(catalog, location, spot=spot)
    if flex_ok:
        rows = [r for r in rows if r["flex_ok"]]
    if app.json_output:
        app.display_json(plain(rows))
        return
    table_rows = [
        (
            r["name"],
            r["family"],
            r["vcpus"],
            r["memory_gb"],
            ",".join(r["zones"]) or None,
            "yes" if r["flex_ok"] else "no",
            "; ".join(f"{x['rule_id']}: {x['message']}" for x in r["reasons"]),
        )
        for r in rows
    ]
    accepted = sum(1 for r in rows if r["flex_ok"])
    app.display_table(
        app.table(
            ("size", "family", "vCPUs", "memory GB", "zones", "flex", "why not"),
            table_rows,
            title=f"{location}: {accepted} of {len(rows)} size(s) accepted by Flex",
        )
    )
