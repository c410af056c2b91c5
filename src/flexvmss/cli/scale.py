"""``flexvmss scale``: set the capacity of a scale set that has a VM profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["scale"]


@click.command(short_help="Set a profile-based scale set's capacity.")
@click.argument("name")
@click.argument("capacity", type=click.IntRange(min=0))
@click.pass_obj
def scale(app: Application, /, *, name: str, capacity: int) -> None:
    """Set scale set NAME's capacity to CAPACITY VMs.

    The change is conditional on the set not having changed since it was read (ETag), and is
    checked against Flex's capacity limits before any request. Scaling down deletes VMs, so
    it asks for confirmation unless --yes.
    """
    ss = app.scale_set(name)
    current = getattr(ss.get(), "capacity", None)
    if current is None or capacity < current:
        before = "an unknown number of" if current is None else str(current)
        app.confirm(
            f"Scale {name} from {before} to {capacity} VM(s)? VMs will be deleted.",
            assume_yes=app.assume_yes,
            refusal=f"Refusing to scale {name} down from {before} to {capacity} VM(s) without confirmation.",
        )
    with app.status(f"Scaling {name} to {capacity} ..."):
        ss.scale_to(capacity)
    if app.json_output:
        app.display_json({"name": name, "previous_capacity": current, "capacity": capacity})
        return
    app.display_success(f"{name}: capacity {current if current is not None else '?'} -> {capacity}.")
