"""What the commands that build a whole environment (``demo``, ``conformance``) do with azure-mgmt's
own clients: the network a Flex set runs in, which the library does not create (networks outlive
scale sets and belong to whoever runs the subscription).

The azure-mgmt modules are imported when a client is first built, never when the CLI loads.
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NatNetwork", "StockClients"]


class StockClients:
    """azure-mgmt's own aio clients (compute, network, resource), built on first use with one
    credential and the keyword arguments of the endpoint (``base_url``, ``connection_verify``,
    ``polling_interval``); closed together."""

    _CLASSES = {
        "compute": ("azure.mgmt.compute.aio", "ComputeManagementClient"),
        "network": ("azure.mgmt.network.aio", "NetworkManagementClient"),
        "resource": ("azure.mgmt.resource.resources.aio", "ResourceManagementClient"),
    }

    def __init__(self, subscription_id: str, credential: Any, **client_kwargs: Any) -> None:
        self._kwargs: dict[str, Any] = {
            "credential": credential,
            "subscription_id": subscription_id,
            **{k: v for k, v in client_kwargs.items() if v is not None},
        }
        self._made: dict[str, Any] = {}

    def _client(self, key: str) -> Any:
        if key not in self._made:
            module, name = self._CLASSES[key]
            self._made[key] = getattr(importlib.import_module(module), name)(**self._kwargs)
        return self._made[key]

    @property
    def compute(self) -> Any:
        return self._client("compute")

    @property
    def network(self) -> Any:
        return self._client("network")

    @property
    def resource(self) -> Any:
        return self._client("resource")

    async def close(self) -> None:
        for client in self._made.values():
            with contextlib.suppress(Exception):  # closing must not hide the command's own outcome
                await client.close()
        self._made.clear()


@dataclass
class NatNetwork:
    """A Standard public IP, a NAT gateway on it, and a VNet whose one subnet goes out through the
    NAT gateway (Flex VMs have no default outbound access), in an existing resource group."""

    clients: StockClients
    subscription_id: str
    resource_group: str
    location: str
    pip_name: str = "nat-ip"
    nat_name: str = "nat"
    vnet_name: str = "vnet"
    subnet_name: str = "vms"
    address_space: str = "10.42.0.0/16"
    subnet_prefix: str = "10.42.0.0/20"
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            "/providers/Microsoft.Network"
        )

    @property
    def subnet_id(self) -> str:
        return f"{self.prefix}/virtualNetworks/{self.vnet_name}/subnets/{self.subnet_name}"

    def _body(self, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"location": self.location, **extra, "properties": properties}
        if self.tags:
            body["tags"] = dict(self.tags)
        return body

    async def create(self) -> str:
        """Create the public IP, the NAT gateway and the VNet, each to completion; returns the
        subnet's id."""
        net = self.clients.network
        rg = self.resource_group
        standard = {"name": "Standard"}
        poller = await net.public_ip_addresses.begin_create_or_update(
            rg, self.pip_name, self._body({"publicIPAllocationMethod": "Static"}, sku=standard)
        )
        await poller.result()
        nat = {"publicIpAddresses": [{"id": f"{self.prefix}/publicIPAddresses/{self.pip_name}"}]}
        poller = await net.nat_gateways.begin_create_or_update(
            rg, self.nat_name, self._body(nat, sku=standard)
        )
        await poller.result()
        subnet = {
            "name": self.subnet_name,
            "properties": {
                "addressPrefix": self.subnet_prefix,
                "natGateway": {"id": f"{self.prefix}/natGateways/{self.nat_name}"},
                "defaultOutboundAccess": False,
            },
        }
        vnet = {"addressSpace": {"addressPrefixes": [self.address_space]}, "subnets": [subnet]}
        poller = await net.virtual_networks.begin_create_or_update(rg, self.vnet_name, self._body(vnet))
        await poller.result()
        return self.subnet_id

    async def delete(self) -> None:
        """Delete the VNet, the NAT gateway and the public IP, in that order (each waits for the
        one before it: a NAT gateway in use by a subnet cannot go)."""
        net = self.clients.network
        for begin, name in (
            (net.virtual_networks.begin_delete, self.vnet_name),
            (net.nat_gateways.begin_delete, self.nat_name),
            (net.public_ip_addresses.begin_delete, self.pip_name),
        ):
            poller = await begin(self.resource_group, name)
            await poller.result()
