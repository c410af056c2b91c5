"""The lifecycle demo completes against the emulator and leaves nothing behind."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from click.testing import CliRunner

from flexvmss.cli import flexvmss
from flexvmss.cli.demo.core import DemoConfig, DemoTarget, run_demo


class Collector:
    """A DemoReporter that keeps what it is told."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.lines: list[str] = []
        self.tables: dict[str, list[Sequence[Any]]] = {}
        self.events: list[Any] = []

    def step(self, number: int, title: str) -> None:
        self.steps.append(number)

    def info(self, text: str) -> None:
        self.lines.append(text)

    success = info

    def table(
        self, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
    ) -> None:
        self.tables[title or ""] = list(rows)

    @contextlib.contextmanager
    def progress(self, label: str, total: int) -> Iterator[Callable[[Any], None]]:
        yield self.events.append


async def test_the_demo_runs_every_step_and_leaves_nothing(cli_emulator: Any) -> None:
    emu = cli_emulator
    emu.reset()
    target = DemoTarget(
        subscription_id=emu.subscription_id,
        credential=emu.async_credential,
        base_url=emu.base_url,
        connection_verify=emu.ca_file,
        admin=emu,
        time_scale=0.002,
    )
    config = DemoConfig(vms=3)
    reporter = Collector()

    summary = await run_demo(target, reporter, config)

    assert reporter.steps == list(range(1, 10))
    assert summary.failed == []
    assert summary.leftovers == []
    assert summary.vm_count == 3 + len(config.extra_vms)
    assert summary.deallocated == summary.vm_count
    assert summary.started == summary.vm_count // 2
    refused = {f.field for f in summary.refused_findings if f.severity == "error"}
    assert {"capacity", "platform_fault_domain_count"} <= refused
    assert any("0 writes" in line for line in reporter.lines), reporter.lines
    assert any(e.kind == "done" for e in reporter.events)
    assert summary.requests.get("write", 0) > 0
    left = [
        r["id"]
        for r in emu.inventory()["resources"]
        if f"/resourcegroups/{config.resource_group}/" in r["id"].lower()
    ]
    assert left == []


def test_the_demo_command_completes_with_nothing_left() -> None:
    result = CliRunner().invoke(
        flexvmss,
        ["demo", "--vms", "2", "--time-scale", "0.002"],
        env={"COLUMNS": "200"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "[9/9] Summary" in result.stderr
    assert "nothing left" in result.stderr
    assert "Demo complete" in result.stderr


def test_the_demo_against_azure_refuses_without_confirmation() -> None:
    result = CliRunner().invoke(
        flexvmss,
        ["demo", "--against-azure"],
        env={"AZURE_SUBSCRIPTION_ID": "11111111-2222-3333-4444-555555555555"},
        input="y\n",
    )
    assert result.exit_code == 1
    assert "Refusing to create real Azure resources" in result.stderr
    assert "pass --yes" in result.stderr


async def test_the_demo_without_emulator_admin_proves_the_teardown_through_the_arm_api(
    cli_emulator: Any,
) -> None:
    """What --against-azure does: no admin API, so leftovers are listed through ARM and the
    summary counts the library's own requests."""
    emu = cli_emulator
    emu.reset()
    target = DemoTarget(
        subscription_id=emu.subscription_id,
        credential=emu.async_credential,
        base_url=emu.base_url,
        connection_verify=emu.ca_file,
    )
    summary = await run_demo(target, Collector(), DemoConfig(vms=2, extra_vms=()))

    assert summary.failed == []
    assert summary.leftovers == []
    assert summary.vm_count == 2
    assert summary.requests.get("write", 0) > 0
    assert summary.emulated_seconds is None
