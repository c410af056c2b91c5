"""Preconditions for a conformance case, built over HTTPS with request bodies written here.

A case lists its preconditions as steps such as ``{"do": "vnet", "name": "vnet1"}``. Each
step sends one ARM request (bodies are ours, shaped like the recorded requests they stand
for) and then lets every pending operation finish (``Emulator.complete_all``), so the case
starts from settled resources, as the recorded tests did.

Every step records the names it made in ``names`` (``rg``, ``vnet``, ``subnet_id``, ``set``,
``vm`` ...), which the case's request path and body templates use.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from _conformance_wire import Arm, fill

COMPUTE = "2025-04-01"
NETWORK = "2025-05-01"
RESOURCES = "2021-04-01"

#: An SSH public key that is not a secret of anyone (the emulator only checks its form).
SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0conformance0runner0key0not0a0secret conformance"


def _rg_path(names: dict[str, str]) -> str:
    return "/subscriptions/{sub}/resourceGroups/" + names["rg"]


def _net(names: dict[str, str], kind: str, name: str) -> str:
    return f"{_rg_path(names)}/providers/Microsoft.Network/{kind}/{name}"


def _compute(names: dict[str, str], kind: str, name: str) -> str:
    return f"{_rg_path(names)}/providers/Microsoft.Compute/{kind}/{name}"


def _put(arm: Arm, names: dict[str, str], path: str, body: Any, api_version: str) -> dict[str, Any]:
    reply = arm.call("PUT", arm.expand(path, names), api_version=api_version, body=body)
    if reply.status not in (200, 201):
        raise AssertionError(f"setup PUT {path} answered {reply.status}: {reply.body}")
    arm.emu.complete_all()
    return reply.body if isinstance(reply.body, dict) else {}


def linux_profile(subnet_id: str, *, nic: str = "nic", pool_id: str | None = None) -> dict[str, Any]:
    """A Flex VM profile (Linux, SSH key, managed disk, one NIC on ``subnet_id``)."""
    ipconfig: dict[str, Any] = {"subnet": {"id": subnet_id}}
    if pool_id:
        ipconfig["loadBalancerBackendAddressPools"] = [{"id": pool_id}]
    return {
        "osProfile": {
            "computerNamePrefix": "vm",
            "adminUsername": "azureuser",
            "linuxConfiguration": {
                "disablePasswordAuthentication": True,
                "ssh": {"publicKeys": [{"path": "/home/azureuser/.ssh/authorized_keys", "keyData": SSH_KEY}]},
            },
        },
        "storageProfile": {
            "imageReference": {
                "publisher": "Canonical",
                "offer": "0001-com-ubuntu-server-jammy",
                "sku": "22_04-lts-gen2",
                "version": "latest",
            },
            "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Standard_LRS"}},
        },
        "networkProfile": {
            "networkApiVersion": "2020-11-01",
            "networkInterfaceConfigurations": [
                {
                    "name": nic,
                    "properties": {
                        "primary": True,
                        "ipConfigurations": [{"name": "ipconfig", "properties": ipconfig}],
                    },
                }
            ],
        },
    }


def vm_body(names: dict[str, str], step: dict[str, Any]) -> dict[str, Any]:
    """A standalone (or set-member) Linux VM on an existing NIC."""
    props: dict[str, Any] = {
        "hardwareProfile": {"vmSize": step.get("size", "Standard_D2s_v3")},
        "storageProfile": {
            "imageReference": {
                "publisher": "Canonical",
                "offer": "0001-com-ubuntu-server-jammy",
                "sku": "22_04-lts-gen2",
                "version": "latest",
            },
            "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Standard_LRS"}},
        },
        "osProfile": {
            "computerName": step.get("name", "vm1"),
            "adminUsername": "azureuser",
            "linuxConfiguration": {
                "disablePasswordAuthentication": True,
                "ssh": {"publicKeys": [{"path": "/home/azureuser/.ssh/authorized_keys", "keyData": SSH_KEY}]},
            },
        },
        "networkProfile": {"networkInterfaces": [{"id": names["nic_id"], "properties": {"primary": True}}]},
    }
    if step.get("in_set"):
        props["virtualMachineScaleSet"] = {"id": names[step["in_set"] + "_id"]}
    if step.get("priority"):
        props["priority"] = step["priority"]
        props["evictionPolicy"] = "Deallocate"
    return {"location": names["location"], "properties": props}


def _rg(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    names["rg"] = step.get("name", "rg1")
    names["location"] = step.get("location", names["location"])
    _put(
        arm,
        names,
        "/subscriptions/{sub}/resourcegroups/" + names["rg"],
        {"location": names["location"]},
        RESOURCES,
    )


def _pip(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    name = step.get("name", "pip1")
    body: dict[str, Any] = {"location": names["location"], "sku": {"name": step.get("sku", "Standard")}}
    body["properties"] = {
        "publicIPAllocationMethod": "Static" if body["sku"]["name"] == "Standard" else "Dynamic"
    }
    made = _put(arm, names, _net(names, "publicIPAddresses", name), body, NETWORK)
    names[step.get("as", "pip")] = name
    names[step.get("as", "pip") + "_id"] = made.get("id", "")


def _nat(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    _pip(arm, names, {"name": step.get("name", "nat1") + "-ip", "as": "nat_pip"})
    body = {
        "location": names["location"],
        "sku": {"name": "Standard"},
        "properties": {"publicIpAddresses": [{"id": names["nat_pip_id"]}]},
    }
    made = _put(arm, names, _net(names, "natGateways", step.get("name", "nat1")), body, NETWORK)
    names["nat"] = step.get("name", "nat1")
    names["nat_id"] = made.get("id", "")


def _vnet(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    name = step.get("name", "vnet1")
    subnet: dict[str, Any] = {"name": "subnet1", "properties": {"addressPrefix": "10.1.0.0/24"}}
    if step.get("nat"):
        subnet["properties"]["natGateway"] = {"id": names["nat_id"]}
    body = {
        "location": names["location"],
        "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}, "subnets": [subnet]},
    }
    made = _put(arm, names, _net(names, "virtualNetworks", name), body, NETWORK)
    names["vnet"] = name
    names["subnet"] = "subnet1"
    names["subnet_id"] = made.get("id", "") + "/subnets/subnet1"


def _nic(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    name = step.get("name", "nic1")
    body = {
        "location": names["location"],
        "properties": {
            "ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": names["subnet_id"]}}}]
        },
    }
    made = _put(arm, names, _net(names, "networkInterfaces", name), body, NETWORK)
    names["nic"] = name
    names["nic_id"] = made.get("id", "")


def _nsg(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    name = step.get("name", "nsg1")
    _put(arm, names, _net(names, "networkSecurityGroups", name), {"location": names["location"]}, NETWORK)
    names["nsg"] = name


def _lb(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    name = step.get("name", "lb1")
    frontend = {"name": "frontend", "properties": {"publicIPAddress": {"id": names["pip_id"]}}}
    body = {
        "location": names["location"],
        "sku": {"name": "Standard"},
        "properties": {"frontendIPConfigurations": [frontend], "backendAddressPools": [{"name": "pool"}]},
    }
    made = _put(arm, names, _net(names, "loadBalancers", name), body, NETWORK)
    names["lb"] = name
    names["pool_id"] = made.get("id", "") + "/backendAddressPools/pool"


def set_body(names: dict[str, str], step: dict[str, Any]) -> dict[str, Any]:
    """A scale set body: Flexible (the default) or Uniform, with or without a VM profile."""
    mode = step.get("mode", "Flexible")
    props: dict[str, Any] = {"orchestrationMode": mode}
    if mode == "Flexible":
        props["platformFaultDomainCount"] = step.get("fd", 1)
    body: dict[str, Any] = {"location": names["location"], "properties": props}
    if step.get("profile", mode == "Uniform"):
        body["sku"] = {
            "name": step.get("size", "Standard_D2s_v3"),
            "tier": "Standard",
            "capacity": step.get("capacity", 0),
        }
        profile = linux_profile(names["subnet_id"], pool_id=names.get("pool_id") if step.get("lb") else None)
        if mode == "Uniform":
            profile["networkProfile"].pop("networkApiVersion")
            props["upgradePolicy"] = {"mode": "Manual"}
            props["overprovision"] = False
        props["virtualMachineProfile"] = profile
    if step.get("zones"):
        body["zones"] = step["zones"]
    return body


def _set(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    name = step.get("name", "set1")
    made = _put(arm, names, _compute(names, "virtualMachineScaleSets", name), set_body(names, step), COMPUTE)
    key = step.get("as", "set")
    names[key] = name
    names[key + "_id"] = made.get("id", "")


def _vm(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    name = step.get("name", "vm1")
    made = _put(arm, names, _compute(names, "virtualMachines", name), vm_body(names, step), COMPUTE)
    names[step.get("as", "vm")] = name
    names[step.get("as", "vm") + "_id"] = made.get("id", "")


def _flex_vms(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    """Scale a profile set out to ``capacity`` and remember its first VM's name."""
    path = arm.expand(_compute(names, "virtualMachineScaleSets", names["set"]), names)
    reply = arm.call("PATCH", path, api_version=COMPUTE, body={"sku": {"capacity": step.get("capacity", 1)}})
    if reply.status not in (200, 202):
        raise AssertionError(f"setup scale-out answered {reply.status}: {reply.body}")
    arm.emu.complete_all()
    listing = arm.call(
        "GET",
        arm.expand(f"{_rg_path(names)}/providers/Microsoft.Compute/virtualMachines", names),
        api_version=COMPUTE,
        query={"$filter": f"'virtualMachineScaleSet/id' eq '{names['set_id']}'"},
    )
    vms = listing.body.get("value", []) if isinstance(listing.body, dict) else []
    if not vms:
        raise AssertionError(f"setup scale-out made no VM: {listing.status} {listing.body}")
    names["vm"] = vms[0]["name"]
    names["vm_id"] = vms[0]["id"]


def _fault(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    """``{"do": "fault", ...}``: a :class:`flexvmss.emulator.FaultRule` put in force."""
    arm.emu.add_fault(fill({k: v for k, v in step.items() if k != "do"}, names))


def _generic_put(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    """``{"do": "put", "path": ..., "body": ..., "api_version": ..., "remember": {"vm": "name"}}``:
    one PUT of a body template; ``remember`` adds names (and ``<key>_id`` from the answer)."""
    made = _put(arm, names, fill(step["path"], names), fill(step["body"], names), step["api_version"])
    for key, value in step.get("remember", {}).items():
        names[key] = value
        names[key + "_id"] = made.get("id", "")


def _action(arm: Arm, names: dict[str, str], step: dict[str, Any]) -> None:
    """``{"do": "action", "path": ..., "api_version": ...}``: one POST, then settle."""
    reply = arm.call("POST", arm.expand(fill(step["path"], names), names), api_version=step["api_version"])
    if reply.status not in (200, 202, 204):
        raise AssertionError(f"setup POST {step['path']} answered {reply.status}: {reply.body}")
    arm.emu.complete_all()


STEPS: dict[str, Callable[[Arm, dict[str, str], dict[str, Any]], None]] = {
    "resource_group": _rg,
    "public_ip": _pip,
    "nat_gateway": _nat,
    "vnet": _vnet,
    "nic": _nic,
    "nsg": _nsg,
    "load_balancer": _lb,
    "scale_set": _set,
    "vm": _vm,
    "scale_out": _flex_vms,
    "fault": _fault,
    "put": _generic_put,
    "action": _action,
}


def prepare(arm: Arm, steps: list[dict[str, Any]], names: dict[str, str] | None = None) -> dict[str, str]:
    """Run a case's preconditions; returns the names they made (starting from ``names``).
    A Windows password is made up per run and never written anywhere."""
    names = {"location": "eastus2", **(names or {}), "sub": arm.emu.subscription_id}
    names["password"] = "Cf-" + secrets.token_hex(12) + "!"
    for step in steps:
        action = STEPS.get(step["do"])
        if action is None:
            raise KeyError(f"unknown setup step {step['do']!r}")
        action(arm, names, step)
    return names
