"""The client factory: lazy imports, credential handling, the policy order that makes a 429 be
handled once, raw requests, request counting. Stock azure-mgmt clients on a scripted transport."""

from __future__ import annotations

import subprocess
import sys

import pytest
from _http_fakes import FakeClock, ScriptedTransport
from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import AsyncRetryPolicy

import flexvmss
from flexvmss._arm import (
    AZURE_CHINA_CLOUD,
    AZURE_PUBLIC_CLOUD,
    AZURE_US_GOVERNMENT,
    CLOUDS,
    COMPUTE_API_VERSION,
    ArmSettings,
    Cloud,
    RawResponse,
    _async_credential,
    build_clients,
    check_connection,
    credential_scopes_for,
    resolve_cloud,
)
from flexvmss._errors import CredentialError, InvalidInputError, ThrottledError
from flexvmss._pipeline import RequestCounterPolicy, ThrottleConfig, ThrottlePolicy, TransientRetryPolicy
from flexvmss._progress import RequestTally, current_tally
from flexvmss._runtime import DEFAULT_RUNTIME, Runtime

RG_PATH = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines"


@pytest.fixture
def clock():
    """Time for the clients, handed over in their settings' runtime (nothing global is replaced)."""
    return FakeClock()


class AsyncCredential:
    def __init__(self) -> None:
        self.client_secret = "s3cr3t-value"
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken("token-abc", 4_000_000_000)


class SyncCredential:
    def __init__(self) -> None:
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.calls += 1
        return AccessToken("sync-token", 4_000_000_000)


def settings(
    sub: str,
    transport: ScriptedTransport | None,
    credential: object = None,
    clock: FakeClock | None = None,
    **kwargs: object,
) -> ArmSettings:
    return ArmSettings(
        sub,
        base_url="https://arm.test",
        credential=credential or AsyncCredential(),
        transport=transport,
        runtime=Runtime(clock=clock, sleep=clock.sleep) if clock is not None else DEFAULT_RUNTIME,
        **kwargs,
    )


def test_settings_repr_never_shows_the_credential(tmp_path):
    ca = tmp_path / "ca.pem"
    text = repr(ArmSettings("sub-1", credential=AsyncCredential(), connection_verify=str(ca)))
    assert "s3cr3t" not in text
    assert "AsyncCredential" in text and "sub-1" in text and "management.azure.com" in text


def test_token_scope_follows_the_cloud_and_keeps_arm_for_the_emulator():
    assert credential_scopes_for(None) == ["https://management.azure.com/.default"]
    assert credential_scopes_for("https://management.chinacloudapi.cn") == [
        "https://management.chinacloudapi.cn/.default"
    ]
    assert credential_scopes_for("https://127.0.0.1:8443") == ["https://management.azure.com/.default"]


@pytest.mark.parametrize(
    ("cloud", "base_url", "name", "endpoint", "scope", "authority"),
    [
        (None, None, "AzurePublicCloud", "https://management.azure.com",
         "https://management.azure.com/.default", "login.microsoftonline.com"),
        ("AzureChinaCloud", None, "AzureChinaCloud", "https://management.chinacloudapi.cn",
         "https://management.chinacloudapi.cn/.default", "login.chinacloudapi.cn"),
        ("AZURE_US_GOVERNMENT", None, "AzureUSGovernment", "https://management.usgovcloudapi.net",
         "https://management.core.usgovcloudapi.net/.default", "login.microsoftonline.us"),
        ("azureusgovernment", None, "AzureUSGovernment", "https://management.usgovcloudapi.net",
         "https://management.core.usgovcloudapi.net/.default", "login.microsoftonline.us"),
        # a base URL on a sovereign cloud's host names that cloud
        (None, "https://management.chinacloudapi.cn/", "AzureChinaCloud", "https://management.chinacloudapi.cn",
         "https://management.chinacloudapi.cn/.default", "login.chinacloudapi.cn"),
        ("https://management.usgovcloudapi.net", None, "AzureUSGovernment", "https://management.usgovcloudapi.net",
         "https://management.core.usgovcloudapi.net/.default", "login.microsoftonline.us"),
        # a private endpoint in front of a named cloud: its URL, the cloud's audience and authority
        ("AzureChinaCloud", "https://arm-proxy.example.cn", "AzureChinaCloud", "https://arm-proxy.example.cn",
         "https://management.chinacloudapi.cn/.default", "login.chinacloudapi.cn"),
        # the emulator: any other endpoint keeps the public cloud's scope
        (None, "https://127.0.0.1:8443", "AzurePublicCloud", "https://127.0.0.1:8443",
         "https://management.azure.com/.default", "login.microsoftonline.com"),
    ],
)  # fmt: skip
def test_the_cloud_is_named_once_and_gives_endpoint_scope_and_authority(
    cloud, base_url, name, endpoint, scope, authority
):
    found, url = resolve_cloud(cloud, base_url)
    assert (found.name, url, found.credential_scope, found.authority_host) == (
        name,
        endpoint,
        scope,
        authority,
    )
    settings_ = ArmSettings("sub", base_url=base_url, cloud=cloud)
    assert settings_.endpoint == endpoint and settings_.azure_cloud is found
    assert credential_scopes_for(base_url, cloud) == [scope]


def test_a_custom_cloud_and_bad_cloud_names():
    stack = Cloud(
        "AzureStackHub",
        "https://management.local.azurestack.external",
        "https://management.adfs.azurestack.local/x/.default",
        "adfs.local.azurestack.external",
    )
    assert resolve_cloud(stack) == (stack, "https://management.local.azurestack.external")
    assert (
        CLOUDS["AzureChinaCloud"] is AZURE_CHINA_CLOUD
        and AZURE_US_GOVERNMENT.host == "management.usgovcloudapi.net"
    )
    with pytest.raises(InvalidInputError) as bad:
        resolve_cloud("AzureGermanCloud")
    assert bad.value.field == "cloud" and "AzureChinaCloud" in bad.value.fix
    with pytest.raises(InvalidInputError):
        resolve_cloud("https://management.chinacloudapi.cn", "https://management.azure.com")
    with pytest.raises(InvalidInputError):
        build_clients(ArmSettings("sub", cloud="Mars"))


def test_http_base_urls_and_unusable_ca_files_are_refused_before_any_request(tmp_path):
    with pytest.raises(InvalidInputError) as http:
        build_clients(ArmSettings("sub", base_url="http://127.0.0.1:8443"))
    assert http.value.field == "base_url" and "https://" in http.value.fix
    missing = tmp_path / "nope.pem"
    with pytest.raises(InvalidInputError) as ca:
        build_clients(ArmSettings("sub", base_url="https://127.0.0.1:8443", connection_verify=str(missing)))
    assert ca.value.field == "connection_verify" and "does not exist" in str(ca.value)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(InvalidInputError) as bad:
        check_connection("https://127.0.0.1:8443", str(garbage))
    assert "cannot be used" in str(bad.value) and "PEM" in bad.value.fix
    check_connection("https://127.0.0.1:8443", True)  # the system's CAs: nothing to check
    check_connection(None, None)


def test_the_default_credential_signs_in_at_the_clouds_authority(monkeypatch):
    import azure.identity.aio

    made: list[dict[str, object]] = []

    class FakeDefault:
        def __init__(self, **kwargs: object) -> None:
            made.append(kwargs)

        async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
            return AccessToken("t", 4_000_000_000)

        async def close(self) -> None:
            return None

    monkeypatch.setattr(azure.identity.aio, "DefaultAzureCredential", FakeDefault)
    _async_credential(None, AZURE_CHINA_CLOUD)
    _async_credential(None, AZURE_US_GOVERNMENT)
    _async_credential(None, AZURE_PUBLIC_CLOUD)  # left to azure-identity (reads AZURE_AUTHORITY_HOST)
    assert made == [{"authority": "login.chinacloudapi.cn"}, {"authority": "login.microsoftonline.us"}, {}]


class NoSignIn:
    """A credential chain with nowhere to sign in (DefaultAzureCredential on a bare machine)."""

    def __init__(self) -> None:
        self.calls = 0

    async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        from azure.core.exceptions import ClientAuthenticationError

        self.calls += 1
        raise ClientAuthenticationError(
            message="DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
            "Attempted credentials:\n\tAzureCliCredential: Azure CLI not found on path"
        )


@pytest.mark.parametrize(
    ("cloud", "says"),
    [(None, "az login"), ("AzureChinaCloud", "az cloud set --name AzureChinaCloud")],
)
async def test_a_credential_that_cannot_sign_in_is_a_credential_error_at_once(clock, cloud, says):
    transport = ScriptedTransport([(200, {}, {"value": []})])
    credential = NoSignIn()
    clients = build_clients(
        settings("sub-nosignin", transport, credential=credential, clock=clock, cloud=cloud)
    )
    try:
        with pytest.raises(CredentialError) as caught:
            await clients.request("GET", RG_PATH.format(sub="sub-nosignin"))
    finally:
        await clients.close()
    error = caught.value
    assert "Azure CLI not found on path" in str(error) and says in error.remedy
    assert error.operation.startswith("get an access token for https://management.")
    assert credential.calls == 1 and transport.sent == [] and clock.sleeps == []  # not retried, nothing sent


async def test_the_token_scope_follows_the_named_cloud(clock):
    transport = ScriptedTransport([(200, {}, {"value": []})])
    credential = AsyncCredential()
    clients = build_clients(
        ArmSettings("sub-gov", base_url="https://arm.test", cloud="AzureUSGovernment", credential=credential,
                    transport=transport, runtime=Runtime(clock=clock, sleep=clock.sleep))
    )  # fmt: skip
    try:
        await clients.request("GET", RG_PATH.format(sub="sub-gov"))
    finally:
        await clients.close()
    assert credential.scopes == [("https://management.core.usgovcloudapi.net/.default",)]


def test_the_compute_api_version_of_raw_requests_can_be_overridden():
    assert build_clients(ArmSettings("s")).compute_api_version == COMPUTE_API_VERSION
    assert (
        build_clients(ArmSettings("s", compute_api_version="2024-07-01")).compute_api_version == "2024-07-01"
    )


def test_importing_the_factory_imports_no_azure_mgmt_package():
    code = (
        "import sys, flexvmss._arm, flexvmss._fanout; "
        "print(any(m.startswith('azure.mgmt.compute') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_policies_sit_in_front_and_azure_core_retry_never_retries():
    clients = build_clients(settings("sub-order", ScriptedTransport()))
    try:
        # azure-core wraps its sans-I/O policies in a runner that holds them as ``_policy``
        policies = [
            type(getattr(p, "_policy", p)).__name__ for p in clients.compute._client._pipeline._impl_policies
        ]
        order = [
            policies.index(name)
            for name in (
                TransientRetryPolicy.__name__,
                ThrottlePolicy.__name__,
                RequestCounterPolicy.__name__,
                "AsyncARMChallengeAuthenticationPolicy",
            )
        ]
        assert order == sorted(order)
        # azure-core's retry policy is not in the pipeline at all: flexvmss's retries are the only ones
        assert not any(
            isinstance(p, AsyncRetryPolicy) for p in clients.compute._client._pipeline._impl_policies
        )
        # tracing is off in tests: azure-core's tracing policy (an environment read per request) is left out
        assert "DistributedTracingPolicy" not in policies
        assert "UserAgentPolicy" in policies and "RequestIdPolicy" in policies
        # one ThrottlePolicy instance per client, one state for the subscription
        throttles = [
            p
            for client in (clients.compute, clients.network, clients.resource)
            for p in client._client._pipeline._impl_policies
            if isinstance(p, ThrottlePolicy)
        ]
        assert len({id(p) for p in throttles}) == 3
        assert {id(p.state) for p in throttles} == {id(clients.throttle)}
    finally:
        await clients.close()


async def test_a_429_is_slept_on_once_by_flexvmss_and_never_by_azure_core(clock):
    sub = "sub-429-once"
    transport = ScriptedTransport(
        [(429, {"Retry-After": "4"}, {"error": {"code": "TooManyRequests"}}), (200, {}, {"value": []})]
    )
    clients = build_clients(settings(sub, transport, clock=clock))
    try:
        response = await clients.request("GET", RG_PATH.format(sub=sub) + "?api-version=2026-04-01")
    finally:
        await clients.close()
    assert response.status == 200
    assert len(transport.sent) == 2
    assert transport.transport_sleeps == []  # azure-core's RetryPolicy did not sleep
    assert 4.0 <= sum(clock.sleeps) < 4.1


async def test_a_throttled_list_raises_instead_of_reading_as_empty(clock):
    sub = "sub-list-fail-fast"
    transport = ScriptedTransport(
        [(429, {"Retry-After": "30"}, {"error": {"code": "TooManyRequests", "message": "x"}})]
    )
    clients = build_clients(settings(sub, transport, clock=clock, throttle=ThrottleConfig(mode="fail_fast")))
    try:
        with pytest.raises(ThrottledError) as caught:
            [vm async for vm in clients.compute.virtual_machines.list("rg")]
    finally:
        await clients.close()
    assert caught.value.scope == "read"
    assert caught.value.retry_after == 30.0


async def test_raw_requests_go_through_the_pipeline_and_are_counted_by_class(clock):
    sub = "sub-raw"
    replies = [
        (200, {"x-ms-correlation-request-id": "c1"}, {"status": "InProgress"}),
        (503, {}, None),
        (200, {}, {"status": "Succeeded"}),
    ]
    transport = ScriptedTransport(replies)
    credential = AsyncCredential()
    clients = build_clients(settings(sub, transport, credential=credential, clock=clock))
    tally = RequestTally()
    token = current_tally.set(tally)
    try:
        url = f"https://arm.test/subscriptions/{sub}/providers/Microsoft.Compute/locations/eastus/operations/op1"
        first = await clients.request("GET", url)
        second = await clients.request("GET", url)
    finally:
        current_tally.reset(token)
        await clients.close()
    assert first == RawResponse(200, {"x-ms-correlation-request-id": "c1"}, {"status": "InProgress"})
    assert second.json == {"status": "Succeeded"}
    assert tally.by_class()["poll"] == 3  # the 503 retry is a request too
    assert transport.sent[0].headers["Authorization"] == "Bearer token-abc"
    assert credential.scopes[0] == ("https://management.azure.com/.default",)


async def test_a_sync_credential_is_adapted(clock):
    sub = "sub-sync-cred"
    transport = ScriptedTransport([(200, {}, {"value": []})])
    credential = SyncCredential()
    clients = build_clients(settings(sub, transport, credential=credential, clock=clock))
    try:
        await clients.request("GET", RG_PATH.format(sub=sub))
    finally:
        await clients.close()
    assert credential.calls == 1
    assert transport.sent[0].headers["Authorization"] == "Bearer sync-token"


async def test_closed_clients_refuse_to_build_new_ones():
    clients = build_clients(settings("sub-closed", ScriptedTransport()))
    await clients.close()
    with pytest.raises(RuntimeError):
        clients.compute  # noqa: B018


async def test_the_clients_wait_and_measure_on_their_runtime(clock):
    """The throttle state reads the runtime's clock, and the transport flexvmss builds hands
    azure-core's own waits (between the polls of a long-running operation) to its sleep."""
    clients = build_clients(settings("sub-runtime", None, clock=clock))
    try:
        assert clients.throttle.now() == clock.now
        transport = clients._transport()
        await transport.sleep(7.5)  # what AsyncLROBasePolling does between two polls
        assert clock.sleeps == [7.5]
    finally:
        await clients.close()


async def test_clients_on_another_clock_do_not_share_its_throttle_gates(clock):
    real = build_clients(settings("sub-two-clocks", ScriptedTransport()))
    virtual = build_clients(settings("sub-two-clocks", ScriptedTransport(), clock=clock))
    again = build_clients(settings("sub-two-clocks", ScriptedTransport(), clock=clock))
    try:
        assert virtual.throttle is again.throttle
        assert real.throttle is not virtual.throttle
    finally:
        for clients in (real, virtual, again):
            await clients.close()


async def test_a_run_command_is_sent_once_while_idempotent_requests_are_retried(clock):
    """A dropped or 5xx runCommand may already have run: the pipeline never sends it again.
    An idempotent POST (deallocate) after the same 503 is sent again."""
    from azure.core.exceptions import ServiceResponseError

    from flexvmss._pipeline._retry import is_idempotent

    base = "https://arm.test/subscriptions/sub-once/resourceGroups/rg/providers/Microsoft.Compute" + (
        "/virtualMachines/vm1"
    )
    assert not is_idempotent("POST", base + "/runCommand?api-version=2026-04-01")
    assert is_idempotent("POST", base + "/deallocate?api-version=2026-04-01")
    assert is_idempotent("GET", base + "/runCommand")
    transport = ScriptedTransport(
        [(503, {}, None), ServiceResponseError("dropped after sending"), (503, {}, None), (202, {}, None)]
    )
    clients = build_clients(settings("sub-once", transport, clock=clock))
    try:
        first = await clients.request(
            "POST", base + "/runCommand?api-version=2026-04-01", json={"commandId": "x"}
        )
        with pytest.raises(ServiceResponseError):
            await clients.request(
                "POST", base + "/runCommand?api-version=2026-04-01", json={"commandId": "x"}
            )
        again = await clients.request("POST", base + "/deallocate?api-version=2026-04-01")
    finally:
        await clients.close()
    assert first.status == 503 and again.status == 202
    assert [r.url.split("?")[0].rsplit("/", 1)[-1] for r in transport.sent] == [
        "runCommand", "runCommand", "deallocate", "deallocate"
    ]  # fmt: skip


async def test_every_request_names_flexvmss_and_the_environment_user_agent_and_one_request_id(monkeypatch):
    # AZURE_HTTP_USER_AGENT is azure-core's documented way to tag a process's requests; it is read
    # when the clients are built (not per request)
    monkeypatch.setenv("AZURE_HTTP_USER_AGENT", "nightly-deallocate/7")
    sub = "sub-user-agent"
    transport = ScriptedTransport([(503, {}, {}), (200, {}, {"value": []})])
    clients = build_clients(settings(sub, transport))
    try:
        await clients.request("GET", RG_PATH.format(sub=sub) + "?api-version=2026-04-01")
    finally:
        await clients.close()
    first, retried = transport.sent
    agent = first.headers["User-Agent"]
    assert agent.startswith(f"azsdk-python-flexvmss/{flexvmss.__version__} ")
    assert agent.endswith(" nightly-deallocate/7")
    # one client request id for the call, kept by its retry (support correlates by it)
    assert first.headers["x-ms-client-request-id"] == retried.headers["x-ms-client-request-id"]
    assert len(first.headers["x-ms-client-request-id"]) == 36


async def test_azure_core_tracing_is_in_the_pipeline_when_tracing_is_on(monkeypatch):
    monkeypatch.setenv("AZURE_TRACING_ENABLED", "true")  # azure-core settings: documented switch
    clients = build_clients(settings("sub-tracing", ScriptedTransport()))
    try:
        names = [
            type(getattr(p, "_policy", p)).__name__ for p in clients.compute._client._pipeline._impl_policies
        ]
        lean = [type(getattr(p, "_policy", p)).__name__ for p in clients._lean()._impl_policies]
    finally:
        await clients.close()
    assert "DistributedTracingPolicy" in names
    assert "DistributedTracingPolicy" in lean


async def test_flexvmss_requests_take_a_lean_pipeline_with_the_same_guards():
    """The requests flexvmss builds itself (a VM's action, an operation status, a list page)
    skip the azure-core policies they do not need, never the retries, throttling, counting,
    provider registration or authentication every SDK call has."""
    clients = build_clients(settings("sub-lean", ScriptedTransport(), logging_enable=True))
    try:
        lean = [type(getattr(p, "_policy", p)).__name__ for p in clients._lean()._impl_policies]
    finally:
        await clients.close()
    assert lean[:3] == [TransientRetryPolicy.__name__, ThrottlePolicy.__name__, RequestCounterPolicy.__name__]
    for kept in (
        "HeaderStampPolicy",
        "AsyncARMAutoResourceProviderRegistrationPolicy",
        "RedactingTracePolicy",
        "AsyncARMChallengeAuthenticationPolicy",
    ):
        assert kept in lean
    for dropped in ("ContentDecodePolicy", "AsyncRedirectPolicy", "HttpLoggingPolicy", "RequestIdPolicy"):
        assert dropped not in lean


@pytest.mark.parametrize(
    ("status", "raised"),
    [(404, "ResourceNotFoundError"), (409, "ResourceExistsError"), (400, "HttpResponseError")],
)
async def test_a_request_that_replaces_an_sdk_call_fails_as_that_call_would(status, raised, clock):
    sub = "sub-ok"
    body = {"error": {"code": "OperationNotAllowed", "message": "not now"}}
    transport = ScriptedTransport([(status, {"x-ms-request-id": "r1"}, body)])
    clients = build_clients(settings(sub, transport, clock=clock))
    try:
        with pytest.raises(Exception) as caught:
            await clients.request(
                "POST", RG_PATH.format(sub=sub) + "/web-1/deallocate?api-version=x", ok=(200, 202)
            )
    finally:
        await clients.close()
    assert type(caught.value).__name__ == raised
    # the flexvmss error the fan-out makes of it keeps Azure's code, as for the SDK's own call
    from flexvmss._errors import from_azure_error

    assert from_azure_error(caught.value, operation="deallocate vm web-1").code == "OperationNotAllowed"
    assert transport.sent[0].headers["Authorization"] == "Bearer token-abc"


async def test_every_raw_vm_read_takes_the_overridden_compute_api_version():
    """A sovereign cloud's api-version override reaches the single-VM read too (it had used the
    module's constant), not only the list."""
    from flexvmss._fanout import ArmObserver

    class Clients:
        compute_api_version = "2024-03-01"
        settings = ArmSettings("sub-1")

        def __init__(self) -> None:
            self.urls: list[str] = []

        async def request(self, method: str, url: str, **kwargs: object) -> RawResponse:
            self.urls.append(url)
            return RawResponse(404, {}, None)

    clients = Clients()
    observer = ArmObserver(clients)  # type: ignore[arg-type]
    assert await observer.read_vm("rg-1", "web_0a1b") is None
    assert clients.urls == [
        "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/web_0a1b"
        "?api-version=2024-03-01&$expand=instanceView"
    ]
