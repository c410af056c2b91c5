"""What every handler receives: the shared state and services of one emulator."""

from __future__ import annotations

import random
import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ._clock import Clock
from ._lro import OperationManager
from ._provider import Provider
from ._realism import Realism, StaleLists
from ._store import Store
from ._wire import PAGE_SIZE

__all__ = ["ComputeBudget", "Context"]


class ComputeBudget(Protocol):
    """Compute's throttling budget, as a provider that calls Compute on a caller's behalf
    sees it (the emulator's throttling model is one)."""

    def reserve(self, *, subscription_id: str, policy: str, resource_key: str | None = None) -> float:
        """0.0 when one call charged to ``policy`` may go now (its tokens are spent), else the
        emulated seconds until it may (nothing is spent)."""
        ...


@dataclass
class Context:
    """What every handler receives: the shared state and services of one emulator."""

    store: Store
    clock: Clock
    lro: OperationManager
    rng: random.Random
    #: The Resource SKUs catalog: ``catalog[location_lower] -> list of SKU dicts`` (wire shape).
    catalog: Any = None
    base_url: str = "https://localhost"
    #: Default subscription the emulator advertises.
    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    #: Items per page of every list answer (``nextLink`` beyond): :data:`PAGE_SIZE`.
    page_size: int = PAGE_SIZE
    #: The providers mounted, in the order their routes were added.
    providers: tuple[Provider, ...] = field(default=())
    #: Compute's throttling budget, for providers that call Compute themselves
    #: (``computeschedule``); None: no budget, every call may go at once.
    compute_budget: ComputeBudget | None = None
    #: How far reads imitate Azure's eventual consistency (an Emulator resolves it: "azure" by default).
    realism: Realism = field(default_factory=Realism)
    #: List answers that may be served one round stale (only with :attr:`realism` on).
    stale_lists: StaleLists | None = None

    def listed(self, key: Hashable, fresh: list[tuple[str, Any]]) -> list[Any]:
        """The items a list read shows: ``fresh`` (``(id, body)`` pairs), or with realism on
        possibly some in the state the same read showed before (:class:`StaleLists`)."""
        if self.stale_lists is None:
            return [body for _, body in fresh]
        return self.stale_lists.answer(key, fresh)

    def new_guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex8(self) -> str:
        return f"{self.rng.getrandbits(32):08x}"

    def etag(self) -> str:
        return f'W/"{self.new_guid()}"'

    def owner_of(self, resource_type: str) -> Provider | None:
        """The mounted provider whose namespace ``resource_type`` is in, if any."""
        return next((p for p in self.providers if p.owns(resource_type)), None)
