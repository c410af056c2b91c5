"""Addresses: private IPs come from each subnet's prefix (the first four and the last
address are reserved, as in Azure) and are tracked per subnet; public IPs come from a fake
pool (``20.0.0.0/8``, handed out in order)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from ...core import ArmError, Context
from .common import NS, id_of, invalid_reference, network_state, resolve

__all__ = ["ip_holders", "next_public_ip", "plan_private_ips", "subnet_network"]

_PUBLIC_POOL = ipaddress.IPv4Address("20.0.0.0")


def subnet_network(subnet: dict[str, Any]) -> ipaddress.IPv4Network | None:
    sp = subnet.get("properties", {})
    prefix = sp.get("addressPrefix") or (sp.get("addressPrefixes") or [None])[0]
    if not prefix:
        return None
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return None
    return net if isinstance(net, ipaddress.IPv4Network) else None


def ip_holders(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The children of ``body`` that take a private IP from a subnet."""
    t = body.get("type", "").lower()
    props = body.get("properties", {})
    if t == f"{NS}/networkInterfaces".lower():
        yield from props.get("ipConfigurations") or []
    elif t == f"{NS}/loadBalancers".lower():
        for fe in props.get("frontendIPConfigurations") or []:
            if id_of(fe.get("properties", {}).get("subnet")):
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
    for holder in ip_holders(body):
        hp = holder.setdefault("properties", {})
        sid = str(id_of(hp.get("subnet")) or "")
        subnet = resolve(ctx, sid)
        if subnet is None:
            raise invalid_reference(sid, holder["id"])
        net = subnet_network(subnet)
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
