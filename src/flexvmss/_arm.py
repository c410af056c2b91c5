"""The one place that builds azure-mgmt clients.

:func:`build_clients` turns :class:`ArmSettings` into :class:`ArmClients`: the async
``ComputeManagementClient``, ``NetworkManagementClient`` and ``ResourceManagementClient``,
built on first use (the azure-mgmt packages are imported then, not when flexvmss is imported),
sharing one aiohttp session, one credential and one :class:`~flexvmss._pipeline.ThrottleState`
per (endpoint, subscription, clock).

Every client gets the same policy stack (:mod:`flexvmss._pipeline`) in front of azure-core's
defaults::

    TransientRetryPolicy   re-sends 408/5xx/dropped connections (named tenacity policy)
    ThrottlePolicy         Retry-After gates + pacing; handles every 429 exactly once
    RequestCounterPolicy   counts each request actually sent, by class, for the batch tally
    ... azure-core's RequestId, Headers, UserAgent, Proxy, ContentDecode, ARM registration,
    Redirect, ARM bearer authentication, logging ... (see :func:`_azure_policies`)

azure-core's RetryPolicy is left out (TransientRetryPolicy retries; otherwise it would sleep a
429's full Retry-After, uncapped, and then ThrottlePolicy would wait again). Authentication
stays behind the retries, so every attempt re-checks the token.

The requests flexvmss builds itself (:meth:`ArmClients.request`: each VM's action, each
operation-status read, each page of the set's VM list: two or three per VM of a batch) take a
*lean* pipeline on the same aiohttp session, with the same three policies in front but only the
azure-core policies such a request needs (see :func:`_lean_policies`), and a transport that
reads each answer whole (:class:`~flexvmss._pipeline._transport.LeanTransport`).

Time comes from the settings' :class:`~flexvmss._runtime.Runtime`: the policies sleep with
``runtime.sleep``, the throttle state reads ``runtime.clock``, and the transport flexvmss
builds hands azure-core's own waits (between the polls of a long-running operation) to
``runtime.sleep`` too, through the transport's ``sleep`` method, which is where azure-core's
pollers and retry policy wait.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import os
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from flexvmss._errors import FlexError, InvalidInputError, credential_error
from flexvmss._headers import lower_headers
from flexvmss._json import loads as json_loads
from flexvmss._pipeline import (
    LOWERED_HEADERS,
    HeaderStampPolicy,
    RequestCounterPolicy,
    ThrottleConfig,
    ThrottlePolicy,
    ThrottleState,
    TransientRetryPolicy,
    shared_throttle_state,
    transient_http,
)
from flexvmss._runtime import DEFAULT_RUNTIME, Runtime

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._runtime import Sleep

__all__ = [
    "AZURE_CHINA_CLOUD",
    "AZURE_PUBLIC_CLOUD",
    "AZURE_US_GOVERNMENT",
    "CLOUDS",
    "COMPUTE_API_VERSION",
    "PUBLIC_CLOUD",
    "ArmClients",
    "ArmSettings",
    "Cloud",
    "RawResponse",
    "build_clients",
    "check_connection",
    "compute_api_version",
    "credential_scopes_for",
    "resolve_cloud",
    "send_through",
    "vms_path",
]

_LOGGER = logging.getLogger("flexvmss.arm")

#: Azure public cloud's Resource Manager endpoint.
PUBLIC_CLOUD = "https://management.azure.com"

#: The Compute api-version of the requests flexvmss builds itself (the raw VM list), by default
#: azure-mgmt-compute 39's; ``ArmSettings.compute_api_version`` overrides it (a cloud or an
#: Azure Stack whose Compute is older).
COMPUTE_API_VERSION = "2026-04-01"


@dataclass(frozen=True)
class Cloud:
    """An Azure cloud: its Resource Manager endpoint, the token scope ARM accepts there, and
    the Microsoft Entra authority that issues those tokens (a host, as azure-identity's
    ``AzureAuthorityHosts`` spells it)."""

    name: str
    resource_manager: str
    credential_scope: str
    authority_host: str

    @property
    def host(self) -> str:
        return urlsplit(self.resource_manager).hostname or ""


# Endpoints: Microsoft Learn "Azure China developer guide" (management.chinacloudapi.cn,
# login.chinacloudapi.cn), "Compare Azure Government and global Azure" (management.usgovcloudapi.net,
# login.microsoftonline.us), "National clouds" (Microsoft Entra authentication endpoints);
# azure-identity's AzureAuthorityHosts (login.microsoftonline.com / .us, login.chinacloudapi.cn);
# token scopes as azure-mgmt-core's tools.get_arm_endpoints gives them. US Government ARM accepts
# both management.core.usgovcloudapi.net and management.usgovcloudapi.net as the audience
# (Azure/go-autorest#76, Azure/azure-sdk-for-js#18042); the first is azure-mgmt-core's.
AZURE_PUBLIC_CLOUD = Cloud(
    "AzurePublicCloud",
    PUBLIC_CLOUD,
    "https://management.azure.com/.default",
    "login.microsoftonline.com",
)
AZURE_CHINA_CLOUD = Cloud(
    "AzureChinaCloud",
    "https://management.chinacloudapi.cn",
    "https://management.chinacloudapi.cn/.default",
    "login.chinacloudapi.cn",
)
AZURE_US_GOVERNMENT = Cloud(
    "AzureUSGovernment",
    "https://management.usgovcloudapi.net",
    "https://management.core.usgovcloudapi.net/.default",
    "login.microsoftonline.us",
)

#: The clouds ``cloud=`` names, by the names the Azure CLI gives them (``az cloud list``).
CLOUDS: Mapping[str, Cloud] = {
    c.name: c for c in (AZURE_PUBLIC_CLOUD, AZURE_CHINA_CLOUD, AZURE_US_GOVERNMENT)
}


def _cloud_named(name: str) -> Cloud | None:
    """The cloud called ``name``: the Azure CLI's name or azure-core's ``AzureClouds`` member
    name, in any case (``AzureChinaCloud``, ``AZURE_CHINA_CLOUD``); also ``AzureUSGovernmentCloud``."""
    key = name.replace("_", "").replace("-", "").lower()
    aliases = {"azureusgovernmentcloud": "azureusgovernment", "azureusgov": "azureusgovernment"}
    key = aliases.get(key, key)
    return next((c for c in CLOUDS.values() if c.name.lower() == key), None)


def resolve_cloud(cloud: str | Cloud | None = None, base_url: str | None = None) -> tuple[Cloud, str]:
    """The cloud and the Resource Manager endpoint that ``cloud`` and ``base_url`` name.

    ``cloud`` is a :class:`Cloud`, a cloud's name (:data:`CLOUDS`) or an endpoint URL; the
    endpoint is ``base_url`` when given (a proxy or private endpoint in front of that cloud's
    ARM), else the cloud's own. Without ``cloud``, a ``base_url`` on one of Azure's clouds names
    that cloud, and any other endpoint (the emulator) is taken with the public cloud's token
    scope and authority. Neither: the public cloud. An unknown name is an
    :class:`~flexvmss.InvalidInputError`.
    """
    if isinstance(cloud, str) and "://" in cloud:
        if base_url is not None and base_url.rstrip("/") != cloud.rstrip("/"):
            raise InvalidInputError(
                "cloud",
                cloud,
                "name the endpoint once: give it as cloud= or as base_url=, not two different ones",
            )
        cloud, base_url = None, cloud
    if isinstance(cloud, str):
        named = _cloud_named(cloud)
        if named is None:
            raise InvalidInputError(
                "cloud",
                cloud,
                f"use one of {', '.join(CLOUDS)}, an ARM endpoint URL, or a flexvmss Cloud(...)",
            )
        cloud = named
    if cloud is not None and not isinstance(cloud, Cloud):
        raise InvalidInputError("cloud", type(cloud).__name__, f"use one of {', '.join(CLOUDS)} or a Cloud")
    if cloud is None:
        host = urlsplit(base_url or PUBLIC_CLOUD).hostname or ""
        cloud = next((c for c in CLOUDS.values() if c.host == host), AZURE_PUBLIC_CLOUD)
    return cloud, (base_url or cloud.resource_manager).rstrip("/")


def credential_scopes_for(base_url: str | None, cloud: str | Cloud | None = None) -> list[str]:
    """The token scope for an ARM endpoint: its cloud's audience for Azure's clouds (or the
    named ``cloud``'s); the public ARM scope for anything else (the emulator accepts any
    bearer token)."""
    return [resolve_cloud(cloud, base_url)[0].credential_scope]


def check_connection(base_url: str | None, connection_verify: str | bool | None) -> None:
    """Refuse, before anything is sent, an endpoint flexvmss cannot talk to: an ``http://``
    base URL (azure-core's bearer-token policy refuses to send a token without TLS, which
    would otherwise surface as a retried connection error) and a ``connection_verify`` CA file
    that is missing, unreadable or holds no certificate. Each is an
    :class:`~flexvmss.InvalidInputError` naming the field and the fix."""
    if base_url is not None:
        parts = urlsplit(base_url)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise InvalidInputError(
                "base_url",
                base_url,
                "give an https:// URL: Azure Resource Manager and the flexvmss emulator serve HTTPS only "
                "(bearer tokens are never sent without TLS); `flexvmss emulator serve` prints its URL "
                "and CA file",
            )
    if isinstance(connection_verify, str):
        path = connection_verify
        if not os.path.isfile(path):
            raise InvalidInputError(
                "connection_verify",
                path,
                "give the path of an existing CA bundle file (PEM), such as the one `flexvmss emulator "
                "serve` prints, or True to use the system's CAs",
                message=f"the CA file {path!r} does not exist (or is not a file).",
            )
        try:
            ssl.create_default_context(cafile=path)
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise InvalidInputError(
                "connection_verify",
                path,
                "give a readable PEM file of CA certificates (the emulator's CA file, or your proxy's CA)",
                message=f"the CA file {path!r} cannot be used: {type(exc).__name__}: {exc}.",
            ) from None


@dataclass(frozen=True, repr=False)
class ArmSettings:
    """Where and how flexvmss talks to Azure Resource Manager.

    ``subscription_id``; ``base_url`` (None: Azure public cloud); ``credential`` (an async
    ``AsyncTokenCredential``, a sync ``TokenCredential`` — run in a worker thread — or None for
    ``azure.identity.aio.DefaultAzureCredential``); ``connection_verify`` (a CA bundle path, for
    the emulator); ``polling_interval`` (seconds between LRO polls when Azure gives no
    Retry-After); ``throttle`` (:class:`~flexvmss._pipeline.ThrottleConfig`); ``transport``
    (an azure-core async transport, e.g. for tests: its own ``sleep`` is then used as it is);
    ``logging_enable`` (an HTTP trace of every exchange on the ``flexvmss.http`` logger at
    DEBUG, with secrets masked — azure-core's own network trace, which logs bodies verbatim, is
    never turned on); ``runtime`` (:class:`~flexvmss._runtime.Runtime`: the clock and the sleep
    of every wait the clients make); ``cloud`` (a :class:`Cloud`, a cloud's name such as
    ``"AzureChinaCloud"``, or an endpoint URL: it gives the endpoint when ``base_url`` is None,
    the token scope, and the authority of the default credential; see :func:`resolve_cloud`);
    ``compute_api_version`` (the api-version of the Compute requests flexvmss builds itself,
    the raw VM list). The repr never shows the credential's contents.
    """

    subscription_id: str
    base_url: str | None = None
    credential: Any = None
    connection_verify: str | bool | None = None
    polling_interval: float = 5.0
    throttle: ThrottleConfig = field(default_factory=ThrottleConfig)
    transport: Any = None
    logging_enable: bool = False
    runtime: Runtime = DEFAULT_RUNTIME
    cloud: str | Cloud | None = None
    compute_api_version: str = COMPUTE_API_VERSION

    @property
    def endpoint(self) -> str:
        """The Resource Manager endpoint: ``base_url``, else the cloud's (see :func:`resolve_cloud`)."""
        return resolve_cloud(self.cloud, self.base_url)[1]

    @property
    def azure_cloud(self) -> Cloud:
        """The cloud the settings name: it gives the token scope and the sign-in authority."""
        return resolve_cloud(self.cloud, self.base_url)[0]

    def __repr__(self) -> str:
        credential = type(self.credential).__name__ if self.credential is not None else "default"
        verify = (
            f", connection_verify={self.connection_verify!r}" if self.connection_verify is not None else ""
        )
        return (
            f"ArmSettings(subscription_id={self.subscription_id!r}, endpoint={self.endpoint!r}, "
            f"cloud={self.azure_cloud.name!r}, credential=<{credential}>{verify}, "
            f"polling_interval={self.polling_interval!r}, throttle={self.throttle!r})"
        )


@dataclass(frozen=True)
class RawResponse:
    """A response read through the clients' pipeline: status, headers, decoded JSON (or None)."""

    status: int
    headers: Mapping[str, str]
    json: Any


class _AsyncCredentialAdapter:
    """Presents a sync TokenCredential as an async one, running it in a worker thread."""

    def __init__(self, credential: Any) -> None:
        self._credential = credential

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return await asyncio.to_thread(self._credential.get_token, *scopes, **kwargs)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> _AsyncCredentialAdapter:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None

    def __repr__(self) -> str:
        return f"<async adapter for {type(self._credential).__name__}>"


class _AsyncCredentialInfoAdapter(_AsyncCredentialAdapter):
    async def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        return await asyncio.to_thread(self._credential.get_token_info, *scopes, options=options)


def _async_credential(credential: Any, cloud: Cloud = AZURE_PUBLIC_CLOUD) -> tuple[Any, bool]:
    """The async credential to use, and whether flexvmss owns (must close) it. The default
    credential signs in at ``cloud``'s authority (left to azure-identity, which also reads
    AZURE_AUTHORITY_HOST, for the public cloud)."""
    if credential is None:
        from azure.identity.aio import DefaultAzureCredential

        if cloud.authority_host != AZURE_PUBLIC_CLOUD.authority_host:
            return DefaultAzureCredential(authority=cloud.authority_host), True
        return DefaultAzureCredential(), True
    getter = getattr(credential, "get_token_info", None) or getattr(credential, "get_token", None)
    if getter is None:
        raise TypeError(f"{type(credential).__name__} is not a token credential (no get_token)")
    if inspect.iscoroutinefunction(getter):
        return credential, False
    if hasattr(credential, "get_token_info"):
        return _AsyncCredentialInfoAdapter(credential), False
    return _AsyncCredentialAdapter(credential), False


def _sign_in_remedy(cloud: Cloud) -> str | None:
    """How to sign in to ``cloud`` (None: :class:`~flexvmss.CredentialError`'s default, for the
    public cloud)."""
    if cloud.authority_host == AZURE_PUBLIC_CLOUD.authority_host:
        return None
    return (
        f"Sign in to {cloud.name}: run `az cloud set --name {cloud.name}` then `az login`; a service "
        f"principal or managed identity needs AZURE_AUTHORITY_HOST={cloud.authority_host} (a credential "
        f"you build yourself: authority='{cloud.authority_host}'); set AZURE_TENANT_ID, AZURE_CLIENT_ID "
        "and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) for a service principal."
    )


class _GuardedCredential:
    """The clients' credential: a token the credential cannot get (azure-core's
    ``ClientAuthenticationError``, e.g. DefaultAzureCredential with no sign-in anywhere) is raised
    as :class:`~flexvmss.CredentialError`, naming the credential's reasons and how to sign in to
    this cloud. It is not retried (nothing was sent; a retry meets the same missing sign-in)."""

    def __init__(self, credential: Any, cloud: Cloud) -> None:
        self._credential = credential
        self._cloud = cloud

    def _error(self, exc: Exception, scopes: tuple[str, ...]) -> FlexError:
        return credential_error(
            exc,
            operation=f"get an access token for {', '.join(scopes) or 'Azure Resource Manager'}",
            remedy=_sign_in_remedy(self._cloud),
        )

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            return await self._credential.get_token(*scopes, **kwargs)
        except ClientAuthenticationError as exc:
            raise self._error(exc, scopes) from exc

    async def close(self) -> None:
        return None  # closing is the owner's (ArmClients closes the credentials it made)

    def __repr__(self) -> str:
        return f"<{type(self._credential).__name__} for {self._cloud.name}>"


class _GuardedCredentialInfo(_GuardedCredential):
    async def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            return await self._credential.get_token_info(*scopes, options=options)
        except ClientAuthenticationError as exc:
            raise self._error(exc, scopes) from exc


def _guarded(credential: Any, cloud: Cloud) -> Any:
    if hasattr(credential, "get_token_info"):
        return _GuardedCredentialInfo(credential, cloud)
    return _GuardedCredential(credential, cloud)


class ArmClients:
    """The azure-mgmt async clients of one subscription, built lazily, closed together.

    ``compute``, ``network`` and ``resource`` are the stock ``.aio`` clients. ``throttle`` is
    the shared :class:`~flexvmss._pipeline.ThrottleState`; ``requests`` counts every request
    sent by class since the clients were built.
    """

    def __init__(self, settings: ArmSettings) -> None:
        self.settings = settings
        self.throttle: ThrottleState = shared_throttle_state(
            settings.endpoint, settings.subscription_id, settings.throttle, clock=settings.runtime.clock
        )
        self.requests: dict[str, int] = {}
        self._credential: Any = None
        self._guarded_credential: Any = None
        self._owns_credential = False
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._ssl_contexts: dict[Any, Any] = {}
        self._lean_pipeline: Any = None
        self._closed = False

    def __repr__(self) -> str:
        built = ", ".join(sorted(self._clients)) or "none built"
        return f"<ArmClients {self.settings.endpoint} subscription={self.settings.subscription_id} ({built})>"

    # ----------------------------------------------------------------- construction
    def _credential_for_clients(self) -> Any:
        if self._credential is None:
            cloud = self.settings.azure_cloud
            self._credential, self._owns_credential = _async_credential(self.settings.credential, cloud)
            self._guarded_credential = _guarded(self._credential, cloud)
        return self._guarded_credential

    def _transport(self) -> Any:
        if self.settings.transport is not None:
            return self.settings.transport
        config: dict[str, Any] = {}
        if self.settings.connection_verify is not None:
            # the transport's own ConnectionConfiguration decides TLS verification per request
            config["connection_verify"] = self.settings.connection_verify
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # no loop yet: the transport opens a session of its own when first used
        else:
            config.update(session=self._shared_session(), session_owner=False)
        sleep = self.settings.runtime.sleep
        return _transport_class()(sleep=sleep, ssl_contexts=self._ssl_contexts, **config)

    def _shared_session(self) -> Any:
        """The aiohttp session every transport of these clients sends on (made on first use,
        on the running event loop; closed by :meth:`close`)."""
        if self._session is None:
            import aiohttp

            self._session = aiohttp.ClientSession(
                trust_env=_env_configures_http(),
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
            )
        return self._session

    def _lean_transport_ssl(self) -> Any:
        """aiohttp's ``ssl=`` for the lean transport, as azure-core's transport derives it from
        ``connection_verify``: True (aiohttp's verification), False (none), or the one
        ``SSLContext`` of a CA file (shared with the SDK clients' transports)."""
        verify = self.settings.connection_verify
        if verify is None or verify is True or verify is False:
            return True if verify is None else verify
        key = (None, verify)
        context = self._ssl_contexts.get(key)
        if context is None:
            context = self._ssl_contexts[key] = ssl.create_default_context()
            context.load_verify_locations(cafile=verify)
        return context

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("these ArmClients are closed; build new ones with build_clients()")

    def _own_policies(self) -> list[Any]:
        """flexvmss's policies, in front of every pipeline (each pipeline its own instances;
        the throttle state and the request counts they feed are the clients')."""
        sleep = self.settings.runtime.sleep
        return [
            TransientRetryPolicy(transient_http, sleep=sleep),
            ThrottlePolicy(self.throttle, self.settings.throttle, sleep=sleep),
            RequestCounterPolicy(self.requests),
        ]

    def _kwargs(self) -> dict[str, Any]:
        self._check_open()
        settings = self.settings
        credential = self._credential_for_clients()
        kwargs: dict[str, Any] = {
            "credential": credential,
            "subscription_id": settings.subscription_id,
            "base_url": settings.endpoint,
            "credential_scopes": [settings.azure_cloud.credential_scope],
            "polling_interval": settings.polling_interval,
            "per_call_policies": self._own_policies(),
            "policies": _azure_policies(credential, settings),
            # azure-core's own network trace logs request bodies (passwords, custom data):
            # never on; the redacting trace in _azure_policies takes its place.
            "logging_enable": False,
        }
        if settings.connection_verify is not None:
            kwargs["connection_verify"] = settings.connection_verify
        kwargs["transport"] = self._transport()
        return kwargs

    def _client(self, key: str) -> Any:
        """The client ``key`` names in :data:`_CLIENT_CLASSES`, built (and its azure-mgmt package
        imported) on first use."""
        client = self._clients.get(key)
        if client is None:
            module, name = _CLIENT_CLASSES[key]
            client_class = getattr(importlib.import_module(module), name)
            client = self._clients[key] = client_class(**self._kwargs())
        return client

    @property
    def compute(self) -> Any:
        """``azure.mgmt.compute.aio.ComputeManagementClient``."""
        return self._client("compute")

    @property
    def compute_api_version(self) -> str:
        """The api-version of the Compute requests flexvmss builds itself (the raw VM list)."""
        return self.settings.compute_api_version

    @property
    def network(self) -> Any:
        """``azure.mgmt.network.aio.NetworkManagementClient``."""
        return self._client("network")

    @property
    def resource(self) -> Any:
        """``azure.mgmt.resource.resources.aio.ResourceManagementClient``."""
        return self._client("resource")

    @property
    def compute_schedule(self) -> Any:
        """``azure.mgmt.computeschedule.aio.ComputeScheduleMgmtClient`` (ScheduledActions)."""
        return self._client("compute_schedule")

    # ----------------------------------------------------------------- raw requests
    def _lean(self) -> Any:
        """The lean pipeline of :meth:`request`, built on first use: its transport is a
        :class:`~flexvmss._pipeline._transport.LeanTransport` on the shared session (or the
        settings' own transport, as it is)."""
        self._check_open()
        if self._lean_pipeline is None:
            from azure.core.pipeline import AsyncPipeline

            from flexvmss._pipeline._transport import LeanTransport

            transport = self.settings.transport
            if transport is None:
                transport = LeanTransport(
                    self._shared_session, ssl=self._lean_transport_ssl(), sleep=self.settings.runtime.sleep
                )
            policies = self._own_policies() + _lean_policies(self._credential_for_clients(), self.settings)
            self._lean_pipeline = AsyncPipeline(transport, policies)
        return self._lean_pipeline

    async def request(
        self, method: str, url: str, *, json: Any = None, ok: Collection[int] | None = None
    ) -> RawResponse:
        """Send one request flexvmss built itself (a VM's action, an operation-status read, a
        page of the VM list) through the lean pipeline: the same retries, throttling, counting
        and authentication as the SDK's calls (see :func:`_lean_policies`), and read the whole
        answer, its JSON body decoded once (None when it is empty or not JSON).

        ``url`` may be absolute or a path (``/subscriptions/...?api-version=...``). A 429 never
        comes back: it is waited on or raised as :class:`~flexvmss.ThrottledError`. With
        ``ok``, any other status raises azure-core's error for it as azure-mgmt's generated
        operations do (401 ClientAuthenticationError, 404 ResourceNotFoundError, 409
        ResourceExistsError, else HttpResponseError; ARM's error format: azure-mgmt-compute
        39, ``VirtualMachinesOperations._deallocate_initial`` and its siblings), so a request
        that replaces an SDK call fails the way that call would.
        """
        from azure.core.rest import HttpRequest

        if "://" not in url:
            url = self.settings.endpoint.rstrip("/") + url
        pipeline_response = await self._lean().run(HttpRequest(method, url, json=json), stream=False)
        headers = pipeline_response.context.get(LOWERED_HEADERS)
        return _answer(pipeline_response.http_response, ok, headers)

    # ----------------------------------------------------------------- lifecycle
    async def close(self) -> None:
        """Close the clients, the shared session and the credential flexvmss created."""
        self._closed = True
        clients, self._clients = self._clients, {}
        self._lean_pipeline = None
        for client in clients.values():
            try:
                await client.close()
            except Exception:  # closing must not hide the error that led here
                _LOGGER.debug("closing %s failed", type(client).__name__, exc_info=True)
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
        if self._owns_credential and self._credential is not None:
            credential, self._credential = self._credential, None
            await credential.close()

    async def __aenter__(self) -> ArmClients:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


def _user_agent() -> str:
    """flexvmss's User-Agent: azure-core's composition for the ``flexvmss`` moniker, with
    ``AZURE_HTTP_USER_AGENT`` (read now) in front when it is set."""
    from azure.core.pipeline import policies as core

    from flexvmss import __version__

    return str(core.UserAgentPolicy(sdk_moniker=f"flexvmss/{__version__}").user_agent)


def _tracing_on() -> bool:
    """Whether azure-core's distributed tracing is on (``azure.core.settings``)."""
    from azure.core.settings import settings as core_settings

    return bool(core_settings.tracing_enabled() or core_settings.tracing_implementation() is not None)


def _lean_policies(credential: Any, settings: ArmSettings) -> list[Any]:
    """The azure-core policies behind flexvmss's own on the lean pipeline of
    :meth:`ArmClients.request`: what a request flexvmss built itself needs, as one policy each.

    * the User-Agent (and nothing else: the request id is TransientRetryPolicy's, one per call)
      by :class:`~flexvmss._pipeline.HeaderStampPolicy`;
    * ARM's provider registration (a first read in a subscription that never used Compute is
      answered 409 MissingSubscriptionRegistration: azure-mgmt-core registers and re-sends);
    * the redacting trace when ``logging_enable``; ARM bearer authentication (with its claims
      challenge); azure-core's tracing when it is on.

    Left out, with why: ContentDecodePolicy (the body is decoded once, by
    :meth:`ArmClients.request`); ProxyPolicy, CustomHookPolicy and HeadersPolicy (flexvmss
    passes no per-call proxies, hooks or headers; aiohttp's ``trust_env`` covers environment
    proxies); the redirect policy and the header cleanup it serves (ARM's asynchronous-operation
    pattern answers these requests with 200/201/202/204 or an error: Microsoft docs, "Track
    asynchronous Azure operations"; that it never redirects them is inferred, and a 3xx would
    surface as an unexpected status, not be followed);
    azure-core's HttpLoggingPolicy (its ``azure.core`` INFO log still covers the SDK's calls;
    these requests are traced on ``flexvmss.http`` with ``logging_enable``). Together they cost
    about a fifth of a batch's client CPU per request (bench/bench_fanout.py, py-spy).
    """
    from azure.core.pipeline import policies as core
    from azure.mgmt.core.policies import (
        AsyncARMAutoResourceProviderRegistrationPolicy,
        AsyncARMChallengeAuthenticationPolicy,
    )

    policies: list[Any] = [
        HeaderStampPolicy({"User-Agent": _user_agent()}),
        AsyncARMAutoResourceProviderRegistrationPolicy(),
    ]
    if settings.logging_enable:
        from flexvmss._pipeline import RedactingTracePolicy

        policies.append(RedactingTracePolicy())
    policies.append(AsyncARMChallengeAuthenticationPolicy(credential, settings.azure_cloud.credential_scope))
    if _tracing_on():
        policies.append(core.DistributedTracingPolicy())
    return policies


async def send_through(
    client: Any, method: str, url: str, *, json: Any = None, ok: Collection[int] | None = None
) -> RawResponse:
    """:meth:`ArmClients.request` through ``client``'s own pipeline (an azure-mgmt async
    client's ``send_request``): for clients the caller built, whose credential and endpoint
    flexvmss does not hold. Sent as a stream, so the body is decoded once (with
    ``stream=False`` azure-core's ContentDecodePolicy decodes every JSON answer itself)."""
    from azure.core.rest import HttpRequest

    response = await client.send_request(HttpRequest(method, url, json=json), stream=True)
    try:
        await response.read()
    finally:
        await response.close()
    return _answer(response, ok)


def _answer(
    response: Any, ok: Collection[int] | None, headers: Mapping[str, str] | None = None
) -> RawResponse:
    """A read azure-core response as a :class:`RawResponse`: raised as its SDK call would raise
    it when ``ok`` does not hold its status. ``headers``: its headers already lowered."""
    if ok is not None and response.status_code not in ok:
        _raise_for(response)
    data = response.content
    body: Any = None
    if data:
        try:
            body = json_loads(data)
        except ValueError:
            body = None
    if headers is None:
        headers = lower_headers(response.headers)
    return RawResponse(status=response.status_code, headers=headers, json=body)


def _raise_for(response: Any) -> None:
    """Raise azure-core's error for an answer with a status its caller did not expect, mapped
    as azure-mgmt's generated operations map it (see :meth:`ArmClients.request`)."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        ResourceNotModifiedError,
        map_error,
    )
    from azure.mgmt.core.exceptions import ARMErrorFormat

    error_map = {
        401: ClientAuthenticationError,
        404: ResourceNotFoundError,
        409: ResourceExistsError,
        304: ResourceNotModifiedError,
    }
    map_error(status_code=response.status_code, response=response, error_map=error_map)
    raise HttpResponseError(response=response, error_format=ARMErrorFormat)


def _azure_policies(credential: Any, settings: ArmSettings) -> list[Any]:
    """The azure-core policies behind flexvmss's own (which every client puts first): the list
    azure-mgmt's generated clients build by default (``_client.py``: request id, headers, user
    agent, proxy, content decoding, provider registration, redirect, retry, ARM challenge
    authentication, custom hook, logging, tracing, header cleanup, HTTP logging), with three
    changes that keep per-request work to what the request needs:

    * the User-Agent is composed once (``AZURE_HTTP_USER_AGENT`` read now), not by a lookup in
      ``os.environ`` on every request;
    * azure-core's tracing policy is there only when tracing is on when the clients are built
      (``azure.core.settings``): off, it still read two settings from the environment per
      request — about a tenth of a 1,000-VM batch's client CPU (bench/bench_fanout.py, py-spy);
    * azure-core's retry policy is left out: flexvmss configures it with no retries
      (TransientRetryPolicy retries), and it re-derived its settings on every request;
      the redacting trace (``logging_enable=True``) takes its place, where azure-core puts
      per-retry policies.
    """
    from azure.core.pipeline import policies as core
    from azure.mgmt.core.policies import (
        AsyncARMAutoResourceProviderRegistrationPolicy,
        AsyncARMChallengeAuthenticationPolicy,
    )

    policies: list[Any] = [
        core.RequestIdPolicy(),
        core.HeadersPolicy(),
        core.UserAgentPolicy(base_user_agent=_user_agent(), user_agent_use_env=False),
        core.ProxyPolicy(),
        core.ContentDecodePolicy(),
        AsyncARMAutoResourceProviderRegistrationPolicy(),
        core.AsyncRedirectPolicy(),
    ]
    if settings.logging_enable:
        from flexvmss._pipeline import RedactingTracePolicy

        policies.append(RedactingTracePolicy())
    policies += [
        AsyncARMChallengeAuthenticationPolicy(credential, settings.azure_cloud.credential_scope),
        core.CustomHookPolicy(),
    ]
    if _tracing_on():
        policies.append(core.DistributedTracingPolicy())
    policies += [core.SensitiveHeaderCleanupPolicy(), core.HttpLoggingPolicy()]
    return policies


#: The azure-mgmt async client class of each :class:`ArmClients` property: (module, class).
_CLIENT_CLASSES: dict[str, tuple[str, str]] = {
    "compute": ("azure.mgmt.compute.aio", "ComputeManagementClient"),
    "network": ("azure.mgmt.network.aio", "NetworkManagementClient"),
    "resource": ("azure.mgmt.resource.resources.aio", "ResourceManagementClient"),
    "compute_schedule": ("azure.mgmt.computeschedule.aio", "ComputeScheduleMgmtClient"),
}

_TRANSPORT_CLASS: Any = None


#: Environment variables aiohttp's ``trust_env`` reads (its helpers ``get_env_proxy_for_url``
#: and ``netrc_from_env``, aiohttp 3.14).
_HTTP_ENV = ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy", "no_proxy", "netrc")


def _env_configures_http() -> bool:
    """Whether the environment configures aiohttp (a proxy, or a netrc file): only then is the
    session built with ``trust_env``. With ``trust_env`` aiohttp looks the proxy variables and
    the netrc file up again on every request, in a worker thread (``ClientSession._request``,
    aiohttp 3.14): with nothing to find, two thread hops per request for nothing."""
    import os

    keys = {key.lower() for key in os.environ}
    if keys.intersection(_HTTP_ENV):
        return True
    return os.path.exists(os.path.expanduser("~/.netrc")) or os.path.exists(os.path.expanduser("~/_netrc"))


def _transport_class() -> Any:
    """azure-core's AioHttpTransport with two changes, defined on first use (azure-core's
    aiohttp transport is imported then).

    * **One SSL context per ArmClients** for a CA-file ``connection_verify``, instead of one
      per request. azure-core creates a new ``ssl.SSLContext`` for every request when
      ``connection_verify`` is a path (the emulator's CA), and aiohttp pools connections per
      context, so no connection was ever reused: a TLS handshake and a CA load per request.
      With one context the shared session keeps its connections alive.
    * **Waits through the runtime's sleep.** azure-core's async pollers wait between polls with
      ``await transport.sleep(delay)`` (``AsyncLROBasePolling``), and so does its retry policy;
      overriding the transport's ``sleep`` is azure-core's own seam for that, so a test's
      virtual time reaches those waits without touching azure-core.
    """
    global _TRANSPORT_CLASS
    if _TRANSPORT_CLASS is None:
        from azure.core.pipeline.transport import AioHttpTransport

        class FlexTransport(AioHttpTransport):  # type: ignore[misc]
            def __init__(self, *, sleep: Sleep, ssl_contexts: dict[Any, Any], **kwargs: Any) -> None:
                super().__init__(**kwargs)
                self._runtime_sleep = sleep
                self._ssl_contexts = ssl_contexts

            async def sleep(self, duration: float) -> None:
                await self._runtime_sleep(duration)

            def _build_ssl_config(self, cert: Any, verify: Any) -> Any:
                if not cert and verify in (True, False):
                    return super()._build_ssl_config(cert, verify)
                key = (tuple(cert) if isinstance(cert, (list, tuple)) else cert, verify)
                context = self._ssl_contexts.get(key)
                if context is None:
                    context = self._ssl_contexts[key] = super()._build_ssl_config(cert, verify)
                return context

        _TRANSPORT_CLASS = FlexTransport
    return _TRANSPORT_CLASS


def vms_path(subscription_id: str, resource_group: str, vm: str | None = None) -> str:
    """The path of a resource group's VM collection, or of one VM in it, as azure-mgmt-compute
    builds it (every name URL-quoted): the base of the raw requests flexvmss builds itself."""
    path = (
        f"/subscriptions/{quote(subscription_id, safe='')}/resourceGroups/{quote(resource_group, safe='')}"
        "/providers/Microsoft.Compute/virtualMachines"
    )
    return path if vm is None else f"{path}/{quote(vm, safe='')}"


def compute_api_version(clients: Any) -> str:
    """The api-version of the Compute requests flexvmss builds itself, as ``clients`` set it
    (:attr:`ArmSettings.compute_api_version`); :data:`COMPUTE_API_VERSION` for clients that
    do not say (a caller's own ArmClients-shaped object)."""
    return str(getattr(clients, "compute_api_version", COMPUTE_API_VERSION))


def build_clients(settings: ArmSettings) -> ArmClients:
    """Clients for ``settings``; nothing is imported or connected until one is used. An
    endpoint they could never reach (an ``http://`` base URL, a missing or unreadable CA file,
    an unknown cloud) is an :class:`~flexvmss.InvalidInputError` here, before any request."""
    check_connection(settings.base_url, settings.connection_verify)
    resolve_cloud(settings.cloud, settings.base_url)
    return ArmClients(settings)
