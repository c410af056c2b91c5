"""What every handler receives: the shared state and services of one emulator."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ._clock import Clock
from ._lro import OperationManager
from ._store import Store

__all__ = ["Context", "RemovalHook", "on_resources_removed", "resources_removed"]


#: Told which resources were removed from the store by someone other than their provider
#: (a resource group deletion), with their ids lower-cased, so the provider can drop the
#: private state it keeps about them in ``store.extra``. Runs under the store's lock.
RemovalHook = Callable[["Context", "list[str]"], None]

_removal_hooks: list[RemovalHook] = []


def on_resources_removed(hook: RemovalHook) -> RemovalHook:
    """Register ``hook`` (usable as a decorator) to hear of resources removed behind its
    provider's back. Registering the same function twice keeps one registration."""
    if hook not in _removal_hooks:
        _removal_hooks.append(hook)
    return hook


def resources_removed(ctx: Context, resource_ids: Iterable[str]) -> None:
    """Tell every registered hook that ``resource_ids`` are gone from ``ctx.store``."""
    ids = [rid.lower() for rid in resource_ids]
    if not ids:
        return
    for hook in list(_removal_hooks):
        hook(ctx, ids)


# --------------------------------------------------------------------------- context


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
    #: Items per page of every list answer (``nextLink`` beyond).
    page_size: int = 100

    def new_guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex8(self) -> str:
        return f"{self.rng.getrandbits(32):08x}"

    def etag(self) -> str:
        return f'W/"{self.new_guid()}"'
