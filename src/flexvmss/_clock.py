"""The library's one source of time.

Every wait in flexvmss goes through :func:`sleep` and every duration is measured with
:func:`monotonic`, so tests and the cassette kit can make time instant
(:func:`flexvmss.testing.instant_sleep`) without patching asyncio or azure-core.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["monotonic", "set_sleep", "sleep"]

_sleep_impl: Callable[[float], Awaitable[None]] = asyncio.sleep


async def sleep(seconds: float) -> None:
    """Wait ``seconds`` (no-op for values <= 0)."""
    if seconds > 0:
        await _sleep_impl(seconds)
    else:
        await asyncio.sleep(0)


def set_sleep(impl: Callable[[float], Awaitable[None]] | None) -> Callable[[float], Awaitable[None]]:
    """Replace the sleep implementation (None restores asyncio.sleep); returns the previous one."""
    global _sleep_impl
    previous = _sleep_impl
    _sleep_impl = impl or asyncio.sleep
    return previous


def monotonic() -> float:
    return time.monotonic()
