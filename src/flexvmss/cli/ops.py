"""Per-VM operations on a whole scale set, a list of VMs or a filter: one command per row of
:data:`flexvmss._actions.PER_VM_ACTIONS` (``start``, ``stop``, ``deallocate``, ``restart``,
``redeploy``, ``reimage``, ``perform-maintenance``, ``simulate-eviction``, ``delete-vms``).

Each shows a live progress bar fed by the library's progress events, then a table of the VMs
that failed with Azure's code and message. The exit code is 3 when any VM failed, so scripts
can tell a partial failure from success (0), an error (1) and a usage error (2).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from flexvmss._actions import PER_VM_ACTIONS, VmAction
from flexvmss.cli._options import parse_names, parse_where
from flexvmss.cli._render import batch_to_dict, failure_rows

if TYPE_CHECKING:
    from flexvmss import BatchResult
    from flexvmss.cli._app import Application

__all__ = ["EXIT_INTERRUPTED", "EXIT_VMS_FAILED", "OPERATION_COMMANDS", "report_batch", "run_batch"]

#: Exit code when a batch operation finished but some VMs failed.
EXIT_VMS_FAILED = 3
#: Exit code after Ctrl-C (128 + SIGINT, as shells report it); a batch reports its partial
#: result first.
EXIT_INTERRUPTED = 130


def run_batch(
    app: Application,
    *,
    set_name: str,
    label: str,
    call: Callable[[Callable[[Any], None]], Any],
    operation: str,
) -> Any:
    """Run ``call(on_event)`` under a progress bar and report its BatchResult.

    Exits with :data:`EXIT_VMS_FAILED` after the failure table when any VM failed. On
    Ctrl-C the library stops issuing requests; the partial result is reported and the exit
    code is :data:`EXIT_INTERRUPTED`.
    """
    from flexvmss import Interrupted

    interrupted = False
    with app.batch_progress(f"{label} {set_name}") as on_event:
        try:
            batch = call(on_event)
        except Interrupted as exc:
            if exc.result is None:
                raise
            batch, interrupted = exc.result, True
    if not interrupted:
        report_batch(app, batch, operation=operation)
        return batch
    app.display_warning(f"Interrupted: no new {operation} requests were sent; what was done so far:")
    # VMs left undone by Ctrl-C are not a failure to exit 3 for: the exit code says Ctrl-C
    with contextlib.suppress(SystemExit):
        report_batch(app, batch, operation=operation)
    raise SystemExit(EXIT_INTERRUPTED)


def report_batch(app: Application, batch: BatchResult, *, operation: str) -> None:
    """Summary line, the failure table (stderr), JSON on stdout if asked, exit 3 unless every
    VM succeeded or was skipped."""
    if app.json_output:
        app.display_json(batch_to_dict(batch, operation=operation))
    counts = [
        f"{len(names)} {label}"
        for label, names in (
            ("skipped", batch.skipped),
            ("not started", batch.not_started),
            ("cancelled", batch.cancelled),
        )
        if names
    ]
    summary = (
        f"{operation}: {len(batch.succeeded)} succeeded, {len(batch.failed)} failed"
        + "".join(f", {c}" for c in counts)
        + f"; {batch.total_requests} requests, {batch.throttled} throttled, {batch.duration:.1f} s"
    )
    rows = failure_rows(batch)
    if rows:
        app.display_diagnostic_table(app.table(("vm", "outcome", "code", "message"), rows, title="Failures"))
    if not batch.ok:
        app.display_error(summary)
        raise SystemExit(EXIT_VMS_FAILED)
    app.display_success(summary)


def _backend_options(action: VmAction) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--backend`` and ``--checkpoint`` for the actions ScheduledActions runs too."""

    def add(command: Callable[..., Any]) -> Callable[..., Any]:
        if not action.scheduled:
            return command
        command = click.option(
            "--checkpoint",
            metavar="PATH",
            help="Record progress in this JSON file; run again with it to resume without re-sending.",
        )(command)
        return click.option(
            "--backend",
            type=click.Choice(["auto", "scheduled", "per_vm"]),
            help="per_vm (default): one request per VM; scheduled: Azure's ScheduledActions, 100 VMs "
            "per request; auto: ScheduledActions for large batches, per VM where it is unavailable.",
        )(command)

    return add


def _make_command(action: VmAction) -> click.Command:
    @click.command(action.command, short_help=action.help)
    @click.argument("name")
    @click.option("--names", metavar="VM[,VM...]", help="Only these VMs (comma-separated).")
    @click.option("--where", metavar="FILTER", help='Only VMs matching, e.g. "power_state=running,zone=1".')
    @click.option("--concurrency", type=click.IntRange(min=1), help="At most this many requests in flight.")
    @click.option("--deadline", type=click.FloatRange(min=0, min_open=True), help="Give up after SECONDS.")
    @_backend_options(action)
    @click.pass_obj
    def command(
        app: Application,
        /,
        *,
        name: str,
        names: str | None,
        where: str | None,
        concurrency: int | None,
        deadline: float | None,
        **flags: bool,
    ) -> None:
        vm_names = parse_names(names)
        predicate = parse_where(where)
        if vm_names and predicate:
            raise click.UsageError("--names and --where exclude each other.")
        if action.destructive:
            scope = (
                f"VMs {', '.join(vm_names)}"
                if vm_names
                else (f'VMs matching "{where}"' if where else "every VM")
            )
            app.confirm(
                f"{action.command} {scope} of scale set {name}?",
                assume_yes=app.assume_yes,
                refusal=f"Refusing to {action.command} {scope} of scale set {name} without confirmation.",
            )
        ss = app.scale_set(name)
        kwargs: dict[str, Any] = {"names": vm_names, **{k: v for k, v in flags.items() if v}}
        if predicate is not None:
            kwargs["where"] = predicate
        if concurrency is not None:
            kwargs["concurrency"] = concurrency
        if deadline is not None:
            kwargs["deadline"] = deadline
        for key in ("backend", "checkpoint"):
            if kwargs.get(key) is None:
                kwargs.pop(key, None)
        method = getattr(ss, action.method)
        run_batch(
            app,
            set_name=name,
            label=action.verb,
            call=lambda on_event: method(**kwargs, on_event=on_event),
            operation=action.command,
        )

    for flag in action.flags:
        command = click.option(flag.option, flag.name, is_flag=True, help=flag.help)(command)
    command.help = (
        f"{action.help}\n\nActs on every VM of scale set NAME, or on --names, or on VMs matching --where."
    )
    if action.destructive:
        command.help += " Asks for confirmation unless --yes."
    return command


OPERATION_COMMANDS: tuple[click.Command, ...] = tuple(_make_command(action) for action in PER_VM_ACTIONS)
