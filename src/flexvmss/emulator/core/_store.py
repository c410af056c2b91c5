"""All emulated state, as plain JSON-shaped dicts (cheap to snapshot and reset)."""

from __future__ import annotations

import builtins
import copy
import threading
from typing import Any

from ._errors import ArmError
from ._ids import parse_arm_id

__all__ = ["Store"]


class Store:
    """All emulated state: plain JSON-shaped dicts keyed by lower-cased resource id.

    ``resources`` maps ``id.lower()`` to the resource body exactly as GET returns it
    (providers keep ``id``, ``name``, ``type``, ``location``, ``properties``...).
    ``resource_groups`` maps ``(subscription_id.lower(), rg.lower())`` to the RG body.
    ``extra`` is free space for providers (keyed by provider name), snapshotted too.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.resources: dict[str, dict[str, Any]] = {}
        self.resource_groups: dict[tuple[str, str], dict[str, Any]] = {}
        self.extra: dict[str, Any] = {}

    # resource groups
    def get_rg(self, subscription_id: str, name: str) -> dict[str, Any] | None:
        return self.resource_groups.get((subscription_id.lower(), name.lower()))

    def require_rg(self, subscription_id: str, name: str, *, writing: bool = False) -> dict[str, Any]:
        """The group's body; ARM's 404 if it is missing and, for a ``writing`` request, its
        409 while the group is being deleted."""
        rg = self.get_rg(subscription_id, name)
        if rg is None:
            raise ArmError.resource_group_not_found(name)
        if writing and rg.get("properties", {}).get("provisioningState") == "Deleting":
            raise ArmError.resource_group_being_deleted(name)
        return rg

    # resources
    def get(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.get(resource_id.lower())

    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        self.resources[body["id"].lower()] = body
        return body

    def delete(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.pop(resource_id.lower(), None)

    def list(
        self,
        resource_type: str,
        *,
        subscription_id: str | None = None,
        resource_group: str | None = None,
    ) -> list[dict[str, Any]]:
        """Resources of a full type (``Microsoft.Compute/virtualMachines``), in creation order."""
        t = resource_type.lower()
        out = []
        for body in self.resources.values():
            if body.get("type", "").lower() != t:
                continue
            parsed = parse_arm_id(body["id"])
            if parsed is None:
                continue
            if subscription_id and parsed["sub"].lower() != subscription_id.lower():
                continue
            if resource_group and parsed["rg"].lower() != resource_group.lower():
                continue
            out.append(body)
        return out

    def in_resource_group(self, subscription_id: str, resource_group: str) -> builtins.list[dict[str, Any]]:
        prefix = f"/subscriptions/{subscription_id}/resourcegroups/{resource_group}/".lower()
        return [b for k, b in self.resources.items() if k.startswith(prefix)]

    # snapshots
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(
                {"resources": self.resources, "resource_groups": self.resource_groups, "extra": self.extra}
            )

    def restore(self, snap: dict[str, Any]) -> None:
        with self.lock:
            snap = copy.deepcopy(snap)
            self.resources = snap["resources"]
            self.resource_groups = snap["resource_groups"]
            self.extra = snap["extra"]

    def reset(self) -> None:
        with self.lock:
            self.resources = {}
            self.resource_groups = {}
            self.extra = {}
