"""End to end through HTTPS with the stock azure-mgmt clients (sync and aio): a Flexible set
from a profile, its VMs listed with the Flex filter, per-VM actions, runCommand, batch
delete, Azure's Flex errors surfacing as HttpResponseError, and teardown."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from flexvmss.emulator import Emulator

RG = "e2e"
LOC = "eastus"


def _vmss_params(subnet_id: str, capacity: int) -> dict[str, Any]:
    return {
        "location": LOC,
        "sku": {"name": "Standard_D2s_v5", "capacity": capacity},
        "properties": {
            "orchestrationMode": "Flexible",
            "platformFaultDomainCount": 1,
            "virtualMachineProfile": {
                "osProfile": {
                    "computerNamePrefix": "web",
                    "adminUsername": "azureuser",
                    "adminPassword": "Secr3t!Passw0rd",
                },
                "storageProfile": {
                    "imageReference": {
                        "publisher": "Canonical",
                        "offer": "ubuntu-24_04-lts",
                        "sku": "server",
                        "version": "latest",
                    },
                    "osDisk": {"createOption": "FromImage"},
                },
                "networkProfile": {
                    "networkApiVersion": "2022-11-01",
                    "networkInterfaceConfigurations": [
                        {
                            "name": "nic",
                            "properties": {
                                "primary": True,
                                "ipConfigurations": [
                                    {
                                        "name": "ip",
                                        "properties": {"subnet": {"id": subnet_id}, "primary": True},
                                    }
                                ],
                            },
                        }
                    ],
                },
            },
        },
    }


def _subnet_params(nat_gateway_id: str) -> dict[str, Any]:
    """A vnet whose subnet reaches out through a NAT gateway (profile VMs need explicit outbound)."""
    return {
        "location": LOC,
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [
                {
                    "name": "s1",
                    "properties": {"addressPrefix": "10.0.0.0/20", "natGateway": {"id": nat_gateway_id}},
                }
            ],
        },
    }


_NAT = {"location": LOC, "sku": {"name": "Standard"}}


def test_flex_lifecycle_sync(flexvmss_emulator: Emulator) -> None:
    clients = flexvmss_emulator.clients()
    try:
        clients.resource.resource_groups.create_or_update(RG, {"location": LOC})
        nat = clients.network.nat_gateways.begin_create_or_update(RG, "nat", _NAT).result()
        vnet = clients.network.virtual_networks.begin_create_or_update(
            RG, "v1", _subnet_params(nat.id)
        ).result()
        subnet_id = vnet.subnets[0].id
        compute = clients.compute
        vmss = compute.virtual_machine_scale_sets.begin_create_or_update(
            RG, "web", _vmss_params(subnet_id, 2)
        ).result()
        assert vmss.properties.provisioning_state == "Succeeded" and vmss.sku.capacity == 2
        flt = f"'virtualMachineScaleSet/id' eq '{vmss.id}'"
        vms = list(compute.virtual_machines.list(RG, filter=flt, expand="instanceView"))
        assert len(vms) == 2
        assert all(
            s.code == "PowerState/running"
            for vm in vms
            for s in vm.properties.instance_view.statuses
            if s.code.startswith("PowerState/")
        )
        name = vms[0].name
        compute.virtual_machines.begin_deallocate(RG, name).result()
        view = compute.virtual_machines.instance_view(RG, name)
        assert [s.code for s in view.statuses][-1] == "PowerState/deallocated"
        compute.virtual_machines.begin_start(RG, name).result()
        result = compute.virtual_machines.begin_run_command(
            RG, name, {"commandId": "RunShellScript", "script": ["echo hi"]}
        ).result()
        assert "hi" in result.value[0].message
        with pytest.raises(HttpResponseError) as err:
            compute.virtual_machine_scale_sets.get_instance_view(RG, "web")
        assert err.value.error.code == "OperationNotAllowed"
        compute.virtual_machine_scale_sets.begin_delete_instances(RG, "web", {"instanceIds": [name]}).result()
        assert [vm.name for vm in compute.virtual_machines.list(RG, filter=flt)] == [vms[1].name]
        compute.virtual_machine_scale_sets.begin_delete(RG, "web", force_deletion=True).result()
        with pytest.raises(ResourceNotFoundError):
            compute.virtual_machine_scale_sets.get(RG, "web")
        assert list(compute.virtual_machines.list(RG)) == []
        assert list(clients.network.network_interfaces.list(RG)) == []
        skus = list(compute.resource_skus.list(filter="location eq 'westcentralus'"))
        aligned = next(s for s in skus if s.resource_type == "availabilitySets" and s.name == "Aligned")
        assert aligned.capabilities[0].value == "2"
    finally:
        clients.close()


async def test_flex_errors_and_scale_aio(flexvmss_emulator: Emulator) -> None:
    clients = flexvmss_emulator.clients(aio=True)
    try:
        await clients.resource.resource_groups.create_or_update(RG, {"location": LOC})
        nat = await (await clients.network.nat_gateways.begin_create_or_update(RG, "nat", _NAT)).result()
        poller = await clients.network.virtual_networks.begin_create_or_update(
            RG, "v1", _subnet_params(nat.id)
        )
        subnet_id = (await poller.result()).subnets[0].id
        compute = clients.compute
        bad = _vmss_params(subnet_id, 1)
        bad["properties"]["singlePlacementGroup"] = True
        with pytest.raises(HttpResponseError) as err:
            await compute.virtual_machine_scale_sets.begin_create_or_update(RG, "web", bad)
        assert err.value.error.code == "InvalidParameter"
        assert "singlePlacementGroup" in err.value.error.message
        poller = await compute.virtual_machine_scale_sets.begin_create_or_update(
            RG, "web", _vmss_params(subnet_id, 1)
        )
        await poller.result()
        poller = await compute.virtual_machine_scale_sets.begin_update(RG, "web", {"sku": {"capacity": 3}})
        assert (await poller.result()).sku.capacity == 3
        names = [vm.name async for vm in compute.virtual_machines.list(RG)]
        assert len(names) == 3 and all(n.startswith("web_") for n in names)
        with pytest.raises(HttpResponseError) as err:
            await compute.virtual_machine_scale_set_vms.get(RG, "web", names[0])
        assert err.value.error.message == "Virtual Machine Scale Set VM instanceId must be a number."
    finally:
        await clients.aclose()
