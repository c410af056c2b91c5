"""How a batch is stopped: by a cancel from any thread, or by its deadline.

Both backends of the fan-out (:class:`~flexvmss._fanout.FanOut`, per VM, and
:class:`~flexvmss._fanout._backend_scheduled.ScheduledBackend`) stop the same way, so the rule
lives once here: :meth:`StopSwitch.cancel` may be called from any thread (a Ctrl-C handler on
the main thread included) and hands over to the batch's event loop; the deadline is checked when
work asks (:meth:`StopSwitch._stopping`), never by a timer of its own (see
:mod:`flexvmss._pipeline._deadline`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["StopSwitch"]


class StopSwitch:
    """The stop state a batch runner mixes in. The runner sets ``_loop`` and ``_stop`` when its
    run starts, ``_deadline_at`` from its deadline, and reads ``_stop_reason`` (``"cancelled"``
    or ``"deadline"``) to report what was not done."""

    _clock: Callable[[], float]
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _stop_reason: str | None = None
    _deadline_at: float | None = None

    def cancel(self) -> None:
        """Stop issuing new work; the run returns its partial result soon after. Callable from
        any thread (a Ctrl-C handler on the main thread included)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                loop.call_soon_threadsafe(self._cancel_in_loop)
                return
        self._cancel_in_loop()

    def _cancel_in_loop(self) -> None:
        self._stop_reason = self._stop_reason or "cancelled"
        if self._stop is not None:
            self._stop.set()

    def _on_deadline(self) -> None:
        """Called once when the deadline is found passed (a runner may log it)."""

    def _stopping(self) -> bool:
        """Whether the run stops issuing: cancelled, or past its deadline (checked here, when
        work asks)."""
        if self._stop_reason is None and self._deadline_at is not None and self._clock() >= self._deadline_at:
            self._stop_reason = "deadline"
            self._on_deadline()
            if self._stop is not None:
                self._stop.set()
        return self._stop_reason is not None
