"""Where a cassette-backed test sends its requests: a :class:`Target`.

``replay``
    the cassette answers. The endpoint is ``https://management.azure.com``, the
    subscription and tenant are the zero GUID, the credential is fake and the network
    is blocked.
``emulator``
    a fresh in-process :class:`flexvmss.emulator.Emulator` answers and the cassette
    records. What the emulator says is normalised as it is recorded (its
    ``https://127.0.0.1:<port>`` becomes ``https://management.azure.com``, its
    subscription and tenant ids the zero GUID), so the cassette replays exactly as
    a ``replay`` target asks.
``azure``
    real Azure answers (``AZURE_SUBSCRIPTION_ID`` and ``DefaultAzureCredential``) and
    the cassette records, scrubbed.

Every target carries the :class:`~flexvmss._runtime.Runtime` flexvmss should run on under a
cassette (:attr:`Target.runtime`, handed over by :meth:`Target.scale_set_kwargs`): fan-outs
observe each operation through its own status URL (``observe="poll"``: a status URL's answers
replay the same whatever the timing, where a shared list's depend on when each page was read),
the SKU catalog cache is the test's own (so every cassette holds its own catalog read and does
not depend on which test ran first), and on replay time is a :class:`VirtualClock`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from flexvmss._runtime import Runtime
from flexvmss._skus import SkuCache

from ._scrub import ZERO_GUID, Scrubber, ScrubRule
from ._time import VirtualClock

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._arm import ArmSettings

__all__ = [
    "ARM_ENDPOINT",
    "FakeAsyncCredential",
    "FakeCredential",
    "Target",
    "TargetMode",
]

ARM_ENDPOINT = "https://management.azure.com"
TargetMode = Literal["replay", "emulator", "azure"]

_FAKE_TOKEN = "fake-token-for-replay"  # never sent anywhere: replay is offline


def cassette_runtime(clock: VirtualClock | None = None) -> Runtime:
    """The runtime of flexvmss under a cassette: observation through each operation's status
    URL, a fresh SKU cache, and ``clock``'s time (real time when None)."""
    if clock is None:
        return Runtime(observe="poll", sku_cache=SkuCache())
    return clock.runtime(observe="poll", sku_cache=SkuCache())



class FakeCredential:
    """A sync ``TokenCredential`` for replay: hands out a token nobody checks."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(_FAKE_TOKEN, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(_FAKE_TOKEN, int(time.time()) + 3600)

    def close(self) -> None:
        return None

    def __enter__(self) -> FakeCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __repr__(self) -> str:
        return "FakeCredential()"


class FakeAsyncCredential:
    """The ``AsyncTokenCredential`` twin of :class:`FakeCredential`."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return FakeCredential().get_token(*scopes)

    async def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        return FakeCredential().get_token_info(*scopes)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> FakeAsyncCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def __repr__(self) -> str:
        return "FakeAsyncCredential()"


@dataclass(frozen=True)
class Target:
    """What a test connects to; get one from the ``flexvmss_target`` fixture.

    Build clients with :meth:`client_kwargs` (stock azure-mgmt clients) or
    :meth:`scale_set_kwargs` (:class:`flexvmss.FlexScaleSet`)::

        ComputeManagementClient(target.async_credential, target.subscription_id,
                                **target.client_kwargs())

    ``runtime`` is what flexvmss runs on under the cassette (see the module docstring; one
    per target, so every scale set of a test shares its SKU cache and its clock);
    ``virtual_clock`` is the replay target's clock (None for a live target, which runs in
    real time).
    """

    mode: TargetMode
    base_url: str
    subscription_id: str
    tenant_id: str
    credential: Any = field(repr=False)
    async_credential: Any = field(repr=False)
    connection_verify: str | bool | None = None
    emulator: Any = field(default=None, repr=False)
    polling_interval: float | None = 0.0
    virtual_clock: VirtualClock | None = field(default=None, repr=False)
    runtime: Runtime = field(default_factory=cassette_runtime, repr=False)

    @property
    def recording(self) -> bool:
        """Whether requests go to a live endpoint (and are recorded)."""
        return self.mode != "replay"

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an azure-mgmt client: ``base_url``, TLS, poll interval.

        Replay and the emulator poll with no interval of their own (the emulator sends
        ``retry-after-ms`` at its time scale); real Azure keeps the SDK's default.
        """
        kwargs: dict[str, Any] = {"base_url": self.base_url}
        if self.connection_verify is not None:
            kwargs["connection_verify"] = self.connection_verify
        if self.polling_interval is not None:
            kwargs["polling_interval"] = self.polling_interval
        return kwargs

    def scale_set_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`flexvmss.FlexScaleSet` / ``flexvmss.aio.FlexScaleSet``:
        the credential, the endpoint and its TLS, and :attr:`runtime`."""
        kwargs: dict[str, Any] = {"credential": self.async_credential, "base_url": self.base_url}
        if self.connection_verify is not None:
            kwargs["connection_verify"] = self.connection_verify
        kwargs["runtime"] = self.runtime
        return kwargs

    def arm_settings(self, **overrides: Any) -> ArmSettings:
        """:class:`flexvmss._arm.ArmSettings` for clients of flexvmss's own stack on this
        target, on :attr:`runtime` (``overrides`` replace any field)."""
        from flexvmss._arm import ArmSettings

        fields: dict[str, Any] = {
            "base_url": self.base_url,
            "credential": self.async_credential,
            "connection_verify": self.connection_verify,
            "runtime": self.runtime,
        }
        if self.polling_interval is not None:
            fields["polling_interval"] = self.polling_interval
        fields.update(overrides)
        return ArmSettings(self.subscription_id, **fields)

    def normaliser(self) -> Scrubber:
        """Rules that turn this target's endpoint and ids into the replay target's."""
        rules = []
        if self.base_url.rstrip("/") != ARM_ENDPOINT:
            rules.append(ScrubRule.literal("endpoint", self.base_url.rstrip("/"), ARM_ENDPOINT))
        for name, value in (("subscription", self.subscription_id), ("tenant", self.tenant_id)):
            if value and value != ZERO_GUID:
                rules.append(ScrubRule.literal(name, value, ZERO_GUID))
        return Scrubber(rules)

    # ------------------------------------------------------------------ constructors

    @classmethod
    def replay(cls) -> Target:
        """The cassette answers, offline, on a fresh :class:`VirtualClock`."""
        clock = VirtualClock()
        return cls(
            mode="replay",
            base_url=ARM_ENDPOINT,
            subscription_id=ZERO_GUID,
            tenant_id=ZERO_GUID,
            credential=FakeCredential(),
            async_credential=FakeAsyncCredential(),
            polling_interval=0.0,
            virtual_clock=clock,
            runtime=cassette_runtime(clock),
        )

    @classmethod
    def from_emulator(cls, emulator: Any) -> Target:
        """A target for a running :class:`flexvmss.emulator.Emulator`."""
        return cls(
            mode="emulator",
            base_url=str(emulator.base_url).rstrip("/"),
            subscription_id=str(emulator.subscription_id),
            tenant_id=str(getattr(emulator, "tenant_id", "") or ZERO_GUID),
            credential=emulator.credential,
            async_credential=emulator.async_credential,
            connection_verify=str(emulator.ca_file),
            emulator=emulator,
            polling_interval=0.0,
        )

    @classmethod
    def live(
        cls,
        subscription_id: str,
        *,
        base_url: str | None = None,
        credential: Any = None,
        connection_verify: str | bool | None = None,
    ) -> Target:
        """A target for the live endpoint a caller names: real Azure (``base_url`` None) or
        another Azure Resource Manager endpoint, such as a running ``flexvmss emulator serve``.

        ``credential`` is an async credential; without one, flexvmss's rule decides (the one
        :class:`flexvmss.FlexScaleSet` follows): a local endpoint gets its static token, any
        other ``DefaultAzureCredential`` (made here; the caller closes it). Nothing is read
        from the environment: the caller names the subscription and the endpoint. The sync
        :attr:`credential` is None: a live target of this kind serves async clients.
        """
        from flexvmss._scaleset._clients import is_local_endpoint, resolve_endpoint

        endpoint = resolve_endpoint(
            credential=credential, base_url=base_url, connection_verify=connection_verify, environ={}
        )
        async_credential = endpoint.credential
        if async_credential is None:
            from azure.identity.aio import DefaultAzureCredential

            async_credential = DefaultAzureCredential()
        return cls(
            mode="azure",
            base_url=(endpoint.base_url or ARM_ENDPOINT).rstrip("/"),
            subscription_id=subscription_id,
            tenant_id=ZERO_GUID,
            credential=None,
            async_credential=async_credential,
            connection_verify=endpoint.connection_verify,
            # a local endpoint (the emulator) sends poll hints at its own time scale; Azure
            # keeps the SDK's interval (and its Retry-After)
            polling_interval=0.0 if is_local_endpoint(endpoint.base_url) else None,
        )

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Target | None:
        """A target for real Azure, or ``None`` when ``AZURE_SUBSCRIPTION_ID`` is not set."""
        env = dict(os.environ if environ is None else environ)
        subscription = env.get("AZURE_SUBSCRIPTION_ID", "").strip()
        if not subscription:
            return None
        from azure.identity import DefaultAzureCredential
        from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential

        return cls(
            mode="azure",
            base_url=env.get("AZURE_RESOURCE_MANAGER_ENDPOINT", ARM_ENDPOINT).rstrip("/"),
            subscription_id=subscription,
            tenant_id=env.get("AZURE_TENANT_ID", "").strip() or ZERO_GUID,
            credential=DefaultAzureCredential(),
            async_credential=AsyncDefaultAzureCredential(),
            polling_interval=None,
        )
