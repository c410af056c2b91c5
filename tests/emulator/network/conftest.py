"""Fixtures for the network provider tests: a fresh emulator's in-process client per test
(manual clock, resource group ``rg1``; ``settle()`` moves the clock 60 s)."""

from __future__ import annotations

from typing import Any

import pytest
from net_ids import API, RG, SUB, rid

from flexvmss.emulator import Emulator
from flexvmss.emulator.testing import TestClient


@pytest.fixture
def h() -> TestClient:
    # realism off: these tests read the emulator's own state step by step (test_realism.py tests the lag)
    client = Emulator(manual_clock=True, realism="off").test_client(api_version=API, settle_seconds=60.0)
    client.resource_group(RG, "eastus", subscription_id=SUB)
    return client


@pytest.fixture
def vnet(h: TestClient) -> dict[str, Any]:
    """A vnet 10.0.0.0/16 with subnet ``s1`` (10.0.0.0/24)."""
    body: dict[str, Any] = h.create(
        rid("virtualNetworks", "v1"),
        {
            "location": "eastus",
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": "s1", "properties": {"addressPrefix": "10.0.0.0/24"}}],
            },
        },
    )
    return body
