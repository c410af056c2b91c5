"""The ``backend=`` choice of start, deallocate (hibernate) and delete_vms against the emulator
over HTTPS, both faces (issue 15, point 1): every VM accepted by ScheduledActions, partial
refusal with per-VM fallback, provider not registered, cancel, deadline.

Each VM's outcome is checked against what Azure (the emulator) recorded: a VM reported
succeeded through ScheduledActions has an operation there that ended Succeeded."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from _backend_support import RG, TIME_SCALE, Face, make_set, power_states, routes, scale_set

import flexvmss
from flexvmss import (
    ScheduledOptions,
    emulator,
)
from flexvmss.emulator.computeschedule import knobs

N = 24  # at least AUTO_MIN_VMS


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with emulator.Emulator(time_scale=TIME_SCALE, seed=15) as emu:
        yield emu


@pytest.fixture
def names(emu: Any) -> list[str]:
    emu.reset()
    emu.clear_faults()
    emu.set_throttle("azure")
    made = make_set(emu, "web", N)
    assert len(made) == N
    return made


@pytest.fixture(params=["aio", "sync"])
async def ss(request: pytest.FixtureRequest, emu: Any) -> AsyncIterator[Face]:
    face = scale_set(emu, str(request.param))
    yield face
    await face.close()


def _vm_ids(emu: Any, vms: list[str]) -> list[str]:
    group = f"/subscriptions/{emu.subscription_id}/resourceGroups/{RG}"
    return [f"{group}/providers/Microsoft.Compute/virtualMachines/{n}" for n in vms]


def _ops_by_vm(emu: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for op in knobs(emu).operations():
        name = str(op.get("resource_id") or op.get("resourceId") or "").rsplit("/", 1)[-1]
        out.setdefault(name.lower(), []).append(op)
    return out


async def test_every_vm_accepted_runs_through_scheduled_actions(emu: Any, names: list[str], ss: Face) -> None:
    options = ScheduledOptions(optimization="Availability", retry_count=2, retry_window_minutes=30)
    result = await ss.call("deallocate", backend="scheduled", options=options, deadline=120)

    assert result.ok, result.summary()
    assert sorted(result.succeeded) == names
    assert (
        sorted(result.backends["scheduled"]) == names and len(result.backends) == 1 and result.fallbacks == {}
    )
    # one Execute request for 24 VMs, no per-VM action reached Compute's routes
    assert routes(emu, "/virtualMachinesExecuteDeallocate") == 1
    assert routes(emu, "/deallocate") == 0
    assert set(power_states(emu).values()) == {"PowerState/deallocated"}
    ops = _ops_by_vm(emu)
    assert all(ops[name.lower()][-1]["state"] == "Succeeded" for name in names), ops
    assert result.total_requests <= 1 + 8, result.requests  # one send and a few status reads


async def test_auto_falls_back_per_vm_for_the_vms_scheduled_actions_refuses(
    emu: Any, names: list[str], ss: Face
) -> None:
    refused = names[:2]
    knobs(emu).refuse(_vm_ids(emu, refused), code="OperationConflict")

    result = await ss.call("deallocate", backend="auto", deadline=120)

    assert result.ok, result.summary()
    assert sorted(result.backends["per_vm"]) == sorted(refused)
    assert len(result.backends["scheduled"]) == N - 2
    assert set(result.fallbacks) == set(refused)
    assert all("OperationConflict" in reason for reason in result.fallbacks.values())
    assert routes(emu, "/deallocate") == 2  # exactly the refused VMs went per VM
    assert set(power_states(emu).values()) == {"PowerState/deallocated"}


async def test_scheduled_reports_a_refused_vm_failed_with_azures_code(
    emu: Any, names: list[str], ss: Face
) -> None:
    vm_id = _vm_ids(emu, names[:1])[0]
    knobs(emu).refuse([vm_id], code="OperationConflict")

    result = await ss.call("start", names[:3], backend="scheduled", deadline=120)

    assert result.failed == [names[0]] and sorted(result.succeeded) == names[1:3]
    assert result.errors[names[0]].code == "OperationConflict"
    assert routes(emu, "/start") == 0


async def test_an_unregistered_provider_falls_back_per_vm_under_auto(
    emu: Any, names: list[str], ss: Face
) -> None:
    knobs(emu).registered = False

    result = await ss.call("deallocate", backend="auto", deadline=120)

    assert result.ok, result.summary()
    assert sorted(result.backends["per_vm"]) == names and len(result.backends) == 1
    assert all("MissingSubscriptionRegistration" in r for r in result.fallbacks.values())
    assert routes(emu, "/deallocate") == N


async def test_an_unregistered_provider_fails_every_vm_under_scheduled(
    emu: Any, names: list[str], ss: Face
) -> None:
    knobs(emu).registered = False

    result = await ss.call("deallocate", backend="scheduled", deadline=120)

    assert sorted(result.failed) == names
    assert {e.code for e in result.errors.values()} == {"MissingSubscriptionRegistration"}
    assert routes(emu, "/deallocate") == 0
    assert set(power_states(emu).values()) == {"PowerState/running"}


async def test_small_batches_under_auto_run_per_vm(emu: Any, names: list[str], ss: Face) -> None:
    result = await ss.call("deallocate", names[:3], backend="auto", deadline=120)

    assert result.ok and sorted(result.backends["per_vm"]) == names[:3] and result.fallbacks == {}
    assert routes(emu, "/virtualMachinesExecuteDeallocate") == 0


async def test_hibernate_and_delete_use_their_scheduled_actions_and_report_their_failures(
    emu: Any, names: list[str], ss: Face
) -> None:
    hibernated = await ss.call("deallocate", names[:2], hibernate=True, backend="scheduled", deadline=120)
    deleted = await ss.call("delete_vms", names[2:4], backend="scheduled", deadline=120)

    # the set's VMs were made without hibernationEnabled: Azure runs the hibernation and fails
    # it, and the operation's own error is what the VM reports
    assert sorted(hibernated.failed) == names[:2]
    assert {e.code for e in hibernated.errors.values()} == {"OperationNotAllowed"}
    assert sorted(deleted.succeeded) == names[2:4]
    assert routes(emu, "/virtualMachinesExecuteHibernate") == 1
    assert routes(emu, "/virtualMachinesExecuteDelete") == 1
    assert not set(n.lower() for n in names[2:4]) & set(n.lower() for n in power_states(emu))


async def test_the_deadline_cancels_what_azure_has_not_started(emu: Any, names: list[str], ss: Face) -> None:
    knobs(emu).blocked = True  # an outage: every operation waits, Blocked

    result = await ss.call("deallocate", backend="scheduled", deadline=0.4)

    assert result.interrupted == "deadline"
    assert sorted(result.cancelled) == names, result.summary()
    assert all("never ran" in r.detail for r in result.results.values())
    assert routes(emu, "/virtualMachinesCancelOperations") >= 1
    states = {op[-1]["state"] for op in _ops_by_vm(emu).values()}
    assert states == {"Cancelled"}
    assert set(power_states(emu).values()) == {"PowerState/running"}


def driver(emu: Any, *args: str) -> subprocess.Popen[str]:
    """``backend_driver.py`` against ``emu`` in a fresh interpreter."""
    command = [
        sys.executable,
        str(Path(__file__).parent / "backend_driver.py"),
        "--base-url",
        emu.base_url,
        "--ca-file",
        emu.ca_file,
        "--subscription",
        emu.subscription_id,
        "--resource-group",
        RG,
        "--name",
        "web",
        "--time-scale",
        str(emu.time_scale),
        *args,
    ]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _report(out: str) -> dict[str, Any]:
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, out
    report: dict[str, Any] = json.loads(lines[-1])
    return report


async def test_cancelling_the_call_cancels_the_operations_aio(emu: Any, names: list[str]) -> None:
    face = scale_set(emu, "aio")
    knobs(emu).blocked = True
    accepted = asyncio.Event()

    def on_event(event: flexvmss.ProgressEvent) -> None:
        if event.kind == "started":
            accepted.set()

    try:
        task = asyncio.ensure_future(
            face.obj.deallocate(backend="scheduled", deadline=120, on_event=on_event)
        )
        await accepted.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as info:
            await task
    finally:
        await face.close()
    partial = info.value.batch_result  # type: ignore[attr-defined]

    assert partial.interrupted == "cancelled"
    assert sorted(partial.cancelled) == names
    assert {op[-1]["state"] for op in _ops_by_vm(emu).values()} == {"Cancelled"}
    assert set(power_states(emu).values()) == {"PowerState/running"}


async def test_ctrl_c_cancels_the_operations_sync(emu: Any, names: list[str]) -> None:
    knobs(emu).blocked = True
    proc = driver(emu, "--face", "sync", "--backend", "scheduled", "--sigint-on-start", "deallocate")
    out, err = await asyncio.to_thread(proc.communicate, timeout=120)

    assert proc.returncode == 130, err[-2000:]
    report = _report(out)
    assert report["interrupted"] == "cancelled"
    assert sorted(report["results"]) == names
    assert {outcome for outcome, _, _ in report["results"].values()} == {"cancelled"}
    assert {op[-1]["state"] for op in _ops_by_vm(emu).values()} == {"Cancelled"}
    assert set(power_states(emu).values()) == {"PowerState/running"}


async def test_an_unknown_backend_is_refused_before_anything_is_sent(emu: Any, names: list[str]) -> None:
    ss = scale_set(emu, "aio")
    before = emu.counters()["by_route"]
    try:
        with pytest.raises(flexvmss.InvalidInputError, match="backend"):
            await ss.call("deallocate", backend="server")
    finally:
        await ss.close()
    assert emu.counters()["by_route"] == before


async def _kill_after(proc: subprocess.Popen[str], started: int, *, done_in: Path | None = None) -> list[str]:
    """SIGKILL ``proc`` once it printed ``started`` lines for ``started`` VMs (and, with
    ``done_in``, once that checkpoint records at least 3 VMs done); the VMs it had started."""
    assert proc.stdout is not None
    seen: list[str] = []
    while len(seen) < started or (done_in is not None and _done(done_in) < 3):
        line = await asyncio.to_thread(proc.stdout.readline)
        if not line:
            raise AssertionError(f"the driver ended early: {proc.stderr.read() if proc.stderr else ''}")
        if line.startswith("started "):
            seen.append(line.split()[1])
    proc.send_signal(signal.SIGKILL)
    await asyncio.to_thread(proc.wait, 60)
    return seen


def _done(checkpoint: Path) -> int:
    try:
        return sum(1 for e in json.loads(checkpoint.read_text())["vms"].values() if e["state"] == "done")
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.parametrize("face", ["aio", "sync"])
async def test_a_scheduled_batch_resumes_after_sigkill_without_sending_again(
    emu: Any, names: list[str], face: str, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "deallocate.json"
    knobs(emu).blocked = True  # the operations wait, so the kill lands while they are in flight
    first = names[:10]
    # the killed process was asked for 10 VMs; the resumed call for all 24
    proc = driver(
        emu,
        "--face",
        "sync" if face == "aio" else "aio",
        "--backend",
        "scheduled",
        "--checkpoint",
        str(checkpoint),
        "--names",
        ",".join(first),
        "deallocate",
    )
    killed = await _kill_after(proc, len(first))
    assert sorted(killed) == first
    assert routes(emu, "/virtualMachinesExecuteDeallocate") == 1
    recorded = json.loads(checkpoint.read_text())["vms"]
    assert sorted(recorded) == first and all(e["operation_id"] for e in recorded.values())
    knobs(emu).blocked = False  # the outage ends: the recorded operations run

    ss = scale_set(emu, face)
    try:
        result = await ss.call("deallocate", backend="scheduled", checkpoint=str(checkpoint), deadline=120)
    finally:
        await ss.close()

    assert result.ok, result.summary()
    assert sorted(result.succeeded) == names
    # one more Execute, for the 14 VMs never sent; none of the first 10 was sent again
    assert routes(emu, "/virtualMachinesExecuteDeallocate") == 2
    ops = _ops_by_vm(emu)
    assert all(len(ops[n.lower()]) == 1 and ops[n.lower()][0]["state"] == "Succeeded" for n in names)
    assert set(power_states(emu).values()) == {"PowerState/deallocated"}
    done = json.loads(checkpoint.read_text())["vms"]
    assert {e["state"] for e in done.values()} == {"done"} and len(done) == N


@pytest.mark.parametrize("face", ["aio", "sync"])
async def test_a_per_vm_batch_resumes_after_sigkill_without_redoing_finished_vms(
    emu: Any, names: list[str], face: str, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "deallocate.json"
    proc = driver(
        emu,
        "--face",
        "sync" if face == "aio" else "aio",
        "--backend",
        "per_vm",
        "--checkpoint",
        str(checkpoint),
        "--concurrency",
        "1",
        "deallocate",
    )
    await _kill_after(proc, 8, done_in=checkpoint)
    recorded = json.loads(checkpoint.read_text())["vms"]
    finished = {n for n, e in recorded.items() if e["state"] == "done"}
    in_flight = {n for n, e in recorded.items() if e["state"] == "sent"}
    with_url = {n for n, e in recorded.items() if e["state"] == "sent" and e.get("status_url")}
    assert finished and finished | in_flight <= set(names)
    sent_before = routes(emu, "/deallocate")

    ss = scale_set(emu, face)
    try:
        result = await ss.call("deallocate", backend="per_vm", checkpoint=str(checkpoint), deadline=120)
    finally:
        await ss.close()

    assert result.ok, result.summary()
    assert sorted(result.succeeded) == names
    assert all("from the checkpoint" in result.results[n].detail for n in finished)
    # an operation the killed run had sent is read through its recorded status URL
    assert all("resumed" in result.results[n].detail for n in with_url)
    # the resumed run sent only the VMs the killed one had not finished
    assert routes(emu, "/deallocate") - sent_before == N - len(finished) - _watched(in_flight, result)
    assert set(power_states(emu).values()) == {"PowerState/deallocated"}


def _watched(in_flight: set[str], result: Any) -> int:
    """The in-flight VMs the resumed run watched through their recorded operation."""
    return sum(1 for n in in_flight if "resumed" in result.results[n].detail)
