"""``flexvmss audit``: what VMs of a scale set left behind when they were deleted, and its sweep."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flexvmss._scaleset import AuditResult, Leftover
    from flexvmss.cli._app import Application

__all__ = ["audit"]


def _row(item: Leftover) -> tuple[Any, ...]:
    return (item.kind, item.name, item.proof or "not proven", item.blocks_subnet or "", item.reason)


def _as_dict(item: Leftover) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "kind": item.kind,
        "proof": item.proof,
        "blocks_subnet": item.blocks_subnet,
        "reason": item.reason,
    }


def _to_json(result: AuditResult) -> dict[str, Any]:
    return {
        "name": result.scale_set,
        "leftovers": [_as_dict(item) for item in result.leftovers],
        "suspects": [_as_dict(item) for item in result.suspects],
        "marked": list(result.marked),
        "deleted": list(result.deleted),
        "failed": dict(result.failed),
    }


@click.command(short_help="Find (--sweep: delete) disks, NICs and public IPs a set's deleted VMs left.")
@click.argument("name")
@click.option(
    "--sweep", is_flag=True, help="Delete the leftovers proven to be the set's (asks first unless --yes)."
)
@click.option(
    "--mark",
    is_flag=True,
    help="First tag what each live VM would leave behind, so later deletions are found by tag.",
)
@click.pass_obj
def audit(app: Application, /, *, name: str, sweep: bool, mark: bool) -> None:
    """Find what VMs of scale set NAME left behind when someone deleted them.

    A VM deleted with deleteOption Detach (by Azure's autoscale, a Spot eviction, resilient
    delete, zone rebalancing, or a user) keeps its disks, NICs and public IPs; a NIC left in
    the subnet blocks the subnet's deletion (InUseSubnetCannotBeDeleted). A resource is the
    set's only when nothing references it any more and it carries the set's tag or is named
    as Azure names what the set's profile makes. Detached NICs on the set's subnets that are
    not proven the set's are listed as suspects and never deleted.

    With --sweep the leftovers are deleted after confirmation (--yes skips it): NICs first,
    then public IPs, then disks, and only those proven again at that moment.
    """
    ss = app.scale_set(name)
    with app.status(f"Auditing {name} ..."):
        result = ss.audit(mark=mark)
    sweepable = [item for item in result.leftovers if item.sweepable]
    if sweep and sweepable:
        if not app.json_output:
            _show(app, result)
        app.confirm(
            f"Delete {len(sweepable)} leftover resource(s) of {name}?",
            assume_yes=app.assume_yes,
            refusal=f"Refusing to delete the leftovers of {name} without confirmation.",
        )
        with app.status(f"Deleting {len(sweepable)} leftover resource(s) ..."):
            result = ss.sweep(result)
        if app.json_output:
            app.display_json(_to_json(result))
        else:
            for resource_id, error in result.failed.items():
                app.display_error(f"{resource_id.rsplit('/', 1)[-1]}: {error}")
            app.display_success(f"{name}: deleted {len(result.deleted)} leftover resource(s).")
        if result.failed:
            app.abort(f"{len(result.failed)} leftover resource(s) could not be deleted; run again.")
        return
    if app.json_output:
        app.display_json(_to_json(result))
        return
    _show(app, result)
    if result.marked:
        app.display_info(f"Tagged {len(result.marked)} resource(s) of live VMs for the set.")
    if result.clean:
        app.display_success(f"{name}: nothing left behind.")
    elif sweepable and not sweep:
        app.display_info(
            f"Run `flexvmss audit {name} --sweep` to delete the {len(sweepable)} proven leftover(s)."
        )


def _show(app: Application, result: AuditResult) -> None:
    columns = ("kind", "name", "proof", "blocks subnet", "why")
    if result.leftovers:
        rows = [_row(item) for item in result.leftovers]
        app.display_table(app.table(columns, rows, title=f"{result.scale_set}: left behind"))
    if result.suspects:
        rows = [_row(item) for item in result.suspects]
        app.display_table(app.table(columns, rows, title="Suspects (never swept)"))
