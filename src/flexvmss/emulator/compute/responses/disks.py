"""HTTP handlers for managed disks (synchronous: 200 with the body, no operation to poll)."""

from __future__ import annotations

import copy

from ...core import Context, Request, Response, location_of, paginate
from ..models import disks
from ..models.state import DISK_TYPE
from .common import find, in_group, resource_id, target

__all__ = ["delete_disk", "get_disk", "list_disks", "patch_disk", "put_disk"]


def put_disk(ctx: Context, req: Request) -> Response:
    target(ctx, req, "disks", "diskName")
    payload = req.json()
    disk_id = resource_id(req, "disks", "diskName")
    body = disks.put_disk(ctx, disk_id, req.params["diskName"], payload, location_of(payload))
    return Response.json(copy.deepcopy(body), 200)


def patch_disk(ctx: Context, req: Request) -> Response:
    """Disks - Update (PATCH, "Updates (patches) a disk"; DiskRP spec): the tags and size of an
    existing disk change, nothing else; ARM's 404 when it does not exist. Answered at once
    with the body, like this emulator's disk PUT (Azure may also answer 202 and an operation)."""
    body = find(ctx, req, "disks", "diskName")
    disks.patch_disk(body, req.json())
    return Response.json(copy.deepcopy(body), 200)


def get_disk(ctx: Context, req: Request) -> Response:
    return Response.json(copy.deepcopy(find(ctx, req, "disks", "diskName")))


def list_disks(ctx: Context, req: Request) -> Response:
    items = in_group(ctx, req, DISK_TYPE)
    return Response.json(paginate(req, copy.deepcopy(items), ctx.page_size, ctx.base_url))


def delete_disk(ctx: Context, req: Request) -> Response:
    body = target(ctx, req, "disks", "diskName")
    if body is None:
        return Response.empty(204)
    disks.delete_disk(ctx, body)
    return Response.empty(200)
