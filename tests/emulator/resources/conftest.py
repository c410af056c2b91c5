"""Fixtures for the resource-group tests: a fresh emulator's in-process client per test
(manual clock, every provider mounted, so a group can hold real resources; ``settle()``
moves the clock 120 s)."""

from __future__ import annotations

import pytest

from flexvmss.emulator import Emulator
from flexvmss.emulator.testing import TestClient


@pytest.fixture
def h() -> TestClient:
    # realism off: these tests read the emulator's own state step by step (test_realism.py tests the lag)
    return Emulator(manual_clock=True, realism="off").test_client(
        api_version="2025-04-01", settle_seconds=120.0
    )
