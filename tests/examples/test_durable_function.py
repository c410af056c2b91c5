"""The Durable Functions example driven without the Functions host, against the emulator: its
orchestrator (a generator yielding ``context.call_activity``) is replayed by a small driver
with the durable API's shape, its activities run for real. The job is cut into chunks, each
activity stops at a short time limit and is called again, the orchestration continues as new,
and a host crash in the middle of an activity replays it: every VM's operation is sent once."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _examples import load_example

pytest.importorskip("azure.durable_functions")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from _backend_support import RG, make_set, power_states, routes

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "durable_function" / "function_app.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return load_example(EXAMPLE, "flexvmss_example_durable_app")


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    from flexvmss.emulator import Emulator

    with Emulator(time_scale=0.002, seed=21) as emulator:
        yield emulator


@pytest.fixture
def world(
    emu: Any, example: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, list[str]]:
    emu.reset()
    emu.clear_faults()
    emu.set_throttle("azure")
    monkeypatch.setenv("FLEXVMSS_BASE_URL", emu.base_url)
    monkeypatch.setenv("FLEXVMSS_CA_FILE", emu.ca_file)
    monkeypatch.setenv("FLEXVMSS_TIME_SCALE", str(emu.time_scale))
    monkeypatch.setenv("FLEXVMSS_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.setattr(example, "CHUNK_SIZE", 10)
    monkeypatch.setattr(example, "CHUNKS_PER_GENERATION", 2)
    return {"alpha": make_set(emu, "alpha", 25), "beta": make_set(emu, "beta", 12)}


class Crash(Exception):
    """The Functions host went away in the middle of an activity."""


class Context:
    """What the orchestrator uses of ``DurableOrchestrationContext``."""

    def __init__(self, job: dict[str, Any]) -> None:
        self._input = job
        self.continued: dict[str, Any] | None = None
        self.status: Any = None

    def get_input(self) -> dict[str, Any]:
        return self._input

    def call_activity(self, name: str, payload: Any) -> tuple[str, Any]:
        return name, payload

    def set_custom_status(self, status: Any) -> None:
        self.status = status

    def continue_as_new(self, job: dict[str, Any]) -> None:
        self.continued = job


async def orchestrate(
    example: ModuleType, job: dict[str, Any], *, crash_at: int | None = None
) -> dict[str, Any]:
    """Run the orchestration as Durable Functions would: each generation replays from its
    history (finished activities' results), a crash loses the activity in progress, which runs
    again on replay; ``continue_as_new`` starts a new generation with a fresh history."""
    activities = {"plan_job": example.plan_job, "run_chunk": example.run_chunk}
    calls = 0
    history: list[Any] = []
    while True:
        context = Context(job)
        generator = example.fleet_orchestrator(context)
        replayed = 0
        try:
            name, payload = next(generator)
            while True:
                if replayed < len(history):
                    result = history[replayed]
                else:
                    result = await activities[name](payload)
                    calls += 1
                    if calls == crash_at:
                        raise Crash  # the activity did its work; its result never reached the history
                    history.append(result)
                replayed += 1
                name, payload = generator.send(result)
        except Crash:
            continue  # the host restarts: the orchestrator replays from its history
        except StopIteration as stop:
            if context.continued is not None:
                job, history = context.continued, []
                continue
            assert isinstance(stop.value, dict)
            return stop.value


@pytest.mark.parametrize("backend", ["scheduled", "per_vm"])
async def test_a_fleet_job_survives_time_limits_and_a_crash_sending_each_vm_once(
    emu: Any, example: ModuleType, world: dict[str, list[str]], backend: str
) -> None:
    job = {
        "operation": "deallocate",
        "subscription_id": emu.subscription_id,
        "resource_group": RG,
        "backend": backend,
        # ScheduledActions: an activity's time limit shorter than a deallocation, so chunks
        # take more than one call; per VM: long enough to send a chunk within one call
        "activity_seconds": 0.06 if backend == "scheduled" else 2.0,
    }

    totals = await orchestrate(example, job, crash_at=3)

    vms = sum(len(v) for v in world.values())
    assert totals["succeeded"] == vms, totals
    assert totals["failed"] == {} and totals["open"] == []
    # 4 chunks (10, 10, 5 and 12 VMs); through ScheduledActions each needs more than one call
    assert totals["calls"] > 4 if backend == "scheduled" else totals["calls"] >= 4
    assert set(power_states(emu).values()) == {"PowerState/deallocated"}
    if backend == "scheduled":
        from flexvmss.emulator.computeschedule import knobs

        per_vm: dict[str, int] = {}
        for op in knobs(emu).operations():
            per_vm[op["resource_id"].lower()] = per_vm.get(op["resource_id"].lower(), 0) + 1
        assert len(per_vm) == vms and set(per_vm.values()) == {1}  # each VM's operation sent once
    else:
        assert routes(emu, "/deallocate") == vms  # each VM's deallocate sent once


def test_the_app_registers_its_functions(example: ModuleType) -> None:
    names = {f.get_function_name() for f in example.app.get_functions()}
    assert {"fleet_orchestrator", "plan_job", "run_chunk", "start_fleet_job"} <= names
