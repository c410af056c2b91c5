"""Network's server-side defaults: what Azure fills into each network resource that the client
did not send, one table per resource type, each row with its source. :func:`apply_defaults` is
the one place they are applied (from :func:`.normalize.normalize`).

Sources (short names used in the rows):

* **CPA-<kind>** kubernetes-sigs/cloud-provider-azure ``pkg/azclient/<kind>client/testdata/
  AZURECLOUD.yaml`` @ 314ccf11 (recorded 2026-03-12, api 2025-05-01): ``virtualnetwork``,
  ``interface`` (NIC), ``natgateway`` (and its public IP), ``loadbalancer``.
* **JAVA-NET** Azure/azure-sdk-for-java ``VirtualMachineOperationsTests.
  canCreateVirtualMachineWithExistingScaleSet.json`` @ 07c99fb8 (recorded 2023-04-19, api
  2023-02-01): a VNet, a public IP with a DNS label and a Standard load balancer.
* **PS-NET** Azure/azure-powershell ``TestVirtualMachineScaleSetFlexAnyPFDC.json`` @ 77d71aaf
  (recorded 2023-08-31, api 2020-11-01): a VNet, a public IP with a DNS label, a load balancer.
* **DOA** "Default outbound access in Azure" (MicrosoftDocs, ms.date 12/03/2025): subnets of
  VNets made after 2026-03-31 are private unless told otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ...core import Default, fill_defaults

__all__ = [
    "LOAD_BALANCER_DEFAULTS",
    "NAT_GATEWAY_DEFAULTS",
    "NIC_DEFAULTS",
    "PUBLIC_IP_DEFAULTS",
    "SUBNET_DEFAULTS",
    "TABLES",
    "VNET_DEFAULTS",
    "apply_defaults",
    "internal_domain_suffix",
]

#: A virtual network (root: its body).
VNET_DEFAULTS: tuple[Default, ...] = (
    Default("properties.dhcpOptions", {"dnsServers": []}, "JAVA-NET, PS-NET"),
    Default("properties.enableDdosProtection", False, "JAVA-NET, PS-NET"),
    Default("properties.virtualNetworkPeerings", [], "JAVA-NET, PS-NET"),
    Default("properties.privateEndpointVNetPolicies", "Disabled", "CPA-virtualnetwork"),
)

#: A subnet (root: the subnet item inside its VNet).
SUBNET_DEFAULTS: tuple[Default, ...] = (
    Default("properties.privateEndpointNetworkPolicies", "Disabled", "JAVA-NET, PS-NET"),
    Default("properties.privateLinkServiceNetworkPolicies", "Enabled", "JAVA-NET, PS-NET"),
    Default("properties.delegations", [], "JAVA-NET, PS-NET"),
    Default("properties.defaultOutboundAccess", False, "DOA (VNets made after 2026-03-31)"),
)


def _standard(root: dict[str, Any], _facts: Mapping[str, Any]) -> bool:
    return str((root.get("sku") or {}).get("name") or "Standard").lower() == "standard"


def _fqdn(root: dict[str, Any], _facts: Mapping[str, Any]) -> str:
    label = root["properties"]["dnsSettings"]["domainNameLabel"]
    return f"{label}.{root.get('location', '')}.cloudapp.azure.com"


def _has_label(root: dict[str, Any], _facts: Mapping[str, Any]) -> bool:
    return bool(((root.get("properties") or {}).get("dnsSettings") or {}).get("domainNameLabel"))


#: A public IP address (root: its body).
PUBLIC_IP_DEFAULTS: tuple[Default, ...] = (
    Default(
        "sku", {"name": "Standard"}, "CPA-natgateway (a public IP's sku is Standard)", create_parents=True
    ),
    Default("sku.tier", "Regional", "CPA-natgateway, JAVA-NET"),
    Default(
        "properties.publicIPAllocationMethod",
        lambda root, facts: "Static" if _standard(root, facts) else "Dynamic",
        "JAVA-NET (Standard: Static); Basic: Dynamic (the REST default)",
    ),
    Default("properties.publicIPAddressVersion", "IPv4", "JAVA-NET, PS-NET"),
    Default("properties.idleTimeoutInMinutes", 4, "JAVA-NET, PS-NET"),
    Default("properties.ipTags", [], "JAVA-NET, PS-NET"),
    Default(
        "properties.ddosSettings",
        {"protectionMode": "VirtualNetworkInherited"},
        "CPA-natgateway, JAVA-NET (Standard IPs)",
        when=_standard,
    ),
    Default(
        "properties.dnsSettings.fqdn",
        _fqdn,
        "JAVA-NET, PS-NET (<label>.<region>.cloudapp.azure.com)",
        when=_has_label,
    ),
)

#: A NAT gateway (root: its body).
NAT_GATEWAY_DEFAULTS: tuple[Default, ...] = (
    Default("sku", {"name": "Standard"}, "CPA-natgateway", create_parents=True),
    Default("sku.tier", "Regional", "CPA-natgateway"),
    Default("properties.idleTimeoutInMinutes", 4, "CPA-natgateway"),
    Default("properties.type", "Public", "CPA-natgateway"),
)


def internal_domain_suffix(vnet_id: str) -> str:
    """The ``internalDomainNameSuffix`` of the NICs in a VNet: 26 lower-case letters and digits
    then ``.bx.internal.cloudapp.net``, the same for every NIC of the VNet (CPA-interface shows
    the form; the letters are a hash of the VNet's id here, inferred)."""
    digest = hashlib.sha256(vnet_id.lower().encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    letters = "".join(alphabet[b % len(alphabet)] for b in digest[:26])
    return f"{letters}.bx.internal.cloudapp.net"


#: A network interface (root: its body; facts: ``internal_suffix``).
NIC_DEFAULTS: tuple[Default, ...] = (
    Default("kind", "Regular", "CPA-interface"),
    *(
        Default(f"properties.ipConfigurations[].properties.{key}", value, "CPA-interface, JAVA-NET")
        for key, value in (("privateIPAllocationMethod", "Dynamic"), ("privateIPAddressVersion", "IPv4"))
    ),
    Default("properties.dnsSettings", {"dnsServers": [], "appliedDnsServers": []}, "CPA-interface"),
    Default(
        "properties.dnsSettings.internalDomainNameSuffix",
        lambda _root, facts: facts.get("internal_suffix"),
        "CPA-interface (one per VNet)",
        when=lambda _root, facts: bool(facts.get("internal_suffix")),
    ),
    *(
        Default(f"properties.{key}", value, "CPA-interface")
        for key, value in (
            ("enableAcceleratedNetworking", False),
            ("enableIPForwarding", False),
            ("disableTcpStateTracking", False),
            ("allowPort25Out", True),
            ("vnetEncryptionSupported", False),
            ("defaultOutboundConnectivityEnabled", False),
            ("nicType", "Standard"),
            ("auxiliaryMode", "None"),
            ("auxiliarySku", "None"),
            ("tapConfigurations", []),
            ("hostedWorkloads", []),
        )
    ),
)

#: A load balancer (root: its body).
LOAD_BALANCER_DEFAULTS: tuple[Default, ...] = (
    Default("sku", {"name": "Standard"}, "CPA-loadbalancer", create_parents=True),
    Default("sku.tier", "Regional", "CPA-loadbalancer, JAVA-NET, PS-NET"),
    Default(
        "properties.frontendIPConfigurations[].properties.privateIPAllocationMethod",
        "Dynamic",
        "CPA-loadbalancer, JAVA-NET, PS-NET (also on a public frontend)",
    ),
)

#: The table of each top-level collection (lower-cased URL segment).
TABLES: dict[str, tuple[Default, ...]] = {
    "virtualnetworks": VNET_DEFAULTS,
    "publicipaddresses": PUBLIC_IP_DEFAULTS,
    "natgateways": NAT_GATEWAY_DEFAULTS,
    "networkinterfaces": NIC_DEFAULTS,
    "loadbalancers": LOAD_BALANCER_DEFAULTS,
}


def apply_defaults(collection: str, body: dict[str, Any], facts: Mapping[str, Any] | None = None) -> None:
    """Fill the defaults of ``collection``'s table into ``body``, and for a VNet those of each of
    its subnets."""
    table = TABLES.get(collection.lower())
    if table is not None:
        fill_defaults(table, body, facts)
    if collection.lower() == "virtualnetworks":
        for subnet in (body.get("properties") or {}).get("subnets") or []:
            fill_defaults(SUBNET_DEFAULTS, subnet)
