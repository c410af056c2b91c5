"""Creating: the set itself (idempotent), VMs into it (attach at creation), and its capacity.

Every write here comes after its preflight (:mod:`~flexvmss._scaleset._preflight`) and is
conditional where Azure allows it: a VM is created with ``If-None-Match: *`` (never over
someone else's), a capacity change carries the set's ETag (never over someone else's change).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError

from flexvmss._errors import AzureOperationError, ConflictError, InvalidInputError, PreconditionFailedError
from flexvmss._fanout import BatchResult
from flexvmss._scaleset import _preflight
from flexvmss._scaleset._core import SET_TAG, Batch, ScaleSetCore
from flexvmss._scaleset._values import ScaleSetInfo, VmInfo, parse, resource_body, same
from flexvmss._specs import ScaleSetSpec, VmSpec, describe_differences, render_scale_set, render_vm

__all__ = ["add_vm", "add_vms", "create", "scale_to"]

logger = logging.getLogger("flexvmss")

#: How often, and how many times, a VM whose create answer was lost is looked at until it settles.
SETTLE_POLL = 5.0
SETTLE_ATTEMPTS = 60
#: What a created VM is once Azure is done (states-billing.md: a new VM starts Running).
CREATED = "running"
#: How many times a capacity change re-reads the set after a 412 before giving up.
SCALE_ATTEMPTS = 5


async def create(ss: ScaleSetCore, spec: ScaleSetSpec) -> ScaleSetInfo:
    """Preflight, then the set's PUT unless it exists already as ``spec`` describes it."""
    operation = f"create scale set {ss.name}"
    _preflight.raise_on_errors(await _preflight.plan_create(ss, spec))
    existing = await ss._get_raw()
    if existing is not None:
        mode = (existing.get("properties") or {}).get("orchestrationMode")
        if not same(mode, "Flexible"):
            raise ConflictError(
                operation,
                code="OrchestrationModeImmutable",
                message=f"{ss.name} exists with orchestration mode {mode or 'Uniform'!r}; "
                "a set's orchestration mode cannot change.",
                remedy="Use another name, or delete the existing set first.",
            )
        differences = describe_differences(existing, spec, name=ss.name)
        if differences:
            raise ConflictError(
                operation,
                code="ScaleSetDiffers",
                message=f"{ss.name} already exists and differs from the spec: " + "; ".join(differences),
                remedy="Create it under another name, change the spec to match, or delete the set first.",
            )
        return parse(ScaleSetInfo.from_wire, existing, operation, "a scale set")
    model = render_scale_set(
        spec, subscription_id=ss.subscription_id, resource_group=ss.resource_group, name=ss.name
    )
    sets = ss._arm().compute.virtual_machine_scale_sets
    result = await ss._lro(operation, sets.begin_create_or_update(ss.resource_group, ss.name, model))
    return ss._info(result, operation)


async def add_vm(ss: ScaleSetCore, vm_spec: VmSpec) -> VmInfo:
    """One VM into the set, or the member of that name as it is."""
    operation = f"create vm {vm_spec.name}"
    models, members = await _plan_vms(ss, [vm_spec])
    if members:
        return parse(VmInfo.from_wire, members[vm_spec.name], operation, "a VM")
    result = await ss._call(operation, _create_vm(ss, vm_spec.name, models[vm_spec.name]))
    return parse(VmInfo.from_wire, result, operation, "a VM")


async def add_vms(ss: ScaleSetCore, vm_specs: Sequence[VmSpec], batch: Batch) -> BatchResult:
    """Many VMs into the set through the fan-out; members already there are skipped."""
    specs = list(vm_specs)
    models, members = await _plan_vms(ss, specs)

    async def begin(name: str, polling: Any) -> Any:
        return await _create_vm(ss, name, models[name], polling=polling)

    return await ss._fan_out(
        "create",
        [spec.name for spec in specs],
        begin,
        batch,
        expect=CREATED,
        skip={name: "already a member of the set" for name in members},
    )


async def _plan_vms(
    ss: ScaleSetCore, vm_specs: Sequence[VmSpec]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """After the preflight: the rendered models of the VMs to create (tagged for the set; what
    a spec leaves unset comes from the set's profile), and the bodies of those that already are
    members (FLEX028 passed: they are ours)."""
    info, existing, specs = await _preflight.check_vms(ss, vm_specs)
    members: dict[str, dict[str, Any]] = {}
    models: dict[str, Any] = {}
    for spec in specs:
        body = existing.get(spec.name.lower())
        if body is not None:
            members[spec.name] = body
            continue
        model = render_vm(
            spec,
            subscription_id=ss.subscription_id,
            resource_group=ss.resource_group,
            scale_set_id=ss.id,
            location=info.location,
        )
        tags = {k: v for k, v in (model.get("tags") or {}).items() if k.lower() != SET_TAG}
        tags[SET_TAG] = ss._set_tag  # FLEX033 refused a user's own SET_TAG before this
        model["tags"] = tags
        models[spec.name] = model
    return models, members


async def _create_vm(ss: ScaleSetCore, name: str, model: Any, *, polling: Any = None) -> Any:
    """Create ``name`` with ``If-None-Match: *`` (never overwrite a VM someone else made) and
    return the created VM.

    A 412 can also mean that this very create already landed and only its answer was lost (a
    dropped connection, then a transient retry): when the existing VM carries this set's tag,
    that create is awaited to its end instead of being reported as a failure."""
    operation = f"create vm {name}"
    compute = ss._arm().compute
    extra = {} if polling is None else {"polling": polling}
    try:
        poller = await compute.virtual_machines.begin_create_or_update(
            ss.resource_group, name, model, match_condition=MatchConditions.IfMissing, **extra
        )
    except HttpResponseError as exc:
        if getattr(exc, "status_code", None) != 412:
            raise
        item = await ss._call(operation, compute.virtual_machines.get(ss.resource_group, name))
        existing = resource_body(item, operation, "a VM")
        if not ss._tagged_for_me(existing.get("tags")):
            raise
        return await _await_created(ss, name, existing)
    return await poller.result()


async def _await_created(ss: ScaleSetCore, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Wait until a VM that is being created settles; its failure is raised as Azure's."""
    operation = f"create vm {name}"
    compute = ss._arm().compute
    for _ in range(SETTLE_ATTEMPTS):
        state = str((body.get("properties") or {}).get("provisioningState") or "")
        if state.lower() not in ("creating", "updating"):
            break
        await ss._wait(SETTLE_POLL)
        item = await ss._call(
            operation, compute.virtual_machines.get(ss.resource_group, name, expand="instanceView")
        )
        body = resource_body(item, operation, "a VM")
    state = str((body.get("properties") or {}).get("provisioningState") or "")
    if state.lower() != "succeeded":
        statuses = ((body.get("properties") or {}).get("instanceView") or {}).get("statuses") or []
        failed: dict[str, Any] = next(
            (st for st in statuses if str(st.get("code", "")).startswith("ProvisioningState/")), {}
        )
        raise AzureOperationError(
            operation,
            code=str(failed.get("code", "")).rsplit("/", 1)[-1] or "ProvisioningStateNotSucceeded",
            message=str(failed.get("message") or f"the VM ended in provisioning state {state!r}"),
        )
    return body


async def scale_to(
    ss: ScaleSetCore, capacity: int, on_accepted: Callable[[], Awaitable[None]] | None = None
) -> ScaleSetInfo:
    """The capacity PATCH, checked against FLEX014 first and conditional on the set's ETag.
    ``on_accepted`` runs once Azure has accepted the PATCH, before waiting for it to finish."""
    from azure.mgmt.compute.models import Sku, VirtualMachineScaleSetUpdate

    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        raise InvalidInputError("capacity", capacity, "give a whole number of VMs, 0 or more")
    operation = f"scale {ss.name} to {capacity}"
    compute = ss._arm().compute
    for attempt in range(SCALE_ATTEMPTS):
        info = await ss._read_set()
        if not info.has_vm_profile:
            raise InvalidInputError(
                "capacity",
                capacity,
                "this set has no VM profile, so it has no capacity to scale: add VMs with add_vms() "
                "and remove them with delete_vms()",
            )
        await _preflight.check_capacity(ss, info, capacity)
        sku = Sku(name=info.sku_name, capacity=capacity)
        tier = (info.raw.get("sku") or {}).get("tier")
        if tier:
            sku["tier"] = tier
        begin = compute.virtual_machine_scale_sets.begin_update(
            ss.resource_group,
            ss.name,
            VirtualMachineScaleSetUpdate(sku=sku),
            etag=info.etag,
            match_condition=MatchConditions.IfNotModified if info.etag else None,
        )
        try:
            if on_accepted is None:
                result = await ss._lro(operation, begin)
            else:
                poller = await ss._call(operation, begin)
                await on_accepted()
                result = await ss._call(operation, poller.result())
        except PreconditionFailedError:
            logger.info("flexvmss: %s changed while scaling (412); re-reading (%d)", ss.name, attempt)
            continue
        return ss._info(result, operation)
    raise PreconditionFailedError(
        operation,
        status=412,
        code="PreconditionFailed",
        message=f"the set kept changing between read and write ({SCALE_ATTEMPTS} attempts).",
    )
