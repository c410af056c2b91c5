"""The soak in its quick form: a 100-VM set, every fan-out operation and an ordered teardown
while the emulator injects the issue's fault mix from a recorded seed. ``make soak`` runs the
full form (1,000 VMs, bench/soak.py)."""

from __future__ import annotations

import asyncio
import sys

from soak_scenario import RG, build_world, clients_for, profile_spec, run_soak

import flexvmss.aio
from flexvmss.emulator import FaultRule

SEED = 20261127


async def test_a_100_vm_set_under_faults_reports_truthfully_and_leaks_nothing(emu):
    report = await run_soak(emu, vms=100, seed=SEED, spot=4, log=lambda m: print(m, file=sys.stderr))

    assert sum(report.faults_injected.values()) > 0, "the fault mix must actually fire"
    assert report.untyped_errors == []
    assert report.mismatches == []
    assert report.duplicates == []
    assert report.leaked == []
    assert report.outsiders_touched == []
    assert report.vms_affected >= 100


async def test_a_reimage_resent_after_a_dropped_answer_leaves_the_vm_running(emu):
    world = build_world(emu)
    clients = clients_for(emu)
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "one", clients=clients)
    try:
        await ss.create(profile_spec(world.subnet_id, 1))
        emu.add_fault(FaultRule(kind="drop", method="POST", path="/reimage$", nth=1))
        result = await ss.reimage()
        assert result.ok
        emu.clear_faults()
        await asyncio.sleep(0.2)  # 200 emulated seconds: every operation is long done
        assert [vm.power_state for vm in await ss.vms(instance_view=True)] == ["running"]
    finally:
        await ss.close()
        await clients.close()
