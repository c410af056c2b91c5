"""The deadline of the call a request serves, as every wait below sees it.

A per-VM operation's ``deadline`` bounds the whole call: the read of the set's VM list, every
initial request and the wait for every outcome. Rather than a timer racing the work (a timer
is a sleep, and a virtual clock that moves by what is slept would count it as time passing),
the call puts its deadline in a context variable (:func:`deadline_scope`) and every wait made
on its behalf asks :func:`time_left` first: the throttle policy does not start a wait that
would outlast it (it raises :class:`~flexvmss.ThrottledError` instead, which the fan-out turns
into a re-queue, then into NOT_STARTED), the transient retries do not sleep past it, and the
fan-out's observation naps no longer than it. So the call ends within a request's time of its
deadline, whatever clock the runtime reads.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from contextvars import ContextVar

__all__ = ["deadline_scope", "time_left"]

_current: ContextVar[Callable[[], float] | None] = ContextVar("flexvmss_deadline", default=None)


def time_left() -> float:
    """Seconds left before the current call's deadline (``math.inf`` outside one)."""
    left = _current.get()
    return math.inf if left is None else left()


@contextlib.contextmanager
def deadline_scope(deadline_at: float | None, clock: Callable[[], float]) -> Iterator[None]:
    """Within the block (and the tasks it starts), :func:`time_left` counts down to
    ``deadline_at`` on ``clock``; None: no deadline (an outer one still holds)."""
    if deadline_at is None or math.isinf(deadline_at):
        yield
        return
    outer = _current.get()

    def left() -> float:
        mine = deadline_at - clock()
        return mine if outer is None else min(mine, outer())

    token = _current.set(left)
    try:
        yield
    finally:
        _current.reset(token)
