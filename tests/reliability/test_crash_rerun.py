"""Crash and rerun, quick form: create, deallocate and teardown each SIGKILLed in a subprocess
before its first write, between writes and after its last write (placed by the writes the
emulator served), then rerun to completion; after every kill the end state is verified from the
emulator's truth. ``make soak`` runs more kill points and cycles."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from crash_rerun import PLACEMENTS, SET_NAME, KillSwitch, kill_at, run_crash_cycle

from flexvmss.emulator import Emulator

SEED = 4242


@pytest.fixture(scope="module")
def crash_emulator() -> Iterator[Emulator]:
    with Emulator(time_scale=0.005, page_size=100, seed=SEED) as emu:
        yield emu


def test_every_kill_is_rerun_checked_and_converges_at_every_placement(crash_emulator):
    report = run_crash_cycle(
        crash_emulator,
        seed=SEED,
        capacity=6,
        # every placement for deallocate, one kill between writes for the others (each kill
        # costs two interpreter starts)
        kills_per_command={"create": 1, "deallocate": 3, "teardown": 1},
        log=lambda m: print(m, file=sys.stderr),
    )
    out = report.as_dict()

    assert report.findings == []
    assert out["kills"] == out["reruns"] == out["checks"] == out["convergences"] == 5, out["kills_detail"]
    for command in ("create", "deallocate", "teardown"):
        assert out["by_command"][command]["convergences"] >= 1, out["by_command"]
    # kills land before the first write, between writes and after the last one
    for where in PLACEMENTS:
        assert out["by_placement"][where]["kills"] >= 1, out["by_placement"]
    assert out["writes_per_clean_run"]["deallocate"] == 6


def test_the_kill_switch_kills_at_the_write_count_it_is_armed_with(crash_emulator):
    """The switch refuses the request that meets its count and kills the process: the emulator
    has served exactly k writes of the killed run."""
    from soak_scenario import build_world

    crash_emulator.reset()
    world = build_world(crash_emulator)
    switch = KillSwitch(crash_emulator)
    try:
        args = ["create", "--subnet", world.subnet_id, "--capacity", "2"]
        kill = kill_at(crash_emulator, switch, args, 0)
        assert kill["killed"] and kill["writes_at_kill"] == 0
        assert switch.writes == 0
    finally:
        switch.remove()


async def test_the_end_state_checks_find_a_vm_off_target_a_stray_vm_and_a_nic_left_behind(emu):
    """The checks that follow every rerun can fail: a VM not in the promised state, a VM outside
    the set (a duplicate) and a NIC no VM holds are each named."""
    from crash_rerun import _teardown_findings, _vm_findings
    from soak_scenario import RG, build_world, clients_for, profile_spec, vm_spec

    import flexvmss.aio

    world = build_world(emu)
    clients = clients_for(emu)
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, SET_NAME, clients=clients)
    try:
        await ss.create(profile_spec(world.subnet_id, 3))
        assert _vm_findings(emu, world, 3, "running") == []
        await ss.deallocate([(await ss.vms())[0].name])
        await ss.add_vms([vm_spec(world.subnet_id, "extra")])  # joins the set: 4, not 3
    finally:
        await ss.close()
        await clients.close()
    c = emu.clients()
    try:
        c.network.network_interfaces.begin_create_or_update(
            RG,
            "stray-nic",
            {
                "location": "westeurope",
                "properties": {
                    "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": world.subnet_id}}}]
                },
            },
        ).result()
    finally:
        c.close()

    found = " | ".join(_vm_findings(emu, world, 3, "running"))
    assert "4 VMs in the set, expected 3" in found
    assert "not running" in found
    assert "NIC stray-nic belongs to no VM" in found
    assert any("stray-nic" in f for f in _teardown_findings(emu, world))
