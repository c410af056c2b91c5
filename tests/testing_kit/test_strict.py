"""The kit is strict: a request the cassette does not hold fails the test and names it, even
when the code under test swallows vcrpy's error: inside a fan-out batch (where it becomes one
failed VM) or in a background task. ``lenient=True`` is the way out for those who want it.

The scenario is recorded against the emulator once for the module (and replayed as recorded);
each test then copies that cassette next to a test file that drifts the way code drifts (a
``restart()`` nobody recorded) and replays it offline with pytester.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

FANOUT_TEST = """
import asyncio
import pytest
from flexvmss import ImageSpec, NetworkSpec, ScaleSetSpec
from flexvmss.aio import FlexScaleSet

DRIFT = {drift!r}
SSH = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICEH2JLy4VWrgBfyXBh37AX+c6p/M9qCzne0u3mcgd2k kit"


@pytest.mark.flexvmss_cassette({marker})
async def test_batch(flexvmss_target):
    if flexvmss_target.emulator is not None:
        flexvmss_target.emulator.create_network("rg", "eastus")
    sub = flexvmss_target.subscription_id
    subnet = (f"/subscriptions/{{sub}}/resourceGroups/rg/providers/Microsoft.Network"
              "/virtualNetworks/flex-vnet/subnets/vms")
    spec = ScaleSetSpec(location="eastus", vm_size="Standard_D2s_v5", capacity=3,
                        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
                        network=NetworkSpec(subnet_id=subnet, outbound="nat_gateway"),
                        ssh_public_keys=(SSH,))
    async with FlexScaleSet(sub, "rg", "web", **flexvmss_target.scale_set_kwargs()) as ss:
        await ss.create(spec)
        if DRIFT == "batch":
            result = await ss.restart()           # never recorded: every VM fails in the batch
            assert len(result.failed) == 3        # ... and the test would pass without the kit
        if DRIFT == "task":
            task = asyncio.ensure_future(ss.vm("ghost"))   # a background read nobody recorded
            await asyncio.wait([task])
            task.exception()                                # its failure is swallowed
        if DRIFT == "none":
            assert len(await ss.vms()) == 3
"""


def run(pytester, *args: str):
    return pytester.runpytest_subprocess("-p", "no:hypothesispytest", *args)


def write(pytester, drift: str, marker: str = "") -> None:
    pytester.makefile(".ini", pytest=INI)
    pytester.makepyfile(test_web=FANOUT_TEST.format(drift=drift, marker=marker))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario without drift, recorded against the emulator, then replayed offline as
    recorded (it passes); its cassette folder. Recording is the same with or without
    ``lenient=True`` (the marker only decides how a replay fails)."""
    folder = tmp_path_factory.mktemp("strict-recording")
    (folder / "pytest.ini").write_text(INI)
    (folder / "test_web.py").write_text(FANOUT_TEST.format(drift="none", marker=""))
    for args in (["--flexvmss-target=emulator"], []):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:hypothesispytest", "-p", "no:cacheprovider", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
    return folder / "cassettes"


def record(pytester, recorded: Path) -> None:
    """The module's recording, in this pytester's folder."""
    shutil.copytree(recorded, pytester.path / "cassettes")


def test_an_unrecorded_request_inside_a_fan_out_fails_the_test_and_names_it(pytester, recorded):
    record(pytester, recorded)
    write(pytester, "batch")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "UnrecordedRequestError" in text
    assert "request(s) not in the cassette" in text
    restarts = re.findall(r"POST https://management\.azure\.com/\S+/virtualMachines/web_\w+/restart", text)
    assert len(set(restarts)) == 3, text  # each VM's unrecorded restart is named
    assert "lenient=True" in text  # and the way out is named too


def test_an_unrecorded_request_in_a_background_task_fails_the_test(pytester, recorded):
    record(pytester, recorded)
    write(pytester, "task")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert re.search(r"GET https://management\.azure\.com/\S+/virtualMachines/ghost\?", result.stdout.str())


def test_lenient_mode_lets_the_code_under_test_handle_it(pytester, recorded):
    record(pytester, recorded)
    write(pytester, "batch", marker="lenient=True")
    run(pytester).assert_outcomes(passed=1)
