"""A resource provider as the emulator mounts it.

Each provider package (``compute/``, ``network/``, ``resources/``) ends in one
:class:`Provider` value named ``provider``: its namespace, its routing table, how long its
operations take, and the hooks through which a resource group deletion (served by the
``resources`` provider) reaches resources that belong to others. Providers never import
each other for these; they meet in :attr:`Context.providers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._routing import Router

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["GroupCheck", "Provider", "RemovalHook", "RemoveResource"]

#: Refuses to delete resource group ``(subscription_id, resource_group)`` by raising
#: :class:`ArmError` (the group deletion then fails with that error); returns otherwise.
GroupCheck = Callable[["Context", str, str], None]

#: Removes one of the provider's resources (its stored body) from the store, with whatever
#: it holds elsewhere, while its resource group is being deleted.
RemoveResource = Callable[["Context", "dict[str, Any]"], None]

#: Told which resources were removed from the store by someone other than their provider
#: (a resource group deletion), with their ids lower-cased, so the provider can drop the
#: private state it keeps about them in ``store.extra``. Runs under the store's lock.
RemovalHook = Callable[["Context", "list[str]"], None]


@dataclass(frozen=True)
class Provider:
    """What the emulator needs to know about one resource provider."""

    #: ``Microsoft.Compute``: resources whose type starts with it belong to this provider.
    namespace: str
    #: Every route it serves (its ``urls.py``).
    router: Router
    #: Emulated seconds (before jitter) of each operation kind it starts.
    durations: Mapping[str, float] = field(default_factory=dict)
    #: Refuses a resource group deletion that would break something it holds.
    check_group_delete: GroupCheck | None = None
    #: Removes one of its resources during a group deletion (default: drop the body).
    remove: RemoveResource | None = None
    #: Hears of resources removed behind its back.
    forget: RemovalHook | None = None

    def owns(self, resource_type: str) -> bool:
        """Whether ``resource_type`` (``Microsoft.Compute/disks``) is one of this provider's."""
        return resource_type.lower().startswith(self.namespace.lower() + "/")
