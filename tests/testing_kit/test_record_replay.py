"""Recording through the kit (against a local HTTPS stub) and replaying offline.

The stub stands in for Azure: a real TLS server, stock azure-mgmt clients, real LRO
polling. Every test records with the kit, then replays with the network blocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import yaml
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.rest import HttpRequest
from azure.mgmt.compute import ComputeManagementClient as SyncCompute
from azure.mgmt.compute.aio import ComputeManagementClient
from kit_stub import JWT, PRIVATE_KEY, PUBLIC_KEY
from vcr.errors import CannotOverwriteExistingCassetteException

import flexvmss.aio
from flexvmss import SkuCache, _clock
from flexvmss.testing import (
    ZERO_GUID,
    NetworkBlockedError,
    Target,
    UnrecordedRequestError,
    VirtualClock,
    block_network,
    default_scrubber,
    instant_sleep,
    scan_path,
    use_cassette,
)


def live_scrubber(target: Target):
    return default_scrubber().with_rules(*target.normaliser().rules)


async def create_vmss(target: Target, name: str = "vmss1") -> str:
    async with ComputeManagementClient(
        target.async_credential, target.subscription_id, **target.client_kwargs()
    ) as c:
        poller = await c.virtual_machine_scale_sets.begin_create_or_update(
            "rg", name, {"location": "eastus", "properties": {"orchestrationMode": "Flexible"}}
        )
        result = await poller.result()
        return result.properties.provisioning_state


def interactions(path) -> list[dict]:
    return yaml.safe_load(path.read_text())["interactions"]


@pytest.fixture
def lro_cassette(tmp_path, stub_target):
    """An LRO recorded through the kit; the stub answers InProgress twice, then Succeeded."""
    path = tmp_path / "lro.yaml"
    with instant_sleep(), use_cassette(path, record_mode="all", scrubber=live_scrubber(stub_target)):
        assert asyncio.run(create_vmss(stub_target)) == "Succeeded"
    return path


# --------------------------------------------------------------------------- async / aiohttp


def test_an_aio_lro_records_normalised_and_scrubbed(lro_cassette, arm_stub):
    recorded = interactions(lro_cassette)
    assert [i["request"]["method"] for i in recorded] == ["PUT", "GET", "GET", "GET", "GET"]
    text = lro_cassette.read_text()
    assert arm_stub.base_url not in text and arm_stub.subscription_id not in text
    assert "https://management.azure.com/subscriptions/" + ZERO_GUID in text
    first = recorded[0]
    assert "Authorization" not in first["request"]["headers"]
    assert first["response"]["headers"]["Azure-AsyncOperation"][0].startswith(
        f"https://management.azure.com/subscriptions/{ZERO_GUID}/providers/Microsoft.Compute/"
    )
    assert not any("Retry-After" in i["response"]["headers"] for i in recorded)
    assert scan_path(lro_cassette) == ([], 1)


def test_an_aio_lro_replays_offline_without_sleeping(lro_cassette, monkeypatch):
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def spy(delay, *args, **kwargs):
        if delay > 0:
            slept.append(delay)
        return await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", spy)
    replay = Target.replay()
    # Real Azure's default poll interval: if anything but the kit decided the delay, it would show.
    kwargs = {**replay.client_kwargs(), "polling_interval": 30}
    with block_network(), use_cassette(lro_cassette) as cassette:

        async def run() -> str:
            async with ComputeManagementClient(
                replay.async_credential, replay.subscription_id, **kwargs
            ) as c:
                poller = await c.virtual_machine_scale_sets.begin_create_or_update(
                    "rg", "vmss1", {"location": "eastus", "properties": {"orchestrationMode": "Flexible"}}
                )  # the body recorded: a write request replays only with its recorded body
                return (await poller.result()).properties.provisioning_state

        assert asyncio.run(run()) == "Succeeded"
        assert cassette.all_played
    assert slept == []


def test_a_replay_that_polls_more_often_gets_the_last_answer_again(lro_cassette):
    poll_url = interactions(lro_cassette)[1]["request"]["uri"]
    with block_network(), use_cassette(lro_cassette) as cassette:
        statuses = [requests.get(poll_url, timeout=5).json()["status"] for _ in range(6)]
        assert statuses == ["InProgress", "InProgress", "Succeeded", "Succeeded", "Succeeded", "Succeeded"]
        assert cassette.play_count == 6


def test_a_replay_that_polls_less_often_is_fine(lro_cassette):
    poll_url = interactions(lro_cassette)[1]["request"]["uri"]
    with block_network(), use_cassette(lro_cassette):
        assert requests.get(poll_url, timeout=5).json()["status"] == "InProgress"


def test_a_get_the_recording_repeated_may_repeat_and_a_single_one_may_not(tmp_path, stub_target, arm_stub):
    path = tmp_path / "lists.yaml"
    base = f"{arm_stub.base_url}/subscriptions/{arm_stub.subscription_id}/resourceGroups/rg/providers/"
    listing = base + "Microsoft.Compute/virtualMachineScaleSets?api-version=2026-04-01"
    single = base + "Microsoft.Compute/virtualMachineScaleSets/one?api-version=2026-04-01"
    with use_cassette(path, record_mode="all", scrubber=live_scrubber(stub_target)):
        for url in (listing, listing, single):
            requests.get(url, verify=arm_stub.ca_file, timeout=5)
    listing_r, single_r = (stub_target.normaliser().scrub_url(u) for u in (listing, single))
    with pytest.raises(UnrecordedRequestError, match="1 request"), block_network(), use_cassette(path):
        assert [requests.get(listing_r, timeout=5).status_code for _ in range(4)] == [200] * 4
        requests.get(single_r, timeout=5)
        with pytest.raises(CannotOverwriteExistingCassetteException):
            requests.get(single_r, timeout=5)


def test_a_repeated_non_poll_request_is_still_an_error(lro_cassette):
    put_url = interactions(lro_cassette)[0]["request"]["uri"]
    with pytest.raises(UnrecordedRequestError, match="PUT "), block_network(), use_cassette(lro_cassette):
        requests.put(put_url, json={}, timeout=5)
        with pytest.raises(CannotOverwriteExistingCassetteException):
            requests.put(put_url, json={}, timeout=5)


def test_strict_repeat_mode_refuses_extra_polls(lro_cassette):
    poll_url = interactions(lro_cassette)[1]["request"]["uri"]
    with block_network(), use_cassette(lro_cassette, repeat="none", lenient=True):
        for _ in range(3):
            requests.get(poll_url, timeout=5)
        with pytest.raises(CannotOverwriteExistingCassetteException):
            requests.get(poll_url, timeout=5)


def test_an_unrecorded_request_on_replay_fails_before_touching_the_network(tmp_path):
    with (
        block_network(),
        use_cassette(tmp_path / "missing.yaml", lenient=True),
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        requests.get("https://management.azure.com/subscriptions?api-version=2022-12-01", timeout=5)
    assert not (tmp_path / "missing.yaml").exists()


# --------------------------------------------------------------------------- sync / requests


def test_sync_clients_over_requests_record_and_replay(tmp_path, stub_target):
    path = tmp_path / "sync.yaml"

    def run(target: Target) -> str:
        client = SyncCompute(target.credential, target.subscription_id, **target.client_kwargs())
        with client:
            poller = client.virtual_machine_scale_sets.begin_create_or_update(
                "rg", "sync1", {"location": "eastus"}
            )
            return poller.result().properties.provisioning_state

    with instant_sleep(), use_cassette(path, record_mode="all", scrubber=live_scrubber(stub_target)):
        assert run(stub_target) == "Succeeded"
    assert len(interactions(path)) == 5 and scan_path(path) == ([], 1)
    with block_network(), use_cassette(path):
        assert run(Target.replay()) == "Succeeded"


# --------------------------------------------------------------------------- scrubbing while recording


def test_recording_scrubs_every_kind_of_secret(tmp_path, stub_target, arm_stub):
    path = tmp_path / "secrets.yaml"
    vm_url = (
        f"{arm_stub.base_url}/subscriptions/{arm_stub.subscription_id}/resourceGroups/rg/providers/"
        "Microsoft.Compute/virtualMachines/vm1?api-version=2026-04-01"
    )
    vm = {
        "location": "eastus",
        "properties": {
            "osProfile": {
                "adminUsername": "azureuser",
                "adminPassword": "P@ssw0rd-not-a-real-one",
                "customData": "I2Nsb3VkLWNvbmZpZw==",
                "linuxConfiguration": {"ssh": {"publicKeys": [{"keyData": PUBLIC_KEY}]}},
            },
            "userData": "ZWNobyBoZWxsbw==",
            "extensionProfile": {"protectedSettings": {"commandToExecute": "echo secret"}},
            "bootstrapKey": PRIVATE_KEY,
        },
    }
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {JWT}"
    tls = {"verify": arm_stub.ca_file, "timeout": 5}
    with use_cassette(path, record_mode="all", scrubber=live_scrubber(stub_target)):
        token = session.post(
            f"{arm_stub.base_url}/{arm_stub.tenant_id}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "s3cr3t"},
            **tls,
        )
        assert token.json()["access_token"] == JWT  # the live caller saw the real answer
        assert session.put(vm_url, json=vm, **tls).status_code == 200
        assert (
            session.get(f"{arm_stub.base_url}/secrets", **tls).json()["properties"]["privateKey"]
            == PRIVATE_KEY
        )
        assert "fpc" in session.cookies  # so the next request sends a Cookie header
        form = {"client_id": "x", "client_secret": "s3cr3t-form", "client_assertion": JWT}
        echoed = session.post(f"{arm_stub.base_url}/echo?sv=1&sig=c2VjcmV0LXNpZw", data=form, **tls)
        assert "s3cr3t-form" in echoed.text  # sent with the cookie /secrets set, and echoed back

    recorded = interactions(path)
    assert [i["request"]["method"] for i in recorded] == ["PUT", "GET", "POST"]  # not the token call
    assert "Cookie" not in recorded[2]["request"]["headers"]
    assert recorded[2]["request"]["uri"].endswith("sig=Sanitized")
    assert recorded[2]["request"]["body"] == "client_id=x&client_secret=Sanitized&client_assertion=Sanitized"
    assert recorded[2]["response"]["body"]["string"] == recorded[2]["request"]["body"]
    text = path.read_text()
    for secret in (
        "P@ssw0rd-not-a-real-one",
        "I2Nsb3VkLWNvbmZpZw==",
        "ZWNobyBoZWxsbw==",
        "echo secret",
        "PRIVATE KEY",
        JWT,
        "Zm9vYmFyc2VjcmV0",
        "fpc=secretcookie",
        arm_stub.subscription_id,
        arm_stub.tenant_id,
        "s3cr3t",
        "c2VjcmV0LXNpZw",
    ):
        assert secret not in text, secret
    assert PUBLIC_KEY in text
    sent = json.loads(recorded[0]["request"]["body"])
    assert sent["properties"]["osProfile"]["adminPassword"] == "Sanitized"
    assert scan_path(path) == ([], 1)


# --------------------------------------------------------------------------- concurrency


def test_fifty_concurrent_aio_requests_are_all_recorded(tmp_path, stub_target, arm_stub):
    path = tmp_path / "aio50.yaml"
    urls = [
        f"{arm_stub.base_url}/subscriptions/{arm_stub.subscription_id}/resourceGroups/rg/providers/"
        f"Microsoft.Compute/virtualMachineScaleSets/vmss{i}?api-version=2026-04-01"
        for i in range(50)
    ]

    async def fetch_all() -> list[int]:
        async with AioHttpTransport(connection_verify=arm_stub.ca_file) as transport:
            responses = await asyncio.gather(*(transport.send(HttpRequest("GET", u)) for u in urls))
            return [r.status_code for r in responses]

    with use_cassette(path, record_mode="all", scrubber=live_scrubber(stub_target)):
        assert asyncio.run(fetch_all()) == [200] * 50
    names = sorted(i["request"]["uri"].split("/")[-1].split("?")[0] for i in interactions(path))
    assert names == sorted(f"vmss{i}" for i in range(50))


def test_fifty_threaded_requests_are_all_recorded(tmp_path, stub_target, arm_stub):
    path = tmp_path / "threads50.yaml"
    urls = [
        f"{arm_stub.base_url}/subscriptions/{arm_stub.subscription_id}/resourceGroups/rg/providers/"
        f"Microsoft.Compute/virtualMachineScaleSets/t{i}?api-version=2026-04-01"
        for i in range(50)
    ]
    session = requests.Session()
    with (
        use_cassette(path, record_mode="all", scrubber=live_scrubber(stub_target)),
        ThreadPoolExecutor(8) as pool,
    ):
        fetched = pool.map(lambda u: session.get(u, verify=arm_stub.ca_file, timeout=10), urls)
        assert [r.status_code for r in fetched] == [200] * 50
    assert len(interactions(path)) == 50


# --------------------------------------------------------------------------- files


def test_rewrite_replaces_the_cassette_and_a_recording_without_requests_leaves_one(tmp_path):
    path = tmp_path / "sub" / "empty.yaml"
    path.parent.mkdir()
    path.write_text("stale: true\n")
    with use_cassette(path, record_mode="rewrite"):
        pass
    assert yaml.safe_load(path.read_text())["interactions"] == []
    with use_cassette(path):  # and it replays
        pass


def test_record_mode_is_validated(tmp_path):
    with pytest.raises(ValueError), use_cassette(tmp_path / "x.yaml", record_mode="sometimes"):  # type: ignore[arg-type]
        pass


# --------------------------------------------------------------------------- time and network


def test_instant_sleep_makes_azure_core_transport_waits_instant_and_restores_them():
    from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport

    original = (HttpTransport.__dict__["sleep"], AsyncHttpTransport.__dict__["sleep"])
    clock = VirtualClock()

    async def waits() -> float:
        start = clock.monotonic()
        await AioHttpTransport().sleep(1800)  # what a stock client's poller asks between polls
        return clock.monotonic() - start

    with instant_sleep(clock) as log:
        elapsed = asyncio.run(waits())
        HttpTransport.sleep(None, 60)  # type: ignore[arg-type]
    assert log is clock.log and log.calls == [1800, 60]
    assert elapsed >= 1800  # virtual time moved, so deadlines still expire
    assert (HttpTransport.__dict__["sleep"], AsyncHttpTransport.__dict__["sleep"]) == original


def test_a_virtual_clock_moves_by_what_was_slept_and_hands_over_a_runtime():
    clock = VirtualClock()
    runtime = clock.runtime(observe="poll")

    async def an_hour() -> float:
        start = runtime.clock()
        await runtime.sleep(3600)
        await runtime.sleep(0)
        return runtime.clock() - start

    assert asyncio.run(an_hour()) >= 3600
    assert clock.log.calls == [3600] and runtime.observe == "poll"


def test_each_target_carries_the_runtime_flexvmss_replays_on():
    """Observation through each operation's status URL, a SKU cache of the target's own, and on
    replay a virtual clock; handed over to the facade and to flexvmss's own clients."""
    first, second = Target.replay(), Target.replay()
    for target in (first, second):
        assert target.runtime.observe == "poll"
        assert isinstance(target.runtime.sku_cache, SkuCache)
        assert target.virtual_clock is not None
        assert target.runtime.clock == target.virtual_clock.monotonic
        assert target.arm_settings().runtime is target.runtime
        kwargs = target.scale_set_kwargs()
        if "runtime" in inspect.signature(flexvmss.aio.FlexScaleSet).parameters:
            assert kwargs["runtime"] is target.runtime
        else:  # until the facade takes a runtime (issue 10), the kit leaves it out
            assert "runtime" not in kwargs
    assert first.runtime.sku_cache is not second.runtime.sku_cache
    assert first.virtual_clock is not second.virtual_clock
    live = Target(
        mode="emulator",
        base_url="https://127.0.0.1:1",
        subscription_id="sub",
        tenant_id="tenant",
        credential=None,
        async_credential=None,
    )
    assert live.virtual_clock is None and live.runtime.clock is _clock.monotonic
    assert live.runtime.observe == "poll" and isinstance(live.runtime.sku_cache, SkuCache)
    assert live.arm_settings(polling_interval=2.0).polling_interval == 2.0


def test_a_cassette_replaces_nothing_of_the_library(tmp_path):
    """Recording and replaying leave every flexvmss module as it was: what the library needs
    under a cassette comes with the target's runtime, not from patched globals."""
    import sys

    import flexvmss._arm
    import flexvmss._fanout
    import flexvmss._pipeline  # noqa: F401  (loaded, so the check below covers them)

    def library() -> dict[str, dict[str, int]]:
        return {
            name: {key: id(value) for key, value in vars(module).items()}
            for name, module in sorted(sys.modules.items())
            if name.startswith("flexvmss.") and not name.startswith("flexvmss.testing")
        }

    before = library()
    inside: list[dict[str, dict[str, int]]] = []
    path = tmp_path / "nothing.yaml"
    for mode in ("all", "none"):
        with use_cassette(path, record_mode=mode):
            inside.append(library())
    for during in inside:
        for name, members in before.items():
            assert {k: during[name].get(k) for k in members} == members, name


def test_block_network_refuses_name_lookups_with_a_clear_error():
    with block_network(), pytest.raises(NetworkBlockedError, match=r"looking up management\.azure\.com"):
        requests.get("https://management.azure.com/subscriptions", timeout=5)


def test_block_network_refuses_tcp_and_allows_loopback_on_request(arm_stub):
    with block_network(), pytest.raises(NetworkBlockedError, match="Network is disabled"):
        requests.get(f"{arm_stub.base_url}/secrets", verify=arm_stub.ca_file, timeout=5)
    with block_network(allow_loopback=True):
        assert requests.get(f"{arm_stub.base_url}/secrets", verify=arm_stub.ca_file, timeout=5).ok


def test_a_custom_match_on_still_replays_in_recording_order(lro_cassette):
    recorded = interactions(lro_cassette)
    poll_url, put_url = recorded[1]["request"]["uri"], recorded[0]["request"]["uri"]
    with block_network(), use_cassette(lro_cassette, match_on=("method", "uri")):
        assert requests.put(put_url, data=recorded[0]["request"]["body"], timeout=5).status_code == 201
        statuses = [requests.get(poll_url, timeout=5).json()["status"] for _ in range(4)]
        assert statuses == ["InProgress", "InProgress", "Succeeded", "Succeeded"]


# --------------------------------------------------------------------------- against the emulator


def test_recording_against_the_emulator_scrubs_vm_secrets_and_normalises(tmp_path, flexvmss_emulator):
    from azure.core.exceptions import HttpResponseError

    target = Target.from_emulator(flexvmss_emulator)
    path = tmp_path / "emulator-vm.yaml"
    vm = {
        "location": "westeurope",
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            "osProfile": {
                "computerName": "vm1",
                "adminUsername": "azureuser",
                "adminPassword": "P@ssw0rd-not-a-real-one",
                "customData": "I2Nsb3VkLWNvbmZpZw==",
                "linuxConfiguration": {
                    "ssh": {"publicKeys": [{"path": "/home/azureuser/.ssh/k", "keyData": PUBLIC_KEY}]}
                },
            },
            "userData": "ZWNobyBoZWxsbw==",
        },
    }

    async def create() -> None:
        async with ComputeManagementClient(
            target.async_credential, target.subscription_id, **target.client_kwargs()
        ) as c:
            # whatever the emulator thinks of this VM, the request went out and was recorded
            with contextlib.suppress(HttpResponseError):
                await (await c.virtual_machines.begin_create_or_update("rg", "vm1", vm)).result()

    with use_cassette(path, record_mode="all", scrubber=live_scrubber(target)):
        asyncio.run(create())
    text = path.read_text()
    sent = json.loads(interactions(path)[0]["request"]["body"])["properties"]
    assert sent["osProfile"]["adminPassword"] == "Sanitized"
    assert sent["osProfile"]["customData"] == "Sanitized" and sent["userData"] == "Sanitized"
    assert sent["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]["keyData"] == PUBLIC_KEY
    for leaked in (
        "P@ssw0rd",
        "I2Nsb3VkLWNvbmZpZw==",
        "ZWNobyBoZWxsbw==",
        flexvmss_emulator.base_url,
        flexvmss_emulator.subscription_id,
    ):
        assert leaked not in text, leaked
    assert scan_path(path) == ([], 1)


def test_threads_replaying_at_once_each_get_their_own_answer(tmp_path, stub_target, arm_stub):
    path = tmp_path / "threads-replay.yaml"
    base = f"{arm_stub.base_url}/subscriptions/{arm_stub.subscription_id}/providers/Microsoft.Compute/"
    url = base + "locations/eastus/operations/op-shared?api-version=2026-04-01"
    with use_cassette(path, record_mode="all", scrubber=live_scrubber(stub_target)):
        recorded = [requests.get(url, verify=arm_stub.ca_file, timeout=5).json()["status"] for _ in range(40)]
    replay_url = stub_target.normaliser().scrub_url(url)
    with block_network(), use_cassette(path, repeat="none"), ThreadPoolExecutor(8) as pool:
        replayed = list(pool.map(lambda _: requests.get(replay_url, timeout=5).json()["status"], range(40)))
    assert sorted(replayed) == sorted(recorded)
