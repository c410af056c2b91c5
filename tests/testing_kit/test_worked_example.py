"""The worked example of docs/testing.md, verbatim: it must keep recording and replaying.

Re-record it with ``pytest tests/testing_kit/test_worked_example.py --flexvmss-target=emulator``.
"""

import pytest
from azure.mgmt.network.aio import NetworkManagementClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from flexvmss import ImageSpec, NetworkSpec, ScaleSetSpec
from flexvmss.aio import FlexScaleSet

SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0example user@example"


async def subnet_behind_nat(target, rg: str) -> str:
    """A resource group and a subnet whose outbound path is a NAT gateway."""
    cred, sub, kwargs = target.async_credential, target.subscription_id, target.client_kwargs()
    async with (
        ResourceManagementClient(cred, sub, **kwargs) as resources,
        NetworkManagementClient(cred, sub, **kwargs) as network,
    ):
        await resources.resource_groups.create_or_update(rg, {"location": "westeurope"})
        ip = await (
            await network.public_ip_addresses.begin_create_or_update(
                rg,
                "nat-ip",
                {
                    "location": "westeurope",
                    "sku": {"name": "Standard"},
                    "properties": {"publicIPAllocationMethod": "Static"},
                },
            )
        ).result()
        nat = await (
            await network.nat_gateways.begin_create_or_update(
                rg,
                "nat",
                {
                    "location": "westeurope",
                    "sku": {"name": "Standard"},
                    "properties": {"publicIpAddresses": [{"id": ip.id}]},
                },
            )
        ).result()
        vnet = await (
            await network.virtual_networks.begin_create_or_update(
                rg,
                "vnet",
                {
                    "location": "westeurope",
                    "properties": {
                        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                        "subnets": [
                            {
                                "name": "vms",
                                "properties": {"addressPrefix": "10.0.0.0/20", "natGateway": {"id": nat.id}},
                            }
                        ],
                    },
                },
            )
        ).result()
        return vnet.subnets[0].id


@pytest.mark.flexvmss_cassette
async def test_create_then_deallocate(flexvmss_target):
    subnet_id = await subnet_behind_nat(flexvmss_target, "rg-web")
    spec = ScaleSetSpec(
        location="westeurope",
        vm_size="Standard_D2s_v5",
        capacity=3,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        ssh_public_keys=(SSH_KEY,),
    )
    async with FlexScaleSet(
        flexvmss_target.subscription_id, "rg-web", "web", **flexvmss_target.scale_set_kwargs()
    ) as scale_set:
        await scale_set.create(spec)
        assert len(await scale_set.vms()) == 3
        result = await scale_set.deallocate()
        assert len(result.succeeded) == 3
