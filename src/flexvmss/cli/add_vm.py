"""``flexvmss add-vm``: create a VM inside an existing Flex scale set."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from flexvmss.cli._render import VM_COLUMNS, vm_rows, vms_to_dicts
from flexvmss.cli._specopts import build_vm_spec, common_vm_options

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["add_vm"]


@click.command("add-vm", short_help="Create a VM in a scale set, shaped like the set's profile.")
@click.argument("name")
@click.argument("vm_name", required=False)
@common_vm_options
@click.option("--zone", help="Availability zone of this VM.")
@click.option(
    "--fault-domain",
    "platform_fault_domain",
    type=click.IntRange(min=0),
    help="Platform fault domain of this VM.",
)
@click.pass_obj
def add_vm(app: Application, /, *, name: str, vm_name: str | None, **flags: Any) -> None:
    """Create VM VM_NAME as a member of scale set NAME.

    The VM is shaped like the set: its size, image, subnet and outbound path, administrator
    name and SSH keys come from the set's VM profile unless a flag or --spec says otherwise
    (--spec may be the set's own spec file: its set-only keys are left out). The VM may
    differ from the profile (size, zone, fault domain, Spot priority): Flex sets are
    heterogeneous. It passes the same Flex rules as the set. Existing VMs cannot join a set;
    only new ones are created in it.
    """
    notes: list[str] = []
    spec = build_vm_spec(vm_name, flags, notes=notes)
    for note in notes:
        app.display_info(note)
    ss = app.scale_set(name)
    with app.status(f"Creating VM {spec.name} in {name} ..."):
        ss.add_vm(spec)
    vm = ss.vm(spec.name)
    if app.json_output:
        app.display_json(vms_to_dicts([vm])[0])
        return
    app.display_table(app.table(VM_COLUMNS, vm_rows([vm])))
