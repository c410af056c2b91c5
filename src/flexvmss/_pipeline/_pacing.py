"""The pacing machinery: a Retry-After :class:`Gate`, a :class:`Pacer` per bucket that spends
the burst down to a reserve and then paces at the refill the other callers leave, and the
subscription's VM-list :class:`PageBudget`. Pure state and arithmetic on a clock the caller
passes; :class:`~flexvmss._pipeline._throttle.ThrottleState` holds and locks them."""

from __future__ import annotations

import math
import random

from flexvmss._pipeline._limits import BLIND_BURST, MAX_RESERVE, MAX_SPEEDUP, Bucket

__all__ = ["Gate", "Pacer", "PageBudget"]


class Gate:
    """A Retry-After gate that releases its waiters one at a time.

    :meth:`close` moves the opening time forward (never back). :meth:`reserve` gives each
    caller its own release slot: the first at the opening time, the next ``spacing`` seconds
    later and so on (plus up to half a spacing of jitter), so a closed gate lets its queue
    through at the rate the bucket refills, not as a herd.
    """

    def __init__(self, spacing: float, rng: random.Random | None = None) -> None:
        self.spacing = spacing
        self.open_at = 0.0
        self._next_release = 0.0
        self._rng = rng or random.Random()

    def close(self, until: float) -> None:
        if until > self.open_at:
            self.open_at = until
            self._next_release = max(self._next_release, until)

    def is_closed(self, now: float) -> bool:
        return now < self.open_at

    def reserve(self, now: float) -> float:
        """Seconds this caller must wait before sending (0 when the gate is open and idle)."""
        if now >= self.open_at and now >= self._next_release:
            return 0.0
        slot = max(self.open_at, self._next_release)
        self._next_release = slot + self.spacing
        return slot + self._rng.uniform(0.0, self.spacing / 2) - now


class Pacer:
    """Spends a bucket's burst down to a small reserve, then spaces requests at the refill rate
    the bucket's other callers leave.

    The estimate starts from the last observed remaining count less the requests that were
    still unanswered then (the count may not include them yet), grows at the refill rate less
    what others take, and shrinks by one for every request reserved since. While one more
    request leaves at least ``floor`` (``watermark_fraction`` of the capacity, at least 4)
    requests in the bucket it goes at once (the reserve is at most :data:`MAX_RESERVE`, so a
    30-minute window of 1,200 is not held back by minutes); after that each request gets the
    moment the bucket will have refilled one more token for it.

    **Others, and limits not as published.** Azure's counts are the subscription's, every
    caller included, and a subscription's limits may differ from the published table. Every
    ``window`` seconds the pacer compares what Azure reports with what its own sends alone
    would have left at the table's refill since the start of the window; the difference, per
    second, is what the other callers take, or (negative) how much faster than the table the
    bucket refills (smoothed; between ``max_share`` of the refill taken and :data:`MAX_SPEEDUP`
    times the refill given). With two processes pacing on one bucket each measures the other,
    and together they stay within the refill. A 429 that blames the bucket halves the rate the
    pacer allows itself at once (:meth:`throttled`): the measurement needs a window, a bucket
    far smaller than the table must not cost a window of 429s. Counts above the table's
    capacity raise the capacity the estimate is capped at.
    """

    def __init__(
        self,
        bucket: Bucket,
        *,
        watermark_fraction: float,
        margin: float,
        window: float | None = None,
        max_share: float = 0.98,
    ) -> None:
        self.bucket = bucket
        self.floor = max(4.0, min(MAX_RESERVE, bucket.capacity * watermark_fraction))
        self.margin = margin
        self.remaining: float | None = None
        #: Requests reserved and not yet answered (sent, or waiting for their slot).
        self.outstanding = 0
        #: Tokens per second the bucket's other callers take, as measured.
        self.others = 0.0
        self.window = window if window is not None else 40.0 * bucket.spacing
        self.max_share = max_share
        self._observed_at = 0.0
        self._sent_since = 0
        #: Requests of this bucket Azure answered (not refused) so far: what it spent.
        self.answered = 0
        self._window_start: tuple[float, float, int] | None = None  # (time, count, answered)
        #: The bucket's capacity: the table's, or the largest count Azure reported (plus the
        #: request it excluded) when that is larger.
        self.capacity = bucket.capacity
        self._last_cut = -math.inf

    @property
    def refill(self) -> float:
        """Tokens per second this process may spend: the refill less what others take (or
        more, when the bucket was measured to refill faster than the table says)."""
        return max(self.bucket.refill_per_s * (1.0 - self.max_share), self.bucket.refill_per_s - self.others)

    def _bounded_others(self, value: float) -> float:
        rate = self.bucket.refill_per_s
        return min(rate * self.max_share, max(-rate * (MAX_SPEEDUP - 1.0), value))

    def throttled(self, now: float) -> None:
        """A 429 blamed this bucket: it is empty now, and it refills slower for this process
        than assumed; halve the rate this process allows itself (once per quarter window: the
        429s of requests already in flight say nothing more)."""
        if now >= self._last_cut + self.window / 4:
            self._last_cut = now
            self.others = self._bounded_others(self.bucket.refill_per_s - 0.5 * self.refill)
        self.remaining = 0.0
        self._observed_at = now
        self._sent_since = 0
        self._window_start = (now, 0.0, self.answered)

    def observe(self, remaining: int, now: float) -> bool:
        """A response reported ``remaining``; call :meth:`settle` for that response first.
        True for the bucket's first count."""
        first = self.remaining is None
        tokens = float(remaining) - self.outstanding
        # a count above the table's capacity shows a larger bucket (a count below it may be
        # other callers' doing: the table's capacity and reserve stay)
        self.capacity = max(self.capacity, float(remaining) + 1.0)
        count = float(remaining)
        if self._window_start is None:
            self._window_start = (now, count, self.answered)
        else:
            started, start_count, start_answered = self._window_start
            elapsed = now - started
            if elapsed >= self.window:
                # what the bucket gained for this process: the change of Azure's count plus what
                # this process spent meanwhile; the table's refill less that is the others' take
                net = (count - start_count + self.answered - start_answered) / elapsed
                if count < self.capacity - self.floor:
                    self.others = self._bounded_others(
                        0.5 * self.others + 0.5 * (self.bucket.refill_per_s - net)
                    )
                else:  # a bucket at its top hides its refill: it gives at least this, up to the table
                    faster = max(net, 1.25 * self.refill)
                    self.others = min(self.others, max(0.0, self.bucket.refill_per_s - faster))
                self._window_start = (now, count, self.answered)
        self.remaining = tokens
        self._observed_at = now
        self._sent_since = 0
        return first

    def settle(self, *, spent: bool = True) -> None:
        """One reserved request was answered (or lost in transport: it may have been spent);
        ``spent=False`` for a refusal (a 429 spends nothing, as far as Azure documents)."""
        self.outstanding = max(0, self.outstanding - 1)
        if spent:
            self.answered += 1

    def cancel(self) -> None:
        """One reserved request was given up before it was sent: its token is not spent."""
        self.settle(spent=False)
        self._sent_since = max(0, self._sent_since - 1)

    def estimate(self, now: float) -> float | None:
        if self.remaining is None:
            return None
        refilled = self.remaining + self.refill * max(0.0, now - self._observed_at)
        return min(self.capacity, refilled) - self._sent_since

    def reserve(self, now: float) -> float:
        """Seconds to wait before sending one more request of this bucket."""
        estimate = self.estimate(now)
        ahead = self.outstanding
        self._sent_since += 1
        self.outstanding += 1
        if estimate is None:  # no count yet: a few go, the rest at the table's pace until one comes
            return 0.0 if ahead < BLIND_BURST else (ahead - BLIND_BURST + 1) * self.bucket.spacing
        if estimate - 1.0 >= self.floor:
            return 0.0
        missing = self.floor + 1.0 - estimate
        return missing / (self.refill * self.margin)


class PageBudget:
    """The VM-list pages fan-outs may read, one budget per subscription (every scale set the
    process watches shares it): ``share`` of Compute's HighCostGet refill (300 per minute,
    compute-throttling-limits), with a small burst. When Azure reports the subscription's
    HighCostGet bucket below half full (other callers list too), the budget shrinks in
    proportion, down to a tenth."""

    def __init__(self, bucket: Bucket, share: float, *, burst: float = 5.0) -> None:
        self.capacity = bucket.capacity
        self.rate = bucket.refill_per_s * share
        self.burst = burst
        self._tokens = burst
        self._updated: float | None = None
        self._level: float | None = None  # the HighCostGet bucket's level, as a fraction

    def note_level(self, remaining: int) -> None:
        """Azure reported ``remaining`` tokens in the subscription's HighCostGet bucket (read
        against the table's capacity: a smaller bucket than published is taken for a drained
        one, the safe side)."""
        self._level = max(0.0, min(1.0, remaining / self.capacity))

    def _current_rate(self) -> float:
        if self._level is None or self._level >= 0.5:
            return self.rate
        return self.rate * max(0.1, self._level / 0.5)

    def reserve(self, now: float, pages: int = 1) -> float:
        """Take ``pages`` pages; returns the seconds until they are covered (0: now)."""
        if self._updated is None:
            self._updated = now
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._current_rate())
        self._updated = now
        self._tokens -= pages
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self._current_rate()

    def available_at(self, now: float) -> float:
        """When one more page would be covered (``now`` if it is)."""
        if self._updated is None:
            return now
        tokens = min(self.burst, self._tokens + (now - self._updated) * self._current_rate())
        return now if tokens >= 1 else now + (1 - tokens) / self._current_rate()
