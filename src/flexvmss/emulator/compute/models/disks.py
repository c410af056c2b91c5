"""Managed disks (``Microsoft.Compute/disks``): the disks users create, and those VMs create,
attach and release.

Disk writes complete synchronously (200 with ``provisioningState: "Succeeded"``): the stock
poller finishes on the first response. The disks a VM creates are named as Azure names them
(``<vm>_OsDisk_1_<32 hex>``, ``<vm>_disk<lun+2>_<32 hex>``) and carry ``managedBy``.
"""

from __future__ import annotations

from typing import Any

from ...core import ArmError, Context, arm_id, parse_arm_id
from .state import DISK_TYPE, NS

__all__ = ["attach_disk", "attach_or_create", "delete_disk", "patch_disk", "put_disk", "release_disk"]


def _tier(storage_type: str) -> str:
    return "Premium" if storage_type.lower().startswith("premium") else "Standard"


def _new_disk(
    ctx: Context,
    disk_id: str,
    name: str,
    location: str,
    *,
    size_gb: int,
    storage_type: str,
    create_option: str,
    zones: list[str] | None,
    managed_by: str | None,
    tags: dict[str, Any] | None = None,
    os_type: str | None = None,
    image_reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "creationData": {"createOption": create_option},
        "diskSizeGB": size_gb,
        "diskSizeBytes": size_gb * 1024**3,
        "uniqueId": ctx.new_guid(),
        "timeCreated": ctx.clock.iso(),
        "provisioningState": "Succeeded",
        "diskState": "Attached" if managed_by else "Unattached",
        "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
        "networkAccessPolicy": "AllowAll",
        "publicNetworkAccess": "Enabled",
    }
    if os_type:
        props["osType"] = os_type
        props["hyperVGeneration"] = "V2"
    if image_reference:
        props["creationData"]["imageReference"] = (
            {"id": str(image_reference.get("id") or "")} if image_reference.get("id") else {}
        )
    body: dict[str, Any] = {
        "id": disk_id,
        "name": name,
        "type": DISK_TYPE,
        "location": location,
        "tags": dict(tags or {}),
        "sku": {"name": storage_type, "tier": _tier(storage_type)},
        "properties": props,
    }
    if zones:
        body["zones"] = list(zones)
    if managed_by:
        body["managedBy"] = managed_by
    return body


def _create_vm_disk(
    ctx: Context,
    *,
    vm_id: str,
    vm_name: str,
    location: str,
    zones: list[str] | None,
    disk_spec: dict[str, Any],
    lun: int | None,
    os_type: str | None = None,
    image_reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create the managed disk behind an OS disk (``lun`` None) or a data disk of a VM and fill
    ``disk_spec["name"]`` / ``disk_spec["managedDisk"]["id"]`` in place."""
    suffix = f"{ctx.rng.getrandbits(128):032x}"
    name = disk_spec.get("name") or (
        f"{vm_name}_OsDisk_1_{suffix}" if lun is None else f"{vm_name}_disk{lun + 2}_{suffix}"
    )
    managed = disk_spec.setdefault("managedDisk", {})
    storage_type = str(managed.get("storageAccountType") or "Premium_LRS")
    managed.setdefault("storageAccountType", storage_type)
    parsed = parse_arm_id(vm_id) or {"sub": "", "rg": ""}
    resource_group = parsed["rg"]
    disk_id = arm_id(parsed["sub"], resource_group, NS, "disks", name)
    if ctx.store.get(disk_id) is not None:
        raise ArmError(409, "Conflict", f"Disk '{name}' already exists in resource group '{resource_group}'.")
    size = int(disk_spec.get("diskSizeGB") or (30 if lun is None else 32))
    body = _new_disk(
        ctx,
        disk_id,
        name,
        location,
        size_gb=size,
        storage_type=storage_type,
        create_option="FromImage" if lun is None else "Empty",
        zones=zones,
        managed_by=vm_id,
        os_type=os_type,
        image_reference=image_reference,
    )
    ctx.store.put(body)
    disk_spec["name"] = name
    disk_spec.setdefault("diskSizeGB", size)
    managed["id"] = disk_id
    return body


def attach_disk(ctx: Context, disk_id: str, vm_id: str) -> dict[str, Any]:
    """Attach an existing disk (``createOption: Attach``) to ``vm_id``."""
    disk = ctx.store.get(disk_id)
    if disk is None:
        parsed_name = disk_id.rstrip("/").split("/")[-1]
        raise ArmError(404, "NotFound", f"Disk {parsed_name} is not found.")
    holder = disk.get("managedBy")
    if holder and holder.lower() != vm_id.lower():
        raise ArmError(
            409,
            "OperationNotAllowed",
            f"Disk '{disk['name']}' is attached to VM '{holder}'.",
            target="managedDisk",
        )
    disk["managedBy"] = vm_id
    disk["properties"]["diskState"] = "Attached"
    return disk


def release_disk(ctx: Context, disk_id: str, *, delete: bool) -> None:
    """A VM let go of a disk: delete it (``deleteOption: Delete``) or leave it unattached."""
    disk = ctx.store.get(disk_id)
    if disk is None:
        return
    if delete:
        ctx.store.delete(disk_id)
        return
    disk.pop("managedBy", None)
    disk["properties"]["diskState"] = "Unattached"


def attach_or_create(
    ctx: Context,
    spec: dict[str, Any],
    *,
    vm: dict[str, Any],
    zones: list[str] | None,
    lun: int | None,
    os_type: str | None = None,
    image_reference: dict[str, Any] | None = None,
) -> tuple[str, bool]:
    """The managed disk behind one disk of ``vm`` (its OS disk when ``lun`` is None): the
    existing disk ``spec`` names with ``createOption: Attach``, or a new one in ``zones``.
    Returns the disk's id and whether it was attached (rather than created)."""
    managed = spec.get("managedDisk") or {}
    if str(spec.get("createOption", "")).lower() == "attach" and managed.get("id"):
        attach_disk(ctx, managed["id"], vm["id"])
        return str(managed["id"]), True
    body = _create_vm_disk(
        ctx,
        vm_id=vm["id"],
        vm_name=vm["name"],
        location=vm["location"],
        zones=zones,
        disk_spec=spec,
        lun=lun,
        os_type=os_type,
        image_reference=image_reference,
    )
    return str(body["id"]), False


def put_disk(ctx: Context, disk_id: str, name: str, payload: dict[str, Any], location: str) -> dict[str, Any]:
    """Create the disk ``disk_id`` from a PUT body, or update the tags and size of the one
    there; returns its body."""
    current = ctx.store.get(disk_id)
    props = payload.get("properties") or {}
    if current is None:
        storage_type = str((payload.get("sku") or {}).get("name") or "Standard_LRS")
        body = _new_disk(
            ctx,
            disk_id,
            name,
            location,
            size_gb=int(props.get("diskSizeGB") or 32),
            storage_type=storage_type,
            create_option=str((props.get("creationData") or {}).get("createOption") or "Empty"),
            zones=payload.get("zones"),
            managed_by=None,
            tags=payload.get("tags"),
        )
        return ctx.store.put(body)
    if payload.get("tags") is not None:
        current["tags"] = dict(payload["tags"])
    if props.get("diskSizeGB"):
        current["properties"]["diskSizeGB"] = int(props["diskSizeGB"])
    return current


def patch_disk(current: dict[str, Any], payload: dict[str, Any]) -> None:
    """A PATCH on a stored disk: ``tags`` replaces its tags (ARM's PATCH semantics for tags),
    ``properties.diskSizeGB`` its size; other fields are left as they are."""
    if payload.get("tags") is not None:
        current["tags"] = dict(payload["tags"])
    size = (payload.get("properties") or {}).get("diskSizeGB")
    if size:
        current["properties"]["diskSizeGB"] = int(size)


def delete_disk(ctx: Context, body: dict[str, Any]) -> None:
    """Delete a disk no VM holds (a held one is ARM's 409)."""
    if body.get("managedBy"):
        raise ArmError(
            409, "OperationNotAllowed", f"Disk {body['name']} is attached to VM {body['managedBy']}."
        )
    ctx.store.delete(body["id"])
