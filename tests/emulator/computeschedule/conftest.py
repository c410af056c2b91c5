"""Fixtures for the ScheduledActions tests: one HTTPS emulator on a manual clock for the
session (the stock azure-mgmt-computeschedule clients answer synchronously, so a clock that
only moves when told is enough), reset and given three running VMs before each test."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from schedule_world import build_world

from flexvmss.emulator import Emulator


@pytest.fixture(scope="session")
def _sched_server() -> Iterator[Emulator]:
    # realism off: these tests check the VM state the schedule leaves at each step, which the
    # visibility lag would hide for a few emulated seconds (test_realism.py tests the lag itself)
    with Emulator(manual_clock=True, seed=3, realism="off") as emu:
        yield emu


@pytest.fixture
def emu(_sched_server: Emulator) -> Emulator:
    """The session's emulator, reset: no state, no faults, throttling off, clock where it was."""
    _sched_server.clear_faults()
    _sched_server.set_throttle("off")
    _sched_server.reset()
    return _sched_server


@pytest.fixture
def vms(emu: Emulator) -> list[str]:
    """Three running VMs (``vm0``..``vm2``) in ``eastus``, hibernation enabled."""
    return build_world(emu, 3, hibernation=True)


SdkCall = Callable[..., Any]


@pytest.fixture(params=["sync", "aio"])
def sdk(request: pytest.FixtureRequest, emu: Emulator) -> Iterator[SdkCall]:
    """``sdk("virtual_machines_execute_start", location, body)``: one call of the stock
    ``ComputeScheduleMgmtClient``'s ``scheduled_actions`` operations, sync or async."""
    if request.param == "sync":
        from azure.mgmt.computeschedule import ComputeScheduleMgmtClient

        client = ComputeScheduleMgmtClient(emu.credential, emu.subscription_id, **emu.client_kwargs())

        def call(name: str, *args: Any) -> Any:
            return getattr(client.scheduled_actions, name)(*args)

        yield call
        client.close()
        return

    from azure.mgmt.computeschedule.aio import ComputeScheduleMgmtClient as AioClient

    def call_aio(name: str, *args: Any) -> Any:
        async def go() -> Any:
            async with AioClient(
                emu.async_credential, emu.subscription_id, **emu.client_kwargs(aio=True)
            ) as c:
                return await getattr(c.scheduled_actions, name)(*args)

        return asyncio.run(go())

    yield call_aio
