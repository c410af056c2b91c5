"""What a scale set's operations take from their surroundings: time, sleep, observation, caches.

A :class:`Runtime` is passed in (``FlexScaleSet(..., runtime=Runtime(...))``), never patched in:
the cassette kit hands its own through :meth:`flexvmss.testing.Target.scale_set_kwargs`, tests
build one with a virtual clock, and everyone else gets :data:`DEFAULT_RUNTIME`. Every layer
below the facade receives the values it needs as arguments (tenacity's ``sleep=``, the fan-out's
``clock=``), so two scale sets in one process can run under different runtimes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._skus import SkuCache

__all__ = ["DEFAULT_RUNTIME", "ObserveMode", "Runtime"]

#: How a fan-out learns that a VM's operation ended: ``"auto"`` (watch many VMs through the
#: set's filtered list, read each operation's own status where it decides), ``"poll"`` (each
#: operation through its own status URL only: what a cassette replays the same whatever the
#: timing).
ObserveMode = Literal["auto", "list", "poll"]


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Runtime:
    """The injected surroundings of a scale set's operations.

    ``clock`` measures durations and deadlines (monotonic seconds); ``sleep`` is every wait
    flexvmss makes (retry back-off, throttling gates, observation rounds); ``observe`` is the
    fan-out's observation mode; ``sku_cache`` replaces the process-wide Resource SKUs cache
    (``None``: the shared one).
    """

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep
    observe: ObserveMode = "auto"
    sku_cache: SkuCache | None = None


#: The runtime of every scale set built without one: real time, asyncio's sleep, observation
#: through the list, the process-wide SKU cache.
DEFAULT_RUNTIME = Runtime()
