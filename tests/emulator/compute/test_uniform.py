"""Uniform scale-set instances: the VMSS-VM GET, list, instance view and DELETE, and how a
Uniform set's capacity makes and removes them (compute/models/uniform.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from compute_bodies import API, LOC, RG, SUB, cid, make_subnet, new_client, vmss_body

from flexvmss.emulator import Emulator
from flexvmss.emulator.core import REALISM_LEVELS
from flexvmss.emulator.testing import TestClient

SET = cid("virtualMachineScaleSets", "uni")
FLEX = cid("virtualMachineScaleSets", "web")


def _uniform(subnet: str, capacity: int, **props: Any) -> dict[str, Any]:
    body = vmss_body(subnet, capacity=capacity, fd=None, **props)
    body["properties"]["orchestrationMode"] = "Uniform"
    return body


def _ids(h: TestClient) -> list[str]:
    return [item["instanceId"] for item in h.get(SET + "/virtualMachines")["value"]]


def test_a_uniform_set_of_capacity_two_holds_instances_0_and_1(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, _uniform(subnet, 2))
    first = h.get(SET + "/virtualMachines/0")
    assert first["properties"]["provisioningState"] == "Creating"
    h.settle()
    assert _ids(h) == ["0", "1"]
    inst = h.get(SET + "/virtualMachines/1")
    assert inst["name"] == "uni_1"
    assert inst["id"] == SET + "/virtualMachines/1"
    assert inst["type"] == "Microsoft.Compute/virtualMachineScaleSets/virtualMachines"
    assert inst["sku"] == {"name": "Standard_D2s_v5", "tier": "Standard"}
    props = inst["properties"]
    assert props["provisioningState"] == "Succeeded"
    assert props["latestModelApplied"] is True
    assert props["hardwareProfile"] == {"vmSize": "Standard_D2s_v5"}
    assert props["osProfile"]["computerName"] == "web000001"
    assert "adminPassword" not in props["osProfile"] and "customData" not in props["osProfile"]
    assert props["networkProfile"]["networkInterfaces"] == [
        {"id": SET + "/virtualMachines/1/networkInterfaces/nic"}
    ]
    assert props["storageProfile"]["osDisk"]["name"].startswith("uni_uni_1_OS__1_")
    assert props["vmId"] != first["properties"]["vmId"]
    assert h.request("GET", SET + "/virtualMachines/1").headers["ETag"] == inst["etag"]


def test_an_instance_view_reports_domains_and_a_running_instance(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, _uniform(subnet, 2, platformFaultDomainCount=2))
    h.settle()
    view = h.get(SET + "/virtualMachines/1/instanceView")
    assert (view["platformUpdateDomain"], view["platformFaultDomain"]) == (1, 1)
    assert view["computerName"] == "web000001"
    assert [s["code"] for s in view["statuses"]] == ["ProvisioningState/succeeded", "PowerState/running"]
    assert (
        view["disks"][0]["name"]
        == h.get(SET + "/virtualMachines/1")["properties"]["storageProfile"]["osDisk"]["name"]
    )
    assert view["placementGroupId"] == h.get(SET + "/virtualMachines/0/instanceView")["placementGroupId"]
    expanded = h.get(SET + "/virtualMachines/0", query={"$expand": "instanceView"})
    assert expanded["properties"]["instanceView"]["platformUpdateDomain"] == 0


def test_the_instance_list_is_paged() -> None:
    h = new_client(page_size=2)
    subnet = make_subnet(h)
    h.ok("PUT", SET, _uniform(subnet, 3))
    h.settle()
    page = h.get(SET + "/virtualMachines")
    assert [i["instanceId"] for i in page["value"]] == ["0", "1"]
    link = urlsplit(page["nextLink"])
    assert link.path == SET + "/virtualMachines"
    token = parse_qs(link.query)["$skiptoken"][0]
    rest = h.get(SET + "/virtualMachines", query={"$skiptoken": token})
    assert [i["instanceId"] for i in rest["value"]] == ["2"] and "nextLink" not in rest


def test_deleting_an_instance_lowers_the_capacity(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, _uniform(subnet, 2))
    h.settle()
    answer = h.request("DELETE", SET + "/virtualMachines/0")
    assert answer.status == 202
    assert "Azure-AsyncOperation" in answer.headers and "Location" in answer.headers
    assert h.get(SET + "/virtualMachines/0")["properties"]["provisioningState"] == "Deleting"
    assert h.get(SET)["sku"]["capacity"] == 2
    h.settle()
    assert h.error("GET", SET + "/virtualMachines/0")[0] == 404
    assert h.get(SET)["sku"]["capacity"] == 1
    assert _ids(h) == ["1"]


def test_capacity_changes_make_and_remove_instances(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, _uniform(subnet, 2))
    h.settle()
    h.ok("PATCH", SET, {"sku": {"capacity": 3}})
    h.settle()
    assert _ids(h) == ["0", "1", "2"]
    h.ok("PATCH", SET, {"sku": {"capacity": 1}})
    assert [i["properties"]["provisioningState"] for i in h.get(SET + "/virtualMachines")["value"]] == [
        "Succeeded",
        "Deleting",
        "Deleting",
    ]
    h.settle()
    assert _ids(h) == ["0"]  # the default scale-in policy removes the highest instance ids
    h.ok("PATCH", SET, {"sku": {"capacity": 2}})
    h.settle()
    assert _ids(h) == ["0", "3"]  # a new instance gets a new number


def test_oldest_vm_policy_removes_the_lowest_ids(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, _uniform(subnet, 3, scaleInPolicy={"rules": ["OldestVM"]}))
    h.settle()
    h.ok("PATCH", SET, {"sku": {"capacity": 1}})
    h.settle()
    assert _ids(h) == ["2"]


def test_instance_ids_that_name_nothing(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, _uniform(subnet, 1))
    h.settle()
    assert h.error("GET", SET + "/virtualMachines/0notfound") == (
        400,
        "InvalidParameter",
        "Virtual Machine Scale Set VM instanceId must be a number.",
    )
    assert h.error("GET", SET + "/virtualMachines/7")[:2] == (404, "ResourceNotFound")
    assert h.error("DELETE", SET + "/virtualMachines/7")[:2] == (404, "ResourceNotFound")
    assert h.error("GET", SET + "/virtualMachines/7/instanceView")[:2] == (404, "ResourceNotFound")


def test_deleting_the_set_takes_its_instances(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, _uniform(subnet, 2))
    h.settle()
    assert h.request("DELETE", SET).status == 202
    assert {i["properties"]["provisioningState"] for i in h.get(SET + "/virtualMachines")["value"]} == {
        "Deleting"
    }
    h.settle()
    assert h.error("GET", SET + "/virtualMachines")[0] == 404
    h.ok("PUT", SET, _uniform(subnet, 1))
    h.settle()
    assert _ids(h) == ["0"]  # a set made again under the name starts numbering anew


def test_a_flex_set_lists_its_vms_by_name_and_has_no_numbered_instances(h: TestClient, subnet: str) -> None:
    h.ok("PUT", FLEX, vmss_body(subnet, capacity=2))
    h.settle()
    listed = h.get(FLEX + "/virtualMachines")["value"]
    members = h.get(f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachines")[
        "value"
    ]
    assert sorted(i["instanceId"] for i in listed) == sorted(vm["name"] for vm in members)
    assert all(i["name"] == i["instanceId"] and "tags" not in i for i in listed)
    assert h.error("GET", FLEX + "/virtualMachines/0")[0] == 404
    name = listed[0]["name"]
    assert h.error("GET", f"{FLEX}/virtualMachines/{name}/instanceView")[:2] == (400, "InvalidParameter")


def test_with_realism_a_deleted_instance_shows_its_former_state_for_a_while() -> None:
    h = Emulator(manual_clock=True, realism="azure").test_client(api_version=API)
    h.resource_group(RG, LOC, subscription_id=SUB)
    h.ok("PUT", SET, _uniform(make_subnet(h), 1))
    h.settle()
    assert h.request("DELETE", SET + "/virtualMachines/0").status == 202
    lag = REALISM_LEVELS["azure"].visibility_lag
    assert h.get(SET + "/virtualMachines/0")["properties"]["provisioningState"] == "Succeeded"
    h.settle(lag)
    assert h.get(SET + "/virtualMachines/0")["properties"]["provisioningState"] == "Deleting"
    h.settle()
    assert h.error("GET", SET + "/virtualMachines/0")[0] == 404


def _power(h: TestClient, instance_id: str) -> str:
    view = h.get(f"{SET}/virtualMachines/{instance_id}/instanceView")
    return next(s["code"] for s in view["statuses"] if s["code"].startswith("PowerState/"))


def test_per_instance_actions_change_the_power_state(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, _uniform(subnet, 2))
    h.settle()
    answer = h.request("POST", SET + "/virtualMachines/1/deallocate")
    assert answer.status == 202 and "Azure-AsyncOperation" in answer.headers
    assert h.get(SET + "/virtualMachines/1")["properties"]["provisioningState"] == "Updating"
    assert _power(h, "1") == "PowerState/deallocating"
    h.settle()
    assert (_power(h, "0"), _power(h, "1")) == ("PowerState/running", "PowerState/deallocated")
    assert "vmAgent" not in h.get(SET + "/virtualMachines/1/instanceView")
    h.ok("POST", SET + "/virtualMachines/1/start")
    h.settle()
    assert _power(h, "1") == "PowerState/running"
    assert h.get(SET + "/virtualMachines/1")["properties"]["provisioningState"] == "Succeeded"
    assert h.error("POST", SET + "/virtualMachines/9/restart")[:2] == (404, "ResourceNotFound")


def test_set_wide_actions_and_delete_instances_take_instance_numbers(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, _uniform(subnet, 3))
    h.settle()
    assert h.request("POST", SET + "/powerOff", {"instanceIds": ["0", "2"]}).status == 202
    h.settle()
    assert [_power(h, i) for i in ("0", "1", "2")] == [
        "PowerState/stopped",
        "PowerState/running",
        "PowerState/stopped",
    ]
    assert h.request("POST", SET + "/start").status == 202  # no body: every instance
    h.settle()
    assert {_power(h, i) for i in ("0", "1", "2")} == {"PowerState/running"}
    assert h.error("POST", SET + "/delete", {"instanceIds": ["1", "8"]})[:2] == (404, "ResourceNotFound")
    assert h.request("POST", SET + "/delete", {"instanceIds": ["0", "1"]}).status == 202
    h.settle()
    assert _ids(h) == ["2"]
    assert h.get(SET)["sku"]["capacity"] == 1
