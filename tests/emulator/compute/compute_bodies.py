"""Request bodies and ids for the compute provider tests, and the network they need,
made through the emulator's in-process test client."""

from __future__ import annotations

from typing import Any

from flexvmss.emulator import Emulator
from flexvmss.emulator.core import arm_id
from flexvmss.emulator.testing import TestClient

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg1"
API = "2026-04-01"
LOC = "eastus"
#: The marketplace image every VM and profile here uses.
UBUNTU = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}


def new_client(*, page_size: int = 100) -> TestClient:
    """A fresh emulator on a manual clock, with resource group ``rg1``."""
    # realism off: these tests read the emulator's own state step by step (test_realism.py tests the lag)
    client = Emulator(manual_clock=True, page_size=page_size, realism="off").test_client(api_version=API)
    client.resource_group(RG, LOC, subscription_id=SUB)
    return client


def cid(collection: str, name: str, *child: str, rg: str = RG) -> str:
    return arm_id(SUB, rg, "Microsoft.Compute", collection, name, *child)


def nid(collection: str, name: str, *child: str, rg: str = RG) -> str:
    return arm_id(SUB, rg, "Microsoft.Network", collection, name, *child)


def make_subnet(
    h: TestClient,
    *,
    vnet: str = "v1",
    name: str = "s1",
    default_outbound: bool = True,
    nat_gateway: bool = True,
    rg: str = RG,
    location: str = LOC,
    prefix: str = "10.0.0.0/20",
) -> str:
    """A vnet with one subnet; ``default_outbound`` sets ``defaultOutboundAccess`` explicitly;
    ``nat_gateway`` puts a NAT gateway (``<vnet>-nat``) on the subnet, the explicit outbound
    connectivity a Flexible set's profile VMs need."""
    props: dict[str, Any] = {"addressPrefix": prefix, "defaultOutboundAccess": default_outbound}
    if nat_gateway:
        ngw = nid("natGateways", f"{vnet}-nat", rg=rg)
        h.ok("PUT", ngw, {"location": location, "sku": {"name": "Standard"}})
        props["natGateway"] = {"id": ngw}
    h.ok(
        "PUT",
        nid("virtualNetworks", vnet, rg=rg),
        {
            "location": location,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": name, "properties": props}],
            },
        },
    )
    h.settle(30)
    return nid("virtualNetworks", vnet, "subnets", name, rg=rg)


def make_nic(h: TestClient, name: str, subnet_id: str, *, rg: str = RG, location: str = LOC) -> str:
    h.ok(
        "PUT",
        nid("networkInterfaces", name, rg=rg),
        {
            "location": location,
            "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet_id}}}]},
        },
    )
    h.settle(30)
    return nid("networkInterfaces", name, rg=rg)


def profile(
    subnet_id: str,
    *,
    nic: str = "nic",
    public_ip: bool = False,
    pools: list[str] | None = None,
    api: str | None = "2020-11-01",
) -> dict[str, Any]:
    """A Linux VM profile with one NIC config on ``subnet_id``."""
    ip_props: dict[str, Any] = {"subnet": {"id": subnet_id}, "primary": True}
    if public_ip:
        ip_props["publicIPAddressConfiguration"] = {"name": "pip", "properties": {"idleTimeoutInMinutes": 10}}
    if pools:
        ip_props["loadBalancerBackendAddressPools"] = [{"id": p} for p in pools]
    network: dict[str, Any] = {
        "networkInterfaceConfigurations": [
            {
                "name": nic,
                "properties": {
                    "primary": True,
                    "ipConfigurations": [{"name": "ipc", "properties": ip_props}],
                },
            }
        ]
    }
    if api:
        network["networkApiVersion"] = api
    return {
        "osProfile": {
            "computerNamePrefix": "web",
            "adminUsername": "azureuser",
            "adminPassword": "S3cret-Passw0rd!",
            "customData": "c2VjcmV0",
        },
        "storageProfile": {
            "imageReference": dict(UBUNTU),
            "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}},
        },
        "networkProfile": network,
    }


def vmss_body(
    subnet_id: str | None = None,
    *,
    capacity: int | None = 2,
    size: str = "Standard_D2s_v5",
    fd: int | None = 1,
    zones: list[str] | None = None,
    **props: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"location": LOC, "properties": {"orchestrationMode": "Flexible", **props}}
    if fd is not None:
        body["properties"]["platformFaultDomainCount"] = fd
    if subnet_id is not None:
        body["properties"]["virtualMachineProfile"] = profile(subnet_id)
        body["sku"] = {"name": size, "capacity": capacity}
    if zones:
        body["zones"] = zones
    return body


def vm_body(
    nic_id: str, *, size: str = "Standard_D2s_v5", vmss_id: str | None = None, **props: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": LOC,
        "properties": {
            "hardwareProfile": {"vmSize": size},
            "osProfile": {
                "computerName": "vm",
                "adminUsername": "azureuser",
                "adminPassword": "S3cret-Passw0rd!",
            },
            "storageProfile": {
                "imageReference": dict(UBUNTU),
                "osDisk": {"createOption": "FromImage"},
            },
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": True}}]},
            **props,
        },
    }
    if vmss_id:
        body["properties"]["virtualMachineScaleSet"] = {"id": vmss_id}
    return body
