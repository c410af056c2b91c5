"""The network a Flex scale set needs, built in one call on a running emulator.

VMs that a Flexible set creates from its profile need explicit outbound access, so nearly
every scenario starts with the same resource group, virtual network and NAT gateway. This
builds them through the stock azure-mgmt clients, over HTTPS, exactly as a user's code would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["FlexNetwork", "create_network"]


class _WithClients(Protocol):
    """An emulator that makes stock clients (:meth:`Emulator.clients`)."""

    def clients(self) -> Any: ...


@dataclass(frozen=True)
class FlexNetwork:
    """Ids of what :func:`create_network` made."""

    resource_group: str
    vnet_id: str
    #: A subnet behind the NAT gateway: outbound access for profile VMs.
    subnet_id: str
    #: A subnet with no outbound path (Azure refuses profile VMs there).
    plain_subnet_id: str
    nat_gateway_id: str
    nat_public_ip_id: str


def create_network(
    emu: _WithClients,
    resource_group: str,
    location: str = "westeurope",
    *,
    address_space: str = "10.0.0.0/16",
    prefix: str = "flex",
) -> FlexNetwork:
    """Create (or update) ``resource_group`` with a VNet ``<prefix>-vnet`` holding a subnet
    ``vms`` behind a Standard NAT gateway ``<prefix>-nat`` and a subnet ``plain`` without
    outbound access. Idempotent: calling it again returns the same ids."""
    octets = address_space.split("/")[0].split(".")
    base = f"{octets[0]}.{octets[1]}"
    c = emu.clients()
    try:
        c.resource.resource_groups.create_or_update(resource_group, {"location": location})
        pip: Any = c.network.public_ip_addresses.begin_create_or_update(
            resource_group,
            f"{prefix}-nat-ip",
            {
                "location": location,
                "sku": {"name": "Standard"},
                "properties": {"publicIPAllocationMethod": "Static"},
            },
        ).result()
        nat: Any = c.network.nat_gateways.begin_create_or_update(
            resource_group,
            f"{prefix}-nat",
            {
                "location": location,
                "sku": {"name": "Standard"},
                "properties": {"publicIpAddresses": [{"id": pip.id}]},
            },
        ).result()
        vnet: Any = c.network.virtual_networks.begin_create_or_update(
            resource_group,
            f"{prefix}-vnet",
            {
                "location": location,
                "properties": {
                    "addressSpace": {"addressPrefixes": [address_space]},
                    "subnets": [
                        {
                            "name": "vms",
                            "properties": {"addressPrefix": f"{base}.0.0/20", "natGateway": {"id": nat.id}},
                        },
                        {"name": "plain", "properties": {"addressPrefix": f"{base}.16.0/24"}},
                    ],
                },
            },
        ).result()
    finally:
        c.close()
    subnets = {s.name: s.id for s in vnet.subnets}
    return FlexNetwork(
        resource_group=resource_group,
        vnet_id=vnet.id,
        subnet_id=subnets["vms"],
        plain_subnet_id=subnets["plain"],
        nat_gateway_id=nat.id,
        nat_public_ip_id=pip.id,
    )
