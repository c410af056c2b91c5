"""Fixtures for the compute provider tests (the harness lives in compute_harness.py)."""

from __future__ import annotations

import pytest
from compute_harness import Harness


@pytest.fixture
def h() -> Harness:
    return Harness()


@pytest.fixture
def subnet(h: Harness) -> str:
    return h.subnet()
