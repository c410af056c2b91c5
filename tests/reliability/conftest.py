"""Fixtures for the reliability tests: an emulator on a fast clock, the soak helpers on the path."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from flexvmss.emulator import Emulator

#: Real seconds per emulated second: a 45 s VM create takes 45 ms.
TIME_SCALE = 0.001


@pytest.fixture(scope="module")
def emulator_server() -> Iterator[Emulator]:
    with Emulator(time_scale=TIME_SCALE, page_size=100, seed=7) as emu:
        yield emu


@pytest.fixture
def emu(emulator_server: Emulator) -> Emulator:
    """The module's emulator, clean: no state, no faults, throttling off."""
    emulator_server.clear_faults()
    emulator_server.set_throttle("off")
    emulator_server.reset()
    return emulator_server
