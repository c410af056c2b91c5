"""Resource groups: create, read, existence, list, tags, and deletion with its cascade."""

from __future__ import annotations

from typing import Any

from rg_harness import SUB, Harness

from flexvmss.emulator.core import arm_id

GROUPS = f"/subscriptions/{SUB}/resourcegroups"


def net_path(rg: str, collection: str, name: str, *child: str) -> str:
    return arm_id(SUB, rg, "Microsoft.Network", collection, name, *child)


def error(resp: Any) -> tuple[int, str]:
    return resp.status, resp.body["error"]["code"]


def test_create_get_head_update_list(h: Harness) -> None:
    created = h.call("PUT", f"{GROUPS}/rg1", {"location": "West Europe", "tags": {"team": "a"}})
    assert created.status == 201
    assert created.body == {
        "id": f"/subscriptions/{SUB}/resourceGroups/rg1",
        "name": "rg1",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "westeurope",
        "properties": {"provisioningState": "Succeeded"},
        "tags": {"team": "a"},
    }
    assert h.call("PUT", f"{GROUPS}/RG1", {"location": "westeurope"}).status == 200  # case-insensitive name
    assert h.call("GET", f"/subscriptions/{SUB}/resourceGroups/rg1").body["name"] == "rg1"
    assert h.call("HEAD", f"{GROUPS}/rg1").status == 204
    assert h.call("HEAD", f"{GROUPS}/nope").status == 404
    assert error(h.call("GET", f"{GROUPS}/nope")) == (404, "ResourceGroupNotFound")
    assert h.call("PATCH", f"{GROUPS}/rg1", {"tags": {"x": "y"}}).body["tags"] == {"x": "y"}
    moved = h.call("PUT", f"{GROUPS}/rg1", {"location": "eastus"})
    assert error(moved) == (409, "InvalidResourceGroupLocation")
    assert error(h.call("PUT", f"{GROUPS}/rg2", {})) == (400, "LocationRequired")
    h.ctx.page_size = 1
    h.call("PUT", f"{GROUPS}/rg2", {"location": "eastus"})
    first = h.call("GET", GROUPS)
    assert [g["name"] for g in first.body["value"]] == ["rg1"] and "nextLink" in first.body
    assert [g["name"] for g in h.call("GET", f"{GROUPS}?$skiptoken=1").body["value"]] == ["rg2"]


def test_delete_polls_location_then_removes_everything_inside(h: Harness) -> None:
    for rg in ("doomed", "kept"):
        h.call("PUT", f"{GROUPS}/{rg}", {"location": "eastus"})
    vnet = {
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        },
    }
    for rg in ("doomed", "kept"):
        assert h.call("PUT", net_path(rg, "virtualNetworks", "v"), vnet, api="2026-03-01").status == 201
    pip = h.call(
        "PUT", net_path("doomed", "publicIPAddresses", "ip"), {"location": "eastus"}, api="2026-03-01"
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
    assert h.call("PUT", net_path("doomed", "networkInterfaces", "n"), nic, api="2026-03-01").status == 201
    h.settle()
    disk_id = arm_id(SUB, "doomed", "Microsoft.Compute", "disks", "d")  # any provider's resource goes too
    h.ctx.store.put({"id": disk_id, "name": "d", "type": "Microsoft.Compute/disks", "location": "eastus"})

    resp = h.call("DELETE", f"{GROUPS}/doomed")
    assert resp.status == 202 and resp.body is None
    location = resp.headers["Location"]
    assert "Azure-AsyncOperation" not in resp.headers
    assert f"/subscriptions/{SUB}/operationresults/" in location
    poll_path = location.split("://", 1)[1].split("/", 1)[1]
    assert h.call("GET", "/" + poll_path).status == 202
    assert h.call("GET", f"{GROUPS}/doomed").body["properties"]["provisioningState"] == "Deleting"
    again = h.call("DELETE", f"{GROUPS}/doomed")
    assert again.headers["Location"] == location  # the same deletion, not a second one
    blocked = h.call(
        "PUT", net_path("doomed", "networkSecurityGroups", "g"), {"location": "eastus"}, api="2026-03-01"
    )
    assert error(blocked) == (409, "ResourceGroupBeingDeleted")

    h.settle()
    assert h.call("GET", "/" + poll_path).status == 200
    assert h.call("HEAD", f"{GROUPS}/doomed").status == 404
    assert h.ctx.store.in_resource_group(SUB, "doomed") == []
    assert h.ctx.store.get(disk_id) is None
    assert h.call("GET", net_path("kept", "virtualNetworks", "v"), api="2026-03-01").status == 200
    assert error(h.call("DELETE", f"{GROUPS}/doomed")) == (404, "ResourceGroupNotFound")
    # The group's name can be used again, empty.
    assert h.call("PUT", f"{GROUPS}/doomed", {"location": "eastus"}).status == 201
    assert h.ctx.store.in_resource_group(SUB, "doomed") == []


def test_failed_delete_keeps_group_and_reports_error(h: Harness) -> None:
    h.call("PUT", f"{GROUPS}/rg", {"location": "eastus"})
    h.ctx.lro.outcome_hook = lambda req, kind: ("Failed", {"code": "Conflict", "message": "in use"})
    resp = h.call("DELETE", f"{GROUPS}/rg")
    h.settle()
    poll = h.call("GET", "/" + resp.headers["Location"].split("://", 1)[1].split("/", 1)[1])
    assert error(poll) == (409, "Conflict")
    assert h.call("GET", f"{GROUPS}/rg").body["properties"]["provisioningState"] == "Succeeded"


def test_unknown_operation_token_is_404(h: Harness) -> None:
    assert h.call("GET", f"/subscriptions/{SUB}/operationresults/garbage").status == 404


def test_group_used_from_another_group_cannot_be_deleted(h: Harness) -> None:
    for rg in ("shared", "app"):
        h.call("PUT", f"{GROUPS}/{rg}", {"location": "eastus"})
    vnet = {
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        },
    }
    h.call("PUT", net_path("shared", "virtualNetworks", "v"), vnet, api="2026-03-01")
    subnet = net_path("shared", "virtualNetworks", "v", "subnets", "s")
    nic = {
        "location": "eastus",
        "properties": {"ipConfigurations": [{"name": "c", "properties": {"subnet": {"id": subnet}}}]},
    }
    h.call("PUT", net_path("app", "networkInterfaces", "n"), nic, api="2026-03-01")
    h.settle()
    resp = h.call("DELETE", f"{GROUPS}/shared")
    h.settle()
    poll = h.call("GET", "/" + resp.headers["Location"].split("://", 1)[1].split("/", 1)[1])
    assert error(poll) == (409, "InUseSubnetCannotBeDeleted")
    assert h.call("GET", net_path("shared", "virtualNetworks", "v"), api="2026-03-01").status == 200
    # Deleting the user's group first, then the shared one, works.
    h.call("DELETE", f"{GROUPS}/app")
    h.settle()
    h.call("DELETE", f"{GROUPS}/shared")
    h.settle()
    assert h.call("HEAD", f"{GROUPS}/shared").status == 404


def test_nic_elsewhere_held_by_a_vm_of_the_group_is_released(h: Harness) -> None:
    for rg in ("net", "vms"):
        h.call("PUT", f"{GROUPS}/{rg}", {"location": "eastus"})
    vnet = {
        "location": "eastus",
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        },
    }
    h.call("PUT", net_path("net", "virtualNetworks", "v"), vnet, api="2026-03-01")
    subnet = net_path("net", "virtualNetworks", "v", "subnets", "s")
    nic = {
        "location": "eastus",
        "properties": {"ipConfigurations": [{"name": "c", "properties": {"subnet": {"id": subnet}}}]},
    }
    nic_id = h.call("PUT", net_path("net", "networkInterfaces", "n"), nic, api="2026-03-01").body["id"]
    h.settle()
    vm_id = arm_id(SUB, "vms", "Microsoft.Compute", "virtualMachines", "vm")
    h.ctx.store.put(
        {"id": vm_id, "name": "vm", "type": "Microsoft.Compute/virtualMachines", "location": "eastus"}
    )
    h.ctx.store.get(nic_id)["properties"]["virtualMachine"] = {"id": vm_id}  # type: ignore[index]
    h.call("DELETE", f"{GROUPS}/vms")
    h.settle()
    nic_body = h.call("GET", nic_id, api="2026-03-01").body
    assert "virtualMachine" not in nic_body["properties"]
    assert error(h.call("DELETE", nic_id, api="2026-03-01")) == (400, "NicReservedForAnotherVm")
    h.settle(181)
    assert h.call("DELETE", nic_id, api="2026-03-01").status == 202
