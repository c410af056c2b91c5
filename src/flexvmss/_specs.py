"""User-facing inputs: what a scale set or a VM should be, and how that becomes an ARM body.

Specs are small frozen dataclasses with the defaults a Flex set wants (fault domain count 1
for maximum spreading, ``singlePlacementGroup: false``, ``networkApiVersion`` set, every NIC,
public IP and disk deleted with its VM). :func:`render_scale_set` and :func:`render_vm` turn
them into azure-mgmt-compute models (imported only when called, so importing flexvmss stays
cheap). Two escape hatches: ``extra_properties`` is deep-merged into the rendered body, and
``raw`` replaces the rendering entirely.

Spec files (YAML/JSON) load with :meth:`ScaleSetSpec.from_mapping` / :meth:`VmSpec.from_mapping`,
which name the bad key or value in an :class:`~flexvmss.InvalidInputError`.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import os
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union

from flexvmss._errors import InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    from azure.mgmt.compute.models import VirtualMachine, VirtualMachineScaleSet

__all__ = [
    "DEFAULT_NETWORK_API_VERSION",
    "DataDiskSpec",
    "HealthSpec",
    "IdentitySpec",
    "ImageSpec",
    "NetworkSpec",
    "OsDiskSpec",
    "PriorityMixSpec",
    "ScaleSetSpec",
    "Secret",
    "SkuProfileSpec",
    "SpotSpec",
    "VmSpec",
    "default_computer_name_prefix",
    "describe_differences",
    "dig",
    "render_scale_set",
    "render_scale_set_body",
    "render_vm",
    "render_vm_body",
]

DEFAULT_NETWORK_API_VERSION = "2020-11-01"
_MASK = "********"


class Secret:
    """A secret string (password, custom data, user data) that never shows itself.

    ``repr``, ``str`` and ``format`` print ``********``; pickling is refused so a secret cannot
    leak through a serialized spec. Read the value with :meth:`reveal`.

    >>> Secret("hunter2")
    Secret('********')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise InvalidInputError("secret", type(value).__name__, "pass the secret as a string")
        self._value = value

    @classmethod
    def from_env(cls, name: str) -> Secret:
        """The value of environment variable ``name`` (InvalidInputError when unset)."""
        value = os.environ.get(name)
        if value is None:
            raise InvalidInputError("secret.env", name, f"set the environment variable {name}")
        return cls(value)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Secret:
        """The text content of the file at ``path``."""
        try:
            with open(path, encoding="utf-8") as handle:
                return cls(handle.read())
        except OSError as exc:
            raise InvalidInputError("secret.file", str(path), "point to a readable file") from exc

    def reveal(self) -> str:
        """The secret value. Only the renderer should need this."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return format(_MASK, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> Any:
        raise TypeError("flexvmss.Secret refuses to be pickled (it would write the secret in clear)")


# ---------------------------------------------------------------------------------------------
# Spec dataclasses

_WINDOWS_PUBLISHERS = (
    "microsoftwindowsserver",
    "microsoftwindowsdesktop",
    "microsoftsqlserver",
    "microsoftvisualstudio",
)


@dataclass(frozen=True)
class ImageSpec:
    """The image VMs boot from: a marketplace URN or the id of a managed image or gallery image.

    ``os_type`` ("linux" / "windows") is inferred from Windows publishers; set it for Windows
    images given by id.
    """

    publisher: str | None = None
    offer: str | None = None
    sku: str | None = None
    version: str = "latest"
    id: str | None = None
    os_type: Literal["linux", "windows"] | None = None

    @classmethod
    def from_urn(cls, urn: str, *, os_type: Literal["linux", "windows"] | None = None) -> ImageSpec:
        """``"Canonical:ubuntu-24_04-lts:server:latest"`` (the version part may be omitted)."""
        parts = urn.split(":")
        if len(parts) not in (3, 4) or not all(parts):
            raise InvalidInputError(
                "image",
                urn,
                "use publisher:offer:sku[:version], e.g. Canonical:ubuntu-24_04-lts:server:latest",
            )
        version = parts[3] if len(parts) == 4 else "latest"
        return cls(publisher=parts[0], offer=parts[1], sku=parts[2], version=version, os_type=os_type)

    @property
    def is_managed_image(self) -> bool:
        """True for a managed image (``Microsoft.Compute/images``): Flex then caps a set at 600 VMs."""
        return bool(self.id) and "/providers/microsoft.compute/images/" in (self.id or "").lower()

    @property
    def os(self) -> Literal["linux", "windows"]:
        if self.os_type:
            return self.os_type
        if (self.publisher or "").lower() in _WINDOWS_PUBLISHERS:
            return "windows"
        return "linux"

    def to_wire(self) -> dict[str, Any]:
        if self.id:
            lowered = self.id.lower()
            if "/sharedgalleries/" in lowered:
                return {"sharedGalleryImageId": self.id}
            if "/communitygalleries/" in lowered:
                return {"communityGalleryImageId": self.id}
            return {"id": self.id}
        return {"publisher": self.publisher, "offer": self.offer, "sku": self.sku, "version": self.version}

    def __str__(self) -> str:
        return self.id or f"{self.publisher}:{self.offer}:{self.sku}:{self.version}"


@dataclass(frozen=True)
class NetworkSpec:
    """The NIC of each VM and how it reaches the internet.

    Flex VMs have no default outbound access: declare one of ``outbound="nat_gateway"`` (the
    subnet has a NAT gateway), ``load_balancer_backend_pool_ids`` (a Standard load balancer with
    an outbound rule) or ``public_ip_per_vm=True``.
    """

    subnet_id: str
    public_ip_per_vm: bool = False
    load_balancer_backend_pool_ids: tuple[str, ...] = ()
    outbound: Literal["nat_gateway", "load_balancer", "public_ip"] | None = None
    network_security_group_id: str | None = None
    accelerated_networking: bool = False
    nic_name: str | None = None
    load_balancer_sku: Literal["Basic", "Standard", "Gateway"] | None = None
    network_api_version: str = DEFAULT_NETWORK_API_VERSION

    @property
    def outbound_kinds(self) -> tuple[str, ...]:
        """Every outbound path this spec declares (empty: none)."""
        kinds: list[str] = []
        if self.outbound:
            kinds.append(self.outbound)
        if self.public_ip_per_vm and "public_ip" not in kinds:
            kinds.append("public_ip")
        if self.load_balancer_backend_pool_ids and "load_balancer" not in kinds:
            kinds.append("load_balancer")
        return tuple(kinds)


@dataclass(frozen=True)
class OsDiskSpec:
    """The OS disk: managed, deleted with its VM by default; ``ephemeral`` puts it on the local cache disk."""

    storage_account_type: str = "StandardSSD_LRS"
    size_gb: int | None = None
    caching: Literal["None", "ReadOnly", "ReadWrite"] | None = None
    ephemeral: bool = False
    delete_option: Literal["Delete", "Detach"] = "Delete"
    unmanaged_vhd_uri: str | None = None  # only so the rules can refuse it: Flex needs managed disks

    def to_wire(self) -> dict[str, Any]:
        disk: dict[str, Any] = {
            "createOption": "FromImage",
            "caching": self.caching or ("ReadOnly" if self.ephemeral else "ReadWrite"),
            "deleteOption": self.delete_option,
        }
        if self.unmanaged_vhd_uri:
            disk["vhdContainers"] = [self.unmanaged_vhd_uri]
        else:
            disk["managedDisk"] = {"storageAccountType": self.storage_account_type}
        if self.size_gb is not None:
            disk["diskSizeGB"] = self.size_gb
        if self.ephemeral:
            disk["diffDiskSettings"] = {"option": "Local", "placement": "CacheDisk"}
        return disk


@dataclass(frozen=True)
class DataDiskSpec:
    """An empty managed data disk at ``lun``, deleted with its VM by default."""

    lun: int
    size_gb: int
    storage_account_type: str = "StandardSSD_LRS"
    caching: Literal["None", "ReadOnly", "ReadWrite"] | None = None
    delete_option: Literal["Delete", "Detach"] = "Delete"
    iops_read_write: int | None = None
    mbps_read_write: int | None = None

    def to_wire(self) -> dict[str, Any]:
        disk: dict[str, Any] = {
            "lun": self.lun,
            "createOption": "Empty",
            "diskSizeGB": self.size_gb,
            "managedDisk": {"storageAccountType": self.storage_account_type},
            "deleteOption": self.delete_option,
        }
        if self.caching:
            disk["caching"] = self.caching
        if self.iops_read_write is not None:
            disk["diskIOPSReadWrite"] = self.iops_read_write
        if self.mbps_read_write is not None:
            disk["diskMBpsReadWrite"] = self.mbps_read_write
        return disk


@dataclass(frozen=True)
class SpotSpec:
    """Spot settings: ``eviction_policy`` (Delete frees quota; Deallocate keeps disks) and
    ``max_price`` in USD/hour (-1: never evicted for price)."""

    eviction_policy: Literal["Deallocate", "Delete"] = "Delete"
    max_price: float = -1.0


@dataclass(frozen=True)
class PriorityMixSpec:
    """Spot priority mix: the first ``base_regular_count`` VMs are Regular, then
    ``regular_percentage_above_base`` percent of the rest. Needs ``priority="Spot"``."""

    base_regular_count: int = 0
    regular_percentage_above_base: int = 50


@dataclass(frozen=True)
class SkuProfileSpec:
    """Instance mix: up to 5 sizes from families A, B, D, E, F (``sku.name`` becomes ``Mix``).

    ``ranks`` (size -> rank, lower first) only with ``allocation_strategy="Prioritized"``.
    """

    vm_sizes: tuple[str, ...]
    allocation_strategy: Literal["LowestPrice", "CapacityOptimized", "Prioritized"] = "LowestPrice"
    ranks: Mapping[str, int] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        sizes: list[dict[str, Any]] = []
        for name in self.vm_sizes:
            entry: dict[str, Any] = {"name": name}
            if name in self.ranks:
                entry["rank"] = self.ranks[name]
            sizes.append(entry)
        return {"vmSizes": sizes, "allocationStrategy": self.allocation_strategy}


@dataclass(frozen=True)
class HealthSpec:
    """The Application Health extension (the Flex health signal) and, optionally, automatic repairs."""

    protocol: Literal["http", "https", "tcp"] = "http"
    port: int = 80
    request_path: str = "/"
    automatic_repairs: bool = True
    repair_grace_period_minutes: int = 30
    repair_action: Literal["Replace", "Restart", "Reimage"] = "Replace"

    def extension(self, os_type: str) -> dict[str, Any]:
        settings: dict[str, Any] = {"protocol": self.protocol, "port": self.port}
        if self.protocol != "tcp":
            settings["requestPath"] = self.request_path
        kind = "ApplicationHealthWindows" if os_type == "windows" else "ApplicationHealthLinux"
        return {
            "name": "HealthExtension",
            "properties": {
                "publisher": "Microsoft.ManagedServices",
                "type": kind,
                "typeHandlerVersion": "1.0",
                "autoUpgradeMinorVersion": True,
                "settings": settings,
            },
        }


@dataclass(frozen=True)
class IdentitySpec:
    """Managed identities. Flex accepts only user-assigned ones (``system_assigned=True`` is refused)."""

    user_assigned_ids: tuple[str, ...] = ()
    system_assigned: bool = False

    def to_wire(self) -> dict[str, Any]:
        kinds = []
        if self.system_assigned:
            kinds.append("SystemAssigned")
        if self.user_assigned_ids:
            kinds.append("UserAssigned")
        body: dict[str, Any] = {"type": ", ".join(kinds) or "None"}
        if self.user_assigned_ids:
            body["userAssignedIdentities"] = {i: {} for i in self.user_assigned_ids}
        return body


@dataclass(frozen=True)
class ScaleSetSpec:
    """A Flexible scale set. ``vm_size=None`` (and no ``sku_profile``) creates a set without a
    VM profile, to which VMs are added one by one (:class:`VmSpec`).

    ``single_placement_group`` is sent as given: False (the default) is what attaching VMs and
    Spot priority mix need; None leaves the choice to Azure.
    """

    location: str
    vm_size: str | None = None
    capacity: int = 0
    image: ImageSpec | None = None
    network: NetworkSpec | None = None
    admin_username: str = "azureuser"
    ssh_public_keys: tuple[str, ...] = ()
    admin_password: Secret | None = None
    custom_data: Secret | None = None
    user_data: Secret | None = None
    zones: tuple[str, ...] = ()
    zone_balance: bool = False
    platform_fault_domain_count: int = 1
    single_placement_group: bool | None = False
    priority: Literal["Regular", "Spot", "Low"] = "Regular"
    spot: SpotSpec | None = None
    priority_mix: PriorityMixSpec | None = None
    sku_profile: SkuProfileSpec | None = None
    proximity_placement_group_id: str | None = None
    identity: IdentitySpec | None = None
    termination_notification_minutes: int | None = None
    health: HealthSpec | None = None
    os_disk: OsDiskSpec = field(default_factory=OsDiskSpec)
    data_disks: tuple[DataDiskSpec, ...] = ()
    computer_name_prefix: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    upgrade_mode: Literal["Manual", "Automatic", "Rolling"] = "Manual"
    scale_in_policy: Literal["Default", "NewestVM", "OldestVM"] | None = None
    overprovision: bool | None = None
    dedicated_host_group_id: str | None = None
    extra_properties: Mapping[str, Any] = field(default_factory=dict)
    raw: Any = None

    @property
    def has_vm_profile(self) -> bool:
        return self.vm_size is not None or self.sku_profile is not None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ScaleSetSpec:
        """Build a spec from a plain mapping (a parsed YAML/JSON spec file).

        Nested specs are mappings; ``image`` may be a URN string or an id; secrets may be a
        string or ``{"env": NAME}`` / ``{"file": PATH}``. Unknown keys and wrong types raise
        :class:`~flexvmss.InvalidInputError` naming the key path.
        """
        result = _convert(cls, data, "")
        assert isinstance(result, ScaleSetSpec)
        return result


@dataclass(frozen=True)
class VmSpec:
    """A VM created directly into a Flex scale set (attach at creation).

    ``resource_group`` must be the set's (None: the set's). ``platform_fault_domain`` pins the
    VM to one fault domain (0-based, below the set's count).
    """

    name: str
    vm_size: str
    image: ImageSpec
    network: NetworkSpec
    zone: str | None = None
    platform_fault_domain: int | None = None
    priority: Literal["Regular", "Spot", "Low"] = "Regular"
    spot: SpotSpec | None = None
    admin_username: str = "azureuser"
    ssh_public_keys: tuple[str, ...] = ()
    admin_password: Secret | None = None
    custom_data: Secret | None = None
    user_data: Secret | None = None
    computer_name: str | None = None
    os_disk: OsDiskSpec = field(default_factory=OsDiskSpec)
    data_disks: tuple[DataDiskSpec, ...] = ()
    identity: IdentitySpec | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    resource_group: str | None = None
    extra_properties: Mapping[str, Any] = field(default_factory=dict)
    raw: Any = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> VmSpec:
        """Build a VM spec from a plain mapping; see :meth:`ScaleSetSpec.from_mapping`."""
        result = _convert(cls, data, "")
        assert isinstance(result, VmSpec)
        return result


# ---------------------------------------------------------------------------------------------
# Names


def default_computer_name_prefix(name: str, os_type: str = "linux") -> str:
    """A valid computer-name prefix from a set name: letters, digits and dashes only, at most
    9 characters for Windows and 58 for Linux, not starting with a dash."""
    cleaned = re.sub(r"[^A-Za-z0-9-]", "", name).lstrip("-") or "vm"
    limit = 9 if os_type == "windows" else 58
    return cleaned[:limit].rstrip("-") or "vm"


def _computer_name(name: str, os_type: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", name).strip("-") or "vm"
    if os_type == "windows":
        cleaned = cleaned[:15].rstrip("-")
        if cleaned.isdigit():
            cleaned = ("vm" + cleaned)[:15]
        return cleaned
    return cleaned[:64].rstrip("-")


# ---------------------------------------------------------------------------------------------
# Rendering


def _b64(secret: Secret) -> str:
    return base64.b64encode(secret.reveal().encode("utf-8")).decode("ascii")


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``extra`` into ``base`` in place (mappings recursively; other values replace)."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(dict(value)) if isinstance(value, Mapping) else copy.deepcopy(value)
    return base


def _os_profile(
    spec: ScaleSetSpec | VmSpec, os_type: str, *, name_key: str, name_value: str
) -> dict[str, Any]:
    profile: dict[str, Any] = {name_key: name_value, "adminUsername": spec.admin_username}
    if spec.admin_password is not None:
        profile["adminPassword"] = spec.admin_password.reveal()
    if spec.custom_data is not None:
        profile["customData"] = _b64(spec.custom_data)
    if os_type == "windows":
        profile["windowsConfiguration"] = {"provisionVMAgent": True}
    else:
        linux: dict[str, Any] = {"disablePasswordAuthentication": spec.admin_password is None}
        if spec.ssh_public_keys:
            linux["ssh"] = {
                "publicKeys": [
                    {"path": f"/home/{spec.admin_username}/.ssh/authorized_keys", "keyData": key}
                    for key in spec.ssh_public_keys
                ]
            }
        profile["linuxConfiguration"] = linux
    return profile


def _nic_configuration(network: NetworkSpec, base_name: str) -> dict[str, Any]:
    ip_config: dict[str, Any] = {"primary": True, "subnet": {"id": network.subnet_id}}
    if network.load_balancer_backend_pool_ids:
        ip_config["loadBalancerBackendAddressPools"] = [
            {"id": pool} for pool in network.load_balancer_backend_pool_ids
        ]
    if network.public_ip_per_vm:
        ip_config["publicIPAddressConfiguration"] = {
            "name": f"{base_name}-pip",
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": {"deleteOption": "Delete", "idleTimeoutInMinutes": 4},
        }
    nic: dict[str, Any] = {
        "primary": True,
        "deleteOption": "Delete",
        "enableAcceleratedNetworking": network.accelerated_networking,
        "ipConfigurations": [{"name": f"{base_name}-ipconfig", "properties": ip_config}],
    }
    if network.network_security_group_id:
        nic["networkSecurityGroup"] = {"id": network.network_security_group_id}
    return {"name": network.nic_name or f"{base_name}-nic", "properties": nic}


def _priority(spec: ScaleSetSpec | VmSpec, target: dict[str, Any]) -> None:
    target["priority"] = spec.priority
    if spec.priority != "Regular":
        spot = spec.spot or SpotSpec()
        target["evictionPolicy"] = spot.eviction_policy
        target["billingProfile"] = {"maxPrice": spot.max_price}
    elif spec.spot is not None:  # rendered so the rules (and Azure) can refuse it, not dropped silently
        target["evictionPolicy"] = spec.spot.eviction_policy
        target["billingProfile"] = {"maxPrice": spec.spot.max_price}


def render_scale_set_body(spec: ScaleSetSpec, *, name: str | None = None) -> dict[str, Any]:
    """The ARM wire body (camelCase keys) for ``spec``; ``raw`` is returned as a plain dict."""
    if spec.raw is not None:
        return dict(spec.raw.as_dict() if hasattr(spec.raw, "as_dict") else spec.raw)
    set_name = name or spec.computer_name_prefix or "vmss"
    props: dict[str, Any] = {
        "orchestrationMode": "Flexible",
        "platformFaultDomainCount": spec.platform_fault_domain_count,
    }
    if spec.single_placement_group is not None:
        props["singlePlacementGroup"] = spec.single_placement_group
    body: dict[str, Any] = {"location": spec.location, "tags": dict(spec.tags), "properties": props}
    if spec.zones:
        body["zones"] = [str(z) for z in spec.zones]
        props["zoneBalance"] = spec.zone_balance
    if spec.identity is not None:
        body["identity"] = spec.identity.to_wire()
    if spec.proximity_placement_group_id:
        props["proximityPlacementGroup"] = {"id": spec.proximity_placement_group_id}
    if spec.dedicated_host_group_id:
        props["hostGroup"] = {"id": spec.dedicated_host_group_id}
    if spec.overprovision is not None:
        props["overprovision"] = spec.overprovision
    if spec.priority_mix is not None:
        props["priorityMixPolicy"] = {
            "baseRegularPriorityCount": spec.priority_mix.base_regular_count,
            "regularPriorityPercentageAboveBase": spec.priority_mix.regular_percentage_above_base,
        }
    if spec.scale_in_policy:
        props["scaleInPolicy"] = {"rules": [spec.scale_in_policy]}
    if spec.has_vm_profile:
        props["upgradePolicy"] = {"mode": spec.upgrade_mode}
        if spec.sku_profile is not None:
            body["sku"] = {"name": "Mix", "capacity": spec.capacity}
            props["skuProfile"] = spec.sku_profile.to_wire()
        else:
            body["sku"] = {"name": spec.vm_size, "tier": "Standard", "capacity": spec.capacity}
        props["virtualMachineProfile"] = _vm_profile(spec, set_name)
        if spec.health is not None and spec.health.automatic_repairs:
            props["automaticRepairsPolicy"] = {
                "enabled": True,
                "gracePeriod": f"PT{spec.health.repair_grace_period_minutes}M",
                "repairAction": spec.health.repair_action,
            }
    _deep_merge(body, spec.extra_properties)
    return body


def _vm_profile(spec: ScaleSetSpec, set_name: str) -> dict[str, Any]:
    os_type = spec.image.os if spec.image else "linux"
    storage: dict[str, Any] = {"osDisk": spec.os_disk.to_wire()}
    if spec.image is not None:
        storage["imageReference"] = spec.image.to_wire()
    if spec.data_disks:
        storage["dataDisks"] = [disk.to_wire() for disk in spec.data_disks]
    prefix = spec.computer_name_prefix or default_computer_name_prefix(set_name, os_type)
    profile: dict[str, Any] = {
        "storageProfile": storage,
        "osProfile": _os_profile(spec, os_type, name_key="computerNamePrefix", name_value=prefix),
    }
    network: dict[str, Any] = {"networkApiVersion": DEFAULT_NETWORK_API_VERSION}
    if spec.network is not None:
        network["networkApiVersion"] = spec.network.network_api_version
        network["networkInterfaceConfigurations"] = [_nic_configuration(spec.network, set_name)]
    profile["networkProfile"] = network
    _priority(spec, profile)
    if spec.user_data is not None:
        profile["userData"] = _b64(spec.user_data)
    if spec.termination_notification_minutes is not None:
        profile["scheduledEventsProfile"] = {
            "terminateNotificationProfile": {
                "enable": True,
                "notBeforeTimeout": f"PT{spec.termination_notification_minutes}M",
            }
        }
    if spec.health is not None:
        profile["extensionProfile"] = {"extensions": [spec.health.extension(os_type)]}
    return profile


def render_scale_set(
    spec: ScaleSetSpec, *, subscription_id: str, resource_group: str, name: str | None = None
) -> VirtualMachineScaleSet:
    """The azure-mgmt-compute ``VirtualMachineScaleSet`` to PUT for ``spec``.

    ``name`` (the scale set's) names the NIC configuration and the default computer-name
    prefix; pass it. ``subscription_id`` and ``resource_group`` are accepted for symmetry with
    :func:`render_vm` (a set body holds no ids of its own).
    """
    from azure.mgmt.compute.models import VirtualMachineScaleSet

    del subscription_id, resource_group
    if spec.raw is not None and isinstance(spec.raw, VirtualMachineScaleSet):
        return spec.raw
    return VirtualMachineScaleSet(render_scale_set_body(spec, name=name))


def render_vm_body(spec: VmSpec, *, scale_set_id: str, location: str) -> dict[str, Any]:
    """The ARM wire body for a VM created into the set ``scale_set_id``."""
    if spec.raw is not None:
        return dict(spec.raw.as_dict() if hasattr(spec.raw, "as_dict") else spec.raw)
    os_type = spec.image.os
    storage: dict[str, Any] = {"osDisk": spec.os_disk.to_wire(), "imageReference": spec.image.to_wire()}
    if spec.data_disks:
        storage["dataDisks"] = [disk.to_wire() for disk in spec.data_disks]
    computer_name = spec.computer_name or _computer_name(spec.name, os_type)
    props: dict[str, Any] = {
        "hardwareProfile": {"vmSize": spec.vm_size},
        "storageProfile": storage,
        "osProfile": _os_profile(spec, os_type, name_key="computerName", name_value=computer_name),
        "networkProfile": {
            "networkApiVersion": spec.network.network_api_version,
            "networkInterfaceConfigurations": [_nic_configuration(spec.network, spec.name)],
        },
        "virtualMachineScaleSet": {"id": scale_set_id},
    }
    if spec.platform_fault_domain is not None:
        props["platformFaultDomain"] = spec.platform_fault_domain
    _priority(spec, props)
    if spec.user_data is not None:
        props["userData"] = _b64(spec.user_data)
    body: dict[str, Any] = {"location": location, "tags": dict(spec.tags), "properties": props}
    if spec.zone is not None:
        body["zones"] = [str(spec.zone)]
    if spec.identity is not None:
        body["identity"] = spec.identity.to_wire()
    _deep_merge(body, spec.extra_properties)
    return body


def render_vm(
    spec: VmSpec, *, subscription_id: str, resource_group: str, scale_set_id: str, location: str
) -> VirtualMachine:
    """The azure-mgmt-compute ``VirtualMachine`` to PUT: a VM created into a Flex set, with its
    NIC declared inline (``networkInterfaceConfigurations`` + ``networkApiVersion``) so one PUT
    creates VM, NIC and public IP, and deleting the VM deletes them."""
    from azure.mgmt.compute.models import VirtualMachine

    del subscription_id, resource_group
    if spec.raw is not None and isinstance(spec.raw, VirtualMachine):
        return spec.raw
    return VirtualMachine(render_vm_body(spec, scale_set_id=scale_set_id, location=location))


# ---------------------------------------------------------------------------------------------
# Idempotent create


def dig(data: Any, *path: str) -> Any:
    """``data[path[0]][path[1]]...``, or None as soon as a step is not a mapping or is missing:
    for reading ARM bodies, where any level may be absent."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def describe_differences(
    existing: Mapping[str, Any], spec: ScaleSetSpec, *, name: str | None = None
) -> list[str]:
    """What differs between an existing set (its wire body or azure-mgmt model) and ``spec``,
    one line per field; empty when creating ``spec`` again would change nothing that matters.

    Capacity is not compared (it is runtime state: use ``scale_to``); nor are tags.
    """
    wanted = render_scale_set_body(spec, name=name)
    if hasattr(existing, "as_dict"):
        existing = existing.as_dict()
    checks: list[tuple[str, tuple[str, ...], bool]] = [
        ("orchestration_mode", ("properties", "orchestrationMode"), False),
        ("location", ("location",), True),
        ("platform_fault_domain_count", ("properties", "platformFaultDomainCount"), False),
        ("single_placement_group", ("properties", "singlePlacementGroup"), False),
        ("vm_size", ("sku", "name"), True),
        ("zone_balance", ("properties", "zoneBalance"), False),
        ("proximity_placement_group_id", ("properties", "proximityPlacementGroup", "id"), True),
        ("upgrade_mode", ("properties", "upgradePolicy", "mode"), True),
        ("priority", ("properties", "virtualMachineProfile", "priority"), True),
    ]
    out: list[str] = []
    for label, path, fold in checks:
        want, have = dig(wanted, *path), dig(existing, *path)
        if want is None or (have is None and label == "single_placement_group"):
            continue
        same = str(want).lower() == str(have).lower() if fold else want == have
        if not same:
            out.append(f"{label}: existing {have!r}, spec {want!r}")
    want_zones = sorted(str(z) for z in wanted.get("zones") or ())
    have_zones = sorted(str(z) for z in existing.get("zones") or ())
    if want_zones != have_zones:
        out.append(f"zones: existing {have_zones!r}, spec {want_zones!r}")
    want_image = dig(wanted, "properties", "virtualMachineProfile", "storageProfile", "imageReference")
    have_image = dig(existing, "properties", "virtualMachineProfile", "storageProfile", "imageReference")
    if want_image and have_image:
        for key, value in want_image.items():
            if str(value).lower() != str(have_image.get(key)).lower():
                out.append(f"image.{key}: existing {have_image.get(key)!r}, spec {value!r}")
    has_profile = dig(existing, "properties", "virtualMachineProfile") is not None
    if spec.has_vm_profile != has_profile and spec.raw is None:
        out.append(
            f"vm profile: existing {'present' if has_profile else 'absent'}, "
            f"spec {'present' if spec.has_vm_profile else 'absent'}"
        )
    return out


# ---------------------------------------------------------------------------------------------
# from_mapping


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(tp: Any, value: Any, path: str) -> Any:
    """Convert plain data ``value`` to the annotated type ``tp``; InvalidInputError names ``path``."""
    where = path or "spec"
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None:
            if type(None) in options:
                return None
            raise InvalidInputError(where, value, "give a value")
        errors: list[InvalidInputError] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, path)
            except InvalidInputError as exc:
                errors.append(exc)
        raise errors[0]
    if origin is Literal:
        allowed = typing.get_args(tp)
        for choice in allowed:
            if isinstance(value, str) and isinstance(choice, str) and value.lower() == choice.lower():
                return choice
        raise InvalidInputError(where, value, f"use one of {', '.join(map(str, allowed))}")
    if origin is tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            if isinstance(value, (str, int)) and typing.get_args(tp)[0] in (str,):
                value = [value]
            else:
                raise InvalidInputError(where, value, "give a list")
        item_type = typing.get_args(tp)[0]
        return tuple(_convert(item_type, item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin is Mapping or tp is Mapping:
        if not isinstance(value, Mapping):
            raise InvalidInputError(where, value, "give a mapping")
        args = typing.get_args(tp)
        if args and args[1] is str:
            return {str(k): str(v) for k, v in value.items()}
        if args and args[1] is int:
            return {str(k): _convert(int, v, f"{where}.{k}") for k, v in value.items()}
        return dict(value)
    if tp is Secret:
        if isinstance(value, Secret):
            return value
        if isinstance(value, str):
            return Secret(value)
        if isinstance(value, Mapping) and set(value) == {"env"}:
            return Secret.from_env(str(value["env"]))
        if isinstance(value, Mapping) and set(value) == {"file"}:
            return Secret.from_file(str(value["file"]))
        raise InvalidInputError(where, "<secret>", "give a string, {env: NAME} or {file: PATH}")
    if tp is ImageSpec and isinstance(value, str):
        if value.startswith("/"):
            return ImageSpec(id=value)
        return ImageSpec.from_urn(value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise InvalidInputError(where, value, f"give a mapping of {tp.__name__} fields")
        hints = typing.get_type_hints(tp)
        known = {f.name for f in dataclasses.fields(tp)}
        kwargs: dict[str, Any] = {}
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if key not in known:
                raise InvalidInputError(
                    key_path,
                    item,
                    f"remove it or fix its spelling; known keys of {tp.__name__}: {', '.join(sorted(known))}",
                    message=f"unknown key {key_path!r} in {tp.__name__}.",
                )
            if key in ("raw", "extra_properties"):
                kwargs[key] = item
                continue
            kwargs[key] = _convert(hints[key], item, key_path)
        missing = [
            f.name
            for f in dataclasses.fields(tp)
            if f.name not in kwargs
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            first = f"{path}.{missing[0]}" if path else missing[0]
            raise InvalidInputError(first, None, f"{tp.__name__} requires {', '.join(missing)}")
        return tp(**kwargs)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise InvalidInputError(where, value, "give true or false")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise InvalidInputError(where, value, "give a whole number")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise InvalidInputError(where, value, "give a number")
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # zones and LUN-like values are often written unquoted
        raise InvalidInputError(where, value, "give a string")
    raise InvalidInputError(where, value, f"expected {_type_name(tp)}")
