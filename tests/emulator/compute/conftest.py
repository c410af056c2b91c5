"""Fixtures for the compute provider tests: a fresh emulator's in-process client per test."""

from __future__ import annotations

import pytest
from compute_bodies import make_subnet, new_client

from flexvmss.emulator.testing import TestClient


@pytest.fixture
def h() -> TestClient:
    return new_client()


@pytest.fixture
def subnet(h: TestClient) -> str:
    return make_subnet(h)
