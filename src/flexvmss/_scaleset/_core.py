"""What every room of the facade works with: the set's address, its clients, the SKU catalog,
and the reads every operation starts from (the set, its VMs, a selection of them) and the
fan-out every batch ends in.

:class:`ScaleSetCore` is the base of :class:`~flexvmss.aio.FlexScaleSet`. Its helpers are
private (``_call``, ``_select_vms``...) so the facade's public surface stays its documented
methods; the rooms (``_preflight``, ``_create``, ``_per_vm``, ``_teardown``) are functions of a
``ScaleSetCore``. Reads never pretend: a throttled or failed list raises, it never comes back
empty.
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from flexvmss._arm import (
    COMPUTE_API_VERSION,
    ArmClients,
    Cloud,
    check_connection,
    compute_api_version,
    resolve_cloud,
    vms_path,
)
from flexvmss._errors import (
    DeadlineExceededError,
    InvalidInputError,
    MalformedResponseError,
    NotFoundError,
    ThrottledError,
)
from flexvmss._fanout import BatchResult, Expectation, FanOut
from flexvmss._loops import LoopAffinity
from flexvmss._pipeline import ThrottleConfig, deadline_scope, time_left
from flexvmss._progress import ProgressEvent
from flexvmss._rules import check_address, check_vm_names
from flexvmss._runtime import DEFAULT_RUNTIME, Runtime
from flexvmss._scaleset import _clients
from flexvmss._scaleset._values import ScaleSetInfo, VmInfo, parse, resource_body, same
from flexvmss._skus import SkuCache, SkuCatalog
from flexvmss._specs import SET_TAG, set_tag_value, tagged_for

__all__ = [
    "COMPUTE_API_VERSION",
    "DEFAULT_DEADLINE",
    "SET_TAG",
    "Batch",
    "OnEvent",
    "ScaleSetCore",
    "UnclosedScaleSetWarning",
    "VmFilter",
    "VmNames",
    "close_unclosed",
]

T = TypeVar("T")

#: Which VMs a per-VM operation acts on: all of the set's (None) or these names.
VmNames = Sequence[str] | None
#: Only the VMs this returns True for (read with their instance view, so power state is known).
VmFilter = Callable[[VmInfo], bool] | None
#: Receives the fan-out's progress events.
OnEvent = Callable[[ProgressEvent], None] | None


class UnclosedScaleSetWarning(UserWarning):
    """A scale set's connections were still open when the process ended: flexvmss closed them
    (the sync face, at exit), but the code should close the set itself."""


#: Sets whose own clients (and their aiohttp session) are open; a set leaves when it closes.
_OPEN: weakref.WeakSet[ScaleSetCore] = weakref.WeakSet()


async def close_unclosed() -> list[str]:
    """Close the clients of every set that was used on the running event loop and never closed,
    with an :class:`UnclosedScaleSetWarning` that says how to close it; returns their reprs.

    The sync face calls this on its own loop at interpreter exit, so a ``FlexScaleSet`` used
    without ``with`` or ``close()`` does not leave aiohttp's "Unclosed client session" behind.
    """
    closed: list[str] = []
    for ss in list(_OPEN):
        if ss._clients is None or ss._clients_loop.moved():
            continue  # made on another loop: not this loop's to close
        closed.append(repr(ss))
        warnings.warn(
            f"{ss!r} was not closed; flexvmss closed its connections at exit. Use "
            "`with FlexScaleSet(...) as ss:` (`async with` on the async face) or call ss.close() "
            "when you are done with it.",
            UnclosedScaleSetWarning,
            stacklevel=1,
        )
        await ss._close_clients()
    return closed


#: Seconds a per-VM operation may take, the read of the set's VM list included, when the caller
#: gives no ``deadline``: 30 minutes, the wait cluster-autoscaler gives its scale operations
#: (research: k8s-azure-flex.md section 2). ``deadline=math.inf`` waits as long as Azure takes.
DEFAULT_DEADLINE = 1800.0


@dataclass(frozen=True)
class Batch:
    """How a batch over many VMs runs: at most ``concurrency`` requests in flight (None: the
    fan-out's default), given up after ``deadline`` seconds counted from the call, the first
    read of the set's VMs included (None: :data:`DEFAULT_DEADLINE`; ``math.inf``: none),
    progress events to ``on_event`` (None: the set's own ``on_event``)."""

    concurrency: int | None = None
    deadline: float | None = None
    on_event: OnEvent = None

    @property
    def seconds(self) -> float:
        """The deadline in seconds (``math.inf``: none)."""
        return DEFAULT_DEADLINE if self.deadline is None else self.deadline


class ScaleSetCore:
    """The state and shared machinery of one scale set's facade (see
    :class:`~flexvmss.aio.FlexScaleSet` for the arguments)."""

    def __init__(
        self,
        subscription_id: str,
        resource_group: str,
        name: str,
        *,
        credential: Any = None,
        base_url: str | None = None,
        connection_verify: str | bool | None = None,
        clients: Any = None,
        location: str | None = None,
        sku_cache: SkuCache | None = None,
        throttle: ThrottleConfig | None = None,
        waive: Iterable[str] = (),
        on_event: Callable[[ProgressEvent], None] | None = None,
        runtime: Runtime | None = None,
        cloud: str | Cloud | None = None,
        compute_api_version: str | None = None,
        emulator: Any = None,
    ) -> None:
        check_address(subscription_id, resource_group, name)
        endpoint = _clients.resolve_endpoint(
            credential=credential, base_url=base_url, connection_verify=connection_verify, emulator=emulator
        )
        if clients is None:  # refused now, not at the first request (the clients are built then)
            check_connection(endpoint.base_url, endpoint.connection_verify)
            resolve_cloud(cloud, endpoint.base_url)
        self._cloud = cloud
        self._compute_api_version = compute_api_version
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.name = name
        self.location = location
        self.waive = tuple(waive)
        self.on_event = on_event
        self._credential = endpoint.credential
        self._base_url = endpoint.base_url
        self._connection_verify = endpoint.connection_verify
        self._throttle = endpoint.throttle(throttle)
        self._sku_cache = sku_cache if sku_cache is not None else (runtime or DEFAULT_RUNTIME).sku_cache
        self._runtime = runtime  # None: the clients' own (DEFAULT_RUNTIME for the ones built here)
        self._owns_clients = clients is None
        self._closed = False  # close() is final: a closed set never reconnects
        self._clients: ArmClients | None = None
        self._clients_loop = LoopAffinity()  # the event loop self._clients are bound to
        if clients is not None:
            self._clients = _clients.adopt(subscription_id, clients)

    @property
    def id(self) -> str:
        """The scale set's ARM resource id."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Compute/virtualMachineScaleSets/{self.name}"
        )

    @property
    def _set_tag(self) -> str:
        """The value of :data:`SET_TAG` on what flexvmss tags for this set: the set's name and a
        hash of its group and name (never its id, which can pass Azure's 256-character limit)."""
        return set_tag_value(self.id)

    def _tagged_for_me(self, tags: Mapping[str, Any] | None) -> bool:
        """Whether ``tags`` carry :data:`SET_TAG` for this set (today's value, or the full id
        that earlier versions wrote)."""
        return tagged_for(tags, self.id)

    # -- clients -----------------------------------------------------------------------------

    def _arm(self) -> ArmClients:
        """The clients, built on first use (constructing a set sends and imports nothing), and
        built again when used from another event loop than the one they were made on. A closed
        set raises :class:`~flexvmss.InvalidInputError` instead of reconnecting."""
        if self._closed:
            raise InvalidInputError(
                "scale_set",
                f"{self.name} (closed)",
                "use a new FlexScaleSet, or keep this one open for all its work (one `with` block)",
                message=f"FlexScaleSet {self.name!r} is closed; it does not reconnect.",
            )
        if self._clients is not None and self._clients_loop.moved():
            # aiohttp sessions belong to the loop they were made on: a second asyncio.run(),
            # or the sync face in a forked child, needs clients of its own loop
            if not self._owns_clients:
                raise InvalidInputError(
                    "clients",
                    type(self._clients).__name__,
                    "clients you pass in stay bound to the event loop they first ran on: pass new "
                    "ones for each loop (each asyncio.run()), or let flexvmss build its own, which "
                    "it rebuilds per loop",
                    message="the clients passed to this FlexScaleSet were first used on another event loop.",
                )
            stale, self._clients = self._clients, None
            self._clients_loop.retire(stale.close)
        if self._clients is None:
            self._clients = _clients.build(
                self.subscription_id,
                credential=self._credential,
                base_url=self._base_url,
                connection_verify=self._connection_verify,
                throttle=self._throttle,
                runtime=self._runtime,
                cloud=self._cloud,
                compute_api_version=self._compute_api_version,
            )
            _OPEN.add(self)
        self._clients_loop.bind()
        return self._clients

    @property
    def _rt(self) -> Runtime:
        """The runtime this set's own waits and clocks use: the one given, else its clients'."""
        if self._runtime is not None:
            return self._runtime
        settings = getattr(self._arm(), "settings", None)
        runtime = getattr(settings, "runtime", None)
        return runtime if isinstance(runtime, Runtime) else DEFAULT_RUNTIME

    async def _close_clients(self) -> None:
        """Close the clients flexvmss built, keep borrowed ones; the set is closed for good (any
        later use raises). Closing again does nothing."""
        self._closed = True
        _OPEN.discard(self)
        if self._owns_clients and self._clients is not None:
            clients, self._clients = self._clients, None
            if self._clients_loop.moved():  # made on another loop: closed as that loop allows
                closing = self._clients_loop.retire(clients.close)
                if closing is not None:
                    await closing
            else:
                self._clients_loop.clear()
                await clients.close()

    async def _wait(self, seconds: float) -> None:
        """Wait ``seconds`` of the service's time: Azure's fixed waits (a NIC's reservation, a
        VM settling) scaled by the clients' ``ThrottleConfig.time_scale``, so a run against an
        emulator whose clock runs faster waits as long as the emulated Azure would, without
        tests patching the library's constants."""
        await self._rt.sleep(seconds * self._arm().settings.throttle.time_scale)

    async def _call(self, operation: str, awaitable: Awaitable[T]) -> T:
        """Await one SDK call, turning every Azure error into a flexvmss one."""
        return await _clients.call(operation, awaitable)

    async def _lro(self, operation: str, begin: Awaitable[Any]) -> Any:
        """Start a long-running operation and wait for its result."""
        return await _clients.lro(operation, begin)

    async def _list(self, operation: str, pager: Any) -> list[Any]:
        """Every page of a list; a failure on any page raises (never a partial answer)."""
        return await _clients.collect(operation, pager)

    async def _catalog(self, location: str) -> SkuCatalog:
        """The region's Resource SKUs catalog (one read per subscription and location)."""
        return await _clients.read_catalog(self._arm(), self.subscription_id, location, self._sku_cache)

    # -- reads -------------------------------------------------------------------------------

    async def _get_raw(self) -> dict[str, Any] | None:
        """The set's GET body; None when it does not exist. A missing resource group is not a
        missing set: ARM's ``ResourceGroupNotFound`` is raised as it is, naming the group."""
        try:
            item = await self._call(
                f"get scale set {self.name}",
                self._arm().compute.virtual_machine_scale_sets.get(self.resource_group, self.name),
            )
        except NotFoundError as exc:
            if _group_missing(exc):
                raise
            return None
        return resource_body(item, f"get scale set {self.name}", "a scale set")

    def _info(self, body: Any, operation: str) -> ScaleSetInfo:
        """The set's :class:`ScaleSetInfo` from a body Azure returned (and its region noted)."""
        info = parse(ScaleSetInfo.from_wire, body, operation, "a scale set")
        self.location = info.location
        return info

    async def _read_set(self) -> ScaleSetInfo:
        body = await self._get_raw()
        if body is None:
            raise self._missing(f"get scale set {self.name}")
        return self._info(body, f"get scale set {self.name}")

    def _missing(self, operation: str) -> NotFoundError:
        """The error for an operation on a set that does not exist: it names what was looked
        for (subscription, resource group, set), so a mistyped name is never a silent no-op."""
        return NotFoundError(
            operation,
            status=404,
            code="ResourceNotFound",
            message=f"scale set {self.name} does not exist in resource group {self.resource_group} "
            f"of subscription {self.subscription_id}.",
            remedy="Check the scale set's name, resource group and subscription (flexvmss creates "
            "nothing for an operation on a set that does not exist).",
        )

    async def _members(self, instance_view: bool = False) -> list[VmInfo]:
        """The set's VMs, for an operation that acts on them: an empty list is confirmed to be
        an empty set (one GET of the set) and never a set that does not exist, which raises
        :class:`~flexvmss.NotFoundError` naming it. A set with VMs listed exists (Azure refuses
        to delete a set that still has VMs), so only the empty answer costs a request."""
        members = await self._read_vms(instance_view=instance_view)
        if not members and await self._get_raw() is None:
            raise self._missing(f"list VMs of scale set {self.name}")
        return members

    async def _read_vms(self, instance_view: bool = False) -> list[VmInfo]:
        params = {"$filter": f"'virtualMachineScaleSet/id' eq '{self.id}'"}
        if instance_view:
            params["$expand"] = "instanceView"
        operation = f"list VMs of scale set {self.name}"
        items = await self._list_vm_bodies(operation, params)
        return [parse(VmInfo.from_wire, item, operation, "a VM") for item in items]

    async def _read_vm(self, name: str) -> VmInfo:
        check_vm_names(name, "name")  # "." or ".." would GET the collection or the provider
        operation = f"get vm {name}"
        get = self._arm().compute.virtual_machines.get(self.resource_group, name, expand="instanceView")
        item = await self._call(operation, get)
        body = resource_body(item, operation, "a VM")
        member_of = ((body.get("properties") or {}).get("virtualMachineScaleSet") or {}).get("id")
        if not same(member_of, self.id):
            raise NotFoundError(
                operation,
                status=404,
                code="NotAMember",
                message=f"VM {name} exists but is not a member of scale set {self.name}.",
                remedy="Check the VM and scale set names.",
            )
        return parse(VmInfo.from_wire, body, operation, "a VM")

    async def _list_vm_bodies(self, operation: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """The resource group's VM list (all pages) as ARM wire dicts.

        Sent as a request flexvmss builds itself (:meth:`ArmClients.request`: same auth,
        throttling and retries as every SDK call) and kept as JSON: building azure-mgmt models
        for a thousand VMs costs seconds of CPU for nothing. Any failed page raises."""
        arm = self._arm()
        query = urlencode({"api-version": compute_api_version(arm), **params}, quote_via=quote)
        url: str | None = f"{vms_path(self.subscription_id, self.resource_group)}?{query}"
        items: list[dict[str, Any]] = []
        while url:
            # a status other than 200 raises as the SDK's list would (ResourceNotFoundError...)
            answer = await self._call(operation, arm.request("GET", url, ok=(200,)))
            page = answer.json
            if page is None:
                raise MalformedResponseError(operation, message="Azure answered with a page that is not JSON")
            value = page.get("value") if isinstance(page, Mapping) else None
            if not isinstance(value, list):
                raise MalformedResponseError(
                    operation, message="Azure answered with a list page without a 'value' array"
                )
            items.extend(value)
            next_link = page.get("nextLink")
            if next_link is not None and not isinstance(next_link, str):
                raise MalformedResponseError(
                    operation, message="Azure answered with a nextLink that is not a URL"
                )
            url = next_link or None
            if url and time_left() <= 0:  # the call's deadline passed between two pages
                raise DeadlineExceededError(f"{operation}: the deadline passed while reading its pages.")
        return items

    # -- many VMs ----------------------------------------------------------------------------

    async def _select_vms(self, names: VmNames, where: VmFilter) -> list[VmInfo]:
        """The members to act on: all of them, the named ones, and/or those ``where`` accepts.

        Names are checked against the set's VM list first (one list), so an operation never
        touches a VM outside the set: unknown names raise :class:`~flexvmss.InvalidInputError`.
        A set that does not exist raises :class:`~flexvmss.NotFoundError`, never an empty batch.
        """
        if isinstance(names, str):
            names = [names]
        if names is not None:
            check_vm_names(names)
        members = await self._members(instance_view=where is not None)
        by_name = {vm.name.lower(): vm for vm in members}
        if names is None:
            chosen = members
        else:
            unknown = [n for n in names if n.lower() not in by_name]
            if unknown:
                raise InvalidInputError(
                    "names",
                    unknown,
                    f"name VMs of scale set {self.name} only (see vms()); these are not members",
                )
            chosen = [by_name[n.lower()] for n in dict.fromkeys(names)]
        if where is not None:
            chosen = [vm for vm in chosen if where(vm)]
        return chosen

    async def _within(self, operation: str, batch: Batch, started: float, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` (a read before the batch: the set's VM list) within what is left
        of ``batch``'s deadline counted from ``started`` (a reading of the runtime's clock): its
        waits (throttling, retries) never outlast it and its pages stop once it passed, raising
        :class:`~flexvmss.DeadlineExceededError` (nothing was sent to any VM). A read that
        completes after the deadline lets the batch report every VM NOT_STARTED. No timer races
        the read (see :mod:`flexvmss._pipeline._deadline`)."""
        deadline_at = started + batch.seconds
        with deadline_scope(deadline_at, self._rt.clock):
            try:
                return await awaitable
            except ThrottledError as exc:
                # the wait Azure asked for would outlast the deadline (the throttle policy does
                # not start such a wait)
                if exc.retry_after is not None and exc.retry_after < time_left():
                    raise
                raise self._past_deadline(operation, batch) from exc

    def _past_deadline(self, operation: str, batch: Batch) -> DeadlineExceededError:
        return DeadlineExceededError(
            f"{operation}: reading the VMs of scale set {self.name} took longer than the deadline "
            f"({batch.seconds:g} s); no VM was touched."
        )

    def _remaining(self, batch: Batch, started: float) -> Batch:
        """``batch`` with the deadline left after what was spent since ``started``."""
        return replace(batch, deadline=max(0.0, batch.seconds - (self._rt.clock() - started)))

    async def _fan_out(
        self,
        operation: str,
        names: Sequence[str],
        begin: Callable[[str, Any], Awaitable[Any]],
        batch: Batch,
        *,
        expect: Expectation | str | None,
        skip: Mapping[str, str] | None = None,
        leftovers: Mapping[str, Sequence[str]] | None = None,
    ) -> BatchResult:
        """``begin(name, polling)`` for every VM of ``names`` through the fan-out engine, run as
        ``batch`` says; one result per VM, each confirmed by its operation's status. ``expect``
        is what the VM shows once its operation is done, which lets the set's list schedule
        when each status is read (None: the end state is the start state; Azure's hints
        schedule). ``leftovers`` maps VMs to what their deletion takes with it."""
        on_event = batch.on_event or self.on_event
        deadline = None if math.isinf(batch.seconds) else batch.seconds
        engine_kwargs: dict[str, Any] = {"deadline": deadline, "on_event": on_event}
        if batch.concurrency is not None:
            engine_kwargs["concurrency"] = batch.concurrency
        engine = FanOut(self._arm(), runtime=self._runtime, **engine_kwargs)
        return await engine.run(
            operation,
            list(names),
            begin,
            expect=expect,
            scale_set_id=self.id,
            resource_group=self.resource_group,
            skip=skip,
            leftovers=leftovers,
        )


def _group_missing(error: NotFoundError) -> bool:
    """Whether a 404 says the resource group is missing (ARM's ``ResourceGroupNotFound``), not
    the resource in it."""
    return (error.code or "").lower() == "resourcegroupnotfound"
