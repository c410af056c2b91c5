"""Turning a PUT body into the stored body (GET shape): defaults, ids, etags, inline
children, and what a body must satisfy on its own (references to others are checked by
:func:`.refs.validate_refs`)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ...core import ArmError, Context, top_id
from .addresses import next_public_ip, subnet_network
from .checks import child_delete_checks
from .common import BACKREF_FIELDS, CHILD_TYPES, NS, child_type, find_child, full_type, id_of
from .defaults import apply_defaults, internal_domain_suffix
from .refs import validate_internal_refs

__all__ = ["normalize"]


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
    if seg in ("publicipaddresses", "natgateways", "loadbalancers") and isinstance(payload.get("sku"), dict):
        body["sku"] = {k: str(v) for k, v in payload["sku"].items() if v is not None}
    facts: dict[str, Any] = {}
    if seg == "virtualnetworks":
        _normalize_vnet(ctx, body, old, etag)
    elif seg == "networksecuritygroups":
        props["securityRules"] = _children(
            ctx, resource_id, "networkSecurityGroups", "securityRules", props.get("securityRules"), old, etag
        )
        props["defaultSecurityRules"] = _default_nsg_rules(resource_id, etag)
    elif seg == "publicipaddresses":
        old_ip = (old or {}).get("properties", {}).get("ipAddress")
        props["ipAddress"] = old_ip or next_public_ip(ctx)
    elif seg == "natgateways":
        props["publicIpAddresses"] = [
            {"id": i} for p in props.get("publicIpAddresses") or [] if (i := id_of(p))
        ]
    elif seg == "networkinterfaces":
        _normalize_nic(ctx, body, old, etag)
        subnet_ids = [id_of(c["properties"].get("subnet")) for c in props["ipConfigurations"]]
        vnet_id = top_id(str(subnet_ids[0])) if subnet_ids and subnet_ids[0] else None
        facts["internal_suffix"] = internal_domain_suffix(vnet_id) if vnet_id else None
    elif seg == "loadbalancers":
        for coll in CHILD_TYPES["loadBalancers"]:
            props[coll] = _children(ctx, resource_id, "loadBalancers", coll, props.get(coll), old, etag)
        validate_internal_refs(body)
    apply_defaults(seg, body, facts)
    if seg == "publicipaddresses":
        _check_public_ip(body)
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
    subnets = _children(ctx, body["id"], "virtualNetworks", "subnets", props.get("subnets"), old, etag)
    seen: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for sn in subnets:
        sp = sn["properties"]
        if not sp.get("addressPrefix") and not sp.get("addressPrefixes"):
            raise _bad_request(
                f"Subnet {sn['name']} must have an address prefix.", "SubnetMissingRequiredProperty"
            )
        net = subnet_network(sn)
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
                and (subnet_network(prev) != subnet_network(sn))
            ):
                users = [c["id"] for c in prev["properties"]["ipConfigurations"]]
                raise ArmError(
                    400,
                    "InUseSubnetCannotBeUpdated",
                    f"Subnet {sn['name']} is in use by {', '.join(users)} and its address prefix cannot be "
                    "changed.",
                )


def _check_public_ip(body: dict[str, Any]) -> None:
    """A Standard public IP must be allocated statically."""
    props = body["properties"]
    if body["sku"]["name"] == "Standard" and props["publicIPAllocationMethod"] != "Static":
        raise ArmError(
            400,
            "StandardSkuPublicIPAddressesMustBeStatic",
            f"Standard sku publicIp {body['id']} must be allocated statically.",
        )


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
        if not id_of(ip.get("subnet")):
            raise _bad_request(f"IP configuration {ipc['id']} must reference a subnet.", "SubnetIdRequired")
        ip.setdefault("privateIPAllocationMethod", "Dynamic")  # read below; the table has it too
        ip["primary"] = bool(ip.get("primary", not primaries and i == 0))
        prev = find_child(old, "ipConfigurations", ipc["name"]) if old else None
        if ip["privateIPAllocationMethod"] != "Static":
            prev_ip = (prev or {}).get("properties", {})
            same_subnet = (
                str(id_of(prev_ip.get("subnet")) or "").lower() == str(id_of(ip.get("subnet"))).lower()
            )
            ip["privateIPAddress"] = prev_ip.get("privateIPAddress") if same_subnet else None
    props["ipConfigurations"] = ipcs
    props.pop("virtualMachine", None)
    props.pop("macAddress", None)
    if old is not None:
        for key in ("virtualMachine", "macAddress"):
            if key in old.get("properties", {}):
                props[key] = old["properties"][key]
