"""``flexvmss plan``: check a scale set spec against the Flex rules without creating anything;
with ``--desired``, also compare the live set with a desired state and (``--apply-mode``) apply
the plan after confirmation.

``--apply-mode`` is ``none`` (the default: show the plan, change nothing), ``rolling``
(replacements ``--batch-size`` at a time, ``--pause`` seconds apart, with ``--health-gate``
checks) or ``all-at-once`` (every replacement in one batch). Either applying mode asks for
confirmation first (``--yes`` skips it), and both keep every guardrail of
:meth:`flexvmss.FlexScaleSet.apply` (clean read, delete cap, ETags, journal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from flexvmss.cli._render import FINDING_COLUMNS, finding_rows, findings_to_dicts
from flexvmss.cli._specopts import build_scale_set_spec, scale_set_options

if TYPE_CHECKING:
    from flexvmss.cli._app import Application

__all__ = ["plan", "show_findings"]

APPLY_MODES = ("none", "rolling", "all-at-once")
PLAN_COLUMNS = ("Action", "VM", "Zone", "Priority", "Why")


def show_findings(app: Application, findings: list[Any], *, name: str) -> int:
    """Print findings (table or JSON on stdout); return how many are errors."""
    errors = sum(1 for f in findings if f.severity == "error")
    if app.json_output:
        app.display_json(findings_to_dicts(findings))
    elif findings:
        app.display_table(app.table(FINDING_COLUMNS, finding_rows(findings), title=f"{name}: findings"))
    return errors


def _max_delete(value: str | None) -> int | float | None:
    """``--max-delete``: a count (``8``) or a share of the set (``20%``)."""
    if value is None:
        return None
    text = value.strip()
    try:
        if text.endswith("%"):
            share = float(text[:-1]) / 100
            if not 0 < share <= 1:
                raise ValueError
            return share
        count = int(text)
        if count < 0:
            raise ValueError
        return count
    except ValueError:
        raise click.BadParameter(
            "give a count (8) or a percentage (20%)", param_hint="--max-delete"
        ) from None


@click.command(
    short_help="Check a spec against the Flex rules; with --desired, plan (and apply) the live set."
)
@click.argument("name")
@scale_set_options
@click.option(
    "--desired",
    "desired_file",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML or JSON desired state (vms, size, image, tags, power_state): plan the live set towards it.",
)
@click.option(
    "--apply-mode",
    type=click.Choice(APPLY_MODES),
    default="none",
    show_default=True,
    help="none: show the plan only; rolling: apply, replacing --batch-size VMs at a time; "
    "all-at-once: apply, every replacement in one batch. Asks first unless --yes.",
)
@click.option(
    "--max-delete", metavar="N|P%", help="Most VMs one apply may delete or replace (default 10% or 5)."
)
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=1, show_default=True, help="Rolling batch size."
)
@click.option(
    "--pause", type=click.FloatRange(min=0), default=0.0, show_default=True, help="Seconds between batches."
)
@click.option("--health-gate", is_flag=True, help="Each new VM must report healthy before its old one goes.")
@click.option(
    "--health-timeout", type=click.FloatRange(min=0), default=600.0, show_default=True, help="Seconds."
)
@click.option("--journal", type=click.Path(dir_okay=False), help="Record finished steps; a rerun skips them.")
@click.option(
    "--save", "save_file", type=click.Path(dir_okay=False), help="Write the plan as JSON to this file."
)
@click.option(
    "--from-plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Use this saved plan (--save) instead of reading the set again: resume it with its --journal.",
)
@click.pass_obj
def plan(
    app: Application,
    /,
    *,
    name: str,
    waive: tuple[str, ...],
    desired_file: str | None,
    apply_mode: str,
    max_delete: str | None,
    batch_size: int,
    pause: float,
    health_gate: bool,
    health_timeout: float,
    journal: str | None,
    save_file: str | None,
    plan_file: str | None,
    **flags: Any,
) -> None:
    """Check scale set NAME's spec against the Flex rules and the region's SKU catalog.

    Every finding is listed (not only the first), each naming the field, the value and the
    fix. Nothing is created: the only request is the region's Resource SKUs read. Exits 1
    when there is an error finding, so it can gate a pipeline.

    With --desired FILE it then reads the live set and lists the actions that would bring it
    to the desired state (create, replace, update, start, deallocate, delete), each with its
    reasons (exit 0; 1 when the read was throttled, failed or partial: such a plan is never
    applied). With --apply-mode rolling or all-at-once it applies them after confirmation
    (exit 3 when an action did not end done). --from-plan FILE takes a plan saved with --save
    instead of reading the set: applied with the same --journal, it skips the steps done.
    """
    spec = build_scale_set_spec(flags)
    ss = app.scale_set(name, waive=waive)
    findings = list(ss.plan_create(spec))
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    if (desired_file is None and plan_file is None) or errors:
        show_findings(app, findings, name=name)
        if errors:
            app.display_error(f"{errors} error(s), {warnings} warning(s): Azure would refuse this spec.")
            raise SystemExit(1)
        app.display_success(f"No errors ({warnings} warning(s)): the spec passes the Flex rules.")
        return
    options = {
        "max_delete": _max_delete(max_delete),
        "batch_size": batch_size,
        "pause": pause,
        "health_gate": health_gate,
        "health_timeout": health_timeout,
        "journal": journal,
    }
    _plan_live(
        app, ss, spec, findings,
        desired_file=desired_file, plan_file=plan_file, apply_mode=apply_mode, save_file=save_file,
        options=options,
    )  # fmt: skip


def _plan_live(
    app: Application,
    ss: Any,
    spec: Any,
    findings: list[Any],
    *,
    desired_file: str | None,
    plan_file: str | None,
    apply_mode: str,
    save_file: str | None,
    options: dict[str, Any],
) -> None:
    from pathlib import Path

    from flexvmss import DesiredState
    from flexvmss.cli._options import load_spec_file

    if plan_file is not None:  # a saved plan, applied as it is (its journal resumes it)
        from flexvmss import Plan

        the_plan = Plan.from_json(Path(plan_file).read_text(encoding="utf-8"))
    else:
        assert desired_file is not None
        try:
            desired = DesiredState.from_mapping(spec, load_spec_file(desired_file))
        except click.BadParameter as exc:
            raise click.BadParameter(exc.message, param_hint="--desired") from None
        with app.status(f"Reading scale set {ss.name} ..."):
            the_plan = ss.plan(desired)
    if save_file:
        Path(save_file).write_text(the_plan.to_json(), encoding="utf-8")
    out: dict[str, Any] = {"findings": findings_to_dicts(findings), "plan": the_plan.to_dict(), "apply": None}
    if not app.json_output:
        show_findings(app, findings, name=ss.name)
        _show_plan(app, the_plan)
    if not the_plan.read.ok:
        if app.json_output:
            app.display_json(out)
        app.display_error(f"The read of {ss.name} was {the_plan.read.status}: this plan cannot be applied.")
        raise SystemExit(1)
    if apply_mode == "none" or the_plan.empty:
        if app.json_output:
            app.display_json(out)
        if the_plan.empty:
            app.display_success(f"Scale set {ss.name} is as desired: nothing to do.")
        return
    counts = ", ".join(f"{n} {k}" for k, n in the_plan.counts().items() if n)
    app.confirm(
        f"Apply the plan to {ss.name} ({counts})?",
        assume_yes=app.assume_yes,
        refusal=f"Refusing to apply the plan to {ss.name} without confirmation.",
    )
    if apply_mode == "all-at-once":
        options["batch_size"] = max(1, the_plan.counts()["replace"])
    with app.batch_progress(f"Applying the plan to {ss.name}") as on_event:
        result = ss.apply(the_plan, on_event=on_event, **options)
    out["apply"] = result.to_dict()
    if app.json_output:
        app.display_json(out)
    else:
        rows = [(r.action.kind, r.action.vm, r.outcome, r.detail) for r in result.results]
        app.display_table(app.table(("Action", "VM", "Outcome", "Detail"), rows, title=f"{ss.name}: apply"))
    if not result.ok:
        app.display_error(f"Apply: {result}. Run the plan again to see what is left.")
        raise SystemExit(3)
    app.display_success(f"Applied: {result}.")


def _show_plan(app: Application, the_plan: Any) -> None:
    rows = [(kind, vm, zone, priority, why) for kind, vm, zone, priority, why in the_plan.table()]
    title = (
        f"plan (read: {the_plan.read.status}{', ' + the_plan.read.detail if the_plan.read.detail else ''})"
    )
    if rows:
        app.display_table(app.table(PLAN_COLUMNS, rows, title=title))
    for note in the_plan.notes:
        app.display_warning(note)
