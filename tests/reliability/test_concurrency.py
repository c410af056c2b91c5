"""Two processes on one set at once: one scales it out, the other deallocates every VM. Both
end with reports that match the set's real state, and the ETag conflict (412) the scaler meets
is resolved by re-reading the set, never by overwriting the other writer's change."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from crash_rerun import SET_NAME, _command, _env
from soak_scenario import RG, build_world, clients_for, profile_spec

import flexvmss.aio
from flexvmss.emulator import Emulator

SET_PATH = re.compile(rf"/virtualMachineScaleSets/{SET_NAME}$", re.I)


class ConcurrentWriter:
    """Before the first PATCH of the set from flexvmss is served, another writer changes the
    set (a tags PATCH without If-Match): the first PATCH then meets a real 412 from the
    emulator's ETag check. Test instrumentation on the in-process emulator's dispatcher."""

    def __init__(self, emu: Emulator) -> None:
        self.fired = 0
        inner = emu.dispatcher.handle

        def handle(method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
            if (
                method.upper() == "PATCH"
                and SET_PATH.search(path)
                and "If-Match" in headers
                and not self.fired
            ):
                self.fired += 1
                other = {k: v for k, v in headers.items() if k.lower() not in ("if-match", "content-length")}
                inner(
                    "PATCH", path, query, other, json.dumps({"tags": {"owner": "the-other-writer"}}).encode()
                )
            return inner(method, path, query, headers, body)

        emu.dispatcher.handle = handle  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def shared() -> Iterator[Emulator]:
    with Emulator(time_scale=0.01, seed=17) as emu:
        yield emu


@pytest.mark.parametrize(("start", "target"), [(6, 10), (10, 4)], ids=["scale-out", "scale-in"])
def test_a_scaler_and_a_deallocator_at_once_both_report_the_truth(shared, start, target):
    emu = shared
    emu.reset()
    world = build_world(emu)

    async def make() -> None:
        clients = clients_for(emu)
        async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, SET_NAME, clients=clients) as ss:
            await ss.create(profile_spec(world.subnet_id, start))
        await clients.close()

    asyncio.run(make())
    emu.complete_all()
    writer = ConcurrentWriter(emu)
    before = emu.counters()

    procs = [
        subprocess.Popen(
            _command(emu, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
        )
        for args in (["scale", "--capacity", str(target)], ["deallocate"])
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    (scale_out, scale_err), (dealloc_out, dealloc_err) = outputs
    scaled = json.loads(scale_out.strip().splitlines()[-1])
    deallocated = json.loads(dealloc_out.strip().splitlines()[-1])
    assert procs[0].returncode == 0, (scaled, scale_err[-2000:])
    assert procs[1].returncode in (0, 3), (deallocated, dealloc_err[-2000:])

    emu.complete_all()
    after = emu.counters()
    c = emu.clients()
    try:
        vmss = c.compute.virtual_machine_scale_sets.get(RG, SET_NAME)
        members = {
            vm.name: [s.code for s in vm.instance_view.statuses or []]
            for vm in c.compute.virtual_machines.list(
                RG, filter=f"'virtualMachineScaleSet/id' eq '{vmss.id}'", expand="instanceView"
            )
        }
    finally:
        c.close()

    # the scaler: a 412 met and resolved by reading again, the other writer's change kept
    assert writer.fired == 1
    assert int(after["by_status"].get("412", 0)) - int(before["by_status"].get("412", 0)) >= 1
    patches = sum(
        n - before["by_route"].get(route, 0)
        for route, n in after["by_route"].items()
        if route.startswith("PATCH ") and route.endswith("/virtualMachineScaleSets/{vmScaleSetName}")
    )
    assert patches >= 3  # the other writer's, the refused one, the re-applied one
    assert scaled["capacity"] == target == vmss.sku.capacity
    assert (vmss.tags or {}).get("owner") == "the-other-writer"
    assert len(members) == target

    # the deallocator: what it says it deallocated is deallocated; what failed says why
    results = deallocated["results"]
    assert len(results) >= min(start, target), deallocated
    for name, (outcome, code) in results.items():
        if outcome == "succeeded":
            # deallocated, or deleted since by the scaler's scale-in
            assert name not in members or "PowerState/deallocated" in members[name], (name, members[name])
        else:
            # a typed refusal (a VM being created, or deleted by the scale-in), and not silently done
            assert outcome == "failed" and code, (name, outcome, code)
            assert name not in members or "PowerState/deallocated" not in members[name], (name, code)
