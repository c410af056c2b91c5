"""The fan-out over HTTPS against the emulator: stock azure-mgmt aio clients built by
flexvmss._arm, Azure's throttling model on, requests counted by the emulator itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _backend_support import clients as emulator_clients

from flexvmss import emulator  # a plain import: a broken emulator fails these tests, never skips them
from flexvmss._arm import ArmClients
from flexvmss._fanout import Expectation, FanOut
from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, Secret, render_scale_set_body

RG = "fanout"
LOC = "eastus"
SET = "web"
N_VMS = 50
TIME_SCALE = 0.002  # a 60 s deallocate takes 0.12 s


def _vmss_body(subnet_id: str, capacity: int) -> dict[str, Any]:
    spec = ScaleSetSpec(
        location=LOC,
        vm_size="Standard_D2s_v5",
        capacity=capacity,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        admin_password=Secret("Xx1!" * 4),
    )
    return render_scale_set_body(spec, name=SET)


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with emulator.Emulator(time_scale=TIME_SCALE, seed=3) as emu:
        yield emu


@pytest.fixture
def scale_set(emu: Any) -> tuple[str, list[str]]:
    """A Flexible set of N_VMS running VMs; throttling model on, counters and faults fresh."""
    emu.reset()
    emu.clear_faults()
    emu.set_throttle(None)
    c = emu.clients()
    try:
        # profile-created Flex VMs need explicit outbound access: a NAT gateway on the subnet
        subnet_id = emu.create_network(RG, LOC).subnet_id
        vmss = c.compute.virtual_machine_scale_sets.begin_create_or_update(
            RG, SET, _vmss_body(subnet_id, N_VMS)
        ).result()
        names = sorted(
            vm.name
            for vm in c.compute.virtual_machines.list(
                RG, filter=f"'virtualMachineScaleSet/id' eq '{vmss.id}'"
            )
        )
    finally:
        c.close()
    assert len(names) == N_VMS
    emu.set_throttle("azure")
    return vmss.id, names


async def _deallocate(clients: ArmClients, set_id: str, names: list[str], **fanout: Any) -> Any:
    async def begin(name: str, polling: Any) -> Any:
        poller = await clients.compute.virtual_machines.begin_deallocate(RG, name, polling=polling)
        return await poller.result()

    engine = FanOut(clients, min_interval=0.02, **fanout)
    return await engine.run(
        "deallocate",
        names,
        begin,
        expect=Expectation.power("deallocated"),
        scale_set_id=set_id,
        resource_group=RG,
    )


def _power_states(emu: Any, set_id: str) -> dict[str, str]:
    """Each member's power state, from a GET of the VM: the emulator's realism may serve a list
    read a VM's former state up to 15 s after it changed, and a batch may end sooner than that."""
    c = emu.clients()
    try:
        members = c.compute.virtual_machines.list(RG, filter=f"'virtualMachineScaleSet/id' eq '{set_id}'")
        names = [vm.name for vm in members]
        states = {}
        for name in names:
            vm = c.compute.virtual_machines.get(RG, name, expand="instanceView")
            states[name] = next(
                s.code for s in vm.instance_view.statuses if s.code.startswith("PowerState/")
            )
        return states
    finally:
        c.close()


async def test_deallocating_a_set_costs_one_action_and_one_status_read_per_vm_and_a_few_lists(emu, scale_set):
    set_id, names = scale_set
    before = emu.counters()
    clients = emulator_clients(emu)
    try:
        result = await _deallocate(clients, set_id, names, concurrency=20)
    finally:
        await clients.close()
    after = emu.counters()
    spent = {
        k: after["by_op_class"].get(k, 0) - before["by_op_class"].get(k, 0) for k in after["by_op_class"]
    }

    assert result.succeeded == names, result.summary()
    assert set(_power_states(emu, set_id).values()) == {"PowerState/deallocated"}
    assert spent["action"] == N_VMS  # one POST per VM, nothing re-sent
    # each VM confirmed by its operation's status, read about once, when the list showed it done
    assert N_VMS <= spent["poll"] <= 1.3 * N_VMS
    assert 1 <= spent["list"] <= 15
    # flexvmss counted what the emulator served
    assert result.requests["action"] == spent["action"]
    assert result.requests["list"] == spent["list"]
    assert after["throttled"]["total"] == before["throttled"]["total"] == result.throttled == 0


async def test_a_429_storm_is_waited_out_and_every_vm_still_succeeds(emu, scale_set):
    set_id, names = scale_set
    emu.add_fault(
        emulator.FaultRule(
            kind="status", status=429, op_class="action", probability=0.3, code="TooManyRequests"
        )
    )
    before = emu.counters()
    clients = emulator_clients(emu, mode="wait")
    events: list[Any] = []
    try:
        result = await _deallocate(clients, set_id, names, concurrency=20, on_event=events.append)
    finally:
        await clients.close()
    after = emu.counters()
    injected = after["faults"].get("status", 0) - before["faults"].get("status", 0)

    assert result.succeeded == names, result.summary()
    assert result.throttled == injected > 0  # every 429 the emulator sent was seen, none invented
    throttled_events = [e for e in events if e.kind == "throttled"]
    assert len(throttled_events) == injected
    assert {e.vm for e in throttled_events} <= set(names)
    sent_actions = after["by_op_class"]["action"] - before["by_op_class"].get("action", 0)
    assert sent_actions == N_VMS + result.throttled  # each 429 re-sent exactly once more
    assert set(_power_states(emu, set_id).values()) == {"PowerState/deallocated"}


async def test_fail_fast_reports_throttled_vms_without_hammering(emu, scale_set):
    set_id, names = scale_set
    emu.add_fault(emulator.FaultRule(kind="status", status=429, op_class="action", nth=5))
    clients = emulator_clients(emu, mode="fail_fast")
    try:
        result = await _deallocate(clients, set_id, names, concurrency=1)
    finally:
        await clients.close()
    assert result.failed, result.summary()
    assert all(result.results[n].error.code in ("TooManyRequests", "ClientThrottled") for n in result.failed)
    assert names[4] in result.failed  # the VM whose request got the 429 carries it
    assert len(result.succeeded) + len(result.failed) == N_VMS
