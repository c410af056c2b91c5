"""The ScheduledActions client side against the emulator over HTTPS: the stock
azure-mgmt-computeschedule aio client built by flexvmss._arm (the library's pipeline: retries,
throttle gates, request counting), the bodies of flexvmss._fanout._scheduled, the answers read
back with its readers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from flexvmss import emulator  # a plain import: a broken emulator fails these tests, never skips them
from flexvmss._arm import ArmClients, ArmSettings, build_clients
from flexvmss._fanout import _scheduled as sa
from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, Secret, render_scale_set_body
from flexvmss.emulator import computeschedule as schedule

RG = "sched"
LOC = "eastus"
SET = "web"
N_VMS = 5


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with emulator.Emulator(time_scale=0.002, seed=5) as emu:
        yield emu


@pytest.fixture
def vm_ids(emu: Any) -> list[str]:
    emu.reset()
    emu.clear_faults()
    emu.set_throttle("azure")
    spec = ScaleSetSpec(
        location=LOC,
        vm_size="Standard_D2s_v5",
        capacity=N_VMS,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=emu.create_network(RG, LOC).subnet_id, outbound="nat_gateway"),
        admin_password=Secret("Xx1!" * 4),
    )
    c = emu.clients()
    try:
        vmss = c.compute.virtual_machine_scale_sets.begin_create_or_update(
            RG, SET, render_scale_set_body(spec, name=SET)
        ).result()
        ids = sorted(
            vm.id
            for vm in c.compute.virtual_machines.list(
                RG, filter=f"'virtualMachineScaleSet/id' eq '{vmss.id}'"
            )
        )
    finally:
        c.close()
    assert len(ids) == N_VMS
    return ids


def _clients(emu: Any) -> ArmClients:
    return build_clients(
        ArmSettings(
            emu.subscription_id,
            base_url=emu.base_url,
            credential=emu.async_credential,
            connection_verify=emu.ca_file,
            polling_interval=0.05,
        )
    )


async def _wait(clients: ArmClients, op_ids: list[str]) -> list[sa.OperationStatus]:
    ops = clients.compute_schedule.scheduled_actions
    for _ in range(400):
        body = sa.operation_ids_body(op_ids, str(uuid.uuid4()))
        statuses = sa.read_status(await ops.virtual_machines_get_operation_status(LOC, body))
        if all(s.state.terminal for s in statuses):
            return statuses
        await asyncio.sleep(0.02)
    raise AssertionError("the operations did not end")


async def test_a_batch_deallocate_with_one_vm_refused(emu: Any, vm_ids: list[str]) -> None:
    schedule.knobs(emu).refuse([vm_ids[0]], code="OperationConflict")
    clients = _clients(emu)
    try:
        options = sa.ScheduledOptions(optimization="Availability", retry_count=2, retry_window_minutes=30)
        body = sa.execute_body("deallocate", vm_ids, options, str(uuid.uuid4()))
        answer = sa.read_batch_answer(
            await clients.compute_schedule.scheduled_actions.virtual_machines_execute_deallocate(LOC, body)
        )
        assert set(answer.refused) == {vm_ids[0]} and answer.refused[vm_ids[0]][0] == "OperationConflict"
        assert set(answer.accepted) == set(vm_ids[1:])
        statuses = await _wait(clients, list(answer.accepted.values()))
        assert {s.state for s in statuses} == {sa.ScheduledState.SUCCEEDED}, statuses
        assert {s.resource_id for s in statuses} == set(vm_ids[1:])
        # one batch request and status polls; no per-VM request reached Compute's routes
        routes = emu.counters()["by_route"]
        executes = [n for r, n in routes.items() if r.endswith("/virtualMachinesExecuteDeallocate")]
        assert executes == [1]
        assert not [r for r in routes if r.endswith("/deallocate")]
        assert set(clients.requests) == {"action"}
    finally:
        await clients.close()


async def test_an_unregistered_provider_is_reported_as_unavailable(emu: Any, vm_ids: list[str]) -> None:
    schedule.knobs(emu).registered = False
    clients = _clients(emu)
    try:
        body = sa.execute_body("start", vm_ids, sa.ScheduledOptions(), str(uuid.uuid4()))
        with pytest.raises(HttpResponseError) as err:
            await clients.compute_schedule.scheduled_actions.virtual_machines_execute_start(LOC, body)
        assert err.value.status_code == 409 and sa.unavailable(err.value.error.code)
    finally:
        await clients.close()
