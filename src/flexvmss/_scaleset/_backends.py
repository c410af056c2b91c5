"""Which backend runs a power operation on many VMs of the set (issue 15, point 1).

``start``, ``deallocate`` (``hibernate=True`` included) and ``delete_vms`` take
``backend="auto" | "scheduled" | "per_vm"``:

* ``"per_vm"``: flexvmss's own fan-out, one request per VM (``delete_vms``: the set's batch
  delete, then per VM), each outcome confirmed by its operation's status;
* ``"scheduled"``: Azure's ScheduledActions (:mod:`flexvmss._fanout._backend_scheduled`); a
  VM it refuses, or a request it refuses whole, is a failure carrying Azure's code;
* ``"auto"``: ScheduledActions for batches of at least :data:`AUTO_MIN_VMS` VMs, falling back
  per VM for the VMs it refuses and for all of them when it is not available (provider not
  registered, region without it, no rights); each VM's :attr:`~flexvmss.VmResult.backend`
  and :attr:`~flexvmss.VmResult.fallback_reason` say what ran it and why. ``delete_vms`` under
  ``auto`` keeps the set's batch delete (already 100 VMs per request, and ScheduledActions'
  ExecuteDelete is "[PRIVATE PREVIEW]" in its 2025-05-01 spec).

A ``checkpoint`` (a path or a store) records the batch's progress so another process can
resume it (:mod:`flexvmss._fanout._checkpoint`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from flexvmss._actions import ACTIONS
from flexvmss._errors import AzureOperationError, DeadlineExceededError, FlexError, InvalidInputError
from flexvmss._fanout import BatchResult, Outcome, VmResult
from flexvmss._fanout._backend_scheduled import ScheduledBackend, ScheduledRun, ScheduledVm
from flexvmss._fanout._checkpoint import Checkpoint, CheckpointStore, as_store
from flexvmss._fanout._scheduled import ScheduledOptions
from flexvmss._progress import ProgressEvent
from flexvmss._scaleset import _per_vm, _teardown
from flexvmss._scaleset._core import Batch, ScaleSetCore, VmFilter, VmNames
from flexvmss._scaleset._values import VmInfo

__all__ = ["AUTO_MIN_VMS", "BACKENDS", "Backend", "CheckpointArg", "check_backend", "power"]

Backend = Literal["auto", "scheduled", "per_vm"]
BACKENDS: tuple[str, ...] = ("auto", "scheduled", "per_vm")
#: What ``checkpoint=`` takes: a file path, or a store with ``load()``/``save()``.
CheckpointArg = str | os.PathLike[str] | CheckpointStore | None

#: The smallest batch ``auto`` sends through ScheduledActions. Inferred: no public number. Below
#: it the per-VM path costs about as few requests (20 writes fit ARM's write burst of 200 with
#: room to spare) and confirms sooner (ScheduledActions' samples wait 30 s before the first
#: status read); from it on, one ScheduledActions request replaces up to 100 writes.
AUTO_MIN_VMS = 20


def check_backend(backend: str) -> None:
    """Refuse an unknown backend before anything is sent."""
    if backend not in BACKENDS:
        raise InvalidInputError("backend", backend, f"use one of {', '.join(BACKENDS)}")


def _scheduled_action(action: str, flags: Mapping[str, bool]) -> str:
    if action == "deallocate" and flags.get("hibernate"):
        return "hibernate"
    return action


async def power(
    ss: ScaleSetCore,
    action: str,
    names: VmNames,
    where: VmFilter,
    batch: Batch,
    *,
    backend: str,
    options: ScheduledOptions | None,
    checkpoint: CheckpointArg,
    force: bool = False,
    **flags: bool,
) -> BatchResult:
    """``action`` (``start``, ``deallocate``, ``delete``) on the selected VMs through
    ``backend`` (see the module docstring)."""
    check_backend(backend)
    if options is not None and not isinstance(options, ScheduledOptions):
        raise InvalidInputError("options", type(options).__name__, "pass a flexvmss.ScheduledOptions")
    started = ss._rt.clock()
    selected = await ss._within(action, batch, started, ss._select_vms(names, where))
    if action == "delete" and selected:
        await _teardown._mark_leftovers(ss, selected)
    members = {vm.name: vm for vm in selected}
    sched_action = _scheduled_action(action, flags)
    ck = Checkpoint(as_store(checkpoint), f"{sched_action} {ss.id}") if checkpoint is not None else None

    recorded = ck.finished() if ck is not None else {}
    in_flight = ck.in_flight("scheduled") if ck is not None else {}
    wanted = backend == "scheduled" or (
        backend == "auto" and action != "delete" and len(members) >= AUTO_MIN_VMS
    )
    scheduled_names = [
        n
        for n in members
        if (wanted and n not in recorded)
        or n in in_flight
        or recorded.get(n, {}).get("backend") == "scheduled"
    ]
    results: dict[str, VmResult] = {}
    parts: list[BatchResult] = []
    fallback: dict[str, str] = {}
    if scheduled_names:
        engine = ScheduledBackend(
            ss._arm(),
            options=options,
            deadline=ss._remaining(batch, started).seconds,
            on_event=batch.on_event or ss.on_event,
            runtime=ss._runtime,
            checkpoint=ck,
        )
        vms = [ScheduledVm(n, members[n].id, _location(ss, members[n])) for n in scheduled_names]
        run = await engine.run(sched_action, vms, force=force)
        parts.append(run.result)
        results.update(run.result.results)
        fallback = _refusals(run, sched_action, results, fallback=backend == "auto")
    per_vm_names = [n for n in members if n not in results]
    if per_vm_names:
        per_vm = await _run_per_vm(
            ss, action, per_vm_names, ss._remaining(batch, started), flags, members, ck, force
        )
        for name, result in per_vm.results.items():
            result.fallback_reason = fallback.get(name, "")
        parts.append(per_vm)
        results.update(per_vm.results)
    ordered = {name: results[name] for name in members if name in results}
    return BatchResult(
        operation=action,
        results=ordered,
        requests=_summed([p.requests for p in parts]),
        throttled=sum(p.throttled for p in parts),
        waited=sum(p.waited for p in parts),
        duration=ss._rt.clock() - started,
        interrupted=next((p.interrupted for p in parts if p.interrupted), None),
    )


def _location(ss: ScaleSetCore, vm: VmInfo) -> str:
    return str(vm.raw.get("location") or ss.location or "")


def _refusals(
    run: ScheduledRun, action: str, results: dict[str, VmResult], *, fallback: bool
) -> dict[str, str]:
    """VMs ScheduledActions did not take: with ``fallback`` (``auto``) the reasons they run per
    VM; without (``scheduled``) each is recorded FAILED with Azure's refusal."""
    reasons: dict[str, str] = {}
    for name, (code, details) in run.refused.items():
        reasons[name] = f"refused by ScheduledActions: {code}" + (f" ({details})" if details else "")
        if not fallback:
            error = AzureOperationError(f"{action} vm {name} (ScheduledActions)", code=code, message=details)
            results[name] = VmResult(
                name, Outcome.FAILED, error, attempts=1, detail=str(error), backend="scheduled"
            )
    for name, error in run.unavailable.items():
        reasons[name] = f"ScheduledActions unavailable: {error.code or error.status}"
        if not fallback:
            results[name] = VmResult(
                name, Outcome.FAILED, error, attempts=1, detail=str(error), backend="scheduled"
            )
    return reasons if fallback else {}


async def _run_per_vm(
    ss: ScaleSetCore,
    action: str,
    names: Sequence[str],
    batch: Batch,
    flags: Mapping[str, bool],
    members: Mapping[str, VmInfo],
    ck: Checkpoint | None,
    force: bool,
) -> BatchResult:
    """The per-VM path for ``names``. With a checkpoint: VMs it recorded done keep their
    outcome, VMs it recorded in flight (with their operation's status URL) are watched through
    that URL and never sent again, and each new operation and outcome is recorded as it comes."""
    done: dict[str, VmResult] = {}
    on_accepted = None
    if ck is not None:
        started = ss._rt.clock()
        for name in names:
            entry = ck.entry(name)
            if entry is not None and entry.get("state") == "done" and entry.get("backend") == "per_vm":
                done[name] = _recorded(action, name, entry)
        watched = {
            n: str(e["status_url"])
            for n, e in ck.in_flight("per_vm").items()
            if n in names and n not in done and e.get("status_url")
        }
        if watched:
            done.update(await _watch_recorded(ss, action, watched, batch, ck))
            batch = ss._remaining(batch, started)
        batch = Batch(batch.concurrency, batch.deadline, _recording(ck, batch.on_event or ss.on_event))

        def on_accepted(name: str, status_url: str | None) -> None:
            ck.sent(name, "per_vm", status_url=status_url)
            ck.flush()

    todo = [n for n in names if n not in done]
    if todo:
        subset = {n: members[n] for n in todo}
        if action == "delete":
            result = await _teardown._delete_names(ss, todo, batch, force=force, members=subset)
        else:
            result = await _per_vm.act(
                ss, ACTIONS[action], todo, batch, flags, members=subset, on_accepted=on_accepted
            )
    else:
        result = BatchResult(action, {})
    if ck is not None:
        for name, vm_result in result.results.items():
            if isinstance(vm_result.error, DeadlineExceededError):
                # accepted and unconfirmed at the deadline: still in flight for the next run
                entry = ck.vms.setdefault(name, {"backend": "per_vm"})
                entry["state"] = "sent"
                entry.pop("outcome", None)
            elif vm_result.outcome in (Outcome.SUCCEEDED, Outcome.FAILED):
                ck.vms.setdefault(name, {})["backend"] = "per_vm"
                ck.done(
                    name,
                    vm_result.outcome.value,
                    code=getattr(vm_result.error, "code", None),
                    detail=vm_result.detail,
                )
        ck.flush()
    result.results = {**done, **result.results}
    return result


def _recorded(action: str, name: str, entry: Mapping[str, Any]) -> VmResult:
    """A VM's result as a checkpoint recorded it."""
    outcome = Outcome(entry["outcome"])
    error = None
    if outcome is Outcome.FAILED:
        error = AzureOperationError(
            f"{action} vm {name}", code=entry.get("code"), message=entry.get("detail")
        )
    detail = f"from the checkpoint: {entry.get('detail') or outcome.value}"
    return VmResult(name, outcome, error, detail=detail, backend=str(entry.get("backend") or "per_vm"))


#: The states of an ``Azure-AsyncOperation`` status that end it (ARM's async operation pattern:
#: learn.microsoft.com/azure/azure-resource-manager/management/async-operations).
_FINAL = {"succeeded": Outcome.SUCCEEDED, "failed": Outcome.FAILED, "canceled": Outcome.FAILED}


async def _watch_recorded(
    ss: ScaleSetCore, action: str, watched: Mapping[str, str], batch: Batch, ck: Checkpoint
) -> dict[str, VmResult]:
    """Read the recorded status URLs of operations another process started until each says how
    it ended (or the deadline passes); a URL Azure no longer knows (404) leaves its VM to be
    sent again."""
    arm = ss._arm()
    clock = ss._rt.clock
    deadline_at = clock() + batch.seconds
    interval = max(arm.settings.polling_interval, 0.01)
    left = dict(watched)
    out: dict[str, VmResult] = {}
    while left:
        for name, url in list(left.items()):
            try:
                answer = await arm.request("GET", url)
            except Exception:  # a failed read never decides: read again
                continue
            if answer.status == 404:
                del left[name]
                ck.vms.pop(name, None)
                continue
            body = answer.json if isinstance(answer.json, Mapping) else {}
            outcome = _FINAL.get(str(body.get("status") or "").lower())
            if answer.status != 200 or outcome is None:
                continue
            del left[name]
            error: FlexError | None = None
            if outcome is Outcome.FAILED:
                err = body.get("error")
                err = err if isinstance(err, Mapping) else {}
                error = AzureOperationError(
                    f"{action} vm {name}",
                    code=str(err.get("code") or body.get("status")),
                    message=err.get("message"),
                )
            out[name] = VmResult(
                name, outcome, error, detail="resumed: its recorded operation " + str(body.get("status"))
            )
            ck.done(name, outcome.value, code=getattr(error, "code", None), detail=out[name].detail)
        ck.flush()
        if not left or clock() >= deadline_at:
            break
        await ss._rt.sleep(interval)
    for name in left:  # past the deadline, still running
        late = DeadlineExceededError(
            f"{action} vm {name}: its recorded operation did not finish before the deadline; "
            "it may still complete."
        )
        out[name] = VmResult(name, Outcome.FAILED, late, detail=str(late))
    return out


def _recording(ck: Checkpoint, on_event: Any) -> Any:
    """An ``on_event`` that also records each per-VM outcome in ``ck`` as it comes."""

    def record(event: ProgressEvent) -> None:
        if event.vm is not None and event.kind in ("done", "failed"):
            ck.vms.setdefault(event.vm, {})["backend"] = "per_vm"
            ck.done(event.vm, "succeeded" if event.kind == "done" else "failed", detail=event.detail)
            ck.flush()
        elif event.vm is not None and event.kind == "started" and ck.entry(event.vm) is None:
            ck.sent(event.vm, "per_vm")
            ck.flush()
        if on_event is not None:
            on_event(event)

    return record


def _summed(counts: Sequence[Mapping[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for count in counts:
        for key, value in count.items():
            out[key] = out.get(key, 0) + value
    return out
