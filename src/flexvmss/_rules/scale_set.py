"""Rules about the scale set itself: its mode and shape, disks, identity, capacity, instance
mix, Spot settings, health and a complete VM profile."""

from __future__ import annotations

from collections.abc import Iterator

from flexvmss._rules._engine import Issue, RuleContext, ScaleSetFacts, rule
from flexvmss._rules._sources import sources
from flexvmss._skus import size_series
from flexvmss._specs import ScaleSetSpec, dig

__all__ = ["MIX_FAMILIES", "capacity_needs_catalog"]

#: The size families instance mix takes ([IM]).
MIX_FAMILIES = frozenset("ABDEF")


@rule(
    "FLEX002",
    title="singlePlacementGroup false",
    severity="error",
    status_2021="must be false",
    status_today="changed: optional (Azure picks); explicit false still required to attach VMs, "
    "for Spot priority mix and with capacity reservations; explicit true warns",
    source=sources("OM", "SUP-SPG", "AD", "SPM"),
)
def single_placement_group(ctx: RuleContext) -> Iterator[Issue]:
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
    has_crg = dig(ctx.vm_profile, "capacityReservation", "capacityReservationGroup") is not None
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


@rule(
    "FLEX003",
    title="Orchestration mode is Flexible and fixed",
    severity="error",
    status_2021="set at creation",
    status_today="unchanged: immutable after creation",
    source=sources("OM"),
)
def orchestration_mode(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX004",
    title="No overprovisioning",
    severity="error",
    status_2021="unsupported",
    status_today="still unsupported",
    source=sources("OM", "MIG"),
)
def overprovision(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.props.get("overprovision") is True:
        yield Issue(
            "overprovision",
            True,
            "overprovisioning is not supported on Flex.",
            "remove overprovision (Flex creates exactly the VMs asked for)",
        )


@rule(
    "FLEX007",
    title="Managed disks only",
    severity="error",
    status_2021="unsupported",
    status_today="still unsupported; unmanaged disks retire 2026-03-31",
    source=sources("OM", "AD"),
)
def managed_disks(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.spec.os_disk.unmanaged_vhd_uri:
        yield Issue(
            "os_disk.unmanaged_vhd_uri",
            ctx.spec.os_disk.unmanaged_vhd_uri,
            "Flex supports managed disks only (unmanaged disks retire 2026-03-31).",
            "remove unmanaged_vhd_uri; use os_disk.storage_account_type",
        )
        return
    os_disk = dig(ctx.vm_profile, "storageProfile", "osDisk") or {}
    for key in ("vhdContainers", "vhd"):
        if os_disk.get(key):
            yield Issue(
                f"storageProfile.osDisk.{key}",
                os_disk.get(key),
                "Flex supports managed disks only.",
                "use managedDisk.storageAccountType instead",
            )


@rule(
    "FLEX008",
    title="Ultra disk IOPS/MBps",
    severity="warning",
    status_2021="unsupported",
    status_today="docs unchanged, API accepts them from 2025-04-01",
    source=sources("OM", "ULTRA"),
)
def ultra_disk_iops(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX009",
    title="User-assigned identity only",
    severity="error",
    status_2021="user-assigned only",
    status_today="unchanged",
    source=sources("OM", "ID"),
)
def identity(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX010",
    title="Dedicated hosts",
    severity="warning",
    status_2021="unsupported",
    status_today="conflicting docs ([OM] Yes, dedicated-host pages Uniform only)",
    source=sources("OM", "ADH"),
)
def dedicated_hosts(ctx: RuleContext) -> Iterator[Issue]:
    host_group = dig(ctx.props, "hostGroup", "id")
    if host_group:
        yield Issue(
            "dedicated_host_group_id",
            host_group,
            "docs conflict: [OM] says Flex supports dedicated hosts, the dedicated-host pages say "
            "Uniform only; instance mix, zone expansion and attaching host VMs are excluded.",
            "test it in your subscription and waive FLEX010, or use a Uniform set for dedicated hosts",
        )


@rule(
    "FLEX014",
    title="Capacity limits",
    severity="error",
    status_2021="1,000 with FD guarantees; 600 from a managed image",
    status_today="unchanged, plus 200 for sizes without memory-preserving updates with FD > 1",
    source=sources("OV", "OM", "SP"),
    changes=("capacity",),
)
def capacity(ctx: RuleContext) -> Iterator[Issue]:
    """For a set spec, and for ``scale_to`` on an existing set (its body and the capacity asked)."""
    capacity = ctx.capacity
    if capacity is None:
        return
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
    elif ctx.managed_image and capacity > 600:
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
                "use at most 200, or platform_fault_domain_count=1"
                if ctx.set_spec is not None
                else "use at most 200 (an existing set's fault domain count cannot change)",
            )


def capacity_needs_catalog(scale_set: ScaleSetFacts) -> bool:
    """Whether FLEX014's limit for an existing set depends on its size's catalog entry: only a
    single-size set with more than one fault domain can be held to 200 VMs."""
    size = scale_set.sku_name
    return (scale_set.platform_fault_domain_count or 1) > 1 and bool(size) and str(size).lower() != "mix"


@rule(
    "FLEX017",
    title="Instance mix",
    severity="error",
    status_2021="did not exist",
    status_today="Flex only: sku.name Mix with a skuProfile of 1-5 distinct A/B/D/E/F sizes; "
    "ranks only with Prioritized; no dedicated host, PPG, capacity reservation or ephemeral OS disk",
    source=sources("IM"),
)
def instance_mix(ctx: RuleContext) -> Iterator[Issue]:
    spec = ctx.set_spec
    if spec is None:
        return
    sku_name = dig(ctx.body, "sku", "name")
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
        ("dedicated_host_group_id", dig(ctx.props, "hostGroup", "id")),
        ("proximity_placement_group_id", dig(ctx.props, "proximityPlacementGroup", "id")),
        (
            "capacity_reservation_group",
            dig(ctx.vm_profile, "capacityReservation", "capacityReservationGroup", "id"),
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


@rule(
    "FLEX018",
    title="Spot settings",
    severity="error",
    status_2021="Spot supported; no priority mix",
    status_today="eviction policy and max price only with Spot; priority mix needs priority Spot",
    source=sources("SPM", "TF-SPOT"),
)
def spot(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX031",
    title="Health signal for rolling upgrades and repairs",
    severity="error",
    status_2021="no upgrade policy; no repairs",
    status_today="Rolling needs the Application Health extension; repair grace 10-90 min; "
    "termination notice 5-15 min",
    source=sources("UP", "ROLL", "AIR"),
)
def health(ctx: RuleContext) -> Iterator[Issue]:
    spec = ctx.set_spec
    if spec is None:
        return
    extensions = dig(ctx.vm_profile, "extensionProfile", "extensions") or ()
    has_health = any(
        str(dig(e, "properties", "type") or "").startswith("ApplicationHealth") for e in extensions
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


@rule(
    "FLEX032",
    title="Complete VM profile and credentials",
    severity="error",
    status_2021="Azure validation",
    status_today="unchanged: a VM profile needs image, network and credentials; a set without one "
    "has capacity 0",
    source="Azure API validation; az vmss create (VM-less Flex sets)",
)
def profile_completeness(ctx: RuleContext) -> Iterator[Issue]:
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
