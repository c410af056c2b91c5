"""A refused VM or scale-set request removes everything it created, whatever the
``deleteOption`` it asked for: NICs, their public IPs and disks."""

from __future__ import annotations

from typing import Any

from compute_bodies import cid, make_subnet, nid, vm_body, vmss_body

from flexvmss.emulator.testing import TestClient

VM = cid("virtualMachines", "vm1")
SET = cid("virtualMachineScaleSets", "web")


def _names(h: TestClient, collection_id: str) -> list[str]:
    return [item["name"] for item in h.get(collection_id.rsplit("/", 1)[0])["value"]]


def _leftovers(h: TestClient) -> dict[str, list[str]]:
    return {
        "vms": _names(h, cid("virtualMachines", "x")),
        "disks": _names(h, cid("disks", "x")),
        "nics": _names(h, nid("networkInterfaces", "x")),
        "publicIPs": _names(h, nid("publicIPAddresses", "x")),
    }


NOTHING: dict[str, list[str]] = {"vms": [], "disks": [], "nics": [], "publicIPs": []}


def _nic_config(name: str, subnet_id: str, *, public_ip: bool) -> dict[str, Any]:
    ip_props: dict[str, Any] = {"subnet": {"id": subnet_id}, "primary": True}
    if public_ip:
        ip_props["publicIPAddressConfiguration"] = {"name": "pip", "properties": {"deleteOption": "Detach"}}
    return {
        "name": name,
        "properties": {
            "primary": name == "first",
            "deleteOption": "Detach",
            "ipConfigurations": [{"name": "ip", "properties": ip_props}],
        },
    }


def test_refused_vm_removes_the_nics_and_public_ips_it_created(h: TestClient, subnet: str) -> None:
    body = vm_body("unused")
    network = body["properties"]["networkProfile"]
    network.pop("networkInterfaces")
    network["networkApiVersion"] = "2022-11-01"
    network["networkInterfaceConfigurations"] = [
        _nic_config("first", subnet, public_ip=True),
        _nic_config("second", subnet.rsplit("/", 1)[0] + "/absent", public_ip=False),
    ]
    status, code, _message = h.error("PUT", VM, body)
    assert (status, code) == (400, "InvalidResourceReference")
    assert _leftovers(h) == NOTHING
    network["networkInterfaceConfigurations"].pop()
    assert h.request("PUT", VM, body).status == 201  # the names it used are free
    assert _leftovers(h) == {
        "vms": ["vm1"],
        "disks": [h.get(VM)["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"].rsplit("/", 1)[1]],
        "nics": ["first"],
        "publicIPs": ["first-ip-pip"],
    }


def test_refused_scale_out_removes_all_its_vms_made_whatever_their_delete_options(h: TestClient) -> None:
    tiny = make_subnet(h, vnet="tiny", name="s", prefix="10.0.0.0/29")
    body = vmss_body(tiny, capacity=5)
    profile = body["properties"]["virtualMachineProfile"]
    profile["storageProfile"]["osDisk"]["deleteOption"] = "Detach"
    profile["networkProfile"]["networkInterfaceConfigurations"] = [_nic_config("first", tiny, public_ip=True)]
    status, code, _message = h.error("PUT", SET, body)
    assert (status, code) == (400, "SubnetIsFull")
    assert h.request("GET", SET).status == 404
    assert _leftovers(h) == NOTHING
