"""The rule engine: what a rule is, what it looks at, and how findings come out of it.

A rule is a check function decorated with :func:`rule`, which holds everything else about it
in one place: its id, title, severity, what the 2021 Flex documentation said and what holds
today, and its sources. The checks live by topic in the sibling modules (``scale_set``,
``sizes``, ``network``, ``names``, ``lifted``); importing :mod:`flexvmss._rules` registers them
all, and :data:`flexvmss._rules.RULES` lists them in id order.

Checks are pure: they read a :class:`RuleContext` (the spec, its rendered wire body, and the
:class:`Facts` preflight read from Azure beforehand) and yield :class:`Issue` s, which
:func:`evaluate` turns into :class:`Finding` s whose message names the field, the value and the
fix. Nothing here sends a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from flexvmss._errors import InvalidInputError
from flexvmss._skus import SkuCatalog, VmSize, normalize_location
from flexvmss._specs import ImageSpec, ScaleSetSpec, VmSpec, dig, render_scale_set_body, render_vm_body

__all__ = [
    "Facts",
    "Finding",
    "Issue",
    "Profile",
    "Rule",
    "RuleContext",
    "ScaleSetFacts",
    "Severity",
    "check_change",
    "evaluate",
    "registered_rules",
    "rule",
    "rules_table",
    "to_invalid_input",
]

Severity = Literal["error", "warning"]
Profile = Literal["today", "2021"]
#: A change of an existing set some rules also check: its capacity (``scale_to``), or the size
#: of its VMs (``update(size=...)``).
Change = Literal["capacity", "size"]


@dataclass(frozen=True)
class Finding:
    """One problem a rule found. ``message`` names the field, the value and the fix."""

    rule_id: str
    severity: Severity
    field: str
    value: Any
    message: str
    fix: str
    source: str

    def __str__(self) -> str:
        return f"{self.rule_id} {self.severity}: {self.message}"


@dataclass(frozen=True)
class Issue:
    """What a check reports; :func:`evaluate` turns it into a :class:`Finding`.

    ``severity`` overrides the rule's (a rule may warn in one case and refuse in another).
    """

    field: str
    value: Any
    problem: str
    fix: str
    severity: Severity | None = None


class ScaleSetFacts(Protocol):
    """What the rules read about an existing scale set: :class:`flexvmss.ScaleSetInfo`
    (``ScaleSetInfo.from_wire(body)`` for a GET body) has exactly these."""

    @property
    def name(self) -> str: ...

    @property
    def id(self) -> str: ...

    @property
    def resource_group(self) -> str | None: ...

    @property
    def location(self) -> str: ...

    @property
    def orchestration_mode(self) -> str | None: ...

    @property
    def platform_fault_domain_count(self) -> int | None: ...

    @property
    def single_placement_group(self) -> bool | None: ...

    @property
    def zones(self) -> tuple[str, ...]: ...

    @property
    def sku_name(self) -> str | None: ...

    @property
    def raw(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Facts:
    """What preflight read from Azure before the rules ran; the checks never read anything
    themselves.

    ``catalog`` is the region's Resource SKUs (None: the SKU rules are skipped); ``scale_set``
    the set VMs are created into; ``existing_vm`` the body of a VM that already has the VM
    spec's name; ``resources`` the network resources the rules asked for
    (:func:`flexvmss._rules.network.reads`), by lower-cased id, None for one that does not exist.
    """

    catalog: SkuCatalog | None = None
    scale_set: ScaleSetFacts | None = None
    existing_vm: Mapping[str, Any] | None = None
    resources: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)

    def was_read(self, resource_id: str) -> bool:
        return resource_id.lower() in self.resources

    def resource(self, resource_id: str) -> Mapping[str, Any] | None:
        return self.resources.get(resource_id.lower())


@dataclass
class RuleContext:
    """Everything a check may look at: the spec, its rendered wire body, the set's name, the
    :class:`Facts` read from Azure and, for a change of an existing set (:func:`check_change`),
    the capacity or the VM size asked for."""

    _spec: ScaleSetSpec | VmSpec | None
    name: str | None
    body: dict[str, Any]
    facts: Facts = field(default_factory=Facts)
    requested_capacity: int | None = None
    requested_size: str | None = None
    _sizes_cache: list[tuple[str, str]] | None = field(default=None, repr=False)

    @property
    def spec(self) -> ScaleSetSpec | VmSpec:
        """The spec under check (rules that also check a change of an existing set read
        :attr:`set_spec` / :attr:`vm_spec` instead, which are None there)."""
        if self._spec is None:
            raise RuntimeError("this rule checks specs only: do not list it as checking a change")
        return self._spec

    @property
    def catalog(self) -> SkuCatalog | None:
        return self.facts.catalog

    @property
    def scale_set(self) -> ScaleSetFacts | None:
        return self.facts.scale_set

    @property
    def existing_vm(self) -> Mapping[str, Any] | None:
        return self.facts.existing_vm

    @property
    def is_vm(self) -> bool:
        return isinstance(self._spec, VmSpec)

    @property
    def set_spec(self) -> ScaleSetSpec | None:
        return self._spec if isinstance(self._spec, ScaleSetSpec) else None

    @property
    def vm_spec(self) -> VmSpec | None:
        return self._spec if isinstance(self._spec, VmSpec) else None

    @property
    def props(self) -> Mapping[str, Any]:
        return self.body.get("properties") or {}

    @property
    def vm_profile(self) -> Mapping[str, Any]:
        """The VM model: the set's ``virtualMachineProfile``, or the VM's own properties."""
        if self.is_vm:
            return self.props
        return self.props.get("virtualMachineProfile") or {}

    @property
    def has_vm_profile(self) -> bool:
        return bool(self.vm_profile)

    @property
    def os_type(self) -> str:
        image = self.spec.image
        return image.os if image is not None else "linux"

    @property
    def capacity(self) -> int | None:
        """The VM count asked for: a set spec's capacity, or the capacity of a scale request."""
        if self.set_spec is not None:
            return self.set_spec.capacity
        return self.requested_capacity

    @property
    def managed_image(self) -> bool:
        """Whether the set's VMs come from a managed image (``Microsoft.Compute/images``)."""
        if self.set_spec is not None:
            return self.set_spec.image is not None and self.set_spec.image.is_managed_image
        image_id = dig(self.vm_profile, "storageProfile", "imageReference", "id")
        return ImageSpec(id=str(image_id or "")).is_managed_image

    @property
    def fault_domain_count(self) -> int | None:
        if self.set_spec is not None:
            value = self.props.get("platformFaultDomainCount")
            return value if isinstance(value, int) else None
        return self.scale_set.platform_fault_domain_count if self.scale_set else None

    @property
    def zones(self) -> tuple[str, ...]:
        if self.vm_spec is not None:
            return (str(self.vm_spec.zone),) if self.vm_spec.zone is not None else ()
        return tuple(str(z) for z in self.body.get("zones") or ())

    def vm_sizes(self) -> list[tuple[str, str]]:
        """(field, size name) for every size the spec (or the existing set, or the size change
        asked for) would run."""
        if self._sizes_cache is None:
            sizes: list[tuple[str, str]] = []
            if self.requested_size is not None:
                sizes.append(("size", self.requested_size))
            elif self.vm_spec is not None:
                if self.vm_spec.vm_size:
                    sizes.append(("vm_size", self.vm_spec.vm_size))
            elif self.set_spec is not None:
                if self.set_spec.vm_size:
                    sizes.append(("vm_size", self.set_spec.vm_size))
                if self.set_spec.sku_profile is not None:
                    sizes.extend(
                        (f"sku_profile.vm_sizes[{i}]", n)
                        for i, n in enumerate(self.set_spec.sku_profile.vm_sizes)
                    )
            else:
                name = str(dig(self.body, "sku", "name") or "")
                if name and name.lower() != "mix":
                    sizes.append(("vm_size", name))
                for i, size in enumerate(dig(self.props, "skuProfile", "vmSizes") or ()):
                    sizes.append((f"sku_profile.vm_sizes[{i}]", str(dig(size, "name") or "")))
            self._sizes_cache = sizes
        return self._sizes_cache

    def known_sizes(self) -> Iterator[tuple[str, str, VmSize]]:
        """(field, name, catalog entry) for every size the catalog knows."""
        if self.catalog is None:
            return
        for where, name in self.vm_sizes():
            size = self.catalog.vm_size(name)
            if size is not None:
                yield where, name, size

    def non_mpu_with_multiple_fds(self) -> list[tuple[str, str]]:
        """Sizes without memory-preserving updates, when the set has more than one fault domain."""
        count = self.fault_domain_count
        if count is None or count <= 1:
            return []
        return [(where, name) for where, name, size in self.known_sizes() if not size.memory_preserving]

    def region(self) -> str:
        if self.catalog is not None:
            return self.catalog.location
        location = self.body.get("location") or (self.scale_set.location if self.scale_set else None)
        return normalize_location(str(location)) if location else "this region"


Check = Callable[[RuleContext], Iterable[Issue]]


@dataclass(frozen=True)
class Rule:
    """A Flex rule: id, title, default severity, its status in 2021 and today, its source, its check.

    ``lifted`` rules (restrictions Azure has since removed) run only with ``profile="2021"``;
    ``changes`` names the changes of an existing set the rule also checks (:func:`check_change`).
    """

    id: str
    title: str
    severity: Severity
    status_2021: str
    status_today: str
    source: str
    check: Check
    lifted: bool = False
    changes: tuple[Change, ...] = ()


_REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    *,
    title: str,
    severity: Severity,
    status_2021: str,
    status_today: str,
    source: str,
    lifted: bool = False,
    changes: tuple[Change, ...] = (),
) -> Callable[[Check], Rule]:
    """Register the decorated check as rule ``id`` with its metadata; returns the :class:`Rule`.

    ::

        @rule("FLEX004", title="No overprovisioning", severity="error", status_2021="unsupported",
              status_today="still unsupported", source=sources("OM", "MIG"))
        def overprovision(ctx: RuleContext) -> Iterator[Issue]: ...
    """

    def register(check: Check) -> Rule:
        if id in _REGISTRY:
            raise ValueError(f"rule {id} is defined twice ({_REGISTRY[id].check.__qualname__})")
        registered = Rule(id, title, severity, status_2021, status_today, source, check, lifted, changes)
        _REGISTRY[id] = registered
        return registered

    return register


def registered_rules() -> tuple[Rule, ...]:
    """Every registered rule, in id order."""
    return tuple(_REGISTRY[key] for key in sorted(_REGISTRY))


def _waived(waive: Iterable[str]) -> set[str]:
    waived = {w.upper() for w in waive}
    unknown = sorted(waived - set(_REGISTRY))
    if unknown:
        raise InvalidInputError("waive", unknown, f"use rule ids from {', '.join(sorted(_REGISTRY))}")
    return waived


def _run(ctx: RuleContext, rules: Iterable[Rule], waived: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    for each in rules:
        if each.id in waived:
            continue
        for issue in each.check(ctx):
            findings.append(
                Finding(
                    rule_id=each.id,
                    severity=issue.severity or each.severity,
                    field=issue.field,
                    value=issue.value,
                    message=f"{issue.field}={issue.value!r}: {issue.problem} Fix: {issue.fix}.",
                    fix=issue.fix,
                    source=each.source,
                )
            )
    return findings


def evaluate(
    spec: ScaleSetSpec | VmSpec,
    *,
    catalog: SkuCatalog | None,
    waive: Iterable[str] = (),
    scale_set: ScaleSetFacts | None = None,
    profile: Profile = "today",
    name: str | None = None,
    existing_vm: Mapping[str, Any] | None = None,
    resources: Mapping[str, Mapping[str, Any] | None] | None = None,
) -> list[Finding]:
    """Every finding of every rule for ``spec`` (a scale set or a VM to create in one).

    ``catalog`` enables the SKU rules (None skips them). ``scale_set`` describes the target set
    for a :class:`VmSpec` (a :class:`flexvmss.ScaleSetInfo`). ``name`` is the scale set's name
    (checked against Azure's naming rules). ``existing_vm`` is the body of a VM that already has
    the :class:`VmSpec`'s name; ``resources`` the network resources read for the spec (see
    :class:`Facts`). ``profile="2021"`` also runs the restrictions Azure has lifted. Unknown rule
    ids in ``waive`` raise :class:`~flexvmss.InvalidInputError`.
    """
    waived = _waived(waive)
    if profile not in ("today", "2021"):
        raise InvalidInputError("profile", profile, "use 'today' or '2021'")
    if isinstance(spec, VmSpec):
        body = render_vm_body(
            spec,
            scale_set_id=scale_set.id if scale_set is not None else "",
            location=scale_set.location if scale_set is not None else "",
        )
    else:
        body = render_scale_set_body(spec, name=name)
    if name is None and isinstance(spec, ScaleSetSpec) and scale_set is not None:
        name = scale_set.name
    facts = Facts(catalog=catalog, scale_set=scale_set, existing_vm=existing_vm, resources=resources or {})
    ctx = RuleContext(spec, name, body, facts)
    rules = [r for r in registered_rules() if profile == "2021" or not r.lifted]
    return _run(ctx, rules, waived)


def check_change(
    scale_set: ScaleSetFacts,
    *,
    capacity: int | None = None,
    size: str | None = None,
    catalog: SkuCatalog | None,
    waive: Iterable[str] = (),
) -> list[Finding]:
    """The findings of the rules that also check a change of the existing ``scale_set``: its
    ``capacity`` (FLEX014; the catalog is needed only when
    :func:`flexvmss._rules.scale_set.capacity_needs_catalog` says so), or a new ``size`` for its
    VMs (offered, not restricted, not refused by Flex)."""
    if (capacity is None) == (size is None):
        raise ValueError("check_change() checks one change: give capacity or size")
    change: Change = "capacity" if capacity is not None else "size"
    ctx = RuleContext(
        None,
        scale_set.name,
        dict(scale_set.raw),
        Facts(catalog=catalog, scale_set=scale_set),
        requested_capacity=capacity,
        requested_size=size,
    )
    return _run(ctx, [r for r in registered_rules() if change in r.changes], _waived(waive))


def to_invalid_input(finding: Finding) -> InvalidInputError:
    """The :class:`~flexvmss.InvalidInputError` for a finding about an argument (not a spec):
    the same field, value, problem and fix."""
    problem = finding.message.removesuffix(f" Fix: {finding.fix}.")
    return InvalidInputError(finding.field, finding.value, finding.fix, message=problem)


def rules_table() -> list[dict[str, Any]]:
    """The rules as rows for the docs: id, title, severity, 2021 and today's status, source, and
    whether the default profile enforces it."""
    return [
        {
            "id": each.id,
            "title": each.title,
            "severity": each.severity,
            "status_2021": each.status_2021,
            "status_today": ("lifted: " + each.status_today.removeprefix("lifted: "))
            if each.lifted
            else each.status_today,
            "source": each.source,
            "lifted": each.lifted,
            "enforced_by_default": not each.lifted,
        }
        for each in registered_rules()
    ]
