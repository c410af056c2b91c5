"""Flex rules as data.

Each :class:`Rule` has a stable id (``FLEX001``...), a severity, what the 2021 Flex documentation
said and what holds today, the source it comes from, and a check that turns a spec into
:class:`Finding` s. A finding's message names the field, the value and the fix.

:func:`evaluate` runs every rule and returns all findings (not only the first). The default
profile (``"today"``) enforces Azure's current documented behaviour; restrictions Azure has
lifted since 2021 stay in the table with status ``lifted`` and fire only with
``profile="2021"``. Waive any rule by id when you know Azure accepts it for you.

Sources are abbreviated as in the project's research notes: [OM] is MicrosoftDocs/azure-compute-docs
``virtual-machine-scale-sets-orchestration-modes.md`` (06/14/2024), [F21] the 2021 Flex page
(``flexible-virtual-machine-scale-sets.md``, 10/13/2021), [SUP] the Flex troubleshooting
articles in MicrosoftDocs/SupportArticles-docs (01/31/2023), [AD]
``virtual-machine-scale-sets-attach-detach-vm.md`` (04/23/2025), [FD]
``virtual-machine-scale-sets-manage-fault-domains.md`` (09/02/2025). Each rule's ``source`` spells
its sources out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flexvmss._errors import InvalidInputError
from flexvmss._skus import SkuCatalog, VmSize, normalize_location, size_series
from flexvmss._specs import ScaleSetSpec, VmSpec, render_scale_set_body, render_vm_body

__all__ = [
    "FLEX_REFUSED_SIZES",
    "KNOWN_NETWORK_API_VERSIONS",
    "RULES",
    "Finding",
    "Issue",
    "Rule",
    "RuleContext",
    "ScaleSetInfo",
    "evaluate",
    "rules_table",
]

Severity = Literal["error", "warning"]
Profile = Literal["today", "2021"]

FLEX_REFUSED_SIZES: frozenset[str] = frozenset({"standard_b1ls"})
"""Sizes Azure refuses in Flex sets ("cannot use VM Size 'Standard_B1ls'",
MicrosoftDocs/azure-docs#102050)."""

KNOWN_NETWORK_API_VERSIONS: frozenset[str] = frozenset({"2020-11-01", "2021-11-01", "2022-11-01"})
"""networkApiVersion values seen accepted (ARM template docs, Terraform, azure-sdk-for-net)."""

MIX_FAMILIES = frozenset("ABDEF")


@dataclass(frozen=True)
class Finding:
    """One problem a rule found. ``message`` names the field, the value and the fix."""

    rule_id: str
    severity: Severity
    field: str
    value: Any
    message: str
    fix: str
    source: str

    def __str__(self) -> str:
        return f"{self.rule_id} {self.severity}: {self.message}"


@dataclass(frozen=True)
class Issue:
    """What a check reports; :func:`evaluate` turns it into a :class:`Finding`.

    ``severity`` overrides the rule's (a rule may warn in one case and refuse in another).
    """

    field: str
    value: Any
    problem: str
    fix: str
    severity: Severity | None = None


@dataclass(frozen=True)
class ScaleSetInfo:
    """What the rules need to know about an existing scale set (for VMs created into it, and to
    compare with a spec). Build it from Azure's body with :meth:`from_wire`."""

    name: str
    resource_group: str | None = None
    location: str | None = None
    orchestration_mode: str | None = "Flexible"
    platform_fault_domain_count: int | None = 1
    single_placement_group: bool | None = None
    zones: tuple[str, ...] = ()
    vm_size: str | None = None
    id: str | None = None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> ScaleSetInfo:
        """From a GET body (wire dict or azure-mgmt model)."""
        props = body.get("properties") or {}
        resource_id = str(body.get("id") or "")
        match = re.search(r"/resourceGroups/([^/]+)/", resource_id, flags=re.IGNORECASE)
        sku = body.get("sku") or {}
        return cls(
            name=str(body.get("name") or resource_id.rsplit("/", 1)[-1]),
            resource_group=match.group(1) if match else None,
            location=body.get("location"),
            orchestration_mode=props.get("orchestrationMode"),
            platform_fault_domain_count=props.get("platformFaultDomainCount"),
            single_placement_group=props.get("singlePlacementGroup"),
            zones=tuple(str(z) for z in body.get("zones") or ()),
            vm_size=sku.get("name"),
            id=resource_id or None,
        )


def _as_info(scale_set: ScaleSetInfo | Mapping[str, Any] | Any | None) -> ScaleSetInfo | None:
    if scale_set is None or isinstance(scale_set, ScaleSetInfo):
        return scale_set
    if isinstance(scale_set, Mapping):
        return ScaleSetInfo.from_wire(scale_set)
    # duck typing: any object with the same attribute names (e.g. the facade's own info type)
    return ScaleSetInfo(
        name=str(getattr(scale_set, "name", "")),
        resource_group=getattr(scale_set, "resource_group", None),
        location=getattr(scale_set, "location", None),
        orchestration_mode=getattr(scale_set, "orchestration_mode", "Flexible"),
        platform_fault_domain_count=getattr(scale_set, "platform_fault_domain_count", None),
        single_placement_group=getattr(scale_set, "single_placement_group", None),
        zones=tuple(str(z) for z in getattr(scale_set, "zones", None) or ()),
        vm_size=getattr(scale_set, "vm_size", None),
        id=getattr(scale_set, "id", None),
    )


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


@dataclass
class RuleContext:
    """Everything a check may look at: the spec, its rendered wire body, the SKU catalog, the
    target scale set (for VMs), the set's name and, for attach checks, an existing VM body."""

    spec: ScaleSetSpec | VmSpec
    catalog: SkuCatalog | None
    scale_set: ScaleSetInfo | None
    name: str | None
    body: dict[str, Any]
    existing_vm: Mapping[str, Any] | None = None
    _sizes_cache: list[tuple[str, str]] | None = field(default=None, repr=False)

    @property
    def is_vm(self) -> bool:
        return isinstance(self.spec, VmSpec)

    @property
    def set_spec(self) -> ScaleSetSpec | None:
        return self.spec if isinstance(self.spec, ScaleSetSpec) else None

    @property
    def vm_spec(self) -> VmSpec | None:
        return self.spec if isinstance(self.spec, VmSpec) else None

    @property
    def props(self) -> Mapping[str, Any]:
        return self.body.get("properties") or {}

    @property
    def vm_profile(self) -> Mapping[str, Any]:
        """The VM model: the set's ``virtualMachineProfile``, or the VM's own properties."""
        if self.is_vm:
            return self.props
        return self.props.get("virtualMachineProfile") or {}

    @property
    def has_vm_profile(self) -> bool:
        return bool(self.vm_profile)

    @property
    def os_type(self) -> str:
        image = self.spec.image
        return image.os if image is not None else "linux"

    @property
    def fault_domain_count(self) -> int | None:
        if self.set_spec is not None:
            value = self.props.get("platformFaultDomainCount")
            return value if isinstance(value, int) else None
        return self.scale_set.platform_fault_domain_count if self.scale_set else None

    @property
    def zones(self) -> tuple[str, ...]:
        if self.vm_spec is not None:
            return (str(self.vm_spec.zone),) if self.vm_spec.zone is not None else ()
        return tuple(str(z) for z in self.body.get("zones") or ())

    def vm_sizes(self) -> list[tuple[str, str]]:
        """(field, size name) for every size the spec would run."""
        if self._sizes_cache is None:
            sizes: list[tuple[str, str]] = []
            if self.vm_spec is not None:
                sizes.append(("vm_size", self.vm_spec.vm_size))
            elif self.set_spec is not None:
                if self.set_spec.vm_size:
                    sizes.append(("vm_size", self.set_spec.vm_size))
                if self.set_spec.sku_profile is not None:
                    sizes.extend(
                        (f"sku_profile.vm_sizes[{i}]", n)
                        for i, n in enumerate(self.set_spec.sku_profile.vm_sizes)
                    )
            self._sizes_cache = sizes
        return self._sizes_cache

    def known_sizes(self) -> Iterator[tuple[str, str, VmSize]]:
        """(field, name, catalog entry) for every size the catalog knows."""
        if self.catalog is None:
            return
        for where, name in self.vm_sizes():
            size = self.catalog.vm_size(name)
            if size is not None:
                yield where, name, size

    def non_mpu_with_multiple_fds(self) -> list[tuple[str, str]]:
        """Sizes without memory-preserving updates, when the set has more than one fault domain."""
        count = self.fault_domain_count
        if count is None or count <= 1:
            return []
        return [(where, name) for where, name, size in self.known_sizes() if not size.memory_preserving]

    def region(self) -> str:
        if self.catalog is not None:
            return self.catalog.location
        location = self.body.get("location") or (self.scale_set.location if self.scale_set else None)
        return normalize_location(str(location)) if location else "this region"


Check = Callable[[RuleContext], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    """A Flex rule: id, title, default severity, its status in 2021 and today, its source, its check.

    ``lifted`` rules (restrictions Azure has since removed) run only with ``profile="2021"``.
    """

    id: str
    title: str
    severity: Severity
    status_2021: str
    status_today: str
    source: str
    check: Check
    lifted: bool = False


# ---------------------------------------------------------------------------------------------
# Checks (one function per rule, in id order)


def _fault_domain_count(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is None:
        return
    count = ctx.props.get("platformFaultDomainCount")
    where = "platform_fault_domain_count"
    if count is None:
        return
    if not isinstance(count, int) or count < 1 or count > 3:
        yield Issue(
            where,
            count,
            "Flex allows 1 (max spreading) or, for regional sets, 2 or 3.",
            "use 1 unless you need fixed fault domains",
        )
        return
    if ctx.zones and count != 1:
        yield Issue(
            where,
            count,
            f"zonal and zone-spanning Flex sets (zones {list(ctx.zones)}) take only 1.",
            "set platform_fault_domain_count=1 (zones already spread the VMs)",
        )
        return
    maximum = ctx.catalog.max_fault_domain_count if ctx.catalog else None
    if maximum is not None and count > maximum:
        yield Issue(
            where,
            count,
            f"region {ctx.region()} allows at most {maximum} fault domains "
            f'(Azure: "The specified fault domain count {count} must fall in the range 1 to {maximum}").',
            f"use a value from 1 to {maximum}; 1 gives max spreading",
        )


def _single_placement_group(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.vm_spec is not None:
        spg = ctx.scale_set.single_placement_group if ctx.scale_set else None
        if spg is True:
            yield Issue(
                "scale_set.single_placement_group",
                True,
                "VMs can join a Flex set only when its singlePlacementGroup is false.",
                "create the set with single_placement_group=False (it cannot be changed from true)",
            )
        return
    spec = ctx.set_spec
    assert spec is not None
    where = "single_placement_group"
    spg = ctx.props.get("singlePlacementGroup")
    has_crg = _dig(ctx.vm_profile, "capacityReservation", "capacityReservationGroup") is not None
    if spg is True and ctx.props.get("priorityMixPolicy"):
        yield Issue(
            where,
            True,
            "Spot priority mix needs singlePlacementGroup false.",
            "set single_placement_group=False",
            "error",
        )
    elif spg is True and has_crg:
        yield Issue(
            where,
            True,
            "a capacity reservation group needs singlePlacementGroup false.",
            "set single_placement_group=False",
            "error",
        )
    elif spg is True:
        yield Issue(
            where,
            True,
            "Azure rejects it for most sizes (\"The value 'True' of parameter "
            "'singlePlacementGroup' is not allowed\") and it blocks attaching VMs.",
            "leave single_placement_group=False unless a size requires true (M-series with FD 2)",
            "warning",
        )
    elif spg is None and ctx.props.get("priorityMixPolicy"):
        yield Issue(
            where,
            None,
            "Spot priority mix needs an explicit singlePlacementGroup false.",
            "set single_placement_group=False",
            "error",
        )
    elif spg is None and not ctx.has_vm_profile:
        yield Issue(
            where,
            None,
            "without a VM profile Azure picks singlePlacementGroup from the first VM, "
            "and attaching VMs needs false.",
            "set single_placement_group=False",
            "warning",
        )


def _orchestration_mode(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is not None:
        mode = ctx.props.get("orchestrationMode")
        if mode is not None and str(mode).lower() != "flexible":
            yield Issue(
                "properties.orchestrationMode",
                mode,
                "flexvmss manages Flexible sets only.",
                "remove orchestrationMode from raw/extra_properties (flexvmss sends Flexible)",
            )
    info = ctx.scale_set
    if info is not None and info.orchestration_mode and info.orchestration_mode.lower() != "flexible":
        yield Issue(
            "scale_set.orchestration_mode",
            info.orchestration_mode,
            "the orchestration mode of an existing set cannot change, and this set is not Flexible.",
            "use another scale set name, or delete and recreate the set as Flexible",
        )


def _overprovision(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.props.get("overprovision") is True:
        yield Issue(
            "overprovision",
            True,
            "overprovisioning is not supported on Flex.",
            "remove overprovision (Flex creates exactly the VMs asked for)",
        )


def _nic_configurations(ctx: RuleContext) -> list[Mapping[str, Any]]:
    return list(_dig(ctx.vm_profile, "networkProfile", "networkInterfaceConfigurations") or ())


def _nat_pools(ctx: RuleContext) -> Iterator[Issue]:
    for i, nic in enumerate(_nic_configurations(ctx)):
        for j, ip in enumerate(_dig(nic, "properties", "ipConfigurations") or ()):
            pools = _dig(ip, "properties", "loadBalancerInboundNatPools")
            if pools:
                yield Issue(
                    f"networkInterfaceConfigurations[{i}].ipConfigurations[{j}].loadBalancerInboundNatPools",
                    [p.get("id") for p in pools],
                    "inbound NAT pools are not supported on Flex.",
                    "use inbound NAT rules v2 that target the backend pool instead",
                )


def _basic_load_balancer(ctx: RuleContext) -> Iterator[Issue]:
    network = ctx.spec.network
    if network is not None and (network.load_balancer_sku or "").lower() == "basic":
        yield Issue(
            "network.load_balancer_sku",
            network.load_balancer_sku,
            "Flex does not support Basic load balancers (retired 2025-09-30).",
            "use a Standard load balancer",
        )


def _managed_disks(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.spec.os_disk.unmanaged_vhd_uri:
        yield Issue(
            "os_disk.unmanaged_vhd_uri",
            ctx.spec.os_disk.unmanaged_vhd_uri,
            "Flex supports managed disks only (unmanaged disks retire 2026-03-31).",
            "remove unmanaged_vhd_uri; use os_disk.storage_account_type",
        )
        return
    os_disk = _dig(ctx.vm_profile, "storageProfile", "osDisk") or {}
    for key in ("vhdContainers", "vhd"):
        if os_disk.get(key):
            yield Issue(
                f"storageProfile.osDisk.{key}",
                os_disk.get(key),
                "Flex supports managed disks only.",
                "use managedDisk.storageAccountType instead",
            )


def _ultra_disk_iops(ctx: RuleContext) -> Iterator[Issue]:
    for i, disk in enumerate(ctx.spec.data_disks):
        for attr in ("iops_read_write", "mbps_read_write"):
            value = getattr(disk, attr)
            if value is not None:
                yield Issue(
                    f"data_disks[{i}].{attr}",
                    value,
                    "the Flex docs still list diskIOPSReadWrite/diskMBpsReadWrite as unsupported, "
                    "though the API accepts them from 2025-04-01 (azure-rest-api-specs#37621).",
                    "waive FLEX008 if Azure accepts it for you, or set performance on the disk later",
                )


def _identity(ctx: RuleContext) -> Iterator[Issue]:
    identity = ctx.body.get("identity") or {}
    kind = str(identity.get("type") or "")
    if "systemassigned" in kind.replace(" ", "").lower():
        yield Issue(
            "identity.system_assigned",
            True,
            "Flex accepts only user-assigned identities (Azure: \"The value 'SystemAssigned' of "
            "parameter 'identity' is not allowed\").",
            "use IdentitySpec(user_assigned_ids=(...)) with a user-assigned identity",
        )


def _dedicated_hosts(ctx: RuleContext) -> Iterator[Issue]:
    host_group = _dig(ctx.props, "hostGroup", "id")
    if host_group:
        yield Issue(
            "dedicated_host_group_id",
            host_group,
            "docs conflict: [OM] says Flex supports dedicated hosts, the dedicated-host pages say "
            "Uniform only; instance mix, zone expansion and attaching host VMs are excluded.",
            "test it in your subscription and waive FLEX010, or use a Uniform set for dedicated hosts",
        )


def _health_probe(ctx: RuleContext) -> Iterator[Issue]:
    probe = _dig(ctx.vm_profile, "networkProfile", "healthProbe")
    if probe:
        yield Issue(
            "networkProfile.healthProbe",
            _dig(probe, "id") or probe,
            "Flex does not use load balancer health probes for application health.",
            "use HealthSpec (the Application Health extension) instead",
        )


def _outbound(ctx: RuleContext) -> Iterator[Issue]:
    network = ctx.spec.network
    if network is None or (ctx.set_spec is not None and not ctx.has_vm_profile):
        return
    kinds = network.outbound_kinds
    severity: Severity = "warning" if ctx.is_vm else "error"
    if not kinds:
        yield Issue(
            "network.outbound",
            None,
            "Flex VMs have no default outbound access (Azure: OutboundConnectivityNotEnabledOnVM).",
            "declare one: network.outbound='nat_gateway' (subnet has a NAT gateway), "
            "load_balancer_backend_pool_ids (Standard LB with an outbound rule) or public_ip_per_vm=True",
            severity,
        )
    if network.outbound == "load_balancer" and not network.load_balancer_backend_pool_ids:
        yield Issue(
            "network.load_balancer_backend_pool_ids",
            (),
            "outbound='load_balancer' needs a backend pool.",
            "add the Standard load balancer's backend pool id",
        )
    if network.outbound == "public_ip" and not network.public_ip_per_vm:
        yield Issue(
            "network.public_ip_per_vm",
            False,
            "outbound='public_ip' needs a public IP per VM.",
            "set public_ip_per_vm=True",
        )


def _network_api_version(ctx: RuleContext) -> Iterator[Issue]:
    network_profile = _dig(ctx.vm_profile, "networkProfile") or {}
    if not network_profile.get("networkInterfaceConfigurations"):
        return
    version = network_profile.get("networkApiVersion")
    if not version:
        yield Issue(
            "network.network_api_version",
            None,
            "NIC configurations need networkProfile.networkApiVersion "
            "(NetworkApiVersionMustBeSpecifiedWithNetworkInterfaceConfigurations).",
            "set networkApiVersion to 2020-11-01",
        )
    elif str(version) not in KNOWN_NETWORK_API_VERSIONS:
        yield Issue(
            "network.network_api_version",
            version,
            f"not a known value ({', '.join(sorted(KNOWN_NETWORK_API_VERSIONS))}).",
            "use 2020-11-01 unless you know Azure accepts this one",
            "warning",
        )


def _capacity(ctx: RuleContext) -> Iterator[Issue]:
    spec = ctx.set_spec
    if spec is None:
        return
    capacity = spec.capacity
    if capacity < 0:
        yield Issue("capacity", capacity, "capacity cannot be negative.", "use 0 or more")
        return
    if capacity > 1000:
        yield Issue(
            "capacity",
            capacity,
            "a Flex set holds at most 1,000 VMs.",
            "use at most 1000, or split the workload across sets",
        )
    elif spec.image is not None and spec.image.is_managed_image and capacity > 600:
        yield Issue(
            "capacity",
            capacity,
            "a Flex set built from a managed image holds at most 600 VMs.",
            "use at most 600, or publish the image to an Azure Compute Gallery",
        )
    else:
        limited = ctx.non_mpu_with_multiple_fds()
        if limited and capacity > 200:
            names = ", ".join(name for _, name in limited)
            yield Issue(
                "capacity",
                capacity,
                f"{names} lacks memory-preserving updates, so with {ctx.fault_domain_count} fault "
                "domains the set holds at most 200 VMs.",
                "use at most 200, or platform_fault_domain_count=1",
            )


_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _resource_names(ctx: RuleContext) -> Iterator[Issue]:
    names: list[tuple[str, str | None]] = []
    if ctx.vm_spec is not None:
        names.append(("name", ctx.vm_spec.name))
    else:
        names.append(("name", ctx.name))
    for where, name in names:
        if name is None:
            continue
        if not 1 <= len(name) <= 64:
            yield Issue(
                where,
                name,
                f"Azure names are 1 to 64 characters (this one has {len(name)}).",
                "shorten the name",
            )
        elif not _NAME_RE.match(name) or name[-1] in ".-":
            yield Issue(
                where,
                name,
                "names use letters, digits, '.', '_' and '-', start with a letter or "
                "digit and do not end with '.' or '-'.",
                "rename it, e.g. web-01",
            )


_BAD_COMPUTER_CHARS = re.compile(r"[\s~!@#$%^&*()=+_\[\]{}\\|;:'\",<>/?]")


def _computer_names(ctx: RuleContext) -> Iterator[Issue]:
    windows = ctx.os_type == "windows"
    if ctx.set_spec is not None and ctx.set_spec.computer_name_prefix is not None:
        prefix = ctx.set_spec.computer_name_prefix
        limit = 9 if windows else 58
        if not 1 <= len(prefix) <= limit:
            yield Issue(
                "computer_name_prefix",
                prefix,
                f"{'Windows' if windows else 'Linux'} computer name prefixes are 1 to {limit} characters.",
                f"use at most {limit} characters",
            )
        elif _BAD_COMPUTER_CHARS.search(prefix) or (windows and "." in prefix) or prefix.startswith("-"):
            yield Issue(
                "computer_name_prefix",
                prefix,
                "computer names use letters, digits and '-' only.",
                "remove the other characters",
            )
    if ctx.vm_spec is not None and ctx.vm_spec.computer_name is not None:
        name = ctx.vm_spec.computer_name
        limit = 15 if windows else 64
        if not 1 <= len(name) <= limit:
            yield Issue(
                "computer_name",
                name,
                f"{'Windows' if windows else 'Linux'} computer names are 1 to {limit} characters.",
                f"use at most {limit} characters",
            )
        elif windows and name.isdigit():
            yield Issue(
                "computer_name",
                name,
                "Windows computer names cannot be all digits.",
                "add a letter, e.g. vm" + name,
            )
        elif (
            _BAD_COMPUTER_CHARS.search(name)
            or (windows and "." in name)
            or name[0] == "-"
            or name[-1] in ".-"
        ):
            yield Issue(
                "computer_name",
                name,
                "computer names use letters, digits and '-' only.",
                "remove the other characters",
            )


def _instance_mix(ctx: RuleContext) -> Iterator[Issue]:
    spec = ctx.set_spec
    if spec is None:
        return
    sku_name = _dig(ctx.body, "sku", "name")
    sku_profile = ctx.props.get("skuProfile")
    if spec.sku_profile is None:
        if str(sku_name or "").lower() == "mix" and not sku_profile:
            yield Issue(
                "sku.name",
                sku_name,
                "sku.name Mix needs a skuProfile (SkuNameMustBeMixIfSkuProfileIsSpecified).",
                "use ScaleSetSpec(sku_profile=SkuProfileSpec(...))",
            )
        elif sku_profile and str(sku_name or "").lower() != "mix":
            yield Issue(
                "sku.name",
                sku_name,
                "a skuProfile needs sku.name Mix.",
                "use ScaleSetSpec(sku_profile=...) without vm_size",
            )
        return
    mix = spec.sku_profile
    if spec.vm_size is not None:
        yield Issue(
            "vm_size",
            spec.vm_size,
            "with sku_profile the sku is Mix and the sizes come from sku_profile.vm_sizes.",
            "remove vm_size (list it in sku_profile.vm_sizes)",
        )
    sizes = list(mix.vm_sizes)
    if not 1 <= len(sizes) <= 5:
        yield Issue("sku_profile.vm_sizes", sizes, "instance mix takes 1 to 5 sizes.", "list 1 to 5 sizes")
    lowered = [s.lower() for s in sizes]
    duplicates = sorted({s for s in sizes if lowered.count(s.lower()) > 1})
    if duplicates:
        yield Issue(
            "sku_profile.vm_sizes",
            duplicates,
            "sizes must not repeat (SkuProfileVMSizesCannotHaveDuplicates).",
            "list each size once",
        )
    for i, name in enumerate(sizes):
        series = size_series(name)
        if (
            not name.lower().startswith("standard_")
            or not series
            or series[0] not in MIX_FAMILIES
            or (series.startswith(("DC", "EC")))
        ):
            yield Issue(
                f"sku_profile.vm_sizes[{i}]",
                name,
                "instance mix takes sizes from families A, B, D, E and F only (not DC/EC).",
                "pick Standard_ sizes from the A, B, D, E or F families",
            )
    if mix.allocation_strategy not in ("LowestPrice", "CapacityOptimized", "Prioritized"):
        yield Issue(
            "sku_profile.allocation_strategy",
            mix.allocation_strategy,
            "unknown allocation strategy.",
            "use LowestPrice, CapacityOptimized or Prioritized",
        )
    if mix.ranks and mix.allocation_strategy != "Prioritized":
        yield Issue(
            "sku_profile.ranks",
            dict(mix.ranks),
            "ranks apply only with allocation_strategy Prioritized.",
            "remove ranks, or set allocation_strategy='Prioritized'",
        )
    for size, rank in mix.ranks.items():
        if size.lower() not in lowered:
            yield Issue(
                f"sku_profile.ranks.{size}",
                rank,
                "ranks a size that is not in vm_sizes.",
                "rank only listed sizes",
            )
        elif not isinstance(rank, int) or rank < 0:
            yield Issue(
                f"sku_profile.ranks.{size}", rank, "ranks are whole numbers from 0 (first).", "use 0, 1, 2..."
            )
    excluded = [
        ("dedicated_host_group_id", _dig(ctx.props, "hostGroup", "id")),
        ("proximity_placement_group_id", _dig(ctx.props, "proximityPlacementGroup", "id")),
        (
            "capacity_reservation_group",
            _dig(ctx.vm_profile, "capacityReservation", "capacityReservationGroup", "id"),
        ),
        ("os_disk.ephemeral", True if spec.os_disk.ephemeral else None),
    ]
    for where, value in excluded:
        if value:
            yield Issue(
                where,
                value,
                "instance mix does not support it (SkuProfileScenarioNotSupported).",
                f"remove {where}, or use a single vm_size",
            )


def _spot(ctx: RuleContext) -> Iterator[Issue]:
    spec = ctx.spec
    spot_priority = spec.priority in ("Spot", "Low")
    if spec.spot is not None:
        if not spot_priority:
            yield Issue(
                "spot",
                "eviction_policy=" + spec.spot.eviction_policy,
                "eviction policy and max price apply only to Spot VMs.",
                "set priority='Spot', or remove spot",
            )
        if spec.spot.eviction_policy not in ("Deallocate", "Delete"):
            yield Issue(
                "spot.eviction_policy",
                spec.spot.eviction_policy,
                "unknown eviction policy.",
                "use Delete or Deallocate",
            )
        price = spec.spot.max_price
        if price != -1 and price < 0.00001:
            yield Issue(
                "spot.max_price",
                price,
                "max price is -1 (pay up to on-demand) or at least 0.00001 USD/h.",
                "use -1 or a price of at least 0.00001",
            )
    if isinstance(spec, ScaleSetSpec) and spec.priority_mix is not None:
        mix = spec.priority_mix
        if spec.priority != "Spot":
            yield Issue(
                "priority",
                spec.priority,
                "Spot priority mix needs the profile's priority to be Spot.",
                "set priority='Spot' (the mix makes some VMs Regular)",
            )
        if not 0 <= mix.base_regular_count <= 1000:
            yield Issue(
                "priority_mix.base_regular_count",
                mix.base_regular_count,
                "must be 0 to 1000.",
                "use 0 to 1000",
            )
        if not 0 <= mix.regular_percentage_above_base <= 100:
            yield Issue(
                "priority_mix.regular_percentage_above_base",
                mix.regular_percentage_above_base,
                "is a percentage, 0 to 100.",
                "use 0 to 100",
            )


def _priority_mix_mpu(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is None or ctx.set_spec.priority_mix is None:
        return
    for where, name in ctx.non_mpu_with_multiple_fds():
        yield Issue(
            where,
            name,
            f"without memory-preserving updates and with {ctx.fault_domain_count} fault "
            "domains, Spot priority mix is not available.",
            "use platform_fault_domain_count=1, or a size whose MemoryPreservingMaintenanceSupported is True",
        )


def _size_exists(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.catalog is None:
        return
    for where, name in ctx.vm_sizes():
        if ctx.catalog.vm_size(name) is None:
            yield Issue(
                where,
                name,
                f"Resource SKUs list no such size in {ctx.region()}.",
                "check the spelling (e.g. Standard_D2s_v5) or pick a size offered in the region",
            )


def _size_location_restriction(ctx: RuleContext) -> Iterator[Issue]:
    for where, name, size in ctx.known_sizes():
        if size.restricted_in_location:
            yield Issue(
                where,
                name,
                f"not available to this subscription in {ctx.region()} (NotAvailableForSubscription).",
                "pick another size or region, or ask Azure support to enable it",
            )


def _size_zone_restriction(ctx: RuleContext) -> Iterator[Issue]:
    zones = ctx.zones
    if not zones:
        return
    for where, name, size in ctx.known_sizes():
        for zone in zones:
            if zone not in size.zones:
                yield Issue(
                    where,
                    name,
                    f"not offered in zone {zone} of {ctx.region()} (zones: {sorted(size.zones) or 'none'}).",
                    "pick another zone or size",
                )
            elif zone in size.restricted_zones:
                yield Issue(
                    where,
                    name,
                    f"not available to this subscription in zone {zone} of {ctx.region()} "
                    "(NotAvailableForSubscription).",
                    f"use zones {sorted(size.available_zones) or 'none'} or another size",
                )


def _spot_capable(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.spec.priority not in ("Spot", "Low"):
        return
    for where, name, size in ctx.known_sizes():
        if not size.supports_spot:
            yield Issue(
                where,
                name,
                "cannot run as Spot (LowPriorityCapable is not True).",
                "pick a Spot-capable size, or priority='Regular'",
            )


def _accelerated_networking(ctx: RuleContext) -> Iterator[Issue]:
    network = ctx.spec.network
    if network is None or not network.accelerated_networking:
        return
    for where, name, size in ctx.known_sizes():
        if not size.accelerated_networking:
            yield Issue(
                where,
                name,
                "does not support accelerated networking (AcceleratedNetworkingEnabled is not True).",
                "set network.accelerated_networking=False or pick another size",
            )


def _ephemeral_os_disk(ctx: RuleContext) -> Iterator[Issue]:
    if not ctx.spec.os_disk.ephemeral:
        return
    for where, name, size in ctx.known_sizes():
        if not size.ephemeral_os_disk:
            yield Issue(
                where,
                name,
                "does not support ephemeral OS disks (EphemeralOSDiskSupported is not True).",
                "set os_disk.ephemeral=False or pick a size with a cache or temp disk",
            )


def _flex_refused_sizes(ctx: RuleContext) -> Iterator[Issue]:
    for where, name in ctx.vm_sizes():
        if name.lower() in FLEX_REFUSED_SIZES:
            yield Issue(
                where,
                name,
                f"Azure refuses this size in Flex sets (\"cannot use VM Size '{name}'\").",
                "pick a larger size, e.g. Standard_B1s",
            )


def _same_resource_group(ctx: RuleContext) -> Iterator[Issue]:
    vm = ctx.vm_spec
    if (
        vm is None
        or vm.resource_group is None
        or ctx.scale_set is None
        or ctx.scale_set.resource_group is None
    ):
        return
    if vm.resource_group.lower() != ctx.scale_set.resource_group.lower():
        yield Issue(
            "resource_group",
            vm.resource_group,
            f"a VM joins a Flex set only in the set's resource group ({ctx.scale_set.resource_group}).",
            f"use resource_group={ctx.scale_set.resource_group!r} (or leave it None)",
        )


def _attach_existing(ctx: RuleContext) -> Iterator[Issue]:
    vm = ctx.existing_vm
    if vm is None:
        return
    current = _dig(vm, "properties", "virtualMachineScaleSet", "id")
    target = ctx.scale_set.id if ctx.scale_set else None
    if current and target and str(current).lower() == str(target).lower():
        return
    yield Issue(
        "name",
        ctx.vm_spec.name if ctx.vm_spec is not None else vm.get("name"),
        "a VM with this name already exists outside this set; flexvmss adds VMs at creation only "
        "(Azure can attach existing VMs only to sets with fault domain count 1, singlePlacementGroup "
        "false, same resource group and zone rules, no availability set, PPG or dedicated host).",
        "choose a new VM name, or attach the VM yourself (az vm update --set virtualMachineScaleSet.id=...)",
    )


def _vm_fault_domain(ctx: RuleContext) -> Iterator[Issue]:
    vm = ctx.vm_spec
    if vm is None or vm.platform_fault_domain is None:
        return
    where, value = "platform_fault_domain", vm.platform_fault_domain
    count = ctx.fault_domain_count
    if value < 0:
        yield Issue(where, value, "fault domains are numbered from 0.", "use 0 up to the set's count minus 1")
    elif count is not None and count <= 1:
        yield Issue(
            where,
            value,
            "the set has one fault domain (max spreading), so VMs cannot be pinned to one.",
            "leave platform_fault_domain None",
        )
    elif count is not None and value >= count:
        yield Issue(
            where,
            value,
            f"the set has {count} fault domains (0 to {count - 1}).",
            f"use 0 to {count - 1}, or None to let Azure balance",
        )
    else:
        for _, name in ctx.non_mpu_with_multiple_fds():
            yield Issue(
                where,
                value,
                f"{name} lacks memory-preserving updates, so VMs cannot be assigned a fault domain.",
                "leave platform_fault_domain None",
            )


_VALID_ZONES = frozenset({"1", "2", "3"})


def _zones(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is not None:
        spec = ctx.set_spec
        zones = [str(z) for z in spec.zones]
        for zone in zones:
            if zone not in _VALID_ZONES:
                yield Issue(
                    "zones", zones, f"zone {zone!r} is not an Azure zone.", "use zones from '1', '2', '3'"
                )
        if len(set(zones)) != len(zones):
            yield Issue("zones", zones, "zones repeat.", "list each zone once")
        if spec.zone_balance and len(set(zones)) < 2:
            yield Issue(
                "zone_balance",
                True,
                "zone balance needs at least two zones.",
                "list two or more zones, or zone_balance=False",
            )
        if spec.proximity_placement_group_id and len(set(zones)) > 1:
            yield Issue(
                "proximity_placement_group_id",
                spec.proximity_placement_group_id,
                "a proximity placement group works with one zone or none.",
                "use a single zone, or remove the proximity placement group",
            )
        return
    vm = ctx.vm_spec
    assert vm is not None
    if vm.zone is not None and str(vm.zone) not in _VALID_ZONES:
        yield Issue("zone", vm.zone, "not an Azure zone.", "use '1', '2' or '3'")
        return
    if ctx.scale_set is None:
        return
    set_zones = set(ctx.scale_set.zones)
    if set_zones and vm.zone is None:
        yield Issue(
            "zone",
            None,
            f"the set is zonal ({sorted(set_zones)}); its VMs need a zone.",
            f"set zone to one of {sorted(set_zones)}",
        )
    elif not set_zones and vm.zone is not None:
        yield Issue("zone", vm.zone, "the set is regional; a zonal VM cannot join it.", "leave zone None")
    elif vm.zone is not None and str(vm.zone) not in set_zones:
        yield Issue(
            "zone",
            vm.zone,
            f"the set spans zones {sorted(set_zones)} only.",
            f"use one of {sorted(set_zones)}",
        )


def _health(ctx: RuleContext) -> Iterator[Issue]:
    spec = ctx.set_spec
    if spec is None:
        return
    extensions = _dig(ctx.vm_profile, "extensionProfile", "extensions") or ()
    has_health = any(
        str(_dig(e, "properties", "type") or "").startswith("ApplicationHealth") for e in extensions
    )
    if spec.upgrade_mode == "Rolling" and not has_health:
        yield Issue(
            "upgrade_mode",
            "Rolling",
            "rolling upgrades on Flex need the Application Health extension.",
            "add health=HealthSpec(...), or upgrade_mode='Manual'",
        )
    if spec.health is not None:
        grace = spec.health.repair_grace_period_minutes
        if spec.health.automatic_repairs and not 10 <= grace <= 90:
            yield Issue(
                "health.repair_grace_period_minutes",
                grace,
                "the repair grace period is 10 to 90 minutes.",
                "use 10 to 90",
            )
        if not 1 <= spec.health.port <= 65535:
            yield Issue("health.port", spec.health.port, "not a TCP port.", "use 1 to 65535")
    minutes = spec.termination_notification_minutes
    if minutes is not None and not 5 <= minutes <= 15:
        yield Issue(
            "termination_notification_minutes",
            minutes,
            "the termination notice is 5 to 15 minutes.",
            "use 5 to 15",
        )


def _profile_completeness(ctx: RuleContext) -> Iterator[Issue]:
    spec = ctx.spec
    if spec.raw is not None:
        return
    if isinstance(spec, ScaleSetSpec):
        if not spec.has_vm_profile:
            if spec.capacity > 0:
                yield Issue(
                    "capacity",
                    spec.capacity,
                    "a set without a VM profile (no vm_size) has no capacity; its VMs are added one by one.",
                    "set vm_size (and image, network), or capacity=0",
                )
            return
        if spec.image is None:
            yield Issue(
                "image",
                None,
                "a VM profile needs an image.",
                "set image=ImageSpec.from_urn('Canonical:ubuntu-24_04-lts:server:latest')",
            )
        if spec.network is None:
            yield Issue(
                "network", None, "a VM profile needs a network.", "set network=NetworkSpec(subnet_id=...)"
            )
    windows = ctx.os_type == "windows"
    if windows and spec.admin_password is None:
        yield Issue(
            "admin_password",
            None,
            "Windows VMs need an administrator password.",
            "set admin_password=Secret.from_env('ADMIN_PASSWORD')",
        )
    elif not windows and spec.admin_password is None and not spec.ssh_public_keys:
        yield Issue(
            "ssh_public_keys",
            (),
            "Linux VMs need an SSH public key or a password.",
            "add ssh_public_keys=(open('~/.ssh/id_ed25519.pub').read(),)",
        )


# --- lifted since 2021 (profile="2021" only) --------------------------------------------------


def _lifted_upgrade_policy(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is not None and ctx.has_vm_profile and ctx.set_spec.upgrade_mode != "Manual":
        yield Issue(
            "upgrade_mode",
            ctx.set_spec.upgrade_mode,
            "the 2021 Flex docs required no upgrade policy.",
            "use upgrade_mode='Manual', or the default profile (supported since 2024-11)",
        )


def _lifted_scale_in_policy(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is not None and ctx.set_spec.scale_in_policy:
        yield Issue(
            "scale_in_policy",
            ctx.set_spec.scale_in_policy,
            "the 2021 Flex docs had no scale-in policy.",
            "remove scale_in_policy, or use the default profile (supported from API 2023-07-01)",
        )


def _lifted_user_data(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.spec.user_data is not None:
        yield Issue(
            "user_data",
            ctx.spec.user_data,
            "the 2021 Flex docs supported user data only per VM.",
            "remove user_data, or use the default profile (supported today)",
        )


def _lifted_instance_protection(ctx: RuleContext) -> Iterator[Issue]:
    policy = ctx.props.get("protectionPolicy") or _dig(ctx.vm_profile, "protectionPolicy")
    if policy:
        yield Issue(
            "protectionPolicy",
            policy,
            "the 2021 Flex docs had no instance protection (use locks).",
            "use a resource lock, or the default profile (supported from API 2023-09-01)",
        )


def _lifted_specialty_sizes(ctx: RuleContext) -> Iterator[Issue]:
    for where, name in ctx.vm_sizes():
        series = size_series(name)
        if series[:1] in ("G", "H", "L", "M", "N"):
            yield Issue(
                where,
                name,
                "the 2021 Flex docs did not support specialty sizes (G, H, L, M, N).",
                "pick a general-purpose size, or use the default profile (all sizes today)",
            )


def _s(*keys: str) -> str:
    return "; ".join(_SOURCES[k] for k in keys)


_SOURCES = {
    "F21": "[F21] MicrosoftDocs/azure-docs flexible-virtual-machine-scale-sets.md (10/13/2021)",
    "OM": "[OM] MicrosoftDocs/azure-compute-docs "
    "virtual-machine-scale-sets-orchestration-modes.md (06/14/2024)",
    "SUP-FD": "[SUP] SupportArticles-docs vmss-invalid-parameter-fault-domain-count.md (01/31/2023)",
    "SUP-SPG": "[SUP] SupportArticles-docs vmss-invalid-parameter-single-placement-group.md (01/31/2023)",
    "SUP-OUT": "[SUP] SupportArticles-docs vmss-outbound-connectivity-not-enabled.md (01/31/2023)",
    "FD": "[FD] azure-compute-docs virtual-machine-scale-sets-manage-fault-domains.md (09/02/2025)",
    "AD": "[AD] azure-compute-docs virtual-machine-scale-sets-attach-detach-vm.md (04/23/2025)",
    "SPM": "[SPM] azure-compute-docs spot-priority-mix.md (05/19/2026)",
    "MIG": "[MIG] azure-compute-docs flexible-virtual-machine-scale-sets-migration-resources.md (05/19/2026)",
    "NAT": "[NAT] azure-docs load-balancer-nat-pool-migration.md (01/28/2025)",
    "BLB": "[BLB] azure-docs load-balancer-basic-upgrade-guidance.md (09/27/2023)",
    "ULTRA": "Azure/azure-rest-api-specs#37621 (2025-09-22); Azure/azure-cli#32487",
    "ID": "Azure/bicep-registry-modules#2671 (InvalidParameter 'SystemAssigned' ... not allowed)",
    "ADH": "[ADH] azure-compute-docs dedicated-hosts.md (1/25/2023), dedicated-hosts/how-to.md (09/25/2026)",
    "UP": "[UP] azure-compute-docs virtual-machine-scale-sets-upgrade-policy.md (05/19/2026)",
    "ROLL": "[ROLL] virtual-machine-scale-sets-configure-rolling-upgrades.md (05/19/2026)",
    "NET": "[NET] azure-compute-docs virtual-machine-scale-sets-networking.md (05/19/2026)",
    "DOA": "[DOA] azure-docs default-outbound-access.md (12/03/2025)",
    "NAV": "kubernetes-sigs/cloud-provider-azure#2697 "
    "(NetworkApiVersionMustBeSpecifiedWithNetworkInterfaceConfigurations)",
    "OV": "[OV] azure-compute-docs overview.md (05/19/2026)",
    "SP": "[SP] virtual-machine-scale-sets-scaling-profile.md (05/19/2026)",
    "NAMES": "Microsoft Learn 'Naming rules for Azure resources' (Microsoft.Compute); Terraform azurerm "
    "validate/virtual_machine_name.go",
    "CNAME": "Terraform azurerm orchestrated_virtual_machine_scale_set (computer_name_prefix: Windows <= 9, "
    "Linux <= 58); Windows NetBIOS 15-character limit",
    "IM": "[IM]/[IMC]/[IMF] azure-compute-docs instance-mix-overview.md, instance-mix-create.md, "
    "instance-mix-faq-troubleshooting.md (05/19/2026)",
    "TF-SPOT": "Terraform azurerm orchestrated VMSS validators "
    "(max_bid_price, eviction_policy, priority_mix)",
    "SKUS": "Resource SKUs API (Compute 2021-07-01 skus.json); az vm list-skus filtering "
    "(NotAvailableForSubscription; QuotaId ignored)",
    "B1LS": "MicrosoftDocs/azure-docs#102050 (2022-11): Flex 'cannot use VM Size Standard_B1ls'",
    "AZ": "[AZ] virtual-machine-scale-sets-use-availability-zones.md (05/19/2026); "
    "[ZB] virtual-machine-scale-sets-zone-balancing.md (12/15/2025)",
    "AIR": "[AIR] virtual-machine-scale-sets-automatic-instance-repairs.md (05/19/2026); "
    "Terraform validators",
    "SIP": "[SIP] virtual-machine-scale-sets-scale-in-policy.md (05/19/2026); Azure/azure-cli#27392",
    "IP": "[IP] virtual-machine-scale-sets-instance-protection.md (05/19/2026)",
    "UPGA": "[UPGA] Azure Compute Blog GA of upgrade policies on Flex (2024-11-19)",
    "CLI16346": "Azure/azure-cli#16346 (fault domains are 0-based)",
}


RULES: tuple[Rule, ...] = (
    Rule(
        "FLEX001",
        "Fault domain count in range",
        "error",
        "max spreading (1) or fixed 2-3 by region; zonal sets 1",
        "unchanged: regional 1, 2 or 3 up to the region's maximum (availabilitySets/Aligned); zonal 1",
        _s("FD", "SUP-FD", "F21"),
        _fault_domain_count,
    ),
    Rule(
        "FLEX002",
        "singlePlacementGroup false",
        "error",
        "must be false",
        "changed: optional (Azure picks); explicit false still required to attach VMs, for Spot priority mix "
        "and with capacity reservations; explicit true warns",
        _s("OM", "SUP-SPG", "AD", "SPM"),
        _single_placement_group,
    ),
    Rule(
        "FLEX003",
        "Orchestration mode is Flexible and fixed",
        "error",
        "set at creation",
        "unchanged: immutable after creation",
        _s("OM"),
        _orchestration_mode,
    ),
    Rule(
        "FLEX004",
        "No overprovisioning",
        "error",
        "unsupported",
        "still unsupported",
        _s("OM", "MIG"),
        _overprovision,
    ),
    Rule(
        "FLEX005",
        "No load balancer NAT pools",
        "error",
        "unsupported (use per-VM NAT rules)",
        "still unsupported; NAT pools retire 2027-09-30, use inbound NAT rules v2",
        _s("OM", "NAT"),
        _nat_pools,
    ),
    Rule(
        "FLEX006",
        "No Basic load balancer",
        "error",
        "unsupported",
        "still unsupported; Basic LB retired 2025-09-30",
        _s("OM", "BLB"),
        _basic_load_balancer,
    ),
    Rule(
        "FLEX007",
        "Managed disks only",
        "error",
        "unsupported",
        "still unsupported; unmanaged disks retire 2026-03-31",
        _s("OM", "AD"),
        _managed_disks,
    ),
    Rule(
        "FLEX008",
        "Ultra disk IOPS/MBps",
        "warning",
        "unsupported",
        "docs unchanged, API accepts them from 2025-04-01",
        _s("OM", "ULTRA"),
        _ultra_disk_iops,
    ),
    Rule(
        "FLEX009",
        "User-assigned identity only",
        "error",
        "user-assigned only",
        "unchanged",
        _s("OM", "ID"),
        _identity,
    ),
    Rule(
        "FLEX010",
        "Dedicated hosts",
        "warning",
        "unsupported",
        "conflicting docs ([OM] Yes, dedicated-host pages Uniform only)",
        _s("OM", "ADH"),
        _dedicated_hosts,
    ),
    Rule(
        "FLEX011",
        "Application health via extension, not LB probe",
        "error",
        "LB health probe unsupported",
        "still unsupported: use the Application Health extension",
        _s("OM", "UP", "ROLL"),
        _health_probe,
    ),
    Rule(
        "FLEX012",
        "Explicit outbound connectivity",
        "error",
        "required",
        "unchanged for profile VMs; VMs created into a set may get default outbound (warning), but new VNets "
        "default to private subnets after 2026-03-31",
        _s("NET", "MIG", "SUP-OUT", "DOA"),
        _outbound,
    ),
    Rule(
        "FLEX013",
        "networkApiVersion with NIC configurations",
        "error",
        "not in the 2021 list",
        "required by Azure when networkInterfaceConfigurations are given",
        _s("NAV", "MIG"),
        _network_api_version,
    ),
    Rule(
        "FLEX014",
        "Capacity limits",
        "error",
        "1,000 with FD guarantees; 600 from a managed image",
        "unchanged, plus 200 for sizes without memory-preserving updates with FD > 1",
        _s("OV", "OM", "SP"),
        _capacity,
    ),
    Rule(
        "FLEX015",
        "Valid resource names",
        "error",
        "Azure naming rules",
        "unchanged",
        _s("NAMES"),
        _resource_names,
    ),
    Rule(
        "FLEX016",
        "Valid computer names",
        "error",
        "Azure naming rules",
        "unchanged: Windows <= 15 (prefix <= 9) and not all digits, Linux <= 64 (prefix <= 58)",
        _s("CNAME"),
        _computer_names,
    ),
    Rule(
        "FLEX017",
        "Instance mix",
        "error",
        "did not exist",
        "Flex only: sku.name Mix with a skuProfile of 1-5 distinct A/B/D/E/F sizes; "
        "ranks only with Prioritized; "
        "no dedicated host, PPG, capacity reservation or ephemeral OS disk",
        _s("IM"),
        _instance_mix,
    ),
    Rule(
        "FLEX018",
        "Spot settings",
        "error",
        "Spot supported; no priority mix",
        "eviction policy and max price only with Spot; priority mix needs priority Spot",
        _s("SPM", "TF-SPOT"),
        _spot,
    ),
    Rule(
        "FLEX019",
        "Spot priority mix needs memory-preserving sizes with FD > 1",
        "error",
        "did not exist",
        "no Spot/regular mix for sizes without memory-preserving updates when FD > 1",
        _s("OM", "SPM"),
        _priority_mix_mpu,
    ),
    Rule(
        "FLEX020",
        "Size offered in the region",
        "error",
        "Resource SKUs",
        "unchanged",
        _s("SKUS"),
        _size_exists,
    ),
    Rule(
        "FLEX021",
        "Size not restricted in the region",
        "error",
        "Resource SKUs",
        "unchanged",
        _s("SKUS"),
        _size_location_restriction,
    ),
    Rule(
        "FLEX022",
        "Size offered and not restricted in the chosen zones",
        "error",
        "Resource SKUs",
        "unchanged",
        _s("SKUS"),
        _size_zone_restriction,
    ),
    Rule(
        "FLEX023",
        "Spot needs a LowPriorityCapable size",
        "error",
        "Resource SKUs",
        "unchanged",
        _s("SKUS"),
        _spot_capable,
    ),
    Rule(
        "FLEX024",
        "Accelerated networking needs a capable size",
        "error",
        "Resource SKUs",
        "unchanged",
        _s("SKUS"),
        _accelerated_networking,
    ),
    Rule(
        "FLEX025",
        "Ephemeral OS disk needs a capable size",
        "error",
        "Resource SKUs",
        "unchanged",
        _s("SKUS"),
        _ephemeral_os_disk,
    ),
    Rule(
        "FLEX026",
        "Sizes Flex refuses",
        "error",
        "specialty sizes unsupported",
        "all sizes supported except tiny ones such as Standard_B1ls",
        _s("B1LS", "OM"),
        _flex_refused_sizes,
    ),
    Rule(
        "FLEX027",
        "VMs join in the set's resource group",
        "error",
        "same resource group",
        "unchanged",
        _s("AD", "F21"),
        _same_resource_group,
    ),
    Rule(
        "FLEX028",
        "VMs join at creation (flexvmss does not attach existing VMs)",
        "error",
        "VMs join only at creation",
        "Azure can attach existing VMs (preview 2023-05, GA 2024-06) under conditions; flexvmss adds VMs at "
        "creation only and refuses an existing VM locally",
        _s("AD", "F21"),
        _attach_existing,
    ),
    Rule(
        "FLEX029",
        "Per-VM fault domain",
        "error",
        "not documented",
        "0-based, below the set's count; not with count 1 or for sizes without memory-preserving updates",
        _s("FD", "OM", "CLI16346"),
        _vm_fault_domain,
    ),
    Rule(
        "FLEX030",
        "Zones, zone balance and placement",
        "error",
        "zonal sets FD 1",
        "zone balance needs 2+ zones; PPG with one zone or none; VM zone must match the set's",
        _s("AZ", "AD", "OM"),
        _zones,
    ),
    Rule(
        "FLEX031",
        "Health signal for rolling upgrades and repairs",
        "error",
        "no upgrade policy; no repairs",
        "Rolling needs the Application Health extension; repair grace 10-90 min; termination notice 5-15 min",
        _s("UP", "ROLL", "AIR"),
        _health,
    ),
    Rule(
        "FLEX032",
        "Complete VM profile and credentials",
        "error",
        "Azure validation",
        "unchanged: a VM profile needs image, network and credentials; a set without one has capacity 0",
        "Azure API validation; az vmss create (VM-less Flex sets)",
        _profile_completeness,
    ),
    Rule(
        "FLEX101",
        "Upgrade policy must be empty (2021)",
        "error",
        "unsupported: upgradePolicy null",
        "lifted: Automatic, Manual and Rolling supported (preview 2024-07, GA 2024-11)",
        _s("F21", "UP", "UPGA"),
        _lifted_upgrade_policy,
        lifted=True,
    ),
    Rule(
        "FLEX102",
        "No scale-in policy (2021)",
        "error",
        "unsupported",
        "lifted: supported from API 2023-07-01",
        _s("F21", "SIP"),
        _lifted_scale_in_policy,
        lifted=True,
    ),
    Rule(
        "FLEX103",
        "User data per VM only (2021)",
        "error",
        "partial (per VM)",
        "lifted: supported",
        _s("F21", "OM"),
        _lifted_user_data,
        lifted=True,
    ),
    Rule(
        "FLEX104",
        "No instance protection (2021)",
        "error",
        "unsupported (use locks)",
        "lifted: supported from API 2023-09-01",
        _s("F21", "IP"),
        _lifted_instance_protection,
        lifted=True,
    ),
    Rule(
        "FLEX105",
        "No specialty sizes G/H/L/M/N (2021)",
        "error",
        "unsupported",
        "lifted: all sizes, with limits for sizes without memory-preserving updates",
        _s("F21", "OM"),
        _lifted_specialty_sizes,
        lifted=True,
    ),
)

_BY_ID = {rule.id: rule for rule in RULES}


def evaluate(
    spec: ScaleSetSpec | VmSpec,
    *,
    catalog: SkuCatalog | None,
    waive: Iterable[str] = (),
    scale_set: ScaleSetInfo | Mapping[str, Any] | Any | None = None,
    profile: Profile = "today",
    name: str | None = None,
    existing_vm: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Every finding of every rule for ``spec`` (a scale set or a VM to create in one).

    ``catalog`` enables the SKU rules (None skips them). ``scale_set`` describes the target set
    for a :class:`VmSpec` (a :class:`ScaleSetInfo`, the set's GET body, or an object with the same
    attributes). ``name`` is the scale set's name (checked against Azure's naming rules).
    ``existing_vm`` is the body of a VM that already has the :class:`VmSpec`'s name.
    ``profile="2021"`` also runs the restrictions Azure has lifted. Unknown rule ids in
    ``waive`` raise :class:`~flexvmss.InvalidInputError`.
    """
    waived = {w.upper() for w in waive}
    unknown = sorted(waived - set(_BY_ID))
    if unknown:
        raise InvalidInputError("waive", unknown, f"use rule ids from {', '.join(sorted(_BY_ID))}")
    if profile not in ("today", "2021"):
        raise InvalidInputError("profile", profile, "use 'today' or '2021'")
    info = _as_info(scale_set)
    if isinstance(spec, VmSpec):
        body = render_vm_body(
            spec,
            scale_set_id=(info.id if info and info.id else "") or "",
            location=(info.location if info and info.location else "") or "",
        )
    else:
        body = render_scale_set_body(spec, name=name)
    if name is None and isinstance(spec, ScaleSetSpec) and info is not None:
        name = info.name
    ctx = RuleContext(
        spec=spec, catalog=catalog, scale_set=info, name=name, body=body, existing_vm=existing_vm
    )
    findings: list[Finding] = []
    for rule in RULES:
        if rule.id in waived or (rule.lifted and profile != "2021"):
            continue
        for issue in rule.check(ctx):
            fix = issue.fix
            findings.append(
                Finding(
                    rule_id=rule.id,
                    severity=issue.severity or rule.severity,
                    field=issue.field,
                    value=issue.value,
                    message=f"{issue.field}={issue.value!r}: {issue.problem} Fix: {fix}.",
                    fix=fix,
                    source=rule.source,
                )
            )
    return findings


def rules_table() -> list[dict[str, Any]]:
    """The rules as rows for the docs: id, title, severity, 2021 and today's status, source, and
    whether the default profile enforces it."""
    return [
        {
            "id": rule.id,
            "title": rule.title,
            "severity": rule.severity,
            "status_2021": rule.status_2021,
            "status_today": ("lifted: " + rule.status_today.removeprefix("lifted: "))
            if rule.lifted
            else rule.status_today,
            "source": rule.source,
            "lifted": rule.lifted,
            "enforced_by_default": not rule.lifted,
        }
        for rule in RULES
    ]
