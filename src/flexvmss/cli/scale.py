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
    it asks for confirmation unless --yes. Afterwards it reports what Azure placed when that
    falls short (per zone, each VM that failed to provision and why) and the VMs resilient VM
    create replaced under a new name.
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
        result = ss.scale(capacity)
    placement = result.placement
    if app.json_output:
        app.display_json(
            {
                "name": name,
                "previous_capacity": current,
                "capacity": capacity,
                "placed": placement.placed,
                "per_zone": dict(placement.per_zone),
                "failed": dict(placement.failed),
                "added": list(result.added),
                "removed": list(result.removed),
                "replaced_by_resilient_create": list(result.replaced),
            }
        )
        return
    app.display_success(f"{name}: capacity {current if current is not None else '?'} -> {capacity}.")
    if placement.failed or placement.shortfall or result.replaced:
        app.display_warning(f"{name}: {placement}.")
        for vm, code in sorted(placement.failed.items()):
            app.display_warning(f"{vm}: failed to provision ({code})")
        for vm in result.replaced:
            app.display_info(f"{vm}: replaced under a new name by resilient VM create")
