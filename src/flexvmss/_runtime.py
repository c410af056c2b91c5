"""What a scale set's operations take from their surroundings: time, sleep, observation, caches.

A :class:`Runtime` is passed in (``FlexScaleSet(..., runtime=Runtime(...))``), never patched in:
the cassette kit hands its own through :meth:`flexvmss.testing.Target.scale_set_kwargs`, tests
build one with a virtual clock, and everyone else gets :data:`DEFAULT_RUNTIME`. Every layer
below the facade receives the values it needs as arguments:

* :class:`~flexvmss._arm.ArmSettings` carries a runtime; the clients built from it sleep through
  ``runtime.sleep`` (throttling gates, transient retries, azure-core's waits between polls of
  a long-running operation) and measure with ``runtime.clock`` (the throttle state);
* :class:`~flexvmss._fanout.FanOut` takes a runtime (by default its clients'); it hands
  ``clock`` and ``sleep`` to the :class:`~flexvmss._fanout.ObservationHub` and ``sleep`` to the
  tenacity re-issue policy, and observes the way ``observe`` says;
* the pure layers take single values: ``ThrottleState(clock=)``, ``ThrottlePolicy(sleep=)``,
  ``ObservationHub(clock=, sleep=)``, ``NamedRetry.retrying(sleep=)`` (tenacity's own ``sleep=``).

So two scale sets in one process can run under different runtimes, and a test never has to
overwrite a module global to make time instant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from flexvmss import _clock

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._skus import SkuCache

__all__ = ["DEFAULT_RUNTIME", "Clock", "ObserveMode", "Runtime", "Sleep"]

#: Monotonic seconds.
Clock = Callable[[], float]
#: Wait this many seconds (an awaitable; values <= 0 return at once).
Sleep = Callable[[float], Awaitable[None]]

#: How a fan-out learns that a VM's operation ended: ``"auto"`` (watch many VMs through the
#: set's filtered list, read each operation's own status where it decides), ``"list"`` (always
#: through the list when the set is known), ``"poll"`` (each operation through its own status URL
#: only: what a cassette replays the same whatever the timing).
ObserveMode = Literal["auto", "list", "poll"]


@dataclass(frozen=True)
class Runtime:
    """The injected surroundings of a scale set's operations.

    ``clock`` measures durations and deadlines (monotonic seconds); ``sleep`` is every wait
    flexvmss makes (retry back-off, throttling gates, observation rounds, the waits between
    polls of a long-running operation on the clients flexvmss builds); ``observe`` is the
    fan-out's observation mode; ``sku_cache`` replaces the process-wide Resource SKUs cache
    (``None``: the shared one). ``freeze_gc``: while a batch runs, Python's garbage collector
    skips the objects that existed before it (``gc.freeze()``, undone when the process's last
    batch ends; see :mod:`flexvmss._gcpause`): about a tenth of a large batch's CPU.
    """

    clock: Clock = _clock.monotonic
    sleep: Sleep = _clock.sleep
    observe: ObserveMode = "auto"
    sku_cache: SkuCache | None = None
    freeze_gc: bool = True

    def __post_init__(self) -> None:
        if self.observe not in ("auto", "list", "poll"):
            raise ValueError(f"Runtime.observe must be 'auto', 'list' or 'poll', not {self.observe!r}")


#: The runtime of everything built without one: real time, asyncio's sleep, observation
#: through the list where it saves requests, the process-wide SKU cache.
DEFAULT_RUNTIME = Runtime()
