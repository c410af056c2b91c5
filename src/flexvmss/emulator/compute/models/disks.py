"""Managed disks (``Microsoft.Compute/disks``): the routes, and the disks VMs create and release.

Disk writes complete synchronously (200 with ``provisioningState: "Succeeded"``): the stock
poller finishes on the first response. The disks a VM creates are named as Azure names them
(``<vm>_OsDisk_1_<32 hex>``, ``<vm>_disk<lun+2>_<32 hex>``) and carry ``managedBy``.
"""

from __future__ import annotations

import copy
from typing import Any

from ...core import ArmError, Context, Request, Response, Router, arm_id, check_preconditions, paginate
from .common import DISK_TYPE, NS, location_of, require_rg, resource_id

__all__ = ["attach_disk", "create_vm_disk", "release_disk", "router"]

router = Router()

_BASE = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/disks"


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


def create_vm_disk(
    ctx: Context,
    *,
    subscription_id: str,
    resource_group: str,
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
    disk_id = arm_id(subscription_id, resource_group, NS, "disks", name)
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


# --------------------------------------------------------------------------- routes


@router.route("PUT", _BASE + "/{diskName}", op_class="write")
def put_disk(ctx: Context, req: Request) -> Response:
    require_rg(ctx, req)
    disk_id = resource_id(req, "disks", "diskName")
    current = ctx.store.get(disk_id)
    check_preconditions(req, current)
    payload = req.json()
    location = location_of(payload)
    props = payload.get("properties") or {}
    if current is None:
        storage_type = str((payload.get("sku") or {}).get("name") or "Standard_LRS")
        body = _new_disk(
            ctx,
            disk_id,
            req.params["diskName"],
            location,
            size_gb=int(props.get("diskSizeGB") or 32),
            storage_type=storage_type,
            create_option=str((props.get("creationData") or {}).get("createOption") or "Empty"),
            zones=payload.get("zones"),
            managed_by=None,
            tags=payload.get("tags"),
        )
        ctx.store.put(body)
        return Response.json(copy.deepcopy(body), 200)
    if payload.get("tags") is not None:
        current["tags"] = dict(payload["tags"])
    if props.get("diskSizeGB"):
        current["properties"]["diskSizeGB"] = int(props["diskSizeGB"])
    return Response.json(copy.deepcopy(current), 200)


@router.route("GET", _BASE + "/{diskName}", op_class="read")
def get_disk(ctx: Context, req: Request) -> Response:
    require_rg(ctx, req)
    body = ctx.store.get(resource_id(req, "disks", "diskName"))
    if body is None:
        raise ArmError.resource_not_found(DISK_TYPE, req.params["diskName"], req.params["resourceGroupName"])
    return Response.json(copy.deepcopy(body))


@router.route("GET", _BASE, op_class="list")
def list_disks(ctx: Context, req: Request) -> Response:
    require_rg(ctx, req)
    items = ctx.store.list(
        DISK_TYPE,
        subscription_id=req.params["subscriptionId"],
        resource_group=req.params["resourceGroupName"],
    )
    return Response.json(paginate(req, copy.deepcopy(items), ctx.page_size, ctx.base_url))


@router.route("DELETE", _BASE + "/{diskName}", op_class="delete")
def delete_disk(ctx: Context, req: Request) -> Response:
    require_rg(ctx, req)
    disk_id = resource_id(req, "disks", "diskName")
    body = ctx.store.get(disk_id)
    check_preconditions(req, body)
    if body is None:
        return Response.empty(204)
    if body.get("managedBy"):
        raise ArmError(
            409, "OperationNotAllowed", f"Disk {body['name']} is attached to VM {body['managedBy']}."
        )
    ctx.store.delete(disk_id)
    return Response.empty(200)
