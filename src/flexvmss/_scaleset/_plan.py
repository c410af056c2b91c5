"""Planning: how a live Flex set differs from a :class:`~flexvmss.DesiredState`, as ordered
actions with reasons (:class:`Plan`), like a Terraform plan.

A plan records how the read it was made from went (:class:`PlanRead`): a read that was
throttled, failed or saw VMs in the middle of a change gives a plan :meth:`FlexScaleSet.apply`
refuses, because acting on a wrong picture is how cluster-autoscaler deleted 197 nodes after a
throttled read (kubernetes/autoscaler#3240). Every action on an existing VM carries the ETag
the VM had when it was read, so apply can tell when someone changed it since.

The plan is plain data: :meth:`Plan.to_json` / :meth:`Plan.from_json` (schema
:data:`PLAN_SCHEMA`) round-trip it, so a plan can be reviewed, stored and applied later.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flexvmss._errors import FlexError, InvalidInputError, NotFoundError
from flexvmss._scaleset._core import ScaleSetCore
from flexvmss._scaleset._desired import DesiredState, Group, vm_fields
from flexvmss._scaleset._values import VmInfo, same
from flexvmss._specs import ImageSpec, describe_differences

__all__ = [
    "ACTION_KINDS",
    "PLAN_SCHEMA",
    "Plan",
    "PlanAction",
    "PlanRead",
    "make_plan",
]

#: The version of the JSON a plan serialises to (``schema`` key). A change that removes or
#: renames a key bumps it; adding keys does not.
PLAN_SCHEMA = "flexvmss.plan/1"

ActionKind = Literal["create", "replace", "update", "start", "deallocate", "delete"]
#: The kinds of action, in the order apply runs them: new capacity first, removals last
#: (create before destroy), so a set never drops below what it had while it converges.
ACTION_KINDS: tuple[ActionKind, ...] = ("create", "replace", "update", "start", "deallocate", "delete")

#: Provisioning states of a VM in the middle of a change (someone else's or Azure's): a plan
#: made while one shows is "partial" (the VM's end state is unknown) and is refused by apply.
_IN_FLIGHT = ("creating", "updating", "deleting", "migrating")


@dataclass(frozen=True)
class PlanRead:
    """How the read a plan was made from went.

    ``status`` is ``"ok"`` (every page read, no 429 seen, every VM settled), ``"throttled"``
    (Azure answered 429 at least once while the set was read, even if a retry then got the
    page: kubernetes/autoscaler#3240 is what follows from trusting such a read),
    ``"partial"`` (a VM was mid-change or had no instance view) or ``"failed"`` (the read
    raised; ``detail`` says why and the plan has no actions). ``vms`` is how many VMs the read
    saw; ``throttled`` how many 429 answers flexvmss's clients for this subscription and
    endpoint met in this process while the set was read (other work running meanwhile counts
    too, which errs on the safe side; None when flexvmss does not see the clients' traffic:
    clients passed in as a tuple).
    """

    status: Literal["ok", "throttled", "partial", "failed"]
    vms: int = 0
    throttled: int | None = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class PlanAction:
    """One step of a plan.

    ``kind`` is one of :data:`ACTION_KINDS`; ``vm`` the VM it acts on (for ``create``, the
    name the new VM gets; for ``replace``, the VM replaced, and ``new_name`` its successor);
    ``reasons`` why, in words; ``etag`` the VM's ETag when the plan read it (None for a
    create); ``changes`` what an ``update`` sets (``tags``, ``size``) and the power state it
    then wants (``power_state``); ``vm_spec`` the new VM's spec as data (``create`` and
    ``replace``; no secret is ever in it).
    """

    kind: ActionKind
    vm: str
    zone: str | None
    priority: str
    reasons: tuple[str, ...]
    etag: str | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)
    vm_spec: Mapping[str, Any] = field(default_factory=dict)
    new_name: str | None = None

    @property
    def id(self) -> str:
        """Unique within a plan: ``kind:vm``."""
        return f"{self.kind}:{self.vm}"

    @property
    def removes_a_vm(self) -> bool:
        """Whether the action deletes a VM (a delete, or the old half of a replace): what the
        apply's delete cap counts."""
        return self.kind in ("delete", "replace")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "vm": self.vm,
            "zone": self.zone,
            "priority": self.priority,
            "reasons": list(self.reasons),
            "etag": self.etag,
            "changes": dict(self.changes),
            "vm_spec": dict(self.vm_spec),
            "new_name": self.new_name,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanAction:
        kind = data.get("kind")
        if kind not in ACTION_KINDS:
            raise InvalidInputError("actions[].kind", kind, f"use one of {', '.join(ACTION_KINDS)}")
        return cls(
            kind=kind,
            vm=str(data["vm"]),
            zone=data.get("zone"),
            priority=str(data.get("priority") or "Regular"),
            reasons=tuple(str(r) for r in data.get("reasons") or ()),
            etag=data.get("etag"),
            changes=dict(data.get("changes") or {}),
            vm_spec=dict(data.get("vm_spec") or {}),
            new_name=data.get("new_name"),
        )


@dataclass(frozen=True)
class Plan:
    """What :meth:`FlexScaleSet.plan` found: the actions that bring the live set to the
    desired state, in the order :meth:`FlexScaleSet.apply` runs them.

    ``scale_set`` is the set's id; ``read`` how the read went (apply refuses a plan whose
    read is not ``ok``); ``notes`` differences flexvmss reports but does not act on (the set's
    own model: a Flex set's existing VMs never take a new profile by themselves); ``desired``
    the expectations as data; ``live_vms`` how many VMs the set had. ``desired_state`` is the
    :class:`DesiredState` itself when the plan was made in this process (apply uses it to
    re-plan actions a concurrent change stopped); a plan loaded from JSON has None.
    """

    scale_set: str
    read: PlanRead
    actions: tuple[PlanAction, ...] = ()
    notes: tuple[str, ...] = ()
    desired: Mapping[str, Any] = field(default_factory=dict)
    live_vms: int = 0
    desired_state: DesiredState | None = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        """A digest of the plan's content: the same plan has the same id (a journal is tied
        to it)."""
        text = json.dumps(self._body(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def empty(self) -> bool:
        """Nothing to do: the live set is as desired (and the read was good)."""
        return self.read.ok and not self.actions

    def counts(self) -> dict[str, int]:
        """How many actions of each kind (every kind listed, 0 included)."""
        return {kind: sum(1 for a in self.actions if a.kind == kind) for kind in ACTION_KINDS}

    def _body(self) -> dict[str, Any]:
        return {
            "schema": PLAN_SCHEMA,
            "scale_set": self.scale_set,
            "read": {
                "status": self.read.status,
                "vms": self.read.vms,
                "throttled": self.read.throttled,
                "detail": self.read.detail,
            },
            "live_vms": self.live_vms,
            "desired": dict(self.desired),
            "notes": list(self.notes),
            "actions": [a.to_dict() for a in self.actions],
        }

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain data (:data:`PLAN_SCHEMA`), with its ``id`` and ``summary``."""
        return {**self._body(), "id": self.id, "summary": self.counts()}

    def to_json(self, *, indent: int | None = 2) -> str:
        """The plan as JSON (schema :data:`PLAN_SCHEMA`); :meth:`from_json` reads it back."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_json(cls, text: str | bytes | Mapping[str, Any]) -> Plan:
        """A plan :meth:`to_json` wrote. A file of another schema, or one whose content no
        longer matches its ``id`` (edited by hand), raises :class:`~flexvmss.InvalidInputError`."""
        data = json.loads(text) if isinstance(text, (str, bytes)) else dict(text)
        if not isinstance(data, Mapping) or data.get("schema") != PLAN_SCHEMA:
            found = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
            raise InvalidInputError("schema", found, f"give a plan written by Plan.to_json ({PLAN_SCHEMA})")
        read = data.get("read") or {}
        plan = cls(
            scale_set=str(data.get("scale_set") or ""),
            read=PlanRead(
                status=read.get("status", "failed"),
                vms=int(read.get("vms") or 0),
                throttled=read.get("throttled"),
                detail=str(read.get("detail") or ""),
            ),
            actions=tuple(PlanAction.from_dict(a) for a in data.get("actions") or ()),
            notes=tuple(str(n) for n in data.get("notes") or ()),
            desired=dict(data.get("desired") or {}),
            live_vms=int(data.get("live_vms") or 0),
        )
        if data.get("id") is not None and data["id"] != plan.id:
            raise InvalidInputError(
                "id", data["id"], "the plan's content no longer matches its id (edited?): make a new plan"
            )
        return plan

    def table(self) -> list[tuple[str, str, str, str, str]]:
        """One row per action: (kind, VM, zone, priority, reasons)."""
        return [
            (
                a.kind,
                a.vm if a.new_name is None else f"{a.vm} -> {a.new_name}",
                a.zone or "-",
                a.priority,
                "; ".join(a.reasons),
            )
            for a in self.actions
        ]

    def __str__(self) -> str:
        lines = [
            f"Plan for {self.scale_set.rsplit('/', 1)[-1]} (read: {self.read.status}"
            + (f", {self.read.detail}" if self.read.detail else "")
            + ")"
        ]
        for kind, vm, zone, priority, reasons in self.table():
            lines.append(f"  {kind:<10} {vm:<30} zone {zone:<3} {priority:<8} {reasons}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        counts = ", ".join(f"{n} {k}" for k, n in self.counts().items() if n)
        lines.append(f"  {counts or 'no changes'}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------ planning


async def make_plan(ss: ScaleSetCore, desired: DesiredState) -> Plan:
    """Read the set (its GET and one VM list with the instance view) and compare it with
    ``desired``. A failed read gives a plan with ``read.status == "failed"`` and no actions;
    a set that does not exist raises :class:`~flexvmss.NotFoundError` (plan creates no set:
    create it with :meth:`FlexScaleSet.create` first)."""
    if not isinstance(desired, DesiredState):
        raise InvalidInputError("desired", type(desired).__name__, "give a DesiredState")
    throttle = getattr(ss._arm(), "throttle", None)
    before = getattr(throttle, "throttled", None)
    info = await ss._read_set()
    try:
        vms = await ss._read_vms(instance_view=True)
    except FlexError as exc:
        return Plan(
            scale_set=ss.id,
            read=PlanRead("failed", detail=f"the VM list failed: {type(exc).__name__}: {exc.message}"),
            desired=desired.to_dict(),
            desired_state=desired,
        )
    after = getattr(throttle, "throttled", None)
    throttled = after - before if isinstance(before, int) and isinstance(after, int) else None
    read = _judge_read(vms, throttled)
    notes = tuple(
        f"the set differs from the spec: {d} (flexvmss does not change a set's model in place)"
        for d in (describe_differences(info.raw, desired.spec, name=ss.name) if info.raw else [])
    )
    actions = _diff(ss.name, desired, vms, info.zones)
    if read.status != "failed" and any(a.kind != "create" for a in actions):
        # A VM list may be a round stale (it can show a VM as it was before its last change, or
        # one already deleted: ARM's reads are eventually consistent, "Track asynchronous Azure
        # operations"; reproduced by the emulator's realism). An action on an existing VM is
        # planned from that VM's own GET, never from the list alone.
        vms = await _confirm(ss, vms, {a.vm for a in actions if a.kind != "create"})
        read = _judge_read(vms, throttled)
        actions = _diff(ss.name, desired, vms, info.zones)
    return Plan(
        scale_set=ss.id,
        read=read,
        actions=tuple(actions) if read.status != "failed" else (),
        notes=notes,
        desired=desired.to_dict(),
        live_vms=len(vms),
        desired_state=desired,
    )


async def _confirm(ss: ScaleSetCore, vms: list[VmInfo], names: set[str]) -> list[VmInfo]:
    """``vms`` with each VM named in ``names`` as its own GET shows it now (dropped when the GET
    says it is gone); at most 16 GETs at once."""
    slots = asyncio.Semaphore(16)

    async def read(vm: VmInfo) -> VmInfo | None:
        if vm.name not in names:
            return vm
        async with slots:
            try:
                return await ss._read_vm(vm.name)
            except NotFoundError:
                return None

    confirmed = await asyncio.gather(*(read(vm) for vm in vms))
    return [vm for vm in confirmed if vm is not None]


def _judge_read(vms: Sequence[VmInfo], throttled: int | None) -> PlanRead:
    if throttled:
        return PlanRead(
            "throttled",
            len(vms),
            throttled,
            f"Azure answered 429 {throttled} time(s) while the set was read",
        )
    busy = [vm.name for vm in vms if (vm.provisioning_state or "").lower() in _IN_FLIGHT]
    blind = [vm.name for vm in vms if vm.power_state is None and vm.name not in busy]
    # VMs carry an etag from api-version 2023-07-01 (REST spec, VirtualMachine.etag): a VM read
    # without one could not be guarded against a change between plan and apply
    untagged = [vm.name for vm in vms if not vm.raw.get("etag")]
    if busy or blind or untagged:
        parts = []
        if untagged:
            parts.append(f"{len(untagged)} VM(s) without an ETag ({', '.join(sorted(untagged)[:5])})")
        if busy:
            parts.append(f"{len(busy)} VM(s) mid-change ({', '.join(sorted(busy)[:5])})")
        if blind:
            parts.append(f"{len(blind)} VM(s) without an instance view ({', '.join(sorted(blind)[:5])})")
        return PlanRead("partial", len(vms), throttled, "; ".join(parts))
    return PlanRead("ok", len(vms), throttled)


def _priority(vm: VmInfo) -> str:
    return "Spot" if vm.priority.lower() in ("spot", "low") else "Regular"


def _diff(
    set_name: str, desired: DesiredState, vms: Sequence[VmInfo], set_zones: Sequence[str]
) -> list[PlanAction]:
    groups = desired.groups()
    claimed: dict[int, list[VmInfo]] = {i: [] for i in range(len(groups))}
    left = sorted(vms, key=lambda vm: vm.name.lower())
    # VMs go to the group of their exact zone first, then to a group of any zone of their priority
    for pinned in (True, False):
        for i, group in enumerate(groups):
            if (group.zone is not None) != pinned:
                continue
            mine = [
                vm
                for vm in left
                if _priority(vm) == group.priority and (group.zone is None or vm.zone == group.zone)
            ]
            claimed[i] = mine
            left = [vm for vm in left if vm not in mine]
    actions: list[PlanAction] = []
    taken = {vm.name.lower() for vm in vms}
    for vm in left:
        actions.append(
            PlanAction(
                "delete",
                vm.name,
                vm.zone,
                _priority(vm),
                (f"no desired group for {_priority(vm)} VMs in zone {vm.zone or '(none)'}",),
                vm.raw.get("etag"),
            )
        )
    for i, group in enumerate(groups):
        members = claimed[i]
        drift = {vm.name: _drift(vm, group) for vm in members}
        excess = len(members) - group.count
        if excess > 0:
            # remove first what would need replacing, then what is not running, then by name (a stable order)
            order = sorted(
                members,
                key=lambda vm: (
                    "replace" not in drift[vm.name],
                    (vm.power_state or "") == "running",
                    [-ord(c) for c in vm.name.lower()],
                ),
            )
            for vm in order[:excess]:
                actions.append(
                    PlanAction(
                        "delete",
                        vm.name,
                        vm.zone,
                        group.priority,
                        (f"{group.label} has {len(members)} VMs, {group.count} wanted",),
                        vm.raw.get("etag"),
                    )
                )
            doomed = {vm.name for vm in order[:excess]}
            members = [vm for vm in members if vm.name not in doomed]
        for vm in members:
            action = _fix(set_name, desired, group, vm, drift[vm.name], taken)
            if action is not None:
                actions.append(action)
        if excess < 0:
            counts = {z: 0 for z in (set_zones or ())}
            for vm in members:
                if vm.zone is not None:
                    counts[vm.zone] = counts.get(vm.zone, 0) + 1
            for _ in range(-excess):
                zone = group.zone
                if zone is None and counts:
                    zone = min(sorted(counts), key=lambda z: counts[z])  # Azure spreads the same way
                    counts[zone] += 1
                name = _new_name(set_name, taken)
                spec = desired.new_vm(group, name, zone)
                actions.append(
                    PlanAction(
                        "create",
                        name,
                        zone,
                        group.priority,
                        (f"{group.label} has {len(members)} VMs, {group.count} wanted",),
                        vm_spec=vm_fields(spec),
                        changes={"power_state": group.power_state}
                        if group.power_state == "deallocated"
                        else {},
                    )
                )
    rank = {kind: i for i, kind in enumerate(ACTION_KINDS)}
    return sorted(actions, key=lambda a: (rank[a.kind], a.vm.lower()))


def _drift(vm: VmInfo, group: Group) -> dict[str, str]:
    """What differs on ``vm`` from ``group``: change name -> reason."""
    out: dict[str, str] = {}
    if (vm.provisioning_state or "").lower() == "failed":
        out["replace"] = "its provisioning failed"
    if group.image is not None and not _same_image(vm, group.image):
        out["replace"] = f"image {_image_text(vm)} -> {group.image}"
    if group.size is not None and not same(vm.size, group.size):
        out["size"] = f"size {vm.size} -> {group.size}"
    if group.tags is not None:
        wrong = sorted(k for k, v in group.tags.items() if vm.tags.get(k) != v)
        if wrong:
            out["tags"] = "tags " + ", ".join(f"{k}={vm.tags.get(k)!r}->{group.tags[k]!r}" for k in wrong)
    if group.power_state is not None and vm.power_state != group.power_state:
        out["power_state"] = f"power {vm.power_state} -> {group.power_state}"
    return out


def _fix(
    set_name: str, desired: DesiredState, group: Group, vm: VmInfo, drift: Mapping[str, str], taken: set[str]
) -> PlanAction | None:
    if not drift:
        return None
    etag = vm.raw.get("etag")
    if "replace" in drift:
        name = _new_name(set_name, taken)
        spec = desired.new_vm(group, name, vm.zone)
        return PlanAction(
            "replace",
            vm.name,
            vm.zone,
            group.priority,
            tuple(drift.values()),
            etag,
            vm_spec=vm_fields(spec),
            new_name=name,
        )
    changes: dict[str, Any] = {}
    if "size" in drift:
        changes["size"] = group.size
    if "tags" in drift and group.tags is not None:
        changes["tags"] = dict(group.tags)
    if "power_state" in drift:
        changes["power_state"] = group.power_state
    if "size" in changes or "tags" in changes:
        return PlanAction("update", vm.name, vm.zone, group.priority, tuple(drift.values()), etag, changes)
    kind: ActionKind = "start" if group.power_state == "running" else "deallocate"
    return PlanAction(kind, vm.name, vm.zone, group.priority, tuple(drift.values()), etag, changes)


def _image_ref(vm: VmInfo) -> Mapping[str, Any]:
    props = vm.raw.get("properties") or {}
    return (props.get("storageProfile") or {}).get("imageReference") or {}


def _image_text(vm: VmInfo) -> str:
    ref = _image_ref(vm)
    if ref.get("id"):
        return str(ref["id"])
    version = ref.get("exactVersion") or ref.get("version") or "?"
    return f"{ref.get('publisher')}:{ref.get('offer')}:{ref.get('sku')}:{version}"


def _same_image(vm: VmInfo, image: ImageSpec) -> bool:
    """Whether ``vm`` runs ``image``. A marketplace image asked for at ``latest`` matches any
    version of its publisher, offer and sku (which version 'latest' is today is not read);
    a pinned version must equal the VM's ``version`` or ``exactVersion`` (Azure reports the
    version it resolved in ``exactVersion``: REST spec, ImageReference)."""
    ref = _image_ref(vm)
    if not ref:
        return True  # a VM whose image Azure does not report is not judged (inferred: safe)
    if image.id is not None:
        return same(ref.get("id"), image.id)
    if not (
        same(ref.get("publisher"), image.publisher)
        and same(ref.get("offer"), image.offer)
        and same(ref.get("sku"), image.sku)
    ):
        return False
    if image.version.lower() == "latest":
        return True
    return image.version in (ref.get("version"), ref.get("exactVersion"))


def _new_name(set_name: str, taken: set[str]) -> str:
    """A VM name no VM of the resource group's list has: the set's name, a dash and a
    6-character suffix derived from it and a counter (deterministic, so a plan of the same
    state names the same VMs)."""
    stem = set_name[:50].rstrip("-._")
    n = 0
    while True:
        digest = hashlib.sha256(f"{set_name}/{n}".encode()).hexdigest()[:6]
        name = f"{stem}-{digest}"
        n += 1
        if name.lower() not in taken:
            taken.add(name.lower())
            return name


def resolve_cap(max_delete: int | float | None, live_vms: int) -> int:
    """How many VMs one apply may delete or replace: ``max_delete`` as a count (int), a
    fraction of the live VMs (a float in (0, 1]), or by default 10% of them or 5, whichever is
    larger (cluster-autoscaler's 197-node deletion, kubernetes/autoscaler#3240, is the reason
    there is a cap at all)."""
    if max_delete is None:
        return max(5, math.ceil(0.10 * live_vms))
    if isinstance(max_delete, bool) or not isinstance(max_delete, (int, float)):
        raise InvalidInputError("max_delete", max_delete, "give a count (int) or a fraction in (0, 1]")
    if isinstance(max_delete, float):
        if not 0.0 < max_delete <= 1.0:
            raise InvalidInputError(
                "max_delete", max_delete, "give a fraction in (0, 1], or a count as an int"
            )
        return math.ceil(max_delete * live_vms)
    if max_delete < 0:
        raise InvalidInputError("max_delete", max_delete, "give 0 or more")
    return max_delete
