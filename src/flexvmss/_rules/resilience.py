"""Rules about the set's resiliency policies: resilient VM create and delete, automatic zone
rebalancing, automatic zone placement and zone allocation (the documented constraints, as
Flex rules)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from flexvmss._rules._engine import Issue, RuleContext, rule
from flexvmss._rules._sources import sources
from flexvmss._specs import dig

__all__ = ["auto_placement", "zone_rebalancing_enabled"]


def _policy(ctx: RuleContext, name: str) -> Mapping[str, Any]:
    value = dig(ctx.props, "resiliencyPolicy", name)
    return value if isinstance(value, Mapping) else {}


def zone_rebalancing_enabled(props: Mapping[str, Any]) -> bool:
    """Whether a set's properties turn on automatic zone rebalancing."""
    return dig(props, "resiliencyPolicy", "automaticZoneRebalancingPolicy", "enabled") is True


def auto_placement(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A set body's ``placement`` when it asks Azure to pick the zones (``Auto``), else None."""
    placement = body.get("placement")
    if isinstance(placement, Mapping) and str(placement.get("zonePlacementPolicy") or "").lower() == "auto":
        return placement
    return None


def _has_health_extension(ctx: RuleContext) -> bool:
    extensions = dig(ctx.vm_profile, "extensionProfile", "extensions") or ()
    return any(str(dig(e, "properties", "type") or "").startswith("ApplicationHealth") for e in extensions)


@rule(
    "FLEX044",
    title="Resilient VM create and delete",
    severity="warning",
    status_2021="did not exist (api 2023-07-01; the page's prerequisite says 2024-11-01)",
    status_today="create retries OSProvisioningTimedOut/VMStartTimedOut up to 30 min by replacing the VM "
    "under a new name; delete retries transient errors up to 5 times; scale-out and set "
    "deletion only, not VMs created one by one",
    source=sources("RCD"),
)
def resilient_create_delete(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is None or ctx.has_vm_profile:
        return
    for key, where in (
        ("resilientVMCreationPolicy", "resiliency.resilient_create"),
        ("resilientVMDeletionPolicy", "resiliency.resilient_delete"),
    ):
        if _policy(ctx, key).get("enabled") is True:
            yield Issue(
                where,
                True,
                "it acts on the VMs a set makes from its VM profile (scale-out, set creation and "
                "deletion); this set has no profile, and VMs created one by one (add_vm) are not "
                "covered.",
                "give the set a VM profile (vm_size, image, network), or leave it unset",
            )


@rule(
    "FLEX045",
    title="Automatic zone rebalancing",
    severity="error",
    status_2021="did not exist",
    status_today="preview (api 2024-07-01, AFEC Microsoft.Compute/AutomaticZoneRebalancing): 2+ zones, "
    "all VMs zonal, a health signal; moves one VM per 12 h, create before delete (+1 VM of quota); "
    "the new VM has a new name, NIC and disks; turns on automatic repairs",
    source=sources("AZB", "OM"),
)
def zone_rebalancing(ctx: RuleContext) -> Iterator[Issue]:
    spec = ctx.set_spec
    if spec is None or not zone_rebalancing_enabled(ctx.props):
        return
    where = "resiliency.zone_rebalancing"
    policy = _policy(ctx, "automaticZoneRebalancingPolicy")
    for key, only in (("rebalanceStrategy", "Recreate"), ("rebalanceBehavior", "CreateBeforeDelete")):
        value = policy.get(key)
        if value is not None and str(value).lower() != only.lower():
            yield Issue(
                f"resiliencyPolicy.automaticZoneRebalancingPolicy.{key}",
                value,
                f"{only} is the only value Azure supports today.",
                f"use {only} (ResiliencySpec(zone_rebalancing=True) sends it)",
            )
    if not ctx.has_vm_profile:
        yield Issue(
            where,
            True,
            "rebalancing recreates VMs from the set's VM profile; this set has none.",
            "give the set a VM profile, or leave zone_rebalancing off",
        )
        return
    placement = auto_placement(ctx.body)
    max_zones = dig(ctx.props, "resiliencyPolicy", "zoneAllocationPolicy", "maxZoneCount")
    if placement is None and len(set(ctx.zones)) < 2:
        yield Issue(
            where,
            True,
            f"it needs a set spanning two or more zones, with every VM zonal (zones: {list(ctx.zones)}).",
            "list two or more zones, or leave zone_rebalancing off",
        )
    elif placement is not None and max_zones == 1:
        yield Issue(
            where,
            True,
            "it needs two or more zones, and zone_placement.max_zone_count is 1.",
            "allow two or more zones, or leave zone_rebalancing off",
        )
    if not _has_health_extension(ctx):
        yield Issue(
            where,
            True,
            "Azure keeps a moved VM only once it reports healthy, so it needs a health signal: the "
            "Application Health extension on Flex (the enable page also names a load balancer probe, "
            "which Flex does not take, rule FLEX011).",
            "add health=HealthSpec(...)",
        )
    if spec.zone_balance is True:
        yield Issue(
            "zone_balance",
            True,
            "automatic zone balance works under best-effort balancing (zoneBalance false); strict "
            "balance blocks operations that would unbalance the set instead (inferred: the overview "
            "contrasts the two).",
            "leave zone_balance unset or False with zone_rebalancing",
            "warning",
        )


@rule(
    "FLEX046",
    title="Automatic zone placement and zone allocation",
    severity="error",
    status_2021="did not exist",
    status_today="preview (api 2026-03-01, AFEC Microsoft.Compute/VmssAutomaticZonePlacement): zones xor "
    "placement; includeZones xor excludeZones; no PPG, capacity reservation, instance mix, standby "
    "pool or dedicated host; strict balance needs maxZoneCount; partial allocation places what fits",
    source=sources("AZP"),
)
def zone_placement(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.vm_spec is not None:
        info = ctx.scale_set
        if info is not None and auto_placement(info.raw) is not None:
            yield Issue(
                "scale_set.placement",
                "Auto",
                "Azure does not create and attach a new VM to a set with automatic zone placement.",
                "scale the set instead (scale_to), or use a set with a zones list",
            )
        return
    spec = ctx.set_spec
    assert spec is not None
    placement = auto_placement(ctx.body)
    allocation = _policy(ctx, "zoneAllocationPolicy")
    if placement is None:
        if allocation:
            yield Issue(
                "zone_placement",
                None,
                "zoneAllocationPolicy (max zone count, max share per zone) applies only with "
                "automatic zone placement.",
                "give zone_placement=ZonePlacementSpec(...), or remove the zone allocation settings",
            )
        return
    if ctx.body.get("zones"):
        yield Issue(
            "zones",
            list(ctx.body["zones"]),
            "a set takes either a zones list or automatic zone placement, not both.",
            "remove zones (Azure picks them), or remove zone_placement",
        )
    include = [str(z) for z in placement.get("includeZones") or ()]
    exclude = [str(z) for z in placement.get("excludeZones") or ()]
    if include and exclude:
        yield Issue(
            "zone_placement.exclude_zones",
            exclude,
            "include_zones and exclude_zones exclude each other.",
            "keep one of them",
        )
    excluded = [
        ("proximity_placement_group_id", dig(ctx.props, "proximityPlacementGroup", "id")),
        (
            "capacity_reservation_group",
            dig(ctx.vm_profile, "capacityReservation", "capacityReservationGroup", "id"),
        ),
        ("sku_profile", "Mix" if str(dig(ctx.body, "sku", "name") or "").lower() == "mix" else None),
        ("dedicated_host_group_id", dig(ctx.props, "hostGroup", "id")),
        ("standbyPoolProfile", ctx.props.get("standbyPoolProfile")),
    ]
    for where, value in excluded:
        if value:
            yield Issue(
                where,
                value,
                "automatic zone placement does not support it (instance mix: not during the preview).",
                f"remove {where}, or use a zones list instead of zone_placement",
            )
    max_zones = allocation.get("maxZoneCount")
    if max_zones is not None and (not isinstance(max_zones, int) or max_zones < 1):
        yield Issue(
            "zone_placement.max_zone_count", max_zones, "is a number of zones, 1 or more.", "use 1 or more"
        )
        max_zones = None
    if ctx.props.get("zoneBalance") is True and max_zones is None:
        yield Issue(
            "zone_balance",
            True,
            "strict zone balance with automatic zone placement needs a maximum zone count.",
            "set zone_placement.max_zone_count (e.g. 3), or leave zone_balance unset",
        )
    percent_policy = allocation.get("maxInstancePercentPerZonePolicy")
    if isinstance(percent_policy, Mapping) and percent_policy.get("enabled") is not False:
        value = percent_policy.get("value")
        where = "zone_placement.max_instance_percent_per_zone"
        if ctx.props.get("zoneBalance") is True:
            yield Issue(
                where,
                value,
                "the maximum share per zone is supported only with zone balance off.",
                "leave zone_balance unset or False, or remove the maximum share",
            )
        eligible = _eligible_zone_count(include, exclude, max_zones)
        least = math.ceil(100 / eligible)
        if not isinstance(value, int) or not least <= value <= 100:
            yield Issue(
                where,
                value,
                f"with {eligible} eligible zone(s) the share of one zone is at least "
                f"ceil(100 / {eligible}) = {least} percent, at most 100.",
                f"use {least} to 100",
            )


def _eligible_zone_count(include: list[str], exclude: list[str], max_zones: int | None) -> int:
    """The zones automatic placement may use: the included ones (else the region's three, less
    the excluded), capped by the maximum zone count ([AZP]'s minimum-percentage formula)."""
    count = len(set(include)) if include else max(1, 3 - len(set(exclude)))
    if max_zones is not None:
        count = min(count, max_zones)
    return max(1, count)
