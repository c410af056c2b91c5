"""Deleting a resource group takes compute's private state with it: a VM or scale set made
again under the same name afterwards starts as new (stock sync clients over HTTPS)."""

from __future__ import annotations

import base64
from typing import Any

from flexvmss.emulator import Emulator

RG = "gone"
LOC = "eastus"
OLD_DATA = base64.b64encode(b"old secret user data").decode()
IMAGE = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}


def _network(c: Any) -> str:
    c.resource.resource_groups.create_or_update(RG, {"location": LOC})
    nat = c.network.nat_gateways.begin_create_or_update(
        RG, "nat", {"location": LOC, "sku": {"name": "Standard"}}
    ).result()
    vnet = c.network.virtual_networks.begin_create_or_update(
        RG,
        "v1",
        {
            "location": LOC,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [
                    {
                        "name": "s1",
                        "properties": {"addressPrefix": "10.0.0.0/24", "natGateway": {"id": nat.id}},
                    }
                ],
            },
        },
    ).result()
    subnet_id: str = vnet.subnets[0].id
    return subnet_id


def _set(subnet_id: str, user_data: str | None) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "osProfile": {
            "computerNamePrefix": "web",
            "adminUsername": "azureuser",
            "adminPassword": "Pa55-w0rd!",
        },
        "storageProfile": {"imageReference": IMAGE, "osDisk": {"createOption": "FromImage"}},
        "networkProfile": {
            "networkApiVersion": "2022-11-01",
            "networkInterfaceConfigurations": [
                {
                    "name": "nic",
                    "properties": {
                        "primary": True,
                        "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet_id}}}],
                    },
                }
            ],
        },
    }
    if user_data is not None:
        profile["userData"] = user_data
    return {
        "location": LOC,
        "sku": {"name": "Standard_D2s_v5", "capacity": 1},
        "properties": {
            "orchestrationMode": "Flexible",
            "platformFaultDomainCount": 1,
            "virtualMachineProfile": profile,
        },
    }


def _vm(c: Any, subnet_id: str, user_data: str | None) -> dict[str, Any]:
    nic = c.network.network_interfaces.begin_create_or_update(
        RG,
        "vm1-nic",
        {
            "location": LOC,
            "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet_id}}}]},
        },
    ).result()
    props: dict[str, Any] = {
        "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
        "storageProfile": {"imageReference": IMAGE, "osDisk": {"createOption": "FromImage"}},
        "osProfile": {"computerName": "vm1", "adminUsername": "azureuser", "adminPassword": "Pa55-w0rd!"},
        "networkProfile": {"networkInterfaces": [{"id": nic.id}]},
    }
    if user_data is not None:
        props["userData"] = user_data
    return {"location": LOC, "properties": props}


def _compute_state_about(emu: Emulator, group: str) -> list[str]:
    """Keys of compute's private bookkeeping that name something in ``group``."""
    book = emu.store.extra.get("compute", {})
    marker = f"/resourcegroups/{group}/".lower()
    return [key for part in ("vms", "sets", "members") for key in book.get(part, {}) if marker in key]


def test_group_delete_leaves_no_compute_state_and_names_start_afresh(fast_emu: Emulator) -> None:
    emu = fast_emu
    c = emu.clients()
    try:
        compute = c.compute
        subnet_id = _network(c)
        compute.virtual_machine_scale_sets.begin_create_or_update(
            RG, "web", _set(subnet_id, OLD_DATA)
        ).result()
        compute.virtual_machines.begin_create_or_update(RG, "vm1", _vm(c, subnet_id, OLD_DATA)).result()
        compute.virtual_machines.begin_deallocate(RG, "vm1").result()
        assert _compute_state_about(emu, RG)

        c.resource.resource_groups.begin_delete(RG).result()
        assert _compute_state_about(emu, RG) == []

        subnet_id = _network(c)
        compute.virtual_machine_scale_sets.begin_create_or_update(RG, "web", _set(subnet_id, None)).result()
        vmss = compute.virtual_machine_scale_sets.get(RG, "web", expand="userData")
        assert vmss.properties.virtual_machine_profile.user_data is None
        assert vmss.sku.capacity == 1
        flt = f"'virtualMachineScaleSet/id' eq '{vmss.id}'"
        assert len(list(compute.virtual_machines.list(RG, filter=flt))) == 1

        compute.virtual_machines.begin_create_or_update(RG, "vm1", _vm(c, subnet_id, None)).result()
        vm = compute.virtual_machines.get(RG, "vm1", expand="userData")
        assert vm.properties.user_data is None
        codes = [s.code for s in compute.virtual_machines.instance_view(RG, "vm1").statuses]
        assert codes == ["ProvisioningState/succeeded", "PowerState/running"]
    finally:
        c.close()
