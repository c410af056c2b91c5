"""Spot lifecycle: Regular, Spot running and Spot evicted VMs counted against the priority mix,
through the emulator's eviction simulation; evicted VMs replaced to the mix or cleaned up;
both faces."""

from __future__ import annotations

import asyncio

import pytest
from _flexlib import profile_spec

from flexvmss import PriorityMixSpec, SpotSpec


def spot_spec(network, capacity=6, eviction_policy="Deallocate"):
    return profile_spec(
        network,
        capacity=capacity,
        priority="Spot",
        spot=SpotSpec(eviction_policy=eviction_policy, max_price=-1.0),
        priority_mix=PriorityMixSpec(base_regular_count=2, regular_percentage_above_base=50),
    )


async def evict(emu, ss, count):
    spot = [vm.name for vm in await ss.vms() if vm.priority == "Spot"][:count]
    result = await ss.simulate_eviction(spot)
    assert sorted(result.succeeded) == sorted(spot)
    emu.advance(60)
    return spot


async def test_spot_status_counts_evicted_vms_against_the_mix(emu, network, make_set):
    ss = make_set("web")
    await ss.create(spot_spec(network))
    status = await ss.spot_status()
    assert (status.capacity, status.regular, status.spot_running, status.spot_evicted) == (6, 4, 2, 0)
    assert (status.wanted_regular, status.wanted_spot) == (4, 2)
    assert status.eviction_policy == "Deallocate"
    assert status.useful == 6

    evicted = await evict(emu, ss, 1)
    status = await ss.spot_status()
    assert (status.regular, status.spot_running, status.spot_evicted) == (4, 1, 1)
    assert status.evicted == tuple(evicted)
    assert status.capacity == 6  # an evicted, deallocated VM still counts toward capacity
    assert status.useful == 5


async def settled_status(ss, check, reads=20):
    """``spot_status()`` once ``check`` holds: it reads the VM list, which may lag a change by a
    round (Azure's lists are eventually consistent, and so are the emulator's with realism on)."""
    for _ in range(reads):
        status = await ss.spot_status()
        if check(status):
            break
        await asyncio.sleep(0.02)  # 20 emulated seconds: past the emulator's stale-list window
    return status


async def test_replace_evicted_deletes_and_recreates_to_the_mix(emu, network, make_set):
    ss = make_set("web")
    await ss.create(spot_spec(network))
    evicted = await evict(emu, ss, 2)

    replaced = await ss.replace_evicted()
    assert sorted(replaced.deleted.succeeded) == sorted(evicted)
    assert replaced.scale_set is not None and replaced.scale_set.capacity == 6
    names = {vm.name for vm in await ss.vms()}
    assert not names & set(evicted)
    status = await settled_status(ss, lambda s: (s.regular, s.spot_running, s.spot_evicted) == (4, 2, 0))
    assert (status.regular, status.spot_running, status.spot_evicted) == (4, 2, 0)


@pytest.mark.parametrize("face", ["aio"])
async def test_replace_evicted_without_recreate_only_cleans_up(emu, network, make_set):
    ss = make_set("web")
    await ss.create(spot_spec(network))
    evicted = await evict(emu, ss, 1)
    replaced = await ss.replace_evicted(recreate=False)
    assert replaced.deleted.succeeded == evicted
    assert replaced.scale_set is None
    status = await settled_status(ss, lambda s: (s.capacity, s.spot_evicted, s.useful) == (5, 0, 5))
    assert (status.capacity, status.spot_evicted, status.useful) == (5, 0, 5)


@pytest.mark.parametrize("face", ["aio"])
async def test_nothing_evicted_nothing_replaced(emu, network, make_set):
    ss = make_set("web")
    await ss.create(spot_spec(network, capacity=3))
    replaced = await ss.replace_evicted()
    assert replaced.deleted.results == {} and replaced.scale_set is None


@pytest.mark.parametrize("face", ["aio"])
async def test_eviction_with_delete_shrinks_the_set_and_the_status_says_so(emu, network, make_set):
    ss = make_set("web")
    await ss.create(spot_spec(network, capacity=4, eviction_policy="Delete"))
    await evict(emu, ss, 1)
    status = await ss.spot_status()
    assert (status.capacity, status.spot_evicted, status.eviction_policy) == (3, 0, "Delete")


@pytest.mark.parametrize("face", ["aio"])
async def test_simulated_eviction_of_a_regular_vm_is_refused_per_vm(emu, network, make_set):
    ss = make_set("web")
    await ss.create(spot_spec(network, capacity=3))
    regular = [vm.name for vm in await ss.vms() if vm.priority == "Regular"][:1]
    result = await ss.simulate_eviction(regular)
    assert result.failed == regular
    assert result.results[regular[0]].error.code == "OperationNotAllowed"
