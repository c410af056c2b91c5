"""Build ``tests/conformance/cases/*.json``: facts about real Azure answers, one case each.

Sources (every case names its own):

* kubernetes-sigs/cloud-provider-azure ``pkg/azclient/*/testdata/AZURECLOUD.yaml`` — go-vcr
  recordings of real ARM traffic (Compute 2025-04-01, Network 2025-05-01, Resources
  2021-04-01), re-recorded in 2026. Read from a local snapshot of that repository
  (``--cpa``; snapshot commit 7b31c76ce2ff602cc2dfec988744d8d0534b448c, 2026-08-19). Their
  recorder strips ``Retry-After`` and ``x-ms-ratelimit-remaining-resource``, so no case
  built from them says anything about those headers.
* Azure/azure-rest-api-specs example files (``--examples``; the copies in the steering
  repository's ``shared/azure-examples``, whose README names each upstream path and commit).
* Recordings read through the public-code index and transcribed by hand below (Azure SDK
  for Java ``session-records``; Azure SDK for Python recordings as described in the
  steering repository's research note ``wire-truth.md`` §2.2), and documented error texts.

What is kept is facts only: method, path template, api-version, status, which LRO headers
were present, the recursive key set and JSON types of the body, a few key values and error
codes/texts. Request bodies are written here (shaped like the recorded requests, values our
own); no recorded body, id, token, password or key is copied. Secret-looking values do not
occur: the Windows password the cases need is made up at run time by the runner.

Usage::

    python scripts/conformance/build_cases.py \\
        --cpa /path/to/kubernetes-sigs+cloud-provider-azure/repo \\
        --examples /path/to/shared/azure-examples [--out tests/conformance/cases]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))

from _conformance_wire import shape_of  # noqa: E402

CPA_REPO = "kubernetes-sigs/cloud-provider-azure"
CPA_SNAPSHOT = "7b31c76ce2ff602cc2dfec988744d8d0534b448c"
SPECS_REPO = "Azure/azure-rest-api-specs"
LRO_HEADERS = ("Azure-AsyncOperation", "Location")

SUB = "/subscriptions/{sub}"
RG = SUB + "/resourceGroups/{rg}"
CMP = RG + "/providers/Microsoft.Compute"
NET = RG + "/providers/Microsoft.Network"
C25, N25, R21 = "2025-04-01", "2025-05-01", "2021-04-01"

WIN_IMAGE = {
    "publisher": "MicrosoftWindowsServer",
    "offer": "WindowsServer",
    "sku": "2019-Datacenter",
    "version": "latest",
}


#: Resource SKUs never moved past 2021-07-01 (azure-mgmt-compute 39 still calls it): for them
#: that is today's api-version, not an old one.
CURRENT_OLD_VERSIONS = {"2021-07-01"}


def strength(kind: str, api_version: str, *, skus: bool = False) -> str:
    """strong: a real recording at api-version 2023 or later; medium: a real recording of
    2022, or a REST spec example at today's api-version; weak: anything older, documented or
    reported errors, and responses a spec only declares (no recording, no example)."""
    year = 2026 if skus and api_version in CURRENT_OLD_VERSIONS else int(api_version[:4])
    if kind == "recording":
        return "strong" if year >= 2023 else "medium" if year == 2022 else "weak"
    if kind == "spec-example":
        return "medium" if year >= 2025 else "weak"
    return "weak"


# ---------------------------------------------------------------------------- CPA recordings


class Cpa:
    """One snapshot of cloud-provider-azure, read with git."""

    def __init__(self, repo: Path) -> None:
        import yaml

        self.repo = repo
        self.yaml = yaml
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.repo), *args], check=True, capture_output=True, text=True
        ).stdout

    def path(self, client: str) -> str:
        return f"pkg/azclient/{client}/testdata/AZURECLOUD.yaml"

    def interactions(self, client: str) -> list[dict[str, Any]]:
        if client not in self._cache:
            doc = self.yaml.safe_load(self._git("show", f"{CPA_SNAPSHOT}:{self.path(client)}"))
            self._cache[client] = doc["interactions"]
        return self._cache[client]

    def last_change(self, client: str) -> tuple[str, str]:
        out = self._git("log", "-1", "--format=%H %cs", CPA_SNAPSHOT, "--", self.path(client)).split()
        return out[0], out[1]

    def facts(self, client: str, index: int, subst: dict[str, str]) -> dict[str, Any]:
        """Status, LRO headers, body shape and error of one recorded interaction."""
        it = next(i for i in self.interactions(client) if i["id"] == index)
        resp = it["response"]
        headers = {k.lower() for k in (resp.get("headers") or {})}
        body = json.loads(resp["body"]) if resp.get("body") else None
        url = it["request"]["url"]
        api = re.search(r"api-version=([0-9-]+)", url)
        facts: dict[str, Any] = {
            "method": it["request"]["method"],
            "api_version": api.group(1) if api else "",
            "status": resp["code"],
            "present": [h for h in LRO_HEADERS if h.lower() in headers],
            "absent": [h for h in LRO_HEADERS if h.lower() not in headers],
            "body": body,
        }
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            err = {k: v for k, v in body["error"].items() if k in ("code", "message", "target")}
            err["message"] = _template(err.get("message", ""), subst)
            facts["error"] = err
        return facts


def _template(text: str, subst: dict[str, str]) -> str:
    text = text.replace("/subscriptions/00000000-0000-0000-0000-000000000000", "/subscriptions/{sub}")
    for recorded, placeholder in sorted(subst.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(recorded, placeholder)
    return text


def cpa_case(
    cpa: Cpa,
    client: str,
    index: int,
    *,
    id: str,
    area: str,
    title: str,
    setup: list[dict[str, Any]],
    request: dict[str, Any],
    model: str | None = None,
    values: dict[str, Any] | None = None,
    subst: dict[str, str] | None = None,
    names: dict[str, str] | None = None,
    then: dict[str, Any] | None = None,
    shape: bool = True,
    error_keys: tuple[str, ...] = ("code", "message", "target"),
    message_match: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    facts = cpa.facts(client, index, subst or {})
    commit, date = cpa.last_change(client)
    request = {"method": facts["method"], "api_version": facts["api_version"], **request}
    expect: dict[str, Any] = {
        "status": facts["status"],
        "headers": {"present": facts["present"], "absent": facts["absent"]},
    }
    if "error" in facts:
        err = {k: v for k, v in facts["error"].items() if k in error_keys}
        if message_match:
            err["match"] = message_match
        expect["error"] = err
    elif shape:
        if facts["body"] is None:
            expect["empty_body"] = True
        else:
            expect["shape"] = without_policy_tags(shape_of(facts["body"]))
            if model:
                expect["model"] = model
    if values:
        expect["values"] = values
    evidence = {
        "kind": "recording",
        "repo": CPA_REPO,
        "path": cpa.path(client),
        "commit": commit,
        "snapshot": CPA_SNAPSHOT,
        "recorded": date,
        "api_version": facts["api_version"],
        "interaction": index,
        "strength": strength("recording", facts["api_version"]),
        "note": "go-vcr recording made by the azclient tests; the recorder strips Retry-After and "
        "x-ms-ratelimit-remaining-resource" + (f". {note}" if note else ""),
    }
    case: dict[str, Any] = {"id": id, "area": area, "title": title, "evidence": evidence}
    if names:
        case["names"] = names
    case["setup"] = setup
    case["request"] = request
    if then:
        case["then"] = then
    case["expect"] = expect
    return case


def without_policy_tags(shape: Any) -> Any:
    """Drop top-level ``tags`` (and each list item's): the recording subscriptions add tags by
    policy (``createdAt``, ``azsecpack`` ...); our requests set none, and Azure adds none itself."""
    if isinstance(shape, dict):
        out = {k: v for k, v in shape.items() if k != "tags"}
        if isinstance(out.get("value"), list):
            out["value"] = [without_policy_tags(i) for i in out["value"]]
        return out
    return shape


RG_STEP = {"do": "resource_group"}


def _vm_windows(name: str = "winvm") -> dict[str, Any]:
    return {
        "location": "{location}",
        "identity": {"type": "None"},
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_D2s_v3"},
            "networkProfile": {"networkInterfaces": [{"id": "{nic_id}"}]},
            "osProfile": {"adminUsername": "azureuser", "adminPassword": "{password}", "computerName": name},
            "storageProfile": {
                "imageReference": WIN_IMAGE,
                "osDisk": {
                    "name": name + "-os",
                    "caching": "ReadWrite",
                    "createOption": "FromImage",
                    "managedDisk": {"storageAccountType": "Standard_LRS"},
                },
            },
        },
    }


def _uniform_windows_set(mode: str | None = None) -> dict[str, Any]:
    """The recorded request named no orchestrationMode; setups that only need a Uniform set
    name it, so a divergence in the default does not hide what those cases check."""
    return {
        "location": "{location}",
        "sku": {"name": "Standard_D2s_v3", "capacity": 1},
        "properties": {
            **({"orchestrationMode": mode} if mode else {}),
            "overprovision": False,
            "upgradePolicy": {
                "mode": "Manual",
                "automaticOSUpgradePolicy": {
                    "enableAutomaticOSUpgrade": False,
                    "disableAutomaticRollback": False,
                },
            },
            "virtualMachineProfile": {
                "osProfile": {
                    "computerNamePrefix": "vmss",
                    "adminUsername": "azureuser",
                    "adminPassword": "{password}",
                },
                "storageProfile": {"imageReference": WIN_IMAGE},
                "networkProfile": {
                    "networkInterfaceConfigurations": [
                        {
                            "name": "nic",
                            "properties": {
                                "primary": True,
                                "enableIPForwarding": True,
                                "ipConfigurations": [
                                    {"name": "ipconfig", "properties": {"subnet": {"id": "{subnet_id}"}}}
                                ],
                            },
                        }
                    ]
                },
            },
        },
    }


def _put_step(path: str, body: dict[str, Any], api: str, remember: dict[str, str]) -> dict[str, Any]:
    return {"do": "put", "path": path, "body": body, "api_version": api, "remember": remember}


def cpa_cases(cpa: Cpa) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    add = cases.append
    ghost = {"missing": "ghost", "missing_rg": "rg-ghost"}

    # ------------------------------------------------------------- resource groups
    sub_rg = {"aks-cit-ResourceGroupcustom": "{rg}", "aks-cit-ResourceGroup": "{rg}"}
    add(
        cpa_case(
            cpa,
            "resourcegroupclient",
            0,
            id="rg-create",
            area="resources",
            title="PUT resource group (new): 201, no LRO headers",
            setup=[],
            request={"path": SUB + "/resourcegroups/rg9", "body": {"location": "eastus"}},
            model="resource:ResourceGroup",
            subst=sub_rg,
            values={"properties.provisioningState": "Succeeded"},
        )
    )
    add(
        cpa_case(
            cpa,
            "natgatewayclient",
            0,
            id="rg-create-existing",
            area="resources",
            title="PUT resource group that exists: 200",
            setup=[RG_STEP],
            request={"path": SUB + "/resourcegroups/{rg}", "body": {"location": "{location}"}},
            model="resource:ResourceGroup",
        )
    )
    add(
        cpa_case(
            cpa,
            "resourcegroupclient",
            1,
            id="rg-get",
            area="resources",
            title="GET resource group",
            setup=[{"do": "resource_group", "location": "eastus"}],
            request={"path": SUB + "/resourcegroups/{rg}"},
            model="resource:ResourceGroup",
        )
    )
    add(
        cpa_case(
            cpa,
            "resourcegroupclient",
            3,
            id="rg-delete",
            area="resources",
            title="DELETE resource group: 202 with Location only",
            setup=[{"do": "resource_group", "location": "eastus"}],
            request={"path": SUB + "/resourcegroups/{rg}"},
        )
    )
    add(
        cpa_case(
            cpa,
            "resourcegroupclient",
            4,
            id="rg-delete-result",
            area="resources",
            title="GET the resource-group delete's Location after it finished: 200",
            setup=[{"do": "resource_group", "location": "eastus"}],
            request={"method": "DELETE", "path": SUB + "/resourcegroups/{rg}"},
            then={"follow": "Location", "complete": True, "initial_status": 202},
        )
    )

    # ------------------------------------------------------------- VMs (standalone, Windows)
    vm_subst = {
        "aks-cit-VirtualMachinenotfound": "{missing_rg}",
        "aks-cit-VirtualMachine": "{rg}",
        "testResource": "{missing}",
    }
    net = [RG_STEP, {"do": "vnet"}, {"do": "nic"}]
    win = _vm_windows()
    vm_made = [*net, _put_step(CMP + "/virtualMachines/winvm", win, C25, {"vm": "winvm"})]
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            5,
            id="vm-instanceview-missing",
            area="errors",
            title="GET instanceView of a VM that does not exist: 404 ResourceNotFound",
            setup=[RG_STEP],
            names=ghost,
            subst=vm_subst,
            request={"path": CMP + "/virtualMachines/{missing}/instanceView"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            6,
            id="vm-list-expand-without-filter",
            area="vms",
            title="List VMs with $expand=instanceView and no $filter: 200 (empty group)",
            setup=[RG_STEP],
            request={"path": CMP + "/virtualMachines", "query": {"$expand": "instanceView"}},
            values={"value": []},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            7,
            id="vm-list-filter-expand-nomatch",
            area="vms",
            title="List VMs filtered by a set id that matches nothing, with instanceView: 200 empty",
            setup=[RG_STEP],
            values={"value": []},
            request={
                "path": CMP + "/virtualMachines",
                "query": {"$expand": "instanceView", "$filter": "'virtualMachineScaleSet/id' eq 'notexists'"},
            },
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            8,
            id="vm-list-filter-nomatch",
            area="vms",
            title="List VMs filtered by a set id that matches nothing: 200 empty",
            setup=[RG_STEP],
            values={"value": []},
            request={
                "path": CMP + "/virtualMachines",
                "query": {"$filter": "'virtualMachineScaleSet/id' eq 'notexists'"},
            },
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            9,
            id="vm-create",
            area="vms",
            title="PUT a Windows VM on an existing NIC: 201, Azure-AsyncOperation, no Location",
            setup=net,
            request={"path": CMP + "/virtualMachines/winvm", "body": win},
            model="compute:VirtualMachine",
            values={"properties.provisioningState": "Creating"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            10,
            id="vm-create-operation-succeeded",
            area="operations",
            title="Compute operation status after a VM create finished",
            setup=net,
            request={"method": "PUT", "path": CMP + "/virtualMachines/winvm", "body": win},
            then={"follow": "Azure-AsyncOperation", "complete": True, "initial_status": 201},
            values={"status": "Succeeded"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            11,
            id="vm-get",
            area="vms",
            title="GET a Windows VM: server-side defaults in the body",
            setup=vm_made,
            request={"path": CMP + "/virtualMachines/winvm"},
            model="compute:VirtualMachine",
            values={"properties.provisioningState": "Succeeded"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            12,
            id="vm-update-put",
            area="vms",
            title="PUT an existing VM again: 200, no LRO headers",
            setup=vm_made,
            request={"path": CMP + "/virtualMachines/winvm", "body": win},
            model="compute:VirtualMachine",
            values={"properties.provisioningState": "Updating"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            14,
            id="vm-put-if-match-mismatch",
            area="errors",
            title="PUT a VM with a stale If-Match: 412 PreconditionFailed",
            setup=vm_made,
            message_match="prefix",
            request={
                "path": CMP + "/virtualMachines/winvm",
                "body": win,
                "headers": {"If-Match": '"invalid"'},
            },
            subst={'does not match etag "3" of resource.': "does not match etag"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            15,
            id="vm-list",
            area="vms",
            title="List the VMs of a group",
            setup=vm_made,
            request={"path": CMP + "/virtualMachines"},
            model="compute:VirtualMachine[]",
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            16,
            id="vm-list-missing-group",
            area="errors",
            title="List VMs of a group that does not exist: 404 ResourceGroupNotFound",
            setup=[RG_STEP],
            names=ghost,
            subst=vm_subst,
            request={
                "path": SUB + "/resourceGroups/{missing_rg}/providers/Microsoft.Compute/virtualMachines"
            },
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachineclient",
            17,
            id="vm-delete",
            area="vms",
            title="DELETE a VM: 202 with Azure-AsyncOperation and Location, empty body",
            setup=vm_made,
            request={"path": CMP + "/virtualMachines/winvm"},
        )
    )

    # ------------------------------------------------------------- scale sets (Uniform, Windows)
    set_subst = {
        "aks-cit-VirtualMachineScaleSetnotfound": "{missing_rg}",
        "aks-cit-VirtualMachineScaleSet": "{rg}",
        "testResource": "{missing}",
    }
    uset = _uniform_windows_set()
    set_net = [RG_STEP, {"do": "vnet"}]
    uset_named = _uniform_windows_set("Uniform")
    set_made = [*set_net, _put_step(CMP + "/virtualMachineScaleSets/uset", uset_named, C25, {"set": "uset"})]
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetclient",
            4,
            id="vmss-get-missing",
            area="errors",
            title="GET a scale set that does not exist: 404 ResourceNotFound",
            setup=[RG_STEP],
            names=ghost,
            subst=set_subst,
            request={"path": CMP + "/virtualMachineScaleSets/{missing}"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetclient",
            5,
            id="vmss-create-default-mode",
            area="scale_sets",
            title="PUT a scale set without orchestrationMode: 201, Uniform, Azure-AsyncOperation",
            setup=set_net,
            request={"path": CMP + "/virtualMachineScaleSets/uset", "body": uset},
            model="compute:VirtualMachineScaleSet",
            values={"properties.provisioningState": "Creating", "properties.orchestrationMode": "Uniform"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetclient",
            6,
            id="vmss-create-operation-succeeded",
            area="operations",
            title="Compute operation status after a scale-set create finished",
            setup=set_net,
            request={"method": "PUT", "path": CMP + "/virtualMachineScaleSets/uset", "body": uset_named},
            then={"follow": "Azure-AsyncOperation", "complete": True, "initial_status": 201},
            values={"status": "Succeeded"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetclient",
            7,
            id="vmss-get-uniform",
            area="scale_sets",
            title="GET a Uniform scale set: server-side defaults in the profile",
            setup=set_made,
            request={"path": CMP + "/virtualMachineScaleSets/uset"},
            model="compute:VirtualMachineScaleSet",
            values={"properties.provisioningState": "Succeeded"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetclient",
            8,
            id="vmss-update-put",
            area="scale_sets",
            title="PUT an existing scale set: 200 with Azure-AsyncOperation, Updating",
            setup=set_made,
            request={"path": CMP + "/virtualMachineScaleSets/uset", "body": uset_named},
            model="compute:VirtualMachineScaleSet",
            values={"properties.provisioningState": "Updating"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetclient",
            11,
            id="vmss-put-if-match-mismatch",
            area="errors",
            title="PUT a scale set with a stale If-Match: 412 PreconditionFailed",
            setup=set_made,
            message_match="prefix",
            request={
                "path": CMP + "/virtualMachineScaleSets/uset",
                "body": uset_named,
                "headers": {"If-Match": '"invalid"'},
            },
            subst={'does not match etag "1" of resource.': "does not match etag"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetclient",
            12,
            id="vmss-list",
            area="scale_sets",
            title="List the scale sets of a group",
            setup=set_made,
            request={"path": CMP + "/virtualMachineScaleSets"},
            model="compute:VirtualMachineScaleSet[]",
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetclient",
            13,
            id="vmss-list-missing-group",
            area="errors",
            title="List scale sets of a group that does not exist: 404 ResourceGroupNotFound",
            setup=[RG_STEP],
            names=ghost,
            subst=set_subst,
            request={
                "path": SUB
                + "/resourceGroups/{missing_rg}/providers/Microsoft.Compute/virtualMachineScaleSets"
            },
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetclient",
            14,
            id="vmss-delete",
            area="scale_sets",
            title="DELETE a scale set: 202 with Azure-AsyncOperation and Location",
            setup=set_made,
            request={"path": CMP + "/virtualMachineScaleSets/uset"},
        )
    )

    # ------------------------------------------------------------- Uniform instances (VMSS VM API)
    vmssvm = "/virtualMachineScaleSets/uset/virtualMachines"
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetvmclient",
            7,
            id="vmssvm-instance-view",
            area="vms",
            title="GET a Uniform instance's instanceView",
            setup=set_made,
            request={"path": CMP + vmssvm + "/0/instanceView"},
            model="compute:VirtualMachineScaleSetVMInstanceView",
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetvmclient",
            8,
            id="vmssvm-list",
            area="vms",
            title="List a Uniform set's instances",
            setup=set_made,
            request={"path": CMP + vmssvm},
            model="compute:VirtualMachineScaleSetVM[]",
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetvmclient",
            15,
            id="vmssvm-get-bad-instance-id",
            area="errors",
            title="GET a Uniform instance by a non-numeric id: 400 InvalidParameter",
            setup=set_made,
            request={"path": CMP + vmssvm + "/0notfound"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualmachinescalesetvmclient",
            16,
            id="vmssvm-delete",
            area="vms",
            title="DELETE a Uniform instance: 202 with Azure-AsyncOperation and Location",
            setup=set_made,
            request={"path": CMP + vmssvm + "/0"},
        )
    )

    # ------------------------------------------------------------- network
    def nf(kind: str, rgname: str, name: str = "testResource") -> dict[str, str]:
        return {rgname + "notfound": "{missing_rg}", rgname: "{rg}", name + "notfound": "{missing}"}

    vnet_body = {
        "location": "{location}",
        "properties": {"addressSpace": {"addressPrefixes": ["10.2.0.0/16"]}},
    }
    vnet_made = [RG_STEP, _put_step(NET + "/virtualNetworks/vnet9", vnet_body, N25, {"vnet9": "vnet9"})]
    vsub = nf("virtualNetworks", "aks-cit-VirtualNetwork")
    add(
        cpa_case(
            cpa,
            "virtualnetworkclient",
            1,
            id="vnet-create",
            area="network",
            title="PUT a VNet: 201 with Azure-AsyncOperation, Updating",
            setup=[RG_STEP],
            request={"path": NET + "/virtualNetworks/vnet9", "body": vnet_body},
            model="network:VirtualNetwork",
            values={"properties.provisioningState": "Updating"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualnetworkclient",
            2,
            id="network-operation-succeeded",
            area="operations",
            title="Network operation status: only {status}",
            setup=[RG_STEP],
            request={"method": "PUT", "path": NET + "/virtualNetworks/vnet9", "body": vnet_body},
            then={"follow": "Azure-AsyncOperation", "complete": True, "initial_status": 201},
            values={"status": "Succeeded"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualnetworkclient",
            3,
            id="vnet-get",
            area="network",
            title="GET a VNet",
            setup=vnet_made,
            request={"path": NET + "/virtualNetworks/vnet9"},
            model="network:VirtualNetwork",
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualnetworkclient",
            5,
            id="vnet-get-missing",
            area="errors",
            title="GET a VNet that does not exist: 404 ResourceNotFound",
            setup=[RG_STEP],
            names=ghost,
            subst=vsub,
            request={"path": NET + "/virtualNetworks/{missing}"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualnetworkclient",
            8,
            id="vnet-put-if-match-mismatch",
            area="errors",
            title="PUT a VNet with a stale If-Match: 412 PreconditionFailed with an NRP detail",
            setup=vnet_made,
            error_keys=("code", "message"),
            request={
                "path": NET + "/virtualNetworks/vnet9",
                "body": vnet_body,
                "headers": {"If-Match": '"invalid"'},
            },
            values={"error.details[0].code": "PreconditionFailedEtagMismatch"},
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualnetworkclient",
            9,
            id="vnet-list",
            area="network",
            title="List the VNets of a group",
            setup=vnet_made,
            request={"path": NET + "/virtualNetworks"},
            model="network:VirtualNetwork[]",
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualnetworkclient",
            10,
            id="vnet-list-missing-group",
            area="errors",
            title="List VNets of a group that does not exist: 404",
            setup=[RG_STEP],
            names=ghost,
            subst=vsub,
            request={
                "path": SUB + "/resourceGroups/{missing_rg}/providers/Microsoft.Network/virtualNetworks"
            },
        )
    )
    add(
        cpa_case(
            cpa,
            "virtualnetworkclient",
            11,
            id="vnet-delete",
            area="network",
            title="DELETE a VNet: 202 with Azure-AsyncOperation and Location",
            setup=vnet_made,
            request={"path": NET + "/virtualNetworks/vnet9"},
        )
    )

    snsub = {
        "aks-cit-Subnetnotfound": "{missing_rg}",
        "aks-cit-Subnet": "{rg}",
        "testParentResource": "{vnet}",
        "testResourcenotfound": "{missing}",
    }
    subnet_body = {"properties": {"addressPrefix": "10.1.1.0/24"}}
    snet = [RG_STEP, {"do": "vnet"}]
    snet_made = [
        *snet,
        _put_step(NET + "/virtualNetworks/{vnet}/subnets/subnet2", subnet_body, N25, {"subnet2": "subnet2"}),
    ]
    add(
        cpa_case(
            cpa,
            "subnetclient",
            4,
            id="subnet-create",
            area="network",
            title="PUT a subnet: 201 with Azure-AsyncOperation",
            setup=snet,
            request={"path": NET + "/virtualNetworks/{vnet}/subnets/subnet2", "body": subnet_body},
            model="network:Subnet",
        )
    )
    add(
        cpa_case(
            cpa,
            "subnetclient",
            6,
            id="subnet-get",
            area="network",
            title="GET a subnet",
            setup=snet_made,
            request={"path": NET + "/virtualNetworks/{vnet}/subnets/subnet2"},
            model="network:Subnet",
        )
    )
    add(
        cpa_case(
            cpa,
            "subnetclient",
            8,
            id="subnet-get-missing",
            area="errors",
            title="GET a subnet that does not exist: 404 NotFound (NRP text, not ARM's)",
            setup=snet,
            names=ghost,
            subst=snsub,
            request={"path": NET + "/virtualNetworks/{vnet}/subnets/{missing}"},
        )
    )
    add(
        cpa_case(
            cpa,
            "subnetclient",
            9,
            id="subnet-update",
            area="network",
            title="PUT an existing subnet: 200 with Azure-AsyncOperation",
            setup=snet_made,
            request={"path": NET + "/virtualNetworks/{vnet}/subnets/subnet2", "body": subnet_body},
            model="network:Subnet",
        )
    )
    add(
        cpa_case(
            cpa,
            "subnetclient",
            11,
            id="subnet-list",
            area="network",
            title="List a VNet's subnets",
            setup=snet_made,
            request={"path": NET + "/virtualNetworks/{vnet}/subnets"},
            model="network:Subnet[]",
        )
    )
    add(
        cpa_case(
            cpa,
            "subnetclient",
            12,
            id="subnet-list-missing-group",
            area="errors",
            title="List subnets in a group that does not exist: 404 ResourceGroupNotFound",
            setup=snet,
            names=ghost,
            subst=snsub,
            request={
                "path": SUB
                + "/resourceGroups/{missing_rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets"
            },
        )
    )
    add(
        cpa_case(
            cpa,
            "subnetclient",
            13,
            id="subnet-delete",
            area="network",
            title="DELETE a subnet: 202 with Azure-AsyncOperation and Location",
            setup=snet_made,
            request={"path": NET + "/virtualNetworks/{vnet}/subnets/subnet2"},
        )
    )

    nic_body = {
        "location": "{location}",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "ipConfig1",
                    "properties": {"privateIPAllocationMethod": "Dynamic", "subnet": {"id": "{subnet_id}"}},
                }
            ]
        },
    }
    nic_made = [*snet, _put_step(NET + "/networkInterfaces/nic9", nic_body, N25, {"nic9": "nic9"})]
    isub = nf("networkInterfaces", "aks-cit-Interface")
    add(
        cpa_case(
            cpa,
            "interfaceclient",
            4,
            id="nic-create",
            area="network",
            title="PUT a NIC: 201 and already Succeeded, no LRO headers",
            setup=snet,
            request={"path": NET + "/networkInterfaces/nic9", "body": nic_body},
            model="network:NetworkInterface",
            values={"properties.provisioningState": "Succeeded"},
        )
    )
    add(
        cpa_case(
            cpa,
            "interfaceclient",
            5,
            id="nic-get",
            area="network",
            title="GET a NIC (server-side defaults)",
            setup=nic_made,
            request={"path": NET + "/networkInterfaces/nic9"},
            model="network:NetworkInterface",
        )
    )
    add(
        cpa_case(
            cpa,
            "interfaceclient",
            6,
            id="nic-get-missing",
            area="errors",
            title="GET a NIC that does not exist: 404 ResourceNotFound",
            setup=[RG_STEP],
            names=ghost,
            subst=isub,
            request={"path": NET + "/networkInterfaces/{missing}"},
        )
    )
    add(
        cpa_case(
            cpa,
            "interfaceclient",
            7,
            id="nic-update",
            area="network",
            title="PUT an existing NIC: 200, no LRO headers",
            setup=nic_made,
            request={"path": NET + "/networkInterfaces/nic9", "body": nic_body},
            model="network:NetworkInterface",
        )
    )
    add(
        cpa_case(
            cpa,
            "interfaceclient",
            8,
            id="nic-list",
            area="network",
            title="List the NICs of a group",
            setup=nic_made,
            request={"path": NET + "/networkInterfaces"},
            model="network:NetworkInterface[]",
        )
    )
    add(
        cpa_case(
            cpa,
            "interfaceclient",
            10,
            id="nic-delete",
            area="network",
            title="DELETE a NIC: 200 (not 202) with Azure-AsyncOperation and Location",
            setup=nic_made,
            request={"path": NET + "/networkInterfaces/nic9"},
        )
    )

    pip_body = {"location": "{location}"}
    pip_made = [RG_STEP, _put_step(NET + "/publicIPAddresses/pip9", pip_body, N25, {"pip9": "pip9"})]
    psub = nf("publicIPAddresses", "aks-cit-PublicIPAddress")
    add(
        cpa_case(
            cpa,
            "publicipaddressclient",
            1,
            id="pip-create-default",
            area="network",
            title="PUT a public IP with only a location: 201 with Azure-AsyncOperation",
            setup=[RG_STEP],
            request={"path": NET + "/publicIPAddresses/pip9", "body": pip_body},
            model="network:PublicIPAddress",
        )
    )
    add(
        cpa_case(
            cpa,
            "publicipaddressclient",
            3,
            id="pip-get",
            area="network",
            title="GET a public IP",
            setup=pip_made,
            request={"path": NET + "/publicIPAddresses/pip9"},
            model="network:PublicIPAddress",
        )
    )
    add(
        cpa_case(
            cpa,
            "publicipaddressclient",
            5,
            id="pip-get-missing",
            area="errors",
            title="GET a public IP that does not exist: 404",
            setup=[RG_STEP],
            names=ghost,
            subst=psub,
            request={"path": NET + "/publicIPAddresses/{missing}"},
        )
    )
    add(
        cpa_case(
            cpa,
            "publicipaddressclient",
            6,
            id="pip-update",
            area="network",
            title="PUT an existing public IP: 200 with Azure-AsyncOperation",
            setup=pip_made,
            request={"path": NET + "/publicIPAddresses/pip9", "body": pip_body},
            model="network:PublicIPAddress",
        )
    )
    add(
        cpa_case(
            cpa,
            "publicipaddressclient",
            9,
            id="pip-list",
            area="network",
            title="List the public IPs of a group",
            setup=pip_made,
            request={"path": NET + "/publicIPAddresses"},
            model="network:PublicIPAddress[]",
        )
    )
    add(
        cpa_case(
            cpa,
            "publicipaddressclient",
            11,
            id="pip-delete",
            area="network",
            title="DELETE a public IP: 202 with Azure-AsyncOperation and Location",
            setup=pip_made,
            request={"path": NET + "/publicIPAddresses/pip9"},
        )
    )

    std_pip = {"do": "public_ip", "name": "pip1"}
    nat_body = {
        "location": "{location}",
        "sku": {"name": "Standard"},
        "properties": {"publicIpAddresses": [{"id": "{pip_id}"}]},
    }
    nat_made = [RG_STEP, std_pip, _put_step(NET + "/natGateways/nat9", nat_body, N25, {"nat9": "nat9"})]
    nsub = nf("natGateways", "aks-cit-NatGateway")
    add(
        cpa_case(
            cpa,
            "natgatewayclient",
            1,
            id="pip-create-standard-static",
            area="network",
            title="PUT an existing Standard static public IP: 200, body with ipAddress, ddosSettings",
            setup=[RG_STEP, std_pip],
            request={
                "path": NET + "/publicIPAddresses/pip1",
                "body": {
                    "location": "{location}",
                    "sku": {"name": "Standard", "tier": "Regional"},
                    "properties": {"publicIPAllocationMethod": "Static"},
                },
            },
            model="network:PublicIPAddress",
            note="the group and the IP existed already when this was recorded (the PUT answered 200), so "
            "the case updates an existing IP",
        )
    )
    add(
        cpa_case(
            cpa,
            "natgatewayclient",
            4,
            id="nat-create",
            area="network",
            title="PUT a NAT gateway: 201 with Azure-AsyncOperation",
            setup=[RG_STEP, std_pip],
            request={"path": NET + "/natGateways/nat9", "body": nat_body},
            model="network:NatGateway",
        )
    )
    add(
        cpa_case(
            cpa,
            "natgatewayclient",
            6,
            id="nat-get",
            area="network",
            title="GET a NAT gateway",
            setup=nat_made,
            request={"path": NET + "/natGateways/nat9"},
            model="network:NatGateway",
        )
    )
    add(
        cpa_case(
            cpa,
            "natgatewayclient",
            8,
            id="nat-get-missing",
            area="errors",
            title="GET a NAT gateway that does not exist: 404",
            setup=[RG_STEP],
            names=ghost,
            subst=nsub,
            request={"path": NET + "/natGateways/{missing}"},
        )
    )
    add(
        cpa_case(
            cpa,
            "natgatewayclient",
            9,
            id="nat-update",
            area="network",
            title="PUT an existing NAT gateway: 200 with Azure-AsyncOperation",
            setup=nat_made,
            request={"path": NET + "/natGateways/nat9", "body": nat_body},
            model="network:NatGateway",
        )
    )
    add(
        cpa_case(
            cpa,
            "natgatewayclient",
            11,
            id="nat-list",
            area="network",
            title="List the NAT gateways of a group",
            setup=nat_made,
            request={"path": NET + "/natGateways"},
            model="network:NatGateway[]",
        )
    )
    add(
        cpa_case(
            cpa,
            "natgatewayclient",
            13,
            id="nat-delete",
            area="network",
            title="DELETE a NAT gateway: 202 with Azure-AsyncOperation and Location",
            setup=nat_made,
            request={"path": NET + "/natGateways/nat9"},
        )
    )

    lb_body = {
        "location": "{location}",
        "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [
                {"name": "frontendConfig1", "properties": {"publicIPAddress": {"id": "{pip_id}"}}}
            ]
        },
    }
    lb_made = [RG_STEP, std_pip, _put_step(NET + "/loadBalancers/lb9", lb_body, N25, {"lb9": "lb9"})]
    lsub = nf("loadBalancers", "aks-cit-LoadBalancer")
    add(
        cpa_case(
            cpa,
            "loadbalancerclient",
            4,
            id="lb-create",
            area="network",
            title="PUT a Standard load balancer: 201 with Azure-AsyncOperation",
            setup=[RG_STEP, std_pip],
            request={"path": NET + "/loadBalancers/lb9", "body": lb_body},
            model="network:LoadBalancer",
        )
    )
    add(
        cpa_case(
            cpa,
            "loadbalancerclient",
            5,
            id="lb-get",
            area="network",
            title="GET a load balancer",
            setup=lb_made,
            request={"path": NET + "/loadBalancers/lb9"},
            model="network:LoadBalancer",
        )
    )
    add(
        cpa_case(
            cpa,
            "loadbalancerclient",
            7,
            id="lb-get-missing",
            area="errors",
            title="GET a load balancer that does not exist: 404",
            setup=[RG_STEP],
            names=ghost,
            subst=lsub,
            request={"path": NET + "/loadBalancers/{missing}"},
        )
    )
    add(
        cpa_case(
            cpa,
            "loadbalancerclient",
            8,
            id="lb-update",
            area="network",
            title="PUT an existing load balancer: 200 with Azure-AsyncOperation",
            setup=lb_made,
            request={"path": NET + "/loadBalancers/lb9", "body": lb_body},
            model="network:LoadBalancer",
        )
    )
    add(
        cpa_case(
            cpa,
            "loadbalancerclient",
            11,
            id="lb-list",
            area="network",
            title="List the load balancers of a group",
            setup=lb_made,
            request={"path": NET + "/loadBalancers"},
            model="network:LoadBalancer[]",
        )
    )
    add(
        cpa_case(
            cpa,
            "loadbalancerclient",
            13,
            id="lb-delete",
            area="network",
            title="DELETE a load balancer: 202 with Azure-AsyncOperation and Location",
            setup=lb_made,
            request={"path": NET + "/loadBalancers/lb9"},
        )
    )

    nsg_body = {"location": "{location}"}
    nsg_made = [RG_STEP, _put_step(NET + "/networkSecurityGroups/nsg9", nsg_body, N25, {"nsg9": "nsg9"})]
    add(
        cpa_case(
            cpa,
            "securitygroupclient",
            1,
            id="nsg-create",
            area="network",
            title="PUT a network security group: 201 with Azure-AsyncOperation (default rules)",
            setup=[RG_STEP],
            request={"path": NET + "/networkSecurityGroups/nsg9", "body": nsg_body},
            model="network:NetworkSecurityGroup",
        )
    )
    add(
        cpa_case(
            cpa,
            "securitygroupclient",
            3,
            id="nsg-get",
            area="network",
            title="GET a network security group",
            setup=nsg_made,
            request={"path": NET + "/networkSecurityGroups/nsg9"},
            model="network:NetworkSecurityGroup",
        )
    )
    add(
        cpa_case(
            cpa,
            "securitygroupclient",
            11,
            id="nsg-delete",
            area="network",
            title="DELETE a network security group: 202 with Azure-AsyncOperation and Location",
            setup=nsg_made,
            request={"path": NET + "/networkSecurityGroups/nsg9"},
        )
    )
    return cases


# ---------------------------------------------------------------------------- hand-transcribed

JAVA_REPO = "Azure/azure-sdk-for-java"
JAVA_DIR = "sdk/resourcemanager/azure-resourcemanager-compute/src/test/resources/session-records/"


def java_evidence(
    name: str, commit: str, recorded: str, api: str, note: str, *, skus: bool = False
) -> dict[str, Any]:
    return {
        "kind": "recording",
        "repo": JAVA_REPO,
        "path": JAVA_DIR + name,
        "commit": commit,
        "recorded": recorded,
        "api_version": api,
        "strength": strength("recording", api, skus=skus),
        "note": "azure-core test-proxy session record, read through the public-code index and transcribed "
        "by hand (facts only). " + note,
    }


# Shapes written from the recorded bodies (keys and JSON types only).
_S, _I, _B = "string", "integer", "boolean"
_SSH = {"disablePasswordAuthentication": _B, "ssh": {"publicKeys": [{"path": _S, "keyData": _S}]}}
_LINUX_DEFAULTS = {
    **_SSH,
    "provisionVMAgent": _B,
    "patchSettings": {"patchMode": _S, "assessmentMode": _S},
    "enableVMAgentPlatformUpdates": _B,
}
FLEX_PROFILE_SET_2023 = {
    "name": _S,
    "id": _S,
    "type": _S,
    "location": _S,
    "sku": {"name": _S, "tier": _S, "capacity": _I},
    "properties": {
        "singlePlacementGroup": _B,
        "orchestrationMode": _S,
        "virtualMachineProfile": {
            "osProfile": {
                "computerNamePrefix": _S,
                "adminUsername": _S,
                "linuxConfiguration": _LINUX_DEFAULTS,
                "secrets": [],
                "allowExtensionOperations": _B,
                "requireGuestProvisionSignal": _B,
            },
            "storageProfile": {
                "osDisk": {
                    "osType": _S,
                    "createOption": _S,
                    "caching": _S,
                    "managedDisk": {"storageAccountType": _S},
                    "deleteOption": _S,
                    "diskSizeGB": _I,
                },
                "imageReference": {"publisher": _S, "offer": _S, "sku": _S, "version": _S},
            },
            "networkProfile": {
                "networkApiVersion": _S,
                "networkInterfaceConfigurations": [
                    {
                        "name": _S,
                        "properties": {
                            "primary": _B,
                            "disableTcpStateTracking": _B,
                            "enableIPForwarding": _B,
                            "deleteOption": _S,
                            "ipConfigurations": [
                                {
                                    "name": _S,
                                    "properties": {
                                        "privateIPAddressVersion": _S,
                                        "subnet": {"id": _S},
                                        "applicationSecurityGroups": [],
                                        "loadBalancerBackendAddressPools": [{"id": _S}],
                                        "applicationGatewayBackendAddressPools": [],
                                    },
                                }
                            ],
                            "dnsSettings": {"dnsServers": []},
                        },
                    }
                ],
            },
        },
        "provisioningState": _S,
        "uniqueId": _S,
        "platformFaultDomainCount": _I,
        "constrainedMaximumCapacity": _B,
        "timeCreated": _S,
    },
}
VM_IN_FLEX_2023 = {
    "name": _S,
    "id": _S,
    "type": _S,
    "location": _S,
    "properties": {
        "vmId": _S,
        "virtualMachineScaleSet": {"id": _S},
        "hardwareProfile": {"vmSize": _S},
        "storageProfile": {
            "imageReference": {"publisher": _S, "offer": _S, "sku": _S, "version": _S, "exactVersion": _S},
            "osDisk": {
                "osType": _S,
                "createOption": _S,
                "caching": _S,
                "managedDisk": {"storageAccountType": _S},
                "deleteOption": _S,
                "diskSizeGB": _I,
            },
            "dataDisks": [],
        },
        "osProfile": {
            "computerName": _S,
            "adminUsername": _S,
            "linuxConfiguration": _LINUX_DEFAULTS,
            "secrets": [],
            "allowExtensionOperations": _B,
            "requireGuestProvisionSignal": _B,
        },
        "networkProfile": {"networkInterfaces": [{"id": _S, "properties": {"primary": _B}}]},
        "provisioningState": _S,
        "timeCreated": _S,
    },
}
_STATUS = {"code": _S, "level": _S, "displayStatus": _S}
VM_INSTANCE_VIEW_2021 = {
    "name": _S,
    "id": _S,
    "type": _S,
    "location": _S,
    "properties": {
        "vmId": _S,
        "hardwareProfile": {"vmSize": _S},
        "storageProfile": {
            "imageReference": {"publisher": _S, "offer": _S, "sku": _S, "version": _S, "exactVersion": _S},
            "osDisk": {
                "osType": _S,
                "name": _S,
                "createOption": _S,
                "caching": _S,
                "managedDisk": {"storageAccountType": _S, "id": _S},
                "deleteOption": _S,
                "diskSizeGB": _I,
            },
            "dataDisks": [],
        },
        "osProfile": {
            "computerName": _S,
            "adminUsername": _S,
            "linuxConfiguration": {
                **_SSH,
                "provisionVMAgent": _B,
                "patchSettings": {"patchMode": _S, "assessmentMode": _S},
            },
            "secrets": [],
            "allowExtensionOperations": _B,
            "requireGuestProvisionSignal": _B,
        },
        "networkProfile": {"networkInterfaces": [{"id": _S, "properties": {"primary": _B}}]},
        "provisioningState": _S,
        "instanceView": {
            "computerName": _S,
            "osName": _S,
            "osVersion": _S,
            "vmAgent": {"vmAgentVersion": _S, "statuses": [{**_STATUS, "message": _S, "time": _S}]},
            "disks": [{"name": _S, "statuses": [{**_STATUS, "time": _S}]}],
            "hyperVGeneration": _S,
            "statuses": [{**_STATUS, "time": _S}],
        },
        "timeCreated": _S,
    },
}
OP_IN_PROGRESS = {"startTime": _S, "status": _S, "name": _S}


def java_cases() -> list[dict[str, Any]]:
    existing = "VirtualMachineOperationsTests.canCreateVirtualMachineWithExistingScaleSet.json"
    existing_ev = ("07c99fb8f231efd5a673b80cb1a20d3e56fba34d", "2023-04-19", "2023-03-01")
    update_mode = "VirtualMachineScaleSetOperationsTests.canUpdateVMSSInUpdateMode.json"
    update_ev = ("740bcadc47cd7a68794b14bcc55630a22f359c6b", "2021-11-26", "2021-07-01")
    operate = "VirtualMachineOperationsTests.canOperateVirtualMachine.json"
    operate_ev = ("12b7af87a7bcbdce0c0c67c9cc1c1e63b5a4d857", "2022-02-28", "2021-11-01")

    east = {"do": "resource_group", "location": "eastus"}
    lb_net = [east, {"do": "vnet"}, {"do": "public_ip", "name": "lbip"}, {"do": "load_balancer"}]
    flex_lb = {
        "kind": "scale_set",
        "name": "flexlb",
        "profile": True,
        "size": "Standard_DS1_v2",
        "capacity": 0,
        "lb": True,
    }
    # The recorded set's only outbound path was the LB; these setups add a NAT gateway so that
    # the LB-outbound divergence (flex-create-with-profile) does not hide what they compare.
    nat_lb_net = [
        east,
        {"do": "nat_gateway"},
        {"do": "vnet", "nat": True},
        {"do": "public_ip", "name": "lbip"},
        {"do": "load_balancer"},
    ]
    # ... and a size the emulator's catalog has (the recorded Standard_DS1_v2 is checked by
    # flex-create-with-profile and skus-eastus-ds1-v2).
    flex_made = [
        *nat_lb_net,
        {"do": "scale_set", "name": "flexlb", "profile": True, "size": "Standard_D2s_v5", "lb": True},
    ]
    uniform_made = [
        east,
        {"do": "vnet"},
        {
            "do": "scale_set",
            "name": "uset",
            "mode": "Uniform",
            "as": "uset",
            "size": "Standard_A0",
            "capacity": 1,
        },
        {"do": "nic"},
    ]
    # The recording used Standard_A1_v2 in westus3; neither matters to what these cases compare,
    # so they use a size and region the emulator's catalog has (catalog coverage is its own case).
    linux_vm = {"do": "vm", "name": "vm1", "size": "Standard_D2s_v5"}
    op_made = [east, {"do": "vnet"}, {"do": "nic"}, linux_vm]
    vm_path = CMP + "/virtualMachines/{vm}"
    return [
        {
            "id": "flex-create-with-profile",
            "area": "scale_sets",
            "title": "PUT a Flex set with a profile behind a Standard LB: 201, Creating + LRO",
            "evidence": java_evidence(
                existing, *existing_ev, "Set vmss59391, Standard_DS1_v2, FD 1, eastus."
            ),
            "setup": lb_net,
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachineScaleSets/flexlb",
                "api_version": "2023-03-01",
                "body_from": flex_lb,
            },
            "expect": {
                "status": 201,
                "headers": {"present": ["Azure-AsyncOperation"]},
                "values": {
                    "properties.provisioningState": "Creating",
                    "properties.orchestrationMode": "Flexible",
                },
            },
        },
        {
            "id": "flex-get-with-profile",
            "area": "scale_sets",
            "title": "GET a Flex set with a profile: server-side defaults (osDisk.osType, patchSettings ...)",
            "evidence": java_evidence(existing, *existing_ev, "GET after the create finished."),
            "setup": flex_made,
            "request": {
                "method": "GET",
                "path": CMP + "/virtualMachineScaleSets/flexlb",
                "api_version": "2023-03-01",
            },
            "expect": {
                "status": 200,
                "shape": FLEX_PROFILE_SET_2023,
                "model": "compute:VirtualMachineScaleSet",
                "values": {
                    "properties.singlePlacementGroup": False,
                    "properties.provisioningState": "Succeeded",
                    "properties.constrainedMaximumCapacity": False,
                },
            },
        },
        {
            "id": "vm-create-in-flex-basic-a0",
            "area": "vms",
            "title": "PUT a Basic_A0 VM into a Flex set: 201 (the size is accepted)",
            "evidence": java_evidence(existing, *existing_ev, "VM vm81412c into set vmss59391."),
            "setup": [*flex_made, {"do": "nic"}],
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachines/vm9",
                "api_version": "2023-03-01",
                "body_from": {"kind": "vm", "name": "vm9", "size": "Basic_A0", "in_set": "set"},
            },
            "expect": {
                "status": 201,
                "headers": {"present": ["Azure-AsyncOperation"]},
                "shape": VM_IN_FLEX_2023,
                "model": "compute:VirtualMachine",
                "values": {"properties.provisioningState": "Creating"},
            },
        },
        {
            "id": "vm-into-uniform-set",
            "area": "errors",
            "title": "PUT a VM that references a Uniform set: 409 OperationNotAllowed",
            "evidence": java_evidence(
                existing, *existing_ev, "VM vm73766d referencing Uniform set vmss95105."
            ),
            "setup": uniform_made,
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachines/vm9",
                "api_version": "2023-03-01",
                "body_from": {"kind": "vm", "name": "vm9", "size": "Standard_A0", "in_set": "uset"},
            },
            "expect": {
                "status": 409,
                "error": {
                    "code": "OperationNotAllowed",
                    "message": "This operation is not allowed because referenced Virtual Machine Scale Set "
                    "'{uset}' "
                    "does not have orchestration mode set to 'Flexible'.",
                },
            },
        },
        {
            "id": "vm-blob-disk-into-set",
            "area": "errors",
            "title": "PUT a VM with a blob-based (VHD) OS disk into a Flex set: 409 with error.target",
            "evidence": java_evidence(
                existing, *existing_ev, "VM javavm (unmanaged disk) into set vmss59391."
            ),
            "setup": [*flex_made, {"do": "nic"}],
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachines/javavm",
                "api_version": "2023-03-01",
                "body_from": {"kind": "vm", "name": "javavm", "size": "Standard_D2s_v5", "in_set": "set"},
                "body_set": {
                    "properties.storageProfile.osDisk": {
                        "name": "javavm-os",
                        "createOption": "FromImage",
                        "caching": "ReadWrite",
                        "vhd": {"uri": "https://stgconformance.blob.core.windows.net/vhds/javavm-os.vhd"},
                    }
                },
            },
            "expect": {
                "status": 409,
                "error": {
                    "code": "OperationNotAllowed",
                    "message": "Addition of a VM with blob based disks to Virtual Machine Scale Set "
                    "is not supported.",
                    "target": "javavm",
                },
            },
        },
        {
            "id": "compute-operation-in-progress",
            "area": "operations",
            "title": "Compute operation status while a VM create runs: InProgress, no endTime",
            "evidence": java_evidence(existing, *existing_ev, "Polls of the vm81412c create."),
            "setup": [east, {"do": "vnet"}, {"do": "nic"}],
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachines/vm9",
                "api_version": "2023-03-01",
                "body_from": {"kind": "vm", "name": "vm9", "size": "Standard_D2s_v5"},
            },
            "then": {"follow": "Azure-AsyncOperation", "complete": False, "initial_status": 201},
            "expect": {
                "status": 200,
                "shape": OP_IN_PROGRESS,
                "values": {"status": "InProgress"},
                "keys_absent": ["endTime"],
            },
        },
        {
            "id": "flex-create-no-profile",
            "area": "scale_sets",
            "title": "PUT a Flex set without a VM profile: 201, already Succeeded, no Azure-AsyncOperation",
            "evidence": java_evidence(update_mode, *update_ev, "Set vmss62873 in eastus2euap."),
            "setup": [{"do": "resource_group", "location": "eastus2"}],
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachineScaleSets/flex0",
                "api_version": "2021-07-01",
                "body": {
                    "location": "{location}",
                    "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1},
                },
            },
            "expect": {
                "status": 201,
                "headers": {"absent": ["Azure-AsyncOperation", "Location"]},
                "shape": {
                    "name": _S,
                    "id": _S,
                    "type": _S,
                    "location": _S,
                    "properties": {
                        "singlePlacementGroup": _B,
                        "orchestrationMode": _S,
                        "provisioningState": _S,
                        "uniqueId": _S,
                        "platformFaultDomainCount": _I,
                    },
                },
                "model": "compute:VirtualMachineScaleSet",
                "values": {
                    "properties.provisioningState": "Succeeded",
                    "properties.singlePlacementGroup": False,
                },
            },
        },
        {
            "id": "flex-patch-profile-without-os-type",
            "area": "errors",
            "title": "PATCH a profile without osDisk.osType into a profile-less Flex set: 400",
            "evidence": java_evidence(update_mode, *update_ev, "PATCH of vmss62873 adding a Linux profile."),
            "setup": [
                {"do": "resource_group", "location": "eastus2"},
                {"do": "nat_gateway"},
                {"do": "vnet", "nat": True},
                {"do": "scale_set", "name": "flex0"},
            ],
            "request": {
                "method": "PATCH",
                "path": CMP + "/virtualMachineScaleSets/flex0",
                "api_version": "2021-07-01",
                "body_from": {"kind": "scale_set", "profile": True, "size": "Standard_A0", "capacity": 1},
                "body_drop": [
                    "location",
                    "properties.orchestrationMode",
                    "properties.platformFaultDomainCount",
                ],
            },
            "expect": {
                "status": 400,
                "error": {
                    "code": "InvalidParameter",
                    "message": "Required parameter 'osDisk.osType' is missing (null).",
                    "target": "osDisk.osType",
                },
            },
        },
        {
            "id": "vm-restart",
            "area": "actions",
            "title": "POST restart: 202 with Azure-AsyncOperation and Location, empty body",
            "evidence": java_evidence(operate, *operate_ev, "VM javavm in westus3."),
            "setup": op_made,
            "request": {"method": "POST", "path": vm_path + "/restart", "api_version": "2021-11-01"},
            "expect": {
                "status": 202,
                "headers": {"present": ["Azure-AsyncOperation", "Location"]},
                "empty_body": True,
            },
        },
        {
            "id": "vm-deallocate",
            "area": "actions",
            "title": "POST deallocate: 202 with Azure-AsyncOperation and Location, empty body",
            "evidence": java_evidence(operate, *operate_ev, "VM javavm in westus3."),
            "setup": op_made,
            "request": {"method": "POST", "path": vm_path + "/deallocate", "api_version": "2021-11-01"},
            "expect": {
                "status": 202,
                "headers": {"present": ["Azure-AsyncOperation", "Location"]},
                "empty_body": True,
            },
        },
        {
            "id": "vm-action-monitor-location",
            "area": "operations",
            "title": "GET an action's Location (monitor) URL after it finished: 200, empty body",
            "evidence": java_evidence(operate, *operate_ev, "Location of the javavm deallocate."),
            "setup": op_made,
            "request": {"method": "POST", "path": vm_path + "/deallocate", "api_version": "2021-11-01"},
            "then": {"follow": "Location", "complete": True, "initial_status": 202},
            "expect": {"status": 200, "empty_body": True},
        },
        {
            "id": "vm-get-instance-view",
            "area": "vms",
            "title": "GET a running VM with $expand=instanceView: osName/osVersion, vmAgent, disks, statuses",
            "evidence": java_evidence(
                operate, *operate_ev, "javavm running (extension entries left out: our VM has none)."
            ),
            "setup": op_made,
            "request": {
                "method": "GET",
                "path": vm_path,
                "api_version": "2021-11-01",
                "query": {"$expand": "instanceView"},
            },
            "expect": {
                "status": 200,
                "shape": VM_INSTANCE_VIEW_2021,
                "model": "compute:VirtualMachine",
                "values": {"properties.instanceView.statuses[1].code": "PowerState/running"},
            },
        },
        {
            "id": "vm-instance-view-deallocated",
            "area": "vms",
            "title": "GET a deallocated VM with $expand=instanceView: PowerState/deallocated, no vmAgent",
            "evidence": java_evidence(operate, *operate_ev, "javavm after deallocate."),
            "setup": [
                *op_made,
                {"do": "action", "path": vm_path + "/deallocate", "api_version": "2021-11-01"},
            ],
            "request": {
                "method": "GET",
                "path": vm_path,
                "api_version": "2021-11-01",
                "query": {"$expand": "instanceView"},
            },
            "expect": {
                "status": 200,
                "values": {"properties.instanceView.statuses[1].code": "PowerState/deallocated"},
                "keys_absent": ["properties.instanceView.vmAgent", "properties.instanceView.computerName"],
            },
        },
    ]


def other_cases() -> list[dict[str, Any]]:
    """Cases whose evidence is a research note, a documented error or an issue thread."""
    py_ev = {
        "kind": "recording",
        "repo": "Azure/azure-sdk-assets",
        "path": "python/sdk/compute/azure-mgmt-compute/tests/recordings/"
        "test_mgmt_compute_vm.pyTestMgmtComputetest_compute_vm.json",
        "commit": "0fc23eb5 (prefix as cited by the steering repository's research/wire-truth.md §2.2)",
        "recorded": "2023-12-28",
        "api_version": "2023-09-01",
        "strength": "strong",
        "note": "Facts as summarised in research/wire-truth.md §2.2 (PUT VM: Azure-AsyncOperation and "
        "Retry-After, no Location; DELETE VM: Azure-AsyncOperation, Location and Retry-After).",
    }

    def doc(repo: str, path: str, commit: str, recorded: str, api: str, note: str) -> dict[str, Any]:
        return {
            "kind": "documented",
            "repo": repo,
            "path": path,
            "commit": commit,
            "recorded": recorded,
            "api_version": api,
            "strength": "weak",
            "note": note,
        }

    net = [{"do": "resource_group"}, {"do": "vnet"}, {"do": "nic"}]
    zonal = [{"do": "resource_group", "location": "eastus"}]
    flex_put = CMP + "/virtualMachineScaleSets/flexz"
    return [
        {
            "id": "vm-create-retry-after",
            "area": "vms",
            "title": "PUT a VM: Azure-AsyncOperation and Retry-After (seconds), no Location",
            "evidence": py_ev,
            "setup": net,
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachines/vm9",
                "api_version": "2023-09-01",
                "body_from": {"kind": "vm", "name": "vm9"},
            },
            "expect": {
                "status": 201,
                "headers": {"present": ["Azure-AsyncOperation", "Retry-After"], "absent": ["Location"]},
            },
        },
        {
            "id": "vm-delete-retry-after",
            "area": "vms",
            "title": "DELETE a VM: Azure-AsyncOperation, Location and Retry-After, empty body",
            "evidence": py_ev,
            "setup": [*net, {"do": "vm", "name": "vm9"}],
            "request": {
                "method": "DELETE",
                "path": CMP + "/virtualMachines/vm9",
                "api_version": "2023-09-01",
            },
            "expect": {
                "status": 202,
                "headers": {"present": ["Azure-AsyncOperation", "Location", "Retry-After"]},
                "empty_body": True,
            },
        },
        {
            "id": "flex-zone-balance-one-zone",
            "area": "errors",
            "title": "Flex set with zoneBalance true and one zone: 400 InvalidParameter on zoneBalance",
            "evidence": doc(
                "Azure/azure-rest-api-specs",
                "issues/11805",
                "n/a (issue thread)",
                "2020-11",
                "2020-06-01",
                "Reported error text 'The value of parameter zoneBalance is invalid'; the "
                "spec says zoneBalance must not be set with no or one zone.",
            ),
            "setup": zonal,
            "request": {
                "method": "PUT",
                "path": flex_put,
                "api_version": C25,
                "body": {
                    "location": "{location}",
                    "zones": ["1"],
                    "properties": {
                        "orchestrationMode": "Flexible",
                        "platformFaultDomainCount": 1,
                        "zoneBalance": True,
                    },
                },
            },
            "expect": {
                "status": 400,
                "error": {
                    "code": "InvalidParameter",
                    "message": "The value of parameter zoneBalance is invalid",
                    "match": "prefix",
                },
            },
        },
        {
            "id": "flex-fd-with-zones",
            "area": "errors",
            "title": "Flex set spanning zones with platformFaultDomainCount 2: refused (zonal Flex: FD 1)",
            "evidence": doc(
                "MicrosoftDocs/azure-compute-docs",
                "articles/virtual-machine-scale-sets/virtual-machine-scale-sets-manage-fault-domains.md",
                "n/a (ms.date 09/02/2025; see research/flex-rules-now.md item 17)",
                "2025-09-02",
                C25,
                "Documented rule only; no recorded status or text.",
            ),
            "setup": zonal,
            "request": {
                "method": "PUT",
                "path": flex_put,
                "api_version": C25,
                "body": {
                    "location": "{location}",
                    "zones": ["1", "2"],
                    "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 2},
                },
            },
            "expect": {"status": 400},
        },
        {
            "id": "flex-fd-over-region-max",
            "area": "errors",
            "title": "Regional Flex set with FD 3 where the region's Aligned maximum is 2: InvalidParameter",
            "evidence": doc(
                "MicrosoftDocs/SupportArticles-docs",
                "support/azure/virtual-machine-scale-sets/deploy/vmss-invalid-parameter-fault-domain-count.md",
                "n/a (ms.date 01/31/2023)",
                "2023-01-31",
                "2022-11-01",
                "Documented error text; status not shown in the article (400 is ARM's status for "
                "InvalidParameter).",
            ),
            "setup": [{"do": "resource_group", "location": "westcentralus"}],
            "request": {
                "method": "PUT",
                "path": flex_put,
                "api_version": C25,
                "body": {
                    "location": "{location}",
                    "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 3},
                },
            },
            "expect": {
                "error": {
                    "code": "InvalidParameter",
                    "message": "The specified fault domain count 3 must fall in the range 1 to 2.",
                    "match": "prefix",
                }
            },
        },
        {
            "id": "flex-system-assigned-identity",
            "area": "errors",
            "title": "Flex set with a SystemAssigned identity: InvalidParameter on identity",
            "evidence": doc(
                "Azure/bicep-registry-modules",
                "issues/2671",
                "n/a (issue thread)",
                "2024-07",
                "2024-03-01",
                "Deployment error text quoted in the issue; status not shown.",
            ),
            "setup": [{"do": "resource_group"}],
            "request": {
                "method": "PUT",
                "path": flex_put,
                "api_version": C25,
                "body": {
                    "location": "{location}",
                    "identity": {"type": "SystemAssigned"},
                    "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1},
                },
            },
            "expect": {
                "error": {
                    "code": "InvalidParameter",
                    "message": "The value 'SystemAssigned' of parameter 'identity' is not allowed. "
                    "Allowed values are: UserAssigned, None.",
                }
            },
        },
        {
            "id": "flex-instance-view-not-allowed",
            "area": "errors",
            "title": "GET a Flex set's instanceView: refused (Flex has no set instance view)",
            "evidence": doc(
                "hashicorp/nomad-autoscaler",
                "issues/1096",
                "n/a (issue thread)",
                "2025-05",
                "2024-03-01",
                "Error text quoted in the issue; code and status not shown.",
            ),
            "setup": [{"do": "resource_group"}, {"do": "scale_set", "name": "flexz"}],
            "request": {"method": "GET", "path": flex_put + "/instanceView", "api_version": C25},
            "expect": {
                "error": {
                    "message": "Operation 'VirtualMachineScaleSets.instanceView.GET' is not allowed on "
                    "Virtual Machine Scale Set",
                    "match": "prefix",
                }
            },
        },
        {
            "id": "flex-refuses-b1ls",
            "area": "errors",
            "title": "VM of size Standard_B1ls in a Flex set: refused",
            "evidence": doc(
                "MicrosoftDocs/azure-docs",
                "issues/102050",
                "n/a (issue thread)",
                "2022-11",
                "2022-08-01",
                "Error text quoted in the issue; code and status not shown.",
            ),
            "setup": [
                {"do": "resource_group"},
                {"do": "vnet"},
                {"do": "nic"},
                {"do": "scale_set", "name": "flexz"},
            ],
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachines/vm9",
                "api_version": C25,
                "body_from": {"kind": "vm", "name": "vm9", "size": "Standard_B1ls", "in_set": "set"},
            },
            "expect": {
                "error": {
                    "message": "Virtual Machine Scale Sets with Flexible Orchestration Mode or Virtual "
                    "Machines referencing such Virtual Machine Scale Sets cannot use VM Size "
                    "'Standard_B1ls'",
                    "match": "prefix",
                }
            },
        },
        {
            "id": "flex-delete-with-vms",
            "area": "errors",
            "title": "DELETE a Flex set that still has an attached VM: OperationNotAllowed",
            "evidence": doc(
                "MicrosoftDocs/SupportArticles-docs",
                "support/azure/virtual-machine-scale-sets/delete/vmss-operation-not-allowed.md",
                "n/a (ms.date 01/31/2023)",
                "2023-01-31",
                "2022-11-01",
                "Documented error text; status not shown.",
            ),
            "setup": [
                {"do": "resource_group"},
                {"do": "vnet"},
                {"do": "nic"},
                {"do": "scale_set", "name": "flexz"},
                {"do": "vm", "name": "vm9", "in_set": "set"},
            ],
            "request": {"method": "DELETE", "path": flex_put, "api_version": C25},
            "expect": {
                "error": {
                    "code": "OperationNotAllowed",
                    "message": "Deletion of Virtual Machine Scale Set isn't allowed as it contains one or "
                    "more VMs. Please delete or detach the VM(s) before deleting the Virtual "
                    "Machine Scale Set.",
                }
            },
        },
        {
            "id": "vm-simulate-eviction",
            "area": "actions",
            "title": "POST simulateEviction on a Spot VM: 204",
            "evidence": doc(
                "MicrosoftDocs/azure-docs",
                "articles/virtual-machines/spot-vms.md (simulate an eviction)",
                "n/a",
                "2021",
                "2020-06-01",
                "Docs: 'Response Code: 204 means the simulated eviction was "
                "successful'; azure-mgmt-compute 39 accepts only 204 as the initial answer.",
            ),
            "setup": [*net, {"do": "vm", "name": "vm9", "priority": "Spot"}],
            "request": {
                "method": "POST",
                "path": CMP + "/virtualMachines/vm9/simulateEviction",
                "api_version": C25,
            },
            "expect": {"status": 204},
        },
        {
            "id": "operation-failed-error",
            "area": "operations",
            "title": "Compute operation status of a failed create: Failed with error{code,message}",
            "evidence": doc(
                "Azure/azure-resource-manager-rpc",
                "v1.0/async-api-reference.md",
                "n/a (read via a fork copy; research/wire-truth.md §1.5)",
                "2023",
                C25,
                "ARM async contract: error is required when Failed. The Java test "
                "VirtualMachineScaleSetVMProfileTests quotes a real Failed body with startTime, endTime, "
                "status, error{code,message} and name.",
            ),
            "setup": [
                *net,
                {
                    "do": "fault",
                    "kind": "lro_fail",
                    "path": "/virtualMachines/vm9$",
                    "code": "AllocationFailed",
                },
            ],
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachines/vm9",
                "api_version": C25,
                "body_from": {"kind": "vm", "name": "vm9"},
            },
            "then": {"follow": "Azure-AsyncOperation", "complete": True, "initial_status": 201},
            "expect": {
                "status": 200,
                "shape": {
                    "startTime": _S,
                    "endTime": _S,
                    "status": _S,
                    "error": {"code": _S, "message": _S},
                    "name": _S,
                },
                "values": {"status": "Failed", "error.code": "AllocationFailed"},
            },
        },
        {
            "id": "vm-list-filter-flex-members",
            "area": "vms",
            "title": "List VMs with $filter on the set id: the set's VMs, each naming its set",
            "evidence": doc(
                "MicrosoftDocs/azure-docs",
                "articles/governance/resource-graph/concepts/"
                "azure-resource-graph-get-list-api.md (List VMSS VM (Flex))",
                "n/a",
                "2024",
                C25,
                "The documented Flex instance listing; cloud-provider-azure uses the same filter "
                "(pkg/azclient/virtualmachineclient/custom.go @7b31c76).",
            ),
            "setup": [
                {"do": "resource_group"},
                {"do": "nat_gateway"},
                {"do": "vnet", "nat": True},
                {"do": "scale_set", "name": "flexz", "profile": True},
                {"do": "scale_out", "capacity": 1},
            ],
            "request": {
                "method": "GET",
                "path": CMP + "/virtualMachines",
                "api_version": C25,
                "query": {"$filter": "'virtualMachineScaleSet/id' eq '{set_id}'"},
            },
            "expect": {
                "status": 200,
                "contains": [
                    {"in": "value", "match": {"properties": {"virtualMachineScaleSet": {"id": "{set_id}"}}}}
                ],
            },
        },
    ]


# ---------------------------------------------------------------------------- spec examples

#: Example files (path under SPEC_PREFIX -> commit of the stored version read); the local copy's
#: name is that path with "/" replaced by "__" (the steering repository's shared/azure-examples).
EXAMPLES = {
    "Compute/stable/2026-04-01/examples/virtualMachineScaleSetExamples/"
    "VirtualMachineScaleSet_Create_WithPriorityMixPolicy.json": "2285cbf714314d7d76318b0dfc10de109ecfce4e",
    "Compute/stable/2026-04-01/examples/virtualMachineScaleSetExamples/"
    "VirtualMachineScaleSet_Delete_Force.json": "c3c12ca99ee6f4eeabd4d7d1eb8ef7d15ed64520",
    "Compute/stable/2026-04-01/examples/virtualMachineExamples/VirtualMachine_Create_"
    "InAVmssWithCustomerAssignedPlatformFaultDomain.json": "53595b9c464f7b3e6270c35384a25066f38afb15",
    "ComputeRP/stable/2025-04-01/examples/virtualMachineExamples/"
    "VirtualMachine_Delete_Force.json": "f2a212d2baf9f715a45703d1fb9940f68521ac8a",
    "Compute/stable/2021-07-01/examples/skus/"
    "ListAvailableResourceSkusForARegion.json": "97e99a73504b0ab3169e447645a604b314503319",
}
SPEC_PREFIX = "specification/compute/resource-manager/Microsoft.Compute/"


def prune_echoes(resp: Any, example_req: Any, ours: Any) -> Any:
    """Drop from an example's response shape what only echoes the example's own request: a
    key the example sent and our request does not is the example's choice, not Azure's."""
    if isinstance(resp, dict):
        out = {}
        for key, sub in resp.items():
            in_example = isinstance(example_req, dict) and key in example_req
            in_ours = isinstance(ours, dict) and key in ours
            if in_example and not in_ours:
                continue
            out[key] = prune_echoes(
                sub, example_req.get(key) if in_example else None, ours.get(key) if in_ours else None
            )
        return out
    if isinstance(resp, list) and resp:

        def first(x: Any) -> Any:
            return x[0] if isinstance(x, list) and x else None

        return [prune_echoes(resp[0], first(example_req), first(ours))]
    return resp


def _our_set_body(spec: dict[str, Any], body_set: dict[str, Any]) -> dict[str, Any]:
    from _conformance_setup import set_body

    names = {"location": "x", "subnet_id": "x", "pool_id": "x"}
    body = set_body(names, {k: v for k, v in spec.items() if k != "kind"})
    for dotted, value in body_set.items():
        *parents, last = dotted.split(".")
        cur = body
        for part in parents:
            cur = cur.setdefault(part, {})
        cur[last] = value
    return body


def spec_cases(examples: Path) -> list[dict[str, Any]]:
    def load(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        doc = json.loads((examples / name.replace("/", "__")).read_text(encoding="utf-8"))
        path, commit = name, EXAMPLES[name]
        api = doc["parameters"]["api-version"]
        ev = {
            "kind": "spec-example",
            "repo": SPECS_REPO,
            "path": SPEC_PREFIX + path,
            "commit": commit,
            "recorded": "n/a (example file)",
            "api_version": api,
            "strength": strength("spec-example", api, skus="skus" in path),
            "note": "x-ms-examples file: documented answer, not a recording.",
        }
        return doc, ev

    cases: list[dict[str, Any]] = []
    mix, ev = load(next(n for n in EXAMPLES if "PriorityMix" in n))
    mix_spec = {"kind": "scale_set", "profile": True, "size": "Standard_D2s_v3", "capacity": 2}
    mix_set = {
        "properties.priorityMixPolicy": {
            "baseRegularPriorityCount": 1,
            "regularPriorityPercentageAboveBase": 50,
        },
        "properties.singlePlacementGroup": False,
        "properties.virtualMachineProfile.priority": "Spot",
    }
    mix_shape = prune_echoes(
        shape_of(mix["responses"]["201"]["body"]),
        shape_of(mix["parameters"]["parameters"]),
        shape_of(_our_set_body(mix_spec, mix_set)),
    )
    cases.append(
        {
            "id": "flex-create-priority-mix",
            "area": "scale_sets",
            "title": "PUT a Flex set with a Spot priority mix: 201 with the priorityMixPolicy echoed",
            "evidence": ev,
            "setup": [{"do": "resource_group"}, {"do": "nat_gateway"}, {"do": "vnet", "nat": True}],
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachineScaleSets/mix",
                "api_version": ev["api_version"],
                "body_from": mix_spec,
                "body_set": mix_set,
            },
            "expect": {
                "status": 201,
                "shape": mix_shape,
                "model": "compute:VirtualMachineScaleSet",
                "values": {"properties.priorityMixPolicy.baseRegularPriorityCount": 1},
            },
        }
    )
    force, ev = load(next(n for n in EXAMPLES if "VirtualMachineScaleSet_Delete_Force" in n))
    cases.append(
        {
            "id": "vmss-force-delete",
            "area": "scale_sets",
            "title": "DELETE a Flex set with forceDeletion=true: 202 with Location",
            "evidence": ev,
            "setup": [{"do": "resource_group"}, {"do": "scale_set", "name": "flexz"}],
            "request": {
                "method": "DELETE",
                "path": CMP + "/virtualMachineScaleSets/flexz",
                "api_version": ev["api_version"],
                "query": {"forceDeletion": "true"},
            },
            "expect": {"status": 202, "headers": {"present": list(force["responses"]["202"]["headers"])}},
        }
    )
    vmforce, ev = load(next(n for n in EXAMPLES if "VirtualMachine_Delete_Force" in n))
    cases.append(
        {
            "id": "vm-force-delete",
            "area": "vms",
            "title": "DELETE a VM with forceDeletion=true: 202 with Location",
            "evidence": ev,
            "setup": [{"do": "resource_group"}, {"do": "vnet"}, {"do": "nic"}, {"do": "vm", "name": "vm9"}],
            "request": {
                "method": "DELETE",
                "path": CMP + "/virtualMachines/vm9",
                "api_version": ev["api_version"],
                "query": {"forceDeletion": "true"},
            },
            "expect": {"status": 202, "headers": {"present": list(vmforce["responses"]["202"]["headers"])}},
        }
    )
    fdvm, ev = load(next(n for n in EXAMPLES if "CustomerAssignedPlatformFaultDomain" in n))
    fd_body = {
        "location": "{location}",
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_D1_v2"},
            "storageProfile": {
                "imageReference": WIN_IMAGE,
                "osDisk": {
                    "name": "vm9-os",
                    "caching": "ReadWrite",
                    "createOption": "FromImage",
                    "managedDisk": {"storageAccountType": "Standard_LRS"},
                },
            },
            "networkProfile": {"networkInterfaces": [{"id": "{nic_id}", "properties": {"primary": True}}]},
            "osProfile": {"adminUsername": "azureuser", "adminPassword": "{password}", "computerName": "vm9"},
            "virtualMachineScaleSet": {"id": "{set_id}"},
            "platformFaultDomain": 1,
        },
    }
    fd_shape = prune_echoes(
        shape_of(fdvm["responses"]["201"]["body"]),
        shape_of(fdvm["parameters"]["parameters"]),
        shape_of(fd_body),
    )
    cases.append(
        {
            "id": "vm-create-in-flex-with-fault-domain",
            "area": "vms",
            "title": "PUT a Windows VM into a Flex set (FD 2) with platformFaultDomain 1: 201",
            "evidence": ev,
            "setup": [
                {"do": "resource_group"},
                {"do": "vnet"},
                {"do": "nic"},
                {"do": "scale_set", "name": "flexz", "fd": 2},
            ],
            "request": {
                "method": "PUT",
                "path": CMP + "/virtualMachines/vm9",
                "api_version": ev["api_version"],
                "body": fd_body,
            },
            "expect": {
                "status": 201,
                "shape": fd_shape,
                "model": "compute:VirtualMachine",
                "values": {"properties.platformFaultDomain": 1},
            },
        }
    )
    skus, ev = load(next(n for n in EXAMPLES if "ForARegion" in n))
    cases.append(
        {
            "id": "skus-list-region-shape",
            "area": "skus",
            "title": "GET Resource SKUs for a region: item shape (zoneDetails[].Name, string capabilities)",
            "evidence": ev,
            "setup": [],
            "request": {
                "method": "GET",
                "path": SUB + "/providers/Microsoft.Compute/skus",
                "api_version": ev["api_version"],
                "query": {"$filter": "location eq 'eastus'"},
            },
            "expect": {
                "status": 200,
                "shape": _sku_shape(skus["responses"]["200"]["body"]),
                "model": "compute:ResourceSku[]",
            },
        }
    )
    return cases


SPEC_FILE = (
    "specification/compute/resource-manager/Microsoft.Compute/Compute/stable/2026-04-01/ComputeRP.json"
)
SPEC_COMMIT = "030174c776bbc013251bc13957bbff81f0a21bd4"


def declared_cases() -> list[dict[str, Any]]:
    """Operations no recording we found covers: the responses the 2026-04-01 spec declares
    (200/202 for LRO actions). Weak evidence; they pin the status class only."""

    def ev(operation: str) -> dict[str, Any]:
        return {
            "kind": "spec-declared",
            "repo": SPECS_REPO,
            "path": SPEC_FILE,
            "commit": SPEC_COMMIT,
            "recorded": "n/a (declared responses)",
            "api_version": "2026-04-01",
            "strength": "weak",
            "note": f"{operation}: declared responses 200/202 (Location, Retry-After); wire-truth.md §1.2.",
        }

    east = {"do": "resource_group", "location": "eastus"}
    vm = [east, {"do": "vnet"}, {"do": "nic"}, {"do": "vm", "name": "vm1", "size": "Standard_D2s_v5"}]
    vm_path = CMP + "/virtualMachines/{vm}"
    flex = [
        east,
        {"do": "nat_gateway"},
        {"do": "vnet", "nat": True},
        {"do": "scale_set", "name": "flexz", "profile": True, "size": "Standard_D2s_v5"},
        {"do": "scale_out", "capacity": 2},
    ]
    cases: list[dict[str, Any]] = []
    for action, op in (
        ("start", "VirtualMachines_Start"),
        ("powerOff", "VirtualMachines_PowerOff"),
        ("redeploy", "VirtualMachines_Redeploy"),
        ("reimage", "VirtualMachines_Reimage"),
    ):
        cases.append(
            {
                "id": f"vm-{action.lower()}",
                "area": "actions",
                "title": f"POST {action} on a VM: accepted (200/202)",
                "evidence": ev(op),
                "setup": vm,
                "request": {"method": "POST", "path": vm_path + "/" + action, "api_version": "2026-04-01"},
                "expect": {"status": [200, 202]},
            }
        )
    cases += [
        {
            "id": "vmss-delete-instances",
            "area": "scale_sets",
            "title": "POST DeleteInstances with a Flex VM's name as its instance id: accepted (200/202)",
            "evidence": ev("VirtualMachineScaleSets_DeleteInstances"),
            "setup": flex,
            "request": {
                "method": "POST",
                "path": CMP + "/virtualMachineScaleSets/flexz/delete",
                "api_version": "2026-04-01",
                "body": {"instanceIds": ["{vm}"]},
            },
            "expect": {"status": [200, 202]},
        },
        {
            "id": "vmss-delete-instances-force",
            "area": "scale_sets",
            "title": "POST DeleteInstances with forceDeletion=true: accepted (200/202)",
            "evidence": ev("VirtualMachineScaleSets_DeleteInstances"),
            "setup": flex,
            "request": {
                "method": "POST",
                "path": CMP + "/virtualMachineScaleSets/flexz/delete",
                "api_version": "2026-04-01",
                "query": {"forceDeletion": "true"},
                "body": {"instanceIds": ["{vm}"]},
            },
            "expect": {"status": [200, 202]},
        },
        {
            "id": "flex-patch-capacity",
            "area": "scale_sets",
            "title": "PATCH a Flex set's capacity: 200",
            "evidence": ev("VirtualMachineScaleSets_Update"),
            "setup": flex[:-1],
            "request": {
                "method": "PATCH",
                "path": CMP + "/virtualMachineScaleSets/flexz",
                "api_version": "2026-04-01",
                "body": {"sku": {"capacity": 1}},
            },
            "expect": {"status": 200, "model": "compute:VirtualMachineScaleSet"},
        },
    ]
    return cases


def _sku_shape(body: dict[str, Any]) -> dict[str, Any]:
    """The example's first virtualMachines item that has zone details, as the item shape."""
    items = [i for i in body["value"] if i.get("resourceType") == "virtualMachines"]
    best = max(items, key=lambda i: len(json.dumps(shape_of(i))))
    return {"value": [shape_of(best)]}


def sku_cases() -> list[dict[str, Any]]:
    java_skus = java_evidence(
        "ComputeSkuTests.canListSkusByRegion.json",
        "04da2345fc1ddc75c9a970485e01f238539605f1",
        "2022-06-08",
        "2021-07-01",
        "Full eastus2 list (884,429 bytes): availabilitySets "
        "Aligned with MaximumPlatformFaultDomainCount 3, then disks and VM sizes.",
        skus=True,
    )
    westus2 = {
        "kind": "documented",
        "repo": "nollenr/AZURE-Terraform-CRDB-Module",
        "path": "resources/vm_skus.md",
        "commit": "7fc8b37b040d447788c2f7c1106a5a9f5bcde9a3",
        "recorded": "2023-07-08",
        "api_version": "2021-07-01",
        "strength": "weak",
        "note": "Table output of 'az vm list-skus --location westus2' (zones and restrictions per size).",
    }
    ds1 = java_evidence(
        "VirtualMachineOperationsTests.canCreateVirtualMachineWithExistingScaleSet.json",
        "07c99fb8f231efd5a673b80cb1a20d3e56fba34d",
        "2023-04-19",
        "2023-03-01",
        "A Flex set of Standard_DS1_v2 and a Basic_A0 VM were created in eastus.",
    )
    path = SUB + "/providers/Microsoft.Compute/skus"

    def sku_req(region: str) -> dict[str, Any]:
        return {
            "method": "GET",
            "path": path,
            "api_version": "2021-07-01",
            "query": {"$filter": f"location eq '{region}'"},
        }

    return [
        {
            "id": "skus-eastus2-aligned-fd",
            "area": "skus",
            "title": "Resource SKUs in eastus2: availabilitySets/Aligned with 3 fault domains at most",
            "evidence": java_skus,
            "setup": [],
            "request": sku_req("eastus2"),
            "expect": {
                "status": 200,
                "contains": [
                    {
                        "in": "value",
                        "match": {
                            "resourceType": "availabilitySets",
                            "name": "Aligned",
                            "capabilities": [{"name": "MaximumPlatformFaultDomainCount", "value": "3"}],
                        },
                    }
                ],
            },
        },
        {
            "id": "skus-eastus-ds1-v2",
            "area": "skus",
            "title": "Resource SKUs in eastus offer Standard_DS1_v2 and Basic_A0 (used there by a real test)",
            "evidence": ds1,
            "setup": [],
            "request": sku_req("eastus"),
            "expect": {
                "status": 200,
                "contains": [
                    {"in": "value", "match": {"resourceType": "virtualMachines", "name": "Standard_DS1_v2"}},
                    {"in": "value", "match": {"resourceType": "virtualMachines", "name": "Basic_A0"}},
                ],
            },
        },
        {
            "id": "skus-westus2-zonal-sizes",
            "area": "skus",
            "title": "Resource SKUs in westus2: Standard_E2bds_v5 and Standard_D2s_v5 in zones 1,2,3",
            "evidence": westus2,
            "setup": [],
            "request": sku_req("westus2"),
            "expect": {
                "status": 200,
                "contains": [
                    {
                        "in": "value",
                        "match": {"name": "Standard_D2s_v5", "locationInfo": [{"zones": ["1", "2", "3"]}]},
                    },
                    {
                        "in": "value",
                        "match": {"name": "Standard_E2bds_v5", "locationInfo": [{"zones": ["1", "2", "3"]}]},
                    },
                ],
            },
        },
    ]


# ---------------------------------------------------------------------------- main

AREAS = ("scale_sets", "vms", "actions", "operations", "errors", "network", "resources", "skus")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cpa", type=Path, required=True, help="local snapshot of kubernetes-sigs/cloud-provider-azure"
    )
    parser.add_argument("--examples", type=Path, required=True, help="directory of REST spec example files")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "conformance" / "cases")
    args = parser.parse_args(argv)

    previous: dict[str, dict[str, Any]] = {}
    for old in args.out.glob("*.json"):
        for case in json.loads(old.read_text(encoding="utf-8"))["cases"]:
            previous[case["id"]] = case
    cases = [
        *cpa_cases(Cpa(args.cpa)),
        *java_cases(),
        *other_cases(),
        *spec_cases(args.examples),
        *sku_cases(),
        *declared_cases(),
    ]
    for case in cases:
        # Divergence bookkeeping (xfail reason, suggested fix) is curated in the case files.
        for key in ("xfail", "fix", "azure_extra"):
            if key in previous.get(case["id"], {}):
                case[key] = previous[case["id"]][key]
    args.out.mkdir(parents=True, exist_ok=True)
    for area in AREAS:
        chosen = [c for c in cases if c["area"] == area]
        doc = {
            "about": f"Conformance cases, area '{area}'. Facts about real Azure answers; generated by "
            "scripts/conformance/build_cases.py (sources and rules in its docstring).",
            "cases": chosen,
        }
        (args.out / f"{area}.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases in {len(AREAS)} files under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
