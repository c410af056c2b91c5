"""The desired state of a Flex set's VMs: what :meth:`FlexScaleSet.plan` compares the live set
with.

A :class:`DesiredState` is the set's spec (its VM profile gives the model: size, image, network)
plus expectations about the VMs: how many per zone and priority (:class:`VmGroup`), and the
size, image, tags and power state each group's VMs should have. Whatever it leaves as None is
not compared: a plan never touches what the desired state does not mention.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flexvmss._errors import InvalidInputError
from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, SpotSpec, VmSpec

__all__ = ["DesiredState", "Group", "PowerState", "VmGroup", "vm_fields", "vm_from_fields"]

#: The power states a desired state can ask for (Azure's ``PowerState/...`` codes, lower case).
PowerState = Literal["running", "deallocated"]
_POWER_STATES = ("running", "deallocated")
_PRIORITIES = ("Regular", "Spot")


@dataclass(frozen=True)
class VmGroup:
    """``count`` VMs of ``priority`` in ``zone``.

    ``zone=None`` means any zone of the set: such a group's VMs may sit in any of the set's
    zones, and new ones go where the group has fewest (Azure balances a set's profile VMs the
    same way). ``size``, ``image``, ``tags`` and ``power_state`` override the desired state's for
    this group's VMs; None takes the desired state's.
    """

    count: int
    zone: str | None = None
    priority: Literal["Regular", "Spot"] = "Regular"
    size: str | None = None
    image: ImageSpec | None = None
    tags: Mapping[str, str] | None = None
    power_state: PowerState | None = None

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise InvalidInputError("vms.count", self.count, "give a whole number of VMs, 0 or more")
        if isinstance(self.zone, int) and not isinstance(self.zone, bool):
            object.__setattr__(self, "zone", str(self.zone))  # zones are often written unquoted
        if self.zone is not None and (not isinstance(self.zone, str) or not self.zone.strip()):
            raise InvalidInputError("vms.zone", self.zone, "give a zone such as '1', or None for any zone")
        priority = next((p for p in _PRIORITIES if p.lower() == str(self.priority).lower()), None)
        if priority is None:
            raise InvalidInputError("vms.priority", self.priority, "use Regular or Spot")
        object.__setattr__(self, "priority", priority)
        _check_common(self, "vms.")


@dataclass(frozen=True)
class Group:
    """One :class:`VmGroup` with the desired state's defaults filled in (what the plan compares)."""

    count: int
    zone: str | None
    priority: str
    size: str | None
    image: ImageSpec | None
    tags: Mapping[str, str] | None
    power_state: str | None

    @property
    def label(self) -> str:
        return f"{self.priority} in zone {self.zone}" if self.zone else f"{self.priority} in any zone"


@dataclass(frozen=True)
class DesiredState:
    """What a live Flex set should look like.

    ``spec`` is the set's spec (as for :meth:`FlexScaleSet.create`). ``vms`` says how many VMs
    per zone and priority; empty, it is the spec's ``capacity`` spread over its zones with its
    priority (a set without a VM profile has no capacity, so it must say). ``size`` and
    ``image`` (None: the spec's) are the model every VM should have; ``tags`` (None: VM tags are
    not compared) are tags each VM must carry, others it has are left alone; ``power_state``
    (``"running"``, ``"deallocated"``, None: not compared) is the power state each VM should be in.
    """

    spec: ScaleSetSpec
    vms: tuple[VmGroup, ...] = ()
    size: str | None = None
    image: ImageSpec | None = None
    tags: Mapping[str, str] | None = None
    power_state: PowerState | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.spec, ScaleSetSpec):
            raise InvalidInputError("spec", type(self.spec).__name__, "give a ScaleSetSpec")
        if isinstance(self.vms, VmGroup):
            object.__setattr__(self, "vms", (self.vms,))
        groups = tuple(VmGroup(**dict(g)) if isinstance(g, Mapping) else g for g in (self.vms or ()))
        for group in groups:
            if not isinstance(group, VmGroup):
                raise InvalidInputError("vms", type(group).__name__, "give VmGroup values")
        keys = [(g.zone, g.priority) for g in groups]
        doubled = sorted({f"{z or 'any'}/{p}" for z, p in keys if keys.count((z, p)) > 1})
        if doubled:
            raise InvalidInputError(
                "vms", doubled, "give each (zone, priority) once: add the counts of the groups together"
            )
        object.__setattr__(self, "vms", groups)
        if not groups and not self.spec.has_vm_profile:
            raise InvalidInputError(
                "vms",
                (),
                "a set without a VM profile has no capacity to take a VM count from: say how many VMs "
                "you want, e.g. vms=(VmGroup(count=3),)",
            )
        _check_common(self, "")

    def groups(self) -> tuple[Group, ...]:
        """The VM groups with every default filled in, in the order given (derived from the
        spec's capacity when ``vms`` is empty)."""
        chosen = self.vms or (VmGroup(self.spec.capacity, priority=_spec_priority(self.spec)),)
        return tuple(
            Group(
                count=g.count,
                zone=g.zone,
                priority=g.priority,
                size=g.size or self.size or self.spec.vm_size,
                image=g.image or self.image or self.spec.image,
                tags=g.tags if g.tags is not None else self.tags,
                power_state=g.power_state or self.power_state,
            )
            for g in chosen
        )

    @property
    def count(self) -> int:
        """How many VMs the set should have in all."""
        return sum(g.count for g in self.groups())

    def new_vm(self, group: Group, name: str, zone: str | None) -> VmSpec:
        """The spec of a VM the plan creates for ``group``: its model, zone and priority; the
        rest (network, administrator, keys) from the set's spec, or, when that names none, from
        the set's profile when it is created (:meth:`FlexScaleSet.add_vms`)."""
        spec = self.spec
        spot = (spec.spot or SpotSpec()) if group.priority == "Spot" else None
        return VmSpec(
            name=name,
            vm_size=group.size,
            image=group.image,
            network=spec.network,
            zone=zone,
            priority="Spot" if group.priority == "Spot" else "Regular",
            spot=spot,
            admin_username=spec.admin_username if not spec.has_vm_profile else None,
            ssh_public_keys=spec.ssh_public_keys,
            tags=dict(group.tags or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """The VM expectations as plain data (no spec: a spec may hold secrets)."""
        return {
            "vms": [
                {
                    "count": g.count,
                    "zone": g.zone,
                    "priority": g.priority,
                    "size": g.size,
                    "image": str(g.image) if g.image else None,
                    "tags": dict(g.tags) if g.tags is not None else None,
                    "power_state": g.power_state,
                }
                for g in self.groups()
            ],
        }

    @classmethod
    def from_mapping(cls, spec: ScaleSetSpec, data: Mapping[str, Any]) -> DesiredState:
        """Build from a parsed desired-state file: ``vms`` (a list of groups: ``count``,
        ``zone``, ``priority``, ``size``, ``image``, ``tags``, ``power_state``), ``size``,
        ``image`` (a URN or an image id), ``tags`` and ``power_state``. Unknown keys and wrong
        types raise :class:`~flexvmss.InvalidInputError` naming the key."""
        if not isinstance(data, Mapping):
            raise InvalidInputError("desired", type(data).__name__, "give a mapping")
        known = {"vms", "size", "image", "tags", "power_state"}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise InvalidInputError(
                unknown[0],
                data[unknown[0]],
                f"remove it or fix its spelling; known keys: {', '.join(sorted(known))}",
            )
        raw_groups = data.get("vms") or []
        if not isinstance(raw_groups, Sequence) or isinstance(raw_groups, (str, bytes)):
            raise InvalidInputError("vms", raw_groups, "give a list of groups (count, zone, priority...)")
        groups = []
        group_keys = {f.name for f in dataclasses.fields(VmGroup)}
        for i, raw in enumerate(raw_groups):
            where = f"vms[{i}]"
            if not isinstance(raw, Mapping):
                raise InvalidInputError(where, raw, "give a mapping with count, zone, priority...")
            bad = sorted(str(k) for k in raw if k not in group_keys)
            if bad:
                raise InvalidInputError(
                    f"{where}.{bad[0]}",
                    raw[bad[0]],
                    f"known keys of a group: {', '.join(sorted(group_keys))}",
                )
            values = dict(raw)
            if "image" in values:
                values["image"] = _image(values["image"], f"{where}.image")
            if "tags" in values:
                values["tags"] = _tags(values["tags"], f"{where}.tags")
            groups.append(VmGroup(**values))
        return cls(
            spec=spec,
            vms=tuple(groups),
            size=data.get("size"),
            image=_image(data["image"], "image") if data.get("image") is not None else None,
            tags=_tags(data["tags"], "tags") if data.get("tags") is not None else None,
            power_state=data.get("power_state"),
        )


def _spec_priority(spec: ScaleSetSpec) -> Literal["Regular", "Spot"]:
    return "Spot" if spec.priority in ("Spot", "Low") else "Regular"


def _check_common(value: DesiredState | VmGroup, prefix: str) -> None:
    """The fields a desired state and a group share: size, image, tags, power state."""
    if value.size is not None and (not isinstance(value.size, str) or not value.size.strip()):
        raise InvalidInputError(f"{prefix}size", value.size, "give a VM size such as Standard_D2s_v5")
    if value.image is not None and not isinstance(value.image, ImageSpec):
        object.__setattr__(value, "image", _image(value.image, f"{prefix}image"))
    if value.tags is not None:
        object.__setattr__(value, "tags", _tags(value.tags, f"{prefix}tags"))
    if value.power_state is not None:
        power = str(value.power_state).lower()
        if power not in _POWER_STATES:
            raise InvalidInputError(f"{prefix}power_state", value.power_state, "use running or deallocated")
        object.__setattr__(value, "power_state", power)


def _image(value: Any, where: str) -> ImageSpec:
    if isinstance(value, ImageSpec):
        return value
    if isinstance(value, str) and value.startswith("/"):
        return ImageSpec(id=value)
    if isinstance(value, str):
        return ImageSpec.from_urn(value)
    raise InvalidInputError(where, value, "give a URN (publisher:offer:sku:version) or an image id")


def _tags(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidInputError(where, value, "give a mapping of tag names to values")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, (str, int, float, bool)):
            raise InvalidInputError(f"{where}.{key}", item, "give text tag names and values")
        out[key] = str(item)
    return out


# --------------------------------------------------------------------------------- VM specs as data

#: The fields of a :class:`VmSpec` a plan keeps as data: none of them a secret (a plan and its
#: journal are files; a VM that needs a password gets it from the set's spec in the process
#: that applies the plan).
_VM_FIELDS = (
    "name",
    "vm_size",
    "image",
    "zone",
    "priority",
    "spot",
    "admin_username",
    "ssh_public_keys",
    "tags",
    "network",
)


def vm_fields(spec: VmSpec) -> dict[str, Any]:
    """``spec`` as plain data, secrets left out."""
    out: dict[str, Any] = {}
    for name in _VM_FIELDS:
        value = getattr(spec, name)
        if value is None or value == () or value == {}:
            continue
        if isinstance(value, ImageSpec):
            value = str(value)
        elif isinstance(value, (SpotSpec, NetworkSpec)):
            value = {
                f.name: (list(v) if isinstance(v := getattr(value, f.name), tuple) else v)
                for f in dataclasses.fields(value)
            }
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[name] = value
    return out


def vm_from_fields(data: Mapping[str, Any]) -> VmSpec:
    """The :class:`VmSpec` :func:`vm_fields` wrote."""
    return VmSpec.from_mapping(dict(data))


# what a new VM's spec holds, for readers of this module
_ = field
