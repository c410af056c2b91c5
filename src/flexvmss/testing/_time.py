"""Time for replay: sleeping costs nothing, and the clock moves by what was slept.

flexvmss's own waits take their clock and sleep from a :class:`flexvmss._runtime.Runtime`, so
the kit makes them instant by handing over one built on a :class:`VirtualClock`
(:attr:`Target.runtime <flexvmss.testing.Target.runtime>`): nothing of the library is
patched. :func:`instant_sleep` covers the azure-mgmt clients a test builds itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flexvmss._runtime import ObserveMode, Runtime

__all__ = ["SleepLog", "VirtualClock", "instant_sleep"]


@dataclass
class SleepLog:
    """The sleeps that were asked for (none of them really slept)."""

    calls: list[float] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(self.calls)

    def record(self, seconds: float) -> None:
        if seconds > 0:
            self.calls.append(float(seconds))


class VirtualClock:
    """A clock that sleeping moves forward at once.

    ``await clock.sleep(s)`` yields to the event loop once and returns, and
    :meth:`monotonic` is then ``s`` seconds further on; real time still flows underneath, so
    deadlines expire after the waits that lead to them. ``log`` lists every sleep asked for.
    Thread-safe: the sync face's portal thread and the test's thread may share one.
    """

    def __init__(self) -> None:
        self.log = SleepLog()
        self._slept = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"VirtualClock(slept={self._slept:.1f} s in {len(self.log.calls)} sleeps)"

    def monotonic(self) -> float:
        """Real monotonic seconds plus everything slept so far."""
        return time.monotonic() + self._slept

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward, as a sleep of that length would."""
        with self._lock:
            self.log.record(seconds)
            self._slept += max(0.0, seconds)

    async def sleep(self, seconds: float) -> None:
        """:meth:`advance`, then let the other tasks of the loop run once."""
        self.advance(seconds)
        await asyncio.sleep(0)

    def runtime(self, *, observe: ObserveMode = "auto", sku_cache: Any = None) -> Runtime:
        """A :class:`~flexvmss._runtime.Runtime` on this clock."""
        return Runtime(clock=self.monotonic, sleep=self.sleep, observe=observe, sku_cache=sku_cache)


@contextlib.contextmanager
def instant_sleep(clock: VirtualClock | None = None) -> Iterator[SleepLog]:
    """Make azure-core's own waits instant for the block: LRO poll intervals, ``Retry-After``
    and retry back-off of the azure-mgmt clients a test builds itself (sync and async).
    Yields the :class:`SleepLog` of ``clock`` (a new one by default), which they are recorded
    in. Nests.

    flexvmss's own waits do not need this: they follow the runtime a scale set or its clients
    are given (``Target.scale_set_kwargs()``, ``ArmSettings(runtime=...)``).

    This is the one place the kit replaces something that is not its own: the ``sleep`` method
    of azure-core's transport base classes, for the block. A stock client builds its transport
    inside the SDK, and azure-core asks that transport for every wait (its documented seam:
    ``AsyncHttpTransport.sleep``); a test would otherwise have to hand each client a transport
    of the right flavour (requests or aiohttp, sync or async). The transports flexvmss builds
    define their own ``sleep`` (the runtime's), so this never reaches them.
    """
    from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport

    clock = clock if clock is not None else VirtualClock()

    async def transport_async_sleep(self: Any, duration: float) -> None:
        await clock.sleep(duration)

    def transport_sleep(self: Any, duration: float) -> None:
        clock.advance(duration)

    patches: list[tuple[Any, str, Any]] = [
        (HttpTransport, "sleep", transport_sleep),
        (AsyncHttpTransport, "sleep", transport_async_sleep),
    ]
    with contextlib.suppress(ImportError):
        from azure.core.pipeline.transport import AsyncioRequestsTransport

        patches.append((AsyncioRequestsTransport, "sleep", transport_async_sleep))
    saved = [(owner, name, owner.__dict__.get(name)) for owner, name, _ in patches]
    try:
        for owner, name, value in patches:
            setattr(owner, name, value)
        yield clock.log
    finally:
        for owner, name, value in reversed(saved):
            if value is None:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
