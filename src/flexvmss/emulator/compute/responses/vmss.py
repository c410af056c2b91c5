"""HTTP handlers for virtual machine scale sets: parse the request, call :mod:`..models.vmss`,
answer as Compute does (PUT 201/200 with ``Azure-AsyncOperation`` and ``ETag``; DELETE and
deleteInstances 202 with ``Location`` too)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ...core import ArmError, Context, Request, Response, etag_headers, paginate
from ..models import vmss as model
from ..models.state import VMSS_TYPE
from .common import accepted, find, in_group, resource_id, target

__all__ = [
    "batch_action",
    "delete_instances",
    "delete_vmss",
    "get_vmss",
    "get_vmss_instance_view",
    "list_all_vmss",
    "list_vmss",
    "patch_vmss",
    "put_vmss",
    "uniform_vm",
]


def _set(ctx: Context, req: Request) -> dict[str, Any]:
    return find(ctx, req, "virtualMachineScaleSets", "vmScaleSetName")


def _write(ctx: Context, req: Request, method: str) -> Response:
    existing = target(ctx, req, "virtualMachineScaleSets", "vmScaleSetName")
    name = req.params["vmScaleSetName"]
    if existing is None and method == "PATCH":
        raise ArmError.resource_not_found(VMSS_TYPE, name, req.params["resourceGroupName"])
    created = existing is None
    vmss, op = model.write_vmss(
        ctx,
        req,
        set_id=resource_id(req, "virtualMachineScaleSets", "vmScaleSetName"),
        name=name,
        existing=existing,
        payload=copy.deepcopy(req.json()),
        method=method,
        subscription_id=req.params["subscriptionId"],
    )
    headers = ctx.lro.accepted_headers(op, req, location=False) if op is not None else {}
    headers.update(etag_headers(vmss))
    return Response.json(model.render_vmss(ctx, vmss), 201 if created else 200, headers)


def put_vmss(ctx: Context, req: Request) -> Response:
    """Create or update a set. A PUT that creates counts as CreateVMScaleSet; one that
    replaces an existing set, like PATCH, as UpdateVMScaleSet."""
    return _write(ctx, req, "PUT")


def patch_vmss(ctx: Context, req: Request) -> Response:
    return _write(ctx, req, "PATCH")


def get_vmss(ctx: Context, req: Request) -> Response:
    vmss = _set(ctx, req)
    return Response.json(model.render_vmss(ctx, vmss, req.query.get("$expand")), 200, etag_headers(vmss))


def _listing(ctx: Context, req: Request, items: list[dict[str, Any]]) -> Response:
    return Response.json(
        paginate(req, [model.render_vmss(ctx, v) for v in items], ctx.page_size, ctx.base_url)
    )


def list_vmss(ctx: Context, req: Request) -> Response:
    return _listing(ctx, req, in_group(ctx, req, VMSS_TYPE))


def list_all_vmss(ctx: Context, req: Request) -> Response:
    return _listing(ctx, req, ctx.store.list(VMSS_TYPE, subscription_id=req.params["subscriptionId"]))


def delete_vmss(ctx: Context, req: Request) -> Response:
    vmss = target(ctx, req, "virtualMachineScaleSets", "vmScaleSetName")
    if vmss is None:
        return Response.empty(204)
    return accepted(ctx, req, model.delete_vmss(ctx, req, vmss))


def delete_instances(ctx: Context, req: Request) -> Response:
    """DeleteInstances: for Flex the instance ids are VM names (``*`` means every VM)."""
    return accepted(ctx, req, model.delete_instances(ctx, req, _set(ctx, req)))


# --------------------------------------------------------------------------- Uniform-only APIs


def get_vmss_instance_view(ctx: Context, req: Request) -> Response:
    return Response.json(model.uniform_instance_view(_set(ctx, req)))


def uniform_vm(ctx: Context, req: Request) -> Response:
    """Uniform-only VMSS-VM APIs (get, delete, per-instance actions): refused for a Flex VM
    name, not found for an instance number."""
    vmss = _set(ctx, req)
    raise model.uniform_vm(vmss, req.params["instanceId"], req.params["resourceGroupName"])


def batch_action(action: str) -> Callable[[Context, Request], Response]:
    """The handler of a set-wide batch action (``POST .../{set}/<action>``)."""

    def batch(ctx: Context, req: Request) -> Response:
        model.refuse_batch_on_flex(_set(ctx, req), action)
        return Response.empty(200)

    batch.__name__ = f"batch_{action}"
    return batch
