"""An apply SIGKILLed part way and run again with the same plan and journal converges without
repeating the work the first run finished: every update is written once, the rerun skips what
the journal lists, and a fresh plan is empty."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flexvmss.emulator import Emulator

RG = "rg-resume"
SET_NAME = "resume"
DRIVER = Path(__file__).with_name("apply_driver.py")


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator[Emulator]:
    """VM updates last long enough (~0.3 s real each) for the kill to land between them."""
    with Emulator(time_scale=0.01, page_size=100, seed=11) as emu:
        yield emu


def _command(emu: Emulator, plan: Path, journal: Path) -> list[str]:
    return [
        sys.executable, str(DRIVER),
        "--base-url", emu.base_url, "--ca-file", emu.ca_file, "--subscription", emu.subscription_id,
        "--resource-group", RG, "--name", SET_NAME, "--time-scale", str(emu.time_scale),
        str(plan), str(journal),
    ]  # fmt: skip


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


async def _make_plan(emu: Emulator, desired_tags: dict[str, str]) -> tuple[object, object]:
    import flexvmss.aio
    from flexvmss import DesiredState, ImageSpec, NetworkSpec, ScaleSetSpec

    net = emu.create_network(RG)
    spec = ScaleSetSpec(
        location="westeurope",
        vm_size="Standard_D2s_v5",
        capacity=6,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=net.subnet_id, outbound="nat_gateway"),
        ssh_public_keys=("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFlexvmssApplyDriverKey apply@test",),
    )
    async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, SET_NAME, emulator=emu) as ss:
        await ss.create(spec)
        desired = DesiredState(spec, tags=desired_tags)
        return await ss.plan(desired), desired


async def _replan(emu: Emulator, desired: object) -> object:
    import flexvmss.aio

    async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, SET_NAME, emulator=emu) as ss:
        return await ss.plan(desired)  # type: ignore[arg-type]


def test_an_apply_killed_midway_resumes_without_repeating(slow_emulator: Emulator, tmp_path: Path) -> None:
    emu = slow_emulator
    emu.reset()
    plan, desired = asyncio.run(_make_plan(emu, {"team": "web"}))
    assert plan.counts()["update"] == 6  # type: ignore[attr-defined]
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.to_json(), encoding="utf-8")  # type: ignore[attr-defined]
    journal = tmp_path / "apply.jsonl"

    proc = subprocess.Popen(
        _command(emu, plan_file, journal),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "begin"
    # wait until two updates are journaled (header + 2 lines), then kill it in the middle of the rest
    limit = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < limit:
        if journal.exists() and len(journal.read_text().splitlines()) >= 3:
            break
        time.sleep(0.01)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed, "the apply ended before the kill (make its updates slower)"
    done_first = [json.loads(line)["step"] for line in journal.read_text().splitlines()[1:] if line.strip()]
    assert 2 <= len(done_first) < 6

    rerun = subprocess.run(
        _command(emu, plan_file, journal),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr[-2000:]
    results = json.loads(rerun.stdout.strip().splitlines()[-1])["results"]
    assert all(outcome == "done" for outcome, _ in results.values()), results
    for step in done_first:
        assert "journal" in results[step][1]  # skipped: done by the killed run
    lines = [json.loads(line)["step"] for line in journal.read_text().splitlines()[1:] if line.strip()]
    assert sorted(lines) == sorted(set(lines)) and len(lines) == 6  # each step journaled once
    # a PATCH the killed run had sent is not sent again as a write that lands: the rerun's
    # If-Match on the planned ETag is refused (412) for a VM whose update already landed, and
    # the rerun sees the change made. Every VM was updated exactly once: equal ETags.
    compute = emu.clients().compute
    etags = {vm.etag for vm in compute.virtual_machines.list(RG)}
    assert len(etags) == 1, etags
    assert all(vm.tags.get("team") == "web" for vm in compute.virtual_machines.list(RG))
    assert asyncio.run(_replan(emu, desired)).empty  # type: ignore[attr-defined]
