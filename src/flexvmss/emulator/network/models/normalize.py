"""State of the emulated ``Microsoft.Network`` provider: bodies, references and address pools.

Every network resource lives in :attr:`Store.resources` as the body GET returns. Child
resources (subnets, ip configurations, backend pools, rules...) live inline in their parent
body, as Azure returns them, each with its own ``id``, ``type`` and ``etag``.

References between resources are kept in both directions, as Azure does: a NIC ip
configuration names its subnet, and the subnet lists the ip configuration under
``properties.ipConfigurations``. The forward side is what clients write; the back side is
read-only and is maintained here by :func:`link` and :func:`unlink`, never taken from a
request body.

Addresses: private IPs come from each subnet's prefix (the first four and the last address
are reserved, as in Azure) and are tracked per subnet; public IPs come from a fake pool
(``20.0.0.0/8``, handed out in order).

This module has no HTTP in it: the route handlers (``_routes.py``) and the compute
interface (``_api.py``) both build on it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...core import ArmError, Context, arm_id, parse_arm_id

__all__ = [
    "BACKREF_FIELDS",
    "CHILD_TYPES",
    "NS",
    "RESERVATION_SECONDS",
    "TOP_TYPES",
    "Ref",
    "apply_put",
    "check_group_delete",
    "child_delete_checks",
    "child_type",
    "delete_checks",
    "find_child",
    "forget",
    "full_type",
    "invalid_reference",
    "link",
    "network_state",
    "next_public_ip",
    "nic_reserved_error",
    "normalize",
    "plan_private_ips",
    "refs",
    "release_reservation",
    "reservation",
    "resolve",
    "set_provisioning_state",
    "subnet_in_use",
    "top_id",
    "unlink",
    "validate_internal_refs",
    "validate_refs",
]

NS = "Microsoft.Network"

#: URL collection segment -> resource type, for the top-level resources this provider serves.
TOP_TYPES: dict[str, str] = {
    "virtualNetworks": f"{NS}/virtualNetworks",
    "natGateways": f"{NS}/natGateways",
    "publicIPAddresses": f"{NS}/publicIPAddresses",
    "networkInterfaces": f"{NS}/networkInterfaces",
    "networkSecurityGroups": f"{NS}/networkSecurityGroups",
    "loadBalancers": f"{NS}/loadBalancers",
}

#: Child collections kept inline in their parent's ``properties``, per parent collection.
CHILD_TYPES: dict[str, tuple[str, ...]] = {
    "virtualNetworks": ("subnets",),
    "networkInterfaces": ("ipConfigurations",),
    "networkSecurityGroups": ("securityRules", "defaultSecurityRules"),
    "loadBalancers": (
        "frontendIPConfigurations",
        "backendAddressPools",
        "loadBalancingRules",
        "probes",
        "inboundNatRules",
        "inboundNatPools",
        "outboundRules",
    ),
}

#: Emulated seconds a NIC stays reserved for the VM that used it after that VM is deleted.
RESERVATION_SECONDS = 180.0

_PUBLIC_POOL = ipaddress.IPv4Address("20.0.0.0")


def full_type(collection: str) -> str:
    """``"virtualNetworks"`` -> ``"Microsoft.Network/virtualNetworks"`` (case-insensitive in)."""
    for seg, t in TOP_TYPES.items():
        if seg.lower() == collection.lower():
            return t
    raise KeyError(collection)


def child_type(parent_collection: str, child_collection: str) -> str:
    return f"{full_type(parent_collection)}/{child_collection}"


def top_id(resource_id: str) -> str | None:
    """The id of the top-level resource ``resource_id`` is (or is inside)."""
    p = parse_arm_id(resource_id)
    if p is None:
        return None
    return arm_id(p["sub"], p["rg"], p["namespace"], p["type"], p["name"])


def network_state(ctx: Context) -> dict[str, Any]:
    """The provider's bookkeeping in ``store.extra["network"]`` (snapshotted with the store)."""
    st: dict[str, Any] = ctx.store.extra.setdefault("network", {})
    st.setdefault("private_ips", {})  # subnet id (lower) -> {ip: owner ip-configuration id (lower)}
    st.setdefault("private_hint", {})  # subnet id (lower) -> lowest address (int) that may be free
    st.setdefault("public_ip_next", 4)  # next offset in the fake public pool
    st.setdefault("nic_reserved", {})  # nic id (lower) -> {"until": emulated s, "vm": vm id}
    return st


# --------------------------------------------------------------------------- lookups


def find_child(parent: dict[str, Any], collection: str, name: str) -> dict[str, Any] | None:
    for item in parent.get("properties", {}).get(collection) or []:
        if str(item.get("name", "")).lower() == name.lower():
            return item  # type: ignore[no-any-return]
    return None


def resolve(ctx: Context, resource_id: str) -> dict[str, Any] | None:
    """The body for ``resource_id``: a stored top-level resource, or a child inside one
    (``.../virtualNetworks/v/subnets/s``). None if either is missing."""
    p = parse_arm_id(resource_id)
    if p is None:
        return None
    top = ctx.store.get(arm_id(p["sub"], p["rg"], p["namespace"], p["type"], p["name"]))
    if top is None or not p["child"]:
        return top
    parts = p["child"].split("/")
    if len(parts) != 2:
        return None
    return find_child(top, parts[0], parts[1])


# --------------------------------------------------------------------------- references


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


#: Back-reference fields per (lower-cased) type: read-only, never taken from a request.
BACKREF_FIELDS: dict[str, tuple[str, ...]] = {
    f"{NS}/virtualNetworks/subnets".lower(): ("ipConfigurations",),
    f"{NS}/publicIPAddresses".lower(): ("ipConfiguration", "natGateway"),
    f"{NS}/loadBalancers/backendAddressPools".lower(): ("backendIPConfigurations",),
    f"{NS}/loadBalancers/inboundNatRules".lower(): ("backendIPConfiguration",),
    f"{NS}/networkSecurityGroups".lower(): ("networkInterfaces", "subnets"),
    f"{NS}/natGateways".lower(): ("subnets",),
}


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
        return str(value["id"])
    return None


def refs(body: dict[str, Any]) -> Iterator[Ref]:
    """The forward references of a stored top-level body that carry a back-reference."""
    t = body.get("type", "").lower()
    props = body.get("properties", {})
    if t == f"{NS}/networkInterfaces".lower():
        for ipc in props.get("ipConfigurations") or []:
            ip = ipc.get("properties", {})
            if sid := _id_of(ip.get("subnet")):
                yield Ref(ipc["id"], sid, f"{NS}/virtualNetworks/subnets", "ipConfigurations", True)
            if pid := _id_of(ip.get("publicIPAddress")):
                yield Ref(ipc["id"], pid, f"{NS}/publicIPAddresses", "ipConfiguration", False)
            for pool in ip.get("loadBalancerBackendAddressPools") or []:
                if pool_id := _id_of(pool):
                    yield Ref(
                        ipc["id"],
                        pool_id,
                        f"{NS}/loadBalancers/backendAddressPools",
                        "backendIPConfigurations",
                        True,
                    )
            for rule in ip.get("loadBalancerInboundNatRules") or []:
                if rule_id := _id_of(rule):
                    yield Ref(
                        ipc["id"],
                        rule_id,
                        f"{NS}/loadBalancers/inboundNatRules",
                        "backendIPConfiguration",
                        False,
                    )
        if nsg := _id_of(props.get("networkSecurityGroup")):
            yield Ref(body["id"], nsg, f"{NS}/networkSecurityGroups", "networkInterfaces", True)
    elif t == f"{NS}/virtualNetworks".lower():
        for sn in props.get("subnets") or []:
            sp = sn.get("properties", {})
            if nsg := _id_of(sp.get("networkSecurityGroup")):
                yield Ref(sn["id"], nsg, f"{NS}/networkSecurityGroups", "subnets", True)
            if nat := _id_of(sp.get("natGateway")):
                yield Ref(sn["id"], nat, f"{NS}/natGateways", "subnets", True)
    elif t == f"{NS}/natGateways".lower():
        for pip in props.get("publicIpAddresses") or []:
            if pid := _id_of(pip):
                yield Ref(body["id"], pid, f"{NS}/publicIPAddresses", "natGateway", False)
    elif t == f"{NS}/loadBalancers".lower():
        for fe in props.get("frontendIPConfigurations") or []:
            fp = fe.get("properties", {})
            if pid := _id_of(fp.get("publicIPAddress")):
                yield Ref(fe["id"], pid, f"{NS}/publicIPAddresses", "ipConfiguration", False)
            if sid := _id_of(fp.get("subnet")):
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


def invalid_reference(target: str, source: str) -> ArmError:
    """Azure's 400 for a reference to a resource that does not exist (or is elsewhere)."""
    return ArmError(
        400,
        "InvalidResourceReference",
        f"Resource {target} referenced by resource {source} was not found. Please make sure that the "
        "referenced resource exists, and that both resources are in the same region.",
        details=[],
    )


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
            holder = _id_of(target.get("properties", {}).get(ref.field))
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
                if tid := _id_of(ip.get(key)):
                    yield item["id"], tid
            for fe in ip.get("frontendIPConfigurations") or []:
                if tid := _id_of(fe):
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
        elif str(_id_of(props.get(ref.field)) or "").lower() == ref.source.lower():
            props.pop(ref.field, None)
    st = network_state(ctx)
    for holder in _ip_holders(body):
        hp = holder.get("properties", {})
        sid, ip = str(_id_of(hp.get("subnet")) or "").lower(), hp.get("privateIPAddress")
        table = st["private_ips"].get(sid, {})
        if ip and table.get(ip) == holder["id"].lower():
            del table[ip]
            if sid in st["private_hint"]:
                st["private_hint"][sid] = min(int(ipaddress.IPv4Address(ip)), st["private_hint"][sid])


def forget(ctx: Context, body: dict[str, Any]) -> None:
    """Remove a network resource from the store with all its links (resource-group delete)."""
    unlink(ctx, body)
    st = network_state(ctx)
    if body.get("type", "").lower() == f"{NS}/virtualNetworks".lower():
        for sn in body.get("properties", {}).get("subnets") or []:
            st["private_ips"].pop(sn["id"].lower(), None)
            st["private_hint"].pop(sn["id"].lower(), None)
    st["nic_reserved"].pop(body["id"].lower(), None)
    ctx.store.delete(body["id"])


# --------------------------------------------------------------------------- addresses


def _subnet_network(subnet: dict[str, Any]) -> ipaddress.IPv4Network | None:
    sp = subnet.get("properties", {})
    prefix = sp.get("addressPrefix") or (sp.get("addressPrefixes") or [None])[0]
    if not prefix:
        return None
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def _ip_holders(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The children of ``body`` that take a private IP from a subnet."""
    t = body.get("type", "").lower()
    props = body.get("properties", {})
    if t == f"{NS}/networkInterfaces".lower():
        yield from props.get("ipConfigurations") or []
    elif t == f"{NS}/loadBalancers".lower():
        for fe in props.get("frontendIPConfigurations") or []:
            if _id_of(fe.get("properties", {}).get("subnet")):
                yield fe


def plan_private_ips(ctx: Context, body: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], bool]]:
    """Choose a private IP for every ip configuration of ``body`` without changing state.

    Keeps an address the same configuration already holds, honours a Static
    ``privateIPAddress``, else takes the lowest free host address (offset 4 up, the last
    address excluded). Returns (subnet id lower, ip, holder, scanned) tuples, ``scanned``
    when the address was the lowest free one; raises ``SubnetIsFull`` or
    ``PrivateIPAddressInUse``."""
    st = network_state(ctx)
    tables, hints = st["private_ips"], st["private_hint"]
    own = body["id"].lower() + "/"
    taken_now: dict[str, set[str]] = {}
    plan: list[tuple[str, str, dict[str, Any], bool]] = []
    for holder in _ip_holders(body):
        hp = holder.setdefault("properties", {})
        sid = str(_id_of(hp.get("subnet")) or "")
        subnet = resolve(ctx, sid)
        if subnet is None:
            raise invalid_reference(sid, holder["id"])
        net = _subnet_network(subnet)
        if net is None:
            raise ArmError(400, "InvalidRequestFormat", f"Subnet {sid} has no address prefix.")
        table = tables.get(sid.lower(), {})
        mine = taken_now.setdefault(sid.lower(), set())

        def free(ip: str, _table: dict[str, str] = table, _mine: set[str] = mine) -> bool:
            return ip not in _mine and (ip not in _table or _table[ip].startswith(own))

        wanted = hp.get("privateIPAddress")
        if hp.get("privateIPAllocationMethod") == "Static" and wanted:
            try:
                addr = ipaddress.IPv4Address(wanted)
            except ValueError:
                raise ArmError(
                    400, "PrivateIPAddressInvalid", f"Private IP address {wanted} is not valid."
                ) from None
            if addr not in net:
                raise ArmError(
                    400,
                    "PrivateIPAddressNotInSubnet",
                    f"IP configuration {holder['id']} is referencing a private IP address {wanted} which "
                    f"does not belong to the subnet {sid} address prefix {net}.",
                )
            if not free(str(addr)):
                raise ArmError(
                    400,
                    "PrivateIPAddressInUse",
                    f"IP configuration {holder['id']} is using the private IP address {wanted} which is "
                    f"already allocated to resource {table.get(str(addr), holder['id'])}.",
                )
            ip, scanned = str(addr), False
        else:
            ip, scanned = "", False
            if wanted and _in_network(wanted, net) and free(wanted):
                ip = wanted  # keep the address this configuration already holds
            else:
                scanned = True
                first = max(int(net.network_address) + 4, hints.get(sid.lower(), 0))
                for n in range(first, int(net.broadcast_address)):
                    cand = str(ipaddress.IPv4Address(n))
                    if free(cand):
                        ip = cand
                        break
            if not ip:
                raise ArmError(
                    400,
                    "SubnetIsFull",
                    f"Subnet {subnet.get('name')} with address prefix {net} does not have enough capacity "
                    "for 1 IP addresses.",
                )
        mine.add(ip)
        plan.append((sid.lower(), ip, holder, scanned))
    return plan


def _in_network(ip: str, net: ipaddress.IPv4Network) -> bool:
    try:
        return ipaddress.IPv4Address(ip) in net
    except ValueError:
        return False


def next_public_ip(ctx: Context) -> str:
    st = network_state(ctx)
    offset = int(st["public_ip_next"])
    st["public_ip_next"] = offset + 1
    return str(_PUBLIC_POOL + offset)


# --------------------------------------------------------------------------- normalising


def _bad_request(message: str, code: str = "InvalidRequestFormat") -> ArmError:
    return ArmError(400, code, message)


def _children(
    ctx: Context,
    parent_id: str,
    parent_collection: str,
    collection: str,
    items: Any,
    old: dict[str, Any] | None,
    etag: str,
) -> list[dict[str, Any]]:
    """Normalise an inline child collection: ids, types, etags, provisioning state, and
    the read-only back-references carried over from the stored version."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise _bad_request(f"Property '{collection}' must be an array.")
    ctype = child_type(parent_collection, collection)
    backrefs = BACKREF_FIELDS.get(ctype.lower(), ())
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for raw in items:
        if not isinstance(raw, dict) or not raw.get("name"):
            raise _bad_request(f"Every item of '{collection}' needs a name.")
        name = str(raw["name"])
        if name.lower() in seen:
            raise _bad_request(
                f"Resource {parent_id}/{collection}/{name} appears more than once in the request.",
                code="DuplicateResourceName",
            )
        seen.add(name.lower())
        props = {k: v for k, v in dict(raw.get("properties") or {}).items() if k not in backrefs}
        props.pop("provisioningState", None)
        prev = find_child(old, collection, name) if old else None
        for field in backrefs:
            if prev is not None and field in prev.get("properties", {}):
                props[field] = prev["properties"][field]
        props["provisioningState"] = "Succeeded"
        out.append(
            {
                "name": name,
                "id": f"{parent_id}/{collection}/{name}",
                "etag": etag,
                "type": ctype,
                "properties": props,
            }
        )
    return out


_DEFAULT_NSG_RULES: tuple[tuple[str, str, str, int, str, str, str], ...] = (
    # name, description, access, priority, direction, source, destination
    (
        "AllowVnetInBound",
        "Allow inbound traffic from all VMs in VNET",
        "Allow",
        65000,
        "Inbound",
        "VirtualNetwork",
        "VirtualNetwork",
    ),
    (
        "AllowAzureLoadBalancerInBound",
        "Allow inbound traffic from azure load balancer",
        "Allow",
        65001,
        "Inbound",
        "AzureLoadBalancer",
        "*",
    ),
    ("DenyAllInBound", "Deny all inbound traffic", "Deny", 65500, "Inbound", "*", "*"),
    (
        "AllowVnetOutBound",
        "Allow outbound traffic from all VMs to all VMs in VNET",
        "Allow",
        65000,
        "Outbound",
        "VirtualNetwork",
        "VirtualNetwork",
    ),
    (
        "AllowInternetOutBound",
        "Allow outbound traffic from all VMs to Internet",
        "Allow",
        65001,
        "Outbound",
        "*",
        "Internet",
    ),
    ("DenyAllOutBound", "Deny all outbound traffic", "Deny", 65500, "Outbound", "*", "*"),
)


def _default_nsg_rules(nsg_id: str, etag: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "id": f"{nsg_id}/defaultSecurityRules/{name}",
            "etag": etag,
            "type": f"{NS}/networkSecurityGroups/defaultSecurityRules",
            "properties": {
                "provisioningState": "Succeeded",
                "description": desc,
                "protocol": "*",
                "sourcePortRange": "*",
                "destinationPortRange": "*",
                "sourceAddressPrefix": src,
                "destinationAddressPrefix": dst,
                "access": access,
                "priority": prio,
                "direction": direction,
                "sourcePortRanges": [],
                "destinationPortRanges": [],
                "sourceAddressPrefixes": [],
                "destinationAddressPrefixes": [],
            },
        }
        for name, desc, access, prio, direction, src, dst in _DEFAULT_NSG_RULES
    ]


def normalize(
    ctx: Context,
    *,
    collection: str,
    resource_id: str,
    name: str,
    payload: dict[str, Any],
    old: dict[str, Any] | None,
) -> dict[str, Any]:
    """Turn a PUT body into the stored body (GET shape) for a top-level resource.

    Fills defaults, ids and etags; keeps read-only fields (back-references, addresses,
    ``resourceGuid``, the NIC's ``virtualMachine``) from ``old``; validates what belongs to
    the body alone. References to other resources are checked by :func:`validate_refs`."""
    rtype = full_type(collection)
    location = payload.get("location")
    if not location:
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    location = str(location).replace(" ", "").lower()
    if old is not None and str(old.get("location", "")).lower() != location:
        raise ArmError(
            400,
            "InvalidResourceLocation",
            f"The resource '{name}' already exists in location '{old.get('location')}'. A resource with the "
            f"same name cannot be created in location '{location}'. Please select a new resource name.",
        )
    etag = ctx.etag()
    raw_props = payload.get("properties") or {}
    if not isinstance(raw_props, dict):
        raise _bad_request("Property 'properties' must be an object.")
    backrefs = BACKREF_FIELDS.get(rtype.lower(), ())
    props: dict[str, Any] = {
        k: v
        for k, v in raw_props.items()
        if k not in backrefs and k not in ("provisioningState", "resourceGuid")
    }
    old_props = (old or {}).get("properties", {})
    for field in backrefs:
        if field in old_props:
            props[field] = old_props[field]
    props["provisioningState"] = "Succeeded"
    props["resourceGuid"] = old_props.get("resourceGuid") or ctx.new_guid()
    body: dict[str, Any] = {
        "name": name,
        "id": resource_id,
        "etag": etag,
        "type": rtype,
        "location": location,
    }
    if payload.get("tags") is not None:
        body["tags"] = dict(payload["tags"])
    for key in ("zones", "extendedLocation"):
        if payload.get(key) is not None:
            body[key] = payload[key]
    body["properties"] = props

    seg = collection.lower()
    if seg == "virtualnetworks":
        _normalize_vnet(ctx, body, old, etag)
    elif seg == "networksecuritygroups":
        props["securityRules"] = _children(
            ctx, resource_id, "networkSecurityGroups", "securityRules", props.get("securityRules"), old, etag
        )
        props["defaultSecurityRules"] = _default_nsg_rules(resource_id, etag)
    elif seg == "publicipaddresses":
        _normalize_pip(ctx, body, payload, old)
    elif seg == "natgateways":
        body["sku"] = {"name": str((payload.get("sku") or {}).get("name") or "Standard")}
        props.setdefault("idleTimeoutInMinutes", 4)
        props["publicIpAddresses"] = [
            {"id": i} for p in props.get("publicIpAddresses") or [] if (i := _id_of(p))
        ]
    elif seg == "networkinterfaces":
        _normalize_nic(ctx, body, old, etag)
    elif seg == "loadbalancers":
        body["sku"] = {
            "name": str((payload.get("sku") or {}).get("name") or "Standard"),
            "tier": str((payload.get("sku") or {}).get("tier") or "Regional"),
        }
        for coll in CHILD_TYPES["loadBalancers"]:
            props[coll] = _children(ctx, resource_id, "loadBalancers", coll, props.get(coll), old, etag)
        validate_internal_refs(body)
    if old is not None:
        for coll in CHILD_TYPES.get(collection, ()):
            kept = {c["name"].lower() for c in props.get(coll) or []}
            for prev in old.get("properties", {}).get(coll) or []:
                if prev["name"].lower() not in kept:
                    child_delete_checks(prev)
    return body


def _normalize_vnet(ctx: Context, body: dict[str, Any], old: dict[str, Any] | None, etag: str) -> None:
    props = body["properties"]
    prefixes = list((props.get("addressSpace") or {}).get("addressPrefixes") or [])
    nets = []
    for prefix in prefixes:
        try:
            nets.append(ipaddress.ip_network(prefix, strict=False))
        except ValueError:
            raise _bad_request(
                f"Address prefix {prefix} of virtual network {body['id']} is not valid.",
                "InvalidAddressPrefixFormat",
            ) from None
    props["addressSpace"] = {"addressPrefixes": prefixes}
    props.setdefault("enableDdosProtection", False)
    props.setdefault("virtualNetworkPeerings", [])
    subnets = _children(ctx, body["id"], "virtualNetworks", "subnets", props.get("subnets"), old, etag)
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for sn in subnets:
        sp = sn["properties"]
        sp.setdefault("privateEndpointNetworkPolicies", "Disabled")
        sp.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
        sp.setdefault("delegations", [])
        # Azure today: subnets of new virtual networks are private unless told otherwise
        # ("Default outbound access in Azure", VNets created after 2026-03-31).
        sp.setdefault("defaultOutboundAccess", False)
        if not sp.get("addressPrefix") and not sp.get("addressPrefixes"):
            raise _bad_request(
                f"Subnet {sn['name']} must have an address prefix.", "SubnetMissingRequiredProperty"
            )
        net = _subnet_network(sn)
        if net is None:
            raise _bad_request(
                f"Address prefix of subnet {sn['name']} is not valid.", "InvalidAddressPrefixFormat"
            )
        if not any(net.subnet_of(v) for v in nets if isinstance(v, ipaddress.IPv4Network)):
            raise ArmError(
                400,
                "NetcfgSubnetRangeOutsideVnet",
                f"Subnet '{sn['name']}' is not valid because its IP address range is outside the IP address "
                f"range of virtual network '{body['name']}'.",
            )
        for other_name, other in seen:
            if net.overlaps(other):
                raise ArmError(
                    400,
                    "NetcfgSubnetRangesOverlap",
                    f"Subnet '{sn['name']}' is not valid because its IP address range overlaps with that of "
                    f"an existing subnet '{other_name}' in virtual network '{body['name']}'.",
                )
        seen.append((sn["name"], net))
    props["subnets"] = subnets
    if old is not None:
        for sn in subnets:
            prev = find_child(old, "subnets", sn["name"])
            if (
                prev is not None
                and prev["properties"].get("ipConfigurations")
                and (_subnet_network(prev) != _subnet_network(sn))
            ):
                users = [c["id"] for c in prev["properties"]["ipConfigurations"]]
                raise ArmError(
                    400,
                    "InUseSubnetCannotBeUpdated",
                    f"Subnet {sn['name']} is in use by {', '.join(users)} and its address prefix cannot be "
                    "changed.",
                )


def _normalize_pip(
    ctx: Context, body: dict[str, Any], payload: dict[str, Any], old: dict[str, Any] | None
) -> None:
    props = body["properties"]
    sku = dict(payload.get("sku") or {})
    sku_name = str(sku.get("name") or "Standard")
    body["sku"] = {"name": sku_name, "tier": str(sku.get("tier") or "Regional")}
    props.setdefault("publicIPAllocationMethod", "Static" if sku_name == "Standard" else "Dynamic")
    if sku_name == "Standard" and props["publicIPAllocationMethod"] != "Static":
        raise ArmError(
            400,
            "StandardSkuPublicIPAddressesMustBeStatic",
            f"Standard sku publicIp {body['id']} must be allocated statically.",
        )
    props.setdefault("publicIPAddressVersion", "IPv4")
    props.setdefault("idleTimeoutInMinutes", 4)
    props.setdefault("ipTags", [])
    old_ip = (old or {}).get("properties", {}).get("ipAddress")
    props["ipAddress"] = old_ip or next_public_ip(ctx)


def _normalize_nic(ctx: Context, body: dict[str, Any], old: dict[str, Any] | None, etag: str) -> None:
    props = body["properties"]
    configs = props.get("ipConfigurations")
    if not configs:
        raise _bad_request(
            f"Network interface {body['id']} must have one or more IP configurations.",
            "NetworkInterfaceMustHaveAtLeastOneIpConfiguration",
        )
    ipcs = _children(ctx, body["id"], "networkInterfaces", "ipConfigurations", configs, old, etag)
    primaries = [c for c in ipcs if c["properties"].get("primary") is True]
    if len(primaries) > 1:
        raise _bad_request(
            f"Network interface {body['id']} has more than one primary IP configuration.",
            "MultiplePrimaryIpConfigurationsOnNetworkInterface",
        )
    for i, ipc in enumerate(ipcs):
        ip = ipc["properties"]
        if not _id_of(ip.get("subnet")):
            raise _bad_request(f"IP configuration {ipc['id']} must reference a subnet.", "SubnetIdRequired")
        ip.setdefault("privateIPAllocationMethod", "Dynamic")
        ip.setdefault("privateIPAddressVersion", "IPv4")
        ip["primary"] = bool(ip.get("primary", not primaries and i == 0))
        prev = find_child(old, "ipConfigurations", ipc["name"]) if old else None
        if ip["privateIPAllocationMethod"] != "Static":
            prev_ip = (prev or {}).get("properties", {})
            same_subnet = (
                str(_id_of(prev_ip.get("subnet")) or "").lower() == str(_id_of(ip.get("subnet"))).lower()
            )
            ip["privateIPAddress"] = prev_ip.get("privateIPAddress") if same_subnet else None
    props["ipConfigurations"] = ipcs
    props.setdefault("enableAcceleratedNetworking", False)
    props.setdefault("enableIPForwarding", False)
    props.setdefault("disableTcpStateTracking", False)
    props.setdefault("dnsSettings", {"dnsServers": [], "appliedDnsServers": []})
    props.setdefault("nicType", "Standard")
    props.setdefault("auxiliaryMode", "None")
    props.setdefault("auxiliarySku", "None")
    props.setdefault("tapConfigurations", [])
    props.setdefault("hostedWorkloads", [])
    props.pop("virtualMachine", None)
    props.pop("macAddress", None)
    if old is not None:
        for key in ("virtualMachine", "macAddress"):
            if key in old.get("properties", {}):
                props[key] = old["properties"][key]


# --------------------------------------------------------------------------- writes


def apply_put(ctx: Context, body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """Validate ``body``'s references, then store it: swap ``old``'s links for the new
    ones and assign private IPs. Nothing changes if an ArmError is raised."""
    validate_refs(ctx, body)
    plan = plan_private_ips(ctx, body)
    if old is not None:
        unlink(ctx, old)
    st = network_state(ctx)
    for sid, ip, holder, scanned in plan:
        holder["properties"]["privateIPAddress"] = ip
        st["private_ips"].setdefault(sid, {})[ip] = holder["id"].lower()
        if scanned:  # every address from the hint up to this one is now taken
            n = int(ipaddress.IPv4Address(ip)) + 1
            st["private_hint"][sid] = max(n, st["private_hint"].get(sid, 0))
    ctx.store.put(body)
    link(ctx, body)
    return body


def set_provisioning_state(body: dict[str, Any], state: str) -> None:
    """Set ``provisioningState`` on a body and on all its inline children."""
    props = body.setdefault("properties", {})
    props["provisioningState"] = state
    seg = body.get("type", "").split("/")[-1]
    for coll in CHILD_TYPES.get(seg, ()):
        for child in props.get(coll) or []:
            child.setdefault("properties", {})["provisioningState"] = state


# --------------------------------------------------------------------------- deletes


def subnet_in_use(subnet: dict[str, Any]) -> ArmError:
    users = [c["id"] for c in subnet.get("properties", {}).get("ipConfigurations") or []]
    return ArmError(
        400,
        "InUseSubnetCannotBeDeleted",
        f"Subnet {subnet['name']} is in use by {', '.join(users)} and cannot be deleted. In order to delete "
        "the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
    )


def child_delete_checks(child: dict[str, Any]) -> None:
    """Refuse to remove a child (by DELETE or by leaving it out of its parent's PUT) that
    others still reference: a subnet with ip configurations, a backend pool with members,
    an inbound NAT rule bound to an ip configuration."""
    ctype = str(child.get("type", "")).lower()
    props = child.get("properties", {})
    if ctype == f"{NS}/virtualNetworks/subnets".lower():
        if props.get("ipConfigurations"):
            raise subnet_in_use(child)
        return
    users = []
    for field in BACKREF_FIELDS.get(ctype, ()):
        value = props.get(field)
        users += [x["id"] for x in value] if isinstance(value, list) else ([value["id"]] if value else [])
    if users:
        kind = ctype.rsplit("/", 1)[1]
        code = {"backendaddresspools": "InUseBackendAddressPoolCannotBeDeleted"}.get(
            kind, "InUseInboundNatRuleCannotBeDeleted"
        )
        raise ArmError(
            400,
            code,
            f"{child['id']} cannot be deleted because it is in use by {', '.join(users)}. Remove the "
            "association first.",
        )


def reservation(ctx: Context, nic_id: str) -> dict[str, Any] | None:
    """The live reservation of a NIC (``{"until", "vm"}``), or None once it has lapsed."""
    res = network_state(ctx)["nic_reserved"].get(nic_id.lower())
    if res is None:
        return None
    if ctx.clock.now() >= float(res["until"]):
        network_state(ctx)["nic_reserved"].pop(nic_id.lower(), None)
        return None
    return res  # type: ignore[no-any-return]


def release_reservation(ctx: Context, nic_id: str) -> None:
    network_state(ctx)["nic_reserved"].pop(nic_id.lower(), None)


def nic_reserved_error(vm_id: str) -> ArmError:
    return ArmError(
        400,
        "NicReservedForAnotherVm",
        "Nic(s) in request is reserved for another Virtual Machine for 180 seconds. Please provide another "
        f"nic(s) or retry after 180 seconds. Reserved VM: {vm_id}",
    )


def delete_checks(ctx: Context, body: dict[str, Any]) -> None:
    """Refuse to delete a resource that others still use, with Azure's codes."""
    t = body.get("type", "").lower()
    props = body.get("properties", {})
    rid = body["id"]
    if t == f"{NS}/networkInterfaces".lower():
        vm = _id_of(props.get("virtualMachine"))
        if vm:
            raise ArmError(
                400,
                "NicInUse",
                f"Network Interface {rid} is used by existing resource {vm}. In order to delete the network "
                "interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.",
            )
        res = reservation(ctx, rid)
        if res is not None:
            raise nic_reserved_error(str(res["vm"]))
    elif t == f"{NS}/publicIPAddresses".lower():
        user = _id_of(props.get("ipConfiguration")) or _id_of(props.get("natGateway"))
        if user:
            raise ArmError(
                400,
                "PublicIPAddressCannotBeDeleted",
                f"Public IP address {rid} can not be deleted since it is still allocated to resource "
                f"{user}. In "
                "order to delete the public IP, disassociate/detach the Public IP address from the "
                "resource.  To "
                "learn how to do this, see aka.ms/deletepublicip.",
            )
    elif t == f"{NS}/networkSecurityGroups".lower():
        users = [x["id"] for x in (props.get("networkInterfaces") or []) + (props.get("subnets") or [])]
        if users:
            raise ArmError(
                400,
                "InUseNetworkSecurityGroupCannotBeDeleted",
                f"Network security group {rid} cannot be deleted because it is in use by the following "
                f"resources: {', '.join(users)}. In order to delete the Network security group, remove the "
                "association with the resource(s). To learn how to do this, see aka.ms/deletensg.",
            )
    elif t == f"{NS}/natGateways".lower():
        users = [x["id"] for x in props.get("subnets") or []]
        if users:
            raise ArmError(
                400,
                "InUseNatGatewayCannotBeDeleted",
                f"Nat Gateway {rid} cannot be deleted because it is in use by the following resources: "
                f"{', '.join(users)}. In order to delete the Nat Gateway, remove the association with the "
                "resource(s).",
            )
    elif t == f"{NS}/virtualNetworks".lower():
        for sn in props.get("subnets") or []:
            if sn.get("properties", {}).get("ipConfigurations"):
                raise subnet_in_use(sn)
    elif t == f"{NS}/loadBalancers".lower():
        users = [
            x["id"]
            for pool in props.get("backendAddressPools") or []
            for x in pool.get("properties", {}).get("backendIPConfigurations") or []
        ]
        if users:
            raise ArmError(
                400,
                "InUseLoadBalancerCannotBeDeleted",
                f"Load balancer {rid} cannot be deleted because its backend address pools are in use by "
                f"{', '.join(users)}. Remove the ip configurations from the pools first.",
            )


def _users(body: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """(resource or child, user id) for every back-reference held by ``body`` and its
    children, including a NIC's ``virtualMachine``."""
    props = body.get("properties", {})
    vm = _id_of(props.get("virtualMachine"))
    if vm:
        yield body, vm
    holders = [body] + [
        c for coll in CHILD_TYPES.get(body.get("type", "").split("/")[-1], ()) for c in props.get(coll) or []
    ]
    for holder in holders:
        hp = holder.get("properties", {})
        for field in BACKREF_FIELDS.get(str(holder.get("type", "")).lower(), ()):
            value = hp.get(field)
            found: list[Any] = value if isinstance(value, list) else [value]
            for ref in found:
                if rid := _id_of(ref):
                    yield holder, rid


def check_group_delete(ctx: Context, subscription_id: str, resource_group: str) -> None:
    """Refuse to delete a resource group whose network resources are used from outside it
    (a NIC in another group on one of its subnets, a VM elsewhere holding one of its NICs),
    with the error deleting that resource alone would give."""
    prefix = f"/subscriptions/{subscription_id}/resourcegroups/{resource_group}/".lower()
    bodies: list[dict[str, Any]] = list(ctx.store.in_resource_group(subscription_id, resource_group))
    for body in bodies:
        if not str(body.get("type", "")).lower().startswith(NS.lower() + "/"):
            continue
        for holder, user in _users(body):
            if not user.lower().startswith(prefix):
                if holder is body:
                    delete_checks(ctx, body)
                else:
                    child_delete_checks(holder)
