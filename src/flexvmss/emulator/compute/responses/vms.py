"""HTTP handlers for virtual machines: parse the request, call :mod:`..models.vms` or
:mod:`..models.actions`, answer as Compute does (a creating PUT 201 with
``Azure-AsyncOperation``, a PUT on an existing VM 200 with none, PATCH 200 with
``Azure-AsyncOperation``, actions and DELETE 202 with ``Location`` too, ``ETag`` on reads and
writes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...core import Context, Operation, Request, Response, check_preconditions, etag_headers, paginate
from ..models import actions, vms
from ..models.flex import check_force_delete
from ..models.power import instance_view
from ..models.state import VM_TYPE
from .common import accepted, find, in_group, target

__all__ = [
    "action",
    "delete_vm",
    "get_instance_view",
    "get_vm",
    "list_all_vms",
    "list_vms",
    "patch_vm",
    "put_vm",
    "run_command",
    "run_command_result",
    "simulate_eviction",
]


def _vm(ctx: Context, req: Request) -> dict[str, Any]:
    return find(ctx, req, "virtualMachines", "vmName")


def _written(ctx: Context, req: Request, vm: dict[str, Any], op: Operation, status: int) -> Response:
    headers = {**ctx.lro.accepted_headers(op, req, location=False), **etag_headers(vm)}
    return Response.json(vms.render_vm(ctx, vm), status, headers)


def put_vm(ctx: Context, req: Request) -> Response:
    existing = target(ctx, req, "virtualMachines", "vmName")
    payload = req.json()
    if existing is None:
        body, op = vms.create_vm(
            ctx,
            req,
            subscription_id=req.params["subscriptionId"],
            resource_group=req.params["resourceGroupName"],
            name=req.params["vmName"],
            payload=payload,
        )
        return _written(ctx, req, body, op, 201)
    vms.update_vm(ctx, req, existing, payload, method="PUT", subscription_id=req.params["subscriptionId"])
    # A PUT on an existing VM answers 200 with the body in 'Updating' and no operation headers:
    # clients watch the VM itself (kubernetes-sigs/cloud-provider-azure virtualmachineclient
    # recording, 2026-03, api 2025-04-01). The update still runs as an operation here.
    return Response.json(vms.render_vm(ctx, existing), 200, etag_headers(existing))


def patch_vm(ctx: Context, req: Request) -> Response:
    vm = _vm(ctx, req)
    check_preconditions(req, vm, style="compute")
    op = vms.update_vm(ctx, req, vm, req.json(), method="PATCH", subscription_id=req.params["subscriptionId"])
    return _written(ctx, req, vm, op, 200)


def get_vm(ctx: Context, req: Request) -> Response:
    vm = _vm(ctx, req)
    return Response.json(vms.render_vm(ctx, vm, expand=req.query.get("$expand")), 200, etag_headers(vm))


def get_instance_view(ctx: Context, req: Request) -> Response:
    return Response.json(instance_view(ctx, _vm(ctx, req)))


def _listing(
    ctx: Context, req: Request, found: list[dict[str, Any]], *, status_only: bool = False
) -> Response:
    expand = req.query.get("$expand")
    chosen = vms.select_vms(ctx, found, set_filter=req.query.get("$filter"), expand=expand)
    # Page first, render after: rendering (a deep copy plus the instance view) is the costly part,
    # and on the emulated clock the emulator's own CPU time is time every client sees.
    body = paginate(req, chosen, ctx.page_size, ctx.base_url)
    fresh = [
        (v["id"].lower(), vms.render_vm(ctx, v, expand="instanceView" if (expand or status_only) else None))
        for v in body["value"]
    ]
    # Realism (on by default, level "azure"): a VM may show in a list as the same read showed it before its
    # last change, for a bounded time.
    key = (req.path.lower(), tuple(sorted((k, v) for k, v in req.query.items() if k != "api-version")))
    body["value"] = ctx.listed(key, fresh)
    return Response.json(body)


def list_vms(ctx: Context, req: Request) -> Response:
    return _listing(ctx, req, in_group(ctx, req, VM_TYPE))


def list_all_vms(ctx: Context, req: Request) -> Response:
    found = ctx.store.list(VM_TYPE, subscription_id=req.params["subscriptionId"])
    return _listing(ctx, req, found, status_only=req.flag("statusOnly"))


def delete_vm(ctx: Context, req: Request) -> Response:
    vm = target(ctx, req, "virtualMachines", "vmName")
    if vm is None:
        return Response.empty(204)
    set_id = (vm["properties"].get("virtualMachineScaleSet") or {}).get("id")
    check_force_delete(req.flag("forceDeletion"), [vm], ctx.store.get(set_id) if set_id else None)
    return accepted(ctx, req, vms.begin_delete(ctx, req, vm))


VmAction = Callable[[Context, Request, dict[str, Any]], Operation]


def action(run: VmAction) -> Callable[[Context, Request], Response]:
    """The handler of a per-VM action: find the VM, run the action, answer 202."""

    def handler(ctx: Context, req: Request) -> Response:
        return accepted(ctx, req, run(ctx, req, _vm(ctx, req)))

    handler.__name__ = f"{run.__name__}_vm"
    handler.__doc__ = run.__doc__
    return handler


def simulate_eviction(ctx: Context, req: Request) -> Response:
    """Compute answers 204 No Content: there is no operation to poll."""
    actions.simulate_eviction(ctx, req, _vm(ctx, req))
    return Response.empty(204)


def run_command(ctx: Context, req: Request) -> Response:
    """202 whose ``Location`` is the command's result (``runCommandResults``), not the
    operation status."""
    op = actions.run_command(ctx, req, _vm(ctx, req))
    headers = ctx.lro.accepted_headers(op, req, location=True)
    headers["Location"] = (
        f"{ctx.base_url.rstrip('/')}/subscriptions/{req.params['subscriptionId']}/providers/Microsoft.Compute/"
        f"locations/{op.location}/runCommandResults/{op.id}?api-version={req.api_version or '2026-04-01'}"
    )
    return Response.empty(202, headers)


def run_command_result(ctx: Context, req: Request) -> Response:
    """The ``Location`` of a runCommand: 202 while it runs, then the command's output."""
    op, result = actions.run_command_result(ctx, req.params["operationId"])
    if not op.terminal:
        return Response.empty(202, ctx.clock.retry_after_headers(ctx.lro.poll_hint(op)))
    if op.status != "Succeeded":
        return Response.json({"error": op.error}, 200)
    return Response.json(result, 200)
