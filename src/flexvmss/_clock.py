"""Real time: the clock and the sleep of :data:`flexvmss._runtime.DEFAULT_RUNTIME`.

Nothing here is meant to be replaced. Code that waits or measures takes its clock and its
sleep as parameters (a :class:`~flexvmss._runtime.Runtime`, tenacity's ``sleep=``), and these
two functions are only the defaults of those parameters; tests and the cassette kit pass
their own values instead (:class:`flexvmss.testing.VirtualClock`).
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["monotonic", "sleep"]


async def sleep(seconds: float) -> None:
    """Wait ``seconds`` (values <= 0 only yield to the event loop once)."""
    await asyncio.sleep(max(0.0, seconds))


def monotonic() -> float:
    """Seconds on the process's monotonic clock."""
    return time.monotonic()
