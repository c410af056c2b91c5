"""HTTP handlers for virtual machine scale sets: parse the request, call :mod:`..models.vmss`,
answer as Compute does (PUT 201/200 with ``Azure-AsyncOperation`` and ``ETag``; DELETE and
deleteInstances 202 with ``Location`` too)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ...core import ArmError, Context, Request, Response, etag_headers, paginate
from ..models import uniform, vmss as model
from ..models.state import VMSS_TYPE
from .common import accepted, find, in_group, resource_id, target

__all__ = [
    "batch_action",
    "delete_instance",
    "delete_instances",
    "delete_vmss",
    "get_instance",
    "get_instance_view",
    "get_vmss",
    "get_vmss_instance_view",
    "instance_action",
    "list_all_vmss",
    "list_instances",
    "list_vmss",
    "patch_vmss",
    "put_vmss",
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
    """DeleteInstances: for Flex the instance ids are VM names (``*`` means every VM); for a
    Uniform set they are instance numbers."""
    vmss = _set(ctx, req)
    if model.is_flex(vmss):
        return accepted(ctx, req, model.delete_instances(ctx, req, vmss))
    if vmss["properties"].get("provisioningState") == "Deleting":
        raise model.marked_for_deletion(vmss["name"], "VirtualMachineScaleSets.deleteInstances.POST")
    ids = (req.json(required=False) or {}).get("instanceIds")
    if not isinstance(ids, list) or not ids:
        raise ArmError.invalid_parameter(
            "Required parameter 'instanceIds' is missing (null).", target="instanceIds"
        )
    chosen = uniform.chosen_instances(ctx, vmss, ids, req.params["resourceGroupName"])
    return accepted(ctx, req, uniform.begin_delete_instances(ctx, req, vmss, chosen))


# --------------------------------------------------------------------------- Uniform-only APIs


def get_vmss_instance_view(ctx: Context, req: Request) -> Response:
    return Response.json(model.uniform_instance_view(_set(ctx, req)))


def _instance(ctx: Context, req: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The set and the Uniform instance a VMSS-VM request names; a Flexible set has no numbered
    instances, so it answers as before (a VM name refused, a number not found)."""
    vmss = _set(ctx, req)
    instance_id = req.params["instanceId"]
    if model.is_flex(vmss):
        raise model.uniform_vm(vmss, instance_id, req.params["resourceGroupName"])
    return vmss, uniform.find_instance(ctx, vmss, instance_id, req.params["resourceGroupName"])


def get_instance(ctx: Context, req: Request) -> Response:
    """GET one instance, with its ``ETag`` (kubernetes-sigs/cloud-provider-azure
    virtualmachinescalesetvmclient recording, 2026-03-12, api 2025-04-01, interaction 14)."""
    vmss, body = _instance(ctx, req)
    return Response.json(
        uniform.render_instance(ctx, vmss, body, req.query.get("$expand")), 200, etag_headers(body)
    )


def get_instance_view(ctx: Context, req: Request) -> Response:
    vmss, body = _instance(ctx, req)
    return Response.json(uniform.instance_view(ctx, vmss, body))


def delete_instance(ctx: Context, req: Request) -> Response:
    """DELETE one instance: 202, no body, ``Azure-AsyncOperation`` and ``Location`` (the same
    recording, interaction 16)."""
    vmss, body = _instance(ctx, req)
    return accepted(ctx, req, uniform.begin_instance_delete(ctx, req, vmss, body))


def instance_action(action: str) -> Callable[[Context, Request], Response]:
    """The handler of a per-instance action (``POST .../virtualMachines/{id}/<action>``): 202
    with ``Azure-AsyncOperation`` and ``Location``, as the per-VM actions answer (inferred)."""

    def handler(ctx: Context, req: Request) -> Response:
        vmss, body = _instance(ctx, req)
        return accepted(ctx, req, uniform.begin_instance_action(ctx, req, vmss, [body], action, anchor=body))

    handler.__name__ = f"instance_{action}"
    return handler


def list_instances(ctx: Context, req: Request) -> Response:
    """The VMSS-VM list: a Uniform set's instances by id (the same recording, interaction 8), a
    Flexible set's member VMs named by VM name (see :func:`.uniform.flex_listing`). Paged as the
    VM list is (page size inferred to be the VM list's)."""
    vmss = _set(ctx, req)
    if model.is_flex(vmss):
        return Response.json(paginate(req, uniform.flex_listing(ctx, vmss), ctx.page_size, ctx.base_url))
    body = paginate(req, uniform.instances_in_order(ctx, vmss["id"]), ctx.page_size, ctx.base_url)
    expand = req.query.get("$expand")
    fresh = [(b["id"].lower(), uniform.render_instance(ctx, vmss, b, expand)) for b in body["value"]]
    # Realism (on by default): an instance may show as this read showed it before its last
    # change, for a bounded time, as in the VM list (responses/vms.py).
    key = (req.path.lower(), tuple(sorted((k, v) for k, v in req.query.items() if k != "api-version")))
    body["value"] = ctx.listed(key, fresh)
    return Response.json(body)


def batch_action(action: str) -> Callable[[Context, Request], Response]:
    """The handler of a set-wide batch action (``POST .../{set}/<action>``)."""

    def batch(ctx: Context, req: Request) -> Response:
        vmss = _set(ctx, req)
        model.refuse_batch_on_flex(vmss, action)
        ids = (req.json(required=False) or {}).get("instanceIds")
        chosen = uniform.chosen_instances(ctx, vmss, ids, req.params["resourceGroupName"])
        # 202 with the operation to poll, as the per-instance actions answer (REST spec
        # VirtualMachineScaleSets_Start and siblings: 200 or 202, long-running; inferred 202).
        return accepted(ctx, req, uniform.begin_instance_action(ctx, req, vmss, chosen, action, anchor=vmss))

    batch.__name__ = f"batch_{action}"
    return batch
