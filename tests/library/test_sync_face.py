"""What is particular to the sync face: one background loop for everything, and Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from _flexlib import clients_for, profile_spec

import flexvmss
from flexvmss import _sync


def test_many_sets_and_many_vms_share_one_background_thread(emu, network):
    before = threading.active_count()
    sets = [
        flexvmss.FlexScaleSet(emu.subscription_id, "rg-flex", f"s{i}", clients=clients_for(emu))
        for i in range(3)
    ]
    try:
        sets[0].create(profile_spec(network, capacity=40))
        peak = [threading.active_count()]
        result = sets[0].deallocate(on_event=lambda _e: peak.append(threading.active_count()))
        assert len(result.succeeded) == 40
        for ss in sets[1:]:
            assert ss.exists() is False
        # 40 operations in flight ran as coroutines on the one portal thread, not 40 threads
        # (the few extra threads are aiohttp's DNS resolver pool)
        assert max(peak) - before < 40 // 2
    finally:
        for ss in sets:
            ss.close()
            _sync.run_sync(ss.aio._clients.close)


def test_the_sync_face_works_as_a_context_manager(emu, network):
    with flexvmss.FlexScaleSet(emu.subscription_id, "rg-flex", "ctx", clients=clients_for(emu)) as ss:
        assert ss.exists() is False
        assert ss.id.endswith("/virtualMachineScaleSets/ctx")
        assert ss.name == "ctx" and ss.resource_group == "rg-flex"
        clients = ss.aio._clients
    _sync.run_sync(clients.close)


_CTRL_C = """
import os, signal, sys
sys.path.insert(0, {helpers!r})
from _flexlib import build_network, clients_for, profile_spec
import flexvmss
from flexvmss.emulator import Emulator

with Emulator(time_scale=0.01) as emu:
    net = build_network(emu)
    ss = flexvmss.FlexScaleSet(emu.subscription_id, "rg-flex", "web", clients=clients_for(emu))
    ss.create(profile_spec(net, capacity=6))
    sent = []

    def on_event(event):
        if event.kind == "started" and not sent:
            sent.append(event.vm)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the batch runs

    try:
        ss.deallocate(on_event=on_event, concurrency=1)
    except flexvmss.Interrupted as exc:
        r = exc.result
        print("INTERRUPTED", r.interrupted, len(r.results), len(r.succeeded), len(r.not_started))
    else:
        print("NOT INTERRUPTED")
"""


@pytest.mark.parametrize("face", ["sync"])
def test_ctrl_c_cancels_the_batch_and_reports_the_partial_result(face):
    script = _CTRL_C.format(helpers=str(Path(__file__).parent))
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    reports = [ln for ln in out.stdout.splitlines() if ln.startswith(("INTERRUPTED", "NOT"))]
    line = reports[0] if reports else out.stderr[-2000:]
    words = line.split()
    assert words[0] == "INTERRUPTED", line
    interrupted, total, succeeded, not_started = words[1], int(words[2]), int(words[3]), int(words[4])
    assert interrupted == "cancelled"
    assert total == 6
    assert succeeded < 6 and not_started >= 1  # it stopped issuing new work


def test_async_iterators_become_plain_iterators():
    class Core:
        async def numbers(self, n: int):
            """Count to n."""
            for i in range(n):
                yield i

        async def pager(self):
            return Core().numbers(3)

    class Face:
        def __init__(self) -> None:
            self._core = Core()

    Face.numbers = _sync._make_sync(Core.numbers)
    Face.pager = _sync._make_sync(Core.pager)
    face = Face()
    assert list(face.numbers(4)) == [0, 1, 2, 3]
    assert list(face.pager()) == [0, 1, 2]
    assert Face.numbers.__doc__ == "Count to n."
