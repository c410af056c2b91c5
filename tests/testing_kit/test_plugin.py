"""The pytest plugin, run inside pytest (pytester), as users run it.

Recording goes against the real in-process emulator (``--flexvmss-target=emulator``);
replay runs offline with the network blocked.
"""

from __future__ import annotations

import yaml

from flexvmss.testing import ZERO_GUID, scan_path

pytest_plugins = ["pytester"]

RG_TESTS = """
import pytest
from azure.mgmt.resource.resources.aio import ResourceManagementClient


def client(t):
    return ResourceManagementClient(t.async_credential, t.subscription_id, **t.client_kwargs())


@pytest.mark.flexvmss_cassette
async def test_rg_lifecycle(flexvmss_target):
    async with client(flexvmss_target) as rc:
        rg = await rc.resource_groups.create_or_update("rg1", {"location": "eastus"})
        assert rg.id == f"/subscriptions/{flexvmss_target.subscription_id}/resourceGroups/rg1"
        await (await rc.resource_groups.begin_delete("rg1")).result()
        assert not await rc.resource_groups.check_existence("rg1")


class TestListing:
    async def test_empty(self, flexvmss_target):
        async with client(flexvmss_target) as rc:
            assert [g async for g in rc.resource_groups.list()] == []
"""

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"


def run(pytester, *args: str):
    """pytest in a subprocess (in-process runs drop the modules they import, which breaks later
    tests), without hypothesis's plugin: it costs a second of start-up and nothing here uses it."""
    return pytester.runpytest_subprocess("-p", "no:hypothesispytest", *args)


def setup(pytester, ini: str = INI, **files: str) -> None:
    pytester.makefile(".ini", pytest=ini)
    pytester.makepyfile(**files)


def cassette(pytester, module: str, name: str):
    return pytester.path / "cassettes" / module / f"{name}.yaml"


def test_record_against_the_emulator_replay_offline_then_record_only_what_is_missing(pytester):
    setup(pytester, test_rg=RG_TESTS)
    recorded = run(pytester, "--flexvmss-target=emulator")
    recorded.assert_outcomes(passed=2)
    lifecycle = cassette(pytester, "test_rg", "test_rg_lifecycle")
    listing = cassette(pytester, "test_rg", "TestListing.test_empty")
    assert lifecycle.exists() and listing.exists()

    text = lifecycle.read_text()
    assert "127.0.0.1" not in text and "Authorization" not in text
    assert f"https://management.azure.com/subscriptions/{ZERO_GUID}/resourcegroups/rg1" in text
    methods = [i["request"]["method"] for i in yaml.safe_load(text)["interactions"]]
    assert methods[:2] == ["PUT", "DELETE"] and methods[-1] == "HEAD"
    assert scan_path(pytester.path / "cassettes") == ([], 2)

    run(pytester).assert_outcomes(passed=2)

    listing.unlink()  # --record-mode=once records the missing cassette and replays the other
    run(pytester, "--record-mode=once").assert_outcomes(passed=2)
    assert lifecycle.read_text() == text
    assert listing.exists()


def test_replay_fails_on_a_missing_cassette_blocks_the_network_and_waits_instantly(pytester):
    setup(
        pytester,
        test_rg=RG_TESTS,
        test_replay="""
import socket
import pytest


def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    return server


@pytest.mark.flexvmss_cassette
def test_kit_test_cannot_connect():
    server = listener()
    with pytest.raises(RuntimeError, match="Network is disabled"):
        socket.create_connection(server.getsockname(), timeout=1)


def test_other_tests_can():
    server = listener()
    socket.create_connection(server.getsockname(), timeout=1).close()


@pytest.mark.flexvmss_cassette
async def test_an_hour_passes_at_once(flexvmss_target):
    runtime = flexvmss_target.runtime  # what flexvmss runs on under the cassette
    start = runtime.clock()
    await runtime.sleep(3600)
    assert runtime.clock() - start >= 3600
    assert flexvmss_target.virtual_clock.log.calls == [3600]
""",
    )
    for name in ("test_kit_test_cannot_connect", "test_an_hour_passes_at_once"):
        path = cassette(pytester, "test_replay", name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("interactions: []\nversion: 1\n")
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=2)  # test_rg has no cassettes
    result.stdout.fnmatch_lines(
        ["*no cassette at*test_rg_lifecycle.yaml*", "*pytest --record-mode=once --flexvmss-target=emulator*"]
    )


def test_cassette_dir_names_and_user_scrub_rules(pytester):
    setup(
        pytester,
        ini=INI + "flexvmss_cassette_dir = recorded\n",
        conftest="""
import pytest
from flexvmss.testing import ScrubRule


@pytest.fixture
def flexvmss_vcr_config():
    return {"scrub_rules": [ScrubRule.regex("group-names", "rg-secret-project", "rg-redacted")]}


def pytest_flexvmss_scrub_rules(config):
    return [ScrubRule.regex("locations", "eastus", "somewhere")]
""",
        test_names="""
import pytest
from azure.mgmt.resource.resources.aio import ResourceManagementClient


@pytest.mark.flexvmss_cassette(name="shared-name")
def test_named(flexvmss_vcr):
    pass


@pytest.mark.parametrize("p", ["a/b", "c d"])
def test_param(flexvmss_vcr, p):
    pass


@pytest.mark.flexvmss_cassette
async def test_create(flexvmss_target):
    t = flexvmss_target
    async with ResourceManagementClient(t.async_credential, t.subscription_id, **t.client_kwargs()) as rc:
        await rc.resource_groups.create_or_update("rg-secret-project", {"location": "eastus"})
""",
    )
    run(pytester, "--flexvmss-target=emulator").assert_outcomes(passed=4)
    folder = pytester.path / "recorded" / "test_names"
    assert sorted(p.name for p in folder.iterdir()) == [
        "shared-name.yaml",
        "test_create.yaml",
        "test_param[a-b].yaml",
        "test_param[c-d].yaml",
    ]
    text = (folder / "test_create.yaml").read_text()
    assert "rg-redacted" in text and "rg-secret-project" not in text
    assert "somewhere" in text and "eastus" not in text


def test_a_replay_target_cannot_record(pytester):
    setup(pytester, test_rg=RG_TESTS)
    result = run(pytester, "--flexvmss-target=replay", "--record-mode=all")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--record-mode=all needs a live target*"])


def test_the_azure_target_without_credentials_skips_saying_why(pytester, monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    setup(pytester, test_rg=RG_TESTS)
    result = run(pytester, "--flexvmss-target=azure", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*needs AZURE_SUBSCRIPTION_ID*"])
