"""A local Azure Resource Manager for Flexible scale sets: Compute, Network and Resources
over HTTPS, on an emulated clock, with Azure's throttling and seeded faults.

Three ways to start it::

    with Emulator() as emu: ...                 # Python
    python -m flexvmss.emulator serve           # a terminal
    def test_x(flexvmss_emulator): ...          # pytest

Names are imported on first use, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._credential import AsyncEmulatorCredential, EmulatorCredential
    from ._emulator import Emulator, EmulatorClients
    from ._faults import FaultRule
    from ._network_setup import FlexNetwork
    from ._throttle import throttle_lower_bound
    from .testing import TestClient

__all__ = [
    "AsyncEmulatorCredential",
    "Emulator",
    "EmulatorClients",
    "EmulatorCredential",
    "FaultRule",
    "FlexNetwork",
    "TestClient",
    "throttle_lower_bound",
]

_WHERE = {
    "AsyncEmulatorCredential": "._credential",
    "EmulatorCredential": "._credential",
    "Emulator": "._emulator",
    "EmulatorClients": "._emulator",
    "FaultRule": "._faults",
    "FlexNetwork": "._network_setup",
    "TestClient": ".testing",
    "throttle_lower_bound": "._throttle",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
