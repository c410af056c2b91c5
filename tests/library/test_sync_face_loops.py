"""The sync face and the async one across event loops: re-entry, fork, two asyncio.run() calls."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from _flexlib import RG, clients_for, profile_spec

import flexvmss
import flexvmss.aio
from flexvmss import SkuCache
from flexvmss._sync import run_sync


def _own_clients(emu: Any) -> dict[str, Any]:
    """Arguments for a set that builds (and owns) its clients, pointed at the emulator."""
    return {"base_url": emu.base_url, "credential": emu.async_credential, "connection_verify": emu.ca_file}


def test_a_call_from_the_portals_own_loop_raises_instead_of_waiting_for_itself(emu, network):
    with flexvmss.FlexScaleSet(emu.subscription_id, RG, "web", **_own_clients(emu)) as ss:
        ss.create(profile_spec(network, capacity=2))
        caught: list[BaseException] = []

        def on_event(event: flexvmss.ProgressEvent) -> None:
            if not caught:
                try:
                    ss.exists()  # on_event runs on the portal's loop
                except BaseException as exc:
                    caught.append(exc)

        result = ss.deallocate(on_event=on_event)
        assert len(result.succeeded) == 2  # the batch itself went on
    (error,) = caught
    assert isinstance(error, flexvmss.ReentrantCallError)
    assert isinstance(error, flexvmss.FlexError) and isinstance(error, RuntimeError)
    assert error.operation == "exists"
    assert "exists() was called on the sync face's own event loop thread" in str(error)
    assert "after the batch returns" in str(error)  # the fix


def test_one_async_set_serves_two_asyncio_runs(emu, network):
    cache = SkuCache()
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "web", sku_cache=cache, **_own_clients(emu))
    spec = profile_spec(network, capacity=2)

    info = asyncio.run(ss.create(spec))  # clients built on this loop, closed with it
    assert info.capacity == 2

    async def second_run() -> flexvmss.BatchResult:
        cache.invalidate()
        # two preflights at once wait on the SKU cache's lock: this loop's own
        plans = await asyncio.gather(ss.plan_create(spec), ss.plan_create(spec))
        assert all(not [f for f in plan if f.severity == "error"] for plan in plans)
        try:
            return await ss.deallocate()
        finally:
            await ss.close()

    result = asyncio.run(second_run())
    assert sorted(r.outcome for r in result.results.values()) == ["succeeded", "succeeded"]
    assert cache.loads == 2


def test_clients_passed_in_are_not_rebuilt_on_another_loop_but_named_in_an_error(emu, network):
    clients = clients_for(emu)
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "web", clients=clients)
    assert asyncio.run(ss.exists()) is False
    with pytest.raises(flexvmss.InvalidInputError) as caught:
        asyncio.run(ss.exists())
    assert caught.value.field == "clients"
    assert "pass new ones for each loop" in str(caught.value)
    asyncio.run(clients.close())


def test_the_sync_face_and_its_aio_object_can_take_turns(emu, network):
    ss = flexvmss.FlexScaleSet(emu.subscription_id, RG, "web", **_own_clients(emu))
    try:
        ss.create(profile_spec(network, capacity=1))
        assert asyncio.run(ss.aio.exists()) is True  # clients rebuilt on this loop
        assert [vm.name for vm in ss.vms()] == [vm.name for vm in asyncio.run(ss.aio.vms())]
        assert ss.exists() is True
    finally:
        ss.close()


_FORK = """
import gc, os, sys, time
sys.path.insert(0, {helpers!r})
from _flexlib import build_network, profile_spec
import flexvmss
from flexvmss import _sync
from flexvmss.emulator import Emulator

with Emulator(time_scale=0.001) as emu:
    net = build_network(emu)
    ss = flexvmss.FlexScaleSet(
        emu.subscription_id, "rg-flex", "web",
        base_url=emu.base_url, credential=emu.async_credential, connection_verify=emu.ca_file,
    )
    ss.create(profile_spec(net, capacity=2))  # the portal runs, a pooled connection is open
    parent_portal = _sync._state.portal
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            names = sorted(vm.name for vm in ss.vms())  # a real call, on a fresh portal
            fresh = _sync._state.portal not in (None, parent_portal)
            ss.close()
            del ss
            gc.collect()  # what the child drops must not close the parent's sockets
            print("CHILD", len(names), fresh, flush=True)
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60  # a hung child fails the test instead of blocking it
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            print("CHILD HUNG", flush=True)
            sys.exit(1)
        time.sleep(0.05)
    print("CHILD EXIT", os.waitstatus_to_exitcode(status), flush=True)
    # the parent's portal and connections still work after the child used and dropped its copies
    print("PARENT", len(ss.vms()), ss.deallocate().succeeded.__len__(), flush=True)
    ss.close()
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_gets_a_fresh_portal_and_completes_a_call():
    script = _FORK.format(helpers=str(Path(__file__).parent))
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith(("CHILD", "PARENT"))]
    assert lines == ["CHILD 2 True", "CHILD EXIT 0", "PARENT 2 2"], out.stdout + out.stderr[-3000:]


def test_run_sync_still_runs_any_coroutine_function():
    async def add(a: int, *, b: int) -> int:
        return a + b

    assert run_sync(add, 1, b=2) == 3
