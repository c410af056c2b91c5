"""How the facade reaches Azure: the clients it builds or borrows, one error mapping for every
SDK call, and the one path to a region's Resource SKUs catalog.

Every request goes through :class:`~flexvmss._arm.ArmClients` (flexvmss's throttling, retries
and counting) unless the caller passes azure-mgmt clients of their own, which are then used as
they are and never closed by flexvmss.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Awaitable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flexvmss._arm import ArmClients, ArmSettings, Cloud, RawResponse, build_clients, send_through
from flexvmss._errors import FlexError, InvalidInputError, MalformedResponseError, from_azure_error
from flexvmss._pipeline import ThrottleConfig
from flexvmss._runtime import Runtime
from flexvmss._skus import SkuCache, SkuCatalog, shared_cache

__all__ = [
    "BASE_URL_ENV",
    "CA_FILE_ENV",
    "BorrowedClients",
    "Endpoint",
    "LocalEndpointCredential",
    "adopt",
    "build",
    "call",
    "collect",
    "is_local_endpoint",
    "lro",
    "read_catalog",
    "resolve_endpoint",
    "sku_catalog",
]

T = TypeVar("T")

logger = logging.getLogger("flexvmss")

#: Environment variables that point flexvmss (library, CLI, the Functions example) at another
#: Azure Resource Manager endpoint, such as ``flexvmss emulator serve``, and the CA bundle that
#: signs its certificate. Read only when ``base_url`` / ``emulator`` are not given.
BASE_URL_ENV = "FLEXVMSS_BASE_URL"
CA_FILE_ENV = "FLEXVMSS_CA_FILE"

#: Lifetime of the local endpoint's static token (seconds).
_LOCAL_TOKEN_LIFETIME = 3600


def is_local_endpoint(base_url: str | None) -> bool:
    """Whether ``base_url`` is on this machine (``localhost``, ``127.0.0.0/8``, ``::1``): where
    the flexvmss emulator serves. Azure's own endpoints never are, so a token meant for a local
    endpoint can never reach Azure."""
    if not base_url:
        return False
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalEndpointCredential:
    """The credential flexvmss uses for a local endpoint (the emulator) when none is given: a
    static bearer token that holds no secret. The emulator only checks that a token is sent
    (flexvmss.emulator's dispatcher); flexvmss never hands it to a non-local endpoint."""

    token = "flexvmss-local-endpoint"

    def __repr__(self) -> str:
        return "LocalEndpointCredential()"

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + _LOCAL_TOKEN_LIFETIME)

    async def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self.token, int(time.time()) + _LOCAL_TOKEN_LIFETIME)

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> LocalEndpointCredential:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


@dataclass(frozen=True)
class Endpoint:
    """Where a set's requests go (``base_url``: None for Azure's public cloud), the TLS check of
    that endpoint, the credential (None: ``DefaultAzureCredential``), and the endpoint's clock:
    ``time_scale`` real seconds per second of the service (1.0 for Azure; an ``emulator=``'s
    own ``time_scale``)."""

    base_url: str | None
    connection_verify: str | bool | None
    credential: Any
    time_scale: float = 1.0

    def throttle(self, given: ThrottleConfig | None) -> ThrottleConfig | None:
        """The throttle settings for clients of this endpoint: ``given`` as it is, else (None)
        the defaults on the endpoint's clock, so the waits flexvmss counts in Azure seconds
        (polls, settling, Retry-After without a hint) pass as fast as the emulator's seconds do."""
        if given is not None or self.time_scale == 1.0:
            return given
        return ThrottleConfig(time_scale=self.time_scale)


def resolve_endpoint(
    *,
    credential: Any = None,
    base_url: str | None = None,
    connection_verify: str | bool | None = None,
    emulator: Any = None,
    environ: Mapping[str, str] | None = None,
) -> Endpoint:
    """The one way flexvmss decides where requests go and who they are sent as.

    1. ``emulator=`` (a started :class:`flexvmss.emulator.Emulator`, or anything with its
       ``base_url``, ``ca_file`` and ``async_credential``): that emulator, with its credential
       unless ``credential`` is given, and its clock (``time_scale``, unless the clock is
       manual). It excludes ``base_url`` and ``connection_verify``.
    2. ``base_url=`` (and ``connection_verify=``) as given.
    3. Neither: ``FLEXVMSS_BASE_URL`` and ``FLEXVMSS_CA_FILE`` from the environment, if set.
    4. Otherwise Azure's public cloud.

    Without a ``credential``, a local endpoint (``127.0.0.1``, ``localhost``, ``::1``: the
    emulator) gets :class:`LocalEndpointCredential`, a token that holds no secret; any other
    endpoint gets ``DefaultAzureCredential``. A real Azure URL never gets the local token.
    """
    if emulator is not None:
        if base_url is not None or connection_verify is not None:
            raise InvalidInputError(
                "emulator",
                type(emulator).__name__,
                "pass either emulator= or base_url=/connection_verify=, not both: emulator= sets both",
            )
        missing = [a for a in ("base_url", "ca_file", "async_credential") if not hasattr(emulator, a)]
        if missing:
            raise InvalidInputError(
                "emulator",
                type(emulator).__name__,
                "pass a started flexvmss.emulator.Emulator (it has base_url, ca_file and async_credential)",
            )
        return Endpoint(
            base_url=str(emulator.base_url),
            connection_verify=str(emulator.ca_file),
            credential=credential if credential is not None else emulator.async_credential,
            time_scale=_clock_scale(emulator),
        )
    if base_url is None:
        env = os.environ if environ is None else environ
        base_url = env.get(BASE_URL_ENV) or None
        if base_url is not None and connection_verify is None:
            connection_verify = env.get(CA_FILE_ENV) or None
    if credential is None and is_local_endpoint(base_url):
        logger.debug("flexvmss: %s is a local endpoint; using its static token", base_url)
        credential = LocalEndpointCredential()
    return Endpoint(base_url=base_url, connection_verify=connection_verify, credential=credential)


def _clock_scale(emulator: Any) -> float:
    """Real seconds per emulated second of ``emulator``: its ``time_scale``, or 1.0 when it has
    none or its clock is manual (time then moves only when the test moves it, so a shorter
    wait would only poll more often)."""
    scale = getattr(emulator, "time_scale", None)
    clock = getattr(emulator, "clock", None)
    if getattr(clock, "manual", False) or not isinstance(scale, (int, float)) or isinstance(scale, bool):
        return 1.0
    return float(scale) if scale > 0 else 1.0


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

    async def request(
        self, method: str, url: str, *, json: Any = None, ok: Collection[int] | None = None
    ) -> RawResponse:
        """Through the caller's compute client's own pipeline: its credential and endpoint."""
        return await send_through(self.compute, method, url, json=json, ok=ok)

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

    async def load(loc: str) -> list[Mapping[str, Any]]:
        operation = f"list resource SKUs in {loc}"
        raw = await call(operation, _sku_pages(clients, subscription_id, loc, operation))
        items: list[Mapping[str, Any]] = [i for i in raw if isinstance(i, Mapping)]
        # An empty catalog is a broken answer, not a region with nothing in it: taking it as
        # such would refuse every size as unknown (FLEX020).
        if not items or len(items) != len(raw) or not all(i.get("name") for i in items):
            raise _broken_skus(operation, "the Resource SKUs answer holds no SKU items")
        return items

    return await (cache if cache is not None else shared_cache()).get(subscription_id, location, load)


#: Resource SKUs - List: ``GET /subscriptions/{id}/providers/Microsoft.Compute/skus``, api-version
#: 2021-07-01 (the one the azure-mgmt-compute operation sends; azure-rest-api-specs
#: Microsoft.Compute/Skus/stable/2021-07-01/skus.json), ``$filter`` "location eq '<loc>'" (the only
#: filter it supports).
SKUS_API_VERSION = "2021-07-01"


def _broken_skus(operation: str, message: str) -> MalformedResponseError:
    return MalformedResponseError(
        operation,
        code="MalformedResponse",
        message=message,
        remedy="Retry; if it persists, check that base_url is an Azure Resource Manager endpoint.",
    )


async def _sku_pages(clients: ArmClients, subscription_id: str, location: str, operation: str) -> list[Any]:
    """Every item of every page of Resource SKUs - List in ``location``, as the JSON Azure sent.

    Sent as a request flexvmss builds itself (:meth:`ArmClients.request`: retries, throttling,
    counting, its body decoded once) rather than with ``resource_skus.list``: the SDK turns a
    region's ~1 MB answer into ~1,000 models only for flexvmss to turn them back into dicts,
    which cost more than the request itself. A page that is not an object with a ``value``
    list is a :class:`MalformedResponseError`; an error status is raised as the SDK's would be.
    """
    from urllib.parse import quote

    where = quote(f"location eq '{location}'", safe="'")
    url: str | None = (
        f"/subscriptions/{quote(subscription_id, safe='')}/providers/Microsoft.Compute/skus"
        f"?api-version={SKUS_API_VERSION}&$filter={where}"
    )
    items: list[Any] = []
    while url:
        page = (await clients.request("GET", url, ok=(200,))).json
        if page is None:
            raise _broken_skus(operation, "the Resource SKUs answer is not JSON")
        if not isinstance(page, Mapping) or not isinstance(page.get("value"), list):
            raise _broken_skus(operation, "the Resource SKUs answer holds no list of SKU items")
        items.extend(page["value"])
        next_link = page.get("nextLink")
        url = next_link if isinstance(next_link, str) and next_link else None
    return items


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
    emulator: Any = None,
) -> SkuCatalog:
    """The Resource SKUs catalog of ``location``, without a scale set: which VM sizes the
    subscription may use there, in which zones, and what they can do.

    The same read a :class:`FlexScaleSet` makes before its preflight (one per subscription and
    location, cached in ``sku_cache``, by default the process-wide cache), with the same
    connection arguments (``emulator=``, or ``FLEXVMSS_BASE_URL`` and ``FLEXVMSS_CA_FILE`` when
    neither is given); the clients it builds are closed before it returns.
    """
    endpoint = resolve_endpoint(
        credential=credential, base_url=base_url, connection_verify=connection_verify, emulator=emulator
    )
    clients = build(
        subscription_id,
        credential=endpoint.credential,
        base_url=endpoint.base_url,
        connection_verify=endpoint.connection_verify,
        throttle=endpoint.throttle(throttle),
        cloud=cloud,
    )
    try:
        return await read_catalog(clients, subscription_id, location, sku_cache)
    finally:
        await clients.close()
