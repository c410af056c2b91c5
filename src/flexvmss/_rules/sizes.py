"""Rules about VM sizes, checked against the region's Resource SKUs catalog: offered, not
restricted, capable of what the spec asks (Spot, accelerated networking, ephemeral OS disk,
memory-preserving maintenance), and not one Flex refuses."""

from __future__ import annotations

from collections.abc import Iterator

from flexvmss._rules._engine import Issue, RuleContext, rule
from flexvmss._rules._sources import sources

__all__ = ["FLEX_REFUSED_SIZES"]

FLEX_REFUSED_SIZES: frozenset[str] = frozenset({"standard_b1ls"})
"""Sizes Azure refuses in Flex sets ("cannot use VM Size 'Standard_B1ls'",
MicrosoftDocs/azure-docs#102050)."""


@rule(
    "FLEX019",
    title="Spot priority mix needs memory-preserving sizes with FD > 1",
    severity="error",
    status_2021="did not exist",
    status_today="no Spot/regular mix for sizes without memory-preserving updates when FD > 1",
    source=sources("OM", "SPM"),
)
def priority_mix_mpu(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX020",
    title="Size offered in the region",
    severity="error",
    status_2021="Resource SKUs",
    status_today="unchanged",
    source=sources("SKUS"),
    changes=("size",),
)
def size_exists(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX021",
    title="Size not restricted in the region",
    severity="error",
    status_2021="Resource SKUs",
    status_today="unchanged",
    source=sources("SKUS"),
    changes=("size",),
)
def size_location_restriction(ctx: RuleContext) -> Iterator[Issue]:
    for where, name, size in ctx.known_sizes():
        if size.restricted_in_location:
            yield Issue(
                where,
                name,
                f"not available to this subscription in {ctx.region()} (NotAvailableForSubscription).",
                "pick another size or region, or ask Azure support to enable it",
            )


@rule(
    "FLEX022",
    title="Size offered and not restricted in the chosen zones",
    severity="error",
    status_2021="Resource SKUs",
    status_today="unchanged",
    source=sources("SKUS"),
)
def size_zone_restriction(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX023",
    title="Spot needs a LowPriorityCapable size",
    severity="error",
    status_2021="Resource SKUs",
    status_today="unchanged",
    source=sources("SKUS"),
)
def spot_capable(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX024",
    title="Accelerated networking needs a capable size",
    severity="error",
    status_2021="Resource SKUs",
    status_today="unchanged",
    source=sources("SKUS"),
)
def accelerated_networking(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX025",
    title="Ephemeral OS disk needs a capable size",
    severity="error",
    status_2021="Resource SKUs",
    status_today="unchanged",
    source=sources("SKUS"),
)
def ephemeral_os_disk(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX026",
    title="Sizes Flex refuses",
    severity="error",
    status_2021="specialty sizes unsupported",
    status_today="all sizes supported except tiny ones such as Standard_B1ls",
    source=sources("B1LS", "OM"),
    changes=("size",),
)
def flex_refused_sizes(ctx: RuleContext) -> Iterator[Issue]:
    for where, name in ctx.vm_sizes():
        if name.lower() in FLEX_REFUSED_SIZES:
            yield Issue(
                where,
                name,
                f"Azure refuses this size in Flex sets (\"cannot use VM Size '{name}'\").",
                "pick a larger size, e.g. Standard_B1s",
            )
