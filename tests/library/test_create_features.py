"""Every create feature of FlexScaleSet, end to end against the emulator.

Each test creates a set through ``FlexScaleSet.create(spec)`` and checks what a user depends
on twice: in the set Azure stores (``get().raw``, the wire body of a GET) and in the VMs the
set made (``vms()``). Features Flex refuses are refused locally, before any write.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from _flexlib import LOCATION, RG, profile_spec, requests_by_route

from flexvmss import PreflightError, ScaleSetSpec
from flexvmss._specs import (
    HealthSpec,
    IdentitySpec,
    PriorityMixSpec,
    SkuProfileSpec,
    SpotSpec,
)

SUB_RG = "/subscriptions/{sub}/resourceGroups/" + RG


def _props(raw: Any) -> dict[str, Any]:
    return dict(raw.get("properties") or {})


def _profile(raw: Any) -> dict[str, Any]:
    return dict(_props(raw).get("virtualMachineProfile") or {})


def _ppg_id(emu: Any) -> str:
    """A proximity placement group id (the emulator does not model PPGs: it stores the reference)."""
    rg_id = SUB_RG.format(sub=emu.subscription_id)
    return rg_id + "/providers/Microsoft.Compute/proximityPlacementGroups/ppg1"


def _puts(emu: Any) -> int:
    """Every PUT the emulator has served (the network fixture's included: compare before/after)."""
    return requests_by_route(emu, "", "PUT")


def _placed(emu: Any) -> dict[str, tuple[str | None, int | None]]:
    """Each VM's zone and fault domain as Azure holds them (the emulator's own bodies): where a
    VM lands is Azure's decision, tested in tests/emulator; the library only reports it."""
    out: dict[str, tuple[str | None, int | None]] = {}
    with emu.store.lock:
        for body in emu.store.resources.values():
            if str(body.get("type", "")).lower() == "microsoft.compute/virtualmachines":
                zones = body.get("zones") or [None]
                out[body["name"]] = (zones[0], body["properties"].get("platformFaultDomain"))
    return out


def _reported(vms: Any) -> dict[str, tuple[str | None, int | None]]:
    return {vm.name: (vm.zone, vm.platform_fault_domain) for vm in vms}


@pytest.mark.parametrize("face", ["aio"])
@pytest.mark.parametrize("zones", [("1",), ("1", "2"), ("1", "2", "3")], ids=["1zone", "2zones", "3zones"])
async def test_a_zonal_set_sends_its_zones_and_reports_where_each_vm_is(emu, network, make_set, zones):
    ss = make_set("zonal")
    info = await ss.create(profile_spec(network, capacity=6, zones=zones))

    assert info.zones == zones
    assert _props(info.raw)["platformFaultDomainCount"] == 1
    vms = await ss.vms()
    assert len(vms) == 6 and {vm.zone for vm in vms} <= set(zones)
    assert _reported(vms) == _placed(emu)


async def test_zone_balance_is_stored_on_the_set(emu, network, make_set):
    ss = make_set("balanced")
    info = await ss.create(profile_spec(network, capacity=3, zones=("1", "2", "3"), zone_balance=True))

    assert _props(info.raw)["zoneBalance"] is True
    assert _reported(await ss.vms()) == _placed(emu)


@pytest.mark.parametrize("face", ["aio"])
async def test_two_fault_domains_are_sent_and_each_vms_fault_domain_reported(emu, network, make_set):
    ss = make_set("fd2")
    info = await ss.create(profile_spec(network, capacity=4, platform_fault_domain_count=2))

    assert info.platform_fault_domain_count == 2
    assert info.zones == ()
    vms = await ss.vms()
    assert len(vms) == 4 and {vm.platform_fault_domain for vm in vms} <= {0, 1}
    assert _reported(vms) == _placed(emu)


@pytest.mark.parametrize("face", ["aio"])
async def test_three_fault_domains_in_a_two_fd_region_are_refused_before_any_write(emu, network, make_set):
    ss = make_set("fd3")
    spec = profile_spec(network, capacity=2, location="westcentralus", platform_fault_domain_count=3)
    writes_before = _puts(emu)

    with pytest.raises(PreflightError) as caught:
        await ss.create(spec)

    fd_findings = [f for f in caught.value.findings if f.rule_id == "FLEX001"]
    assert fd_findings and fd_findings[0].severity == "error"
    assert "at most 2" in fd_findings[0].message
    assert _puts(emu) == writes_before
    assert not await ss.exists()


@pytest.mark.parametrize("face", ["aio"])
async def test_spot_priority_mix_makes_the_base_and_percentage_regular(emu, network, make_set):
    ss = make_set("mixed")
    spec = profile_spec(
        network,
        capacity=6,
        priority="Spot",
        spot=SpotSpec(eviction_policy="Delete", max_price=-1.0),
        priority_mix=PriorityMixSpec(base_regular_count=2, regular_percentage_above_base=50),
    )
    info = await ss.create(spec)

    props = _props(info.raw)
    assert props["priorityMixPolicy"] == {
        "baseRegularPriorityCount": 2,
        "regularPriorityPercentageAboveBase": 50,
    }
    assert _profile(info.raw)["priority"] == "Spot"
    assert _profile(info.raw)["evictionPolicy"] == "Delete"
    # 2 base + 50% of the 4 above base are Regular; the other 2 are Spot.
    assert Counter(vm.priority for vm in await ss.vms()) == {"Regular": 4, "Spot": 2}


@pytest.mark.parametrize("face", ["aio"])
async def test_instance_mix_stores_sku_mix_and_makes_vms_of_the_listed_sizes(emu, network, make_set):
    ss = make_set("imix")
    sizes = ("Standard_D2s_v5", "Standard_D4s_v5")
    spec = profile_spec(network, capacity=4, vm_size=None, sku_profile=SkuProfileSpec(vm_sizes=sizes))
    info = await ss.create(spec)

    assert info.sku_name == "Mix"
    assert info.has_vm_profile
    sku_profile = _props(info.raw)["skuProfile"]
    assert [s["name"] for s in sku_profile["vmSizes"]] == list(sizes)
    assert sku_profile["allocationStrategy"] == "LowestPrice"
    vms = await ss.vms()
    assert len(vms) == 4
    assert {vm.size for vm in vms} <= set(sizes)


@pytest.mark.parametrize("face", ["aio"])
async def test_the_proximity_placement_group_is_stored_on_the_set(emu, network, make_set):
    ppg = _ppg_id(emu)
    ss = make_set("near")
    info = await ss.create(profile_spec(network, capacity=2, proximity_placement_group_id=ppg))

    assert _props(info.raw)["proximityPlacementGroup"]["id"].lower() == ppg.lower()
    assert len(await ss.vms()) == 2


def _identity_id(emu: Any, name: str) -> str:
    return (
        SUB_RG.format(sub=emu.subscription_id)
        + f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )


async def test_user_assigned_identities_are_stored_on_the_set_and_its_vms(emu, network, make_set):
    ids = (_identity_id(emu, "id-app"), _identity_id(emu, "id-logs"))
    ss = make_set("ident")
    info = await ss.create(profile_spec(network, capacity=2, identity=IdentitySpec(user_assigned_ids=ids)))

    identity = info.raw["identity"]
    assert identity["type"] == "UserAssigned"
    assert {i.lower() for i in identity["userAssignedIdentities"]} == {i.lower() for i in ids}
    for vm in await ss.vms():
        assert vm.raw["identity"]["type"] == "UserAssigned"
        assert {i.lower() for i in vm.raw["identity"]["userAssignedIdentities"]} == {i.lower() for i in ids}


async def test_a_system_assigned_identity_is_refused_before_any_write(emu, network, make_set):
    ss = make_set("sysid")
    spec = profile_spec(network, capacity=1, identity=IdentitySpec(system_assigned=True))
    writes_before = _puts(emu)

    with pytest.raises(PreflightError) as caught:
        await ss.create(spec)

    assert "FLEX009" in {f.rule_id for f in caught.value.findings if f.severity == "error"}
    assert _puts(emu) == writes_before
    assert not await ss.exists()


@pytest.mark.parametrize("face", ["aio"])
async def test_termination_notification_is_enabled_with_its_timeout(emu, network, make_set):
    ss = make_set("notice")
    info = await ss.create(profile_spec(network, capacity=1, termination_notification_minutes=10))

    notice = _profile(info.raw)["scheduledEventsProfile"]["terminateNotificationProfile"]
    assert notice == {"enable": True, "notBeforeTimeout": "PT10M"}
    assert len(await ss.vms()) == 1


@pytest.mark.parametrize("face", ["aio"])
async def test_automatic_repairs_come_with_the_application_health_extension(emu, network, make_set):
    ss = make_set("repair")
    health = HealthSpec(protocol="http", port=8080, request_path="/healthz", repair_grace_period_minutes=15)
    info = await ss.create(profile_spec(network, capacity=2, health=health))

    assert _props(info.raw)["automaticRepairsPolicy"] == {
        "enabled": True,
        "gracePeriod": "PT15M",
        "repairAction": "Replace",
    }
    (extension,) = _profile(info.raw)["extensionProfile"]["extensions"]
    ext = extension["properties"]
    assert (ext["publisher"], ext["type"]) == ("Microsoft.ManagedServices", "ApplicationHealthLinux")
    assert ext["settings"] == {"protocol": "http", "port": 8080, "requestPath": "/healthz"}
    assert len(await ss.vms()) == 2


@pytest.mark.parametrize("face", ["aio"])
async def test_a_set_without_a_profile_takes_zones_and_identity(emu, network, make_set):
    ids = (_identity_id(emu, "id-bare"),)
    ss = make_set("bare")
    spec = ScaleSetSpec(
        location=LOCATION,
        zones=("1", "2"),
        identity=IdentitySpec(user_assigned_ids=ids),
    )
    info = await ss.create(spec)

    assert not info.has_vm_profile
    assert info.zones == ("1", "2")
    assert info.raw["identity"]["type"] == "UserAssigned"
    assert await ss.vms() == []


def _feature_specs(emu: Any, network: Any) -> dict[str, ScaleSetSpec]:
    ppg = _ppg_id(emu)
    return {
        "zones": profile_spec(network, capacity=2, zones=("1", "2", "3"), zone_balance=True),
        "fd2": profile_spec(network, capacity=2, platform_fault_domain_count=2),
        "spot-mix": profile_spec(
            network,
            capacity=2,
            priority="Spot",
            spot=SpotSpec(),
            priority_mix=PriorityMixSpec(base_regular_count=1, regular_percentage_above_base=0),
        ),
        "instance-mix": profile_spec(
            network, capacity=2, vm_size=None, sku_profile=SkuProfileSpec(vm_sizes=("Standard_D2s_v5",))
        ),
        "ppg": profile_spec(network, capacity=2, proximity_placement_group_id=ppg),
        "identity": profile_spec(
            network, capacity=2, identity=IdentitySpec(user_assigned_ids=(_identity_id(emu, "id-app"),))
        ),
        "notice": profile_spec(network, capacity=2, termination_notification_minutes=5),
        "repairs": profile_spec(network, capacity=2, health=HealthSpec()),
    }


@pytest.mark.parametrize("face", ["aio"])
@pytest.mark.parametrize(
    "feature", ["zones", "fd2", "spot-mix", "instance-mix", "ppg", "identity", "notice", "repairs"]
)
async def test_creating_a_featured_set_again_writes_nothing(emu, network, make_set, feature):
    spec = _feature_specs(emu, network)[feature]
    ss = make_set("again")
    first = await ss.create(spec)
    writes = _puts(emu)

    second = await ss.create(spec)

    assert second.id == first.id
    assert _puts(emu) == writes
    assert len(await ss.vms()) == 2
