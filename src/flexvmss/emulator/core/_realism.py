"""Realism: how far the emulator imitates Azure's eventual consistency, as named knobs.

Azure does not show an accepted change at once, and its list reads may lag behind:

* the VM of an accepted action keeps showing its former state for a while: a restart's
  operation completes in about 2 s while the reboot happens later (Azure/azure-sdk-for-net#19977);
  the power state Compute reports is the last one it knew and may be unavailable for a while
  (MicrosoftDocs/azure-compute-docs ``articles/virtual-machines/states-billing.md``);
* list reads are served from caches and can show a VM's previous state (cluster-autoscaler keeps a
  stale cache on purpose; research/k8s-azure-flex.md section 1; the throttling guide's advice to
  "track the async operation rather than polling provisioningState", SupportArticles-docs
  troubleshooting-throttling-errors.md; Resource Graph's VM lists, which Azure documents for Flex
  instance views, are "eventually consistent" with bounded staleness, learn.microsoft.com
  azure/governance/resource-graph/concepts/azure-resource-graph-get-list-api);
* a failed operation need not leave a mark on its VM: only the operation's status says it failed
  ("Track asynchronous Azure operations", learn.microsoft.com azure/azure-resource-manager/
  management/async-operations: the status URL's ``status`` and ``error`` are the outcome;
  research/real-azure-review.md: "the library's correctness depends on not trusting a read
  taken just after a 202").

None of this is deterministic in Azure; here it is seeded (its own random stream, so turning it
on or off changes no operation id or fault decision) and bounded by the knobs below. Level
``"azure"`` (the default) turns every knob on, so tests, cassettes and the demo meet an eventually
consistent Azure; level ``"off"`` keeps every read exact and immediate (a little faster, and what
a test of the emulator's own state machine wants). ``FLEXVMSS_EMULATOR_REALISM`` names the level
an :class:`~flexvmss.emulator.Emulator` built without ``realism=`` uses.
"""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from ._clock import Clock

__all__ = ["DEFAULT_REALISM", "REALISM_ENV", "REALISM_LEVELS", "Realism", "StaleLists", "resolve_realism"]

#: The environment variable that names the default level.
REALISM_ENV = "FLEXVMSS_EMULATOR_REALISM"
#: The level used when neither ``realism=`` nor the environment names one: Azure's eventual
#: consistency, since a library proven only against an exact emulator is not proven (issue 12).
DEFAULT_REALISM = "azure"


@dataclass(frozen=True)
class Realism:
    """The knobs (emulated seconds where they are times)."""

    #: The level these knobs came from (``"off"``, ``"azure"`` or ``"custom"``).
    level: str = "off"
    #: How long after an accepted VM action (its 202) reads still show the VM's former
    #: provisioning and power state. Inferred size: the ~2 s of azure-sdk-for-net#19977, rounded
    #: up to a few seconds.
    visibility_lag: float = 0.0
    #: The chance that a VM list read shows a VM as the same read showed it before its last
    #: change (or still lists it after its deletion) ... (inferred: Azure documents no rate;
    #: one read in two keeps a client honest without making every list wrong)
    stale_list_probability: float = 0.0
    #: ... while that change was first seen at most this long ago (a list is never more than
    #: one change behind, and never for longer than this). Inferred: Resource Graph's documented
    #: staleness is "seconds"; 15 s is under one 30 s Compute poll hint (core/_lro.py
    #: POLL_HINTS), so a stale list is never more than one poll behind.
    stale_list_window: float = 0.0
    #: A failed VM operation leaves the VM as it was (provisioning and power state), instead of
    #: marking it ``Failed``: only the operation status tells (inferred from ARM's "Track
    #: asynchronous Azure operations": the outcome is the status URL's, not the resource's).
    failed_ops_leave_state: bool = False

    @property
    def enabled(self) -> bool:
        """Whether any knob is on."""
        return replace(self, level="off") != Realism()


#: The named levels.
REALISM_LEVELS: dict[str, Realism] = {
    "off": Realism(),
    "azure": Realism(
        level="azure",
        visibility_lag=3.0,
        stale_list_probability=0.5,
        stale_list_window=15.0,
        failed_ops_leave_state=True,
    ),
}


def resolve_realism(value: str | Realism | None) -> Realism:
    """A level name or :class:`Realism` as knobs; None reads :data:`REALISM_ENV` (default
    :data:`DEFAULT_REALISM`, ``"azure"``). An unknown name is a ``ValueError`` naming the known
    ones."""
    if isinstance(value, Realism):
        return value
    name = value if value is not None else os.environ.get(REALISM_ENV, "").strip() or DEFAULT_REALISM
    knobs = REALISM_LEVELS.get(name.lower())
    if knobs is None:
        raise ValueError(f"realism must be one of {', '.join(sorted(REALISM_LEVELS))}, not {name!r}")
    return knobs


#: What a list showed of an item that was not in it.
_ABSENT: Any = None


class StaleLists:
    """List reads that may lag behind, item by item (see :class:`Realism`).

    For each list read (keyed by whatever identifies it: path and query) it remembers what it
    last showed of each item and, when an item changes, what it showed before and when the
    change was first seen. Within ``stale_list_window`` of that, each read shows the item's
    previous state with ``stale_list_probability``: a VM can still show its former state, a new
    VM can be missing and a deleted one still listed, never for longer than the window. With the
    knobs off it keeps nothing and draws no random number."""

    def __init__(self, realism: Realism, clock: Clock, seed: int) -> None:
        self.realism = realism
        self.clock = clock
        self._seed = seed
        self.rng = random.Random(f"realism:{seed}")
        #: list key -> item id -> [shown now, shown before, when the change was first seen]
        self._seen: dict[Hashable, dict[str, list[Any]]] = {}
        #: How many items were shown in a former state (the admin counters show it).
        self.served_stale = 0

    @property
    def active(self) -> bool:
        return self.realism.stale_list_probability > 0 and self.realism.stale_list_window > 0

    def reset(self) -> None:
        self.forget()
        self.rng.seed(f"realism:{self._seed}")
        self.served_stale = 0

    def forget(self) -> None:
        """Forget what every list showed: the state they showed is gone (a restored snapshot
        replaces it whole; no list may show a VM of the state before)."""
        self._seen = {}

    def answer(self, key: Hashable, fresh: list[tuple[str, Any]]) -> list[Any]:
        """The items to show for one list read: ``fresh`` is ``(id, body)`` in order; an item
        may come back as it was before its last change (or not at all, or still there)."""
        if not self.active:
            return [body for _, body in fresh]
        now = self.clock.now()
        window = self.realism.stale_list_window
        seen = self._seen.setdefault(key, {})
        current = dict(fresh)
        out: list[Any] = []
        for item_id in [*current, *(i for i in seen if i not in current)]:
            body = current.get(item_id, _ABSENT)
            entry = seen.get(item_id)
            if entry is None:  # first sight: nothing older to show
                entry = seen[item_id] = [body, body, now]
            elif entry[0] != body:
                entry[1], entry[0], entry[2] = entry[0], copy.deepcopy(body), now
            shown = body
            if (
                entry[1] != entry[0]
                and now - entry[2] <= window
                and self.rng.random() < self.realism.stale_list_probability
            ):
                shown = copy.deepcopy(entry[1])
                self.served_stale += 1
            if body is _ABSENT and now - entry[2] > window:
                del seen[item_id]  # gone, and no read may show it any more
            if shown is not _ABSENT:
                out.append(shown)
        return out
