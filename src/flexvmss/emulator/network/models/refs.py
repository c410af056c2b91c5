"""References between network resources, kept in both directions as Azure keeps them.

A NIC ip configuration names its subnet, and the subnet lists the ip configuration under
``properties.ipConfigurations``. The forward side is what clients write; the back side is
read-only and is maintained here by :func:`link` and :func:`unlink`, never taken from a
request body.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...core import ArmError, Context, parse_arm_id, top_id
from .addresses import ip_holders
from .common import NS, find_child, id_of, invalid_reference, network_state, resolve

__all__ = ["Ref", "link", "refs", "unlink", "validate_internal_refs", "validate_refs"]


@dataclass(frozen=True)
class Ref:
    """One forward reference from ``source`` (a resource or child id) to ``target``.

    ``field`` is the back-reference on the target; ``many`` says whether it is a list of
    ``{"id"}`` or a single ``{"id"}``. ``target_type`` is the type the target must have."""

    source: str
    target: str
    target_type: str
    field: str
    many: bool


def refs(body: dict[str, Any]) -> Iterator[Ref]:
    """The forward references of a stored top-level body that carry a back-reference."""
    t = body.get("type", "").lower()
    props = body.get("properties", {})
    if t == f"{NS}/networkInterfaces".lower():
        for ipc in props.get("ipConfigurations") or []:
            ip = ipc.get("properties", {})
            if sid := id_of(ip.get("subnet")):
                yield Ref(ipc["id"], sid, f"{NS}/virtualNetworks/subnets", "ipConfigurations", True)
            if pid := id_of(ip.get("publicIPAddress")):
                yield Ref(ipc["id"], pid, f"{NS}/publicIPAddresses", "ipConfiguration", False)
            for pool in ip.get("loadBalancerBackendAddressPools") or []:
                if pool_id := id_of(pool):
                    yield Ref(
                        ipc["id"],
                        pool_id,
                        f"{NS}/loadBalancers/backendAddressPools",
                        "backendIPConfigurations",
                        True,
                    )
            for rule in ip.get("loadBalancerInboundNatRules") or []:
                if rule_id := id_of(rule):
                    yield Ref(
                        ipc["id"],
                        rule_id,
                        f"{NS}/loadBalancers/inboundNatRules",
                        "backendIPConfiguration",
                        False,
                    )
        if nsg := id_of(props.get("networkSecurityGroup")):
            yield Ref(body["id"], nsg, f"{NS}/networkSecurityGroups", "networkInterfaces", True)
    elif t == f"{NS}/virtualNetworks".lower():
        for sn in props.get("subnets") or []:
            sp = sn.get("properties", {})
            if nsg := id_of(sp.get("networkSecurityGroup")):
                yield Ref(sn["id"], nsg, f"{NS}/networkSecurityGroups", "subnets", True)
            if nat := id_of(sp.get("natGateway")):
                yield Ref(sn["id"], nat, f"{NS}/natGateways", "subnets", True)
    elif t == f"{NS}/natGateways".lower():
        for pip in props.get("publicIpAddresses") or []:
            if pid := id_of(pip):
                yield Ref(body["id"], pid, f"{NS}/publicIPAddresses", "natGateway", False)
    elif t == f"{NS}/loadBalancers".lower():
        for fe in props.get("frontendIPConfigurations") or []:
            fp = fe.get("properties", {})
            if pid := id_of(fp.get("publicIPAddress")):
                yield Ref(fe["id"], pid, f"{NS}/publicIPAddresses", "ipConfiguration", False)
            if sid := id_of(fp.get("subnet")):
                yield Ref(fe["id"], sid, f"{NS}/virtualNetworks/subnets", "ipConfigurations", True)


def _resolve_for(ctx: Context, ref: Ref, pending: dict[str, Any] | None) -> dict[str, Any] | None:
    """Resolve a reference target, looking into ``pending`` (the body being written) first,
    so a resource may reference its own children (an LB rule -> its own frontend)."""
    if pending is not None:
        tid = top_id(ref.target)
        if tid is not None and tid.lower() == pending["id"].lower():
            p = parse_arm_id(ref.target)
            assert p is not None
            if not p["child"]:
                return pending
            parts = p["child"].split("/")
            return find_child(pending, parts[0], parts[1]) if len(parts) == 2 else None
    return resolve(ctx, ref.target)


def validate_refs(ctx: Context, body: dict[str, Any]) -> None:
    """Check that every forward reference of ``body`` points at an existing resource of the
    right type in the same region, and that a public IP is not already taken elsewhere."""
    location = str(body.get("location", "")).replace(" ", "").lower()
    own = body["id"].lower()
    for ref in refs(body):
        target = _resolve_for(ctx, ref, body)
        if target is None or str(target.get("type", "")).lower() != ref.target_type.lower():
            raise invalid_reference(ref.target, ref.source)
        tid = top_id(ref.target)
        top = ctx.store.get(tid) if tid else None
        if top is not None and str(top.get("location", "")).replace(" ", "").lower() != location:
            raise invalid_reference(ref.target, ref.source)
        if not ref.many:
            holder = id_of(target.get("properties", {}).get(ref.field))
            if holder is not None and not holder.lower().startswith(own):
                if ref.field == "ipConfiguration":
                    raise ArmError(
                        400,
                        "PublicIPAddressInUse",
                        f"Public IP address {ref.target} is already in use by {holder} and cannot be "
                        f"referenced by {ref.source}.",
                    )
                raise ArmError(
                    400,
                    "InvalidResourceReference",
                    f"Resource {ref.target} is already referenced by {holder} and cannot be referenced by "
                    f"{ref.source}.",
                )


def _internal_refs(body: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(source, target) pairs of an LB's references to its own children."""
    props = body.get("properties", {})
    for coll in ("loadBalancingRules", "inboundNatRules", "inboundNatPools", "outboundRules"):
        for item in props.get(coll) or []:
            ip = item.get("properties", {})
            for key in ("frontendIPConfiguration", "backendAddressPool", "probe"):
                if tid := id_of(ip.get(key)):
                    yield item["id"], tid
            for fe in ip.get("frontendIPConfigurations") or []:
                if tid := id_of(fe):
                    yield item["id"], tid


def validate_internal_refs(body: dict[str, Any]) -> None:
    for source, target in _internal_refs(body):
        tid = top_id(target)
        p = parse_arm_id(target)
        ok = False
        if tid is not None and p is not None and tid.lower() == body["id"].lower():
            parts = p["child"].split("/")
            ok = len(parts) == 2 and find_child(body, parts[0], parts[1]) is not None
        if not ok:
            raise invalid_reference(target, source)


def link(ctx: Context, body: dict[str, Any]) -> None:
    """Write the back-references of ``body``'s forward references onto their targets.

    ``body``'s old links are always removed first (:func:`unlink`), so a back-reference
    is new unless ``body`` names the same target twice."""
    for ref in set(refs(body)):
        target = _resolve_for(ctx, ref, body)
        if target is None:
            continue
        props = target.setdefault("properties", {})
        if ref.many:
            props.setdefault(ref.field, []).append({"id": ref.source})
        else:
            props[ref.field] = {"id": ref.source}


def unlink(ctx: Context, body: dict[str, Any]) -> None:
    """Remove the back-references ``body`` put on others, and free its private IPs."""
    for ref in set(refs(body)):
        target = resolve(ctx, ref.target)
        if target is None:
            continue
        props = target.get("properties", {})
        if ref.many:
            lst = props.get(ref.field) or []
            # Back-references are written from the same stored ids, so they match exactly.
            kept = [x for x in lst if x.get("id") != ref.source]
            if kept:
                props[ref.field] = kept
            else:
                props.pop(ref.field, None)
        elif str(id_of(props.get(ref.field)) or "").lower() == ref.source.lower():
            props.pop(ref.field, None)
    st = network_state(ctx)
    for holder in ip_holders(body):
        hp = holder.get("properties", {})
        sid, ip = str(id_of(hp.get("subnet")) or "").lower(), hp.get("privateIPAddress")
        table = st["private_ips"].get(sid, {})
        if ip and table.get(ip) == holder["id"].lower():
            del table[ip]
            if sid in st["private_hint"]:
                st["private_hint"][sid] = min(int(ipaddress.IPv4Address(ip)), st["private_hint"][sid])
