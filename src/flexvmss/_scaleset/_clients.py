"""How the facade reaches Azure: the clients it builds or borrows, one error mapping for every
SDK call, and the one path to a region's Resource SKUs catalog.

Every request goes through :class:`~flexvmss._arm.ArmClients` (flexvmss's throttling, retries
and counting) unless the caller passes azure-mgmt clients of their own, which are then used as
they are and never closed by flexvmss.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

from flexvmss._arm import ArmClients, ArmSettings, Cloud, build_clients
from flexvmss._errors import FlexError, InvalidInputError, MalformedResponseError, from_azure_error
from flexvmss._pipeline import ThrottleConfig
from flexvmss._runtime import Runtime
from flexvmss._scaleset._values import wire
from flexvmss._skus import SkuCache, SkuCatalog, shared_cache

__all__ = ["BorrowedClients", "adopt", "build", "call", "collect", "lro", "read_catalog", "sku_catalog"]

T = TypeVar("T")


class BorrowedClients(ArmClients):
    """The caller's own azure-mgmt aio clients in the shape of :class:`~flexvmss._arm.ArmClients`
    (``compute``, ``network``, ``resource``, ``settings``, ``request``); closing them is left to
    the caller."""

    def __init__(self, subscription_id: str, compute: Any, network: Any, resource: Any = None) -> None:
        super().__init__(ArmSettings(subscription_id))
        self._borrowed = {"compute": compute, "network": network, "resource": resource}

    @property
    def compute(self) -> Any:
        return self._borrowed["compute"]

    @property
    def network(self) -> Any:
        return self._borrowed["network"]

    @property
    def resource(self) -> Any:
        return self._borrowed["resource"]

    async def close(self) -> None:  # the caller owns these clients
        return None


def _declares(obj: object, name: str) -> bool:
    """Whether ``obj`` has attribute ``name``, without evaluating it: touching a lazy client
    property would build the client (and its aiohttp session) on whatever event loop happens
    to run the caller."""
    return hasattr(type(obj), name) or name in getattr(obj, "__dict__", {})


def adopt(subscription_id: str, clients: Any) -> ArmClients:
    """The ``clients=`` a caller passed: an :class:`~flexvmss._arm.ArmClients` (or an object of
    its shape) as it is, a ``(compute, network[, resource])`` tuple of azure-mgmt aio clients as
    :class:`BorrowedClients`; anything else is an :class:`~flexvmss.InvalidInputError`."""
    if isinstance(clients, (tuple, list)):
        return BorrowedClients(subscription_id, *clients)
    if all(_declares(clients, attr) for attr in ("compute", "network")):
        return clients  # type: ignore[no-any-return]
    raise InvalidInputError(
        "clients",
        type(clients).__name__,
        "pass an ArmClients, or a (compute, network, resource) tuple of azure-mgmt aio clients",
    )


def build(
    subscription_id: str,
    *,
    credential: Any = None,
    base_url: str | None = None,
    connection_verify: str | bool | None = None,
    throttle: ThrottleConfig | None = None,
    runtime: Runtime | None = None,
    cloud: str | Cloud | None = None,
    compute_api_version: str | None = None,
) -> ArmClients:
    """flexvmss's own clients for these settings (nothing is imported or connected yet)."""
    settings_kwargs: dict[str, Any] = {
        "subscription_id": subscription_id,
        "base_url": base_url,
        "credential": credential,
        "connection_verify": connection_verify,
        "cloud": cloud,
    }
    if throttle is not None:
        settings_kwargs["throttle"] = throttle
    if runtime is not None:
        settings_kwargs["runtime"] = runtime
    if compute_api_version is not None:
        settings_kwargs["compute_api_version"] = compute_api_version
    return build_clients(ArmSettings(**settings_kwargs))


async def call(operation: str, awaitable: Awaitable[T]) -> T:
    """Await one SDK call, turning every Azure error into a flexvmss one naming ``operation``."""
    try:
        return await awaitable
    except FlexError:
        raise
    except Exception as exc:
        raise from_azure_error(exc, operation=operation) from exc


async def lro(operation: str, begin: Awaitable[Any]) -> Any:
    """Start a long-running operation and wait for its result."""
    poller = await call(operation, begin)
    return await call(operation, poller.result())


async def _all_items(pager: Any) -> list[Any]:
    return [item async for item in pager]


async def collect(operation: str, pager: Any) -> list[Any]:
    """Every page of a list; a failure on any page raises (never a partial answer)."""
    return await call(operation, _all_items(pager))


async def read_catalog(
    clients: ArmClients, subscription_id: str, location: str, cache: SkuCache | None = None
) -> SkuCatalog:
    """The Resource SKUs catalog of ``location``: read once per (subscription, location)
    through ``cache`` (None: the process-wide one), then from memory."""
    compute = clients.compute

    async def load(loc: str) -> list[Mapping[str, Any]]:
        operation = f"list resource SKUs in {loc}"
        raw = await collect(operation, compute.resource_skus.list(filter=f"location eq '{loc}'"))
        items: list[Mapping[str, Any]] = [
            wire(i) for i in raw if isinstance(i, Mapping) or hasattr(i, "as_dict")
        ]
        # An empty catalog is a broken answer, not a region with nothing in it: taking it as
        # such would refuse every size as unknown (FLEX020).
        if not items or len(items) != len(raw) or not all(i.get("name") for i in items):
            raise MalformedResponseError(
                operation,
                code="MalformedResponse",
                message="the Resource SKUs answer holds no SKU items",
                remedy="Retry; if it persists, check that base_url is an Azure Resource Manager endpoint.",
            )
        return items

    return await (cache if cache is not None else shared_cache()).get(subscription_id, location, load)


async def sku_catalog(
    subscription_id: str,
    location: str,
    *,
    credential: Any = None,
    base_url: str | None = None,
    connection_verify: str | bool | None = None,
    throttle: ThrottleConfig | None = None,
    sku_cache: SkuCache | None = None,
    cloud: str | Cloud | None = None,
) -> SkuCatalog:
    """The Resource SKUs catalog of ``location``, without a scale set: which VM sizes the
    subscription may use there, in which zones, and what they can do.

    The same read a :class:`FlexScaleSet` makes before its preflight (one per subscription and
    location, cached in ``sku_cache``, by default the process-wide cache), with the same
    connection arguments; the clients it builds are closed before it returns.
    """
    clients = build(
        subscription_id,
        credential=credential,
        base_url=base_url,
        connection_verify=connection_verify,
        throttle=throttle,
        cloud=cloud,
    )
    try:
        return await read_catalog(clients, subscription_id, location, sku_cache)
    finally:
        await clients.close()
