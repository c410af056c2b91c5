"""The kit is strict: a request the cassette does not hold fails the test and names it, even
when the code under test swallows vcrpy's error: inside a fan-out batch (where it becomes one
failed VM) or in a background task. ``lenient=True`` is the way out for those who want it.

Each scenario is recorded against the emulator with pytester, then the test file changes the
way code drifts (a ``restart()`` nobody recorded) and is replayed offline.
"""

from __future__ import annotations

import re

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


def record(pytester, marker: str = "") -> None:
    write(pytester, "none", marker)
    run(pytester, "--flexvmss-target=emulator").assert_outcomes(passed=1)
    run(pytester).assert_outcomes(passed=1)  # the replay as recorded passes


def test_an_unrecorded_request_inside_a_fan_out_fails_the_test_and_names_it(pytester):
    record(pytester)
    write(pytester, "batch")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "UnrecordedRequestError" in text
    assert "request(s) not in the cassette" in text
    restarts = re.findall(r"POST https://management\.azure\.com/\S+/virtualMachines/web_\w+/restart", text)
    assert len(set(restarts)) == 3, text  # each VM's unrecorded restart is named
    assert "lenient=True" in text  # and the way out is named too


def test_an_unrecorded_request_in_a_background_task_fails_the_test(pytester):
    record(pytester)
    write(pytester, "task")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert re.search(r"GET https://management\.azure\.com/\S+/virtualMachines/ghost\?", result.stdout.str())


def test_lenient_mode_lets_the_code_under_test_handle_it(pytester):
    record(pytester, marker="lenient=True")
    write(pytester, "batch", marker="lenient=True")
    run(pytester).assert_outcomes(passed=1)
