"""Checks of what the emulator's operator hands it (over the admin API or in Python): numbers
that are finite and in range, fault rules of the right types with a valid regex. Nothing that
passes can leave the emulator broken until a restart (a NaN clock, a timestamp past year
9999, a fault rule whose regex fails on every request)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ._faults import FAULT_KINDS
from .core import OP_CLASSES

__all__ = [
    "ADMIN_TOKEN_HEADER",
    "MAX_ADVANCE_SECONDS",
    "MAX_CLOCK_SECONDS",
    "MAX_FAULT_DELAY",
    "AdminInputError",
    "check_fault_fields",
    "check_seconds",
]

#: The header that carries the admin token.
ADMIN_TOKEN_HEADER = "x-flexvmss-admin-token"
#: The furthest one advance may move the clock (emulated seconds): ten years.
MAX_ADVANCE_SECONDS = 10 * 365 * 24 * 3600.0
#: The furthest the clock may ever be from its start: a thousand years (timestamps are written
#: from 2026 on, and none can be written past year 9999).
MAX_CLOCK_SECONDS = 1000 * 365 * 24 * 3600.0
#: The longest delay a fault may hold an answer (emulated seconds).
MAX_FAULT_DELAY = 24 * 3600.0


class AdminInputError(ValueError):
    """An admin request's input is not acceptable (a 400)."""


def _number(value: object, name: str, *, low: float, high: float, whole: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise AdminInputError(f"{name} must be a number, not {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise AdminInputError(f"{name} must be within [{low:g}, {high:g}]") from None
    if not math.isfinite(number):
        raise AdminInputError(f"{name} must be a finite number")
    if whole and not number.is_integer():
        raise AdminInputError(f"{name} must be a whole number")
    if not low <= number <= high:
        raise AdminInputError(f"{name} must be within [{low:g}, {high:g}]")
    return number


def check_seconds(seconds: object) -> float:
    """Emulated seconds to advance the clock by: a finite number from 0 to ten years."""
    return _number(seconds, "seconds", low=0.0, high=MAX_ADVANCE_SECONDS)


def check_fault_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a fault rule, checked (types, ranges, a valid regex); ``ValueError``
    (:class:`AdminInputError`) naming the first bad one."""
    if not isinstance(data, Mapping):
        raise AdminInputError(f"a fault rule must be a JSON object, not {type(data).__name__}")
    out = dict(data)
    kind = out.get("kind")
    if not isinstance(kind, str) or kind not in FAULT_KINDS:
        raise AdminInputError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    for name in ("method", "path", "op_class", "code", "message"):
        if out.get(name) is not None and not isinstance(out[name], str):
            raise AdminInputError(f"{name} must be a string")
    if out.get("op_class") is not None and out["op_class"] not in OP_CLASSES:
        raise AdminInputError(f"op_class must be one of {', '.join(OP_CLASSES)}")
    if out.get("path") is not None:
        try:
            re.compile(out["path"])
        except re.error as exc:
            raise AdminInputError(f"path is not a valid regular expression: {exc}") from None
    if out.get("probability") is not None:
        out["probability"] = _number(out["probability"], "probability", low=0.0, high=1.0)
    if out.get("delay") is not None:
        out["delay"] = _number(out["delay"], "delay", low=0.0, high=MAX_FAULT_DELAY)
    for name, low, high in (("nth", 1, 1e9), ("times", 0, 1e9), ("status", 100, 599)):
        if out.get(name) is not None:
            out[name] = int(_number(out[name], name, low=low, high=high, whole=True))
    return out
