"""``flexvmss create``: create a Flex scale set from flags or a spec file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from flexvmss.cli._specopts import build_scale_set_spec, scale_set_options

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["create"]


@click.command(short_help="Create a Flex scale set (idempotent).")
@click.argument("name")
@scale_set_options
@click.pass_obj
def create(app: Application, /, *, name: str, waive: tuple[str, ...], **flags: Any) -> None:
    """Create scale set NAME in Flexible orchestration mode and wait until it exists.

    The spec is checked first (see `flexvmss plan`); error findings stop the command before
    anything is sent. Creating the same spec again returns the existing set; a different spec
    for an existing set is refused with what differs.
    """
    spec = build_scale_set_spec(flags)
    ss = app.scale_set(name, waive=waive)
    with app.status(f"Creating scale set {name} ..."):
        info = ss.create(spec)
    facts = {
        "name": info.name,
        "id": info.id,
        "location": info.location,
        "orchestration_mode": info.orchestration_mode,
        "provisioning_state": info.provisioning_state,
        "capacity": info.capacity,
        "zones": list(info.zones),
        "platform_fault_domain_count": info.platform_fault_domain_count,
        "sku": info.sku_name,
    }
    if app.json_output:
        app.display_json(facts)
        return
    zones = ",".join(info.zones) or "none"
    app.display_success(
        f"Scale set {name} is ready: {info.orchestration_mode}, {info.location}, "
        f"{info.capacity or 0} VM(s) from the profile, zones {zones}, "
        f"fault domain count {info.platform_fault_domain_count}."
    )
