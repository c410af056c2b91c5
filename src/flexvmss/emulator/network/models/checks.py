"""What Azure refuses to remove while others still use it: resources, children, NICs
reserved for a deleted VM, and a resource group whose network is used from outside it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...core import ArmError, Context
from .common import BACKREF_FIELDS, CHILD_TYPES, NS, id_of, network_state

__all__ = [
    "check_group_delete",
    "child_delete_checks",
    "delete_checks",
    "nic_reserved_error",
    "release_reservation",
    "reservation",
    "subnet_in_use",
]


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
        vm = id_of(props.get("virtualMachine"))
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
        user = id_of(props.get("ipConfiguration")) or id_of(props.get("natGateway"))
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
    vm = id_of(props.get("virtualMachine"))
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
                if rid := id_of(ref):
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
