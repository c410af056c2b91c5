"""A local Azure Resource Manager for Flexible scale sets: Compute, Network, Resources and
ComputeSchedule (Scheduled Actions) over HTTPS, on an emulated clock, with Azure's throttling
and seeded faults.

Three ways to start it::

    with Emulator() as emu: ...                 # Python
    python -m flexvmss.emulator serve           # a terminal
    def test_x(flexvmss_emulator): ...          # pytest

Names are imported on first use, so importing this package stays cheap.

Layout (moto's shape: per provider, state apart from HTTP handling)::

    core/            the contract between the server and the providers: Request/Response,
                     ArmError, ids, ETags and paging, Clock, Store, operations (LRO),
                     Router, Provider, Context, server-side default tables, realism knobs
    compute/ network/ resources/ computeschedule/    one folder per provider, all the same shape:
        __init__.py  ``provider = Provider(namespace, router, durations, hooks)``
        urls.py      the routing table: method, path, handler, op class, throttling policy
        models/      state and behaviour as plain functions over the store (no HTTP);
                     ``models/defaults.py``: what Azure fills in, one sourced table per type
        responses/   thin handlers: parse the request, call models, render ARM's answer
        api.py       what other providers may call (network's, for compute's NICs; compute's,
                     for ComputeSchedule's per-VM work)
    operations.py    the operation-status routes every provider's LROs point at
    _dispatch.py     one request through ARM: clock, auth, faults, throttling, route
    _server.py _admin.py _tls.py    HTTPS, the ``/_emulator/`` admin API, the throwaway CA
    _faults.py _throttle.py         seeded fault injection; Azure's published throttling
    catalog/         the Resource SKUs, from real data (``data/resource_skus.json.gz``)
    testing.py       :class:`TestClient`: requests through the dispatcher, no HTTP

Where a change goes:

* **A new resource type** (say availability sets): its state and rules in
  ``compute/models/availability_sets.py``, its handlers in
  ``compute/responses/availability_sets.py``, its routes in ``compute/urls.py`` (with their
  throttling policy), a reference check where VMs are built (``compute/models/vms.py``), and
  its tests in ``tests/emulator/compute/``; an operation it starts gets a row in
  ``compute/models/operations.py``.
* **A new route** for an existing type: a handler in ``<provider>/responses/`` and a row in
  ``<provider>/urls.py``; a new per-VM action is a row in ``compute/models/operations.py``, a
  function in ``compute/models/actions.py`` and a row in ``compute/urls.py``.
* **A new provider** (as ``computeschedule/`` was): a new folder in the same shape, named in
  ``_emulator._PROVIDER_MODULES``; it reaches others only through their ``api.py``, the
  :class:`~flexvmss.emulator.core.Provider` hooks and the services on
  :class:`~flexvmss.emulator.core.Context` (``compute_budget``: Compute's throttling buckets).
* **A new Flex rule**: ``compute/models/flex.py`` (sizes, sets, profiles) or
  ``compute/models/membership.py`` (a VM joining or leaving a set), citing its source.
* **A new fault kind**: ``_faults.py`` (and, if it acts before the handler, the order in
  ``_dispatch.py``); a new throttling policy: ``_throttle.py`` and the route's row.
* **A value Azure fills in** that the client did not send: a row in the provider's
  ``models/defaults.py`` table for that resource type, naming its source.
* **A new eventual-consistency effect**: a knob in ``core/_realism.py`` (off at level "off"),
  applied where the provider renders what reads show.

Every behaviour cites where it comes from (REST spec or example, Azure docs, a public
recording or issue) or says "inferred".
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._credential import AsyncEmulatorCredential, EmulatorCredential
    from ._emulator import Emulator, EmulatorClients
    from ._faults import FaultRule
    from ._network_setup import FlexNetwork
    from ._throttle import ThrottleLimits, throttle_lower_bound
    from .core import Realism
    from .testing import TestClient

__all__ = [
    "AsyncEmulatorCredential",
    "Emulator",
    "EmulatorClients",
    "EmulatorCredential",
    "FaultRule",
    "FlexNetwork",
    "Realism",
    "TestClient",
    "ThrottleLimits",
    "throttle_lower_bound",
]

_WHERE = {
    "AsyncEmulatorCredential": "._credential",
    "EmulatorCredential": "._credential",
    "Emulator": "._emulator",
    "EmulatorClients": "._emulator",
    "FaultRule": "._faults",
    "FlexNetwork": "._network_setup",
    "Realism": ".core",
    "TestClient": ".testing",
    "ThrottleLimits": "._throttle",
    "throttle_lower_bound": "._throttle",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
