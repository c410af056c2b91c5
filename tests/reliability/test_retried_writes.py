"""Writes whose answer is lost (the connection drops after Azure acted) are re-sent by the
transient retry. The re-sent write must neither duplicate anything nor turn a success into a
reported failure: creates, scale and deletes converge to one resource, truthfully reported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from soak_scenario import (
    LOCATION,
    RG,
    _duplicates,
    _states,
    build_world,
    clients_for,
    profile_spec,
    vm_spec as make_vm_spec,
)

import flexvmss.aio
from flexvmss import ScaleSetSpec
from flexvmss.emulator import FaultRule


@pytest.fixture
async def flex(emu) -> AsyncIterator[tuple[Any, str]]:
    world = build_world(emu)
    clients = clients_for(emu)
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "web", clients=clients)
    yield ss, world.subnet_id
    await ss.close()
    await clients.close()


def _vm_puts(emu, name: str) -> int:
    routes = emu.counters()["by_route"]
    return sum(n for route, n in routes.items() if route.startswith("PUT ") and route.endswith("/{vmName}"))


async def test_a_set_create_whose_answer_was_dropped_creates_one_set(emu, flex):
    ss, subnet = flex
    emu.add_fault(FaultRule(kind="drop", method="PUT", path=r"/virtualMachineScaleSets/web$", nth=1))
    info = await ss.create(profile_spec(subnet, 3))
    assert info.provisioning_state == "Succeeded"
    emu.complete_all()
    assert len(_states(emu, ss.id)) == 3
    assert _duplicates(emu) == []


async def test_a_scale_whose_answer_was_dropped_lands_once(emu, flex):
    ss, subnet = flex
    await ss.create(profile_spec(subnet, 2))
    emu.add_fault(FaultRule(kind="drop", method="PATCH", path=r"/virtualMachineScaleSets/web$", nth=1))
    info = await ss.scale_to(4)
    emu.complete_all()
    assert info.capacity == 4
    assert len(_states(emu, ss.id)) == 4
    assert _duplicates(emu) == []


async def test_a_vm_delete_whose_answer_was_dropped_is_reported_deleted(emu, flex):
    ss, subnet = flex
    await ss.create(profile_spec(subnet, 3))
    victim = sorted(_states(emu, ss.id))[0]
    emu.add_fault(FaultRule(kind="drop", method="POST", path=r"/delete$", nth=1))
    emu.add_fault(FaultRule(kind="drop", method="DELETE", path=rf"/virtualMachines/{victim}$", nth=1))
    result = await ss.delete_vms([victim])
    emu.complete_all()
    assert result.succeeded == [victim]
    # the truth is the emulator's inventory: a list read may still show a VM just deleted
    left = [str(r["id"]).lower() for r in emu.inventory()["resources"]]
    assert not [i for i in left if i.endswith(f"/virtualmachines/{victim}".lower())]


async def test_a_vm_create_whose_answer_was_dropped_is_reported_created_once(emu, flex):
    ss, subnet = flex
    await ss.create(ScaleSetSpec(location=LOCATION))
    emu.add_fault(FaultRule(kind="drop", method="PUT", path=r"/virtualMachines/a1$", nth=1))
    puts = _vm_puts(emu, "a1")
    result = await ss.add_vms([make_vm_spec(subnet, "a1"), make_vm_spec(subnet, "a2")])
    emu.complete_all()
    assert _duplicates(emu) == []
    assert sorted(_states(emu, ss.id)) == ["a1", "a2"]
    assert _vm_puts(emu, "a1") - puts >= 2  # the drop made the client send it again
    assert sorted(result.succeeded) == ["a1", "a2"], {n: str(e) for n, e in result.errors.items()}
