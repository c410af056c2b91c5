"""Seeded, reproducible fault injection.

A :class:`FaultRule` says *what* goes wrong (``kind``) and *to which requests* (method,
path regex, op class), and *how often*: on the ``nth`` matching request, with a
``probability`` drawn from the injector's own seeded RNG, or on every match; ``times``
caps how often it fires. The same seed and the same request sequence give the same faults.

Kinds:

``status``
    Answer with ``status`` (default 500) and an ARM-shaped error; a 429 carries a retry hint.
``drop``
    Serve the request, then close the connection without answering: the change takes
    effect but the client never hears of it (the case a retrying client must survive).
``slow``
    Serve the request, then hold the answer back for ``delay`` emulated seconds (real
    seconds = ``delay`` x the time scale).
``lro_fail`` / ``lro_cancel``
    The long-running operation the matching request starts ends ``Failed`` (with ``code``,
    default ``InternalExecutionError``) or ``Canceled``. Only requests that start an
    operation count as matches.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .core import OP_CLASSES, ArmError, Clock, Request

__all__ = ["FAULT_KINDS", "FaultInjector", "FaultRule"]

FAULT_KINDS = ("status", "drop", "slow", "lro_fail", "lro_cancel")
#: Kinds decided before the request reaches its handler.
PRE_DISPATCH = ("status", "drop", "slow")

_DEFAULT_CODES = {
    400: "BadRequest",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
_DEFAULT_MESSAGES = {
    429: "The request is being throttled. Please try again later.",
    500: "An internal server error occurred. Please retry the request.",
    503: "The service is temporarily unavailable. Please retry the request.",
}


@dataclass
class FaultRule:
    """One fault to inject; see the module docstring for the kinds.

    Matching: ``method`` (exact, case-insensitive), ``path`` (regex searched in the request
    path, case-insensitive), ``op_class`` (write/delete/action/read/list/poll). Firing:
    ``nth`` (the n-th matching request only, 1-based), else ``probability`` (0..1), else
    every match; ``times`` caps the number of firings."""

    kind: str
    probability: float | None = None
    nth: int | None = None
    method: str | None = None
    path: str | None = None
    op_class: str | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    delay: float | None = None
    times: int | None = None
    #: Matching requests seen and firings so far (reset with the emulator).
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)
    _rx: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if self.op_class is not None and self.op_class not in OP_CLASSES:
            raise ValueError(f"unknown op_class {self.op_class!r}")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        if self.nth is not None and self.nth < 1:
            raise ValueError("nth counts from 1")
        if self.kind == "slow" and not self.delay:
            raise ValueError("a 'slow' fault needs delay (emulated seconds)")
        self._rx = re.compile(self.path, re.IGNORECASE) if self.path else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        known = {
            "kind", "probability", "nth", "method", "path", "op_class",
            "status", "code", "message", "delay", "times",
        }  # fmt: skip
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule keys: {', '.join(sorted(unknown))}")
        return cls(**{k: data[k] for k in known if k in data})

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and not k.startswith("_")}

    def matches(self, method: str, path: str, op_class: str | None) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.op_class and self.op_class != op_class:
            return False
        return not (self._rx and not self._rx.search(path))

    def decide(self, rng: random.Random) -> bool:
        """Count one matching request; True if the fault fires on it."""
        if self.times is not None and self.fired >= self.times:
            return False
        self.seen += 1
        if self.nth is not None:
            fire = self.seen == self.nth
        elif self.probability is not None:
            fire = rng.random() < self.probability
        else:
            fire = True
        if fire:
            self.fired += 1
        return fire

    # the fault itself ---------------------------------------------------------------
    def error(self, clock: Clock) -> ArmError:
        """The ARM-shaped error of a ``status`` fault."""
        status = self.status or 500
        code = self.code or _DEFAULT_CODES.get(status, "InternalServerError")
        message = self.message or _DEFAULT_MESSAGES.get(status, f"Injected fault ({status} {code}).")
        headers = clock.throttle_headers(self.delay or 1.0) if status in (429, 503) else {}
        return ArmError(status, code, message, headers=headers)

    def lro_outcome(self) -> tuple[str, dict[str, Any]]:
        if self.kind == "lro_cancel":
            code = self.code or "OperationCanceled"
            return "Canceled", {"code": code, "message": self.message or "The operation was canceled."}
        code = self.code or "InternalExecutionError"
        message = self.message or {
            "RetryableError": "A retryable error occurred.",
            "OperationPreempted": "Operation execution has been preempted by a more recent operation.",
            "AllocationFailed": "Allocation failed. We do not have sufficient capacity for the requested "
            "VM size in this region.",
        }.get(code, "An internal execution error occurred. Please retry later.")
        return "Failed", {"code": code, "message": message}


class FaultInjector:
    """The rules in force, their own seeded RNG and the count of injected faults by kind."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.rules: list[FaultRule] = []
        self.rng = random.Random(f"faults:{seed}")
        self.counts: Counter[str] = Counter()
        #: op_class of requests being served, by request id (for the LRO outcome hook).
        self._op_class: dict[str, str | None] = {}

    def add(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        r = rule if isinstance(rule, FaultRule) else FaultRule.from_dict(rule)
        self.rules.append(r)
        return r

    def clear(self) -> None:
        self.rules = []

    def reset(self) -> None:
        """Reseed and zero the counts (rules stay, their counters restart)."""
        self.rng = random.Random(f"faults:{self.seed}")
        self.counts.clear()
        for r in self.rules:
            r.seen = r.fired = 0

    def pre_dispatch(self, method: str, path: str, op_class: str | None) -> list[FaultRule]:
        """The pre-dispatch faults (status/drop/slow) firing on this request, in rule order."""
        fired = []
        for r in self.rules:
            if r.kind in PRE_DISPATCH and r.matches(method, path, op_class) and r.decide(self.rng):
                self.counts[r.kind] += 1
                fired.append(r)
        return fired

    def serving(self, request: Request, op_class: str | None) -> None:
        self._op_class[request.request_id] = op_class

    def served(self, request: Request) -> None:
        self._op_class.pop(request.request_id, None)

    def outcome_hook(self, request: Request | None, kind: str) -> tuple[str, dict[str, Any]] | None:
        """:attr:`OperationManager.outcome_hook`: plans a Failed/Canceled end for an operation
        whose starting request matches an ``lro_fail``/``lro_cancel`` rule."""
        if request is None:
            return None
        op_class = self._op_class.get(request.request_id)
        for r in self.rules:
            if (
                r.kind in ("lro_fail", "lro_cancel")
                and r.matches(request.method, request.path, op_class)
                and r.decide(self.rng)
            ):
                self.counts[r.kind] += 1
                return r.lro_outcome()
        return None
