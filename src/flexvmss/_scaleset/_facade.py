"""The facade users hold: one Flexible scale set, and everything flexvmss does with it.

:class:`FlexScaleSet` is the async core (exported as :class:`flexvmss.aio.FlexScaleSet`); the
synchronous :class:`flexvmss.FlexScaleSet` runs these same coroutines on a background event
loop (see :mod:`flexvmss._sync`). It composes the layers below it and adds no HTTP behaviour
of its own:

* preflight: the Flex rules (:mod:`flexvmss._rules`) over the spec and the region's Resource
  SKUs catalog (:mod:`flexvmss._skus`, one read per subscription and location);
* rendering: specs to azure-mgmt models (:mod:`flexvmss._specs`);
* per-VM operations on many VMs: the fan-out engine (:mod:`flexvmss._fanout`);
* clients, throttling and retries: :mod:`flexvmss._arm`.

Reads never pretend: a throttled or failed list raises, it never comes back empty. Teardown
is ordered (VMs, then what they left behind, then the set) and converges when re-run after an
interruption at any point.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from flexvmss import _clock
from flexvmss._errors import (
    AzureOperationError,
    ConflictError,
    FlexError,
    InvalidInputError,
    MalformedResponseError,
    NotFoundError,
    PreconditionFailedError,
    PreflightError,
    ScaleSetNotEmptyError,
    from_azure_error,
)
from flexvmss._rules import (
    capacity_needs_catalog,
    check_address,
    check_scale,
    evaluate,
    reads,
    to_invalid_input,
)

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._arm import ArmClients
    from flexvmss._fanout import BatchResult, ProgressEvent
    from flexvmss._rules import Finding
    from flexvmss._skus import SkuCache, SkuCatalog
    from flexvmss._specs import ScaleSetSpec, VmSpec
    from flexvmss._throttle import ThrottleConfig

__all__ = ["SET_TAG", "FlexScaleSet", "ScaleSetInfo", "TeardownResult", "VmInfo"]

logger = logging.getLogger("flexvmss")

T = TypeVar("T")

#: Tag flexvmss puts on what it creates for a set, and on what a set's VMs would leave behind
#: when deleted (disks, NICs and public IPs whose deleteOption is not Delete). Its value is the
#: set's resource id; teardown deletes exactly the resources that carry it, so a re-run after
#: an interruption finds them again and nothing outside the set is ever touched.
SET_TAG = "flexvmss-set"

#: The Compute api-version of the raw VM list (azure-mgmt-compute 39's default).
COMPUTE_API_VERSION = "2026-04-01"

#: VM names per DeleteInstances request, and such requests in flight at once (Compute's
#: per-set DeleteVMScaleSet bucket holds 12).
DELETE_CHUNK = 100
DELETE_CHUNKS_IN_FLIGHT = 10
#: Tag writes and leftover deletions in flight at once during teardown.
CLEANUP_CONCURRENCY = 16
#: A NIC whose VM was just deleted stays reserved for 180 s (NicReservedForAnotherVm).
NIC_RESERVATION_WAIT = 30.0
NIC_RESERVATION_ATTEMPTS = 8
#: How long teardown waits for deleted VMs to disappear from the list.
VANISH_POLL = 5.0
VANISH_ATTEMPTS = 60


# ---------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class VmInfo:
    """One VM of the set, as the filtered VM list returns it.

    ``power_state`` (``"running"``, ``"deallocated"``, ...) is known only when the list was read
    with the instance view; ``raw`` is the VM's ARM body (never holds passwords or custom data:
    Azure does not return them).
    """

    name: str
    id: str
    size: str | None
    zone: str | None
    platform_fault_domain: int | None
    priority: str
    provisioning_state: str | None
    power_state: str | None
    tags: Mapping[str, str]
    nic_ids: tuple[str, ...] = ()
    os_disk_id: str | None = None
    data_disk_ids: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> VmInfo:
        """Build from a VM's ARM body (a dict or an azure-mgmt model)."""
        body = _wire(body)
        props = body.get("properties") or {}
        storage = props.get("storageProfile") or {}
        view = props.get("instanceView") or {}
        zones = body.get("zones") or ()
        fd = props.get("platformFaultDomain")
        if fd is None:
            fd = view.get("platformFaultDomain")
        return cls(
            name=str(body.get("name")),
            id=str(body.get("id")),
            size=(props.get("hardwareProfile") or {}).get("vmSize"),
            zone=str(zones[0]) if zones else None,
            platform_fault_domain=int(fd) if fd is not None else None,
            priority=str(props.get("priority") or "Regular"),
            provisioning_state=props.get("provisioningState"),
            power_state=_power_state(view),
            tags=dict(body.get("tags") or {}),
            nic_ids=tuple(
                str(nic["id"]) for nic in (props.get("networkProfile") or {}).get("networkInterfaces") or ()
                if nic.get("id")
            ),
            os_disk_id=((storage.get("osDisk") or {}).get("managedDisk") or {}).get("id"),
            data_disk_ids=tuple(
                str(disk["managedDisk"]["id"])
                for disk in storage.get("dataDisks") or ()
                if (disk.get("managedDisk") or {}).get("id")
            ),
            raw=body,
        )


@dataclass(frozen=True)
class ScaleSetInfo:
    """The scale set as Azure reports it (GET); also what the Flex rules read about the set VMs
    are created into (build one from a GET body with :meth:`from_wire`)."""

    name: str
    id: str = ""
    location: str = ""
    orchestration_mode: str | None = "Flexible"
    provisioning_state: str | None = None
    platform_fault_domain_count: int | None = 1
    single_placement_group: bool | None = None
    zones: tuple[str, ...] = ()
    sku_name: str | None = None
    capacity: int | None = None
    has_vm_profile: bool = False
    etag: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def resource_group(self) -> str | None:
        """The resource group named in :attr:`id` (None when the id names none)."""
        match = re.search(r"/resourceGroups/([^/]+)", self.id, flags=re.IGNORECASE)
        return match.group(1) if match else None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> ScaleSetInfo:
        """From a GET body (wire dict or azure-mgmt model)."""
        body = _wire(body)
        props = body.get("properties") or {}
        sku = body.get("sku") or {}
        resource_id = str(body.get("id") or "")
        return cls(
            name=str(body.get("name") or resource_id.rsplit("/", 1)[-1]),
            id=resource_id,
            location=str(body.get("location") or ""),
            orchestration_mode=props.get("orchestrationMode"),
            provisioning_state=props.get("provisioningState"),
            platform_fault_domain_count=props.get("platformFaultDomainCount"),
            single_placement_group=props.get("singlePlacementGroup"),
            zones=tuple(str(z) for z in body.get("zones") or ()),
            sku_name=sku.get("name"),
            capacity=sku.get("capacity"),
            has_vm_profile=props.get("virtualMachineProfile") is not None,
            etag=body.get("etag"),
            tags=dict(body.get("tags") or {}),
            raw=body,
        )


@dataclass(frozen=True)
class TeardownResult:
    """What :meth:`FlexScaleSet.delete` did: the VM deletions, the leftovers it deleted (ids)
    and whether the set itself was deleted (False when it was already gone)."""

    vms: BatchResult | None
    leftovers_deleted: tuple[str, ...]
    scale_set_deleted: bool


# ---------------------------------------------------------------------------------------------
# Helpers


def _wire(body: Any) -> dict[str, Any]:
    """A plain wire-keyed dict from an azure-mgmt model or a mapping."""
    if hasattr(body, "as_dict"):
        return dict(body.as_dict())
    return dict(body)


def _resource_body(body: Any, operation: str, what: str) -> dict[str, Any]:
    """``body`` as a wire dict, checked to be a resource (an object with string ``id`` and
    ``name`` and, if present, object ``properties``); else :class:`MalformedResponseError`
    naming ``operation``: a malformed answer is never taken for a real one."""
    if body is not None and not isinstance(body, Mapping) and hasattr(body, "as_dict"):
        body = body.as_dict()
    problem = None
    if not isinstance(body, Mapping):
        problem = f"{type(body).__name__} where {what} was expected"
    elif not isinstance(body.get("id"), str) or not body.get("id") or not isinstance(body.get("name"), str):
        problem = f"{what} without an id and a name"
    elif not isinstance(body.get("properties") or {}, Mapping):
        problem = f"{what} whose properties are not an object"
    if problem is not None:
        raise MalformedResponseError(operation, message=f"Azure answered with {problem}")
    return dict(body)


def _parse(cls: Callable[[Mapping[str, Any]], T], body: Any, operation: str, what: str) -> T:
    """``cls(body)`` for a checked resource body; fields of the wrong shape deeper inside are a
    :class:`MalformedResponseError` too, never an AttributeError or TypeError."""
    checked = _resource_body(body, operation, what)
    try:
        return cls(checked)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        raise MalformedResponseError(
            operation, message=f"Azure answered with {what} of an unexpected shape ({type(exc).__name__})"
        ) from exc


def _power_state(view: Mapping[str, Any]) -> str | None:
    for status in view.get("statuses") or ():
        code = str(status.get("code") or "")
        if code.startswith("PowerState/"):
            return code.split("/", 1)[1]
    return None


def _rg_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    for i, part in enumerate(parts):
        if part.lower() == "resourcegroups" and i + 1 < len(parts):
            return parts[i + 1]
    raise InvalidInputError("resource_id", resource_id, "give a resource-group-scoped ARM id")


def _declares(obj: object, name: str) -> bool:
    """Whether ``obj`` has attribute ``name``, without evaluating it: touching a lazy client
    property would build the client (and its aiohttp session) on whatever event loop happens
    to run the caller."""
    return hasattr(type(obj), name) or name in getattr(obj, "__dict__", {})


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


async def _collect(pager: Any) -> list[Any]:
    return [item async for item in pager]


class _ClientSet:
    """Adapts user-supplied azure-mgmt aio clients to the shape of
    :class:`~flexvmss._arm.ArmClients` that the facade and the fan-out use (``compute``,
    ``network``, ``resource``, ``settings``, ``request``). The facade does not close them: they
    belong to the caller."""

    def __init__(self, subscription_id: str, compute: Any, network: Any, resource: Any = None) -> None:
        from flexvmss._arm import ArmSettings

        self.compute = compute
        self.network = network
        self.resource = resource
        self.settings = ArmSettings(subscription_id)

    async def request(self, method: str, url: str, *, json: Any = None) -> Any:
        from azure.core.rest import HttpRequest

        from flexvmss._arm import RawResponse

        response = await self.compute.send_request(HttpRequest(method, url, json=json), stream=False)
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
        return RawResponse(status=response.status_code, headers=dict(response.headers), json=body)

    async def close(self) -> None:  # the caller owns these clients
        return None


# ---------------------------------------------------------------------------------------------
# The facade


class FlexScaleSet:
    """One Azure Virtual Machine Scale Set in Flexible orchestration mode (async).

    ::

        async with flexvmss.aio.FlexScaleSet(sub, "rg", "web") as ss:
            await ss.create(ScaleSetSpec(location="westeurope", ...))
            result = await ss.deallocate(where=lambda vm: vm.zone == "2")
            result.raise_for_failures()

    Connecting: ``credential`` defaults to ``DefaultAzureCredential``; ``base_url`` and
    ``connection_verify`` point the clients at another ARM endpoint (the emulator); ``clients``
    passes your own :class:`~flexvmss._arm.ArmClients` or a ``(compute, network, resource)``
    tuple of azure-mgmt aio clients (flexvmss then does not close them). Clients are built on
    first use, so constructing a FlexScaleSet sends nothing and imports no azure-mgmt module.

    ``throttle`` (:class:`~flexvmss.ThrottleConfig`) sets how the clients flexvmss builds
    behave under Azure's throttling (wait or fail fast). ``sku_cache`` replaces the
    process-wide Resource SKUs cache (one read per subscription and location). ``location``
    saves a GET when an operation needs the set's region before anything else was read.
    ``waive`` lists Flex rule ids to skip in every preflight; ``on_event`` receives the
    fan-out's :class:`~flexvmss.ProgressEvent` objects (per call ``on_event`` overrides it).
    """

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
    ) -> None:
        check_address(subscription_id, resource_group, name)
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.name = name
        self.location = location
        self.waive = tuple(waive)
        self.on_event = on_event
        self._credential = credential
        self._base_url = base_url
        self._connection_verify = connection_verify
        self._throttle = throttle
        self._sku_cache = sku_cache
        self._owns_clients = clients is None
        self._clients: Any = None
        if clients is not None:
            if isinstance(clients, (tuple, list)):
                self._clients = _ClientSet(subscription_id, *clients)
            elif all(_declares(clients, attr) for attr in ("compute", "network")):
                self._clients = clients
            else:
                raise InvalidInputError(
                    "clients",
                    type(clients).__name__,
                    "pass an ArmClients, or a (compute, network, resource) tuple of azure-mgmt aio clients",
                )

    def __repr__(self) -> str:
        return (
            f"FlexScaleSet(subscription_id={self.subscription_id!r}, "
            f"resource_group={self.resource_group!r}, name={self.name!r})"
        )

    @property
    def id(self) -> str:
        """The scale set's ARM resource id."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Compute/virtualMachineScaleSets/{self.name}"
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FlexScaleSet:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the clients flexvmss built (clients you passed in stay open)."""
        clients, self._clients = self._clients, None
        if clients is not None and self._owns_clients:
            await clients.close()
        elif clients is not None:
            self._clients = clients

    def _arm(self) -> ArmClients:
        if self._clients is None:
            from flexvmss._arm import ArmSettings, build_clients

            settings_kwargs: dict[str, Any] = {
                "subscription_id": self.subscription_id,
                "base_url": self._base_url,
                "credential": self._credential,
                "connection_verify": self._connection_verify,
            }
            if self._throttle is not None:
                settings_kwargs["throttle"] = self._throttle
            self._clients = build_clients(ArmSettings(**settings_kwargs))
        return self._clients  # type: ignore[no-any-return]

    async def _call(self, operation: str, awaitable: Awaitable[T]) -> T:
        """Await one SDK call, turning every Azure error into a flexvmss one."""
        try:
            return await awaitable
        except FlexError:
            raise
        except Exception as exc:
            raise from_azure_error(exc, operation=operation) from exc

    async def _lro(self, operation: str, begin: Awaitable[Any]) -> Any:
        """Start a long-running operation and wait for its result."""
        poller = await self._call(operation, begin)
        return await self._call(operation, poller.result())

    async def _list(self, operation: str, pager: Any) -> list[Any]:
        """Every page of a list; a failure on any page raises (never a partial answer)."""
        return await self._call(operation, _collect(pager))

    # -- catalog and preflight -------------------------------------------------------------

    def _cache(self) -> SkuCache:
        if self._sku_cache is None:
            from flexvmss._skus import shared_cache

            self._sku_cache = shared_cache()
        return self._sku_cache

    async def _catalog(self, location: str) -> SkuCatalog:
        compute = self._arm().compute

        async def load(loc: str) -> list[Mapping[str, Any]]:
            operation = f"list resource SKUs in {loc}"
            pager = compute.resource_skus.list(filter=f"location eq '{loc}'")
            raw = await self._list(operation, pager)
            items: list[Mapping[str, Any]] = [
                _wire(i) for i in raw if isinstance(i, Mapping) or hasattr(i, "as_dict")
            ]
            # An empty catalog is a broken answer, not a region with nothing in it: taking it as
            # such would refuse every size as unknown (FLEX020).
            if not items or len(items) != len(raw) or not all(i.get("name") for i in items):
                raise MalformedResponseError(
                    operation,
                    code="MalformedResponse",
                    message="the Resource SKUs answer holds no SKU items",
                    remedy="Retry; if it persists, check that base_url is an Azure Resource Manager "
                    "endpoint.",
                )
            return items

        return await self._cache().get(self.subscription_id, location, load)

    async def _read_resources(
        self, specs: Sequence[ScaleSetSpec | VmSpec]
    ) -> dict[str, dict[str, Any] | None]:
        """The network resources the Flex rules need for ``specs`` (:func:`flexvmss._rules.reads`:
        a declared NAT gateway's subnet, an undeclared load balancer sku), one GET each, by
        lower-cased id; None for one that does not exist."""
        seen: dict[str, dict[str, Any] | None] = {}
        for spec in specs:
            for resource_id in reads(spec):
                if resource_id.lower() in seen:
                    continue
                try:
                    seen[resource_id.lower()] = await self._get_network_resource(resource_id)
                except NotFoundError:
                    seen[resource_id.lower()] = None
        return seen

    async def _get_network_resource(self, resource_id: str) -> dict[str, Any]:
        """GET a subnet or a load balancer by id through the network client."""
        network = self._arm().network
        parts = resource_id.strip("/").split("/")
        lower = [p.lower() for p in parts]
        rg = _rg_of(resource_id)
        if "subnets" in lower:
            vnet = parts[lower.index("virtualnetworks") + 1]
            subnet = parts[lower.index("subnets") + 1]
            item = await self._call(f"get subnet {subnet}", network.subnets.get(rg, vnet, subnet))
        elif "loadbalancers" in lower:
            lb = parts[lower.index("loadbalancers") + 1]
            item = await self._call(f"get load balancer {lb}", network.load_balancers.get(rg, lb))
        else:
            raise InvalidInputError("resource_id", resource_id, "give a subnet or load balancer id")
        return _wire(item)

    async def plan_create(self, spec: ScaleSetSpec) -> list[Finding]:
        """Check ``spec`` against the Flex rules and the region's SKU catalog; create nothing.

        Sends one Resource SKUs read per (subscription, location) (cached afterwards) and, when
        the spec relies on them, one GET for the subnet's NAT gateway and one for the load
        balancer's sku. Returns every finding (errors and warnings).
        """
        catalog = await self._catalog(spec.location)
        resources = await self._read_resources([spec])
        return evaluate(spec, catalog=catalog, waive=self.waive, name=self.name, resources=resources)

    def _raise_on_errors(self, findings: Sequence[Finding]) -> None:
        errors = [f for f in findings if f.severity == "error"]
        for finding in findings:
            if finding.severity != "error":
                logger.warning("flexvmss preflight [%s] %s", finding.rule_id, finding.message)
        if errors:
            raise PreflightError(findings)

    # -- create and read -------------------------------------------------------------------

    async def create(self, spec: ScaleSetSpec) -> ScaleSetInfo:
        """Create the scale set (idempotent) and wait until Azure has provisioned it.

        Runs :meth:`plan_create` first and raises :class:`~flexvmss.PreflightError` on error
        findings (warnings are logged). If the set already exists: the same spec returns it
        unchanged; a different one raises :class:`~flexvmss.ConflictError` naming each
        difference (a set's orchestration mode can never change).
        """
        from flexvmss._specs import describe_differences, render_scale_set

        self._raise_on_errors(await self.plan_create(spec))
        existing = await self._get_raw()
        if existing is not None:
            mode = (existing.get("properties") or {}).get("orchestrationMode")
            if not _same(mode, "Flexible"):
                raise ConflictError(
                    f"create scale set {self.name}",
                    code="OrchestrationModeImmutable",
                    message=f"{self.name} exists with orchestration mode {mode or 'Uniform'!r}; "
                    "a set's orchestration mode cannot change.",
                    remedy="Use another name, or delete the existing set first.",
                )
            differences = describe_differences(existing, spec, name=self.name)
            if differences:
                raise ConflictError(
                    f"create scale set {self.name}",
                    code="ScaleSetDiffers",
                    message=f"{self.name} already exists and differs from the spec: "
                    + "; ".join(differences),
                    remedy="Create it under another name, change the spec to match, or delete the set first.",
                )
            return _parse(ScaleSetInfo.from_wire, existing, f"create scale set {self.name}", "a scale set")
        model = render_scale_set(
            spec, subscription_id=self.subscription_id, resource_group=self.resource_group, name=self.name
        )
        compute = self._arm().compute
        result = await self._lro(
            f"create scale set {self.name}",
            compute.virtual_machine_scale_sets.begin_create_or_update(self.resource_group, self.name, model),
        )
        info = _parse(ScaleSetInfo.from_wire, result, f"create scale set {self.name}", "a scale set")
        self.location = info.location
        return info

    async def _get_raw(self) -> dict[str, Any] | None:
        compute = self._arm().compute
        try:
            item = await self._call(
                f"get scale set {self.name}",
                compute.virtual_machine_scale_sets.get(self.resource_group, self.name),
            )
        except NotFoundError:
            return None
        return _resource_body(item, f"get scale set {self.name}", "a scale set")

    async def get(self) -> ScaleSetInfo:
        """The scale set as Azure reports it; :class:`~flexvmss.NotFoundError` if it does not exist."""
        body = await self._get_raw()
        if body is None:
            raise NotFoundError(
                f"get scale set {self.name}",
                status=404,
                code="ResourceNotFound",
                message=f"scale set {self.name} does not exist in resource group {self.resource_group}.",
            )
        info = _parse(ScaleSetInfo.from_wire, body, f"get scale set {self.name}", "a scale set")
        self.location = info.location
        return info

    async def exists(self) -> bool:
        """Whether the scale set exists (one GET)."""
        return await self._get_raw() is not None

    def _filter(self) -> str:
        return f"'virtualMachineScaleSet/id' eq '{self.id}'"

    async def vms(self, instance_view: bool = False) -> list[VmInfo]:
        """Every VM of the set: one filtered VM list (all pages), never one request per VM.

        With ``instance_view=True`` the list carries each VM's power state. A throttled or
        failed read raises; it is never taken for an empty set.
        """
        params = {"$filter": self._filter()}
        if instance_view:
            params["$expand"] = "instanceView"
        operation = f"list VMs of scale set {self.name}"
        items = await self._list_vm_bodies(operation, params)
        return [_parse(VmInfo.from_wire, item, operation, "a VM") for item in items]

    async def _list_vm_bodies(self, operation: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """The resource group's VM list (all pages) as ARM wire dicts.

        Sent through the compute client's pipeline (same auth, throttling and retries as every
        SDK call) but kept as JSON: building azure-mgmt models for a thousand VMs costs seconds
        of CPU for nothing. Any failed page raises."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        compute = self._arm().compute
        url: str | None = (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            "/providers/Microsoft.Compute/virtualMachines"
        )
        query: dict[str, str] | None = {"api-version": COMPUTE_API_VERSION, **params}
        items: list[dict[str, Any]] = []
        while url:
            request = HttpRequest("GET", url, params=query)
            response = await self._call(operation, compute.send_request(request))
            if response.status_code != 200:
                raise from_azure_error(HttpResponseError(response=response), operation=operation)
            try:
                page = response.json()
            except ValueError as exc:
                raise MalformedResponseError(
                    operation, message="Azure answered with a page that is not JSON"
                ) from exc
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
            url, query = next_link or None, None
        return items

    async def vm(self, name: str) -> VmInfo:
        """One VM of the set, with its instance view; :class:`~flexvmss.NotFoundError` when it
        does not exist or belongs to no/another set."""
        compute = self._arm().compute
        item = await self._call(
            f"get vm {name}", compute.virtual_machines.get(self.resource_group, name, expand="instanceView")
        )
        body = _resource_body(item, f"get vm {name}", "a VM")
        member_of = ((body.get("properties") or {}).get("virtualMachineScaleSet") or {}).get("id")
        if not _same(member_of, self.id):
            raise NotFoundError(
                f"get vm {name}",
                status=404,
                code="NotAMember",
                message=f"VM {name} exists but is not a member of scale set {self.name}.",
                remedy="Check the VM and scale set names.",
            )
        return _parse(VmInfo.from_wire, body, f"get vm {name}", "a VM")

    # -- attach at creation ----------------------------------------------------------------

    async def _preflight_vms(
        self, specs: Sequence[VmSpec]
    ) -> tuple[ScaleSetInfo, dict[str, Any], dict[str, dict[str, Any]]]:
        """Check VM specs before any write: the set exists and is Flex, each VM passes the
        rules and the SKU catalog, no name repeats, and no VM of that name exists outside the
        set (attaching an existing VM is refused: FLEX028). Returns the set, the rendered
        models of the VMs to create, and the bodies of those that are already members (a
        re-run creates them no second time)."""
        from flexvmss._specs import render_vm

        info = await self.get()
        if not _same(info.orchestration_mode, "Flexible"):
            raise ConflictError(
                f"add VMs to {self.name}",
                code="NotFlexible",
                message=f"scale set {self.name} has orchestration mode {info.orchestration_mode!r}.",
                remedy="VMs can be added only to a set in Flexible orchestration mode.",
            )
        catalog = await self._catalog(info.location)
        existing = await self._list_vm_bodies(f"list VMs in resource group {self.resource_group}", {})
        existing_by_name = {str(body.get("name", "")).lower(): body for body in existing}
        counts = Counter(spec.name.lower() for spec in specs)
        duplicates = sorted({spec.name for spec in specs if counts[spec.name.lower()] > 1})
        if duplicates:
            raise InvalidInputError("vm_specs", duplicates, "give every VM its own name")
        resources = await self._read_resources(specs)
        findings: list[Finding] = []
        for spec in specs:
            findings.extend(
                evaluate(
                    spec,
                    catalog=catalog,
                    waive=self.waive,
                    scale_set=info,
                    existing_vm=existing_by_name.get(spec.name.lower()),
                    resources=resources,
                )
            )
        self._raise_on_errors(findings)
        members: dict[str, dict[str, Any]] = {}
        models: dict[str, Any] = {}
        for spec in specs:
            body = existing_by_name.get(spec.name.lower())
            if body is not None:
                members[spec.name] = body  # FLEX028 passed: it is already one of ours
                continue
            model = render_vm(
                spec,
                subscription_id=self.subscription_id,
                resource_group=self.resource_group,
                scale_set_id=self.id,
                location=info.location,
            )
            tags = dict(model.get("tags") or {})
            tags.setdefault(SET_TAG, self.id)
            model["tags"] = tags
            models[spec.name] = model
        return info, models, members

    async def _create_vm(self, name: str, model: Any, *, polling: Any = None) -> Any:
        """Create ``name`` with ``If-None-Match: *`` (never overwrite a VM someone else made)
        and return the created VM.

        A 412 can also mean that this very create already landed and only its answer was lost
        (a dropped connection, then a transient retry): when the existing VM carries this set's
        tag, that create is awaited to its end instead of being reported as a failure."""
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError

        operation = f"create vm {name}"
        compute = self._arm().compute
        extra = {} if polling is None else {"polling": polling}
        try:
            poller = await compute.virtual_machines.begin_create_or_update(
                self.resource_group, name, model, match_condition=MatchConditions.IfMissing, **extra
            )
        except HttpResponseError as exc:
            if getattr(exc, "status_code", None) != 412:
                raise
            existing = _resource_body(
                await self._call(operation, compute.virtual_machines.get(self.resource_group, name)),
                operation,
                "a VM",
            )
            if not _same((existing.get("tags") or {}).get(SET_TAG), self.id):
                raise
            return await self._await_created(name, existing)
        return await poller.result()

    async def _await_created(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Wait until a VM that is being created settles; its failure is raised as Azure's."""
        operation = f"create vm {name}"
        compute = self._arm().compute
        for _ in range(VANISH_ATTEMPTS):
            state = str((body.get("properties") or {}).get("provisioningState") or "")
            if state.lower() not in ("creating", "updating"):
                break
            await _clock.sleep(VANISH_POLL)
            body = _resource_body(
                await self._call(
                    operation, compute.virtual_machines.get(self.resource_group, name, expand="instanceView")
                ),
                operation,
                "a VM",
            )
        state = str((body.get("properties") or {}).get("provisioningState") or "")
        if state.lower() != "succeeded":
            statuses = ((body.get("properties") or {}).get("instanceView") or {}).get("statuses") or []
            failed: dict[str, Any] = next(
                (st for st in statuses if str(st.get("code", "")).startswith("ProvisioningState/")), {}
            )
            raise AzureOperationError(
                operation,
                code=str(failed.get("code", "")).rsplit("/", 1)[-1] or "ProvisioningStateNotSucceeded",
                message=str(failed.get("message") or f"the VM ended in provisioning state {state!r}"),
            )
        return body

    async def add_vm(self, vm_spec: VmSpec) -> VmInfo:
        """Create one VM into the set (same resource group; optional zone, fault domain, own
        size and priority) and wait for it. Preflight as in :meth:`add_vms`; a VM of that name
        that is already a member is returned as it is (idempotent)."""
        _, models, members = await self._preflight_vms([vm_spec])
        if members:
            return _parse(VmInfo.from_wire, members[vm_spec.name], f"create vm {vm_spec.name}", "a VM")
        result = await self._call(
            f"create vm {vm_spec.name}", self._create_vm(vm_spec.name, models[vm_spec.name])
        )
        return _parse(VmInfo.from_wire, result, f"create vm {vm_spec.name}", "a VM")

    async def add_vms(
        self,
        vm_specs: Sequence[VmSpec],
        *,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Create many VMs into the set at once (heterogeneous sizes, zones, fault domains,
        priorities), through the fan-out engine.

        Every spec is checked first (rules, SKU catalog, names); any error raises
        :class:`~flexvmss.PreflightError` before a single VM is created. An existing VM of the
        same name is refused: flexvmss attaches VMs at creation only. Each PUT carries
        ``If-None-Match: *`` so a VM created meanwhile by someone else is not overwritten.
        """
        specs = list(vm_specs)
        _, by_name, members = await self._preflight_vms(specs)

        async def begin(name: str, polling: Any) -> Any:
            return await self._create_vm(name, by_name[name], polling=polling)

        return await self._fan_out(
            "create",
            [spec.name for spec in specs],
            begin,
            concurrency=concurrency,
            deadline=deadline,
            on_event=on_event,
            skip={name: "already a member of the set" for name in members},
        )

    # -- scale -------------------------------------------------------------------------------

    async def scale_to(self, capacity: int) -> ScaleSetInfo:
        """Set the VM count of a set that has a VM profile, and wait until Azure is done.

        The Flex limits are checked before any write (1,000; 600 from a managed image; 200 for
        a size without memory-preserving maintenance with fault domain count > 1). The PATCH
        carries the set's ETag (``If-Match``); when someone changed the set meanwhile (412) it
        re-reads and re-applies, it never overwrites blindly.
        """
        from azure.core import MatchConditions
        from azure.mgmt.compute.models import Sku, VirtualMachineScaleSetUpdate

        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise InvalidInputError("capacity", capacity, "give a whole number of VMs, 0 or more")
        compute = self._arm().compute
        for attempt in range(5):
            info = await self.get()
            if not info.has_vm_profile:
                raise InvalidInputError(
                    "capacity",
                    capacity,
                    "this set has no VM profile, so it has no capacity to scale: add VMs with add_vms() "
                    "and remove them with delete_vms()",
                )
            await self._check_capacity(info, capacity)
            sku = Sku(name=info.sku_name, capacity=capacity)
            tier = ((info.raw.get("sku") or {}).get("tier"))
            if tier:
                sku["tier"] = tier
            try:
                result = await self._lro(
                    f"scale {self.name} to {capacity}",
                    compute.virtual_machine_scale_sets.begin_update(
                        self.resource_group,
                        self.name,
                        VirtualMachineScaleSetUpdate(sku=sku),
                        etag=info.etag,
                        match_condition=MatchConditions.IfNotModified if info.etag else None,
                    ),
                )
            except PreconditionFailedError:
                logger.info("flexvmss: %s changed while scaling (412); re-reading (%d)", self.name, attempt)
                continue
            return _parse(ScaleSetInfo.from_wire, result, f"scale {self.name} to {capacity}", "a scale set")
        raise PreconditionFailedError(
            f"scale {self.name} to {capacity}",
            status=412,
            code="PreconditionFailed",
            message="the set kept changing between read and write (5 attempts).",
        )

    async def _check_capacity(self, info: ScaleSetInfo, capacity: int) -> None:
        """The Flex capacity limits (FLEX014) for ``info`` at ``capacity``, before any write;
        the SKU catalog is read only when the limit depends on the set's size."""
        catalog = await self._catalog(info.location) if capacity_needs_catalog(info) else None
        findings = check_scale(info, capacity, catalog=catalog, waive=self.waive)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise to_invalid_input(errors[0])

    # -- per-VM operations over many VMs -----------------------------------------------------

    async def _select(self, names: Sequence[str] | None, where: Callable[[VmInfo], bool] | None) -> list[str]:
        return [vm.name for vm in await self._select_vms(names, where)]

    async def _select_vms(
        self, names: Sequence[str] | None, where: Callable[[VmInfo], bool] | None
    ) -> list[VmInfo]:
        """The members to act on: all of them, the named ones, and/or those ``where`` accepts.

        Names are checked against the set's VM list first (one list), so an operation never
        touches a VM outside the set: unknown names raise :class:`~flexvmss.InvalidInputError`.
        """
        if isinstance(names, str):
            names = [names]
        members = await self.vms(instance_view=where is not None)
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

    async def _fan_out(
        self,
        operation: str,
        names: Sequence[str],
        begin: Callable[[str, Any], Awaitable[Any]],
        *,
        concurrency: int | None,
        deadline: float | None,
        on_event: Callable[[ProgressEvent], None] | None,
        skip: Mapping[str, str] | None = None,
    ) -> BatchResult:
        from flexvmss._fanout import FanOut

        kwargs: dict[str, Any] = {"deadline": deadline, "on_event": on_event or self.on_event}
        if concurrency is not None:
            kwargs["concurrency"] = concurrency
        engine = FanOut(self._arm(), **kwargs)
        return await engine.run(
            operation,
            list(names),
            begin,
            expect=_EXPECT.get(operation),
            scale_set_id=self.id,
            resource_group=self.resource_group,
            skip=skip,
        )

    async def _per_vm(
        self,
        operation: str,
        method: str,
        names: Sequence[str] | None,
        where: Callable[[VmInfo], bool] | None,
        concurrency: int | None,
        deadline: float | None,
        on_event: Callable[[ProgressEvent], None] | None,
        *args: Any,
        **kwargs: Any,
    ) -> BatchResult:
        selected = await self._select(names, where)
        compute = self._arm().compute
        sdk_method = getattr(compute.virtual_machines, method)

        async def begin(name: str, polling: Any) -> Any:
            poller = await sdk_method(self.resource_group, name, *args, polling=polling, **kwargs)
            return await poller.result()

        return await self._fan_out(
            operation, selected, begin, concurrency=concurrency, deadline=deadline, on_event=on_event
        )

    async def start(
        self,
        names: Sequence[str] | None = None,
        *,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Start VMs of the set (all, ``names``, or those ``where`` accepts); one result per VM."""
        return await self._per_vm("start", "begin_start", names, where, concurrency, deadline, on_event)

    async def stop(
        self,
        names: Sequence[str] | None = None,
        *,
        skip_shutdown: bool = False,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Power off VMs (still billed; see :meth:`deallocate`). ``skip_shutdown`` skips the
        guest OS shutdown."""
        return await self._per_vm(
            "stop", "begin_power_off", names, where, concurrency, deadline, on_event,
            skip_shutdown=skip_shutdown or None,
        )

    async def deallocate(
        self,
        names: Sequence[str] | None = None,
        *,
        hibernate: bool = False,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Stop VMs and release their compute (no longer billed); ``hibernate`` keeps memory."""
        return await self._per_vm(
            "deallocate", "begin_deallocate", names, where, concurrency, deadline, on_event,
            hibernate=hibernate or None,
        )

    async def restart(
        self,
        names: Sequence[str] | None = None,
        *,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Restart VMs of the set."""
        return await self._per_vm("restart", "begin_restart", names, where, concurrency, deadline, on_event)

    async def redeploy(
        self,
        names: Sequence[str] | None = None,
        *,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Move VMs to new hosts (redeploy)."""
        return await self._per_vm("redeploy", "begin_redeploy", names, where, concurrency, deadline, on_event)

    async def reimage(
        self,
        names: Sequence[str] | None = None,
        *,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Reimage VMs (their OS disk goes back to the image)."""
        return await self._per_vm("reimage", "begin_reimage", names, where, concurrency, deadline, on_event)

    async def perform_maintenance(
        self,
        names: Sequence[str] | None = None,
        *,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Start the platform maintenance Azure has scheduled for the VMs."""
        return await self._per_vm(
            "perform_maintenance", "begin_perform_maintenance", names, where, concurrency, deadline, on_event
        )

    async def simulate_eviction(
        self,
        names: Sequence[str] | None = None,
        *,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Simulate the eviction of Spot VMs (Azure refuses it for regular VMs)."""
        selected = await self._select(names, where)
        compute = self._arm().compute

        async def begin(name: str, polling: Any) -> Any:
            del polling  # not a long-running operation: Azure answers 204 at once
            return await compute.virtual_machines.simulate_eviction(self.resource_group, name)

        return await self._fan_out(
            "simulate_eviction",
            selected,
            begin,
            concurrency=concurrency,
            deadline=deadline,
            on_event=on_event,
        )

    async def update(
        self,
        names: Sequence[str] | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        size: str | None = None,
        user_data: str | bytes | Any = None,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Change VMs in place: ``tags`` (replaces the VM's tags; flexvmss keeps its own),
        ``size`` (checked against the region's SKU catalog first), ``user_data`` (text, bytes or
        a :class:`~flexvmss.Secret`; sent base64-encoded)."""
        from azure.mgmt.compute.models import VirtualMachineUpdate

        if tags is None and size is None and user_data is None:
            raise InvalidInputError("update", None, "give tags, size and/or user_data")
        properties: dict[str, Any] = {}
        if size is not None:
            location = self.location or (await self.get()).location
            catalog = await self._catalog(location)
            vm_size = catalog.vm_size(size)
            if vm_size is None or vm_size.restricted_in_location:
                raise InvalidInputError(
                    "size", size, f"pick a size offered to this subscription in {location} (az vm list-skus)"
                )
            properties["hardwareProfile"] = {"vmSize": size}
        if user_data is not None:
            raw = user_data.reveal() if hasattr(user_data, "reveal") else user_data
            data = raw.encode() if isinstance(raw, str) else bytes(raw)
            properties["userData"] = base64.b64encode(data).decode()
        selected = await self._select_vms(names, where)
        by_name = {vm.name: vm for vm in selected}
        compute = self._arm().compute

        async def begin(name: str, polling: Any) -> Any:
            body: dict[str, Any] = {}
            if properties:
                body["properties"] = properties
            if tags is not None:
                own = {k: v for k, v in by_name[name].tags.items() if k == SET_TAG}
                body["tags"] = {**own, **dict(tags)}
            poller = await compute.virtual_machines.begin_update(
                self.resource_group, name, VirtualMachineUpdate(body), polling=polling
            )
            return await poller.result()

        return await self._fan_out(
            "update", list(by_name), begin, concurrency=concurrency, deadline=deadline, on_event=on_event
        )

    async def run_command(
        self,
        command_id: str,
        script: str | Sequence[str] = (),
        names: Sequence[str] | None = None,
        *,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Run a command (``RunShellScript``, ``RunPowerShellScript``, ...) on VMs. Each
        succeeded VM's result ``detail`` holds the command's output (the messages of Azure's
        ``RunCommandResult``)."""
        from azure.mgmt.compute.models import RunCommandInput

        lines = [script] if isinstance(script, str) else list(script)
        body = RunCommandInput(command_id=command_id, script=lines)
        selected = await self._select(names, where)
        compute = self._arm().compute
        outputs: dict[str, str] = {}

        async def begin(name: str, polling: Any) -> Any:
            # The SDK's own polling, not the fan-out's shared observer: the command's output
            # only comes from the operation's final Location GET, which observing through the
            # VM list would skip.
            del polling
            poller = await compute.virtual_machines.begin_run_command(self.resource_group, name, body)
            result = await poller.result()
            statuses = (_wire(result).get("value") or []) if result is not None else []
            outputs[name] = "\n".join(str(status.get("message") or "") for status in statuses).strip()
            return result

        batch = await self._fan_out(
            "run_command", selected, begin, concurrency=concurrency, deadline=deadline, on_event=on_event
        )
        for name, text in outputs.items():
            if name in batch.results and text:
                batch.results[name].detail = text
        return batch

    # -- deletion ----------------------------------------------------------------------------

    async def delete_vms(
        self,
        names: Sequence[str] | None = None,
        *,
        force: bool = False,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Delete VMs of the set (all, ``names``, or those ``where`` accepts).

        Uses the scale set's batch delete (DeleteInstances, VM names as instance ids,
        ``forceDeletion`` when ``force``) in chunks of :data:`DELETE_CHUNK`, then checks through
        the VM list which VMs are gone; whatever the batch refused or left is deleted VM by VM
        through the fan-out engine. One outcome per VM either way.

        What the VMs leave behind (disks, NICs, public IPs whose deleteOption is not Delete) is
        tagged for the set first, so :meth:`delete` removes it when the set is torn down.
        """
        selected = await self._select_vms(names, where)
        if selected:
            await self._mark_leftovers(selected)
        return await self._delete_names(
            [vm.name for vm in selected],
            force=force,
            concurrency=concurrency,
            deadline=deadline,
            on_event=on_event,
        )

    async def _delete_names(
        self,
        selected: Sequence[str],
        *,
        force: bool,
        concurrency: int | None,
        deadline: float | None,
        on_event: Callable[[ProgressEvent], None] | None,
    ) -> BatchResult:
        from flexvmss._fanout import batch_succeeded, merge_results
        from flexvmss._progress import RequestTally, current_tally

        compute = self._arm().compute
        started = _clock.monotonic()
        tally = RequestTally()
        token = current_tally.set(tally)
        try:
            remaining = await self._batch_delete(selected, force=force)
        finally:
            current_tally.reset(token)
        gone = [name for name in selected if name.lower() not in remaining]
        left = [name for name in selected if name.lower() in remaining]
        batch = batch_succeeded("delete", gone, started_at=started, finished_at=_clock.monotonic())
        batch.requests = tally.by_class()
        batch.throttled = tally.throttled
        if not left:
            return batch

        async def begin(name: str, polling: Any) -> Any:
            poller = await compute.virtual_machines.begin_delete(
                self.resource_group, name, force_deletion=force or None, polling=polling
            )
            return await poller.result()

        fallback = await self._fan_out(
            "delete", left, begin, concurrency=concurrency, deadline=deadline, on_event=on_event
        )
        return merge_results(batch, fallback)

    async def _batch_delete(self, selected: Sequence[str], *, force: bool) -> set[str]:
        """DeleteInstances in chunks; returns the (lower-cased) names still listed afterwards."""
        from azure.mgmt.compute.models import VirtualMachineScaleSetVMInstanceRequiredIDs

        compute = self._arm().compute

        async def delete_chunk(chunk: list[str]) -> None:
            try:
                await self._lro(
                    f"delete {len(chunk)} VMs of {self.name}",
                    compute.virtual_machine_scale_sets.begin_delete_instances(
                        self.resource_group,
                        self.name,
                        VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=chunk),
                        force_deletion=force or None,
                    ),
                )
            except AzureOperationError as exc:
                logger.info(
                    "flexvmss: batch delete of %d VMs refused or failed (%s); falling back per VM",
                    len(chunk),
                    exc.code,
                )

        chunks = [list(selected[i : i + DELETE_CHUNK]) for i in range(0, len(selected), DELETE_CHUNK)]
        await _bounded([delete_chunk(chunk) for chunk in chunks], DELETE_CHUNKS_IN_FLIGHT)
        if not selected:
            return set()
        return {vm.name.lower() for vm in await self.vms()}

    async def delete(self, cascade: bool = True, *, force: bool = False) -> TeardownResult:
        """Delete the scale set, in order, leaving nothing behind.

        With ``cascade`` (the default): list the VMs; tag what each would leave behind (disks,
        NICs and public IPs whose deleteOption is not Delete) with :data:`SET_TAG`; delete the
        VMs (batch, then per VM); wait until the list shows none; delete every resource that
        carries the set's tag; then delete the set. The set's DELETE is never sent while a VM
        remains: if some VMs cannot be deleted, this raises
        :class:`~flexvmss.ScaleSetNotEmptyError` naming them and why, before touching the set.

        Safe to re-run after an interruption at any point: a second run converges, and only
        resources referenced by the set's VMs (or tagged for it) are ever deleted.

        ``cascade=False`` deletes only an empty set; with VMs it raises
        :class:`~flexvmss.ScaleSetNotEmptyError` locally (after one list) with the remedy.
        """
        exists = await self._get_raw() is not None
        vms = await self.vms() if exists else []
        if vms and not cascade:
            raise ScaleSetNotEmptyError(
                f"delete scale set {self.name}",
                code="ScaleSetNotEmpty",
                message=f"{len(vms)} VM(s) remain in the set: "
                + ", ".join(vm.name for vm in vms[:10])
                + (" ..." if len(vms) > 10 else ""),
                remedy="Call delete(cascade=True) to delete the VMs first, or delete_vms() then delete().",
            )
        batch: BatchResult | None = None
        if vms:
            await self._mark_leftovers(vms)
            deleting = [vm.name for vm in vms if not _same(vm.provisioning_state, "Deleting")]
            batch = await self._delete_names(
                deleting, force=force, concurrency=None, deadline=None, on_event=None
            )
            failed = list(batch.failed) + list(getattr(batch, "not_started", ()))
            if failed:
                reasons = []
                for name in failed[:10]:
                    error = _result_error(batch, name)
                    reasons.append(f"{name}: {error}" if error else name)
                raise ScaleSetNotEmptyError(
                    f"delete scale set {self.name}",
                    code="VmDeletionFailed",
                    message=f"{len(failed)} VM(s) could not be deleted, so the set was not deleted: "
                    + "; ".join(reasons),
                    remedy="Fix the cause named for each VM, then run delete() again: it resumes where it "
                    "stopped.",
                )
            await self._wait_until_empty()
        leftovers = await self._sweep_leftovers()
        deleted_set = False
        if exists:
            compute = self._arm().compute
            try:
                await self._lro(
                    f"delete scale set {self.name}",
                    compute.virtual_machine_scale_sets.begin_delete(
                        self.resource_group, self.name, force_deletion=force or None
                    ),
                )
                deleted_set = True
            except NotFoundError:
                deleted_set = False
        return TeardownResult(vms=batch, leftovers_deleted=tuple(leftovers), scale_set_deleted=deleted_set)

    async def _wait_until_empty(self) -> None:
        for _ in range(VANISH_ATTEMPTS):
            remaining = await self.vms()
            if not remaining:
                return
            await _clock.sleep(VANISH_POLL)
        raise ScaleSetNotEmptyError(
            f"delete scale set {self.name}",
            code="VmsStillPresent",
            message=f"{len(remaining)} VM(s) still listed after deletion: "
            + ", ".join(vm.name for vm in remaining[:10]),
            remedy="Run delete() again once Azure has finished deleting them.",
        )

    async def _rg_resources(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """The resource group's disks, NICs and public IPs (three lists, all pages)."""
        compute = self._arm().compute
        network = self._arm().network
        rg = self.resource_group
        disks = await self._list(f"list disks in {rg}", compute.disks.list_by_resource_group(rg))
        nics = await self._list(f"list network interfaces in {rg}", network.network_interfaces.list(rg))
        pips = await self._list(f"list public IP addresses in {rg}", network.public_ip_addresses.list(rg))
        return [_wire(d) for d in disks], [_wire(n) for n in nics], [_wire(p) for p in pips]

    async def _mark_leftovers(self, vms: Sequence[VmInfo]) -> None:
        """Tag, with the set's id, what each VM would leave behind when deleted: its disks and
        NICs whose deleteOption is not Delete, and the public IPs of its NICs unless the VM
        itself created them with deleteOption Delete. Already-tagged resources are skipped, so
        a re-run costs three lists and no writes."""
        disks, nics, pips = await self._rg_resources()
        tagged = {
            str(r["id"]).lower()
            for r in (*disks, *nics, *pips)
            if _same((r.get("tags") or {}).get(SET_TAG), self.id)
        }
        nic_by_id = {str(n["id"]).lower(): n for n in nics}
        pip_ids = {str(p["id"]).lower() for p in pips}
        wanted: dict[str, str] = {}  # id.lower() -> kind
        for vm in vms:
            props = vm.raw.get("properties") or {}
            storage = props.get("storageProfile") or {}
            os_disk = storage.get("osDisk") or {}
            if os_disk.get("deleteOption") != "Delete" and vm.os_disk_id:
                wanted[vm.os_disk_id.lower()] = "disk"
            for disk in storage.get("dataDisks") or ():
                disk_id = (disk.get("managedDisk") or {}).get("id")
                if disk_id and disk.get("deleteOption") != "Delete":
                    wanted[str(disk_id).lower()] = "disk"
            network_profile = props.get("networkProfile") or {}
            pip_configs = [
                (ip.get("properties") or {}).get("publicIPAddressConfiguration")
                for config in network_profile.get("networkInterfaceConfigurations") or ()
                for ip in (config.get("properties") or {}).get("ipConfigurations") or ()
            ]
            pip_deleted_by_vm = bool(pip_configs) and all(
                ((pip or {}).get("properties") or {}).get("deleteOption") == "Delete"
                for pip in pip_configs
                if pip
            )
            for ref in network_profile.get("networkInterfaces") or ():
                nic_id = str(ref.get("id") or "")
                if not nic_id:
                    continue
                delete_option = ref.get("deleteOption") or (ref.get("properties") or {}).get("deleteOption")
                if delete_option != "Delete":
                    wanted[nic_id.lower()] = "nic"
                nic = nic_by_id.get(nic_id.lower())
                if nic is None:
                    continue
                for ip_config in (nic.get("properties") or {}).get("ipConfigurations") or ():
                    pip_id = (((ip_config.get("properties") or {}).get("publicIPAddress")) or {}).get("id")
                    if not pip_id or str(pip_id).lower() not in pip_ids:
                        continue
                    if delete_option != "Delete" or not pip_deleted_by_vm:
                        wanted[str(pip_id).lower()] = "pip"
        originals = {str(r["id"]).lower(): r for r in (*disks, *nics, *pips)}
        await _bounded(
            [
                self._tag(originals[resource_id], kind)
                for resource_id, kind in wanted.items()
                if resource_id not in tagged and resource_id in originals
            ],
            CLEANUP_CONCURRENCY,
        )

    async def _tag(self, resource: Mapping[str, Any], kind: str) -> None:
        """Add :data:`SET_TAG` to one disk (read-modify-write PUT of the body just listed, as
        ``az disk update`` does), NIC or public IP (tags PATCH)."""
        from azure.mgmt.network.models import TagsObject

        rid = str(resource["id"])
        name = str(resource["name"])
        rg = _rg_of(rid)
        tags = {**dict(resource.get("tags") or {}), SET_TAG: self.id}
        if kind == "disk":
            body = {key: value for key, value in resource.items() if key not in ("id", "name", "type")}
            body["tags"] = tags
            await self._lro(
                f"tag disk {name}", self._arm().compute.disks.begin_create_or_update(rg, name, body)
            )
        elif kind == "nic":
            await self._call(
                f"tag network interface {name}",
                self._arm().network.network_interfaces.update_tags(rg, name, TagsObject(tags=tags)),
            )
        else:
            await self._call(
                f"tag public IP address {name}",
                self._arm().network.public_ip_addresses.update_tags(rg, name, TagsObject(tags=tags)),
            )

    async def _sweep_leftovers(self) -> list[str]:
        """Delete every disk, NIC and public IP tagged for this set: NICs first (waiting out
        Azure's 180 s NIC reservation after a VM deletion), then public IPs and disks."""
        disks, nics, pips = await self._rg_resources()

        def mine(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for r in items if _same((r.get("tags") or {}).get(SET_TAG), self.id)]

        compute = self._arm().compute
        network = self._arm().network
        deleted: list[str] = []
        # NICs first (a public IP cannot go while a NIC holds it), then public IPs, then disks
        for items, what, operations in (
            (mine(nics), "network interface", network.network_interfaces),
            (mine(pips), "public IP address", network.public_ip_addresses),
            (mine(disks), "disk", compute.disks),
        ):
            await _bounded(
                [
                    self._delete_retrying_reservation(
                        f"delete {what} {item['name']}",
                        functools.partial(
                            operations.begin_delete, _rg_of(str(item["id"])), str(item["name"])
                        ),
                    )
                    for item in items
                ],
                CLEANUP_CONCURRENCY,
            )
            deleted.extend(str(item["id"]) for item in items)
        return deleted

    async def _delete_retrying_reservation(self, operation: str, begin: Callable[[], Awaitable[Any]]) -> None:
        """Run a DELETE; a resource already gone counts as deleted. A NIC still reserved by its
        deleted VM (NicReservedForAnotherVm, up to 180 s) or still in use while Azure finishes
        detaching is retried every :data:`NIC_RESERVATION_WAIT` seconds."""
        transient = {
            "nicreservedforanothervm",
            "nicinuse",
            "publicipaddresscannotbedeleted",
            "operationnotallowed",
        }
        for attempt in range(NIC_RESERVATION_ATTEMPTS):
            try:
                await self._lro(operation, begin())
                return
            except NotFoundError:
                return
            except AzureOperationError as exc:
                if (exc.code or "").lower() not in transient or attempt == NIC_RESERVATION_ATTEMPTS - 1:
                    raise
                logger.info("flexvmss: %s: %s; retrying in %.0f s", operation, exc.code, NIC_RESERVATION_WAIT)
                await _clock.sleep(NIC_RESERVATION_WAIT)


# ---------------------------------------------------------------------------------------------
# Module helpers

_EXPECT: dict[str, str] = {
    "create": "running",
    "start": "running",
    "restart": "running",
    "redeploy": "running",
    "stop": "stopped",
    "deallocate": "deallocated",
    "delete": "deleted",
}

async def _bounded(awaitables: Sequence[Awaitable[Any]], limit: int) -> None:
    """Await all of ``awaitables`` with at most ``limit`` running at once; the first error is
    raised once every one of them has finished (none is left running behind it)."""
    import asyncio

    semaphore = asyncio.Semaphore(limit)

    async def one(awaitable: Awaitable[Any]) -> None:
        async with semaphore:
            await awaitable

    results = await asyncio.gather(*(one(a) for a in awaitables), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _result_error(batch: BatchResult, name: str) -> str | None:
    result = batch.results.get(name)
    if result is None:
        return None
    if result.error is not None:
        return str(getattr(result.error, "code", None) or "") + ": " + str(
            getattr(result.error, "azure_message", None) or result.error.message
        )
    return result.detail or result.outcome.value if result.outcome else None
