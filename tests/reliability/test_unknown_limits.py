"""Throttling proven against limits the library does not know (issue 17, point 3).

The library carries Azure's published tables, and so does the emulator: a run on those limits
proves the pacing partly by construction. Here the emulator enforces other limits
(:class:`~flexvmss.emulator.ThrottleLimits`: every bucket scaled, a different burst and refill)
or lets other callers spend the same buckets, and the library must still deallocate every VM
with no failure and 429s under 1% of its requests, learning the limits only from what Azure
reports (the remaining counts and the 429s).

Each set of limits binds on the set's 150 VMs (more writes than the burst), on a clock slow
enough that the client can outrun the refill (at a time scale of 0.001 the buckets refill faster
than any client sends, and nothing is ever throttled); the library must have waited for them.
Limits larger than the table (doubled) cannot bind on a test-sized set: bench-fanout's rows show
them, with 1,000 VMs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from soak_scenario import LOCATION, RG, clients_for

import flexvmss
import flexvmss.aio
from flexvmss import Outcome
from flexvmss.emulator import Emulator, ThrottleLimits, throttle_lower_bound

#: Slow enough that the client outruns the buckets' refill (tens of requests per second in real
#: time): at 0.001 every bucket refills faster than any client sends and nothing is throttled.
TIME_SCALE = 0.1
N = 150


def _limits(capacity: float, refill: float, **others: float) -> ThrottleLimits:
    named = {k.replace("_", "/", 1): v for k, v in others.items()}
    return ThrottleLimits(capacity=capacity, refill=refill, others=named)


#: Azure's table halved; a smaller burst with another refill; a quarter of the burst shared with
#: other callers who take half the refill. Each binds on 150 VMs (more writes than the burst).
LIMITS = {
    "halved": _limits(0.5, 0.5),
    "burst x0.25, refill x0.3": _limits(0.25, 0.3),
    "others take half the refill": _limits(0.25, 0.5, arm_write=2.5, compute_DeleteVM=2.0),
}


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with Emulator(time_scale=TIME_SCALE, seed=23, realism="azure") as emu:
        yield emu


def _prepare(emu: Emulator, name: str, vms: int) -> list[str]:
    """A set of ``vms`` running VMs, made with the stock clients and throttling off."""
    from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, render_scale_set_body

    emu.set_throttle("off", limits=ThrottleLimits())
    subnet = emu.create_network(RG, LOCATION).subnet_id
    spec = ScaleSetSpec(
        location=LOCATION,
        vm_size="Standard_D2s_v5",
        capacity=vms,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=subnet, outbound="nat_gateway"),
        ssh_public_keys=("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0flexvmslimitskey limits@example",),
    )
    c = emu.clients()
    try:
        scale_set = c.compute.virtual_machine_scale_sets.begin_create_or_update(
            RG, name, render_scale_set_body(spec, name=name)
        ).result()
        emu.complete_all()
        flt = f"'virtualMachineScaleSet/id' eq '{scale_set.id}'"
        return [vm.name for vm in c.compute.virtual_machines.list(RG, filter=flt)]
    finally:
        c.close()


def _deallocated(emu: Emulator, names: list[str]) -> int:
    """How many of ``names`` the emulator's own record shows deallocated (read in process, not
    through a list the emulator's realism may serve stale for 15 s after a change)."""
    from flexvmss.emulator.compute.models.state import vm_state

    emu.complete_all()
    wanted = {name.lower() for name in names}
    with emu.store.lock:
        return sum(
            vm_state(emu.ctx, str(body["id"]))["power"] == "deallocated"
            for body in emu.store.resources.values()
            if str(body.get("type", "")).lower() == "microsoft.compute/virtualmachines"
            and str(body.get("name", "")).lower() in wanted
        )


async def _deallocate(emu: Emulator, face: str, name: str) -> Any:
    from flexvmss._sync import run_sync

    # as a user's stack on the emulator's clock: real-time sleeps (a scaled runtime would
    # shorten the pacer's waits, already in real seconds, a second time)
    arm = clients_for(emu, polling_interval=5.0 * emu.time_scale, scaled=False)
    try:
        if face == "sync":
            with flexvmss.FlexScaleSet(emu.subscription_id, RG, name, clients=arm) as scale_set:
                return await asyncio.to_thread(scale_set.deallocate)
        async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, name, clients=arm) as aio_set:
            return await aio_set.deallocate()
    finally:
        if face == "sync":
            await asyncio.to_thread(run_sync, arm.close)
        else:
            await arm.close()


@pytest.mark.parametrize(
    ("label", "face"),
    [
        # each shape costs 10-15 s of waiting out the refill: the default run keeps the one that
        # binds hardest (a quarter of the burst, half the refill, and other callers spending the
        # same buckets); the plainer shapes run in make test-slow
        pytest.param("halved", "aio", marks=pytest.mark.slow),
        pytest.param("burst x0.25, refill x0.3", "aio", marks=pytest.mark.slow),
        ("others take half the refill", "sync"),
    ],
)
async def test_limits_the_library_does_not_know_are_met_with_few_429s_and_no_failure(
    server: Emulator, label: str, face: str
) -> None:
    assert throttle_lower_bound(N, arm="write", policy="DeleteVM", resources=N, limits=LIMITS[label]) > 0
    server.clear_faults()
    server.reset()
    names = _prepare(server, "web", N)
    server.set_throttle("azure", limits=LIMITS[label])
    before = server.counters()
    result = await _deallocate(server, face, "web")
    after = server.counters()
    requests = after["requests"] - before["requests"]
    throttled = after["throttled"].get("total", 0) - before["throttled"].get("total", 0)
    outcomes = {vm: r.outcome for vm, r in result.results.items()}
    assert sorted(outcomes) == sorted(names)
    assert set(outcomes.values()) == {Outcome.SUCCEEDED}, result.summary()
    assert _deallocated(server, names) == N
    assert result.waited > 0, "the limits never held the library back: the test proves nothing"
    assert throttled < 0.01 * requests, f"{throttled} 429s in {requests} requests under {LIMITS[label]}"
