"""One operation's life: its record, the state it shows at a given time, how it ends.

The spec's states (``OperationState``): ``PendingScheduling``, ``Scheduled``,
``PendingExecution``, ``Executing``, ``Succeeded``, ``Failed``, ``Cancelled``, ``Blocked``
(``Unknown`` is only the enum's default). The record keeps fewer, and the time decides the
rest: a ``Waiting`` operation shows ``PendingScheduling`` until it is scheduled,
``Scheduled`` until it is due, then ``PendingExecution`` until it is sent to Compute (which
may wait for Compute's budget); ``Executing`` while Compute runs it; and one of the three
terminal states. ``Blocked`` is an outage (the samples: operations "are set to blocked state
... when there is an ongoing outage internally or in downstream services. These operations
could still be processed later as long as their due time for execution is not past deadline
time + retrywindowinminutes").

An operation that can no longer start (its deadline and window passed while it waited or was
blocked) fails with ``DeadlineExceeded`` at the moment it expired, whenever that is noticed, so
the answer does not depend on when a client happens to look (the code is inferred).
"""

from __future__ import annotations

from typing import Any

from ...core import Context
from .state import TERMINAL, book

__all__ = [
    "OpRecord",
    "cancel",
    "cancellable",
    "display_state",
    "finish",
    "lookup",
    "refresh",
    "start_window_end",
]

#: An operation's record in ``book(ctx)["ops"]`` (plain data; keys below).
#:
#: ``id sub location resource_id action opType`` what and where; ``deadline deadline_type
#: timezone retry optimization correlationid force create`` what was asked; ``created
#: scheduled_at due_at expires_at`` its schedule (emulated seconds); ``state attempts
#: first_started crp_op error completed errors`` what happened.
OpRecord = dict[str, Any]


def retry_window(rec: OpRecord) -> float:
    """The retry window in emulated seconds (0: no retries)."""
    return float((rec.get("retry") or {}).get("retryWindowInMinutes") or 0) * 60.0


def start_window_end(rec: OpRecord) -> float | None:
    """Until when the operation may still start its next attempt: its expiry before the
    first attempt; the end of the retry window after it (the retry README: the window "is
    measured from when the operation first starts executing" and "governs when the last retry
    can be initiated")."""
    if rec["first_started"] is None:
        expires: float | None = rec["expires_at"]
        return expires
    return float(rec["first_started"]) + retry_window(rec)


def finish(ctx: Context, rec: OpRecord, state: str, at: float, error: dict[str, str] | None = None) -> None:
    """End ``rec`` in ``state`` (Succeeded, Failed or Cancelled) at emulated time ``at``."""
    rec["state"] = state
    rec["completed"] = at
    rec["error"] = error
    active = book(ctx)["active"]
    if active.get(rec["resource_id"].lower()) == rec["id"]:
        del active[rec["resource_id"].lower()]


def refresh(ctx: Context, rec: OpRecord, at: float | None = None) -> OpRecord:
    """Apply what time alone decides: an operation waiting (or blocked) past the end of its
    start window fails at that moment, with ``DeadlineExceeded`` before its first attempt and
    with its last attempt's error after it. ``at`` is the emulated time the question is about
    (default: now); a timer noticed late asks about the time it was due, so an operation that
    was due inside its window is not failed because nobody looked until after it."""
    if rec["state"] not in ("Waiting", "Blocked"):
        return rec
    end = start_window_end(rec)
    if end is None or (ctx.clock.now() if at is None else at) <= end:
        return rec
    if rec["first_started"] is None:
        error = {
            "errorCode": "DeadlineExceeded",
            "errorDetails": "The operation could not start before its deadline and retry window passed.",
        }
    else:
        last = rec["errors"][-1] if rec["errors"] else {}
        error = {
            "errorCode": str(last.get("errorCode", "")),
            "errorDetails": str(last.get("errorDetails", "")),
        }
    finish(ctx, rec, "Failed", end, error)
    return rec


def display_state(ctx: Context, rec: OpRecord) -> str:
    """The state the wire shows for ``rec`` now."""
    state: str = refresh(ctx, rec)["state"]
    if state != "Waiting":
        return state
    if rec["attempts"]:
        return "Executing"  # a retry waiting for its backoff: still in progress (inferred)
    now = ctx.clock.now()
    if now < rec["scheduled_at"]:
        return "PendingScheduling"
    if now < rec["due_at"]:
        return "Scheduled"
    return "PendingExecution"


def cancellable(rec: OpRecord) -> bool:
    """Whether a cancel still stops ``rec``: not once Compute is running it, nor once it ended
    (the samples: a start not yet dispatched to Compute "is cancelled directly. No CRP call is
    ever made"; one already executing runs on in Compute)."""
    return rec["state"] in ("Waiting", "Blocked")


def lookup(ctx: Context, op_id: str, subscription_id: str, location: str) -> OpRecord | None:
    """The operation ``op_id`` of this subscription and region, refreshed; None when unknown
    (ids are case-insensitive GUIDs, inferred)."""
    rec: OpRecord | None = book(ctx)["ops"].get(op_id.lower())
    if rec is None or rec["sub"].lower() != subscription_id.lower() or rec["location"] != location:
        return None
    return refresh(ctx, rec)


def cancel(ctx: Context, rec: OpRecord) -> bool:
    """Cancel ``rec`` if a cancel still stops it (:func:`cancellable`); whether it did."""
    if not cancellable(refresh(ctx, rec)):
        return False
    finish(ctx, rec, "Cancelled", ctx.clock.now())
    return True


def is_terminal(rec: OpRecord) -> bool:
    return rec["state"] in TERMINAL
