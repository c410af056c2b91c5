"""The :class:`Emulator`: a local Azure Resource Manager for Compute, Network and
Resources that the stock azure-mgmt clients talk to over HTTPS.

::

    with Emulator(time_scale=0.01) as emu:
        c = emu.clients()
        c.resource.resource_groups.create_or_update("rg", {"location": "eastus"})
        ...

The providers (``resources``, ``compute``, ``network``) are found by import; one that is
not installed is left out and named in :attr:`Emulator.missing_providers`.
"""

from __future__ import annotations

import copy
import importlib
import ipaddress
import logging
import random
import secrets
import uuid
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from ._credential import AsyncEmulatorCredential, EmulatorCredential
from ._dispatch import Counters, Dispatcher
from ._faults import FaultInjector, FaultRule
from ._inputs import ADMIN_TOKEN_HEADER, MAX_CLOCK_SECONDS, check_fault_fields, check_seconds
from ._network_setup import create_network
from ._throttle import ThrottleLimits, ThrottleModel
from ._tls import TlsMaterial, make_tls
from .core import (
    PAGE_SIZE,
    Clock,
    Context,
    OperationManager,
    Provider,
    Realism,
    Router,
    StaleLists,
    Store,
    resolve_realism,
)
from .operations import router as operations_router
from .testing import TestClient

__all__ = ["DEFAULT_SUBSCRIPTION_ID", "DEFAULT_TENANT_ID", "Emulator", "EmulatorClients", "is_loopback"]

log = logging.getLogger("flexvmss.emulator")

#: Realistic, non-zero GUIDs, so that scrubbing them from recordings can be tested.
DEFAULT_SUBSCRIPTION_ID = "8f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"
DEFAULT_TENANT_ID = "3d5e7f90-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
ARM_SCOPE = "https://management.azure.com/.default"

_PROVIDER_MODULES = (
    "flexvmss.emulator.resources",
    "flexvmss.emulator.compute",
    "flexvmss.emulator.network",
    "flexvmss.emulator.computeschedule",
)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the emulator on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to anything


def _import_optional(module: str) -> Any | None:
    """Import ``module``; None when it (not one of its own imports) does not exist."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise


def _load_catalog() -> Mapping[str, list[dict[str, Any]]]:
    """The Resource SKUs catalog (a :class:`flexvmss.emulator.catalog.Catalog`: regions are built
    on first use), or an empty one when the package is missing."""
    mod = _import_optional("flexvmss.emulator.catalog")
    if mod is None or not hasattr(mod, "load_catalog"):
        log.warning("flexvmss.emulator.catalog is not available; the SKU catalog is empty")
        return {}
    catalog: Mapping[str, list[dict[str, Any]]] = mod.load_catalog()
    return catalog


def _aio_transport(ca_file: str) -> Any:
    """An aiohttp transport that trusts ``ca_file`` with one SSL context for all requests.

    azure-core's ``AioHttpTransport`` builds a new ``SSLContext`` for every request when
    ``connection_verify`` is a path; aiohttp then reuses no connection, and each request
    pays a TLS handshake (a thousand concurrent pollers spend more time in handshakes than
    in the emulator). Building the context once keeps connections pooled. If azure-core
    stops calling ``_build_ssl_config``, this degrades to the stock behaviour."""
    import ssl

    from azure.core.pipeline.transport import AioHttpTransport

    context = ssl.create_default_context(cafile=ca_file)

    class _PooledTlsTransport(AioHttpTransport):  # type: ignore[misc]
        def _build_ssl_config(self, cert: Any, verify: Any) -> Any:
            if not cert and verify == ca_file:
                return context
            return super()._build_ssl_config(cert, verify)

    return _PooledTlsTransport(connection_verify=ca_file)


class EmulatorClients:
    """The stock management clients, built on first use against one emulator.

    ``compute`` is ``ComputeManagementClient``, ``network`` ``NetworkManagementClient`` and
    ``resource`` ``azure.mgmt.resource.resources.ResourceManagementClient`` (their ``.aio``
    twins with ``aio=True``; close them with ``await clients.aclose()``)."""

    def __init__(self, emulator: Emulator, *, aio: bool) -> None:
        self._emu = emulator
        self._aio = aio
        self._made: dict[str, Any] = {}

    def _make(self, key: str, module: str, cls: str) -> Any:
        if key not in self._made:
            mod = importlib.import_module(module + (".aio" if self._aio else ""))
            cred = self._emu.async_credential if self._aio else self._emu.credential
            kwargs = self._emu.client_kwargs(aio=self._aio)
            self._made[key] = getattr(mod, cls)(cred, self._emu.subscription_id, **kwargs)
        return self._made[key]

    @property
    def compute(self) -> Any:
        return self._make("compute", "azure.mgmt.compute", "ComputeManagementClient")

    @property
    def network(self) -> Any:
        return self._make("network", "azure.mgmt.network", "NetworkManagementClient")

    @property
    def resource(self) -> Any:
        return self._make("resource", "azure.mgmt.resource.resources", "ResourceManagementClient")

    def close(self) -> None:
        """Close the sync clients made so far."""
        for client in self._made.values():
            client.close()
        self._made.clear()

    async def aclose(self) -> None:
        """Close the async clients made so far."""
        for client in self._made.values():
            await client.close()
        self._made.clear()


class Emulator:
    """A local ARM endpoint over HTTPS (throwaway CA), on an emulated clock.

    ``time_scale`` is real seconds per emulated second (0.01: a 45 s VM create takes
    0.45 s). ``throttle="azure"`` turns Azure's published limits on. ``seed`` makes
    operation ids, durations and faults reproducible. ``manual_clock=True`` freezes time
    until :meth:`advance`. ``routers`` replaces the built-in providers (tests);
    ``extra_routers`` adds to them.

    ``realism`` is how far reads imitate Azure's eventual consistency: a level name (``"off"``,
    ``"azure"``) or :class:`~flexvmss.emulator.core.Realism` knobs; None takes the level named by
    ``FLEXVMSS_EMULATOR_REALISM`` (default ``"azure"``: eventually consistent, as Azure is;
    ``realism="off"`` for exact, immediate reads). ``throttle_refusals_cost`` makes a
    throttled request spend its tokens as well (unknown for Azure: off by default).
    ``throttle_limits`` (:class:`~flexvmss.emulator.ThrottleLimits`) enforces other limits than
    Azure's published ones and lets other callers spend the same buckets.
    ``page_size`` is the items per list page (Azure's 50 by default).

    The emulator is a local test service: it listens on loopback (``host="127.0.0.1"``). Any
    other address exposes an ARM that takes any token, on a throwaway CA, to the network, so it
    needs ``allow_remote=True`` (and logs a warning). The HTTP admin API (``/_emulator/``) needs
    :attr:`admin_token` (random unless given) in the ``x-flexvmss-admin-token`` header;
    :meth:`admin_headers` gives it.
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        throttle: str | None = None,
        seed: int = 0,
        port: int = 0,
        host: str = "127.0.0.1",
        page_size: int = PAGE_SIZE,
        subscription_id: str = DEFAULT_SUBSCRIPTION_ID,
        tenant_id: str = DEFAULT_TENANT_ID,
        manual_clock: bool = False,
        routers: Iterable[Router] | None = None,
        extra_routers: Iterable[Router] = (),
        realism: str | Realism | None = None,
        throttle_refusals_cost: bool = False,
        throttle_limits: ThrottleLimits | None = None,
        allow_remote: bool = False,
        admin_token: str | None = None,
    ) -> None:
        if not is_loopback(host):
            if not allow_remote:
                raise ValueError(
                    f"host {host!r} is not a loopback address: the emulator would take requests from the "
                    "network (any bearer token passes, its CA is throwaway). Bind 127.0.0.1, or pass "
                    "allow_remote=True (serve --allow-remote) if that is what you want."
                )
            log.warning(
                "flexvmss emulator: binding %s, a non-loopback address; anyone who can reach it can "
                "use its ARM routes (the admin API still needs the admin token)",
                host,
            )
        if admin_token is not None and (not isinstance(admin_token, str) or len(admin_token) < 16):
            raise ValueError("admin_token must be a string of at least 16 characters")
        self._admin_token = admin_token or secrets.token_urlsafe(32)
        self.time_scale = time_scale
        self.seed = seed
        self.host = host
        self.port = port
        self.subscription_id = subscription_id
        self.tenant_id = tenant_id
        self.clock = Clock(time_scale, manual=manual_clock)
        self.rng = random.Random(seed)
        self.store = Store()
        self.lro = OperationManager(self.clock, self.rng)
        self.faults = FaultInjector(seed)
        self.lro.outcome_hook = self.faults.outcome_hook
        self._throttle_limits = throttle_limits or ThrottleLimits()
        self.throttle = ThrottleModel(
            self.clock, refusals_cost=throttle_refusals_cost, limits=self._throttle_limits
        )
        self.set_throttle(throttle)
        self.realism = resolve_realism(realism)
        self.missing_providers: list[str] = []
        providers = self._mount(routers, extra_routers)
        for provider in providers:
            self.lro.durations.update(provider.durations)
        self.ctx = Context(
            self.store,
            self.clock,
            self.lro,
            self.rng,
            catalog=_load_catalog(),
            subscription_id=subscription_id,
            page_size=page_size,
            providers=tuple(providers),
            compute_budget=self.throttle,
            realism=self.realism,
            stale_lists=StaleLists(self.realism, self.clock, seed),
        )
        self.dispatcher = Dispatcher(self.ctx, self.router, self.throttle, self.faults)
        self.credential = EmulatorCredential(tenant_id)
        self.async_credential = AsyncEmulatorCredential(tenant_id)
        self._snapshots: dict[str, dict[str, Any]] = {}
        self._tls: TlsMaterial | None = None
        self._server: Any = None

    @property
    def admin_token(self) -> str:
        """The token the HTTP admin API (``/_emulator/``) requires, in the
        ``x-flexvmss-admin-token`` header."""
        return self._admin_token

    def admin_headers(self) -> dict[str, str]:
        """The header that authorises a request to the HTTP admin API."""
        return {ADMIN_TOKEN_HEADER: self._admin_token}

    def __repr__(self) -> str:
        state = self.base_url if self._server is not None else "stopped"
        return (
            f"Emulator({state}, time_scale={self.time_scale}, throttle={self.throttle.enabled}, "
            f"realism={self.realism.level!r})"
        )

    def _mount(self, routers: Iterable[Router] | None, extra: Iterable[Router]) -> list[Provider]:
        """The providers found by import (none when ``routers`` replaces them); builds
        :attr:`router` from the operation-status routes, theirs, ``routers`` and ``extra``."""
        providers: list[Provider] = []
        if routers is None:
            for name in _PROVIDER_MODULES:
                mod = _import_optional(name)
                provider = getattr(mod, "provider", None) if mod is not None else None
                if provider is None:
                    self.missing_providers.append(name)
                    log.warning("emulator provider %s is not available; its routes answer 404", name)
                else:
                    providers.append(provider)
        self.router = Router()
        self.router.include(operations_router)
        for r in [*(p.router for p in providers), *(routers or ()), *extra]:
            self.router.include(r)
        return providers

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Emulator:
        """Make the CA, bind the port and serve in a background thread."""
        from ._admin import AdminApi  # aiohttp loads with the server, not with the emulator
        from ._server import ServerThread

        if self._server is not None:
            return self
        self._tls = make_tls(self.host)
        server = ServerThread(
            self.dispatcher,
            AdminApi(self),
            host=self.host,
            port=self.port,
            ssl_context=self._tls.server_context,
        )
        server.start()
        self._server = server
        self.port = server.port
        self.lro.base_url = self.base_url
        self.ctx.base_url = self.base_url
        return self

    def stop(self) -> None:
        """Stop serving and remove the CA file."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._tls is not None:
            self._tls.cleanup()
            self._tls = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>`` once started."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"https://{host}:{self.port}"

    @property
    def ca_file(self) -> str:
        """Path of the CA certificate (PEM) to pass as ``connection_verify``."""
        if self._tls is None:
            raise RuntimeError("the emulator is not started")
        return self._tls.ca_file

    # ------------------------------------------------------------------ clients

    def client_kwargs(self, aio: bool = False) -> dict[str, Any]:
        """Keyword arguments that point an azure-mgmt client at this emulator: ``base_url``,
        ``connection_verify`` (the CA file), ``credential_scopes`` and a small
        ``polling_interval``. With ``aio=True`` they add a ``transport`` that keeps TLS
        connections pooled (a new one for every call: each client owns and closes its own)."""
        kwargs: dict[str, Any] = {
            "base_url": self.base_url,
            "connection_verify": self.ca_file,
            "credential_scopes": [ARM_SCOPE],
            # the emulator always sends a retry hint; this is only the fallback
            "polling_interval": max(0.01, min(1.0, self.time_scale)),
        }
        if aio:
            kwargs["transport"] = _aio_transport(self.ca_file)
        return kwargs

    def clients(self, aio: bool = False) -> EmulatorClients:
        """Stock Compute, Network and Resource clients bound to this emulator."""
        return EmulatorClients(self, aio=aio)

    def test_client(self, **kwargs: Any) -> TestClient:
        """An in-process client that sends requests through this emulator's dispatcher
        without HTTP (the emulator need not be started); ``kwargs`` go to
        :class:`~flexvmss.emulator.testing.TestClient`."""
        return TestClient(self, **kwargs)

    # ------------------------------------------------------------------ admin (Python)

    def reset(self) -> None:
        """Forget all state, operations, counters and throttling usage, and go back to the
        throttling limits the emulator was made with; reseed. Fault rules stay in force (their
        counts restart); :meth:`clear_faults` removes them."""
        with self.store.lock:
            self.store.reset()
            self.lro.reset()
            self.rng.seed(self.seed)
            self.faults.reset()
            self.throttle.reset()
            self.throttle.limits = self._throttle_limits
            if self.ctx.stale_lists is not None:
                self.ctx.stale_lists.reset()
            self.dispatcher.counters = Counters()

    def snapshot(self) -> str:
        """Save the resource state; returns an id for :meth:`restore`."""
        with self.store.lock:
            snap_id = str(uuid.uuid4())
            self._snapshots[snap_id] = self.store.snapshot()
            return snap_id

    def restore(self, snapshot_id: str) -> None:
        """Bring back a snapshot's state. Operations still pending end ``Canceled`` (they
        belong to the state being replaced); lists forget what they showed of it (realism)."""
        with self.store.lock:
            snap = self._snapshots.get(snapshot_id)
            if snap is None:
                raise KeyError(f"no snapshot {snapshot_id!r}")
            self.store.restore(snap)
            self.lro.drop_pending()
            if self.ctx.stale_lists is not None:
                self.ctx.stale_lists.forget()

    def counters(self) -> dict[str, Any]:
        """Requests by op class and route, by status, throttled, faults injected by kind."""
        with self.store.lock:
            out = self.dispatcher.counters.as_dict(self.faults.counts)
            out["in_flight_operations"] = self.lro.in_flight()
            stale = self.ctx.stale_lists
            out["realism"] = {
                "level": self.realism.level,
                "stale_list_items": stale.served_stale if stale is not None else 0,
            }
            return copy.deepcopy(out)

    def inventory(self) -> dict[str, Any]:
        """Every resource (id, type, provisioning state), resource group and pending operation."""
        with self.store.lock:
            self.lro.tick()
            resources = [
                {
                    "id": body.get("id"),
                    "type": body.get("type"),
                    "provisioningState": (body.get("properties") or {}).get("provisioningState"),
                }
                for body in self.store.resources.values()
            ]
            groups = [
                {
                    "id": rg.get("id"),
                    "name": rg.get("name"),
                    "location": rg.get("location"),
                    "provisioningState": (rg.get("properties") or {}).get("provisioningState"),
                }
                for rg in self.store.resource_groups.values()
            ]
            now = self.clock.now()
            ops = [
                {
                    "id": op.id,
                    "provider": op.provider,
                    "kind": op.kind,
                    "resourceId": op.resource_id,
                    "status": op.status,
                    "dueInSeconds": round(max(0.0, op.done_at - now), 3),
                }
                for op in self.lro.pending()
            ]
            by_type: dict[str, int] = {}
            for r in resources:
                by_type[str(r["type"])] = by_type.get(str(r["type"]), 0) + 1
            return {
                "resources": resources,
                "resource_groups": groups,
                "operations": ops,
                "counts": {"resources": len(resources), "by_type": by_type, "in_flight_operations": len(ops)},
            }

    def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        """Put a fault rule in force (a :class:`FaultRule` or its fields as a dict); its
        fields are checked first (``ValueError``: finite numbers in range, a valid regex)."""
        check_fault_fields(rule.to_dict() if isinstance(rule, FaultRule) else rule)
        with self.store.lock:
            return self.faults.add(rule)

    def clear_faults(self) -> None:
        with self.store.lock:
            self.faults.clear()

    def advance(self, seconds: float) -> None:
        """Move the emulated clock forward and complete what became due. ``seconds`` is a
        finite number from 0 to ten years (``ValueError`` otherwise: a NaN or endless clock
        would break every later operation)."""
        seconds = check_seconds(seconds)
        with self.store.lock:
            if self.clock.now() + seconds > MAX_CLOCK_SECONDS:
                raise ValueError("the emulated clock would run past a thousand years; reset or restart it")
            self.clock.advance(seconds)
            self.lro.tick()

    def complete_all(self) -> int:
        """Finish every pending operation now; returns how many."""
        with self.store.lock:
            n = self.lro.in_flight()
            self.lro.complete_all()
            return n

    def simulate_scale_in(self, scale_set_id: str, count: int = 1) -> list[str]:
        """Play Azure's autoscale lowering a Flexible set's capacity by ``count``: VMs go as the
        set's scale-in policy picks them, each with what its ``deleteOption`` says (``Detach``
        leaves disks, NICs and public IPs behind, unattached). Returns the removed VMs' names.
        ``KeyError`` for a set that does not exist or has no VM profile."""
        from .compute.models.platform import simulate_scale_in

        with self.store.lock:
            self.lro.tick()
            return simulate_scale_in(self.ctx, scale_set_id, count)

    def simulate_zone_rebalance(self, scale_set_id: str) -> dict[str, str] | None:
        """Play one move of automatic zone rebalancing on a set that enables it: a new VM in the
        least populated zone, then a VM of the most populated one deleted (per its
        ``deleteOption``); at most one move per 12 emulated hours. Returns ``{"removed",
        "created", "from_zone", "to_zone"}``, or None when there is nothing to move."""
        from .compute.models.platform import simulate_zone_rebalance

        with self.store.lock:
            self.lro.tick()
            return simulate_zone_rebalance(self.ctx, scale_set_id)

    def limit_zone_capacity(self, location: str, limits: Mapping[str, int]) -> None:
        """Let each named zone of ``location`` hold at most that many VMs (all sets and sizes
        together; zones not named have no limit; an empty mapping lifts every limit). A VM a
        set's profile makes where no allowed zone has room fails to provision with
        ``ZonalAllocationFailed``: a partial allocation."""
        from .compute.models.resilience import set_zone_capacity

        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in limits.values()):
            raise ValueError("zone limits are whole numbers of VMs, 0 or more")
        with self.store.lock:
            set_zone_capacity(self.ctx, location, {str(z): int(n) for z, n in limits.items()})

    def fail_vm_provisioning(
        self, scale_set_id: str, count: int = 1, code: str = "OSProvisioningTimedOut"
    ) -> None:
        """The next ``count`` VMs the set makes from its profile fail to provision with ``code``
        (a guest that never reports ready). Resilient VM create replaces such a VM under a new
        name when ``code`` is ``OSProvisioningTimedOut`` or ``VMStartTimedOut``."""
        from .compute.models.platform import find_flex_set
        from .compute.models.resilience import fail_provisioning

        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("count must be a whole number of VMs, 1 or more")
        with self.store.lock:
            fail_provisioning(self.ctx, find_flex_set(self.ctx, scale_set_id)["id"], count, code)

    def fail_vm_deletion(self, scale_set_id: str, count: int = 1, times: int = 1) -> None:
        """The next ``count`` VMs the set deletes (scale-in, DeleteInstances, the set's own
        deletion) each meet ``times`` transient failures: the VM stays, ``Failed``, unless the
        set enables resilient VM delete, which retries up to five times."""
        from .compute.models.platform import find_flex_set
        from .compute.models.resilience import fail_deletions

        for value, what in ((count, "count"), (times, "times")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{what} must be a whole number, 1 or more")
        with self.store.lock:
            fail_deletions(self.ctx, find_flex_set(self.ctx, scale_set_id)["id"], count, times)

    def resilient_deletes(self, scale_set_id: str) -> list[dict[str, str]]:
        """The VM deletions resilient VM delete retried in the set (``{"vm", "retries"}``):
        the emulator's own record, for tests."""
        from .compute.models.state import set_book

        with self.store.lock:
            return [dict(item) for item in set_book(self.ctx, scale_set_id).get("resilient_deletes") or []]

    def resilient_creates(self, scale_set_id: str) -> list[dict[str, str]]:
        """The VMs resilient VM create replaced in the set (``{"failed", "replacement"}``
        names): the emulator's own record, for tests; Azure answers no such list."""
        from .compute.models.state import set_book

        with self.store.lock:
            return [dict(item) for item in set_book(self.ctx, scale_set_id).get("resilient_creates") or []]

    def create_network(self, resource_group: str, location: str = "westeurope", **kwargs: Any) -> Any:
        """A resource group, a VNet and a subnet behind a NAT gateway (plus one without outbound
        access), made through the stock clients: what a Flex profile set needs. Returns a
        :class:`~flexvmss.emulator._network_setup.FlexNetwork`; see
        :func:`~flexvmss.emulator._network_setup.create_network` for the options."""
        return create_network(self, resource_group, location, **kwargs)

    def set_vm_health(self, state: str | None, name: str = "*") -> None:
        """What the Application Health extension reports in VM ``name``'s instance view
        (``vmHealth``): ``"initializing"``, ``"healthy"``, ``"unhealthy"``, ``"unknown"``, or None
        for no extension. ``name="*"`` applies to every VM without its own entry, those created
        later included. Cleared by :meth:`reset`."""
        from flexvmss.emulator.compute.models.power import set_health

        with self.store.lock:
            set_health(self.ctx, state, name)

    def set_throttle(self, mode: str | None, *, limits: ThrottleLimits | None = None) -> None:
        """``"azure"`` turns Azure's throttling on; ``"off"`` or None turns it off; either
        refills the buckets. ``limits`` replaces the limits enforced (kept when None; pass
        ``ThrottleLimits()`` for Azure's published ones again)."""
        if mode not in (None, "off", "azure"):
            raise ValueError(f"throttle mode must be 'azure' or 'off', not {mode!r}")
        if limits is not None and not isinstance(limits, ThrottleLimits):
            raise ValueError(f"limits must be a ThrottleLimits, not {type(limits).__name__}")
        with self.store.lock:
            if limits is not None:
                self.throttle.limits = limits
            self.throttle.enabled = mode == "azure"
            self.throttle.reset()
