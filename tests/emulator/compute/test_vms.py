"""Virtual machines: create, power states through the lifecycle, actions, list filters,
deleteOption (leaks), preemption and refusals; disks and Resource SKUs."""

from __future__ import annotations

from compute_bodies import LOC, SUB, cid, make_nic, make_subnet, new_client, nid, vm_body, vmss_body

from flexvmss.emulator.testing import TestClient

VM = cid("virtualMachines", "vm1")
VMS = VM.rsplit("/", 1)[0]
SET = cid("virtualMachineScaleSets", "web")


def _power(h: TestClient, vm: str = VM) -> str:
    codes = [s["code"] for s in h.get(vm + "/instanceView")["statuses"]]
    return next(c for c in codes if c.startswith("PowerState/"))


def _vm(h: TestClient, subnet: str, **kw: object) -> str:
    nic = make_nic(h, "n1", subnet)
    resp = h.ok("PUT", VM, vm_body(nic, **kw))  # type: ignore[arg-type]
    assert resp.status == 201 and resp.body["properties"]["provisioningState"] == "Creating"
    h.settle()
    return nic


def test_create_hides_secrets_and_user_data_needs_expand(h: TestClient, subnet: str) -> None:
    nic = make_nic(h, "n1", subnet)
    resp = h.ok("PUT", VM, vm_body(nic, userData="aGVsbG8="))
    body = resp.body
    assert "adminPassword" not in body["properties"]["osProfile"] and "userData" not in body["properties"]
    assert body["properties"]["vmId"] and body["properties"]["timeCreated"]
    assert _power(h) == "PowerState/starting"
    h.settle()
    assert _power(h) == "PowerState/running"
    assert "userData" not in h.get(VM)["properties"]
    assert h.get(VM, query={"$expand": "userData"})["properties"]["userData"] == "aGVsbG8="
    view = h.get(VM, query={"$expand": "instanceView"})["properties"]["instanceView"]
    assert view["statuses"][0]["code"] == "ProvisioningState/succeeded"
    assert h.get(nic)["properties"]["virtualMachine"]["id"] == VM


def test_power_transitions_show_in_flight_states(h: TestClient, subnet: str) -> None:
    _vm(h, subnet)
    for action, during, after in (
        ("powerOff", "stopping", "stopped"),
        ("start", "starting", "running"),
        ("deallocate", "deallocating", "deallocated"),
        ("start", "starting", "running"),
        ("restart", "starting", "running"),
        ("redeploy", "starting", "running"),
        ("reimage", "starting", "running"),
        ("performMaintenance", "running", "running"),
    ):
        resp = h.ok("POST", f"{VM}/{action}")
        assert resp.status == 202 and resp.body is None
        assert "Location" in resp.headers and "Azure-AsyncOperation" in resp.headers
        assert _power(h) == f"PowerState/{during}"
        assert h.get(VM)["properties"]["provisioningState"] == "Updating"
        h.settle()
        assert _power(h) == f"PowerState/{after}", action
        assert h.get(VM)["properties"]["provisioningState"] == "Succeeded"


def test_restart_of_deallocated_vm_refused(h: TestClient, subnet: str) -> None:
    _vm(h, subnet)
    h.ok("POST", f"{VM}/deallocate", query={"hibernate": "true"})
    h.settle()
    assert h.error("POST", f"{VM}/restart")[:2] == (409, "OperationNotAllowed")


def test_later_action_preempts_the_one_in_flight(h: TestClient, subnet: str) -> None:
    _vm(h, subnet)
    first = h.ok("POST", f"{VM}/powerOff").headers["Azure-AsyncOperation"]
    h.ok("POST", f"{VM}/deallocate")
    h.settle()
    op_id = first.split("/operations/")[1].split("?")[0]
    op = h.ctx.lro.get(op_id)
    assert op is not None and op.status == "Failed" and op.error["code"] == "OperationPreempted"
    assert _power(h) == "PowerState/deallocated"


def test_nothing_but_delete_while_deleting(h: TestClient, subnet: str) -> None:
    _vm(h, subnet)
    h.ok("DELETE", VM)
    status, code, message = h.error("POST", f"{VM}/start")
    assert (status, code) == (409, "OperationNotAllowed")
    assert message == (
        "Operation 'Start' is not allowed on VM 'vm1' since "
        "the VM is marked for deletion. You can only retry the "
        "Delete operation (or wait for an ongoing one to complete)."
    )
    assert h.request("DELETE", VM).status == 202
    h.settle()
    status, code, message = h.error("GET", VM)
    assert (status, code) == (404, "ResourceNotFound")
    assert message.startswith(
        "The Resource 'Microsoft.Compute/virtualMachines/vm1' under resource group 'rg1' was not found."
    )
    assert h.request("DELETE", VM).status == 204


def test_standalone_vm_delete_leaves_nic_and_os_disk(h: TestClient, subnet: str) -> None:
    nic = _vm(h, subnet)
    disk_id = h.get(VM)["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"]
    assert h.error("DELETE", disk_id) == (
        409,
        "OperationNotAllowed",
        f"Disk {disk_id.rsplit('/', 1)[1]} is attached to VM {VM}.",
    )
    h.ok("DELETE", VM)
    h.settle()
    leaked_nic = h.get(nic)
    assert not leaked_nic["properties"].get("virtualMachine")
    leaked_disk = h.get(disk_id)
    assert "managedBy" not in leaked_disk and leaked_disk["properties"]["diskState"] == "Unattached"
    assert h.request("DELETE", disk_id).status == 200


def test_delete_option_delete_removes_nic_public_ip_and_disks(h: TestClient, subnet: str) -> None:
    body = vm_body("unused")
    body["properties"]["networkProfile"] = {
        "networkApiVersion": "2022-11-01",
        "networkInterfaceConfigurations": [
            {
                "name": "cfg",
                "properties": {
                    "primary": True,
                    "deleteOption": "Delete",
                    "ipConfigurations": [
                        {
                            "name": "ip",
                            "properties": {
                                "subnet": {"id": subnet},
                                "publicIPAddressConfiguration": {
                                    "name": "pip",
                                    "properties": {"deleteOption": "Detach"},
                                },
                            },
                        }
                    ],
                },
            }
        ],
    }
    body["properties"]["storageProfile"]["osDisk"]["deleteOption"] = "Delete"
    body["properties"]["storageProfile"]["dataDisks"] = [
        {"lun": 0, "createOption": "Empty", "diskSizeGB": 64, "deleteOption": "Detach"}
    ]
    h.ok("PUT", VM, body)
    h.settle()
    vm = h.get(VM)
    data_disk = vm["properties"]["storageProfile"]["dataDisks"][0]
    assert data_disk["name"].startswith("vm1_disk2_")
    h.ok("DELETE", VM)
    h.settle()
    assert h.get(nid("networkInterfaces", "x").rsplit("/", 1)[0])["value"] == []
    pips = h.get(nid("publicIPAddresses", "x").rsplit("/", 1)[0])["value"]
    assert len(pips) == 1  # the public IP had deleteOption Detach: it leaks
    disks = h.get(cid("disks", "x").rsplit("/", 1)[0])["value"]
    assert [d["name"] for d in disks] == [data_disk["name"]]


def test_list_filter_expand_and_status_only(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=2))
    _vm(h, subnet)
    h.settle()
    assert len(h.get(VMS)["value"]) == 3
    filt = {"$filter": f"'virtualMachineScaleSet/id' eq '{SET.upper()}'"}
    members = h.get(VMS, query={**filt, "$expand": "instanceView"})["value"]
    assert len(members) == 2 and all("instanceView" in m["properties"] for m in members)
    assert "instanceView" not in h.get(VMS, query=filt)["value"][0]["properties"]
    # Azure answers $expand=instanceView without a $filter too (despite the spec's wording).
    unfiltered = h.get(VMS, query={"$expand": "instanceView"})["value"]
    assert len(unfiltered) == 3 and all("instanceView" in m["properties"] for m in unfiltered)
    assert h.error("GET", VMS, query={"$expand": "userData"})[:2] == (400, "InvalidParameter")
    assert h.error("GET", VMS, query={"$filter": "name eq 'x'"})[:2] == (400, "InvalidParameter")
    all_vms = h.get(
        f"/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines",
        query={**filt, "statusOnly": "true"},
    )
    assert len(all_vms["value"]) == 2 and all(
        v["properties"]["instanceView"]["statuses"] for v in all_vms["value"]
    )


def test_paging_with_filter() -> None:
    h = new_client(page_size=2)
    sub = make_subnet(h)
    h.ok("PUT", SET, vmss_body(sub, capacity=3))
    filt = {"$filter": f"'virtualMachineScaleSet/id' eq '{SET}'"}
    page = h.get(VMS, query=filt)
    assert len(page["value"]) == 2
    rest = h.get(page["nextLink"].split("https://localhost", 1)[1])
    assert len(rest["value"]) == 1 and "nextLink" not in rest


def test_failed_create_then_retried_put_clears_failure(h: TestClient, subnet: str) -> None:
    nic = make_nic(h, "n1", subnet)
    h.ctx.lro.outcome_hook = lambda _r, kind: (
        ("Failed", {"code": "OSProvisioningTimedOut", "message": "Timed out."})
        if kind == "vm.create"
        else None
    )
    h.ok("PUT", VM, vm_body(nic))
    h.settle()
    assert h.get(VM)["properties"]["provisioningState"] == "Failed"
    assert (
        h.get(VM + "/instanceView")["statuses"][0]["code"]
        == "ProvisioningState/failed/OSProvisioningTimedOut"
    )
    h.ctx.lro.outcome_hook = None
    assert h.ok("PUT", VM, vm_body(nic)).status == 200
    h.settle()
    assert h.get(VM + "/instanceView")["statuses"][0]["code"] == "ProvisioningState/succeeded"


def test_patch_size_and_tags_and_etag(h: TestClient, subnet: str) -> None:
    _vm(h, subnet)
    etag = h.get(VM)["etag"]
    assert h.error("PATCH", VM, {"tags": {"a": "1"}}, headers={"If-Match": '"999"'})[:2] == (
        412,
        "PreconditionFailed",
    )
    resp = h.ok(
        "PATCH",
        VM,
        {"tags": {"a": "1"}, "properties": {"hardwareProfile": {"vmSize": "Standard_D4s_v5"}}},
        headers={"If-Match": etag},
    )
    assert resp.headers["ETag"] != etag
    h.settle()
    got = h.get(VM)
    assert got["tags"] == {"a": "1"} and got["properties"]["hardwareProfile"]["vmSize"] == "Standard_D4s_v5"


def test_simulate_eviction_spot_only(h: TestClient, subnet: str) -> None:
    _vm(h, subnet)
    assert h.error("POST", f"{VM}/simulateEviction")[:2] == (409, "OperationNotAllowed")
    nic2 = make_nic(h, "n2", subnet)
    spot = cid("virtualMachines", "spot")
    h.ok("PUT", spot, vm_body(nic2, priority="Spot", evictionPolicy="Deallocate"))
    h.settle()
    resp = h.ok("POST", f"{spot}/simulateEviction")
    assert resp.status == 204 and "Azure-AsyncOperation" not in resp.headers  # nothing to poll
    h.settle()
    assert _power(h, spot) == "PowerState/deallocated"


def test_run_command_result_via_location(h: TestClient, subnet: str) -> None:
    _vm(h, subnet)
    resp = h.ok("POST", f"{VM}/runCommand", {"commandId": "RunShellScript", "script": ["echo hello"]})
    location = resp.headers["Location"].split("https://localhost", 1)[1]
    assert h.request("GET", location).status == 202
    h.settle()
    result = h.get(location)
    assert result["value"][0]["code"] == "ProvisioningState/succeeded"
    assert "hello" in result["value"][0]["message"]


def test_disks_crud(h: TestClient) -> None:
    disk = cid("disks", "data1")
    resp = h.ok(
        "PUT",
        disk,
        {
            "location": LOC,
            "sku": {"name": "Premium_LRS"},
            "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 128},
        },
    )
    assert resp.body["properties"]["diskState"] == "Unattached"
    assert h.get(disk)["properties"]["diskSizeGB"] == 128
    assert [d["name"] for d in h.get(disk.rsplit("/", 1)[0])["value"]] == ["data1"]
    assert h.request("DELETE", disk).status == 200
    assert h.error("GET", disk)[:2] == (404, "ResourceNotFound")


def test_resource_skus_by_location(h: TestClient) -> None:
    path = f"/subscriptions/{SUB}/providers/Microsoft.Compute/skus"
    west = h.get(path, query={"api-version": "2021-07-01", "$filter": "location eq 'westcentralus'"})["value"]
    assert west and all(item["locations"] == ["westcentralus"] for item in west)
    aligned = next(i for i in west if i["resourceType"] == "availabilitySets" and i["name"] == "Aligned")
    assert aligned["capabilities"] == [{"name": "MaximumPlatformFaultDomainCount", "value": "2"}]
    everything = h.get(path)  # every region's SKUs, the largest answer the emulator gives: read once
    assert len(everything["value"]) > len(west) and "nextLink" not in everything
    assert h.error("GET", path, query={"$filter": "name eq 'x'"})[:2] == (400, "InvalidParameter")


def test_refused_vm_leaves_its_nic_free_and_no_disk(h: TestClient, subnet: str) -> None:
    free = make_nic(h, "free", subnet)
    taken = make_nic(h, "taken", subnet)
    other = cid("virtualMachines", "other")
    h.ok("PUT", other, vm_body(taken))
    body = vm_body(free)
    body["properties"]["networkProfile"]["networkInterfaces"].append(
        {"id": taken, "properties": {"primary": False}}
    )
    assert h.error("PUT", VM, body)[:2] == (400, "NicInUse")
    assert not h.get(free)["properties"].get("virtualMachine")
    assert h.request("GET", VM).status == 404
    assert [d["managedBy"] for d in h.get(cid("disks", "x").rsplit("/", 1)[0])["value"]] == [other]
    assert h.request("PUT", VM, vm_body(free)).status == 201


def test_actions_on_a_vm_the_set_is_still_creating_conflict(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(subnet, capacity=1))
    vm_id = h.get(VMS)["value"][0]["id"]
    status, code, _message = h.error("POST", vm_id + "/powerOff")
    assert (status, code) == (409, "Conflict")
    assert h.request("DELETE", vm_id).status == 202
    h.settle()
    assert h.get(SET)["sku"]["capacity"] == 0


def test_vm_health_shows_in_the_instance_view_of_running_vms(h: TestClient, subnet: str) -> None:
    _vm(h, subnet)
    assert "vmHealth" not in h.get(VM + "/instanceView")  # no extension: no health
    h.emulator.set_vm_health("unhealthy")
    view = h.get(VM, query={"$expand": "instanceView"})["properties"]["instanceView"]
    assert view["vmHealth"]["status"]["code"] == "HealthState/unhealthy"
    h.emulator.set_vm_health("healthy", "VM1")  # its own entry wins over "*"
    assert h.get(VM + "/instanceView")["vmHealth"]["status"]["code"] == "HealthState/healthy"
    listed = h.get(VMS, query={"$expand": "instanceView"})["value"][0]["properties"]["instanceView"]
    assert listed["vmHealth"]["status"]["code"] == "HealthState/healthy"
    h.ok("POST", VM + "/deallocate")
    h.settle()
    assert "vmHealth" not in h.get(VM + "/instanceView")  # a deallocated VM's extension is not running
    h.emulator.set_vm_health(None, "vm1")
    h.emulator.set_vm_health(None)
    h.ok("POST", VM + "/start")
    h.settle()
    assert "vmHealth" not in h.get(VM + "/instanceView")
