"""Fixtures for the facade's behaviour tests: a fast emulator, a network to build on, and both
faces of FlexScaleSet behind one awaitable interface.

Every test runs twice, once per face: ``face="aio"`` awaits :class:`flexvmss.aio.FlexScaleSet`
directly; ``face="sync"`` calls the blocking :class:`flexvmss.FlexScaleSet` from a worker
thread (``asyncio.to_thread``), so the same test body drives both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from _flexlib import RG, TIME_SCALE, Face, Network, build_network, clients_for

from flexvmss.emulator import Emulator


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    with Emulator(time_scale=TIME_SCALE, page_size=100) as emu:
        yield emu


@pytest.fixture
def emu(emulator_server: Emulator) -> Emulator:
    """The session emulator, clean: no state, no faults, throttling off. The facade's own
    waits (NIC reservation retries, vanish polls) run at the emulator's time scale through
    the clients' ThrottleConfig (see clients_for), not by patching the library."""
    emulator_server.clear_faults()
    emulator_server.set_throttle("off")
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def network(emu: Emulator) -> Network:
    return build_network(emu)


@pytest.fixture(params=["aio", "sync"])
def face(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_set(emu: Emulator, face: str) -> AsyncIterator[Any]:
    """``make_set(name, **kwargs)`` -> a Face over a FlexScaleSet in :data:`RG` on the emulator."""
    import flexvmss
    import flexvmss.aio
    from flexvmss._sync import run_sync

    made: list[tuple[Any, Any]] = []

    def make(name: str = "web", *, resource_group: str = RG, **kwargs: Any) -> Face:
        clients = clients_for(emu)
        cls = flexvmss.FlexScaleSet if face == "sync" else flexvmss.aio.FlexScaleSet
        scale_set = cls(emu.subscription_id, resource_group, name, clients=clients, **kwargs)
        made.append((scale_set, clients))
        return Face(scale_set, sync=face == "sync")

    yield make
    for scale_set, clients in made:
        if face == "sync":
            scale_set.close()
            await asyncio.to_thread(run_sync, clients.close)
        else:
            await scale_set.close()
            await clients.close()
