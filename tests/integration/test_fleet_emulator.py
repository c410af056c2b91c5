"""Fleets against the emulator, both faces (issue 15, point 3): sets selected by resource
group, tag or name; one throttling state for the subscription; per-set and per-VM results;
progress across sets, not set after set; both backends."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from _backend_support import RG, TIME_SCALE, clients, make_set, power_states, routes

import flexvmss
import flexvmss.aio
from flexvmss import emulator

SIZES = {"alpha": 12, "beta": 12, "gamma": 6}


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with emulator.Emulator(time_scale=TIME_SCALE, seed=16) as emu:
        yield emu


@pytest.fixture
def world(emu: Any) -> dict[str, list[str]]:
    emu.reset()
    emu.clear_faults()
    emu.set_throttle("azure")
    return {
        name: make_set(emu, name, n, tags={"team": "web"} if name != "gamma" else {"team": "batch"})
        for name, n in SIZES.items()
    }


class FleetFace:
    def __init__(self, emu: Any, face: str, **select: Any) -> None:
        self.arm = clients(emu)
        cls = flexvmss.Fleet if face == "sync" else flexvmss.aio.Fleet
        self.fleet = cls(emu.subscription_id, clients=self.arm, **select)
        self.sync = face == "sync"

    async def call(self, method: str, **kwargs: Any) -> Any:
        bound = getattr(self.fleet, method)
        if self.sync:
            return await asyncio.to_thread(bound, **kwargs)
        return await bound(**kwargs)

    async def close(self) -> None:
        from flexvmss._sync import run_sync

        if self.sync:
            await asyncio.to_thread(self.fleet.close)
            await asyncio.to_thread(run_sync, self.arm.close)
        else:
            await self.fleet.close()
            await self.arm.close()


@pytest.fixture(params=["aio", "sync"])
def face(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_resource_groups_sets_deallocate_together_with_fair_progress(
    emu: Any, world: dict[str, list[str]], face: str
) -> None:
    started: list[str] = []

    def on_event(event: flexvmss.ProgressEvent) -> None:
        if event.kind == "started" and event.vm:
            started.append(event.vm.split("/")[1])

    f = FleetFace(emu, face, resource_group=RG)
    try:
        assert await f.call("scale_sets") == [f"{RG}/{name}" for name in sorted(SIZES)]
        result = await f.call("deallocate", concurrency=6, deadline=300, on_event=on_event)
    finally:
        await f.close()

    assert result.ok, result.summary()
    assert list(result.sets) == [f"{RG}/{name}" for name in sorted(SIZES)]
    for name, vms in world.items():
        assert sorted(result.sets[f"{RG}/{name}"].succeeded) == vms
    assert len(result.results) == sum(SIZES.values())
    assert set(power_states(emu).values()) == {"PowerState/deallocated"}
    # every set makes progress from the start: the first third of the requests sent holds VMs
    # of every set (set after set would hold only the first set's). Sends, not completions: when
    # Azure finishes each VM, and when a list round sees it, is Azure's timing, not the fleet's
    first = started[: len(started) // 3]
    assert set(first) == set(SIZES), started


async def test_a_tag_selects_the_sets_and_scheduled_actions_takes_one_request_per_set(
    emu: Any, world: dict[str, list[str]], face: str
) -> None:
    f = FleetFace(emu, face, tag="team=web")
    try:
        result = await f.call("deallocate", backend="scheduled", deadline=300)
    finally:
        await f.close()

    assert result.ok, result.summary()
    assert sorted(result.sets) == [f"{RG}/alpha", f"{RG}/beta"]
    assert all(r.backend == "scheduled" for r in result.results.values())
    assert routes(emu, "/virtualMachinesExecuteDeallocate") == 2
    states = power_states(emu)
    assert {states[n] for n in world["gamma"]} == {"PowerState/running"}


async def test_a_tag_that_selects_no_set_is_not_found_and_nothing_is_sent(
    emu: Any, world: dict[str, list[str]], face: str
) -> None:
    # a mistyped tag value must not be an empty success (an overnight job doing nothing)
    f = FleetFace(emu, face, tag="team=wbe")
    try:
        with pytest.raises(flexvmss.NotFoundError) as caught:
            await f.call("deallocate")
    finally:
        await f.close()
    assert "team=wbe" in str(caught.value)
    assert routes(emu, "/deallocate") == 0
    states = power_states(emu)
    assert {states[n] for names in world.values() for n in names} == {"PowerState/running"}


async def test_a_tag_name_matches_whatever_its_case(emu: Any, world: dict[str, list[str]], face: str) -> None:
    # tag names are case-insensitive, values case-sensitive (tag-resources.md "Limitations")
    f = FleetFace(emu, face, tag="TEAM=batch")
    try:
        result = await f.call("deallocate")
    finally:
        await f.close()
    assert sorted(result.sets) == [f"{RG}/gamma"], result.summary()


async def test_named_sets_share_one_throttling_state_and_report_missing_sets(
    emu: Any, world: dict[str, list[str]], face: str
) -> None:
    f = FleetFace(emu, face, sets=[f"{RG}/gamma", f"{RG}/nosuch"])
    try:
        result = await f.call("start", deadline=300)
        core = f.fleet.aio if f.sync else f.fleet
        members = core._members
        assert len(members) == 2
        assert {id(ss._clients.throttle) for ss in members} == {id(f.arm.throttle)}
    finally:
        await f.close()

    assert list(result.sets) == [f"{RG}/gamma"]
    assert isinstance(result.errors[f"{RG}/nosuch"], flexvmss.NotFoundError)
    assert not result.ok


def test_a_fleet_needs_a_selection() -> None:
    with pytest.raises(flexvmss.InvalidInputError, match="resource_group"):
        flexvmss.aio.Fleet("sub")
    with pytest.raises(flexvmss.InvalidInputError, match="group/name"):
        flexvmss.aio.Fleet("sub", sets=["web"])
