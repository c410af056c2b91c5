"""``flexvmss spot``: a set's Spot VMs against its priority mix; evicted ones replaced or cleaned up."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["spot"]


@click.command(short_help="Count Regular, Spot running and Spot evicted VMs; replace the evicted.")
@click.argument("name")
@click.option(
    "--replace-evicted",
    "action",
    flag_value="replace",
    help="Delete the evicted Spot VMs and scale back, so Azure makes new VMs to the mix.",
)
@click.option("--clean-evicted", "action", flag_value="clean", help="Delete the evicted Spot VMs only.")
@click.pass_obj
def spot(app: Application, /, *, name: str, action: str | None) -> None:
    """Show scale set NAME's VMs by priority against its Spot priority mix.

    An evicted Spot VM (stopped and deallocated) still counts toward the capacity, so the set
    serves fewer VMs than it holds. --replace-evicted deletes them and scales the set back to
    its capacity; --clean-evicted only deletes them. Both ask for confirmation unless --yes.
    """
    ss = app.scale_set(name)
    status = ss.spot_status()
    if action is not None and status.evicted:
        verb = "Replace" if action == "replace" else "Delete"
        app.confirm(
            f"{verb} {len(status.evicted)} evicted Spot VM(s) of {name}?",
            assume_yes=app.assume_yes,
            refusal=f"Refusing to delete evicted VMs of {name} without confirmation.",
        )
        with app.status(f"{verb.rstrip('e')}ing {len(status.evicted)} evicted Spot VM(s) ..."):
            ss.replace_evicted(recreate=action == "replace")
        status = ss.spot_status()
    if app.json_output:
        app.display_json(
            {
                "name": name,
                "capacity": status.capacity,
                "regular": status.regular,
                "spot_running": status.spot_running,
                "spot_evicted": status.spot_evicted,
                "spot_other": status.spot_other,
                "useful": status.useful,
                "wanted_regular": status.wanted_regular,
                "wanted_spot": status.wanted_spot,
                "eviction_policy": status.eviction_policy,
                "evicted": list(status.evicted),
            }
        )
        return
    rows = [
        ("regular", status.regular, status.wanted_regular),
        ("spot running", status.spot_running, status.wanted_spot),
        ("spot evicted", status.spot_evicted, None),
        ("spot other", status.spot_other, None),
    ]
    app.display_table(
        app.table(("VMs", "count", "the mix asks"), rows, title=f"{name}: capacity {status.capacity}")
    )
    app.display_info(
        f"{status.useful} of {status.capacity} VM(s) serve (eviction policy: {status.eviction_policy})."
    )
