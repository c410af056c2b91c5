"""Crash and rerun, quick form: create, deallocate and teardown each SIGKILLed at seeded
random points in a subprocess, then rerun to completion; the end state is the intended one and
nothing leaks. ``make soak`` runs at least 20 kill points."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from crash_rerun import run_crash_cycle

from flexvmss.emulator import Emulator

SEED = 4242


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator[Emulator]:
    """Operations last long enough (a VM create ~0.5 s real) for a kill to land inside them."""
    with Emulator(time_scale=0.01, page_size=100, seed=SEED) as emu:
        yield emu


def test_killed_commands_converge_when_rerun(slow_emulator):
    report = run_crash_cycle(
        slow_emulator,
        seed=SEED,
        capacity=8,
        kills_per_command=3,
        max_delay=lambda command: {"create": 1.0, "deallocate": 0.4}.get(command, 1.0),
    )

    assert report.findings == []
    assert report.crash_points_survived >= 5, report.kills
    # most kills land after the run has sent writes (a set PUT, VM actions, deletions)
    assert sum(1 for kill in report.kills if kill["killed"] and kill["writes"]) >= 3, report.kills
