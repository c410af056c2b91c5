"""Resiliency policies and zone placement against the emulator: partial placement reported
(asked, placed, per zone, why each VM failed), resilient VM create replacing a VM under a new
name, automatic zone rebalancing moving one VM (and what the move leaves behind); both faces
where the facade is involved."""

from __future__ import annotations

import pytest
from _flexlib import LOCATION, profile_spec

from flexvmss import HealthSpec, NetworkSpec, ResiliencySpec, ZonePlacementSpec


async def test_a_partial_allocation_is_reported_per_zone_with_the_reason(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=1, zones=("1", "2", "3")))
    emu.limit_zone_capacity(LOCATION, {"1": 2, "2": 2, "3": 1})

    result = await ss.scale(7)

    report = result.placement
    assert (report.asked, report.placed, report.shortfall) == (7, 5, 2)
    assert dict(report.per_zone) == {"1": 2, "2": 2, "3": 1}
    assert set(report.failed.values()) == {"ZonalAllocationFailed"}
    assert len(result.added) == 6 and set(report.failed) <= set(result.added)
    assert result.replaced == ()
    assert "asked 7, placed 5" in str(report)
    assert await ss.placement() == report


@pytest.mark.parametrize("face", ["aio"])
async def test_automatic_zone_placement_caps_the_share_per_zone_and_places_what_fits(emu, network, make_set):
    ss = make_set("web")
    spec = profile_spec(
        network,
        capacity=0,
        zone_placement=ZonePlacementSpec(include_zones=("1", "2"), max_instance_percent_per_zone=50),
    )
    await ss.create(spec)
    emu.limit_zone_capacity(LOCATION, {"1": 3})

    report = (await ss.scale(8)).placement

    # 50 percent of 8 is 4 per zone; zone 1 has room for 3 only: 7 placed, 1 failed
    assert dict(report.per_zone) == {"1": 3, "2": 4}
    assert (report.asked, report.placed) == (8, 7)
    assert list(report.failed.values()) == ["ZonalAllocationFailed"]


async def test_resilient_create_replaces_a_timed_out_vm_under_a_new_name(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=1, resiliency=ResiliencySpec(resilient_create=True)))
    emu.fail_vm_provisioning(ss.id, 1, "OSProvisioningTimedOut")

    result = await ss.scale(3)

    replaced = emu.resilient_creates(ss.id)
    assert [item["failed"] for item in replaced] == list(result.replaced)
    assert len(result.replaced) == 1
    assert replaced[0]["replacement"] in result.added
    assert result.replaced[0] not in {vm.name for vm in await ss.vms()}
    assert (result.placement.placed, dict(result.placement.failed)) == (3, {})


@pytest.mark.parametrize("face", ["aio"])
async def test_without_resilient_create_a_timed_out_vm_stays_failed(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=1))
    emu.fail_vm_provisioning(ss.id, 1, "OSProvisioningTimedOut")

    result = await ss.scale(3)

    assert result.replaced == ()
    assert list(result.placement.failed.values()) == ["OSProvisioningTimedOut"]
    assert result.placement.placed == 2
    assert emu.resilient_creates(ss.id) == []


@pytest.mark.parametrize("face", ["aio"])
async def test_resilient_create_does_not_retry_an_allocation_failure(emu, network, make_set):
    ss = make_set("web")
    await ss.create(
        profile_spec(network, capacity=0, zones=("1", "2"), resiliency=ResiliencySpec(resilient_create=True))
    )
    emu.limit_zone_capacity(LOCATION, {"1": 1, "2": 1})
    result = await ss.scale(3)
    assert result.replaced == ()
    assert list(result.placement.failed.values()) == ["ZonalAllocationFailed"]


@pytest.mark.parametrize("face", ["aio"])
async def test_zone_rebalancing_moves_one_vm_and_the_audit_finds_what_it_left(emu, network, make_set):
    ss = make_set("web")
    spec = profile_spec(
        network,
        capacity=6,
        zones=("1", "2", "3"),
        health=HealthSpec(),
        resiliency=ResiliencySpec(zone_rebalancing=True),
        network=NetworkSpec(subnet_id=network.subnet_id, outbound="nat_gateway", delete_option="Detach"),
        detach_reason="kept for forensics",
    )
    await ss.create(spec)
    in_zone_3 = [vm.name for vm in await ss.vms() if vm.zone == "3"]
    await ss.delete_vms(in_zone_3)  # flexvmss tags what these leave; 2, 2, 0 now

    moved = emu.simulate_zone_rebalance(ss.id)
    assert moved is not None and moved["to_zone"] == "3" and moved["from_zone"] in ("1", "2")
    zones = sorted(vm.zone or "" for vm in await ss.vms())
    assert sorted(zones) == ["1", "2", "2", "3"] or sorted(zones) == ["1", "1", "2", "3"]
    assert emu.simulate_zone_rebalance(ss.id) is None  # nothing to move, and too soon anyway

    audit = await ss.audit()
    left = {item.name for item in audit.leftovers}
    assert any(name.startswith("web-nic-") for name in left)  # the moved VM's NIC, by name
    assert len([i for i in audit.leftovers if i.kind == "network interface"]) == 3


@pytest.mark.parametrize("face", ["aio"])
async def test_zone_rebalancing_needs_the_policy(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=2, zones=("1", "2")))
    with pytest.raises(ValueError, match="rebalancing"):
        emu.simulate_zone_rebalance(ss.id)


@pytest.mark.parametrize("face", ["aio"])
async def test_a_failed_batch_delete_is_finished_per_vm_without_resilient_delete(emu, network, make_set):
    from _flexlib import requests_by_route

    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=3))
    names = [vm.name for vm in await ss.vms()][:2]
    emu.fail_vm_deletion(ss.id, 1)

    result = await ss.delete_vms(names)

    # the batch operation failed for one VM: flexvmss deletes the chunk VM by VM (the VM already
    # gone answers 204), and both are confirmed
    assert sorted(result.succeeded) == sorted(names)
    assert requests_by_route(emu, "/virtualMachines/{vmName}", "DELETE") == 2
    assert len(await ss.vms()) == 1
    assert emu.resilient_deletes(ss.id) == []


@pytest.mark.parametrize("face", ["aio"])
async def test_resilient_delete_retries_so_the_batch_delete_is_enough(emu, network, make_set):
    from _flexlib import requests_by_route

    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=3, resiliency=ResiliencySpec(resilient_delete=True)))
    names = [vm.name for vm in await ss.vms()][:2]
    emu.fail_vm_deletion(ss.id, 1, times=3)

    result = await ss.delete_vms(names)

    assert sorted(result.succeeded) == sorted(names)
    assert requests_by_route(emu, "/virtualMachines/{vmName}", "DELETE") == 0
    assert [item["retries"] for item in emu.resilient_deletes(ss.id)] == ["3"]


@pytest.mark.parametrize("face", ["aio"])
async def test_resilient_delete_gives_up_after_five_retries(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=2, resiliency=ResiliencySpec(resilient_delete=True)))
    emu.fail_vm_deletion(ss.id, 1, times=6)
    emu.simulate_scale_in(ss.id, 1)
    report = await ss.placement()
    assert list(report.failed.values()) == ["InternalExecutionError"]
    assert emu.resilient_deletes(ss.id) == []


@pytest.mark.parametrize("face", ["aio"])
async def test_automatic_placement_keeps_to_the_max_zone_count_and_off_excluded_zones(emu, network, make_set):
    ss = make_set("web")
    spec = profile_spec(
        network,
        capacity=0,
        zone_placement=ZonePlacementSpec(
            exclude_zones=("1",), max_zone_count=1, max_instance_percent_per_zone=100
        ),
    )
    await ss.create(spec)
    report = (await ss.scale(3)).placement
    assert dict(report.per_zone) == {"2": 3}  # one zone, never the excluded one
    emu.limit_zone_capacity(LOCATION, {"2": 3})
    report = (await ss.scale(4)).placement
    assert (report.placed, list(report.failed.values())) == (3, ["ZonalAllocationFailed"])


def test_the_admin_api_drives_the_platforms_own_moves(emu, network):
    import requests

    from flexvmss._specs import render_scale_set_body

    spec = profile_spec(
        network,
        capacity=0,
        zones=("1", "2"),
        health=HealthSpec(),
        resiliency=ResiliencySpec(zone_rebalancing=True),
    )
    made = (
        emu.clients()
        .compute.virtual_machine_scale_sets.begin_create_or_update(
            "rg-flex", "web", render_scale_set_body(spec, name="web")
        )
        .result()
    )
    session = requests.Session()
    session.trust_env = False
    session.verify = emu.ca_file
    session.headers.update(emu.admin_headers())

    def post(route, body):
        return session.post(f"{emu.base_url}/_emulator/compute/{route}", json=body)

    assert post("zone-capacity", {"location": LOCATION, "limits": {"1": 1}}).status_code == 200
    assert post("zone-capacity", {"location": LOCATION, "limits": {"1": -1}}).status_code == 400
    assert post("fail-provisioning", {"scaleSetId": made.id, "count": 1}).status_code == 200
    assert post("fail-deletion", {"scaleSetId": made.id, "times": 0}).status_code == 400
    assert post("zone-rebalance", {"scaleSetId": made.id}).json() == {"moved": None}
    assert post("zone-rebalance", {}).status_code == 400
    assert post("no-such-thing", {}).status_code == 404
