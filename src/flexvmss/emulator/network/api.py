"""The interface the compute provider uses to reach the network provider.

Imported as ``from ...network import api as net``. Every function reads or
changes ``ctx.store`` synchronously (the caller already holds the store lock) and raises
:class:`ArmError` with Azure's codes. Nothing here starts a long-running operation: NICs and
public IPs made for a VM appear as part of the VM's own operation, as on Azure.
"""

from __future__ import annotations

from typing import Any, Literal

from ..core import ArmError, Context, arm_id, parse_arm_id, top_id
from .models.addresses import plan_private_ips
from .models.checks import nic_reserved_error, release_reservation, reservation
from .models.common import NS, RESERVATION_SECONDS, network_state, resolve
from .models.normalize import normalize
from .models.refs import unlink, validate_refs
from .models.writes import apply_put

__all__ = [
    "attach_nic",
    "create_nic",
    "get_subnet",
    "outbound_path",
    "release_nic",
    "release_nics_held_by",
]


def get_subnet(ctx: Context, subnet_id: str) -> dict[str, Any] | None:
    """The subnet body (as GET returns it) for ``subnet_id``, or None."""
    body = resolve(ctx, subnet_id)
    if body is None or str(body.get("type", "")).lower() != f"{NS}/virtualNetworks/subnets".lower():
        return None
    return body


def _lb_gives_outbound(lb: dict[str, Any], pool_id: str) -> bool:
    """A Standard LB's backend pool is outbound access for a Flex profile when the LB has an
    outbound rule on the pool, or a public frontend: "add scale set instances to a Load
    Balancer backend pool" is one of the fixes of OutboundConnectivityNotEnabledOnVM
    (MicrosoftDocs/SupportArticles-docs vmss-outbound-connectivity-not-enabled.md, 01/31/2023),
    and Azure created Flex profile sets behind public Standard LBs (Azure/azure-sdk-for-java
    canCreateVirtualMachineWithExistingScaleSet.json, 2023-03-01; Azure/azure-powershell
    TestVirtualMachineScaleSetFlexAnyPFDC.json, 2023-07-01). An internal LB gives no way out
    (inferred from "Default outbound access in Azure")."""
    if str(lb.get("sku", {}).get("name", "")).lower() != "standard":
        return False
    props = lb.get("properties", {})
    if any(
        str((r.get("properties", {}).get("backendAddressPool") or {}).get("id", "")).lower()
        == pool_id.lower()
        for r in props.get("outboundRules") or []
    ):
        return True
    return any(
        (fe.get("properties", {}).get("publicIPAddress") or {}).get("id")
        for fe in props.get("frontendIPConfigurations") or []
    )


def outbound_path(
    ctx: Context, *, subnet_id: str, backend_pool_ids: list[str], has_public_ip: bool
) -> str | None:
    """How a NIC ip configuration on ``subnet_id`` reaches the internet.

    ``"publicIp"`` if it has a public IP; ``"natGateway"`` if the subnet has a NAT gateway;
    ``"loadBalancer"`` if one of ``backend_pool_ids`` belongs to a Standard LB with an
    outbound rule on that pool or a public frontend;
    ``"default"`` if the subnet allows default outbound access
    (``properties.defaultOutboundAccess`` is not False); otherwise None."""
    if has_public_ip:
        return "publicIp"
    subnet = get_subnet(ctx, subnet_id)
    sp = (subnet or {}).get("properties", {})
    if (sp.get("natGateway") or {}).get("id"):
        return "natGateway"
    for pool_id in backend_pool_ids:
        lb_id = top_id(pool_id)
        lb = ctx.store.get(lb_id) if lb_id else None
        if lb is not None and _lb_gives_outbound(lb, pool_id):
            return "loadBalancer"
    if subnet is not None and sp.get("defaultOutboundAccess") is not False:
        return "default"
    return None


def _public_ip_body(
    ctx: Context,
    *,
    subscription_id: str,
    resource_group: str,
    name: str,
    location: str,
    config: dict[str, Any],
    tags: dict[str, Any] | None,
) -> dict[str, Any]:
    props = dict(config.get("properties") or {})
    pip_props: dict[str, Any] = {
        "publicIPAllocationMethod": "Static",
        "idleTimeoutInMinutes": int(props.get("idleTimeoutInMinutes") or 4),
        "deleteOption": props.get("deleteOption") or "Detach",
    }
    for key in ("dnsSettings", "ipTags", "publicIPAddressVersion", "publicIPPrefix"):
        if props.get(key) is not None:
            pip_props[key] = props[key]
    sku = dict(config.get("sku") or {})
    payload: dict[str, Any] = {
        "location": location,
        "sku": {"name": sku.get("name") or "Standard", "tier": sku.get("tier") or "Regional"},
        "properties": pip_props,
    }
    if tags is not None:
        payload["tags"] = tags
    rid = arm_id(subscription_id, resource_group, NS, "publicIPAddresses", name)
    return normalize(
        ctx, collection="publicIPAddresses", resource_id=rid, name=name, payload=payload, old=None
    )


def _mac_address(ctx: Context) -> str:
    """A MAC in Azure's format and vendor prefix (``00-0D-3A-xx-xx-xx``), given to a NIC
    when a VM first takes it."""
    tail = ctx.rng.getrandbits(24)
    return "00-0D-3A-" + "-".join(f"{(tail >> s) & 0xFF:02X}" for s in (16, 8, 0))


#: What a NIC takes from a ``networkInterfaceConfigurations[]`` item's ip configuration ...
_IP_CONFIG_KEYS = (
    "primary",
    "privateIPAddressVersion",
    "loadBalancerBackendAddressPools",
    "loadBalancerInboundNatRules",
    "applicationGatewayBackendAddressPools",
    "applicationSecurityGroups",
)
#: ... and from the item itself.
_NIC_CONFIG_KEYS = (
    "networkSecurityGroup",
    "enableAcceleratedNetworking",
    "enableIPForwarding",
    "dnsSettings",
    "disableTcpStateTracking",
    "auxiliaryMode",
    "auxiliarySku",
)


def _given(source: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The ``keys`` that ``source`` sets to something other than None, in the order of ``keys``."""
    return {key: source[key] for key in keys if source.get(key) is not None}


def create_nic(
    ctx: Context,
    *,
    subscription_id: str,
    resource_group: str,
    name: str,
    location: str,
    nic_config: dict[str, Any],
    vm_id: str | None,
    tags: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create a NIC from one ``networkInterfaceConfigurations[]`` item (wire shape).

    Validates the subnet, NSG and backend pools (400 ``InvalidResourceReference``), then
    creates the public IPs asked for (Standard, Static, named ``<nic name>-<ip config
    name>-<public IP config name>``, with their ``deleteOption`` recorded on the public IP)
    and the NIC, with ``virtualMachine.id = vm_id`` (and a MAC address when a VM is
    given). Returns the NIC body (Succeeded).
    Nothing is created if an error is raised."""
    ctx.store.require_rg(subscription_id, resource_group)
    nic_id = arm_id(subscription_id, resource_group, NS, "networkInterfaces", name)
    if ctx.store.get(nic_id) is not None:
        raise ArmError(409, "Conflict", f"Network interface {nic_id} already exists.")
    cprops = dict(nic_config.get("properties") or {})
    ip_configs: list[dict[str, Any]] = []
    pip_requests: list[tuple[int, dict[str, Any]]] = []
    for i, raw in enumerate(cprops.get("ipConfigurations") or []):
        rprops = dict(raw.get("properties") or {})
        ip_props: dict[str, Any] = {"subnet": rprops.get("subnet"), **_given(rprops, _IP_CONFIG_KEYS)}
        ip_configs.append({"name": raw.get("name"), "properties": ip_props})
        if rprops.get("publicIPAddressConfiguration"):
            pip_requests.append((i, rprops["publicIPAddressConfiguration"]))
    nic_props: dict[str, Any] = {"ipConfigurations": ip_configs, **_given(cprops, _NIC_CONFIG_KEYS)}
    payload: dict[str, Any] = {"location": location, "properties": nic_props}
    if tags is not None:
        payload["tags"] = tags
    nic = normalize(
        ctx, collection="networkInterfaces", resource_id=nic_id, name=name, payload=payload, old=None
    )
    # Check everything the NIC references before creating anything.
    validate_refs(ctx, nic)
    plan_private_ips(ctx, nic)

    pips = []
    for i, config in pip_requests:
        ipc = nic["properties"]["ipConfigurations"][i]
        pip_name = f"{name}-{ipc['name']}-{config.get('name') or 'publicip'}"
        pip = _public_ip_body(
            ctx,
            subscription_id=subscription_id,
            resource_group=resource_group,
            name=pip_name,
            location=location,
            config=config,
            tags=tags,
        )
        if ctx.store.get(pip["id"]) is not None:
            raise ArmError(409, "Conflict", f"Public IP address {pip['id']} already exists.")
        pips.append(pip)
        ipc["properties"]["publicIPAddress"] = {"id": pip["id"]}
    for pip in pips:
        apply_put(ctx, pip, None)
    nic["properties"]["primary"] = bool(cprops.get("primary", True))
    if vm_id:
        nic["properties"]["virtualMachine"] = {"id": vm_id}
        nic["properties"]["macAddress"] = _mac_address(ctx)
    apply_put(ctx, nic, None)
    return nic


def attach_nic(ctx: Context, nic_id: str, vm_id: str) -> dict[str, Any]:
    """Mark an existing NIC as used by ``vm_id`` and return its body.

    404 if absent; 400 ``NicInUse`` if another VM holds it; 400 ``NicReservedForAnotherVm``
    while it is reserved for another (deleted) VM. Attaching to the VM that already holds
    it is a no-op."""
    nic = ctx.store.get(nic_id)
    if nic is None or str(nic.get("type", "")).lower() != f"{NS}/networkInterfaces".lower():
        p = parse_arm_id(nic_id)
        raise ArmError.resource_not_found(
            f"{NS}/networkInterfaces", p["name"] if p else nic_id, p["rg"] if p else ""
        )
    holder = (nic["properties"].get("virtualMachine") or {}).get("id")
    if holder and str(holder).lower() != vm_id.lower():
        raise ArmError(
            400,
            "NicInUse",
            f"Network Interface {nic['id']} is used by existing resource {holder}. A network interface can "
            "be attached to only one virtual machine.",
        )
    res = reservation(ctx, nic["id"])
    if res is not None and str(res["vm"]).lower() != vm_id.lower():
        raise nic_reserved_error(str(res["vm"]))
    release_reservation(ctx, nic["id"])
    nic["properties"]["virtualMachine"] = {"id": vm_id}
    nic["properties"].setdefault("macAddress", _mac_address(ctx))
    return nic


def release_nic(
    ctx: Context,
    nic_id: str,
    *,
    delete: bool,
    delete_public_ips: Literal["by_option", "all"] = "by_option",
) -> None:
    """Called when a VM that used the NIC is deleted, or when a refused VM request undoes
    the NIC it created.

    ``delete=True`` removes the NIC and, with ``delete_public_ips="by_option"``, the public
    IPs on it whose ``deleteOption`` is ``Delete`` (the others stay, disassociated), as a VM
    deletion does; with ``"all"`` every public IP on it goes too, as a rollback needs (the
    request that made them never succeeded). ``delete=False`` detaches it
    (``virtualMachine`` cleared) and reserves it for the deleted VM for 180 emulated
    seconds. An absent NIC is a no-op."""
    if delete_public_ips not in ("by_option", "all"):
        raise ValueError(f"delete_public_ips must be 'by_option' or 'all', not {delete_public_ips!r}")
    nic = ctx.store.get(nic_id)
    if nic is None:
        return
    props = nic["properties"]
    vm = (props.get("virtualMachine") or {}).get("id")
    props.pop("virtualMachine", None)
    if not delete:
        if vm:
            network_state(ctx)["nic_reserved"][nic["id"].lower()] = {
                "until": ctx.clock.now() + RESERVATION_SECONDS,
                "vm": vm,
            }
        return
    pip_ids = [
        ipc["properties"]["publicIPAddress"]["id"]
        for ipc in props.get("ipConfigurations") or []
        if (ipc.get("properties", {}).get("publicIPAddress") or {}).get("id")
    ]
    unlink(ctx, nic)
    release_reservation(ctx, nic["id"])
    ctx.store.delete(nic["id"])
    for pip_id in pip_ids:
        pip = ctx.store.get(pip_id)
        if pip is not None and (
            delete_public_ips == "all" or pip.get("properties", {}).get("deleteOption") == "Delete"
        ):
            unlink(ctx, pip)
            ctx.store.delete(pip_id)


def release_nics_held_by(ctx: Context, resource_ids: list[str]) -> None:
    """VMs ``resource_ids`` were removed behind compute's back (their resource group was
    deleted): every NIC one of them held elsewhere is released as a VM deletion releases it
    (detached, reserved for 180 s)."""
    gone = set(resource_ids)
    for nic in ctx.store.list(f"{NS}/networkInterfaces"):
        holder = str((nic.get("properties", {}).get("virtualMachine") or {}).get("id", ""))
        if holder.lower() in gone:
            release_nic(ctx, nic["id"], delete=False)
