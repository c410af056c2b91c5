"""ScheduledActions' state in the store, and its clock on the wire.

Everything lives in ``ctx.store.extra["computeschedule"]`` as plain data (snapshots copy it,
a reset forgets it):

``settings``  the knobs (:mod:`..knobs`): registration, regions, outage, refusals, limits
``ops``       every operation by id: what it does to which VM, its schedule and its history
``active``    the one unfinished operation of each VM (lower-cased VM id -> operation id)
``queues``    operations due and waiting for Compute's budget, per subscription and policy
``armed``     when each queue's next pump is due (None: none armed)

An operation's record (:class:`OpRecord` keys) keeps emulated seconds; the wire shows them as
ISO-8601 UTC timestamps (:func:`iso`, :func:`parse_time`).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from ...core import ArmError, Clock, Context
from .limits import MAX_OPERATION_IDS, MAX_RESOURCES

__all__ = [
    "DEFAULT_SETTINGS",
    "TERMINAL",
    "book",
    "iso",
    "parse_time",
    "settings",
]

#: The knobs' values after a reset (see :mod:`..knobs`).
DEFAULT_SETTINGS: dict[str, Any] = {
    #: ``Registered``, ``NotRegistered`` (never registered) or ``Unregistered`` (ARM's names).
    "registration": "Registered",
    #: Whether the caller may register the provider itself (``register/action``).
    "can_register": False,
    #: Regions the service runs in (lower-cased), or None for every region.
    "regions": None,
    #: An outage: new and due operations are ``Blocked`` until it ends.
    "blocked": False,
    #: Refused VMs: lower-cased VM id -> [errorCode, errorDetails].
    "refusals": {},
    #: A share of VMs refused at random, seeded per VM id: [share, seed, code, details] or None.
    "refuse_share": None,
    "max_resources": MAX_RESOURCES,
    "max_operation_ids": MAX_OPERATION_IDS,
}

#: States an operation never leaves.
TERMINAL = frozenset({"Succeeded", "Failed", "Cancelled"})


def book(ctx: Context) -> dict[str, Any]:
    """The provider's state in the store (created on first use)."""
    b: dict[str, Any] = ctx.store.extra.setdefault("computeschedule", {})
    if "settings" not in b:
        b["settings"] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_SETTINGS.items()}
    b.setdefault("ops", {})
    b.setdefault("active", {})
    b.setdefault("queues", {})
    b.setdefault("armed", {})
    return b


def settings(ctx: Context) -> dict[str, Any]:
    """The knobs in force."""
    s: dict[str, Any] = book(ctx)["settings"]
    return s


def iso(t: float) -> str:
    """Emulated seconds as ScheduledActions writes a time (``2026-01-01T00:00:05.000Z``:
    milliseconds and ``Z``, as in the spec's examples)."""
    at = Clock.EPOCH + _dt.timedelta(seconds=t)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_time(value: Any, field: str) -> float:
    """An ISO-8601 time from a request as emulated seconds (times without an offset are UTC);
    a 400 naming ``field`` when it is not one."""
    m = _TIME.match(str(value).strip()) if isinstance(value, str) else None
    if m is None:
        raise ArmError.invalid_parameter(
            f"The value '{value}' of '{field}' is not a valid ISO-8601 date and time.", target=field
        )
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micros = int((m.group(7) or "0")[:6].ljust(6, "0"))
    offset = m.group(8)
    tz = _dt.timezone.utc
    if offset and offset.upper() != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = _dt.timezone(sign * _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        at = _dt.datetime(year, month, day, hour, minute, second, micros, tzinfo=tz)
    except ValueError:
        raise ArmError.invalid_parameter(
            f"The value '{value}' of '{field}' is not a valid date and time.", target=field
        ) from None
    return (at - Clock.EPOCH).total_seconds()
