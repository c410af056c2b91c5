"""CRUD, references and Azure's deletion refusals for every network resource type."""

from __future__ import annotations

from typing import Any

import pytest
from net_ids import RG, SUB, rid

from flexvmss.emulator.core import arm_id
from flexvmss.emulator.network import api as net
from flexvmss.emulator.testing import TestClient

SUBNET = rid("virtualNetworks", "v1", "subnets", "s1")
VM1 = arm_id(SUB, RG, "Microsoft.Compute", "virtualMachines", "vm1")


def nic_body(*, subnet: str = SUBNET, **ipc_props: Any) -> dict[str, Any]:
    return {
        "location": "eastus",
        "properties": {
            "ipConfigurations": [{"name": "ipc", "properties": {"subnet": {"id": subnet}, **ipc_props}}]
        },
    }


def error(resp: Any) -> tuple[int, str]:
    return resp.status, resp.body["error"]["code"]


def op_of(h: TestClient, resp: Any) -> Any:
    url = resp.headers["Azure-AsyncOperation"]
    return h.ctx.lro.get(url.split("/operations/")[1].split("?")[0])


# --------------------------------------------------------------------------- wire shape


def test_put_answers_201_updating_with_async_header_then_succeeds(h: TestClient) -> None:
    path = rid("publicIPAddresses", "ip1")
    resp = h.request("PUT", path, {"location": "East US", "tags": {"a": "b"}})
    assert resp.status == 201
    assert resp.body["properties"]["provisioningState"] == "Updating"
    assert "/providers/Microsoft.Network/locations/eastus/operations/" in resp.headers["Azure-AsyncOperation"]
    assert "Location" not in resp.headers
    assert resp.headers["ETag"] == resp.body["etag"] and resp.body["etag"].startswith('W/"')
    op = op_of(h, resp)
    assert h.ctx.lro.status_body(op) == {"status": "InProgress"}
    h.settle()
    assert h.ctx.lro.status_body(op) == {"status": "Succeeded"}
    got = h.request("GET", path).body
    assert got["properties"]["provisioningState"] == "Succeeded"
    assert got["location"] == "eastus" and got["tags"] == {"a": "b"}
    assert got["type"] == "Microsoft.Network/publicIPAddresses"
    again = h.request("PUT", path, {"location": "eastus"})
    assert again.status == 200
    assert again.body["properties"]["ipAddress"] == got["properties"]["ipAddress"]  # kept across updates
    assert again.body["properties"]["resourceGuid"] == got["properties"]["resourceGuid"]


def test_get_list_and_delete(h: TestClient) -> None:
    h.ctx.page_size = 2
    for i in range(3):
        h.create(rid("networkSecurityGroups", f"nsg{i}"), {"location": "eastus"})
    page = h.request(
        "GET", f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/networkSecurityGroups"
    )
    assert len(page.body["value"]) == 2 and "nextLink" in page.body
    everywhere = h.request(
        "GET",
        f"/subscriptions/{SUB}/providers/Microsoft.Network/networkSecurityGroups",
        query={"$skiptoken": "2"},
    )
    assert [n["name"] for n in everywhere.body["value"]] == ["nsg2"]
    resp = h.request("DELETE", rid("networkSecurityGroups", "nsg0"))
    assert resp.status == 202 and resp.body is None
    assert "monitor=true" in resp.headers["Location"] and "Azure-AsyncOperation" in resp.headers
    assert (
        h.request("GET", rid("networkSecurityGroups", "nsg0")).body["properties"]["provisioningState"]
        == "Deleting"
    )
    h.settle()
    assert error(h.request("GET", rid("networkSecurityGroups", "nsg0"))) == (404, "ResourceNotFound")
    assert h.request("DELETE", rid("networkSecurityGroups", "nsg0")).status == 204


def test_missing_resource_group_and_missing_location(h: TestClient) -> None:
    assert error(h.request("GET", rid("virtualNetworks", "v", rg="nope"))) == (404, "ResourceGroupNotFound")
    assert error(h.request("PUT", rid("virtualNetworks", "v", rg="nope"), {"location": "eastus"})) == (
        404,
        "ResourceGroupNotFound",
    )
    assert error(h.request("PUT", rid("virtualNetworks", "v"), {"properties": {}})) == (
        400,
        "LocationRequired",
    )


def test_etag_preconditions_and_tag_patch(h: TestClient) -> None:
    path = rid("natGateways", "n")
    body = h.create(path, {"location": "eastus"})
    assert error(h.request("PUT", path, {"location": "eastus"}, headers={"If-Match": 'W/"other"'})) == (
        412,
        "PreconditionFailed",
    )
    assert h.request("PUT", path, {"location": "eastus"}, headers={"If-Match": body["etag"]}).status == 200
    assert error(h.request("PUT", path, {"location": "eastus"}, headers={"If-None-Match": "*"}))[0] == 412
    patched = h.request("PATCH", path, {"tags": {"env": "x"}})
    assert patched.status == 200 and patched.body["tags"] == {"env": "x"}


def test_injected_failure_leaves_failed_state(h: TestClient) -> None:
    h.ctx.lro.outcome_hook = lambda req, kind: ("Failed", {"code": "InternalServerError", "message": "boom"})
    resp = h.request("PUT", rid("networkSecurityGroups", "f"), {"location": "eastus"})
    h.settle()
    assert h.ctx.lro.status_body(op_of(h, resp))["status"] == "Failed"
    assert (
        h.request("GET", rid("networkSecurityGroups", "f")).body["properties"]["provisioningState"]
        == "Failed"
    )


# --------------------------------------------------------------------------- vnets and subnets


def test_subnet_child_routes(h: TestClient, vnet: dict[str, Any]) -> None:
    assert vnet["properties"]["subnets"][0]["id"] == SUBNET
    path = rid("virtualNetworks", "v1", "subnets", "s2")
    resp = h.request("PUT", path, {"properties": {"addressPrefix": "10.0.1.0/24"}})
    assert resp.status == 201 and resp.body["id"] == path
    h.settle()
    names = [s["name"] for s in h.request("GET", f"{rid('virtualNetworks', 'v1')}/subnets").body["value"]]
    assert names == ["s1", "s2"]
    assert h.request("GET", path).body["properties"]["provisioningState"] == "Succeeded"
    assert h.request("DELETE", path).status == 202
    h.settle()
    assert error(h.request("GET", path)) == (404, "NotFound")
    assert h.request("DELETE", path).status == 204
    missing_parent = rid("virtualNetworks", "nov", "subnets", "s")
    assert error(h.request("PUT", missing_parent, {"properties": {"addressPrefix": "10.0.0.0/24"}})) == (
        404,
        "ResourceNotFound",
    )


def test_subnet_prefix_rules(h: TestClient, vnet: dict[str, Any]) -> None:
    outside = h.request(
        "PUT", rid("virtualNetworks", "v1", "subnets", "o"), {"properties": {"addressPrefix": "10.9.0.0/24"}}
    )
    assert error(outside) == (400, "NetcfgSubnetRangeOutsideVnet")
    overlap = h.request(
        "PUT", rid("virtualNetworks", "v1", "subnets", "o"), {"properties": {"addressPrefix": "10.0.0.0/25"}}
    )
    assert error(overlap) == (400, "NetcfgSubnetRangesOverlap")


def test_subnet_back_references_survive_get_modify_put(h: TestClient, vnet: dict[str, Any]) -> None:
    nic = h.create(rid("networkInterfaces", "n"), nic_body())
    subnet = h.request("GET", SUBNET).body
    assert subnet["properties"]["ipConfigurations"] == [
        {"id": nic["properties"]["ipConfigurations"][0]["id"]}
    ]
    subnet["properties"]["ipConfigurations"] = [{"id": "/bogus"}]  # read-only: ignored
    h.create(SUBNET, subnet)
    whole = h.create(rid("virtualNetworks", "v1"), h.request("GET", rid("virtualNetworks", "v1")).body)
    assert whole["properties"]["subnets"][0]["properties"]["ipConfigurations"] == [
        {"id": nic["properties"]["ipConfigurations"][0]["id"]}
    ]


def test_in_use_subnet_and_vnet_cannot_be_deleted(h: TestClient, vnet: dict[str, Any]) -> None:
    h.create(rid("networkInterfaces", "n"), nic_body())
    assert error(h.request("DELETE", SUBNET)) == (400, "InUseSubnetCannotBeDeleted")
    assert error(h.request("DELETE", rid("virtualNetworks", "v1"))) == (400, "InUseSubnetCannotBeDeleted")
    # Dropping the subnet from a vnet PUT is refused the same way.
    dropped = h.request(
        "PUT",
        rid("virtualNetworks", "v1"),
        {"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}},
    )
    assert error(dropped) == (400, "InUseSubnetCannotBeDeleted")
    assert h.request("DELETE", rid("networkInterfaces", "n")).status == 200  # a NIC's DELETE: 200
    h.settle()
    assert h.request("DELETE", rid("virtualNetworks", "v1")).status == 202
    h.settle()
    assert h.request("GET", rid("virtualNetworks", "v1")).status == 404


# --------------------------------------------------------------------------- NICs


def test_nic_private_ips_static_in_use_and_full_subnet(h: TestClient) -> None:
    h.create(
        rid("virtualNetworks", "small"),
        {
            "location": "eastus",
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                "subnets": [{"name": "tiny", "properties": {"addressPrefix": "10.1.0.0/29"}}],
            },
        },
    )
    tiny = rid("virtualNetworks", "small", "subnets", "tiny")
    static = h.create(
        rid("networkInterfaces", "st"),
        nic_body(subnet=tiny, privateIPAllocationMethod="Static", privateIPAddress="10.1.0.6"),
    )
    assert static["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"] == "10.1.0.6"
    clash = h.request(
        "PUT",
        rid("networkInterfaces", "c"),
        nic_body(subnet=tiny, privateIPAllocationMethod="Static", privateIPAddress="10.1.0.6"),
    )
    assert error(clash) == (400, "PrivateIPAddressInUse")
    ips = [
        h.create(rid("networkInterfaces", f"d{i}"), nic_body(subnet=tiny))["properties"]["ipConfigurations"][
            0
        ]["properties"]["privateIPAddress"]
        for i in range(2)
    ]
    assert ips == ["10.1.0.4", "10.1.0.5"]  # .0-.3 and .7 are Azure's
    assert error(h.request("PUT", rid("networkInterfaces", "full"), nic_body(subnet=tiny))) == (
        400,
        "SubnetIsFull",
    )


def test_nic_references_are_validated(h: TestClient, vnet: dict[str, Any]) -> None:
    bad_subnet = h.request(
        "PUT", rid("networkInterfaces", "n"), nic_body(subnet=rid("virtualNetworks", "v1", "subnets", "x"))
    )
    assert error(bad_subnet) == (400, "InvalidResourceReference")
    assert "was not found" in bad_subnet.body["error"]["message"]
    other_region = h.request("PUT", rid("networkInterfaces", "n"), {**nic_body(), "location": "westeurope"})
    assert error(other_region) == (400, "InvalidResourceReference")
    no_ipc = h.request("PUT", rid("networkInterfaces", "n"), {"location": "eastus", "properties": {}})
    assert no_ipc.status == 400
    assert h.request("GET", rid("networkInterfaces", "n")).status == 404


def test_nic_attached_to_vm_cannot_be_deleted(h: TestClient, vnet: dict[str, Any]) -> None:
    nic = h.create(rid("networkInterfaces", "n"), nic_body())
    net.attach_nic(h.ctx, nic["id"], VM1)
    refused = h.request("DELETE", nic["id"])
    assert error(refused) == (400, "NicInUse")
    assert VM1 in refused.body["error"]["message"]
    # A client PUT cannot clear the read-only virtualMachine reference.
    assert h.create(nic["id"], nic_body())["properties"]["virtualMachine"]["id"] == VM1


# --------------------------------------------------------------------------- public IPs, NSGs, NAT gateways


def test_public_ip_in_use_cannot_be_deleted(h: TestClient, vnet: dict[str, Any]) -> None:
    pip = h.create(rid("publicIPAddresses", "p"), {"location": "eastus", "sku": {"name": "Standard"}})
    nic = h.create(rid("networkInterfaces", "n"), nic_body(publicIPAddress={"id": pip["id"]}))
    refused = h.request("DELETE", pip["id"])
    assert error(refused) == (400, "PublicIPAddressCannotBeDeleted")
    assert nic["properties"]["ipConfigurations"][0]["id"] in refused.body["error"]["message"]
    second = h.request("PUT", rid("networkInterfaces", "n2"), nic_body(publicIPAddress={"id": pip["id"]}))
    assert error(second) == (400, "PublicIPAddressInUse")
    h.create(nic["id"], nic_body())  # disassociate
    assert h.request("DELETE", pip["id"]).status == 202


def test_public_ip_sku_rules(h: TestClient) -> None:
    basic = h.create(rid("publicIPAddresses", "b"), {"location": "eastus", "sku": {"name": "Basic"}})
    assert basic["properties"]["publicIPAllocationMethod"] == "Dynamic"
    dyn = h.request(
        "PUT",
        rid("publicIPAddresses", "s"),
        {
            "location": "eastus",
            "sku": {"name": "Standard"},
            "properties": {"publicIPAllocationMethod": "Dynamic"},
        },
    )
    assert error(dyn) == (400, "StandardSkuPublicIPAddressesMustBeStatic")


def test_nsg_defaults_and_in_use(h: TestClient, vnet: dict[str, Any]) -> None:
    nsg = h.create(
        rid("networkSecurityGroups", "g"),
        {
            "location": "eastus",
            "properties": {
                "securityRules": [
                    {
                        "name": "ssh",
                        "properties": {
                            "protocol": "Tcp",
                            "access": "Allow",
                            "direction": "Inbound",
                            "priority": 100,
                            "sourceAddressPrefix": "*",
                            "destinationAddressPrefix": "*",
                            "sourcePortRange": "*",
                            "destinationPortRange": "22",
                        },
                    }
                ]
            },
        },
    )
    assert [r["name"] for r in nsg["properties"]["defaultSecurityRules"]] == [
        "AllowVnetInBound",
        "AllowAzureLoadBalancerInBound",
        "DenyAllInBound",
        "AllowVnetOutBound",
        "AllowInternetOutBound",
        "DenyAllOutBound",
    ]
    assert nsg["properties"]["securityRules"][0]["id"] == f"{nsg['id']}/securityRules/ssh"
    nic = h.create(
        rid("networkInterfaces", "n"),
        {**nic_body(), "properties": {**nic_body()["properties"], "networkSecurityGroup": {"id": nsg["id"]}}},
    )
    h.create(
        SUBNET, {"properties": {"addressPrefix": "10.0.0.0/24", "networkSecurityGroup": {"id": nsg["id"]}}}
    )
    got = h.request("GET", nsg["id"]).body["properties"]
    assert got["networkInterfaces"] == [{"id": nic["id"]}] and got["subnets"] == [{"id": SUBNET}]
    assert error(h.request("DELETE", nsg["id"])) == (400, "InUseNetworkSecurityGroupCannotBeDeleted")


def test_nat_gateway_links_and_in_use(h: TestClient, vnet: dict[str, Any]) -> None:
    pip = h.create(rid("publicIPAddresses", "p"), {"location": "eastus"})
    ngw = h.create(
        rid("natGateways", "g"),
        {"location": "eastus", "properties": {"publicIpAddresses": [{"id": pip["id"]}]}},
    )
    assert ngw["sku"] == {"name": "Standard", "tier": "Regional"}
    assert h.request("GET", pip["id"]).body["properties"]["natGateway"] == {"id": ngw["id"]}
    assert error(h.request("DELETE", pip["id"])) == (400, "PublicIPAddressCannotBeDeleted")
    h.create(SUBNET, {"properties": {"addressPrefix": "10.0.0.0/24", "natGateway": {"id": ngw["id"]}}})
    assert h.request("GET", ngw["id"]).body["properties"]["subnets"] == [{"id": SUBNET}]
    assert error(h.request("DELETE", ngw["id"])) == (400, "InUseNatGatewayCannotBeDeleted")
    h.create(SUBNET, {"properties": {"addressPrefix": "10.0.0.0/24"}})
    assert h.request("DELETE", ngw["id"]).status == 202
    h.settle()
    assert "natGateway" not in h.request("GET", pip["id"]).body["properties"]


# --------------------------------------------------------------------------- load balancers


def lb_body(pip_id: str, lb_id: str, **extra: Any) -> dict[str, Any]:
    fe, pool = f"{lb_id}/frontendIPConfigurations/fe", f"{lb_id}/backendAddressPools/pool"
    return {
        "location": "eastus",
        "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [{"name": "fe", "properties": {"publicIPAddress": {"id": pip_id}}}],
            "backendAddressPools": [{"name": "pool"}],
            "probes": [{"name": "hp", "properties": {"protocol": "Tcp", "port": 22}}],
            "inboundNatRules": [
                {
                    "name": "nat",
                    "properties": {
                        "frontendIPConfiguration": {"id": fe},
                        "backendAddressPool": {"id": pool},
                        "protocol": "Tcp",
                        "frontendPortRangeStart": 50000,
                        "frontendPortRangeEnd": 50119,
                        "backendPort": 22,
                    },
                }
            ],
            "outboundRules": [
                {
                    "name": "out",
                    "properties": {
                        "frontendIPConfigurations": [{"id": fe}],
                        "backendAddressPool": {"id": pool},
                        "protocol": "All",
                    },
                }
            ],
            **extra,
        },
    }


def test_load_balancer_children_and_back_references(h: TestClient, vnet: dict[str, Any]) -> None:
    pip = h.create(rid("publicIPAddresses", "lbip"), {"location": "eastus"})
    lb_id = rid("loadBalancers", "lb")
    lb = h.create(
        lb_id,
        lb_body(
            pip["id"],
            lb_id,
            inboundNatPools=[
                {
                    "name": "legacy",
                    "properties": {
                        "frontendIPConfiguration": {"id": f"{lb_id}/frontendIPConfigurations/fe"},
                        "protocol": "Tcp",
                        "frontendPortRangeStart": 50000,
                        "frontendPortRangeEnd": 50100,
                        "backendPort": 22,
                    },
                }
            ],
        ),
    )
    assert lb["sku"]["name"] == "Standard"
    assert lb["properties"]["inboundNatPools"][0]["type"] == "Microsoft.Network/loadBalancers/inboundNatPools"
    pool = lb["properties"]["backendAddressPools"][0]
    assert pool["id"] == f"{lb_id}/backendAddressPools/pool"
    assert h.request("GET", pip["id"]).body["properties"]["ipConfiguration"] == {
        "id": lb["properties"]["frontendIPConfigurations"][0]["id"]
    }
    nic = h.create(
        rid("networkInterfaces", "n"), nic_body(loadBalancerBackendAddressPools=[{"id": pool["id"]}])
    )
    members = h.request("GET", lb_id).body["properties"]["backendAddressPools"][0]["properties"][
        "backendIPConfigurations"
    ]
    assert members == [{"id": nic["properties"]["ipConfigurations"][0]["id"]}]
    assert error(h.request("DELETE", lb_id)) == (400, "InUseLoadBalancerCannotBeDeleted")
    assert error(h.request("DELETE", pip["id"])) == (400, "PublicIPAddressCannotBeDeleted")
    h.create(nic["id"], nic_body())
    assert h.request("DELETE", lb_id).status == 202
    h.settle()
    assert "ipConfiguration" not in h.request("GET", pip["id"]).body["properties"]


def test_load_balancer_internal_references_checked(h: TestClient) -> None:
    pip = h.create(rid("publicIPAddresses", "lbip"), {"location": "eastus"})
    lb_id = rid("loadBalancers", "lb")
    body = lb_body(pip["id"], lb_id)
    body["properties"]["outboundRules"][0]["properties"]["backendAddressPool"]["id"] = (
        f"{lb_id}/backendAddressPools/x"
    )
    assert error(h.request("PUT", lb_id, body)) == (400, "InvalidResourceReference")


@pytest.mark.parametrize(
    "collection",
    [
        "virtualNetworks",
        "natGateways",
        "publicIPAddresses",
        "networkInterfaces",
        "networkSecurityGroups",
        "loadBalancers",
    ],
)
def test_every_type_answers_404_with_arm_text(h: TestClient, collection: str) -> None:
    resp = h.request("GET", rid(collection, "ghost"))
    assert error(resp) == (404, "ResourceNotFound")
    assert (
        f"'Microsoft.Network/{collection}/ghost' under resource group '{RG}'" in resp.body["error"]["message"]
    )


# --------------------------------------------------------------------------- child routes


def test_load_balancer_child_routes_and_pool_in_use(h: TestClient, vnet: dict[str, Any]) -> None:
    pip = h.create(rid("publicIPAddresses", "lbip"), {"location": "eastus"})
    lb_id = rid("loadBalancers", "lb")
    h.create(lb_id, lb_body(pip["id"], lb_id))
    extra = f"{lb_id}/backendAddressPools/extra"
    created = h.request("PUT", extra, {"properties": {}})
    assert (
        created.status == 201
        and created.body["type"] == "Microsoft.Network/loadBalancers/backendAddressPools"
    )
    h.settle()
    pools = h.request("GET", f"{lb_id}/backendAddressPools").body["value"]
    assert [p["name"] for p in pools] == ["pool", "extra"]
    assert h.request("GET", f"{lb_id}/probes/hp").body["properties"]["port"] == 22
    assert h.request("PUT", f"{lb_id}/probes/hp", {"properties": {}}).status == 405  # read-only child route
    nic = h.create(rid("networkInterfaces", "n"), nic_body(loadBalancerBackendAddressPools=[{"id": extra}]))
    assert error(h.request("DELETE", extra)) == (400, "InUseBackendAddressPoolCannotBeDeleted")
    without = lb_body(pip["id"], lb_id)  # a PUT that leaves the used pool out
    assert error(h.request("PUT", lb_id, without)) == (400, "InUseBackendAddressPoolCannotBeDeleted")
    ipc = h.request("GET", f"{nic['id']}/ipConfigurations/ipc").body
    assert ipc["properties"]["loadBalancerBackendAddressPools"] == [{"id": extra}]
    h.create(nic["id"], nic_body())
    assert h.request("DELETE", extra).status == 202
    h.settle()
    assert error(h.request("GET", extra)) == (404, "NotFound")


def test_security_rule_child_route(h: TestClient) -> None:
    nsg = h.create(rid("networkSecurityGroups", "g"), {"location": "eastus"})
    rule = {
        "properties": {
            "protocol": "Tcp",
            "access": "Allow",
            "direction": "Inbound",
            "priority": 200,
            "sourceAddressPrefix": "*",
            "destinationAddressPrefix": "*",
            "sourcePortRange": "*",
            "destinationPortRange": "443",
        }
    }
    assert h.create(f"{nsg['id']}/securityRules/https", rule)["properties"]["destinationPortRange"] == "443"
    assert [r["name"] for r in h.request("GET", nsg["id"]).body["properties"]["securityRules"]] == ["https"]
    assert len(h.request("GET", f"{nsg['id']}/defaultSecurityRules").body["value"]) == 6


def test_in_use_subnet_prefix_cannot_change(h: TestClient, vnet: dict[str, Any]) -> None:
    h.create(rid("networkInterfaces", "n"), nic_body())
    resp = h.request("PUT", SUBNET, {"properties": {"addressPrefix": "10.0.0.0/25"}})
    assert error(resp) == (400, "InUseSubnetCannotBeUpdated")
