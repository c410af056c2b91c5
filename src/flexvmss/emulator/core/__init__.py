"""The emulator's core: requests, responses, ARM errors, routing, the virtual clock,
the resource store and long-running operations.

This package is the contract between the HTTP layer (``_server.py``) and the resource
providers (``resources/``, ``compute/``, ``network/``). A provider registers handlers on a
:class:`Router`; a handler receives the :class:`Context` and a :class:`Request` and returns
a :class:`Response` or raises :class:`ArmError`. Handlers are plain synchronous functions:
state is in memory and every request is served under the store's lock, so a handler never
sees another request half done.

Nothing here imports from :mod:`flexvmss` outside the emulator package: the emulator and
the library meet only on the wire.

One module per concept, all re-exported here:

=================  ==========================================================
``_http``          :class:`Request`, :class:`Response` (what a handler sees)
``_errors``        :class:`ArmError` (ARM's error answer)
``_ids``           :func:`arm_id`, :func:`parse_arm_id` and other id and name helpers
``_wire``          ETag preconditions, paging (ARM's conventions on the wire)
``_defaults``      :class:`Default`, :func:`fill_defaults` (server-side defaults as tables)
``_clock``         :class:`Clock` (emulated time)
``_store``         :class:`Store` (all state, snapshots)
``_lro``           :class:`Operation`, :class:`OperationManager`
``_routing``       :class:`Router`, :class:`Route`, throttling policy resolvers
``_provider``      :class:`Provider` (what a provider package declares)
``_realism``       :class:`Realism` (eventual-consistency knobs), :class:`StaleLists`
``_context``       :class:`Context` (what every handler receives)
=================  ==========================================================
"""

from __future__ import annotations

from ._clock import Clock
from ._context import ComputeBudget, Context
from ._defaults import Default, fill_defaults
from ._errors import ArmError
from ._http import JSON, CaseInsensitiveDict, Request, Response
from ._ids import arm_id, location_of, norm_location, parse_arm_id, rg_of, same_id, top_id
from ._lro import DEFAULT_DURATION, JITTER, POLL_HINTS, Operation, OperationManager, OutcomeHook
from ._provider import GroupCheck, Provider, RemovalHook, RemoveResource
from ._realism import DEFAULT_REALISM, REALISM_ENV, REALISM_LEVELS, Realism, StaleLists, resolve_realism
from ._routing import OP_CLASSES, Handler, PolicyResolver, Route, Router
from ._store import Store
from ._wire import PAGE_SIZE, check_preconditions, etag_headers, paginate

__all__ = [
    "DEFAULT_DURATION",
    "DEFAULT_REALISM",
    "JITTER",
    "JSON",
    "OP_CLASSES",
    "PAGE_SIZE",
    "POLL_HINTS",
    "REALISM_ENV",
    "REALISM_LEVELS",
    "ArmError",
    "CaseInsensitiveDict",
    "Clock",
    "ComputeBudget",
    "Context",
    "Default",
    "GroupCheck",
    "Handler",
    "Operation",
    "OperationManager",
    "OutcomeHook",
    "PolicyResolver",
    "Provider",
    "Realism",
    "RemovalHook",
    "RemoveResource",
    "Request",
    "Response",
    "Route",
    "Router",
    "StaleLists",
    "Store",
    "arm_id",
    "check_preconditions",
    "etag_headers",
    "fill_defaults",
    "location_of",
    "norm_location",
    "paginate",
    "parse_arm_id",
    "resolve_realism",
    "rg_of",
    "same_id",
    "top_id",
]
