"""The compute-facing interface: NIC creation for VMs, attach/release, outbound paths."""

from __future__ import annotations

import re
from typing import Any

import pytest
from net_ids import RG, SUB, rid

from flexvmss.emulator.core import ArmError, arm_id
from flexvmss.emulator.network import api as net
from flexvmss.emulator.testing import TestClient

VM1 = arm_id(SUB, RG, "Microsoft.Compute", "virtualMachines", "vm1")
VM2 = arm_id(SUB, RG, "Microsoft.Compute", "virtualMachines", "vm2")
SUBNET = rid("virtualNetworks", "v1", "subnets", "s1")


def nic_config(**ipc_extra: Any) -> dict[str, Any]:
    return {
        "name": "nicconf",
        "properties": {
            "primary": True,
            "ipConfigurations": [
                {"name": "ipc", "properties": {"subnet": {"id": SUBNET}, "primary": True, **ipc_extra}}
            ],
        },
    }


def make_nic(h: TestClient, name: str = "nic1", vm: str | None = VM1, **ipc_extra: Any) -> dict[str, Any]:
    return net.create_nic(
        h.ctx,
        subscription_id=SUB,
        resource_group=RG,
        name=name,
        location="eastus",
        nic_config=nic_config(**ipc_extra),
        vm_id=vm,
    )


def test_create_nic_allocates_ip_links_subnet_and_vm(h: TestClient, vnet: dict[str, Any]) -> None:
    nic = make_nic(h)
    assert nic["properties"]["provisioningState"] == "Succeeded"
    assert nic["properties"]["virtualMachine"] == {"id": VM1}
    assert re.fullmatch(r"00-0D-3A(-[0-9A-F]{2}){3}", nic["properties"]["macAddress"])
    ipc = nic["properties"]["ipConfigurations"][0]
    assert ipc["properties"]["privateIPAddress"] == "10.0.0.4"
    subnet = net.get_subnet(h.ctx, SUBNET)
    assert subnet is not None
    assert subnet["properties"]["ipConfigurations"] == [{"id": ipc["id"]}]
    second = make_nic(h, "nic2", VM2)
    assert second["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.0.0.5"
    # Visible through the HTTP face too.
    assert h.request("GET", nic["id"]).body["properties"]["virtualMachine"]["id"] == VM1


def test_create_nic_with_public_ip_config(h: TestClient, vnet: dict[str, Any]) -> None:
    nic = make_nic(h, publicIPAddressConfiguration={"name": "pub", "properties": {"deleteOption": "Delete"}})
    pip_id = nic["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"]
    pip = h.request("GET", pip_id).body
    assert pip["sku"]["name"] == "Standard"
    assert pip["properties"]["publicIPAllocationMethod"] == "Static"
    assert pip["properties"]["ipAddress"]
    assert pip["properties"]["deleteOption"] == "Delete"
    assert pip["properties"]["ipConfiguration"]["id"] == nic["properties"]["ipConfigurations"][0]["id"]
    assert net.outbound_path(h.ctx, subnet_id=SUBNET, backend_pool_ids=[], has_public_ip=True) == "publicIp"


def test_create_nic_missing_subnet_creates_nothing(h: TestClient, vnet: dict[str, Any]) -> None:
    cfg = nic_config(publicIPAddressConfiguration={"name": "pub"})
    cfg["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] = rid(
        "virtualNetworks", "v1", "subnets", "x"
    )
    with pytest.raises(ArmError) as err:
        net.create_nic(
            h.ctx,
            subscription_id=SUB,
            resource_group=RG,
            name="n",
            location="eastus",
            nic_config=cfg,
            vm_id=VM1,
        )
    assert err.value.status == 400 and err.value.code == "InvalidResourceReference"
    assert h.ctx.store.list("Microsoft.Network/networkInterfaces") == []
    assert h.ctx.store.list("Microsoft.Network/publicIPAddresses") == []


def test_create_nic_unknown_pool_and_nsg_refused(h: TestClient, vnet: dict[str, Any]) -> None:
    with pytest.raises(ArmError) as err:
        make_nic(
            h,
            loadBalancerBackendAddressPools=[{"id": rid("loadBalancers", "lb", "backendAddressPools", "p")}],
        )
    assert err.value.code == "InvalidResourceReference"
    cfg = nic_config()
    cfg["properties"]["networkSecurityGroup"] = {"id": rid("networkSecurityGroups", "nope")}
    with pytest.raises(ArmError) as err:
        net.create_nic(
            h.ctx,
            subscription_id=SUB,
            resource_group=RG,
            name="n",
            location="eastus",
            nic_config=cfg,
            vm_id=VM1,
        )
    assert err.value.code == "InvalidResourceReference"


def test_attach_nic_rules(h: TestClient, vnet: dict[str, Any]) -> None:
    nic = make_nic(h, vm=None)
    assert "virtualMachine" not in nic["properties"]
    assert net.attach_nic(h.ctx, nic["id"], VM1)["properties"]["virtualMachine"]["id"] == VM1
    net.attach_nic(h.ctx, nic["id"], VM1)  # same VM: no-op
    with pytest.raises(ArmError) as err:
        net.attach_nic(h.ctx, nic["id"], VM2)
    assert (err.value.status, err.value.code) == (400, "NicInUse")
    with pytest.raises(ArmError) as err:
        net.attach_nic(h.ctx, rid("networkInterfaces", "absent"), VM1)
    assert err.value.status == 404


def test_release_detach_reserves_nic_for_180_seconds(h: TestClient, vnet: dict[str, Any]) -> None:
    nic = make_nic(h)
    net.release_nic(h.ctx, nic["id"], delete=False)
    assert "virtualMachine" not in h.request("GET", nic["id"]).body["properties"]
    with pytest.raises(ArmError) as err:
        net.attach_nic(h.ctx, nic["id"], VM2)
    assert err.value.code == "NicReservedForAnotherVm"
    assert "Reserved VM: " + VM1 in err.value.message
    refused = h.request("DELETE", nic["id"])
    assert refused.status == 400 and refused.body["error"]["code"] == "NicReservedForAnotherVm"
    h.ctx.clock.advance(179)
    with pytest.raises(ArmError):
        net.attach_nic(h.ctx, nic["id"], VM2)
    h.ctx.clock.advance(2)
    assert net.attach_nic(h.ctx, nic["id"], VM2)["properties"]["virtualMachine"]["id"] == VM2


def test_release_delete_honours_public_ip_delete_option(h: TestClient, vnet: dict[str, Any]) -> None:
    gone = make_nic(
        h, "a", publicIPAddressConfiguration={"name": "p", "properties": {"deleteOption": "Delete"}}
    )
    kept = make_nic(
        h, "b", VM2, publicIPAddressConfiguration={"name": "p", "properties": {"deleteOption": "Detach"}}
    )
    gone_pip = gone["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"]
    kept_pip = kept["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"]
    net.release_nic(h.ctx, gone["id"], delete=True)
    net.release_nic(h.ctx, kept["id"], delete=True)
    assert h.request("GET", gone["id"]).status == 404
    assert h.request("GET", gone_pip).status == 404
    pip = h.request("GET", kept_pip).body
    assert "ipConfiguration" not in pip["properties"]
    assert h.request("DELETE", kept_pip).status == 202  # now deletable
    assert "ipConfigurations" not in (net.get_subnet(h.ctx, SUBNET) or {})["properties"]
    # Their addresses are free again.
    assert (
        make_nic(h, "c")["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.0.0.4"
    )
    net.release_nic(h.ctx, rid("networkInterfaces", "absent"), delete=True)  # no-op


def test_release_for_a_rollback_deletes_every_public_ip(h: TestClient, vnet: dict[str, Any]) -> None:
    """A refused request undoes what it made: ``delete_public_ips="all"`` removes even a
    public IP whose deleteOption is Detach, and the address it held is free again."""
    nic = make_nic(
        h, "a", publicIPAddressConfiguration={"name": "p", "properties": {"deleteOption": "Detach"}}
    )
    pip_id = nic["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"]
    net.release_nic(h.ctx, nic["id"], delete=True, delete_public_ips="all")
    assert h.request("GET", nic["id"]).status == 404
    assert h.request("GET", pip_id).status == 404
    again = make_nic(
        h, "a", publicIPAddressConfiguration={"name": "p", "properties": {"deleteOption": "Detach"}}
    )
    assert again["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"] == pip_id
    with pytest.raises(ValueError, match="delete_public_ips"):
        net.release_nic(h.ctx, again["id"], delete=True, delete_public_ips="some")  # type: ignore[arg-type]
    assert h.request("GET", pip_id).status == 200


def test_outbound_path(h: TestClient, vnet: dict[str, Any]) -> None:
    # New subnets are private (Azure's default for VNets created since 2026-03-31).
    assert net.get_subnet(h.ctx, SUBNET)["properties"]["defaultOutboundAccess"] is False  # type: ignore[index]
    assert net.outbound_path(h.ctx, subnet_id=SUBNET, backend_pool_ids=[], has_public_ip=False) is None
    h.create(SUBNET, {"properties": {"addressPrefix": "10.0.0.0/24", "defaultOutboundAccess": True}})
    assert net.outbound_path(h.ctx, subnet_id=SUBNET, backend_pool_ids=[], has_public_ip=False) == "default"
    h.create(SUBNET, {"properties": {"addressPrefix": "10.0.0.0/24", "defaultOutboundAccess": False}})
    # A Standard LB with a public frontend gives its backend pools outbound access (with or
    # without a rule on the pool); an internal one does not.
    pip = h.create(rid("publicIPAddresses", "lbip"), {"location": "eastus", "sku": {"name": "Standard"}})
    lb_id = rid("loadBalancers", "lb")
    fe, pool = f"{lb_id}/frontendIPConfigurations/fe", f"{lb_id}/backendAddressPools/pool"
    lb = {
        "location": "eastus",
        "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [
                {"name": "fe", "properties": {"publicIPAddress": {"id": pip["id"]}}}
            ],
            "backendAddressPools": [{"name": "pool"}, {"name": "internal"}],
            "loadBalancingRules": [
                {
                    "name": "r",
                    "properties": {
                        "frontendIPConfiguration": {"id": fe},
                        "backendAddressPool": {"id": pool},
                        "protocol": "Tcp",
                        "frontendPort": 80,
                        "backendPort": 80,
                    },
                }
            ],
        },
    }
    h.create(lb_id, lb)
    assert (
        net.outbound_path(h.ctx, subnet_id=SUBNET, backend_pool_ids=[pool], has_public_ip=False)
        == "loadBalancer"
    )
    no_rule = f"{lb_id}/backendAddressPools/internal"
    assert (
        net.outbound_path(h.ctx, subnet_id=SUBNET, backend_pool_ids=[no_rule], has_public_ip=False)
        == "loadBalancer"
    )
    ilb_id = rid("loadBalancers", "ilb")
    ilb = {
        "location": "eastus",
        "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [{"name": "fe", "properties": {"subnet": {"id": SUBNET}}}],
            "backendAddressPools": [{"name": "pool"}],
        },
    }
    h.create(ilb_id, ilb)
    internal = f"{ilb_id}/backendAddressPools/pool"
    assert (
        net.outbound_path(h.ctx, subnet_id=SUBNET, backend_pool_ids=[internal], has_public_ip=False) is None
    )
    # A NAT gateway on the subnet wins over everything but a public IP.
    ngw_pip = h.create(rid("publicIPAddresses", "natip"), {"location": "eastus", "sku": {"name": "Standard"}})
    ngw = h.create(
        rid("natGateways", "ngw"),
        {"location": "eastus", "properties": {"publicIpAddresses": [{"id": ngw_pip["id"]}]}},
    )
    h.create(
        SUBNET,
        {
            "properties": {
                "addressPrefix": "10.0.0.0/24",
                "defaultOutboundAccess": False,
                "natGateway": {"id": ngw["id"]},
            }
        },
    )
    assert (
        net.outbound_path(h.ctx, subnet_id=SUBNET, backend_pool_ids=[], has_public_ip=False) == "natGateway"
    )
