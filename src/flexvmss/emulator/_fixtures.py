"""pytest fixtures: one emulator for the session, clean for every test.

``flexvmss_emulator_server`` (session scope) starts one :class:`Emulator` at time scale
0.01; ``flexvmss_emulator`` (function scope) hands out the same server after a reset, with
no fault rules and throttling off, so each test starts from nothing. The flexvmss pytest
plugin registers both; a conftest may also import them directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._emulator import Emulator

__all__ = ["flexvmss_emulator", "flexvmss_emulator_server"]

#: Time scale of the session emulator: a 45 s VM create takes 0.45 s.
SESSION_TIME_SCALE = 0.01


@pytest.fixture(scope="session")
def flexvmss_emulator_server() -> Iterator[Emulator]:
    """One running emulator for the whole test session."""
    with Emulator(time_scale=SESSION_TIME_SCALE) as emu:
        yield emu


@pytest.fixture
def flexvmss_emulator(flexvmss_emulator_server: Emulator) -> Emulator:
    """The session emulator, reset: no state, no faults, throttling off."""
    emu = flexvmss_emulator_server
    emu.clear_faults()
    emu.set_throttle("off")
    emu.reset()
    return emu
