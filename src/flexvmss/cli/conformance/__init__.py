"""``flexvmss conformance``: how closely the emulator answers as Azure does, measured on your own
subscription (a small, cheap lifecycle in a throwaway resource group, recorded, replayed on a fresh
emulator, and compared)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

if TYPE_CHECKING:
    from flexvmss.cli._app import Application
    from flexvmss.cli.conformance.core import Run, RunPlan

__all__ = ["conformance"]

EXIT_INTERRUPTED = 130


class _Reporter:
    """The run's progress on the terminal (stderr)."""

    def __init__(self, app: Application) -> None:
        self.app = app

    def step(self, number: int, total: int, title: str) -> None:
        self.app.display_step(f"[{number}/{total}] {title}")

    def info(self, text: str) -> None:
        self.app.display_info(text)

    def warning(self, text: str) -> None:
        self.app.display_warning(text)


def _explicit_subscription(ctx: click.Context, given: str | None) -> str | None:
    """``--subscription`` as typed on this command, or before it (``flexvmss --subscription S
    conformance``); never AZURE_SUBSCRIPTION_ID: a run that spends money names its subscription."""
    if given and given.strip():
        return given.strip()
    parent = ctx.parent
    if parent is not None and parent.get_parameter_source("subscription_id") is ParameterSource.COMMANDLINE:
        value = str(parent.params.get("subscription_id") or "").strip()
        return value or None
    return None


@click.command(short_help="Compare the emulator with Azure on your subscription (creates, then deletes).")
@click.option(
    "--subscription",
    "subscription",
    metavar="ID",
    help="The subscription to run in. Required, and never taken from AZURE_SUBSCRIPTION_ID.",
)
@click.option(
    "--location",
    "-l",
    metavar="REGION",
    help="The region to run in, e.g. eastus. Required; there is no default.",
)
@click.option(
    "--vm-size",
    metavar="SIZE",
    help="VM size to use instead of the cheapest one the Flex rules accept in the region.",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the recording and the report go (default: ./flexvmss-conformance-<run id>).",
)
@click.option(
    "--from-recording",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Compare an earlier run's recording.yaml with the emulator again; touches no Azure resource.",
)
@click.pass_context
def conformance(
    ctx: click.Context,
    /,
    *,
    subscription: str | None,
    location: str | None,
    vm_size: str | None,
    report_dir: Path | None,
    from_recording: Path | None,
) -> None:
    """Run a small Flex lifecycle on real Azure and report where the emulator answers differently.

    In a throwaway resource group (flexvmss-conformance-<random id>, everything tagged with the run
    id): a NAT gateway network, a Flex set without a VM profile and one with a profile of the
    cheapest VM size the Flex rules accept in the region (2 VMs in all), one VM attached, lists,
    deallocate / start / restart, three refusals that create nothing, an ordered teardown and the
    group's deletion. First it prints the sizes, the resources and a rough cost estimate, and asks
    (without a terminal it refuses unless --yes). The resource group is deleted whatever happens
    (a failure, Ctrl-C), and only a group this run created and tagged.

    The traffic is recorded with secrets scrubbed (recording.yaml), replayed on a fresh emulator,
    and compared: status, long-running-operation headers, body shapes (key sets and JSON types)
    and error codes. report.md and report.json are ready to attach to an issue.
    """
    app: Application = ctx.obj
    if from_recording is not None:
        if subscription or location or vm_size:
            app.abort(
                "--from-recording compares a recording: it takes no --subscription, --location or --vm-size.",
                code=2,
            )
        _report(
            app,
            from_recording,
            report_dir or from_recording.parent,
            steps_file=from_recording.with_name("steps.json"),
        )
        return
    chosen = _explicit_subscription(ctx, subscription)
    if not chosen:
        app.abort(
            "flexvmss conformance creates (and then deletes) resources: name the subscription with "
            "--subscription ID. AZURE_SUBSCRIPTION_ID is not used for this command.",
            code=2,
        )
    if not location or not location.strip():
        app.abort("flexvmss conformance needs --location REGION (e.g. eastus); there is no default.", code=2)
    plan = _plan(app, chosen, location.strip(), vm_size)
    _show_plan(app, plan)
    app.confirm(
        f"Create these resources in subscription {plan.subscription_id} ({plan.location}), then delete "
        f"resource group {plan.resource_group}? This costs money.",
        assume_yes=app.assume_yes,
        refusal="Refusing to create Azure resources without confirmation.",
    )
    folder = report_dir or Path.cwd() / f"flexvmss-conformance-{plan.run_id}"
    run = _run(app, plan, folder)
    _report(app, run.recording, folder, run=run)
    if run.left_behind:
        app.abort(
            f"Resource group {run.left_behind} may be left behind: check it and delete it "
            f"(az group delete --name {plan.resource_group})."
        )


# --------------------------------------------------------------------------- pieces


def _endpoint(app: Application) -> tuple[str | None, str | bool | None, Any]:
    """Where the run goes: ``--emulator``'s embedded emulator, ``--base-url`` (or
    FLEXVMSS_BASE_URL), or Azure; with the ``--credential`` asked for (None: flexvmss's rule)."""
    from flexvmss.cli._app import make_credential

    settings = app.settings
    if settings.use_emulator:
        if settings.base_url:
            app.abort("--emulator and --base-url exclude each other: pick one endpoint.", code=2)
        emu = app.embedded_emulator()
        return emu.base_url, emu.ca_file, emu.async_credential
    verify: str | bool | None = settings.ca_file or None
    return settings.base_url, verify, make_credential(settings.credential)


def _target_factory(app: Application, subscription_id: str) -> Any:
    """A function making the run's :class:`flexvmss.testing.Target` (one per event loop: async
    credentials belong to the loop that used them)."""
    from flexvmss.testing import Target

    def make() -> Target:
        base_url, verify, credential = _endpoint(app)
        return Target.live(
            subscription_id, base_url=base_url, credential=credential, connection_verify=verify
        )

    return make


def _plan(app: Application, subscription_id: str, location: str, vm_size: str | None) -> RunPlan:
    """Read the region's SKU catalog (nothing is created) and choose the size."""
    from flexvmss import FlexError
    from flexvmss.aio import sku_catalog
    from flexvmss.cli.conformance.core import ConformanceError, RunPlan, SizeChoice, choose_size
    from flexvmss.cli.conformance.prices import price_table
    from flexvmss.cli.skus import size_refusals

    base_url, verify, credential = _endpoint(app)

    async def read() -> Any:
        try:
            return await sku_catalog(
                subscription_id, location, credential=credential, base_url=base_url, connection_verify=verify
            )
        finally:
            close = getattr(credential, "close", None)
            if close is not None:
                await close()

    try:
        catalog = asyncio.run(read())
    except FlexError as exc:
        app.abort(f"Could not read the VM sizes of {location}: {exc}")
    prices = price_table()

    def accepted(name: str) -> bool:
        return not size_refusals(catalog, location, name)

    if vm_size:
        size = catalog.vm_size(vm_size)
        refusals = size_refusals(catalog, location, vm_size)
        if size is None or refusals:
            why = "; ".join(f"{f.rule_id}: {f.message}" for f in refusals) or "not in the region's catalog"
            app.abort(f"--vm-size {vm_size} cannot be used in {location}: {why}", code=2)
        choice = SizeChoice(
            size.name, size.vcpus, size.memory_gb, prices.price(location, size.name), "chosen with --vm-size"
        )
    else:
        try:
            choice = choose_size(catalog, location, prices, accepted)
        except ConformanceError as exc:
            app.abort(str(exc))
    return RunPlan(subscription_id=subscription_id, location=location, size=choice)


def _show_plan(app: Application, plan: RunPlan) -> None:
    from flexvmss.cli.conformance.prices import estimate

    base_url, _, _ = _endpoint(app)
    size = plan.size
    price = f"${size.price_per_hour:.4f}/h" if size.price_per_hour is not None else "price unknown"
    app.display_step(f"flexvmss conformance: run {plan.run_id} in {plan.location}")
    app.display_info(f"endpoint: {base_url or 'Azure (https://management.azure.com)'}")
    app.display_info(
        f"VM size: {size.name} ({size.vcpus} vCPU, {size.memory_gb} GB, {price}): {size.why}; "
        f"{plan.vm_count} VMs"
    )
    app.display_diagnostic_table(
        app.table(
            ("creates", "name", "notes"), plan.resources(), title=f"in resource group {plan.resource_group}"
        )
    )
    lines = estimate(plan.location, size.name, plan.vm_count)
    rows = [
        (line.what, line.count, "?" if line.per_hour is None else f"{line.per_hour:.4f}", line.source)
        for line in lines
    ]
    app.display_diagnostic_table(
        app.table(("cost", "count", "USD/hour each", "source"), rows, title="estimate")
    )
    known = sum(line.total or 0.0 for line in lines)
    unknown = " (VM price unknown: left out)" if any(line.per_hour is None for line in lines) else ""
    app.display_info(
        f"Rough cost: about ${known:.2f} if everything existed for a whole hour{unknown}; a run takes "
        "about 15-30 minutes on Azure. Your own prices (agreements, credits, currency) differ."
    )


def _run(app: Application, plan: RunPlan, folder: Path) -> Run:
    from flexvmss.cli.conformance.core import Run, execute, write_steps

    run = Run(
        plan=plan,
        target_factory=_target_factory(app, plan.subscription_id),
        recording=folder / "recording.yaml",
        reporter=_Reporter(app),
        time_scale=app.time_scale(),
    )
    try:
        execute(run)
    except KeyboardInterrupt:
        write_steps(run, folder / "steps.json")
        _say_cleanup(app, run)
        app.display_warning(
            f"Interrupted: the recording so far is {run.recording}; "
            f"`flexvmss conformance --from-recording {run.recording}` reports on it."
        )
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        write_steps(run, folder / "steps.json")
        _say_cleanup(app, run)
        if not run.recording.exists():
            raise
        app.display_error(f"The run stopped: {type(exc).__name__}: {exc}")
        _report(app, run.recording, folder, run=run)
        raise SystemExit(1) from None
    write_steps(run, folder / "steps.json")
    _say_cleanup(app, run)
    return run


def _say_cleanup(app: Application, run: Run) -> None:
    sandbox = run.sandbox
    if run.left_behind:
        app.display_error(f"Resource group {run.left_behind} could not be deleted: delete it yourself.")
    elif sandbox is not None and sandbox.attempted:
        app.display_success(f"Resource group {sandbox.name} is deleted.")
    for note in run.notes:
        app.display_warning(note)


def _report(
    app: Application,
    recording: Path,
    folder: Path,
    *,
    run: Run | None = None,
    steps_file: Path | None = None,
) -> None:
    """Replay ``recording`` on a fresh emulator, write report.md and report.json into ``folder``
    and show the summary (the JSON report on stdout with ``-o json``)."""
    import json

    from flexvmss import __version__
    from flexvmss.testing import RecordedStep, compare_with_emulator

    steps: list[RecordedStep] = []
    meta: dict[str, Any] = {"flexvmss": __version__}
    if run is not None:
        steps = [RecordedStep(n, s, e) for n, s, e in run.steps]
        base_url, _, _ = _endpoint(app)
        meta.update(
            recorded=run.started_at,
            location=run.plan.location,
            vm_size=run.plan.size.name,
            vms=run.plan.vm_count,
            endpoint="Azure" if not base_url else "a local endpoint (not Azure)",
            outcome=run.outcome,
        )
    elif steps_file is not None and steps_file.exists():
        steps = [RecordedStep(s["name"], s["start"], s["end"]) for s in json.loads(steps_file.read_text())]
    app.display_info(f"Replaying {recording.name} on a fresh emulator ...")
    report = compare_with_emulator(recording, steps=steps, meta=meta)
    md, js = report.write(folder)
    summary = report.summary()
    if app.json_output:
        app.display_json(report.to_json())
    else:
        rows = [(r["step"], r["requests"], r["compared"], r["differences"]) for r in report.by_step()]
        app.display_table(
            app.table(("step", "requests", "compared", "differences"), rows, title="conformance")
        )
    app.display_info(
        f"{summary['differences']} difference(s) in {summary['requests_with_differences']} of "
        f"{summary['compared']} compared request(s); {summary['not_compared']} not compared."
    )
    app.display_info(f"Report: {md} and {js} (attach them to an issue); recording: {recording}")
