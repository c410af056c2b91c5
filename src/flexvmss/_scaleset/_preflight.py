"""Preflight: read the facts the Flex rules need, then run the rules over them; nothing is
written before the rules pass.

The facts are read with as few requests as possible (the region's SKU catalog once per
subscription and location; one GET per subnet or load balancer the rules ask for,
:func:`flexvmss._rules.reads`; the set and the resource group's VM list for VMs created into a
set). The rules themselves (:mod:`flexvmss._rules`) are pure: every Flex limit and every finding
comes from there, none from here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from flexvmss._errors import InvalidInputError, NotFoundError, PreflightError
from flexvmss._rules import Finding, capacity_needs_catalog, check_change, evaluate, reads, to_invalid_input
from flexvmss._scaleset._core import ScaleSetCore
from flexvmss._scaleset._values import ScaleSetInfo, rg_of, wire
from flexvmss._specs import ScaleSetSpec, VmSpec, inherit_from_profile

__all__ = ["check_capacity", "check_size", "check_vms", "plan_create", "raise_on_errors"]

logger = logging.getLogger("flexvmss")


async def plan_create(ss: ScaleSetCore, spec: ScaleSetSpec) -> list[Finding]:
    """Every finding for creating ``spec`` as this set (see ``FlexScaleSet.plan_create``)."""
    catalog = await ss._catalog(spec.location)
    resources = await read_resources(ss, [spec])
    return evaluate(spec, catalog=catalog, waive=ss.waive, name=ss.name, resources=resources)


async def check_vms(
    ss: ScaleSetCore, vm_specs: Sequence[VmSpec]
) -> tuple[ScaleSetInfo, dict[str, dict[str, Any]], list[VmSpec]]:
    """Check VM specs before any write: the set exists, each VM (with what it leaves unset
    taken from the set's profile, :func:`~flexvmss._specs.inherit_from_profile`) passes the
    same rules as the set (Flexible, zones, fault domains, outbound access, resource group, SKU
    catalog, FLEX028: no VM of that name outside the set), and no name repeats. Returns the
    set, the resource group's VM bodies that already carry a spec's name (members of this set:
    a re-run creates them no second time), by lower-cased name, and the completed specs."""
    info = await ss._read_set()
    specs = [inherit_from_profile(spec, info.raw) for spec in vm_specs]
    for spec in specs:
        missing = [f for f in ("vm_size", "image", "network") if getattr(spec, f) is None]
        if missing and spec.raw is None:
            raise InvalidInputError(
                missing[0],
                None,
                f"give VM {spec.name} its {', '.join(missing)}: scale set {ss.name} has no VM profile "
                "to take them from",
                message=f"VM {spec.name} has no {' or '.join(missing)}.",
            )
    catalog = await ss._catalog(info.location)
    existing = await ss._list_vm_bodies(f"list VMs in resource group {ss.resource_group}", {})
    existing_by_name = {str(body.get("name", "")).lower(): body for body in existing}
    counts = Counter(spec.name.lower() for spec in specs)
    duplicates = sorted({spec.name for spec in specs if counts[spec.name.lower()] > 1})
    if duplicates:
        raise InvalidInputError("vm_specs", duplicates, "give every VM its own name")
    resources = await read_resources(ss, specs)
    findings: list[Finding] = []
    for spec in specs:
        findings.extend(
            evaluate(
                spec,
                catalog=catalog,
                waive=ss.waive,
                scale_set=info,
                existing_vm=existing_by_name.get(spec.name.lower()),
                resources=resources,
            )
        )
    raise_on_errors(findings)
    names = {spec.name.lower() for spec in specs}
    return info, {name: body for name, body in existing_by_name.items() if name in names}, specs


async def check_capacity(ss: ScaleSetCore, info: ScaleSetInfo, capacity: int) -> None:
    """The Flex capacity limits (FLEX014) for setting ``info`` to ``capacity`` VMs, before any
    write; the SKU catalog is read only when the limit depends on the set's size. A refusal is
    an :class:`~flexvmss.InvalidInputError` (the capacity is an argument, not a spec)."""
    catalog = await ss._catalog(info.location) if capacity_needs_catalog(info) else None
    _refuse_argument(check_change(info, capacity=capacity, catalog=catalog, waive=ss.waive))


async def check_size(ss: ScaleSetCore, size: str) -> None:
    """The size rules (FLEX020, FLEX021, FLEX026) for resizing the set's VMs to ``size``,
    against the region's catalog, before any write; a refusal is an
    :class:`~flexvmss.InvalidInputError`."""
    location = ss.location or (await ss._read_set()).location
    facts = ScaleSetInfo(name=ss.name, id=ss.id, location=location)  # the size rules read the catalog only
    _refuse_argument(check_change(facts, size=size, catalog=await ss._catalog(location), waive=ss.waive))


def _refuse_argument(findings: Sequence[Finding]) -> None:
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise to_invalid_input(errors[0])


def raise_on_errors(findings: Sequence[Finding]) -> None:
    """Log the warnings; raise :class:`~flexvmss.PreflightError` (with every finding) when
    there is an error."""
    for finding in findings:
        if finding.severity != "error":
            logger.warning("flexvmss preflight [%s] %s", finding.rule_id, finding.message)
    if any(f.severity == "error" for f in findings):
        raise PreflightError(findings)


async def read_resources(
    ss: ScaleSetCore, specs: Sequence[ScaleSetSpec | VmSpec]
) -> dict[str, dict[str, Any] | None]:
    """The network resources the rules need for ``specs``, one GET each, by lower-cased id;
    None for one that does not exist."""
    seen: dict[str, dict[str, Any] | None] = {}
    for spec in specs:
        for resource_id in reads(spec):
            if resource_id.lower() in seen:
                continue
            try:
                seen[resource_id.lower()] = await _get_network_resource(ss, resource_id)
            except NotFoundError:
                seen[resource_id.lower()] = None
    return seen


async def _get_network_resource(ss: ScaleSetCore, resource_id: str) -> dict[str, Any]:
    """GET a subnet or a load balancer by id through the network client."""
    network = ss._arm().network
    parts = resource_id.strip("/").split("/")
    lower = [p.lower() for p in parts]
    rg = rg_of(resource_id)
    if "subnets" in lower:
        vnet = parts[lower.index("virtualnetworks") + 1]
        subnet = parts[lower.index("subnets") + 1]
        item = await ss._call(f"get subnet {subnet}", network.subnets.get(rg, vnet, subnet))
    elif "loadbalancers" in lower:
        lb = parts[lower.index("loadbalancers") + 1]
        item = await ss._call(f"get load balancer {lb}", network.load_balancers.get(rg, lb))
    else:
        raise InvalidInputError("resource_id", resource_id, "give a subnet or load balancer id")
    return wire(item)
