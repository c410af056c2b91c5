"""Every operation the emulator serves, driven through the stock azure-mgmt clients, sync and
async: each call must come back as the SDK's deserialized model (or None where the SDK
returns nothing) and leave the emulator's state changed as Azure's would be.

The world each case starts from is built once (a resource group with a NAT-gateway subnet,
an NSG, a Standard load balancer, a public IP, a spare NIC, a data disk, a standalone VM with
user data, a Spot VM and a Flexible set of two profile VMs), snapshotted, and restored before
every case; the emulator runs at time scale 0.001 so a 45 s VM create takes 45 ms.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from azure.mgmt.compute import models as cm
from azure.mgmt.network import models as nm
from azure.mgmt.resource.resources import models as rm

from flexvmss.emulator import Emulator
from flexvmss.emulator.core import arm_id

RG = "cov"
LOC = "eastus"
USER_DATA = base64.b64encode(b"#!/bin/sh\necho hello").decode()
IMAGE = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}


# --------------------------------------------------------------------------- the world


def _ip_config(subnet_id: str) -> dict[str, Any]:
    return {"name": "ip", "properties": {"subnet": {"id": subnet_id}, "primary": True}}


def _vmss_body(subnet_id: str, capacity: int) -> dict[str, Any]:
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
                    "adminPassword": "Pa55-w0rd!",
                },
                "storageProfile": {"imageReference": IMAGE, "osDisk": {"createOption": "FromImage"}},
                "networkProfile": {
                    "networkApiVersion": "2022-11-01",
                    "networkInterfaceConfigurations": [
                        {
                            "name": "nic",
                            "properties": {"primary": True, "ipConfigurations": [_ip_config(subnet_id)]},
                        }
                    ],
                },
            },
        },
    }


def _vm_body(nic_id: str, **props: Any) -> dict[str, Any]:
    return {
        "location": LOC,
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            "storageProfile": {"imageReference": IMAGE, "osDisk": {"createOption": "FromImage"}},
            "osProfile": {"computerName": "vm", "adminUsername": "azureuser", "adminPassword": "Pa55-w0rd!"},
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": True}}]},
            **props,
        },
    }


def _build_world(emu: Emulator) -> None:
    c = emu.clients()
    try:
        net, compute = c.network, c.compute
        c.resource.resource_groups.create_or_update(RG, {"location": LOC})
        nat = net.nat_gateways.begin_create_or_update(
            RG, "nat", {"location": LOC, "sku": {"name": "Standard"}}
        ).result()
        vnet = net.virtual_networks.begin_create_or_update(
            RG,
            "v1",
            {
                "location": LOC,
                "properties": {
                    "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                    "subnets": [
                        {
                            "name": "s1",
                            "properties": {"addressPrefix": "10.0.0.0/20", "natGateway": {"id": nat.id}},
                        }
                    ],
                },
            },
        ).result()
        subnet_id = vnet.subnets[0].id
        for kind, name, body in _world_network(subnet_id):
            getattr(net, kind).begin_create_or_update(RG, name, body).result()
        compute.disks.begin_create_or_update(
            RG,
            "data1",
            {
                "location": LOC,
                "sku": {"name": "Standard_LRS"},
                "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 8},
            },
        ).result()
        for vm, extra in (
            ("vm1", {"userData": USER_DATA}),
            ("spot1", {"priority": "Spot", "evictionPolicy": "Deallocate"}),
        ):
            nic = net.network_interfaces.begin_create_or_update(
                RG,
                f"{vm}-nic",
                {"location": LOC, "properties": {"ipConfigurations": [_ip_config(subnet_id)]}},
            ).result()
            compute.virtual_machines.begin_create_or_update(RG, vm, _vm_body(nic.id, **extra)).result()
        compute.virtual_machine_scale_sets.begin_create_or_update(
            RG, "web", _vmss_body(subnet_id, 2)
        ).result()
    finally:
        c.close()


def _world_network(subnet_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The standalone network resources of the world (each kind's ``existing`` name)."""
    return [
        ("network_security_groups", "nsg", {"location": LOC}),
        (
            "load_balancers",
            "lb",
            {
                "location": LOC,
                "sku": {"name": "Standard"},
                "properties": {"backendAddressPools": [{"name": "pool"}]},
            },
        ),
        ("public_ip_addresses", "pip1", {"location": LOC, "sku": {"name": "Standard"}}),
        (
            "network_interfaces",
            "spare",
            {"location": LOC, "properties": {"ipConfigurations": [_ip_config(subnet_id)]}},
        ),
    ]


@pytest.fixture(scope="session")
def _world(_fast_server: Emulator) -> str:
    _fast_server.clear_faults()
    _fast_server.set_throttle("off")
    _fast_server.reset()
    _build_world(_fast_server)
    _fast_server.complete_all()
    return _fast_server.snapshot()


# --------------------------------------------------------------------------- one face


class Face:
    """The stock clients of one face (sync or aio) against the restored world, with helpers
    that await only when the face is async, and direct reads of the emulator's state."""

    def __init__(self, emu: Emulator, aio: bool) -> None:
        self.emu = emu
        self.aio = aio
        self.clients = emu.clients(aio=aio)
        self.compute: Any = self.clients.compute
        self.network: Any = self.clients.network
        self.resource: Any = self.clients.resource

    async def do(self, value: Any) -> Any:
        return await value if inspect.isawaitable(value) else value

    async def lro(self, begun: Any) -> Any:
        poller = await self.do(begun)
        return await self.do(poller.result())

    async def items(self, pager: Any) -> list[Any]:
        if self.aio:
            return [item async for item in pager]
        return list(pager)

    async def close(self) -> None:
        if self.aio:
            await self.clients.aclose()
        else:
            self.clients.close()

    # the emulator's own view, not the SDK's
    def rid(self, namespace: str, *type_name_pairs: str) -> str:
        return arm_id(self.emu.subscription_id, RG, namespace, *type_name_pairs)

    def state(self, namespace: str, *type_name_pairs: str) -> dict[str, Any] | None:
        return self.emu.store.get(self.rid(namespace, *type_name_pairs))

    def vm(self, name: str) -> dict[str, Any]:
        body = self.state("Microsoft.Compute", "virtualMachines", name)
        assert body is not None, name
        return body

    def power(self, name: str) -> str:
        self.emu.complete_all()
        st: str = self.emu.store.extra["compute"]["vms"][self.vm(name)["id"].lower()]["power"]
        return st

    def members(self, set_name: str) -> list[str]:
        set_id = self.rid("Microsoft.Compute", "virtualMachineScaleSets", set_name).lower()
        return sorted(
            vm["name"]
            for vm in self.emu.store.list("Microsoft.Compute/virtualMachines", resource_group=RG)
            if str((vm["properties"].get("virtualMachineScaleSet") or {}).get("id", "")).lower() == set_id
        )

    @property
    def subnet_id(self) -> str:
        return self.rid("Microsoft.Network", "virtualNetworks", "v1", "subnets", "s1")


Case = Callable[[Face], Awaitable[None]]
CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[name] = fn
        return fn

    return register


# --------------------------------------------------------------------------- resource groups


@case("rg.create")
async def _rg_create(f: Face) -> None:
    group = await f.do(f.resource.resource_groups.create_or_update("cov-new", {"location": LOC}))
    assert isinstance(group, rm.ResourceGroup) and group.name == "cov-new"
    assert f.emu.store.get_rg(f.emu.subscription_id, "cov-new") is not None


@case("rg.update")
async def _rg_update(f: Face) -> None:
    group = await f.do(f.resource.resource_groups.update(RG, {"tags": {"team": "cov"}}))
    assert isinstance(group, rm.ResourceGroup) and group.tags == {"team": "cov"}
    assert f.emu.store.get_rg(f.emu.subscription_id, RG)["tags"] == {"team": "cov"}  # type: ignore[index]


@case("rg.get")
async def _rg_get(f: Face) -> None:
    group = await f.do(f.resource.resource_groups.get(RG))
    assert isinstance(group, rm.ResourceGroup) and group.name == RG and group.location == LOC


@case("rg.head")
async def _rg_head(f: Face) -> None:
    assert await f.do(f.resource.resource_groups.check_existence(RG)) is True
    assert await f.do(f.resource.resource_groups.check_existence("absent")) is False


@case("rg.list")
async def _rg_list(f: Face) -> None:
    groups = await f.items(f.resource.resource_groups.list())
    assert all(isinstance(g, rm.ResourceGroup) for g in groups) and [g.name for g in groups] == [RG]


@case("rg.delete")
async def _rg_delete(f: Face) -> None:
    await f.do(f.resource.resource_groups.create_or_update("doomed", {"location": LOC}))
    await f.lro(f.network.public_ip_addresses.begin_create_or_update("doomed", "ip", {"location": LOC}))
    assert await f.lro(f.resource.resource_groups.begin_delete("doomed")) is None
    assert f.emu.store.get_rg(f.emu.subscription_id, "doomed") is None
    assert f.emu.store.in_resource_group(f.emu.subscription_id, "doomed") == []


# --------------------------------------------------------------------------- network


#: operation group, parent names, an existing item, the model, a body for a new item
NET_KINDS: dict[str, tuple[str, tuple[str, ...], str, type, Callable[[Face], dict[str, Any]]]] = {
    "vnet": (
        "virtual_networks",
        (),
        "v1",
        nm.VirtualNetwork,
        lambda f: {"location": LOC, "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}},
    ),
    "subnet": (
        "subnets",
        ("v1",),
        "s1",
        nm.Subnet,
        lambda f: {"properties": {"addressPrefix": "10.0.16.0/24"}},
    ),
    "nat_gateway": (
        "nat_gateways",
        (),
        "nat",
        nm.NatGateway,
        lambda f: {"location": LOC, "sku": {"name": "Standard"}},
    ),
    "public_ip": ("public_ip_addresses", (), "pip1", nm.PublicIPAddress, lambda f: {"location": LOC}),
    "nic": (
        "network_interfaces",
        (),
        "spare",
        nm.NetworkInterface,
        lambda f: {"location": LOC, "properties": {"ipConfigurations": [_ip_config(f.subnet_id)]}},
    ),
    "nsg": ("network_security_groups", (), "nsg", nm.NetworkSecurityGroup, lambda f: {"location": LOC}),
    "load_balancer": (
        "load_balancers",
        (),
        "lb",
        nm.LoadBalancer,
        lambda f: {"location": LOC, "sku": {"name": "Standard"}},
    ),
}

_NET_TYPES = {
    "virtual_networks": "virtualNetworks",
    "nat_gateways": "natGateways",
    "public_ip_addresses": "publicIPAddresses",
    "network_interfaces": "networkInterfaces",
    "network_security_groups": "networkSecurityGroups",
    "load_balancers": "loadBalancers",
}


def _net_state(f: Face, group: str, parents: tuple[str, ...], name: str) -> dict[str, Any] | None:
    """The emulator's body of a network resource (a subnet lives inside its vnet's body)."""
    if group == "subnets":
        vnet = f.state("Microsoft.Network", "virtualNetworks", *parents)
        subnets = (vnet or {}).get("properties", {}).get("subnets") or []
        return next((s for s in subnets if s["name"] == name), None)
    return f.state("Microsoft.Network", _NET_TYPES[group], name)


def _net_case(kind: str, op: str) -> Case:
    group_name, parents, existing, model, new_body = NET_KINDS[kind]

    async def run(f: Face) -> None:
        group = getattr(f.network, group_name)
        if op == "create":
            made = await f.lro(group.begin_create_or_update(RG, *parents, "new", new_body(f)))
            assert isinstance(made, model) and made.name == "new"
            body = _net_state(f, group_name, parents, "new")
            assert body is not None and body["properties"]["provisioningState"] == "Succeeded"
        elif op == "get":
            got = await f.do(group.get(RG, *parents, existing))
            assert isinstance(got, model) and got.name == existing
        elif op == "list":
            items = await f.items(group.list(RG, *parents))
            assert all(isinstance(i, model) for i in items) and existing in [i.name for i in items]
        elif op == "update":
            got = await f.do(group.get(RG, *parents, existing))
            if kind == "subnet":
                got.default_outbound_access = True
            else:
                got.tags = {"updated": "yes"}
            made = await f.lro(group.begin_create_or_update(RG, *parents, existing, got))
            assert isinstance(made, model)
            body = _net_state(f, group_name, parents, existing)
            assert body is not None
            if kind == "subnet":
                assert body["properties"]["defaultOutboundAccess"] is True
                assert body["properties"]["natGateway"]["id"].endswith("/natGateways/nat")
            else:
                assert body["tags"] == {"updated": "yes"}
        else:
            await f.lro(group.begin_create_or_update(RG, *parents, "new", new_body(f)))
            assert await f.lro(group.begin_delete(RG, *parents, "new")) is None
            assert _net_state(f, group_name, parents, "new") is None

    return run


for _kind in NET_KINDS:
    for _op in ("create", "get", "list", "update", "delete"):
        CASES[f"network.{_kind}.{_op}"] = _net_case(_kind, _op)


# --------------------------------------------------------------------------- disks


@case("disk.create")
async def _disk_create(f: Face) -> None:
    body = {
        "location": LOC,
        "sku": {"name": "Premium_LRS"},
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 16},
    }
    disk = await f.lro(f.compute.disks.begin_create_or_update(RG, "d2", body))
    assert isinstance(disk, cm.Disk) and disk.properties.disk_size_gb == 16
    assert f.state("Microsoft.Compute", "disks", "d2") is not None


@case("disk.update")
async def _disk_update(f: Face) -> None:
    body = {
        "location": LOC,
        "tags": {"tier": "hot"},
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 32},
    }
    disk = await f.lro(f.compute.disks.begin_create_or_update(RG, "data1", body))
    assert isinstance(disk, cm.Disk) and disk.properties.disk_size_gb == 32
    state = f.state("Microsoft.Compute", "disks", "data1")
    assert state is not None and state["properties"]["diskSizeGB"] == 32 and state["tags"] == {"tier": "hot"}


@case("disk.get")
async def _disk_get(f: Face) -> None:
    disk = await f.do(f.compute.disks.get(RG, "data1"))
    assert isinstance(disk, cm.Disk) and disk.name == "data1" and disk.properties.disk_size_gb == 8


@case("disk.list")
async def _disk_list(f: Face) -> None:
    disks = await f.items(f.compute.disks.list_by_resource_group(RG))
    assert all(isinstance(d, cm.Disk) for d in disks)
    assert "data1" in [d.name for d in disks] and len(disks) == 5  # data1 and four OS disks


@case("disk.delete")
async def _disk_delete(f: Face) -> None:
    assert await f.lro(f.compute.disks.begin_delete(RG, "data1")) is None
    assert f.state("Microsoft.Compute", "disks", "data1") is None


# --------------------------------------------------------------------------- scale sets


@case("vmss.create")
async def _vmss_create(f: Face) -> None:
    vmss = await f.lro(
        f.compute.virtual_machine_scale_sets.begin_create_or_update(RG, "web2", _vmss_body(f.subnet_id, 1))
    )
    assert isinstance(vmss, cm.VirtualMachineScaleSet) and vmss.properties.orchestration_mode == "Flexible"
    assert vmss.properties.provisioning_state == "Succeeded" and len(f.members("web2")) == 1


@case("vmss.update.put")
async def _vmss_update_put(f: Face) -> None:
    vmss = await f.do(f.compute.virtual_machine_scale_sets.get(RG, "web"))
    vmss.tags = {"updated": "put"}
    vmss.sku.capacity = 3
    made = await f.lro(f.compute.virtual_machine_scale_sets.begin_create_or_update(RG, "web", vmss))
    assert isinstance(made, cm.VirtualMachineScaleSet) and made.tags == {"updated": "put"}
    assert f.state("Microsoft.Compute", "virtualMachineScaleSets", "web")["tags"] == {"updated": "put"}  # type: ignore[index]
    assert len(f.members("web")) == 3


@case("vmss.update.patch")
async def _vmss_update_patch(f: Face) -> None:
    made = await f.lro(f.compute.virtual_machine_scale_sets.begin_update(RG, "web", {"sku": {"capacity": 3}}))
    assert isinstance(made, cm.VirtualMachineScaleSet) and made.sku.capacity == 3
    assert len(f.members("web")) == 3


@case("vmss.get")
async def _vmss_get(f: Face) -> None:
    vmss = await f.do(f.compute.virtual_machine_scale_sets.get(RG, "web"))
    assert isinstance(vmss, cm.VirtualMachineScaleSet) and vmss.sku.capacity == 2


@case("vmss.list")
async def _vmss_list(f: Face) -> None:
    sets = await f.items(f.compute.virtual_machine_scale_sets.list(RG))
    assert all(isinstance(s, cm.VirtualMachineScaleSet) for s in sets) and [s.name for s in sets] == ["web"]


@case("vmss.list_all")
async def _vmss_list_all(f: Face) -> None:
    sets = await f.items(f.compute.virtual_machine_scale_sets.list_all())
    assert all(isinstance(s, cm.VirtualMachineScaleSet) for s in sets) and [s.name for s in sets] == ["web"]


@case("vmss.delete.force")
async def _vmss_delete(f: Face) -> None:
    members = f.members("web")
    assert (
        await f.lro(f.compute.virtual_machine_scale_sets.begin_delete(RG, "web", force_deletion=True)) is None
    )
    assert f.state("Microsoft.Compute", "virtualMachineScaleSets", "web") is None
    assert all(f.state("Microsoft.Compute", "virtualMachines", m) is None for m in members)


@case("vmss.delete_instances.force")
async def _vmss_delete_instances(f: Face) -> None:
    first, second = f.members("web")
    done = await f.lro(
        f.compute.virtual_machine_scale_sets.begin_delete_instances(
            RG, "web", {"instanceIds": [first]}, force_deletion=True
        )
    )
    assert done is None and f.members("web") == [second]
    assert f.state("Microsoft.Compute", "virtualMachineScaleSets", "web")["sku"]["capacity"] == 1  # type: ignore[index]


# --------------------------------------------------------------------------- virtual machines


@case("vm.create")
async def _vm_create(f: Face) -> None:
    nic = await f.lro(
        f.network.network_interfaces.begin_create_or_update(
            RG, "vm2-nic", {"location": LOC, "properties": {"ipConfigurations": [_ip_config(f.subnet_id)]}}
        )
    )
    vm = await f.lro(f.compute.virtual_machines.begin_create_or_update(RG, "vm2", _vm_body(nic.id)))
    assert isinstance(vm, cm.VirtualMachine) and vm.properties.provisioning_state == "Succeeded"
    assert f.power("vm2") == "running"


@case("vm.update.put")
async def _vm_update_put(f: Face) -> None:
    vm = await f.do(f.compute.virtual_machines.get(RG, "vm1"))
    vm.tags = {"updated": "put"}
    vm.properties.hardware_profile.vm_size = "Standard_D4s_v5"
    made = await f.lro(f.compute.virtual_machines.begin_create_or_update(RG, "vm1", vm))
    assert isinstance(made, cm.VirtualMachine) and made.tags == {"updated": "put"}
    assert f.vm("vm1")["properties"]["hardwareProfile"]["vmSize"] == "Standard_D4s_v5"


@case("vm.update.patch")
async def _vm_update_patch(f: Face) -> None:
    made = await f.lro(f.compute.virtual_machines.begin_update(RG, "vm1", {"tags": {"updated": "patch"}}))
    assert isinstance(made, cm.VirtualMachine) and made.tags == {"updated": "patch"}
    assert f.vm("vm1")["tags"] == {"updated": "patch"}


@case("vm.get.expand_instance_view")
async def _vm_get_instance_view(f: Face) -> None:
    vm = await f.do(f.compute.virtual_machines.get(RG, "vm1", expand="instanceView"))
    assert isinstance(vm, cm.VirtualMachine)
    assert [s.code for s in vm.properties.instance_view.statuses][-1] == "PowerState/running"


@case("vm.get.expand_user_data")
async def _vm_get_user_data(f: Face) -> None:
    vm = await f.do(f.compute.virtual_machines.get(RG, "vm1", expand="userData"))
    assert isinstance(vm, cm.VirtualMachine) and vm.properties.user_data == USER_DATA
    plain = await f.do(f.compute.virtual_machines.get(RG, "vm1"))
    assert plain.properties.user_data is None


@case("vm.instance_view")
async def _vm_instance_view(f: Face) -> None:
    view = await f.do(f.compute.virtual_machines.instance_view(RG, "vm1"))
    assert isinstance(view, cm.VirtualMachineInstanceView)
    assert [s.code for s in view.statuses] == ["ProvisioningState/succeeded", "PowerState/running"]


@case("vm.list.filter_expand")
async def _vm_list_filter(f: Face) -> None:
    set_id = f.rid("Microsoft.Compute", "virtualMachineScaleSets", "web")
    vms = await f.items(
        f.compute.virtual_machines.list(
            RG, filter=f"'virtualMachineScaleSet/id' eq '{set_id}'", expand="instanceView"
        )
    )
    assert all(isinstance(vm, cm.VirtualMachine) for vm in vms)
    assert sorted(vm.name for vm in vms) == f.members("web")
    assert all(vm.properties.instance_view.statuses for vm in vms)


@case("vm.list_all")
async def _vm_list_all(f: Face) -> None:
    vms = await f.items(f.compute.virtual_machines.list_all())
    assert all(isinstance(vm, cm.VirtualMachine) for vm in vms)
    assert sorted(vm.name for vm in vms) == sorted(["spot1", "vm1", *f.members("web")])


@case("vm.delete.force")
async def _vm_delete(f: Face) -> None:
    assert await f.lro(f.compute.virtual_machines.begin_delete(RG, "vm1", force_deletion=True)) is None
    assert f.state("Microsoft.Compute", "virtualMachines", "vm1") is None
    nic = f.state("Microsoft.Network", "networkInterfaces", "vm1-nic")
    assert nic is not None and "virtualMachine" not in nic["properties"]  # deleteOption Detach


@case("vm.power_off")
async def _vm_power_off(f: Face) -> None:
    assert await f.lro(f.compute.virtual_machines.begin_power_off(RG, "vm1")) is None
    assert f.power("vm1") == "stopped"


@case("vm.start")
async def _vm_start(f: Face) -> None:
    await f.lro(f.compute.virtual_machines.begin_power_off(RG, "vm1"))
    assert await f.lro(f.compute.virtual_machines.begin_start(RG, "vm1")) is None
    assert f.power("vm1") == "running"


@case("vm.deallocate")
async def _vm_deallocate(f: Face) -> None:
    assert await f.lro(f.compute.virtual_machines.begin_deallocate(RG, "vm1")) is None
    assert f.power("vm1") == "deallocated"


def _action_case(method: str) -> Case:
    """An action whose visible effect is that the VM went through an operation: it ends
    Succeeded and running with a new ETag."""

    async def run(f: Face) -> None:
        etag = f.vm("vm1")["etag"]
        assert await f.lro(getattr(f.compute.virtual_machines, method)(RG, "vm1")) is None
        assert f.vm("vm1")["etag"] != etag and f.vm("vm1")["properties"]["provisioningState"] == "Succeeded"
        assert f.power("vm1") == "running"

    return run


for _method in ("restart", "redeploy", "reimage", "perform_maintenance"):
    CASES[f"vm.{_method}"] = _action_case(f"begin_{_method}")


@case("vm.simulate_eviction")
async def _vm_simulate_eviction(f: Face) -> None:
    assert await f.do(f.compute.virtual_machines.simulate_eviction(RG, "spot1")) is None
    assert f.power("spot1") == "deallocated"


@case("vm.run_command")
async def _vm_run_command(f: Face) -> None:
    result = await f.lro(
        f.compute.virtual_machines.begin_run_command(
            RG, "vm1", {"commandId": "RunShellScript", "script": ["echo covered"]}
        )
    )
    assert isinstance(result, cm.RunCommandResult) and "covered" in result.value[0].message


# --------------------------------------------------------------------------- resource SKUs


@case("resource_skus.list.filter")
async def _skus(f: Face) -> None:
    skus = await f.items(f.compute.resource_skus.list(filter=f"location eq '{LOC}'"))
    assert skus and all(isinstance(s, cm.ResourceSku) for s in skus)
    assert all(LOC in [loc.lower() for loc in s.locations] for s in skus)
    assert "Standard_D2s_v5" in [s.name for s in skus if s.resource_type == "virtualMachines"]


# --------------------------------------------------------------------------- the test


@pytest.fixture
def world(fast_emu: Emulator, _world: str) -> Iterator[Emulator]:
    fast_emu.restore(_world)
    yield fast_emu


@pytest.mark.parametrize("face", ["sync", "aio"])
@pytest.mark.parametrize("name", sorted(CASES))
async def test_operation_through_the_stock_client(world: Emulator, name: str, face: str) -> None:
    f = Face(world, aio=face == "aio")
    try:
        await CASES[name](f)
    finally:
        await f.close()


def test_the_table_covers_every_operation_of_the_brief() -> None:
    """The coverage table names every emulated operation the project promises."""
    expected = {
        *(f"rg.{op}" for op in ("create", "update", "get", "head", "list", "delete")),
        *(f"network.{k}.{op}" for k in NET_KINDS for op in ("create", "get", "list", "update", "delete")),
        *(f"disk.{op}" for op in ("create", "update", "get", "list", "delete")),
        "vmss.create",
        "vmss.update.put",
        "vmss.update.patch",
        "vmss.get",
        "vmss.list",
        "vmss.list_all",
        "vmss.delete.force",
        "vmss.delete_instances.force",
        "vm.create",
        "vm.update.put",
        "vm.update.patch",
        "vm.get.expand_instance_view",
        "vm.get.expand_user_data",
        "vm.instance_view",
        "vm.list.filter_expand",
        "vm.list_all",
        "vm.delete.force",
        *(
            f"vm.{a}"
            for a in (
                "start",
                "power_off",
                "deallocate",
                "restart",
                "redeploy",
                "reimage",
                "perform_maintenance",
                "simulate_eviction",
                "run_command",
            )
        ),
        "resource_skus.list.filter",
    }
    assert set(CASES) == expected
    assert set(NET_KINDS) == {"vnet", "subnet", "nat_gateway", "public_ip", "nic", "nsg", "load_balancer"}
