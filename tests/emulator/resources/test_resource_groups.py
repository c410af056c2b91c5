"""Resource groups: create, read, existence, list, tags, and deletion with its cascade."""

from __future__ import annotations

from typing import Any

from flexvmss.emulator.core import arm_id
from flexvmss.emulator.testing import TestClient

SUB = "00000000-0000-0000-0000-000000000001"
#: The network provider's api-version, for the resources a group holds.
NET_API = {"api-version": "2026-03-01"}

GROUPS = f"/subscriptions/{SUB}/resourcegroups"


def net_path(rg: str, collection: str, name: str, *child: str) -> str:
    return arm_id(SUB, rg, "Microsoft.Network", collection, name, *child)


def error(resp: Any) -> tuple[int, str]:
    return resp.status, resp.body["error"]["code"]


def test_create_get_head_update_list(h: TestClient) -> None:
    created = h.request("PUT", f"{GROUPS}/rg1", {"location": "West Europe", "tags": {"team": "a"}})
    assert created.status == 201
    assert created.body == {
        "id": f"/subscriptions/{SUB}/resourceGroups/rg1",
        "name": "rg1",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "westeurope",
        "properties": {"provisioningState": "Succeeded"},
        "tags": {"team": "a"},
    }
    assert (
        h.request("PUT", f"{GROUPS}/RG1", {"location": "westeurope"}).status == 200
    )  # case-insensitive name
    assert h.request("GET", f"/subscriptions/{SUB}/resourceGroups/rg1").body["name"] == "rg1"
    assert h.request("HEAD", f"{GROUPS}/rg1").status == 204
    assert h.request("HEAD", f"{GROUPS}/nope").status == 404
    assert error(h.request("GET", f"{GROUPS}/nope")) == (404, "ResourceGroupNotFound")
    assert h.request("PATCH", f"{GROUPS}/rg1", {"tags": {"x": "y"}}).body["tags"] == {"x": "y"}
    moved = h.request("PUT", f"{GROUPS}/rg1", {"location": "eastus"})
    assert error(moved) == (409, "InvalidResourceGroupLocation")
    assert error(h.request("PUT", f"{GROUPS}/rg2", {})) == (400, "LocationRequired")
    h.ctx.page_size = 1
    h.request("PUT", f"{GROUPS}/rg2", {"location": "eastus"})
    first = h.request("GET", GROUPS)
    assert [g["name"] for g in first.body["value"]] == ["rg1"] and "nextLink" in first.body
    assert [g["name"] for g in h.request("GET", f"{GROUPS}?$skiptoken=1").body["value"]] == ["rg2"]


def test_delete_polls_location_then_removes_everything_inside(h: TestClient) -> None:
    for rg in ("doomed", "kept"):
        h.request("PUT", f"{GROUPS}/{rg}", {"location": "eastus"})
    vnet = {
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        },
    }
    for rg in ("doomed", "kept"):
        assert h.request("PUT", net_path(rg, "virtualNetworks", "v"), vnet, query=NET_API).status == 201
    pip = h.request(
        "PUT", net_path("doomed", "publicIPAddresses", "ip"), {"location": "eastus"}, query=NET_API
    )
    nic = {
        "location": "eastus",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "c",
                    "properties": {
                        "subnet": {"id": net_path("doomed", "virtualNetworks", "v", "subnets", "s")},
                        "publicIPAddress": {"id": pip.body["id"]},
                    },
                }
            ]
        },
    }
    assert h.request("PUT", net_path("doomed", "networkInterfaces", "n"), nic, query=NET_API).status == 201
    h.settle()
    disk_id = arm_id(SUB, "doomed", "Microsoft.Compute", "disks", "d")  # any provider's resource goes too
    h.ctx.store.put({"id": disk_id, "name": "d", "type": "Microsoft.Compute/disks", "location": "eastus"})

    resp = h.request("DELETE", f"{GROUPS}/doomed")
    assert resp.status == 202 and resp.body is None
    location = resp.headers["Location"]
    assert "Azure-AsyncOperation" not in resp.headers
    assert f"/subscriptions/{SUB}/operationresults/" in location
    poll_path = location.split("://", 1)[1].split("/", 1)[1]
    assert h.request("GET", "/" + poll_path).status == 202
    assert h.request("GET", f"{GROUPS}/doomed").body["properties"]["provisioningState"] == "Deleting"
    again = h.request("DELETE", f"{GROUPS}/doomed")
    assert again.headers["Location"] == location  # the same deletion, not a second one
    blocked = h.request(
        "PUT", net_path("doomed", "networkSecurityGroups", "g"), {"location": "eastus"}, query=NET_API
    )
    assert error(blocked) == (409, "ResourceGroupBeingDeleted")

    h.settle()
    assert h.request("GET", "/" + poll_path).status == 200
    assert h.request("HEAD", f"{GROUPS}/doomed").status == 404
    assert h.ctx.store.in_resource_group(SUB, "doomed") == []
    assert h.ctx.store.get(disk_id) is None
    assert h.request("GET", net_path("kept", "virtualNetworks", "v"), query=NET_API).status == 200
    assert error(h.request("DELETE", f"{GROUPS}/doomed")) == (404, "ResourceGroupNotFound")
    # The group's name can be used again, empty.
    assert h.request("PUT", f"{GROUPS}/doomed", {"location": "eastus"}).status == 201
    assert h.ctx.store.in_resource_group(SUB, "doomed") == []


def test_failed_delete_keeps_group_and_reports_error(h: TestClient) -> None:
    h.request("PUT", f"{GROUPS}/rg", {"location": "eastus"})
    h.ctx.lro.outcome_hook = lambda req, kind: ("Failed", {"code": "Conflict", "message": "in use"})
    resp = h.request("DELETE", f"{GROUPS}/rg")
    h.settle()
    poll = h.request("GET", "/" + resp.headers["Location"].split("://", 1)[1].split("/", 1)[1])
    assert error(poll) == (409, "Conflict")
    assert h.request("GET", f"{GROUPS}/rg").body["properties"]["provisioningState"] == "Succeeded"


def test_unknown_operation_token_is_404(h: TestClient) -> None:
    assert h.request("GET", f"/subscriptions/{SUB}/operationresults/garbage").status == 404


def test_group_used_from_another_group_cannot_be_deleted(h: TestClient) -> None:
    for rg in ("shared", "app"):
        h.request("PUT", f"{GROUPS}/{rg}", {"location": "eastus"})
    vnet = {
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        },
    }
    h.request("PUT", net_path("shared", "virtualNetworks", "v"), vnet, query=NET_API)
    subnet = net_path("shared", "virtualNetworks", "v", "subnets", "s")
    nic = {
        "location": "eastus",
        "properties": {"ipConfigurations": [{"name": "c", "properties": {"subnet": {"id": subnet}}}]},
    }
    h.request("PUT", net_path("app", "networkInterfaces", "n"), nic, query=NET_API)
    h.settle()
    resp = h.request("DELETE", f"{GROUPS}/shared")
    h.settle()
    poll = h.request("GET", "/" + resp.headers["Location"].split("://", 1)[1].split("/", 1)[1])
    assert error(poll) == (409, "InUseSubnetCannotBeDeleted")
    assert h.request("GET", net_path("shared", "virtualNetworks", "v"), query=NET_API).status == 200
    # Deleting the user's group first, then the shared one, works.
    h.request("DELETE", f"{GROUPS}/app")
    h.settle()
    h.request("DELETE", f"{GROUPS}/shared")
    h.settle()
    assert h.request("HEAD", f"{GROUPS}/shared").status == 404


def test_nic_elsewhere_held_by_a_vm_of_the_group_is_released(h: TestClient) -> None:
    for rg in ("net", "vms"):
        h.request("PUT", f"{GROUPS}/{rg}", {"location": "eastus"})
    vnet = {
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        },
    }
    h.request("PUT", net_path("net", "virtualNetworks", "v"), vnet, query=NET_API)
    subnet = net_path("net", "virtualNetworks", "v", "subnets", "s")
    nic = {
        "location": "eastus",
        "properties": {"ipConfigurations": [{"name": "c", "properties": {"subnet": {"id": subnet}}}]},
    }
    nic_id = h.request("PUT", net_path("net", "networkInterfaces", "n"), nic, query=NET_API).body["id"]
    h.settle()
    vm_id = arm_id(SUB, "vms", "Microsoft.Compute", "virtualMachines", "vm")
    h.ctx.store.put(
        {"id": vm_id, "name": "vm", "type": "Microsoft.Compute/virtualMachines", "location": "eastus"}
    )
    h.ctx.store.get(nic_id)["properties"]["virtualMachine"] = {"id": vm_id}  # type: ignore[index]
    h.request("DELETE", f"{GROUPS}/vms")
    h.settle()
    nic_body = h.request("GET", nic_id, query=NET_API).body
    assert "virtualMachine" not in nic_body["properties"]
    assert error(h.request("DELETE", nic_id, query=NET_API)) == (
        400,
        "NicReservedForAnotherVm",
    )
    h.settle(181)
    assert h.request("DELETE", nic_id, query=NET_API).status == 200  # a NIC's DELETE answers 200
