"""The world the ScheduledActions tests start from: a resource group, a subnet behind a NAT
gateway and a few standalone VMs, made through the emulator's in-process client; and request
bodies in the shapes of the 2025-05-01 spec."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flexvmss.emulator import Emulator
from flexvmss.emulator.core import Clock, arm_id
from flexvmss.emulator.testing import TestClient

RG = "sched"
LOC = "eastus"
API = "2025-05-01"
IMAGE = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}


def base(emu: Emulator) -> str:
    """The ScheduledActions path prefix of ``emu``'s subscription in :data:`LOC`."""
    return f"/subscriptions/{emu.subscription_id}/providers/Microsoft.ComputeSchedule/locations/{LOC}"


def vm_id(emu: Emulator, name: str, rg: str = RG) -> str:
    return arm_id(emu.subscription_id, rg, "Microsoft.Compute", "virtualMachines", name)


def subnet_id(emu: Emulator, rg: str = RG) -> str:
    return arm_id(emu.subscription_id, rg, "Microsoft.Network", "virtualNetworks", "v1", "subnets", "s1")


def vm_body(
    emu: Emulator, name: str, *, hibernation: bool = False, location: str = LOC, rg: str = RG
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
        "storageProfile": {
            "imageReference": IMAGE,
            "osDisk": {"createOption": "FromImage", "deleteOption": "Delete"},
        },
        "osProfile": {"computerName": "vm", "adminUsername": "azureuser", "adminPassword": "Pa55-w0rd!"},
        "networkProfile": {
            "networkApiVersion": "2022-11-01",
            "networkInterfaceConfigurations": [
                {
                    "name": f"{name}-nic",
                    "properties": {
                        "primary": True,
                        "deleteOption": "Delete",
                        "ipConfigurations": [
                            {"name": "ip", "properties": {"subnet": {"id": subnet_id(emu, rg)}}}
                        ],
                    },
                }
            ],
        },
    }
    if hibernation:
        props["additionalCapabilities"] = {"hibernationEnabled": True}
    return {"location": location, "properties": props}


def build_world(
    emu: Emulator, n_vms: int, *, hibernation: bool = False, rg: str = RG, location: str = LOC
) -> list[str]:
    """A group, a NAT-gateway subnet and ``n_vms`` running VMs ``vm0``...; their ids."""
    h = emu.test_client(api_version="2026-04-01")
    sub = emu.subscription_id
    h.resource_group(rg, location, subscription_id=sub)
    ngw = arm_id(sub, rg, "Microsoft.Network", "natGateways", "ngw")
    h.ok("PUT", ngw, {"location": location, "sku": {"name": "Standard"}})
    vnet = arm_id(sub, rg, "Microsoft.Network", "virtualNetworks", "v1")
    h.ok(
        "PUT",
        vnet,
        {
            "location": location,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [
                    {"name": "s1", "properties": {"addressPrefix": "10.0.0.0/20", "natGateway": {"id": ngw}}}
                ],
            },
        },
    )
    h.settle(30)
    ids = []
    for i in range(n_vms):
        rid = vm_id(emu, f"vm{i}", rg)
        h.ok("PUT", rid, vm_body(emu, f"vm{i}", hibernation=hibernation, location=location, rg=rg))
        ids.append(rid)
    h.settle(120)
    return ids


def power(emu: Emulator, rid: str) -> str:
    """The VM's power state from its instance view (``running``, ``deallocated``...)."""
    h = emu.test_client(api_version="2026-04-01")
    view = h.get(rid + "/instanceView")
    return next(s["code"].split("/", 1)[1] for s in view["statuses"] if s["code"].startswith("PowerState/"))


def execute_body(ids: list[str], **retry: int) -> dict[str, Any]:
    params: dict[str, Any] = {"optimizationPreference": "Cost"}
    if retry:
        params["retryPolicy"] = retry
    return {"executionParameters": params, "resources": {"ids": ids}, "correlationid": str(uuid.uuid4())}


def at(emu: Emulator, seconds_from_now: float) -> str:
    """An ISO-8601 UTC time ``seconds_from_now`` emulated seconds from the emulator's now."""
    when = Clock.EPOCH + dt.timedelta(seconds=emu.clock.now() + seconds_from_now)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def submit_body(
    emu: Emulator, ids: list[str], in_seconds: float, deadline_type: str = "InitiateAt", **retry: int
) -> dict[str, Any]:
    body = execute_body(ids, **retry)
    body["schedule"] = {"deadline": at(emu, in_seconds), "timezone": "UTC", "deadlineType": deadline_type}
    return body


def ids_body(op_ids: list[str]) -> dict[str, Any]:
    return {"operationIds": op_ids, "correlationid": str(uuid.uuid4())}


def client(emu: Emulator) -> TestClient:
    """The in-process client, speaking ScheduledActions' api-version."""
    return emu.test_client(api_version=API)
