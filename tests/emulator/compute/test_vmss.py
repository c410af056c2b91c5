"""Flexible scale sets: create, scale out and in, profile VM naming, delete, DeleteInstances,
ETags and the Uniform-only APIs."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from compute_bodies import RG, cid, make_nic, make_subnet, new_client, nid, vmss_body

from flexvmss.emulator.testing import TestClient

SET = cid("virtualMachineScaleSets", "web")
VMS = cid("virtualMachines", "x").rsplit("/", 1)[0]


def _members(h: TestClient, set_id: str = SET) -> list[dict]:
    return h.get(VMS, query={"$filter": f"'virtualMachineScaleSet/id' eq '{set_id}'"})["value"]


def test_create_flex_set_creates_named_vms_nics_and_disks(h: TestClient, subnet: str) -> None:
    resp = h.ok("PUT", SET, vmss_body(subnet, capacity=3))
    assert resp.status == 201
    assert resp.body["properties"]["provisioningState"] == "Creating"
    assert "Azure-AsyncOperation" in resp.headers and "Location" not in resp.headers
    assert resp.headers["ETag"] == resp.body["etag"]
    vms = _members(h)
    assert len(vms) == 3
    for vm in vms:
        assert re.fullmatch(r"web_[0-9a-f]{8}", vm["name"])
        assert vm["properties"]["provisioningState"] == "Creating"
        assert vm["properties"]["virtualMachineScaleSet"]["id"] == SET
        nic_id = vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
        assert nic_id.endswith("/networkInterfaces/nic-" + vm["name"].split("_")[1])
        os_disk = vm["properties"]["storageProfile"]["osDisk"]
        assert re.fullmatch(rf"{vm['name']}_OsDisk_1_[0-9a-f]{{32}}", os_disk["name"])
        disk = h.get(os_disk["managedDisk"]["id"])
        assert disk["managedBy"] == vm["id"]
    h.settle()
    got = h.get(SET)
    assert got["properties"]["provisioningState"] == "Succeeded"
    assert got["sku"]["capacity"] == 3
    assert "adminPassword" not in got["properties"]["virtualMachineProfile"]["osProfile"]
    assert "customData" not in got["properties"]["virtualMachineProfile"]["osProfile"]
    assert got["properties"]["singlePlacementGroup"] is False
    assert got["properties"]["uniqueId"] and got["properties"]["timeCreated"]
    assert all(vm["properties"]["provisioningState"] == "Succeeded" for vm in _members(h))


def test_scale_out_and_scale_in_newest_first(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=2))
    h.settle()
    first = [vm["name"] for vm in _members(h)]
    h.ok("PATCH", SET, {"sku": {"capacity": 4}})
    assert h.get(SET)["sku"]["capacity"] == 4
    h.settle()
    names = [vm["name"] for vm in _members(h)]
    assert len(names) == 4 and names[:2] == first
    resp = h.ok("PUT", SET, {"location": "eastus", "sku": {"name": "Standard_D2s_v5", "capacity": 1}})
    assert resp.status == 200
    deleting = [vm for vm in _members(h) if vm["properties"]["provisioningState"] == "Deleting"]
    assert sorted(v["name"] for v in deleting) == sorted(names[1:])
    h.settle()
    assert [vm["name"] for vm in _members(h)] == names[:1]
    assert h.get(SET)["sku"]["capacity"] == 1
    # the removed VMs' NICs and OS disks went with them (profile deleteOption Delete)
    nics = h.get(nid("networkInterfaces", "x").rsplit("/", 1)[0])["value"]
    assert len(nics) == 1
    disks = h.get(cid("disks", "x").rsplit("/", 1)[0])["value"]
    assert len(disks) == 1


def test_scale_in_policy_oldest_vm(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=3, scaleInPolicy={"rules": ["OldestVM"]}))
    h.settle()
    names = [vm["name"] for vm in _members(h)]
    h.ok("PATCH", SET, {"sku": {"capacity": 2}})
    h.settle()
    assert [vm["name"] for vm in _members(h)] == names[1:]


def test_zones_spread_round_robin_and_fault_domains(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=4, zones=["1", "2", "3"]))
    assert [vm["zones"] for vm in _members(h)] == [["1"], ["2"], ["3"], ["1"]]
    other = cid("virtualMachineScaleSets", "fd")
    h.ok("PUT", other, vmss_body(subnet, capacity=4, fd=3))
    assert [vm["properties"]["platformFaultDomain"] for vm in _members(h, other)] == [0, 1, 2, 0]


# Placement (moved here from the library's suite: where a VM lands is Azure's decision, which
# the emulator imitates; the library only sends zones and fault domains and reports each VM's).


@pytest.mark.parametrize("zones", [["1"], ["1", "2"], ["1", "2", "3"]], ids=["1zone", "2zones", "3zones"])
def test_a_zonal_set_spreads_its_vms_evenly_across_its_zones(
    h: TestClient, subnet: str, zones: list[str]
) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=6, zones=zones))
    per_zone = Counter(z for vm in _members(h) for z in vm["zones"])
    assert set(per_zone) == set(zones)
    assert set(per_zone.values()) == {6 // len(zones)}


def test_a_zone_balanced_set_puts_one_vm_in_each_zone(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=3, zones=["1", "2", "3"], zoneBalance=True))
    assert sorted(z for vm in _members(h) for z in vm["zones"]) == ["1", "2", "3"]


def test_two_fault_domains_in_a_three_fd_region_spread_the_vms(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=4, fd=2))
    per_fd = Counter(vm["properties"]["platformFaultDomain"] for vm in _members(h))
    assert per_fd == {0: 2, 1: 2}


def test_priority_mix_base_then_percentage(h: TestClient, subnet: str) -> None:
    body = vmss_body(
        subnet,
        capacity=10,
        priorityMixPolicy={"baseRegularPriorityCount": 4, "regularPriorityPercentageAboveBase": 50},
    )
    body["properties"]["virtualMachineProfile"].update(priority="Spot", evictionPolicy="Deallocate")
    h.ok("PUT", SET, body)
    priorities = [vm["properties"]["priority"] for vm in _members(h)]
    assert priorities.count("Regular") == 7 and priorities.count("Spot") == 3


def test_delete_set_removes_profile_vms_and_their_resources(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=2))
    h.settle()
    resp = h.ok("DELETE", SET, query={"forceDeletion": "true"})
    assert resp.status == 202 and "Location" in resp.headers and resp.body is None
    assert h.get(SET)["properties"]["provisioningState"] == "Deleting"
    h.settle()
    assert h.request("GET", SET).status == 404
    assert _members(h) == []
    assert h.get(nid("networkInterfaces", "x").rsplit("/", 1)[0])["value"] == []
    assert h.request("DELETE", SET).status == 204


def test_delete_set_with_attached_vm_refused(h: TestClient, subnet: str) -> None:
    from compute_bodies import vm_body

    h.ok("PUT", SET, vmss_body(None, fd=1))
    nic = make_nic(h, "n1", subnet)
    h.ok("PUT", cid("virtualMachines", "vm1"), vm_body(nic, vmss_id=SET))
    h.settle()
    status, code, message = h.error("DELETE", SET)
    assert (status, code) == (409, "OperationNotAllowed")
    assert message == (
        "Deletion of Virtual Machine Scale Set isn't allowed as "
        "it contains one or more VMs. Please delete or detach "
        "the VM(s) before deleting the Virtual Machine Scale Set."
    )


def test_delete_instances_by_vm_name(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=3))
    h.settle()
    names = [vm["name"] for vm in _members(h)]
    resp = h.ok("POST", SET + "/delete", {"instanceIds": names[:2]})
    assert resp.status == 202 and "Location" in resp.headers
    h.settle()
    assert [vm["name"] for vm in _members(h)] == names[2:]
    assert h.get(SET)["sku"]["capacity"] == 1
    status, code, message = h.error("POST", SET + "/delete", {"instanceIds": ["nope"]})
    assert (status, code) == (400, "InvalidParameter") and "'nope'" in message


def test_set_without_profile_needs_no_sku(h: TestClient) -> None:
    resp = h.ok("PUT", SET, vmss_body(None))
    assert "sku" not in resp.body
    h.settle()
    assert h.get(SET)["properties"]["provisioningState"] == "Succeeded"


def test_list_and_list_all_with_paging() -> None:
    h = new_client(page_size=2)
    for i in range(3):
        h.ok("PUT", cid("virtualMachineScaleSets", f"s{i}"), vmss_body(None))
    page = h.get(SET.rsplit("/", 1)[0])
    assert len(page["value"]) == 2 and "skiptoken=2" in page["nextLink"]
    page2 = h.get(SET.rsplit("/", 1)[0], query={"$skiptoken": "2"})
    assert [s["name"] for s in page2["value"]] == ["s2"] and "nextLink" not in page2
    all_sets = h.get(
        f"/subscriptions/{SET.split('/')[2]}/providers/Microsoft.Compute/virtualMachineScaleSets"
    )
    assert len(all_sets["value"]) == 2 and all_sets["nextLink"]


def test_etag_preconditions(h: TestClient, subnet: str) -> None:
    etag = h.ok("PUT", SET, vmss_body(subnet, capacity=1)).headers["ETag"]
    h.settle()
    current = h.get(SET)["etag"]
    assert current != etag
    assert h.error("PATCH", SET, {"tags": {"a": "b"}}, headers={"If-Match": etag})[:2] == (
        412,
        "PreconditionFailed",
    )
    assert h.request("PATCH", SET, {"tags": {"a": "b"}}, headers={"If-Match": current}).status == 200
    assert h.error("PUT", SET, vmss_body(subnet), headers={"If-None-Match": "*"})[0] == 412


def test_user_data_only_with_expand(h: TestClient, subnet: str) -> None:
    body = vmss_body(subnet, capacity=1)
    body["properties"]["virtualMachineProfile"]["userData"] = "dXNlcg=="
    h.ok("PUT", SET, body)
    assert "userData" not in h.get(SET)["properties"]["virtualMachineProfile"]
    got = h.get(SET, query={"$expand": "userData"})
    assert got["properties"]["virtualMachineProfile"]["userData"] == "dXNlcg=="


def test_uniform_only_apis_refuse_flex(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=1))
    h.settle()
    name = _members(h)[0]["name"]
    status, code, message = h.error("GET", SET + "/instanceView")
    assert (status, code) == (400, "OperationNotAllowed")
    assert (
        message == "Operation 'VirtualMachineScaleSets.instanceView.GET' "
        "is not allowed on Virtual Machine Scale Set 'web'."
    )
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/start"), ("POST", "/deallocate")):
        status, code, message = h.error(method, f"{SET}/virtualMachines/{name}{suffix}")
        assert (status, code, message) == (
            400,
            "InvalidParameter",
            "Virtual Machine Scale Set VM instanceId must be a number.",
        )
    status, code, message = h.error("POST", SET + "/deallocate", {"instanceIds": [name]})
    assert code == "OperationNotAllowed" and "Virtual Machines 'deallocate' API" in message
    assert h.error("GET", f"{SET}/virtualMachines/0")[0] == 404


def test_failed_set_operation_marks_set_and_vms_failed(h: TestClient, subnet: str) -> None:
    h.ctx.lro.outcome_hook = lambda _req, kind: (
        ("Failed", {"code": "AllocationFailed", "message": "Allocation failed."})
        if kind == "vmss.create"
        else None
    )
    h.ok("PUT", SET, vmss_body(subnet, capacity=1))
    h.settle()
    assert h.get(SET)["properties"]["provisioningState"] == "Failed"
    vm = _members(h)[0]
    assert vm["properties"]["provisioningState"] == "Failed"
    view = h.get(vm["id"] + "/instanceView")
    assert view["statuses"][0]["code"] == "ProvisioningState/failed/AllocationFailed"
    assert view["statuses"][0]["message"] == "Allocation failed."
    h.ctx.lro.outcome_hook = None
    h.ok("POST", vm["id"] + "/start")
    h.settle()
    assert h.get(vm["id"])["properties"]["provisioningState"] == "Succeeded"
    assert RG in vm["id"]


def test_scale_out_beyond_subnet_is_refused_and_leaves_nothing(h: TestClient) -> None:
    tiny = make_subnet(h, vnet="tiny", name="s", prefix="10.0.0.0/29")
    h.ok("PUT", SET, vmss_body(tiny, capacity=2))
    h.settle()
    before = h.get(SET)
    status, code, _message = h.error("PATCH", SET, {"sku": {"capacity": 10}})
    assert (status, code) == (400, "SubnetIsFull")
    after = h.get(SET)
    assert after["sku"]["capacity"] == 2 and after["etag"] == before["etag"]
    assert len(_members(h)) == 2
    assert len(h.get(nid("networkInterfaces", "x").rsplit("/", 1)[0])["value"]) == 2
