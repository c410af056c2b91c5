"""``flexvmss delete``: delete a scale set, with its VMs and what they leave behind."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["delete"]


@click.command(short_help="Delete a scale set (--cascade: its VMs, NICs, disks, public IPs first).")
@click.argument("name")
@click.option(
    "--cascade/--no-cascade",
    default=False,
    show_default=True,
    help="Delete the VMs and the NICs, disks and public IPs they leave behind, then the set.",
)
@click.option("--force", is_flag=True, help="Force-delete VMs (skips graceful shutdown).")
@click.pass_obj
def delete(app: Application, /, *, name: str, cascade: bool, force: bool) -> None:
    """Delete scale set NAME.

    With --cascade the teardown is ordered: VMs first (batch delete, per-VM fallback), then
    the NICs, disks and public IPs they left behind, then the set. It never deletes the set
    while a VM remains, touches nothing outside the set, and converges when run again after an
    interruption. Without --cascade a set that still has VMs is refused. Asks for
    confirmation unless --yes.
    """
    what = f"scale set {name}" + (" with all its VMs, NICs, disks and public IPs" if cascade else "")
    app.confirm(
        f"Delete {what}?",
        assume_yes=app.assume_yes,
        refusal=f"Refusing to delete {what} without confirmation.",
    )
    ss = app.scale_set(name)
    with app.status(f"Deleting {what} ..."):
        result = ss.delete(cascade=cascade, force=force)
    vms_deleted = list(result.vms.succeeded) if result.vms is not None else []
    if app.json_output:
        app.display_json(
            {
                "name": name,
                "scale_set_deleted": result.scale_set_deleted,
                "vms_deleted": vms_deleted,
                "leftovers_deleted": list(result.leftovers_deleted),
            }
        )
        return
    if not result.scale_set_deleted:
        app.display_success(f"Scale set {name} was already gone; nothing of it is left.")
        return
    app.display_success(
        f"Deleted {what}: {len(vms_deleted)} VM(s), {len(result.leftovers_deleted)} leftover resource(s)."
    )
