"""Which Compute throttling policy a request is charged to, read from the
``x-ms-ratelimit-remaining-resource`` header the emulator sends over HTTPS: a PUT that
creates is charged to PutVM / CreateVMScaleSet, a PUT that replaces an existing resource
to UpdateVM / UpdateVMScaleSet, as Compute does."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from flexvmss.emulator import Emulator

API = "2026-04-01"
LOC = "eastus"


class _Arm:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = emu.ca_file
        self.session.headers["Authorization"] = "Bearer test-token"
        self.rg = f"/subscriptions/{emu.subscription_id}/resourceGroups/rg1"

    def put(self, path: str, body: dict[str, Any]) -> requests.Response:
        resp = self.session.put(f"{self.emu.base_url}{path}?api-version={API}", json=body)
        assert resp.status_code < 300, resp.text
        self.emu.complete_all()
        return resp


def _policies(resp: requests.Response) -> set[str]:
    """The Compute policies named in the remaining-resource header (without their bucket)."""
    names = set()
    for part in resp.headers["x-ms-ratelimit-remaining-resource"].split(","):
        bucket = part.split(";")[0].removeprefix("Microsoft.Compute/")
        names.add(bucket.removesuffix("SubscriptionMaximum").removesuffix("Resource"))
    return names


@pytest.fixture
def arm(flexvmss_emulator: Emulator) -> _Arm:
    a = _Arm(flexvmss_emulator)
    a.put(a.rg, {"location": LOC})
    return a


def test_vm_put_is_put_vm_when_new_and_update_vm_when_it_exists(arm: _Arm) -> None:
    net = arm.rg + "/providers/Microsoft.Network"
    arm.put(
        net + "/virtualNetworks/v1",
        {
            "location": LOC,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": "s1", "properties": {"addressPrefix": "10.0.0.0/24"}}],
            },
        },
    )
    nic = net + "/networkInterfaces/nic1"
    arm.put(
        nic,
        {
            "location": LOC,
            "properties": {
                "ipConfigurations": [
                    {"name": "ip", "properties": {"subnet": {"id": net + "/virtualNetworks/v1/subnets/s1"}}}
                ]
            },
        },
    )
    vm = {
        "location": LOC,
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            "storageProfile": {
                "imageReference": {
                    "publisher": "Canonical",
                    "offer": "ubuntu-24_04-lts",
                    "sku": "server",
                    "version": "latest",
                },
                "osDisk": {"createOption": "FromImage"},
            },
            "osProfile": {"computerName": "vm1", "adminUsername": "azureuser", "adminPassword": "Pa55-w0rd!"},
            "networkProfile": {"networkInterfaces": [{"id": nic}]},
        },
    }
    path = arm.rg + "/providers/Microsoft.Compute/virtualMachines/vm1"
    assert _policies(arm.put(path, vm)) == {"PutVM"}
    vm["tags"] = {"role": "web"}
    assert _policies(arm.put(path, vm)) == {"UpdateVM"}


def test_vmss_put_is_create_when_new_and_update_when_it_exists(arm: _Arm) -> None:
    path = arm.rg + "/providers/Microsoft.Compute/virtualMachineScaleSets/set1"
    body = {"location": LOC, "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1}}
    assert _policies(arm.put(path, body)) == {"CreateVMScaleSet"}
    body["tags"] = {"role": "web"}
    assert _policies(arm.put(path, body)) == {"UpdateVMScaleSet"}
