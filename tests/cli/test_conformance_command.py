"""``flexvmss conformance`` run against an emulator standing in for Azure (``--base-url``): the whole
lifecycle, zero differences from a fresh emulator, and the safety guarantees: it names its
subscription and region, asks first, always deletes its own resource group (after a failure,
after Ctrl-C) and never touches anything it did not create."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from flexvmss.cli import conformance as command, flexvmss
from flexvmss.cli.conformance import core
from flexvmss.emulator import Emulator, FaultRule
from flexvmss.testing import scan_path

LOCATION = "eastus"
#: A resource group that exists before every run, with a VNet in it: no run may touch it.
KEEP = "keep-rg"


@pytest.fixture(scope="module")
def azure() -> Iterator[Any]:
    """The emulator that stands in for Azure (its own, apart from the fresh one the report
    replays on)."""
    with Emulator(time_scale=0.002) as emu:
        yield emu


@pytest.fixture
def stand_in(azure: Any) -> Any:
    return prepare(azure)


def prepare(azure: Any) -> Any:
    """The stand-in, reset, with a group that is not the run's."""
    azure.reset()
    azure.clear_faults()
    clients = azure.clients()
    clients.resource.resource_groups.create_or_update(
        KEEP, {"location": LOCATION, "tags": {"owner": "someone"}}
    )
    clients.network.virtual_networks.begin_create_or_update(
        KEEP,
        "their-vnet",
        {"location": LOCATION, "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}},
    ).result()
    clients.close()
    return azure


def invoke(emu: Any, *args: str, env: dict[str, str] | None = None, endpoint: bool = True) -> Result:
    base = (
        # --time-scale: the stand-in's clock, so the run's own waits pass as fast as its seconds
        [
            *("--base-url", emu.base_url, "--ca-file", emu.ca_file, "--credential", "emulator"),
            *("--time-scale", str(emu.time_scale)),
        ]
        if endpoint
        else []
    )
    return CliRunner().invoke(
        flexvmss,
        [*base, *args],
        env={"COLUMNS": "200", "NO_COLOR": "1", "AZURE_SUBSCRIPTION_ID": "", **(env or {})},
        catch_exceptions=False,
    )


def run_args(emu: Any, folder: Path, *extra: str) -> list[str]:
    return [
        "conformance",
        "--subscription",
        emu.subscription_id,
        "--location",
        LOCATION,
        "--report-dir",
        str(folder),
        *extra,
    ]


def groups(emu: Any) -> set[str]:
    clients = emu.clients()
    try:
        return {g.name for g in clients.resource.resource_groups.list()}
    finally:
        clients.close()


def untouched(emu: Any) -> None:
    """The pre-existing group and its VNet are there, as they were."""
    clients = emu.clients()
    try:
        group = clients.resource.resource_groups.get(KEEP)
        assert group.tags == {"owner": "someone"}
        assert clients.network.virtual_networks.get(KEEP, "their-vnet").name == "their-vnet"
    finally:
        clients.close()


def run_groups(emu: Any) -> set[str]:
    return {g for g in groups(emu) if g.startswith(core.RG_PREFIX)}


# --------------------------------------------------------------------------- the whole run


@pytest.fixture(scope="module")
def full_run(azure: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path, Any]:
    folder = tmp_path_factory.mktemp("conformance")
    emu = prepare(azure)
    result = invoke(emu, *run_args(emu, folder), "--yes")
    return result, folder, emu


def test_the_whole_run_against_an_emulator_reports_zero_differences(
    full_run: tuple[Result, Path, Any],
) -> None:
    result, folder, _ = full_run
    assert result.exit_code == 0, result.output
    report = json.loads((folder / "report.json").read_text())
    assert report["format"] == "flexvmss-conformance-report/1"
    assert report["summary"]["differences"] == 0, [r for r in report["results"] if r["differences"]]
    assert report["summary"]["not_compared"] == 0
    assert report["summary"]["compared"] >= 60
    assert [s["step"] for s in report["steps"]] == list(core.STEPS)
    assert all(s["requests"] > 0 for s in report["steps"]), report["steps"]
    assert report["meta"]["outcome"] == "completed"
    assert report["meta"]["location"] == LOCATION
    assert (
        "None: the emulator answered every compared request as Azure did."
        in (folder / "report.md").read_text()
    )


def test_the_run_prints_its_plan_and_cost_before_it_creates_anything(
    full_run: tuple[Result, Path, Any],
) -> None:
    result, _, _ = full_run
    out = result.output
    plan_at = out.index("VM size: ")
    assert plan_at < out.index("[1/11] resource-group")
    assert "2 VMs" in out[: plan_at + 400]
    for piece in (
        "NAT gateway",
        "public IP (Standard)",
        "Flex scale set",
        "Rough cost: about $",
        "Retail Prices API",
    ):
        assert piece in out[: out.index("[1/11]")], piece


def test_the_refusals_were_refused_and_cost_nothing(full_run: tuple[Result, Path, Any]) -> None:
    _, folder, _ = full_run
    report = json.loads((folder / "report.json").read_text())
    refusals = [r for r in report["results"] if r["step"] == "refusals"]
    assert [(r["method"], r["azure_status"]) for r in refusals] == [
        ("PUT", 400),
        ("GET", 404),
        ("PATCH", 412),
    ]


def test_the_run_deletes_its_group_and_touches_nothing_else(full_run: tuple[Result, Path, Any]) -> None:
    result, folder, emu = full_run
    assert run_groups(emu) == set()
    untouched(emu)
    results = json.loads((folder / "report.json").read_text())["results"]
    writes = [r for r in results if r["method"] in ("PUT", "PATCH", "POST", "DELETE")]
    assert writes and all(f"/{core.RG_PREFIX}" in r["path"].lower() for r in writes)
    elsewhere = {r["path"].split("/")[3] for r in results if f"/{core.RG_PREFIX}" not in r["path"].lower()}
    assert elsewhere <= {"providers", "operationresults"}  # SKUs and operation status: reads
    assert "is deleted" in result.output


def test_the_recording_holds_no_secret(full_run: tuple[Result, Path, Any]) -> None:
    _, folder, emu = full_run
    findings, files = scan_path(folder)
    assert findings == [] and files == 3  # recording.yaml, steps.json, report.json
    text = (folder / "recording.yaml").read_text()
    assert emu.subscription_id not in text and "127.0.0.1" not in text


def test_the_recording_can_be_compared_again_without_azure(
    full_run: tuple[Result, Path, Any], tmp_path: Path
) -> None:
    _, folder, emu = full_run
    copy = tmp_path / "recording.yaml"
    copy.write_text((folder / "recording.yaml").read_text())
    (tmp_path / "steps.json").write_text((folder / "steps.json").read_text())
    before = groups(emu)
    result = invoke(emu, "-o", "json", "conformance", "--from-recording", str(copy), endpoint=False)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["differences"] == 0
    assert groups(emu) == before


# --------------------------------------------------------------------------- it always cleans up


def test_a_failure_mid_run_still_deletes_the_group_and_only_it(stand_in: Any, tmp_path: Path) -> None:
    stand_in.add_fault(FaultRule(kind="status", status=409, method="POST", path="/restart$", code="Conflict"))
    result = invoke(stand_in, *run_args(stand_in, tmp_path), "--yes")
    assert result.exit_code == 1, result.output
    assert "The run stopped: ConformanceError" in result.output
    assert run_groups(stand_in) == set()
    untouched(stand_in)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["meta"]["outcome"] == "failed: ConformanceError"
    steps = [s["step"] for s in report["steps"]]
    assert steps[-1] == "cleanup" and "teardown" not in steps


def test_ctrl_c_mid_run_still_deletes_the_group_and_only_it(
    stand_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = command._Reporter.step

    def step_then_ctrl_c(self: Any, number: int, total: int, title: str) -> None:
        step(self, number, total, title)
        if title == "add-vm":  # the sets exist, one with a VM: a real Ctrl-C, delivered to the process
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(command._Reporter, "step", step_then_ctrl_c)
    result = invoke(stand_in, *run_args(stand_in, tmp_path), "--yes")
    assert result.exit_code == 130, result.output
    assert "Ctrl-C: stopping the run" in result.output
    assert "is deleted" in result.output
    assert run_groups(stand_in) == set()
    untouched(stand_in)
    assert (tmp_path / "recording.yaml").exists()
    assert "--from-recording" in result.output
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_third_ctrl_c_abandons_the_cleanup_and_names_the_group(
    stand_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = command._Reporter.step

    def presses(self: Any, number: int, total: int, title: str) -> None:
        step(self, number, total, title)
        if title == "add-vm":
            signal.raise_signal(signal.SIGINT)
        if title == "cleanup":  # the second and third, while the group is being deleted
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(command._Reporter, "step", presses)
    result = invoke(stand_in, *run_args(stand_in, tmp_path), "--yes")
    assert result.exit_code == 130, result.output
    assert "Ctrl-C once more leaves it behind" in result.output
    left = run_groups(stand_in)
    assert len(left) == 1 and f"Resource group {left.pop()} (its deletion was abandoned" in result.output
    untouched(stand_in)


def test_a_group_of_the_same_name_is_neither_used_nor_deleted(
    stand_in: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "new_run_id", lambda: "0badc0de")
    clients = stand_in.clients()
    clients.resource.resource_groups.create_or_update(f"{core.RG_PREFIX}0badc0de", {"location": LOCATION})
    clients.close()
    result = invoke(stand_in, *run_args(stand_in, tmp_path), "--yes")
    assert result.exit_code == 1, result.output
    assert "already exists: it is not this run's" in result.output
    assert run_groups(stand_in) == {f"{core.RG_PREFIX}0badc0de"}
    untouched(stand_in)


async def test_the_group_is_deleted_only_when_it_carries_this_runs_tag(stand_in: Any) -> None:
    from flexvmss.cli._stock import StockClients
    from flexvmss.cli.conformance.core import RunPlan, Sandbox, SizeChoice

    plan = RunPlan(stand_in.subscription_id, LOCATION, SizeChoice("Standard_B1s", 1, 1.0, None, "test"))
    clients = stand_in.clients()
    clients.resource.resource_groups.create_or_update(
        plan.resource_group, {"location": LOCATION, "tags": {core.RUN_TAG: "another-run"}}
    )
    clients.close()
    stock = StockClients(
        stand_in.subscription_id,
        stand_in.async_credential,
        base_url=stand_in.base_url,
        connection_verify=stand_in.ca_file,
    )
    sandbox = Sandbox(stock, plan)
    sandbox.attempted = True  # as if this run had sent the create
    try:
        with pytest.raises(core.NotOursError, match="does not carry"):
            await sandbox.delete()
    finally:
        await stock.close()
    assert plan.resource_group in groups(stand_in)


# --------------------------------------------------------------------------- it refuses


@pytest.mark.parametrize(
    "args, said",
    [
        (("conformance", "--location", LOCATION, "--yes"), "name the subscription with --subscription"),
        (("conformance", "--subscription", "", "--location", LOCATION, "--yes"), "--subscription"),
        (("conformance", "--subscription", "SUB", "--yes"), "needs --location REGION"),
    ],
)
def test_it_refuses_without_an_explicit_subscription_and_location(
    stand_in: Any, args: tuple[str, ...], said: str
) -> None:
    args = tuple(stand_in.subscription_id if a == "SUB" else a for a in args)
    # the environment names a subscription: a run that spends money does not take it from there
    result = invoke(stand_in, *args, env={"AZURE_SUBSCRIPTION_ID": stand_in.subscription_id})
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert run_groups(stand_in) == set()


def test_it_refuses_without_a_terminal_to_confirm_and_creates_nothing(stand_in: Any, tmp_path: Path) -> None:
    before = groups(stand_in)
    result = invoke(stand_in, *run_args(stand_in, tmp_path))
    assert result.exit_code == 1, result.output
    assert "Refusing to create Azure resources without confirmation" in result.output
    assert "--yes" in result.output
    assert "Rough cost" in result.output  # the plan was shown first
    assert groups(stand_in) == before
    assert not (tmp_path / "recording.yaml").exists()


def test_a_subscription_typed_before_the_command_counts_as_explicit(stand_in: Any, tmp_path: Path) -> None:
    result = invoke(
        stand_in,
        "--subscription",
        stand_in.subscription_id,
        "conformance",
        "--location",
        LOCATION,
        "--report-dir",
        str(tmp_path),
    )
    assert result.exit_code == 1, result.output  # it got as far as asking
    assert "Refusing to create Azure resources without confirmation" in result.output


def test_from_recording_takes_no_subscription(stand_in: Any, tmp_path: Path) -> None:
    recording = tmp_path / "recording.yaml"
    recording.write_text("interactions: []\nversion: 1\n")
    result = invoke(stand_in, "conformance", "--from-recording", str(recording), "--subscription", "x")
    assert result.exit_code == 2
    assert "takes no --subscription" in result.output
