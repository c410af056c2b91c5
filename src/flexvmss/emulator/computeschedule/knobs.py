"""The emulated ScheduledActions' knobs, for tests and demos (Python only)::

    from flexvmss.emulator.computeschedule import knobs

    k = knobs(emu)                       # an Emulator (or its Context)
    k.registered = False                 # 409 MissingSubscriptionRegistration on every call
    k.regions = ["westeurope"]           # 400 NoRegisteredProviderFound elsewhere
    k.refuse([vm_id], code="OperationConflict")   # that VM refused in every batch
    k.refuse_share(0.1, seed=7)          # a seeded tenth of all VMs refused
    k.blocked = True                     # an outage: operations Blocked until it ends

The knobs live in the emulator's store, so a reset puts them back to Azure's defaults
(registered, every region, no outage, nothing refused) and a snapshot keeps them. Over HTTP,
ARM's own provider routes change the registration as on Azure
(``POST /subscriptions/{sub}/providers/Microsoft.ComputeSchedule/unregister`` and
``.../register``; registering succeeds only with ``can_register``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from ..core import Context, norm_location
from .models.dispatch import release_blocked
from .models.state import book, settings

__all__ = ["ScheduleKnobs", "knobs"]

_REFUSED = "The virtual machine has an ongoing operation that conflicts with this request."


class ScheduleKnobs:
    """Switches on one emulator's ScheduledActions (see the module docstring)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def _settings(self) -> dict[str, Any]:
        return settings(self._ctx)

    @property
    def registered(self) -> bool:
        """Whether the subscription has registered ``Microsoft.ComputeSchedule`` (default True)."""
        with self._ctx.store.lock:
            return bool(self._settings()["registration"] == "Registered")

    @registered.setter
    def registered(self, value: bool) -> None:
        with self._ctx.store.lock:
            self._settings()["registration"] = "Registered" if value else "NotRegistered"

    @property
    def can_register(self) -> bool:
        """Whether the caller may register the provider itself (default False: ARM's 403)."""
        with self._ctx.store.lock:
            return bool(self._settings()["can_register"])

    @can_register.setter
    def can_register(self, value: bool) -> None:
        with self._ctx.store.lock:
            self._settings()["can_register"] = bool(value)

    @property
    def regions(self) -> list[str] | None:
        """The regions the service runs in; None (default): every region of the catalog."""
        with self._ctx.store.lock:
            regions = self._settings()["regions"]
            return None if regions is None else list(regions)

    @regions.setter
    def regions(self, value: Iterable[str] | None) -> None:
        with self._ctx.store.lock:
            self._settings()["regions"] = None if value is None else sorted({norm_location(r) for r in value})

    @property
    def blocked(self) -> bool:
        """An outage: while True, new and due operations are ``Blocked``; set False to end it
        (blocked operations whose window has not passed then run)."""
        with self._ctx.store.lock:
            return bool(self._settings()["blocked"])

    @blocked.setter
    def blocked(self, value: bool) -> None:
        with self._ctx.store.lock:
            was = self._settings()["blocked"]
            self._settings()["blocked"] = bool(value)
            if was and not value:
                release_blocked(self._ctx)

    def refuse(
        self, vm_ids: Iterable[str], *, code: str = "OperationConflict", details: str = _REFUSED
    ) -> None:
        """Refuse these VMs (ids, any case) in every batch, with ``code`` and ``details``."""
        with self._ctx.store.lock:
            refusals = self._settings()["refusals"]
            for vm_id in vm_ids:
                refusals[vm_id.lower()] = [code, details]

    def refuse_share(
        self, share: float, *, seed: int = 0, code: str = "OperationConflict", details: str = _REFUSED
    ) -> None:
        """Refuse about ``share`` (0..1) of all VMs, each chosen by a draw seeded with ``seed``
        and its id (the same VMs every time, whatever the order they come in)."""
        if not 0.0 <= share <= 1.0:
            raise ValueError("share must be within [0, 1]")
        with self._ctx.store.lock:
            self._settings()["refuse_share"] = [share, seed, code, details]

    def clear_refusals(self) -> None:
        """Refuse no VM any more."""
        with self._ctx.store.lock:
            self._settings()["refusals"] = {}
            self._settings()["refuse_share"] = None

    def set_limits(self, *, max_resources: int | None = None, max_operation_ids: int | None = None) -> None:
        """Change the per-request limits (defaults: 100 and 100, see ``models/limits.py``)."""
        with self._ctx.store.lock:
            if max_resources is not None:
                self._settings()["max_resources"] = int(max_resources)
            if max_operation_ids is not None:
                self._settings()["max_operation_ids"] = int(max_operation_ids)

    def operations(self) -> list[dict[str, Any]]:
        """A copy of every operation's record (emulated seconds), oldest first."""
        with self._ctx.store.lock:
            return [copy.deepcopy(r) for r in book(self._ctx)["ops"].values()]


def knobs(target: Any) -> ScheduleKnobs:
    """The knobs of ``target``: an :class:`~flexvmss.emulator.Emulator` or its ``ctx``."""
    ctx = target if isinstance(target, Context) else getattr(target, "ctx", None)
    if not isinstance(ctx, Context):
        raise TypeError(f"knobs() needs an Emulator or a Context, not {type(target).__name__}")
    return ScheduleKnobs(ctx)
