"""What the facade returns: VMs, the scale set, a teardown's result; and the checked parsing
that turns Azure's bodies into them.

A body that is not the resource it claims to be (no id, no name, properties that are not an
object, fields of the wrong type) is a :class:`~flexvmss.MalformedResponseError` naming the
operation, never an ``AttributeError`` later and never taken for a real answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flexvmss._errors import InvalidInputError, MalformedResponseError
from flexvmss._fanout import BatchResult, power_state

__all__ = [
    "ScaleSetInfo",
    "TeardownResult",
    "VmInfo",
    "parse",
    "resource_body",
    "rg_of",
    "same",
    "wire",
]

T = TypeVar("T")


@dataclass(frozen=True)
class VmInfo:
    """One VM of the set, as the filtered VM list returns it.

    ``power_state`` (``"running"``, ``"deallocated"``, ...) is known only when the list was read
    with the instance view; ``raw`` is the VM's ARM body (never holds passwords or custom data:
    Azure does not return them).
    """

    name: str
    id: str
    size: str | None
    zone: str | None
    platform_fault_domain: int | None
    priority: str
    provisioning_state: str | None
    power_state: str | None
    tags: Mapping[str, str]
    nic_ids: tuple[str, ...] = ()
    os_disk_id: str | None = None
    data_disk_ids: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> VmInfo:
        """Build from a VM's ARM body (a dict or an azure-mgmt model)."""
        body = wire(body)
        props = body.get("properties") or {}
        storage = props.get("storageProfile") or {}
        view = props.get("instanceView") or {}
        zones = body.get("zones") or ()
        fd = props.get("platformFaultDomain")
        if fd is None:
            fd = view.get("platformFaultDomain")
        return cls(
            name=str(body.get("name")),
            id=str(body.get("id")),
            size=(props.get("hardwareProfile") or {}).get("vmSize"),
            zone=str(zones[0]) if zones else None,
            platform_fault_domain=int(fd) if fd is not None else None,
            priority=str(props.get("priority") or "Regular"),
            provisioning_state=props.get("provisioningState"),
            power_state=power_state(body),
            tags=dict(body.get("tags") or {}),
            nic_ids=tuple(
                str(nic["id"]) for nic in (props.get("networkProfile") or {}).get("networkInterfaces") or ()
                if nic.get("id")
            ),
            os_disk_id=((storage.get("osDisk") or {}).get("managedDisk") or {}).get("id"),
            data_disk_ids=tuple(
                str(disk["managedDisk"]["id"])
                for disk in storage.get("dataDisks") or ()
                if (disk.get("managedDisk") or {}).get("id")
            ),
            raw=body,
        )


@dataclass(frozen=True)
class ScaleSetInfo:
    """The scale set as Azure reports it (GET); also what the Flex rules read about the set VMs
    are created into (build one from a GET body with :meth:`from_wire`)."""

    name: str
    id: str = ""
    location: str = ""
    orchestration_mode: str | None = "Flexible"
    provisioning_state: str | None = None
    platform_fault_domain_count: int | None = 1
    single_placement_group: bool | None = None
    zones: tuple[str, ...] = ()
    sku_name: str | None = None
    capacity: int | None = None
    has_vm_profile: bool = False
    etag: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def resource_group(self) -> str | None:
        """The resource group named in :attr:`id` (None when the id names none)."""
        match = re.search(r"/resourceGroups/([^/]+)", self.id, flags=re.IGNORECASE)
        return match.group(1) if match else None

    @classmethod
    def from_wire(cls, body: Mapping[str, Any]) -> ScaleSetInfo:
        """From a GET body (wire dict or azure-mgmt model)."""
        body = wire(body)
        props = body.get("properties") or {}
        sku = body.get("sku") or {}
        resource_id = str(body.get("id") or "")
        return cls(
            name=str(body.get("name") or resource_id.rsplit("/", 1)[-1]),
            id=resource_id,
            location=str(body.get("location") or ""),
            orchestration_mode=props.get("orchestrationMode"),
            provisioning_state=props.get("provisioningState"),
            platform_fault_domain_count=props.get("platformFaultDomainCount"),
            single_placement_group=props.get("singlePlacementGroup"),
            zones=tuple(str(z) for z in body.get("zones") or ()),
            sku_name=sku.get("name"),
            capacity=sku.get("capacity"),
            has_vm_profile=props.get("virtualMachineProfile") is not None,
            etag=body.get("etag"),
            tags=dict(body.get("tags") or {}),
            raw=body,
        )


@dataclass(frozen=True)
class TeardownResult:
    """What :meth:`FlexScaleSet.delete` did: the VM deletions, the leftovers it deleted (ids)
    and whether the set itself was deleted (False when it was already gone)."""

    vms: BatchResult | None
    leftovers_deleted: tuple[str, ...]
    scale_set_deleted: bool


def wire(body: Any) -> dict[str, Any]:
    """A plain wire-keyed dict from an azure-mgmt model or a mapping."""
    if hasattr(body, "as_dict"):
        return dict(body.as_dict())
    return dict(body)


def resource_body(body: Any, operation: str, what: str) -> dict[str, Any]:
    """``body`` as a wire dict, checked to be a resource (an object with string ``id`` and
    ``name`` and, if present, object ``properties``); else :class:`MalformedResponseError`
    naming ``operation``: a malformed answer is never taken for a real one."""
    if body is not None and not isinstance(body, Mapping) and hasattr(body, "as_dict"):
        body = body.as_dict()
    problem = None
    if not isinstance(body, Mapping):
        problem = f"{type(body).__name__} where {what} was expected"
    elif not isinstance(body.get("id"), str) or not body.get("id") or not isinstance(body.get("name"), str):
        problem = f"{what} without an id and a name"
    elif not isinstance(body.get("properties") or {}, Mapping):
        problem = f"{what} whose properties are not an object"
    if problem is not None:
        raise MalformedResponseError(operation, message=f"Azure answered with {problem}")
    return dict(body)


def parse(cls: Callable[[Mapping[str, Any]], T], body: Any, operation: str, what: str) -> T:
    """``cls(body)`` for a checked resource body; fields of the wrong shape deeper inside are a
    :class:`MalformedResponseError` too, never an AttributeError or TypeError."""
    checked = resource_body(body, operation, what)
    try:
        return cls(checked)
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        raise MalformedResponseError(
            operation, message=f"Azure answered with {what} of an unexpected shape ({type(exc).__name__})"
        ) from exc


def rg_of(resource_id: str) -> str:
    """The resource group of a resource-group-scoped ARM id."""
    parts = resource_id.split("/")
    for i, part in enumerate(parts):
        if part.lower() == "resourcegroups" and i + 1 < len(parts):
            return parts[i + 1]
    raise InvalidInputError("resource_id", resource_id, "give a resource-group-scoped ARM id")


def same(a: str | None, b: str | None) -> bool:
    """Whether two ARM names or ids are the same (ARM compares them case-insensitively)."""
    return (a or "").lower() == (b or "").lower()
