"""Progress events and per-batch request tallies.

A :class:`ProgressEvent` is what the fan-out reports while it works (the CLI turns them into
a progress bar). A :class:`RequestTally` counts the requests one batch sends, by class, and the
429s and waiting it met; the pipeline policies find the tally of the batch they serve through
a context variable (:data:`current_tally`), so two batches running at once on the same clients
are counted apart.

This module is a shared utility below the pipeline policies and imports only the standard
library.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

__all__ = [
    "REQUEST_CLASSES",
    "EventKind",
    "ProgressEvent",
    "RequestTally",
    "current_tally",
    "current_vm",
    "request_class",
]

#: The request classes counted per batch (the emulator's admin API uses the same names).
REQUEST_CLASSES = ("write", "delete", "action", "read", "list", "poll")

EventKind = Literal["started", "done", "failed", "skipped", "retrying", "throttled", "waiting", "cancelled"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a batch.

    ``kind`` is ``"started"`` (the VM's request was sent), ``"done"``, ``"failed"``,
    ``"skipped"``, ``"retrying"`` (a retryable failure is being re-issued), ``"throttled"``
    (Azure answered 429), ``"waiting"`` (a request waits for a throttling gate or for pacing)
    or ``"cancelled"``. ``vm`` names the VM when the event concerns one, ``detail`` is a short
    human text (never a secret), ``done``/``total`` count finished VMs of the batch.
    """

    kind: EventKind
    vm: str | None
    detail: str
    done: int
    total: int


@dataclass
class RequestTally:
    """Requests sent for one batch, by class, with the 429s met and the seconds spent waiting.

    Thread-safe (the policies may run on several event loops). ``on_wait`` and
    ``on_throttled`` are optional hooks the fan-out sets to turn waits into progress events.
    """

    requests: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    waited: float = 0.0
    on_wait: Callable[[str | None, float, str], None] | None = None
    on_throttled: Callable[[str | None, float | None, str], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, klass: str, *, status: int | None = None) -> None:
        with self._lock:
            self.requests[klass] += 1
            if status == 429:
                self.throttled += 1

    def add_wait(self, seconds: float) -> None:
        with self._lock:
            self.waited += seconds

    def by_class(self) -> dict[str, int]:
        with self._lock:
            return {name: self.requests.get(name, 0) for name in REQUEST_CLASSES}


#: The tally of the batch the current task works for (None outside a batch).
current_tally: ContextVar[RequestTally | None] = ContextVar("flexvmss_current_tally", default=None)
#: The VM the current task works on (None outside a per-VM task).
current_vm: ContextVar[str | None] = ContextVar("flexvmss_current_vm", default=None)


_STATUS_COLLECTIONS = frozenset({"operations", "operationresults", "operationstatuses"})


def request_class(method: str, url: str) -> str:
    """Classify a request as ``write`` (PUT/PATCH), ``delete``, ``action`` (POST), ``poll`` (GET
    of an operation status), ``list`` (GET of a collection) or ``read`` (any other GET/HEAD).

    ARM paths alternate names and values (``/subscriptions/{s}/resourceGroups/{g}/providers/
    Microsoft.Compute/virtualMachines/{n}``); a GET whose path ends on a collection name is a list.
    """
    verb = method.upper()
    if verb in ("PUT", "PATCH"):
        return "write"
    if verb == "DELETE":
        return "delete"
    if verb == "POST":
        return "action"
    path = urlsplit(url).path
    segments = [s for s in path.split("/") if s]
    lowered = [s.lower() for s in segments]
    if _STATUS_COLLECTIONS.intersection(lowered[:-1]):
        return "poll"
    # Drop the provider namespace pair, so the remaining segments alternate collection/name.
    plain: list[str] = []
    skip = False
    for index, segment in enumerate(lowered):
        if skip:
            skip = False
            continue
        if segment == "providers" and index + 1 < len(lowered):
            skip = True
            continue
        plain.append(segment)
    if plain and len(plain) % 2 == 1:
        return "list"
    return "read"
