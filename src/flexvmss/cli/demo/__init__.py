"""``flexvmss demo``: the whole Flex lifecycle against an embedded emulator (or Azure)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["RichReporter", "demo"]


class RichReporter:
    """Renders the demo's steps, tables and progress bars on the terminal (stderr)."""

    def __init__(self, app: Application) -> None:
        self.app = app

    def step(self, number: int, title: str) -> None:
        self.app.output("")
        self.app.display_step(f"[{number}/9] {title}")

    def info(self, text: str) -> None:
        self.app.display_info(f"  {text}")

    def success(self, text: str) -> None:
        self.app.display_success(f"  {text}")

    def table(
        self, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
    ) -> None:
        self.app.display_diagnostic_table(self.app.table(columns, rows, title=title))

    def progress(self, label: str, total: int) -> contextlib.AbstractContextManager[Callable[[Any], None]]:
        return self.app.batch_progress(f"  {label}", total)


@click.command(short_help="Run the whole Flex lifecycle against an embedded emulator.")
@click.option(
    "--vms",
    type=click.IntRange(min=2, max=1000),
    default=20,
    show_default=True,
    help="VMs created from the profile (5 more are attached).",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=0.01,
    show_default=True,
    help="Real seconds per emulated second: 0.01 runs emulated time 100 times faster; smaller is "
    "faster (emulator only).",
)
@click.option("--location", default="eastus", show_default=True, help="Azure region.")
@click.option(
    "--against-azure",
    is_flag=True,
    help="Run against a real subscription (AZURE_SUBSCRIPTION_ID, DefaultAzureCredential). Costs money.",
)
@click.pass_obj
def demo(app: Application, /, *, vms: int, time_scale: float, location: str, against_azure: bool) -> None:
    """Run the Flex lifecycle end to end with visible progress.

    Checks a bad spec locally (refused, nothing sent); creates a resource group, a virtual
    network and a NAT gateway; creates a zonal Flex scale set with --vms VMs; attaches 5
    heterogeneous VMs (one Spot); lists them; deallocates all under the Azure throttling
    model; starts half; tears everything down in order and proves nothing is left; prints
    requests by class, 429s and time. Without --against-azure it needs no Azure account.
    """
    from flexvmss.cli.demo.core import DemoConfig, DemoTarget, run_demo

    config = DemoConfig(vms=vms, location=location)
    if against_azure:
        subscription = app.settings.subscription_id or os.environ.get("AZURE_SUBSCRIPTION_ID")
        if not subscription:
            app.abort("--against-azure needs --subscription or AZURE_SUBSCRIPTION_ID.", code=2)
        app.confirm(
            f"Create {vms + len(config.extra_vms)} VMs and a network in subscription {subscription} "
            f"({location}, resource group {config.resource_group}), then delete them? This costs money.",
            assume_yes=app.assume_yes,
            refusal="Refusing to create real Azure resources without confirmation.",
        )
        from flexvmss.cli._app import make_credential

        target = DemoTarget(subscription_id=subscription, credential=make_credential(app.settings.credential))
        asyncio.run(run_demo(target, RichReporter(app), config))
        return

    from flexvmss.emulator import Emulator

    app.display_info(f"Starting the embedded Azure Resource Manager emulator (time scale {time_scale}) ...")
    with Emulator(time_scale=time_scale) as emu:
        app.display_info(f"  listening on {emu.base_url}")
        target = DemoTarget(
            subscription_id=emu.subscription_id,
            credential=emu.async_credential,
            base_url=emu.base_url,
            connection_verify=emu.ca_file,
            admin=emu,
            time_scale=time_scale,
        )
        summary = asyncio.run(run_demo(target, RichReporter(app), config))
    if summary.failed or summary.leftovers:
        app.abort(
            f"The demo finished with {len(summary.failed)} failed VM(s)"
            f" and {len(summary.leftovers)} leftover(s)."
        )
    app.display_success("Demo complete: every step succeeded and nothing was left behind.")
