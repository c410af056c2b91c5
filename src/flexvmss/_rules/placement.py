"""Rules about where VMs land: the set's fault domain count, a VM's own fault domain, and zones."""

from __future__ import annotations

from collections.abc import Iterator

from flexvmss._rules._engine import Issue, RuleContext, rule
from flexvmss._rules._sources import sources

_VALID_ZONES = frozenset({"1", "2", "3"})


@rule(
    "FLEX001",
    title="Fault domain count in range",
    severity="error",
    status_2021="max spreading (1) or fixed 2-3 by region; zonal sets 1",
    status_today="unchanged: regional 1, 2 or 3 up to the region's maximum (availabilitySets/Aligned); "
    "zonal 1",
    source=sources("FD", "SUP-FD", "F21"),
)
def fault_domain_count(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX029",
    title="Per-VM fault domain",
    severity="error",
    status_2021="not documented",
    status_today="0-based, below the set's count; not with count 1 or for sizes without "
    "memory-preserving updates",
    source=sources("FD", "OM", "CLI16346"),
)
def vm_fault_domain(ctx: RuleContext) -> Iterator[Issue]:
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


@rule(
    "FLEX030",
    title="Zones, zone balance and placement",
    severity="error",
    status_2021="zonal sets FD 1",
    status_today="zone balance needs 2+ zones; PPG with one zone or none; VM zone must match the set's",
    source=sources("AZ", "ZBAL", "AD", "OM"),
)
def zones(ctx: RuleContext) -> Iterator[Issue]:
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
        if spec.zone_balance and len(set(zones)) < 2 and spec.zone_placement is None:
            yield Issue(
                "zone_balance",
                True,
                "zone balance needs at least two zones.",
                "list two or more zones, or leave zone_balance unset (Azure refuses it with fewer)",
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
