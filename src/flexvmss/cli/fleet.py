"""``flexvmss fleet <op>``: one operation over many scale sets of the subscription at once.

The sets are every Flexible set of ``--resource-group`` (the global option), those carrying
``--tag key=value``, or the ``--set`` list; all of them share one throttling budget for the
subscription and progress together (see :class:`flexvmss.aio.Fleet`). A table gives one line per
set; the exit code is 3 when any VM failed or any set could not be operated on.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import click

from flexvmss.cli._render import batch_to_dict, failure_rows
from flexvmss.cli.ops import EXIT_INTERRUPTED, EXIT_VMS_FAILED

if TYPE_CHECKING:
    from flexvmss import FleetResult
    from flexvmss.cli._app import Application

__all__ = ["fleet"]

_OPERATIONS = {"start": "start", "deallocate": "deallocate", "delete-vms": "delete_vms"}


@click.command("fleet", short_help="Start, deallocate or delete the VMs of many scale sets at once.")
@click.argument("operation", type=click.Choice(sorted(_OPERATIONS)))
@click.option("--tag", metavar="KEY=VALUE", help="The sets carrying this tag (in --resource-group if given).")
@click.option(
    "--set", "sets", metavar="NAME[,NAME...]", help="These sets (NAME in --resource-group, or GROUP/NAME)."
)
@click.option(
    "--backend",
    type=click.Choice(["auto", "scheduled", "per_vm"]),
    default="per_vm",
    show_default=True,
    help="per_vm: one request per VM; scheduled: Azure's ScheduledActions; auto: ScheduledActions for "
    "large sets, per VM where it is unavailable.",
)
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight across all the sets.")
@click.option("--deadline", type=click.FloatRange(min=0, min_open=True), help="Give up after SECONDS.")
@click.option("--checkpoint", metavar="DIR", help="Record each set's progress in DIR; run again to resume.")
@click.pass_obj
def fleet(
    app: Application,
    /,
    *,
    operation: str,
    tag: str | None,
    sets: str | None,
    backend: str,
    concurrency: int | None,
    deadline: float | None,
    checkpoint: str | None,
) -> None:
    """Run OPERATION (start, deallocate, delete-vms) on every VM of many scale sets: every
    Flexible set of --resource-group, the sets with --tag, or the --set list. delete-vms asks
    for confirmation unless --yes."""
    from flexvmss import Interrupted

    if tag and sets:
        raise click.UsageError("--tag and --set exclude each other.")
    if not (tag or sets or app.settings.resource_group):
        raise click.UsageError("Select the sets: --resource-group, --tag or --set.")
    made = app.fleet(tag=tag, sets=[s for s in sets.split(",") if s] if sets else None)
    if operation == "delete-vms":
        chosen = made.scale_sets()
        app.confirm(
            f"delete every VM of {len(chosen)} scale sets ({', '.join(chosen)})?",
            assume_yes=app.assume_yes,
            refusal=f"Refusing to delete the VMs of {len(chosen)} scale sets without confirmation.",
        )
    kwargs: dict[str, Any] = {"backend": backend, "concurrency": concurrency, "deadline": deadline}
    if checkpoint:
        kwargs["checkpoint"] = checkpoint
    lock = threading.Lock()
    counts = {"done": 0, "failed": 0}

    def on_event(event: Any) -> None:
        if event.kind in counts:
            with lock:
                counts[event.kind] += 1
            app.display_debug(f"{event.vm}: {event.kind}")

    try:
        result = getattr(made, _OPERATIONS[operation])(on_event=on_event, **kwargs)
    except Interrupted:
        app.display_warning(f"Interrupted: {counts['done']} VMs done, {counts['failed']} failed so far.")
        raise SystemExit(EXIT_INTERRUPTED) from None
    _report(app, result, operation)


def _report(app: Application, result: FleetResult, operation: str) -> None:
    if app.json_output:
        app.display_json(
            {
                "operation": operation,
                "ok": result.ok,
                "sets": {
                    key: batch_to_dict(batch, operation=operation) for key, batch in result.sets.items()
                },
                "errors": {key: str(error) for key, error in result.errors.items()},
            }
        )
    rows: list[tuple[Any, ...]] = [
        (key, len(b.succeeded), len(b.failed), len(b.not_started) + len(b.cancelled), b.total_requests)
        for key, b in result.sets.items()
    ]
    rows += [(key, "-", "-", "-", f"error: {error}") for key, error in result.errors.items()]
    table = app.table(("set", "succeeded", "failed", "not done", "requests"), rows, title=operation)
    if app.json_output:
        app.display_diagnostic_table(table)  # stderr: stdout holds the JSON alone
    else:
        app.display_table(table)
    failures = [(f"{key}/{row[0]}", *row[1:]) for key, b in result.sets.items() for row in failure_rows(b)]
    if failures:
        app.display_diagnostic_table(
            app.table(("vm", "outcome", "code", "message"), failures, title="Failures")
        )
    if not result.ok:
        app.display_error(result.summary())
        raise SystemExit(EXIT_VMS_FAILED)
    app.display_success(result.summary())
