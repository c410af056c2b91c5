from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from kit_stub import ArmStub, JwtCredential, SyncJwtCredential

from flexvmss.testing import Target


@pytest.fixture(scope="module")
def arm_stub() -> Iterator[ArmStub]:
    with ArmStub() as stub:
        yield stub


@pytest.fixture
def stub_target(arm_stub: ArmStub) -> Target:
    """A live target (as the emulator would be) pointing at the HTTPS stub."""
    return Target(
        mode="emulator",
        base_url=arm_stub.base_url,
        subscription_id=arm_stub.subscription_id,
        tenant_id=arm_stub.tenant_id,
        credential=SyncJwtCredential(),
        async_credential=JwtCredential(),
        connection_verify=arm_stub.ca_file,
    )
