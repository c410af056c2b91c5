"""``flexvmss ls``: the VMs of a scale set, with their power state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from flexvmss.cli._options import parse_where
from flexvmss.cli._render import VM_COLUMNS, vm_rows, vms_to_dicts

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["ls"]


@click.command(short_help="List a scale set's VMs.")
@click.argument("name")
@click.option(
    "--where", "where", metavar="FILTER", help='Only VMs matching, e.g. "power_state=running,zone=1".'
)
@click.pass_obj
def ls(app: Application, /, *, name: str, where: str | None) -> None:
    """List the VMs of scale set NAME: power state, provisioning state, zone, fault domain,
    size and priority. One filtered list request per page, however many VMs there are."""
    predicate = parse_where(where)
    ss = app.scale_set(name)
    vms = ss.vms(instance_view=True)
    if not vms:
        ss.get()  # an empty list may mean a misspelt name: say so (NotFoundError) rather than print nothing
    if predicate is not None:
        vms = [vm for vm in vms if predicate(vm)]
    if app.json_output:
        app.display_json(vms_to_dicts(vms))
        return
    app.display_table(app.table(VM_COLUMNS, vm_rows(vms), title=f"{name}: {len(vms)} VM(s)"))
