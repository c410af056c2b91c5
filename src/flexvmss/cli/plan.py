"""``flexvmss plan``: check a scale set spec against the Flex rules without creating anything."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from flexvmss.cli._render import FINDING_COLUMNS, finding_rows, findings_to_dicts
from flexvmss.cli._specopts import build_scale_set_spec, scale_set_options

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["plan", "show_findings"]


def show_findings(app: Application, findings: list[Any], *, name: str) -> int:
    """Print findings (table or JSON on stdout); return how many are errors."""
    errors = sum(1 for f in findings if f.severity == "error")
    if app.json_output:
        app.display_json(findings_to_dicts(findings))
    elif findings:
        app.display_table(app.table(FINDING_COLUMNS, finding_rows(findings), title=f"{name}: findings"))
    return errors


@click.command(short_help="Check a spec against the Flex rules (sends nothing but a SKU read).")
@click.argument("name")
@scale_set_options
@click.pass_obj
def plan(app: Application, /, *, name: str, waive: tuple[str, ...], **flags: Any) -> None:
    """Check scale set NAME's spec against the Flex rules and the region's SKU catalog.

    Every finding is listed (not only the first), each naming the field, the value and the
    fix. Nothing is created: the only request is the region's Resource SKUs read. Exits 1
    when there is an error finding, so it can gate a pipeline.
    """
    spec = build_scale_set_spec(flags)
    findings = list(app.scale_set(name, waive=waive).plan_create(spec))
    errors = show_findings(app, findings, name=name)
    warnings = len(findings) - errors
    if errors:
        app.display_error(f"{errors} error(s), {warnings} warning(s): Azure would refuse this spec.")
        raise SystemExit(1)
    app.display_success(f"No errors ({warnings} warning(s)): the spec passes the Flex rules.")
