"""Guarded apply: a :class:`~flexvmss._scaleset._plan.Plan` executed through the fan-out, with
the guardrails that keep a wrong picture from turning into lost VMs.

* **The read.** A plan whose read was throttled, failed or partial is refused before anything
  is sent (:class:`~flexvmss.PlanRefusedError`; kubernetes/autoscaler#3240).
* **The delete cap.** One apply deletes or replaces at most ``max_delete`` VMs (a count, a
  fraction, or by default 10% of the set or 5, whichever is larger); more is refused whole.
* **ETags.** Every action on an existing VM carries the ETag the plan read. An update is a
  PATCH with ``If-Match`` (VirtualMachines_Update takes it: REST spec, api 2023-07-01+;
  wire-truth.md section 1). Azure's VM delete and power actions take no ``If-Match``
  (VirtualMachines_Delete/Start/Deallocate list none in the REST spec), so for them the VM is
  read right before the request and its ETag compared: a changed VM stops that action
  (outcome ``changed``; a delete sends ``If-Match`` as well, in case ARM honours it there),
  and the set is planned again for the user to look at
  (:attr:`ApplyResult.replanned`). Inferred: the window between that read and the request is
  a few hundred milliseconds, not the minutes between a plan and its apply.
* **Rolling replacement.** Replacements run ``batch_size`` at a time, ``pause`` seconds apart:
  each batch creates the new VMs first, waits (with ``health_gate``) until each reports
  ``HealthState/healthy`` in its instance view (the Application Health extension's
  ``vmHealth``: REST spec VirtualMachineInstanceView.vmHealth), and only then deletes the old
  ones. A new VM that does not turn healthy in ``health_timeout`` seconds halts the apply with
  the old VMs still there.
* **Resumable.** With ``journal=PATH`` each finished step is appended (and flushed to disk)
  as one JSON line; an apply of the same plan with the same journal skips what it lists. A step
  a crash interrupted is driven again idempotently (a create finds its own VM, a delete a VM
  already gone, an update the change already made).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError

from flexvmss._errors import (
    FlexError,
    InvalidInputError,
    NotFoundError,
    PlanRefusedError,
    PreconditionFailedError,
    from_azure_error,
)
from flexvmss._fanout import BatchResult, Outcome, SkipVm, power_state
from flexvmss._progress import ProgressEvent
from flexvmss._scaleset import _create
from flexvmss._scaleset._core import Batch, ScaleSetCore
from flexvmss._scaleset._desired import vm_from_fields
from flexvmss._scaleset._plan import Plan, PlanAction, make_plan, resolve_cap
from flexvmss._scaleset._values import resource_body, same

__all__ = ["ActionResult", "ApplyResult", "Journal", "apply"]

ActionOutcome = Literal["done", "changed", "failed", "halted", "not_started"]

#: What a VM's instance view reports once the Application Health extension sees the app
#: healthy (learn.microsoft.com, "Application Health extension": states Initializing, Healthy,
#: Unhealthy, Unknown; the code is ``HealthState/<state>``).
HEALTHY = "healthstate/healthy"


@dataclass(frozen=True)
class ActionResult:
    """How one action of a plan ended.

    ``outcome``: ``done`` (Azure confirmed it, or it was done already: ``detail`` says so),
    ``changed`` (the VM changed since the plan read it: nothing was sent to it), ``failed``
    (Azure refused or failed it: ``error``), ``halted`` (a health gate stopped the apply
    during it: the new VM is there, the old one kept) or ``not_started`` (the apply stopped
    before it: a failure or a health gate earlier).
    """

    action: PlanAction
    outcome: ActionOutcome
    detail: str = ""
    error: FlexError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.action.id,
            "outcome": self.outcome,
            "detail": self.detail,
            "error": None if self.error is None else f"{type(self.error).__name__}: {self.error.message}",
        }


@dataclass(frozen=True)
class ApplyResult:
    """What :meth:`FlexScaleSet.apply` did, action by action (in plan order).

    ``halted`` says why the apply stopped early (None when it ran to the end); ``replanned`` is
    a fresh plan of the same desired state when some action found its VM changed (None
    otherwise, or when the plan came from JSON and has no desired state to re-plan): review
    it and apply it in turn.
    """

    plan_id: str
    results: tuple[ActionResult, ...]
    halted: str | None = None
    replanned: Plan | None = field(default=None, compare=False)

    def ended(self, outcome: ActionOutcome) -> list[str]:
        """The ids of the actions that ended ``outcome``."""
        return [r.action.id for r in self.results if r.outcome == outcome]

    @property
    def ok(self) -> bool:
        """Every action done."""
        return all(r.outcome == "done" for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan_id,
            "halted": self.halted,
            "results": [r.to_dict() for r in self.results],
            "summary": {
                o: len(self.ended(o)) for o in ("done", "changed", "failed", "halted", "not_started")
            },
            "replanned": None if self.replanned is None else self.replanned.to_dict(),
        }

    def __str__(self) -> str:
        parts = [f"{n} {o.replace('_', ' ')}" for o, n in self.to_dict()["summary"].items() if n]
        text = ", ".join(parts) or "nothing to do"
        return text + (f" (halted: {self.halted})" if self.halted else "")


class Journal:
    """The steps of one plan's apply that are done, kept in a file of JSON lines (the first
    line names the plan). Each step is appended and flushed to disk as it finishes, so a crash
    loses at most the step in flight."""

    def __init__(self, path: str | os.PathLike[str] | None, plan_id: str) -> None:
        self.path = Path(path) if path is not None else None
        self.plan_id = plan_id
        self.steps: set[str] = set()
        if self.path is None:
            return
        if self.path.exists() and self.path.stat().st_size > 0:
            lines = self.path.read_text(encoding="utf-8").splitlines()
            header = _line(lines[0]) if lines else {}
            if header.get("plan") != plan_id:
                raise InvalidInputError(
                    "journal",
                    str(self.path),
                    f"this journal belongs to plan {header.get('plan')!r}, not {plan_id!r}: give a new "
                    "journal file for a new plan",
                )
            # a line cut short by a crash is ignored: its step is driven again, idempotently;
            # the next step starts on a line of its own
            self.steps = {str(d["step"]) for d in map(_line, lines[1:]) if d.get("step")}
            if not self.path.read_bytes().endswith(b"\n"):
                with self.path.open("a", encoding="utf-8") as f:
                    f.write("\n")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._append({"plan": plan_id})

    def done(self, step: str) -> bool:
        return step in self.steps

    def record(self, step: str) -> None:
        self.steps.add(step)
        if self.path is not None:
            self._append({"step": step})

    def _append(self, entry: Mapping[str, Any]) -> None:
        assert self.path is not None
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(dict(entry)) + "\n")
            f.flush()
            os.fsync(f.fileno())


def _line(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class ApplyOptions:
    max_delete: int | float | None = None
    batch_size: int = 1
    pause: float = 0.0
    health_gate: bool = False
    health_timeout: float = 600.0
    journal: str | os.PathLike[str] | None = None
    concurrency: int | None = None
    on_event: Callable[[ProgressEvent], None] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise InvalidInputError("batch_size", self.batch_size, "give a whole number of VMs, 1 or more")
        for name in ("pause", "health_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 86400:
                raise InvalidInputError(name, value, "give seconds, 0 or more (under a day)")


# ------------------------------------------------------------------------------------- apply


async def apply(ss: ScaleSetCore, plan: Plan, options: ApplyOptions) -> ApplyResult:
    """Check the guardrails, then run the plan's actions kind by kind (see the module)."""
    if not isinstance(plan, Plan):
        raise InvalidInputError(
            "plan", type(plan).__name__, "give a Plan from FlexScaleSet.plan or Plan.from_json"
        )
    _refuse(ss, plan, options)
    journal = Journal(options.journal, plan.id)
    run = _Run(ss, plan, options, journal)
    for kind in ("create", "replace", "update", "start", "deallocate", "delete"):
        todo = [a for a in plan.actions if a.kind == kind]
        if not todo:
            continue
        if run.halted is not None:
            for action in todo:
                run.finish(action, "not_started", f"the apply stopped earlier: {run.halted}")
            continue
        if kind == "replace":
            await run.replace(todo)
        else:
            await run.simple(kind, todo)
    replanned = None
    if run.changed and plan.desired_state is not None:
        replanned = await make_plan(ss, plan.desired_state)
    by_id = run.results
    return ApplyResult(
        plan_id=plan.id,
        results=tuple(by_id[a.id] for a in plan.actions),
        halted=run.halted,
        replanned=replanned,
    )


def _refuse(ss: ScaleSetCore, plan: Plan, options: ApplyOptions) -> None:
    """The guardrails that refuse a plan whole, before any request."""
    if not same(plan.scale_set, ss.id):
        raise PlanRefusedError(
            "wrong_set",
            f"the plan is for {plan.scale_set}, not for scale set {ss.name} ({ss.id}).",
            remedy="Apply a plan with the FlexScaleSet it was made for.",
        )
    if not plan.read.ok:
        raise PlanRefusedError(
            f"read_{plan.read.status}",
            f"the plan was made from a {plan.read.status} read of {ss.name}"
            + (f" ({plan.read.detail})" if plan.read.detail else "")
            + ": acting on it could delete or change VMs for a wrong reason.",
            remedy="Plan again once the read is clean (wait for throttling and in-flight changes to end).",
        )
    cap = resolve_cap(options.max_delete, plan.live_vms)
    removing = [a.id for a in plan.actions if a.removes_a_vm]
    if len(removing) > cap:
        raise PlanRefusedError(
            "delete_cap",
            f"the plan deletes or replaces {len(removing)} VMs of {ss.name}, more than this apply may "
            f"({cap}; {plan.live_vms} VMs live).",
            remedy="Check the plan: if you mean it, pass max_delete (a count or a fraction) large enough.",
        )


@dataclass
class _Run:
    ss: ScaleSetCore
    plan: Plan
    options: ApplyOptions
    journal: Journal
    results: dict[str, ActionResult] = field(default_factory=dict)
    halted: str | None = None
    changed: bool = False

    def finish(
        self, action: PlanAction, outcome: ActionOutcome, detail: str = "", error: FlexError | None = None
    ) -> None:
        self.results[action.id] = ActionResult(action, outcome, detail, error)
        if outcome == "changed":
            self.changed = True

    @property
    def batch(self) -> Batch:
        return Batch(self.options.concurrency, None, self.options.on_event)

    def _pending(self, actions: Sequence[PlanAction]) -> list[PlanAction]:
        todo = []
        for action in actions:
            if self.journal.done(action.id):
                self.finish(action, "done", "done by an earlier run (journal)")
            else:
                todo.append(action)
        return todo

    def _conclude(
        self, actions: Mapping[str, PlanAction], result: BatchResult, step: Callable[[PlanAction], str]
    ) -> list[PlanAction]:
        """Each fanned-out VM's outcome as its action's; returns the actions that succeeded."""
        good = []
        for name, action in actions.items():
            vm = result.results.get(name)
            if vm is None or vm.outcome is None:
                self.finish(action, "not_started", "never started")
            elif vm.outcome in (Outcome.SUCCEEDED, Outcome.SKIPPED):
                good.append(action)
                if vm.outcome == Outcome.SKIPPED:
                    self.journal.record(step(action))
            elif isinstance(vm.error, PreconditionFailedError):
                self.finish(action, "changed", vm.error.message)
            elif vm.outcome == Outcome.FAILED:
                self.finish(action, "failed", vm.detail or "failed", vm.error)
                self.halted = self.halted or f"{action.id} failed"
            else:
                self.finish(action, "not_started", vm.detail or vm.outcome.value)
        return good

    # -- create, update, start, deallocate, delete ------------------------------------------

    async def simple(self, kind: str, actions: Sequence[PlanAction]) -> None:
        todo = self._pending(actions)
        if not todo:
            return
        if kind == "create":
            good = await self._create({a.vm: a for a in todo}, lambda a: a.id)
        else:
            by_name = {a.vm: a for a in todo}
            begin = _BEGINS[kind]

            async def run(name: str, polling: Any) -> Any:
                result = await begin(self.ss, by_name[name], polling)
                self.journal.record(by_name[name].id)
                return result

            result = await self.ss._fan_out(f"apply {kind}", list(by_name), run, self.batch, expect=None)
            good = self._conclude(by_name, result, lambda a: a.id)
        for action in good:
            self.finish(action, "done", "; ".join(action.reasons))

    async def _create(
        self, by_name: Mapping[str, PlanAction], step: Callable[[PlanAction], str]
    ) -> list[PlanAction]:
        """Create the VMs of ``by_name`` (name -> action whose ``vm_spec`` describes it)."""
        specs = [vm_from_fields(action.vm_spec) for action in by_name.values()]
        models, members = await _create._plan_vms(self.ss, specs)
        compute = self.ss._arm().compute

        async def run(name: str, polling: Any) -> Any:
            action = by_name[name]
            if name in members:
                # an earlier run's create: done once Azure says it succeeded (its failure raises)
                await _create._await_created(self.ss, name, members[name])
                raise SkipVm("already created (an earlier run)")
            result = await _create._create_vm(self.ss, name, models[name], polling=polling)
            if action.changes.get("power_state") == "deallocated":
                poller = await compute.virtual_machines.begin_deallocate(self.ss.resource_group, name)
                await poller.result()
            self.journal.record(step(action))
            return result

        result = await self.ss._fan_out("apply create", list(by_name), run, self.batch, expect=None)
        return self._conclude(by_name, result, step)

    # -- replace: rolling ---------------------------------------------------------------------

    async def replace(self, actions: Sequence[PlanAction]) -> None:
        todo = self._pending(actions)
        size = self.options.batch_size
        for start in range(0, len(todo), size):
            chunk = todo[start : start + size]
            if self.halted is not None:
                for action in chunk:
                    self.finish(action, "not_started", f"the apply stopped earlier: {self.halted}")
                continue
            if start and self.options.pause:
                await self.ss._wait(self.options.pause)
            await self._replace_batch(chunk)

    async def _replace_batch(self, chunk: Sequence[PlanAction]) -> None:
        # 1. the old VMs still as planned? (a changed one gets no successor)
        fresh: list[PlanAction] = []
        for action in chunk:
            if self.journal.done(f"{action.id}#created"):
                fresh.append(action)
                continue
            try:
                _check_etag(action, await _present(self.ss, action))
            except PreconditionFailedError as exc:
                self.finish(action, "changed", exc.message)
                continue
            except FlexError as exc:
                self.finish(action, "failed", exc.message, exc)
                self.halted = self.halted or f"{action.id} failed"
                continue
            fresh.append(action)
        if not fresh:
            return
        # 2. the successors
        by_new = {str(a.new_name): a for a in fresh}
        need = {n: a for n, a in by_new.items() if not self.journal.done(f"{a.id}#created")}
        created = list(by_new.values())
        if need:
            good = await self._create(need, lambda a: f"{a.id}#created")
            created = [a for a in fresh if a not in need.values() or a in good]
            for action in need.values():
                if action not in good and action.id not in self.results:
                    self.finish(action, "failed", "its successor was not created")
        # 3. the health gate
        healthy: list[PlanAction] = []
        for action in created:
            if not self.options.health_gate:
                healthy.append(action)
                continue
            state = await _wait_healthy(self.ss, str(action.new_name), self.options.health_timeout)
            if state == HEALTHY:
                healthy.append(action)
            else:
                self.finish(
                    action,
                    "halted",
                    f"{action.new_name} is {state or 'without a health status'} after "
                    f"{self.options.health_timeout:g} s; {action.vm} kept",
                )
                self.halted = (
                    self.halted or f"{action.new_name} did not turn healthy ({state or 'no health status'})"
                )
        if self.halted is not None:
            for action in healthy:
                self.finish(
                    action, "halted", f"{action.new_name} created; {action.vm} kept: the apply halted"
                )
            return
        # 4. the old VMs, each fenced by its planned ETag
        by_old = {a.vm: a for a in healthy}

        async def run(name: str, polling: Any) -> Any:
            result = await _delete(self.ss, by_old[name], polling)
            self.journal.record(by_old[name].id)
            return result

        result = await self.ss._fan_out("apply replace", list(by_old), run, self.batch, expect=None)
        for action in self._conclude(by_old, result, lambda a: a.id):
            self.finish(action, "done", f"replaced by {action.new_name}: " + "; ".join(action.reasons))


# --------------------------------------------------------------------------- per-VM requests


async def _current(ss: ScaleSetCore, name: str) -> dict[str, Any] | None:
    """The VM's body with its instance view, None when it is gone; a VM that is no member
    of the set raises (an apply acts on its own set's VMs only)."""
    operation = f"get vm {name}"
    try:
        item = await ss._call(
            operation, ss._arm().compute.virtual_machines.get(ss.resource_group, name, expand="instanceView")
        )
    except NotFoundError:
        return None
    body = resource_body(item, operation, "a VM")
    member_of = ((body.get("properties") or {}).get("virtualMachineScaleSet") or {}).get("id")
    if not same(member_of, ss.id):
        raise PreconditionFailedError(
            operation,
            status=412,
            code="NotAMember",
            message=f"VM {name} is no longer a member of scale set {ss.name}",
        )
    return body


async def _present(ss: ScaleSetCore, action: PlanAction) -> dict[str, Any]:
    """The VM ``action`` changes, as it is now; a VM gone since the plan stops the action."""
    body = await _current(ss, action.vm)
    if body is None:
        raise PreconditionFailedError(
            f"{action.kind} vm {action.vm}",
            status=412,
            code="PreconditionFailed",
            message=f"VM {action.vm} is gone since the plan read it",
        )
    return body


def _check_etag(action: PlanAction, body: Mapping[str, Any]) -> None:
    if action.etag is not None and body.get("etag") != action.etag:
        raise PreconditionFailedError(
            f"{action.kind} vm {action.vm}",
            status=412,
            code="PreconditionFailed",
            message=f"VM {action.vm} changed since the plan read it "
            f"(ETag {action.etag} -> {body.get('etag')})",
        )


async def _fenced(ss: ScaleSetCore, action: PlanAction) -> dict[str, Any]:
    """The VM as it is now, checked against the plan's ETag (see the module: Azure takes no
    If-Match on a VM delete or power action)."""
    body = await _current(ss, action.vm)
    if body is None:
        raise SkipVm("already gone")
    _check_etag(action, body)
    return body


async def _delete(ss: ScaleSetCore, action: PlanAction, polling: Any) -> Any:
    await _fenced(ss, action)
    # The DELETE carries If-Match too. Inferred: VirtualMachines_Delete lists no If-Match in the
    # REST spec, so Azure may ignore it; where ARM honours it, the window after the read closes.
    headers = {"If-Match": action.etag} if action.etag else None
    poller = await ss._arm().compute.virtual_machines.begin_delete(
        ss.resource_group, action.vm, polling=polling, headers=headers
    )
    try:
        return await poller.result()
    except HttpResponseError as exc:
        raise from_azure_error(exc, operation=f"delete vm {action.vm}") from None


async def _power(ss: ScaleSetCore, action: PlanAction, polling: Any, target: str, method: str) -> Any:
    body = await _present(ss, action)
    if power_state(body) == target:
        raise SkipVm(f"already {target}")
    _check_etag(action, body)
    poller = await getattr(ss._arm().compute.virtual_machines, method)(
        ss.resource_group, action.vm, polling=polling
    )
    return await poller.result()


async def _start(ss: ScaleSetCore, action: PlanAction, polling: Any) -> Any:
    return await _power(ss, action, polling, "running", "begin_start")


async def _deallocate(ss: ScaleSetCore, action: PlanAction, polling: Any) -> Any:
    return await _power(ss, action, polling, "deallocated", "begin_deallocate")


async def _update(ss: ScaleSetCore, action: PlanAction, polling: Any) -> Any:
    """PATCH tags and/or size with ``If-Match: <planned ETag>``; then the power state the plan
    wants. A 412 whose VM already shows the change is a step an earlier run finished."""
    from azure.mgmt.compute.models import VirtualMachineUpdate

    compute = ss._arm().compute
    body: dict[str, Any] = {}
    changes = action.changes
    if changes.get("size"):
        body["properties"] = {"hardwareProfile": {"vmSize": changes["size"]}}
    current: dict[str, Any] | None = None
    if changes.get("tags") is not None:
        current = await _present(ss, action)  # the tags to keep (set tag, other tags)
        body["tags"] = {**(current.get("tags") or {}), **dict(changes["tags"])}
    try:
        poller = await compute.virtual_machines.begin_update(
            ss.resource_group,
            action.vm,
            VirtualMachineUpdate(body),
            etag=action.etag,
            match_condition=MatchConditions.IfNotModified,
            polling=polling,
        )
        result = await poller.result()
    except HttpResponseError as exc:
        error = from_azure_error(exc, operation=f"update vm {action.vm}")
        if isinstance(error, PreconditionFailedError):
            now = await _current(ss, action.vm)
            if now is not None:
                # an update a killed run sent may still be running: its end decides
                now = await _create._await_created(ss, action.vm, now)
            if now is not None and _has_changes(now, changes):
                raise SkipVm("already updated (an earlier run)") from None
        raise error from None
    target = changes.get("power_state")
    if target in ("running", "deallocated"):
        method = "begin_start" if target == "running" else "begin_deallocate"
        poller = await getattr(compute.virtual_machines, method)(ss.resource_group, action.vm)
        await poller.result()
    return result


def _has_changes(body: Mapping[str, Any], changes: Mapping[str, Any]) -> bool:
    tags = body.get("tags") or {}
    size = ((body.get("properties") or {}).get("hardwareProfile") or {}).get("vmSize")
    if changes.get("size") and not same(size, changes["size"]):
        return False
    return all(tags.get(k) == v for k, v in (changes.get("tags") or {}).items())


async def _wait_healthy(ss: ScaleSetCore, name: str, timeout: float) -> str | None:
    """Poll the VM's instance view until ``vmHealth`` says healthy or ``timeout`` seconds
    pass; returns the last health code (lower case) or None when the VM reports none."""
    poll = min(10.0, timeout / 10) if timeout > 0 else 0.0
    waited = 0.0
    code: str | None = None
    while True:
        body = await _current(ss, name)
        view = ((body or {}).get("properties") or {}).get("instanceView") or {}
        status = (view.get("vmHealth") or {}).get("status") or {}
        code = str(status["code"]).lower() if status.get("code") else None
        if code == HEALTHY or waited >= timeout:
            return code
        await ss._wait(poll)
        waited += poll


_BEGINS: dict[str, Callable[[ScaleSetCore, PlanAction, Any], Awaitable[Any]]] = {
    "update": _update,
    "start": _start,
    "deallocate": _deallocate,
    "delete": _delete,
}
