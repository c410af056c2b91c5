"""The specs: small frozen dataclasses for what a scale set or a VM should be, with the defaults
a Flex set wants (fault domain count 1 for maximum spreading, ``singlePlacementGroup: false``,
``networkApiVersion`` set, every NIC, public IP and disk deleted with its VM).

Spec files (YAML/JSON) load with :meth:`ScaleSetSpec.from_mapping` / :meth:`VmSpec.from_mapping`,
which name the bad key or value in an :class:`~flexvmss.InvalidInputError`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from flexvmss._errors import InvalidInputError
from flexvmss._redact import find_secrets, redact_json

__all__ = [
    "DEFAULT_ADMIN_USERNAME",
    "DEFAULT_NETWORK_API_VERSION",
    "DataDiskSpec",
    "HealthSpec",
    "IdentitySpec",
    "ImageSpec",
    "NetworkSpec",
    "OsDiskSpec",
    "PriorityMixSpec",
    "ResiliencySpec",
    "ScaleSetSpec",
    "Secret",
    "SkuProfileSpec",
    "SpotRestoreSpec",
    "SpotSpec",
    "VmSpec",
    "ZonePlacementSpec",
]

DEFAULT_NETWORK_API_VERSION = "2020-11-01"
_MASK = "********"
#: Largest secret file read (bytes): far above what Azure accepts anywhere a secret goes
#: (custom and user data are at most 64 KB), small enough that ``{file: /dev/zero}`` fails fast.
MAX_SECRET_FILE_BYTES = 1024 * 1024


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
        """The text content (UTF-8) of the file at ``path``, at most
        :data:`MAX_SECRET_FILE_BYTES` bytes: a larger file, a device such as ``/dev/zero`` or a
        binary file is refused with :class:`~flexvmss.InvalidInputError` before it fills memory."""
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_SECRET_FILE_BYTES + 1)
        except OSError as exc:
            raise InvalidInputError("secret.file", str(path), "point to a readable file") from exc
        if len(data) > MAX_SECRET_FILE_BYTES:
            del data
            raise InvalidInputError(
                "secret.file",
                str(path),
                f"point to a file of at most {MAX_SECRET_FILE_BYTES // 1024} KiB (Azure takes at most 64 KB "
                "of custom or user data)",
                message=f"secret.file={str(path)!r} holds more than {MAX_SECRET_FILE_BYTES} bytes.",
            )
        try:  # newlines translated as a text-mode read would (\r\n and \r become \n)
            return cls(data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"))
        except UnicodeDecodeError:
            pass
        del data  # no plain secret in this frame's locals when the error's traceback is shown
        raise InvalidInputError("secret.file", str(path), "point to a UTF-8 text file")

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


class PrivateMapping(dict[str, Any]):
    """A plain ``dict`` whose ``repr`` masks what is secret by name or by shape
    (:func:`flexvmss._redact.redact_json`): a spec's ``extra_properties`` and ``raw`` may carry
    ``protectedSettings``, passwords or keys, and a spec's repr must not show them."""

    def __repr__(self) -> str:
        return repr(redact_json(dict(self)))

    __str__ = __repr__


def _check_public_keys(keys: Sequence[str]) -> None:
    """Refuse a private key where a public key belongs (it would be sent to Azure as is)."""
    for index, key in enumerate(keys):
        if any(match.kind == "private-key" for match in find_secrets(key)):
            raise InvalidInputError(
                f"ssh_public_keys[{index}]",
                "<a private key>",
                "pass the public key instead: the .pub file next to the key, or the output of "
                "`ssh-keygen -y -f KEY`; a private key never leaves your machine",
                message=f"ssh_public_keys[{index}] holds a private key, not a public one; nothing was sent.",
            )


def _check_escape_hatches(spec: ScaleSetSpec | VmSpec, model: str) -> None:
    """``extra_properties`` and ``raw`` checked against the shapes azure-mgmt declares for
    ``model`` (:mod:`flexvmss._specs._shapes`) and kept as :class:`PrivateMapping` s."""
    extra = spec.extra_properties
    if not isinstance(extra, Mapping):
        raise InvalidInputError(
            "extra_properties", type(extra).__name__, "give a mapping of ARM body fields (camelCase)"
        )
    if extra:
        from flexvmss._specs._shapes import check_body

        check_body(extra, model, field="extra_properties")
    if not isinstance(extra, PrivateMapping):
        object.__setattr__(spec, "extra_properties", PrivateMapping(extra))
    raw = spec.raw
    if raw is None:
        return
    body = raw.as_dict() if callable(getattr(raw, "as_dict", None)) else raw
    from flexvmss._specs._shapes import check_body

    check_body(body, model, field="raw")
    if isinstance(raw, Mapping) and not hasattr(raw, "as_dict") and not isinstance(raw, PrivateMapping):
        object.__setattr__(spec, "raw", PrivateMapping(raw))


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The resolved field annotations of a spec class (resolved once per class)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _check_fields(spec: object) -> None:
    """Convert and check every field of a spec the way :meth:`ScaleSetSpec.from_mapping` does
    (a list for a tuple, a string for a :class:`Secret`, a mapping for a nested spec...): a
    value of the wrong type is an :class:`~flexvmss.InvalidInputError` naming the field when
    the spec is made, never an ``AttributeError`` deep in the rules or the renderer."""
    hints = _hints(type(spec))
    for each in dataclasses.fields(spec):  # type: ignore[arg-type]  # a spec is a dataclass
        if each.name in ("raw", "extra_properties"):
            continue
        value = getattr(spec, each.name)
        converted = _convert(hints[each.name], value, each.name)
        if converted is not value:
            object.__setattr__(spec, each.name, converted)


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

    def __post_init__(self) -> None:
        _check_fields(self)

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

    ``delete_option`` says what happens to the NIC (and its public IP) when its VM is deleted:
    ``Delete`` (the default) removes them with the VM; ``Detach`` keeps them, whoever deletes
    the VM, so they outlive it in the subnet (rule FLEX042 asks for a ``detach_reason``;
    :meth:`flexvmss.FlexScaleSet.audit` finds them afterwards).
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
    delete_option: Literal["Delete", "Detach"] = "Delete"

    def __post_init__(self) -> None:
        _check_fields(self)

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

    def __post_init__(self) -> None:
        _check_fields(self)

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

    def __post_init__(self) -> None:
        _check_fields(self)

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

    def __post_init__(self) -> None:
        _check_fields(self)


@dataclass(frozen=True)
class PriorityMixSpec:
    """Spot priority mix: the first ``base_regular_count`` VMs are Regular, then
    ``regular_percentage_above_base`` percent of the rest. Needs ``priority="Spot"``."""

    base_regular_count: int = 0
    regular_percentage_above_base: int = 50

    def __post_init__(self) -> None:
        _check_fields(self)


@dataclass(frozen=True)
class SpotRestoreSpec:
    """Spot Try & Restore (``spotRestorePolicy``): Azure tries to restore evicted Spot VMs of the
    set for ``timeout_minutes`` (sent as an ISO 8601 duration, ``PT60M``).

    Unverified on Flex (rule FLEX043): the scale set Spot page shows it with
    ``--orchestration-mode Flexible`` while users report Azure refusing it on Flex
    (Azure/azure-cli#29461, ``InvalidParameter`` "The value of parameter spotRestorePolicy is
    invalid."). Needs ``priority="Spot"``."""

    enabled: bool = True
    timeout_minutes: int = 60

    def __post_init__(self) -> None:
        _check_fields(self)

    def to_wire(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "restoreTimeout": f"PT{self.timeout_minutes}M"}


@dataclass(frozen=True)
class ResiliencySpec:
    """The set's ``resiliencyPolicy``: what Azure retries or repairs on its own.

    * ``resilient_create``: Azure retries a profile VM whose creation timed out
      (``OSProvisioningTimedOut``, ``VMStartTimedOut``) for up to 30 minutes by deleting it and
      creating a new one, **under a new name and id**; it covers scale-out and set creation, not
      VMs created one by one (``add_vm``).
    * ``resilient_delete``: Azure retries a VM deletion that failed with a transient error, up to
      five times (the VM flips between Deleting and Failed meanwhile).
    * ``zone_rebalancing``: automatic zone balance (preview): Azure moves VMs from the most to the
      least populated zone, one VM at most every 12 hours, creating the new VM before deleting
      the old one (the new one has a new name, NIC and disks). Needs two or more zones and a
      health signal (rule FLEX045).

    Sources: MicrosoftDocs/azure-compute-docs ``resilient-vm-create-delete.md`` (01/06/2026),
    ``auto-zone-balance-overview.md`` (04/18/2025) and ``auto-zone-balance-enable.md``.
    """

    resilient_create: bool = False
    resilient_delete: bool = False
    zone_rebalancing: bool = False

    def __post_init__(self) -> None:
        _check_fields(self)

    def to_wire(self) -> dict[str, Any]:
        """The policies this spec turns on (one turned off is not sent)."""
        policy: dict[str, Any] = {}
        if self.resilient_create:
            policy["resilientVMCreationPolicy"] = {"enabled": True}
        if self.resilient_delete:
            policy["resilientVMDeletionPolicy"] = {"enabled": True}
        if self.zone_rebalancing:
            # the only values Azure takes today (REST spec: "Default and only supported value")
            policy["automaticZoneRebalancingPolicy"] = {
                "enabled": True,
                "rebalanceStrategy": "Recreate",
                "rebalanceBehavior": "CreateBeforeDelete",
            }
        return policy


@dataclass(frozen=True)
class ZonePlacementSpec:
    """Automatic zone placement (preview, Compute API 2026-03-01+): Azure picks the zones
    (``placement.zonePlacementPolicy: Auto``) instead of a fixed ``zones`` list.

    ``include_zones`` or ``exclude_zones`` (not both) narrow the zones Azure may pick;
    ``max_zone_count`` caps how many it uses; ``max_instance_percent_per_zone`` caps the share of
    the set in one zone (Azure's default is 50; only with ``zone_balance`` off). When capacity
    cannot satisfy the policy, Azure places what it can and the rest fail to provision (a
    partial allocation, e.g. 100 asked, 80 placed). Not with ``zones``, a proximity placement
    group, a capacity reservation, instance mix or a dedicated host (rule FLEX046). Source:
    MicrosoftDocs/azure-compute-docs ``virtual-machine-scale-sets-automatic-zone-placement.md``
    (08/11/2026)."""

    include_zones: tuple[str, ...] = ()
    exclude_zones: tuple[str, ...] = ()
    max_zone_count: int | None = None
    max_instance_percent_per_zone: int | None = None

    def __post_init__(self) -> None:
        _check_fields(self)

    def placement(self) -> dict[str, Any]:
        """The set's ``placement`` object."""
        body: dict[str, Any] = {"zonePlacementPolicy": "Auto"}
        if self.include_zones:
            body["includeZones"] = [str(z) for z in self.include_zones]
        if self.exclude_zones:
            body["excludeZones"] = [str(z) for z in self.exclude_zones]
        return body

    def zone_allocation(self) -> dict[str, Any]:
        """``resiliencyPolicy.zoneAllocationPolicy`` (empty when nothing is capped)."""
        body: dict[str, Any] = {}
        if self.max_zone_count is not None:
            body["maxZoneCount"] = self.max_zone_count
        if self.max_instance_percent_per_zone is not None:
            body["maxInstancePercentPerZonePolicy"] = {
                "enabled": True,
                "value": self.max_instance_percent_per_zone,
            }
        return body


@dataclass(frozen=True)
class SkuProfileSpec:
    """Instance mix: up to 5 sizes from families A, B, D, E, F (``sku.name`` becomes ``Mix``).

    ``ranks`` (size -> rank, lower first) only with ``allocation_strategy="Prioritized"``.
    """

    vm_sizes: tuple[str, ...]
    allocation_strategy: Literal["LowestPrice", "CapacityOptimized", "Prioritized"] = "LowestPrice"
    ranks: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_fields(self)

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

    def __post_init__(self) -> None:
        _check_fields(self)

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

    def __post_init__(self) -> None:
        _check_fields(self)

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

    ``zone_balance`` is sent only for a set of two or more zones, and only when given: None (the
    default) leaves Azure's best-effort balancing; True asks for strict balance (rule FLEX030
    refuses it with fewer than two zones). Azure refuses the property, whatever its value, on a
    set of one zone or none, so an explicit False there is not sent either.

    ``tags`` must fit Azure's limits (rule FLEX033): at most 50, names up to 512 characters
    without ``<>%&\\?/``, values up to 256 characters.

    ``resiliency`` (:class:`ResiliencySpec`: resilient VM create and delete, automatic zone
    rebalancing), ``zone_placement`` (:class:`ZonePlacementSpec`: Azure picks the zones) and
    ``spot_restore`` (:class:`SpotRestoreSpec`) are checked by rules FLEX043 to FLEX046.
    ``detach_reason`` says why disks, NICs or public IPs with ``deleteOption: Detach`` should
    outlive their VMs (rule FLEX042 warns without one).

    Every field is checked when the spec is made: a value of the wrong type raises
    :class:`~flexvmss.InvalidInputError` naming the field (a list is taken for a tuple, a string
    for a :class:`Secret`, a mapping for a nested spec). ``extra_properties`` (deep-merged into
    the ARM body) and ``raw`` (the whole body) are checked against the shapes azure-mgmt-compute
    declares; their repr masks secrets. A private key in ``ssh_public_keys`` is refused.
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
    zone_balance: bool | None = None
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
    resiliency: ResiliencySpec | None = None
    zone_placement: ZonePlacementSpec | None = None
    spot_restore: SpotRestoreSpec | None = None
    detach_reason: str | None = None
    extra_properties: Mapping[str, Any] = field(default_factory=dict)
    raw: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _check_fields(self)
        if not self.location.strip():
            # ARM refuses a PUT without a location (LocationRequired); refused here before any
            # request (found by tests/reliability/test_hostile_input.py's Hypothesis run)
            raise InvalidInputError(
                "location", self.location, "give the set's Azure region, such as 'westeurope' "
                "(`az account list-locations -o table` lists them)"
            )
        _check_public_keys(self.ssh_public_keys)
        _check_escape_hatches(self, "VirtualMachineScaleSet")

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


#: The administrator user name of a VM whose spec and set name none.
DEFAULT_ADMIN_USERNAME = "azureuser"


@dataclass(frozen=True)
class VmSpec:
    """A VM created directly into a Flex scale set (attach at creation).

    Shaped like its set: ``vm_size``, ``image``, ``network`` (with its outbound path),
    ``admin_username`` and ``ssh_public_keys`` left unset are taken from the set's VM profile
    when the VM is created (``FlexScaleSet.add_vm``), so ``VmSpec(name="web-extra")`` is a VM
    like the set's others. Give any of them to differ from the profile; a set without a VM
    profile has nothing to give, so its VMs name their own size, image and network.

    ``resource_group`` must be the set's (None: the set's). ``platform_fault_domain`` pins the
    VM to one fault domain (0-based, below the set's count). ``tags`` must fit Azure's limits
    with the one flexvmss adds (rule FLEX033: at most 49 of your own). ``detach_reason`` says
    why disks, NICs or public IPs with ``deleteOption: Detach`` should outlive the VM (rule
    FLEX042).
    """

    name: str
    vm_size: str | None = None
    image: ImageSpec | None = None
    network: NetworkSpec | None = None
    zone: str | None = None
    platform_fault_domain: int | None = None
    priority: Literal["Regular", "Spot", "Low"] = "Regular"
    spot: SpotSpec | None = None
    admin_username: str | None = None
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
    detach_reason: str | None = None
    extra_properties: Mapping[str, Any] = field(default_factory=dict)
    raw: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _check_fields(self)
        _check_public_keys(self.ssh_public_keys)
        _check_escape_hatches(self, "VirtualMachine")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> VmSpec:
        """Build a VM spec from a plain mapping; see :meth:`ScaleSetSpec.from_mapping`."""
        result = _convert(cls, data, "")
        assert isinstance(result, VmSpec)
        return result


# ---------------------------------------------------------------------------------------------
# from_mapping


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _scalar_text(value: Any, where: str) -> str:
    """A tag key or value: text, or a number or boolean written unquoted in a spec file."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)) and not (isinstance(value, float) and not math.isfinite(value)):
        return str(value)
    raise InvalidInputError(where, type(value).__name__, "give a string")


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
            return {
                _scalar_text(k, f"{where}[{k!r}]"): _scalar_text(v, f"{where}.{k}") for k, v in value.items()
            }
        if args and args[1] is int:
            return {
                _scalar_text(k, f"{where}[{k!r}]"): _convert(int, v, f"{where}.{k}") for k, v in value.items()
            }
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
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise InvalidInputError(where, value, "give a finite number")
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # zones and LUN-like values are often written unquoted
        raise InvalidInputError(where, value, "give a string")
    raise InvalidInputError(where, value, f"expected {_type_name(tp)}")
