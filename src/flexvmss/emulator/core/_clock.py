"""Emulated time: a clock that runs at a time scale, or stands still until told."""

from __future__ import annotations

import datetime as _dt
import math
import time

__all__ = ["Clock"]


class Clock:
    """Emulated time. ``time_scale`` is real seconds per emulated second: at 0.01 an
    operation that lasts 30 emulated seconds completes after 0.3 real seconds.

    With ``manual=True`` time stands still until :meth:`advance` moves it (for tests)."""

    #: Emulated wall-clock origin (timestamps in bodies are ``EPOCH + now()``).
    EPOCH = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)

    def __init__(self, time_scale: float = 1.0, *, manual: bool = False) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self.manual = manual
        self._real_start = time.monotonic()
        self._offset = 0.0  # emulated seconds added by advance()

    def now(self) -> float:
        """Emulated seconds since the emulator started."""
        if self.manual:
            return self._offset
        return (time.monotonic() - self._real_start) / self.time_scale + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def iso(self, t: float | None = None) -> str:
        """An ISO-8601 timestamp as Azure writes them (``2026-01-01T00:00:05.1234567+00:00``)."""
        at = self.EPOCH + _dt.timedelta(seconds=self.now() if t is None else t)
        return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"

    def to_real(self, emulated_seconds: float) -> float:
        return emulated_seconds * self.time_scale

    def retry_after_headers(self, emulated_seconds: float) -> dict[str, str]:
        """How long a client should wait before it polls an operation again, in headers
        azure-core honours.

        At time scale 1 (running or manual) this is ``Retry-After`` in whole emulated seconds
        (at least 1), as Azure sends it. On a scaled clock ``Retry-After`` is left out and
        ``retry-after-ms`` carries the *real* milliseconds: azure-core's pollers read
        ``Retry-After`` first (``azure.core.pipeline.policies._utils.get_retry_after``, 1.41)
        and sleep it in real seconds, which at time scale 0.01 would be a hundred times too
        long; they read ``retry-after-ms`` only when ``Retry-After`` is absent."""
        if self.time_scale == 1.0:
            return {"Retry-After": str(max(1, math.ceil(emulated_seconds)))}
        return {"retry-after-ms": str(self._real_ms(emulated_seconds))}

    def throttle_headers(self, emulated_seconds: float) -> dict[str, str]:
        """How long a refused (429/503) client should wait: always ``Retry-After`` in whole
        seconds, as Azure sends it ("every throttling error includes the Retry-After header",
        MicrosoftDocs/SupportArticles-docs troubleshooting-throttling-errors.md, 2024-04-15).

        azure-core's ``RetryPolicy`` retries a POST or PATCH only when ``Retry-After`` is
        present (``RetryPolicy.is_retry``, 1.41), so without it a throttled action is never
        retried as it would be on Azure. On a scaled clock ``Retry-After`` is the *real* wait
        rounded up (at least 1 s: azure-core sleeps it in real time, so it waits at least as
        long as needed) and ``retry-after-ms`` carries the exact real milliseconds (what
        flexvmss reads first)."""
        if self.time_scale == 1.0:
            return {"Retry-After": str(max(1, math.ceil(emulated_seconds)))}
        real_seconds = max(1, math.ceil(self.to_real(emulated_seconds)))
        return {"Retry-After": str(real_seconds), "retry-after-ms": str(self._real_ms(emulated_seconds))}

    def _real_ms(self, emulated_seconds: float) -> int:
        return max(1, round(self.to_real(emulated_seconds) * 1000))
