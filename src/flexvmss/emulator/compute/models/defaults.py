"""Compute's server-side defaults: what Azure fills into a VM, a scale set and its VM profile
that the client did not send, one table per resource type, each row with its source.

Sources (short names used in the rows):

* **CPA-VM** kubernetes-sigs/cloud-provider-azure ``pkg/azclient/virtualmachineclient/testdata/
  AZURECLOUD.yaml`` @ 314ccf11 (recorded 2026-03-12, api 2025-04-01): a Windows VM created from
  ``MicrosoftWindowsServer/WindowsServer/2019-Datacenter/latest`` with no osType, disk size,
  patch settings or agent settings sent.
* **CPA-VMSS** the same repository's ``virtualmachinescalesetclient`` recording (2026-03-12,
  api 2025-04-01): a Uniform set created without ``osDisk`` or ``orchestrationMode``.
* **PS-FLEX** Azure/azure-powershell ``src/Compute/Compute.Test/SessionRecords/...
  VirtualMachineScaleSetTests/TestVirtualMachineScaleSetFlexAnyPFDC.json`` @ 77d71aaf (recorded
  2023-08-31, api 2023-07-01): a Windows Flex set created with no ``osDisk`` at all.
* **JAVA-FLEX** Azure/azure-sdk-for-java ``VirtualMachineOperationsTests.
  canCreateVirtualMachineWithExistingScaleSet.json`` @ 07c99fb8 (recorded 2023-04-19, api
  2023-03-01): a Linux Flex set and a Linux VM in it.
* **JAVA-VM** the same repository's ``VirtualMachineOperationsTests.canOperateVirtualMachine.json``
  @ 12b7af87 (recorded 2022-02-28, api 2021-11-01): a running and a deallocated Linux VM's
  instance view.
* **CLI-FLEX** Azure/azure-cli ``test_create_flexible_vmss_by_default.yaml`` (2023-10;
  research/wire-truth.md 2.5).

Rows marked "inferred" fill a value no recording shows, chosen to look like Azure's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core import Default, fill_defaults

__all__ = [
    "PROFILE_DEFAULTS",
    "RUNNING_INSTANCE_VIEW_DEFAULTS",
    "SCALE_SET_DEFAULTS",
    "VM_DEFAULTS",
    "apply_instance_view_defaults",
    "apply_profile_defaults",
    "apply_scale_set_defaults",
    "apply_vm_defaults",
    "is_windows",
]


def is_windows(props: dict[str, Any]) -> bool:
    """Whether VM (or profile) properties describe a Windows machine: an explicit
    ``osDisk.osType``, else a Windows image publisher or a ``windowsConfiguration``."""
    storage = props.get("storageProfile") or {}
    os_type = str((storage.get("osDisk") or {}).get("osType") or "")
    if os_type:
        return os_type.lower() == "windows"
    image = storage.get("imageReference") or {}
    os_profile = props.get("osProfile")
    return "windows" in str(image.get("publisher", "")).lower() or (
        isinstance(os_profile, dict) and "windowsConfiguration" in os_profile
    )


def _exact_version(image: dict[str, Any]) -> str:
    """The image version ``latest`` resolves to. Recorded for WindowsServer 2019-Datacenter
    (CPA-VM: ``17763.8276.260109``); the others are inferred, in the same numbering."""
    version = str(image.get("version") or "")
    if version and version.lower() != "latest":
        return version
    publisher = str(image.get("publisher", "")).lower()
    offer_sku = f"{image.get('offer', '')} {image.get('sku', '')}".lower()
    if publisher == "microsoftwindowsserver":
        if "2019" in offer_sku:
            return "17763.8276.260109"
        return "20348.3091.250112" if "2022" in offer_sku else "26100.2894.250113"
    if publisher == "canonical":
        for marker, release in (
            ("24_04", "24.04"),
            ("noble", "24.04"),
            ("20_04", "20.04"),
            ("focal", "20.04"),
        ):
            if marker in offer_sku:
                return f"{release}.202601150"
        return "22.04.202601150"
    return "1.0.0"


def _has_marketplace_image(root: dict[str, Any], props_path: tuple[str, ...]) -> bool:
    node: Any = root
    for key in props_path:
        node = (node or {}).get(key) if isinstance(node, dict) else None
    image = ((node or {}).get("storageProfile") or {}).get("imageReference") or {}
    return bool(image.get("publisher"))


def _props(root: dict[str, Any], props_path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = root
    for key in props_path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _os_rows(prefix: str, props_path: tuple[str, ...], *, vm: bool) -> list[Default]:
    """The OS-profile rows shared by VMs and profiles (``prefix`` is the path to the
    properties that hold ``osProfile`` and ``storageProfile``)."""

    def windows(root: dict[str, Any], _facts: Mapping[str, Any]) -> bool:
        return is_windows(_props(root, props_path))

    def linux(root: dict[str, Any], facts: Mapping[str, Any]) -> bool:
        return not windows(root, facts)

    os_profile = f"{prefix}.osProfile"
    agent_updates = vm  # CPA-VM (2025) shows true on a VM; PS-FLEX (2023) false on a profile
    return [
        Default(f"{os_profile}.secrets", [], "CPA-VM, PS-FLEX, JAVA-FLEX"),
        Default(f"{os_profile}.allowExtensionOperations", True, "CPA-VM, PS-FLEX, JAVA-FLEX"),
        Default(f"{os_profile}.requireGuestProvisionSignal", True, "CPA-VM, PS-FLEX, JAVA-FLEX"),
        Default(
            f"{os_profile}.windowsConfiguration",
            {},
            "CPA-VM (a Windows VM sent no windowsConfiguration and got one)",
            when=windows,
        ),
        Default(f"{os_profile}.windowsConfiguration.provisionVMAgent", True, "CPA-VM, PS-FLEX"),
        Default(f"{os_profile}.windowsConfiguration.enableAutomaticUpdates", True, "CPA-VM, PS-FLEX"),
        Default(
            f"{os_profile}.windowsConfiguration.patchSettings",
            {"patchMode": "AutomaticByOS", "assessmentMode": "ImageDefault"},
            "CPA-VM, PS-FLEX",
        ),
        Default(
            f"{os_profile}.windowsConfiguration.enableVMAgentPlatformUpdates",
            agent_updates,
            "CPA-VM (true on a VM, 2025) / PS-FLEX (false on a profile, 2023)",
        ),
        Default(
            f"{os_profile}.linuxConfiguration",
            {},
            "inferred (as CPA-VM for Windows: a Linux machine gets its configuration object)",
            when=linux,
        ),
        Default(f"{os_profile}.linuxConfiguration.disablePasswordAuthentication", False, "JAVA-VM"),
        Default(f"{os_profile}.linuxConfiguration.provisionVMAgent", True, "JAVA-VM, JAVA-FLEX"),
        Default(
            f"{os_profile}.linuxConfiguration.patchSettings",
            {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"},
            "JAVA-VM, JAVA-FLEX",
        ),
        Default(f"{os_profile}.linuxConfiguration.enableVMAgentPlatformUpdates", False, "JAVA-FLEX"),
    ]


def _storage_rows(prefix: str, props_path: tuple[str, ...]) -> list[Default]:
    def os_type(root: dict[str, Any], _facts: Mapping[str, Any]) -> str:
        return "Windows" if is_windows(_props(root, props_path)) else "Linux"

    def disk_size(root: dict[str, Any], facts: Mapping[str, Any]) -> int:
        # The image's OS disk: 127 GiB for Windows Server (CPA-VM, PS-FLEX), 30 GiB for the
        # Ubuntu images (JAVA-FLEX, JAVA-VM).
        return 127 if os_type(root, facts) == "Windows" else 30

    def marketplace(root: dict[str, Any], _facts: Mapping[str, Any]) -> bool:
        return _has_marketplace_image(root, props_path)

    def exact_version(root: dict[str, Any], _facts: Mapping[str, Any]) -> str:
        return _exact_version(_props(root, props_path)["storageProfile"]["imageReference"])

    storage = f"{prefix}.storageProfile"
    return [
        Default(f"{storage}.osDisk.osType", os_type, "CPA-VM, PS-FLEX (from the image)"),
        Default(f"{storage}.osDisk.diskSizeGB", disk_size, "CPA-VM, PS-FLEX, JAVA-FLEX (from the image)"),
        Default(
            f"{storage}.imageReference.exactVersion",
            exact_version,
            "CPA-VM (the version 'latest' resolved to), JAVA-FLEX",
            when=marketplace,
        ),
        Default(f"{storage}.dataDisks", [], "CPA-VM, JAVA-VM"),
    ]


#: A virtual machine (root: the VM body).
VM_DEFAULTS: tuple[Default, ...] = (
    *_storage_rows("properties", ("properties",)),
    Default("properties.storageProfile.osDisk.caching", "ReadWrite", "CPA-VM, JAVA-VM"),
    *_os_rows("properties", ("properties",), vm=True),
)

#: A scale set's ``virtualMachineProfile`` (root: the scale set body).
PROFILE_DEFAULTS: tuple[Default, ...] = (
    *_storage_rows("properties.virtualMachineProfile", ("properties", "virtualMachineProfile")),
    Default(
        "properties.virtualMachineProfile.storageProfile.osDisk.createOption",
        "FromImage",
        "PS-FLEX, CPA-VMSS (a profile sent without osDisk gets one made from the image)",
    ),
    Default(
        "properties.virtualMachineProfile.storageProfile.osDisk.caching",
        lambda _root, facts: "ReadWrite" if facts.get("os_disk_sent") else "None",
        "PS-FLEX, CPA-VMSS ('None' when the request had no osDisk), JAVA-FLEX ('ReadWrite' when it "
        "had one without caching)",
    ),
    Default("properties.virtualMachineProfile.storageProfile.osDisk.managedDisk", {}, "PS-FLEX"),
    Default(
        "properties.virtualMachineProfile.storageProfile.osDisk.managedDisk.storageAccountType",
        lambda _root, facts: "Premium_LRS" if facts.get("premium_io", True) else "Standard_LRS",
        "PS-FLEX (Premium_LRS for a premium-capable size); Standard_LRS for other sizes is inferred",
    ),
    Default(
        "properties.virtualMachineProfile.storageProfile.osDisk.deleteOption",
        "Delete",
        "PS-FLEX, CLI-FLEX (a set's VMs take their disks with them)",
    ),
    Default(
        "properties.virtualMachineProfile.storageProfile.dataDisks[].deleteOption",
        "Delete",
        "inferred (as the OS disk, PS-FLEX)",
    ),
    *_os_rows("properties.virtualMachineProfile", ("properties", "virtualMachineProfile"), vm=False),
    Default(
        "properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties"
        ".deleteOption",
        "Delete",
        "PS-FLEX, CLI-FLEX",
    ),
    Default(
        "properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties"
        ".ipConfigurations[].properties.publicIPAddressConfiguration.properties",
        {},
        "inferred (the object the next row fills)",
    ),
    Default(
        "properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties"
        ".ipConfigurations[].properties.publicIPAddressConfiguration.properties.deleteOption",
        "Delete",
        "CLI-FLEX (deleteOption Delete on the profile's network objects)",
    ),
    Default(
        "properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties"
        ".dnsSettings",
        {"dnsServers": []},
        "PS-FLEX",
    ),
    *(
        Default(
            "properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties."
            + key,
            value,
            source,
        )
        for key, value, source in (
            ("enableAcceleratedNetworking", False, "inferred (today's model; the NIC it makes has it)"),
            ("disableTcpStateTracking", False, "PS-FLEX, JAVA-FLEX, CPA-VMSS"),
            ("enableIPForwarding", False, "PS-FLEX, JAVA-FLEX"),
            ("auxiliaryMode", "None", "PS-FLEX"),
            ("auxiliarySku", "None", "PS-FLEX"),
        )
    ),
    *(
        Default(
            "properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[].properties"
            f".ipConfigurations[].properties.{key}",
            value,
            "PS-FLEX, JAVA-FLEX",
        )
        for key, value in (
            ("privateIPAddressVersion", "IPv4"),
            ("applicationSecurityGroups", []),
            ("applicationGatewayBackendAddressPools", []),
        )
    ),
)


def _flexible(root: dict[str, Any], _facts: Mapping[str, Any]) -> bool:
    return str((root.get("properties") or {}).get("orchestrationMode")) == "Flexible"


def _uniform(root: dict[str, Any], facts: Mapping[str, Any]) -> bool:
    return not _flexible(root, facts)


def _sized(root: dict[str, Any], _facts: Mapping[str, Any]) -> bool:
    """A set whose ``sku.name`` is a VM size (not an instance mix, which has no tier)."""
    name = str((root.get("sku") or {}).get("name") or "")
    return bool(name) and name.lower() != "mix"


#: A scale set (root: the set body), beside its profile.
SCALE_SET_DEFAULTS: tuple[Default, ...] = (
    Default("sku.tier", "Standard", "PS-FLEX, CPA-VMSS", when=_sized),
    Default("properties.constrainedMaximumCapacity", False, "PS-FLEX, JAVA-FLEX, CLI-FLEX", when=_flexible),
    Default("properties.platformFaultDomainCount", 1, "CLI-FLEX (Flex: 1)", when=_flexible),
    Default("properties.upgradePolicy", {"mode": "Manual"}, "PS-FLEX, CLI-FLEX", when=_flexible),
    Default("properties.platformFaultDomainCount", 5, "CPA-VMSS (Uniform: 5)", when=_uniform),
    Default("properties.singlePlacementGroup", True, "CPA-VMSS (Uniform)", when=_uniform),
    Default("properties.doNotRunExtensionsOnOverprovisionedVMs", False, "CPA-VMSS", when=_uniform),
    Default(
        "properties.upgradePolicy.automaticOSUpgradePolicy.useRollingUpgradePolicy",
        False,
        "CPA-VMSS",
        when=_uniform,
        create_parents=True,
    ),
)

#: What a running VM's instance view reports beside its statuses (root: the instance view;
#: facts: ``windows``, ``time``). A deallocated VM reports none of it (JAVA-VM).
RUNNING_INSTANCE_VIEW_DEFAULTS: tuple[Default, ...] = (
    Default(
        "osVersion",
        lambda _view, facts: "10.0.17763.8276" if facts.get("windows") else "22.04",
        "JAVA-VM (shape); values inferred",
    ),
    Default(
        "vmAgent",
        lambda _view, facts: {
            "vmAgentVersion": "2.7.41491.1102" if facts.get("windows") else "2.10.0.8",
            "statuses": [
                {
                    "code": "ProvisioningState/succeeded",
                    "level": "Info",
                    "displayStatus": "Ready",
                    "message": "Guest Agent is running",
                    "time": facts.get("time"),
                }
            ],
        },
        "JAVA-VM (shape and status texts); agent versions inferred",
    ),
)


def apply_vm_defaults(body: dict[str, Any]) -> dict[str, Any]:
    """Fill :data:`VM_DEFAULTS` into a new VM's body."""
    return fill_defaults(VM_DEFAULTS, body)


def apply_profile_defaults(body: dict[str, Any], *, premium_io: bool = True) -> dict[str, Any]:
    """Fill :data:`PROFILE_DEFAULTS` into a scale set body's ``virtualMachineProfile``.
    ``premium_io`` is whether the set's size takes premium disks (the OS disk type Azure
    picks when the request names none)."""
    profile = (body.get("properties") or {}).get("virtualMachineProfile")
    if not isinstance(profile, dict):
        return body
    storage = profile.setdefault("storageProfile", {})
    os_disk_sent = isinstance(storage.get("osDisk"), dict)
    if not os_disk_sent and storage.get("imageReference"):
        storage["osDisk"] = {}
    return fill_defaults(PROFILE_DEFAULTS, body, {"os_disk_sent": os_disk_sent, "premium_io": premium_io})


def apply_scale_set_defaults(body: dict[str, Any]) -> dict[str, Any]:
    """Fill :data:`SCALE_SET_DEFAULTS` into a new scale set's body."""
    return fill_defaults(SCALE_SET_DEFAULTS, body)


def apply_instance_view_defaults(view: dict[str, Any], *, windows: bool, time: str) -> dict[str, Any]:
    """Fill :data:`RUNNING_INSTANCE_VIEW_DEFAULTS` into a running VM's instance view."""
    return fill_defaults(RUNNING_INSTANCE_VIEW_DEFAULTS, view, {"windows": windows, "time": time})
