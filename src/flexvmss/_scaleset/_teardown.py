"""Deleting: VMs of the set (batch first, then VM by VM), and the whole set in order.

The set's teardown goes VMs first, then what they leave behind (disks, NICs and public IPs
whose deleteOption is not Delete, tagged for the set with :data:`SET_TAG` before the VMs go),
then the set; the set's DELETE is never sent while a VM remains. Every step finds its work again
from Azure's lists, so a re-run after an interruption at any point converges, and only what the
set's VMs referenced (or what carries the set's tag) is ever deleted.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from flexvmss._actions import DELETE_VMS
from flexvmss._errors import AzureOperationError, NotFoundError, ScaleSetNotEmptyError, from_azure_error
from flexvmss._fanout import BatchResult, batch_succeeded, merge_results
from flexvmss._progress import RequestTally, current_tally
from flexvmss._scaleset import _per_vm
from flexvmss._scaleset._core import SET_TAG, Batch, ScaleSetCore, VmFilter, VmNames
from flexvmss._scaleset._values import TeardownResult, VmInfo, rg_of, same, wire

__all__ = ["delete", "delete_vms"]

logger = logging.getLogger("flexvmss")

#: VM names per DeleteInstances request, and such requests in flight at once (Compute's
#: per-set DeleteVMScaleSet bucket holds 12).
DELETE_CHUNK = 100
DELETE_CHUNKS_IN_FLIGHT = 10
#: Tag writes and leftover deletions in flight at once during teardown.
CLEANUP_CONCURRENCY = 16
#: A NIC whose VM was just deleted stays reserved for 180 s (NicReservedForAnotherVm).
NIC_RESERVATION_WAIT = 30.0
NIC_RESERVATION_ATTEMPTS = 8
#: How long teardown waits for deleted VMs to disappear from the list.
VANISH_POLL = 5.0
VANISH_ATTEMPTS = 60

#: Errors a leftover's DELETE meets while Azure is still detaching it from its deleted VM.
_TRANSIENT_DELETE_CODES = frozenset(
    {"nicreservedforanothervm", "nicinuse", "publicipaddresscannotbedeleted", "operationnotallowed"}
)


async def delete_vms(
    ss: ScaleSetCore, names: VmNames, where: VmFilter, batch: Batch, *, force: bool
) -> BatchResult:
    """Tag what the selected VMs leave behind, then delete them (see ``FlexScaleSet.delete_vms``)."""
    started = ss._rt.clock()
    selected = await ss._within("delete_vms", batch, started, ss._select_vms(names, where))
    return await delete_members(ss, selected, ss._remaining(batch, started), force=force)


async def delete_members(
    ss: ScaleSetCore, selected: Sequence[VmInfo], batch: Batch, *, force: bool
) -> BatchResult:
    """Tag what these VMs (read by the caller) leave behind, then delete them. A caller that
    picked them from its own list read hands them over as read: a second list may lag a round
    and not show them (Azure's lists are eventually consistent; the emulator's realism)."""
    if selected:
        await _mark_leftovers(ss, list(selected))
    members = {vm.name: vm for vm in selected}
    return await _delete_names(ss, list(members), batch, force=force, members=members)


async def delete(ss: ScaleSetCore, cascade: bool, *, force: bool) -> TeardownResult:
    """The ordered teardown (see ``FlexScaleSet.delete``)."""
    operation = f"delete scale set {ss.name}"
    exists = await ss._get_raw() is not None
    vms = await ss._read_vms() if exists else []
    if vms and not cascade:
        vms = await _still_there(ss, vms, enough=10)
    if vms and not cascade:
        raise ScaleSetNotEmptyError(
            operation,
            code="ScaleSetNotEmpty",
            message=f"{len(vms)} VM(s) remain in the set: "
            + ", ".join(vm.name for vm in vms[:10])
            + (" ..." if len(vms) > 10 else ""),
            remedy="Call delete(cascade=True) to delete the VMs first, or delete_vms() then delete().",
        )
    result: BatchResult | None = None
    if vms:
        await _mark_leftovers(ss, vms)
        deleting = {vm.name: vm for vm in vms if not same(vm.provisioning_state, "Deleting")}
        result = await _delete_names(ss, list(deleting), Batch(), force=force, members=deleting)
        failed = list(result.failed) + list(getattr(result, "not_started", ()))
        if failed:
            reasons = []
            for name in failed[:10]:
                error = _result_error(result, name)
                reasons.append(f"{name}: {error}" if error else name)
            raise ScaleSetNotEmptyError(
                operation,
                code="VmDeletionFailed",
                message=f"{len(failed)} VM(s) could not be deleted, so the set was not deleted: "
                + "; ".join(reasons),
                remedy="Fix the cause named for each VM, then run delete() again: it resumes where it "
                "stopped.",
            )
        await _wait_until_empty(ss)
    leftovers = await _sweep_leftovers(ss)
    deleted_set = False
    if exists:
        begin = ss._arm().compute.virtual_machine_scale_sets.begin_delete(
            ss.resource_group, ss.name, force_deletion=force or None
        )
        try:
            await ss._lro(operation, begin)
            deleted_set = True
        except NotFoundError:
            deleted_set = False
    return TeardownResult(vms=result, leftovers_deleted=tuple(leftovers), scale_set_deleted=deleted_set)


async def _still_there(ss: ScaleSetCore, vms: list[VmInfo], *, enough: int) -> list[VmInfo]:
    """The listed VMs whose own GET still finds them (up to ``enough`` of them): a VM list is
    eventually consistent and may still show a VM just deleted (Resource Graph documents seconds
    of staleness; inferred for the Compute list too, which the emulator's realism imitates), so
    a refusal rests on reads that cannot be stale."""
    found: list[VmInfo] = []
    for vm in vms:
        try:
            await ss._read_vm(vm.name)
        except NotFoundError:
            continue
        found.append(vm)
        if len(found) >= enough:
            break
    return found


async def _delete_names(
    ss: ScaleSetCore,
    selected: Sequence[str],
    batch: Batch,
    *,
    force: bool,
    members: Mapping[str, VmInfo] | None = None,
) -> BatchResult:
    """Batch-delete ``selected``; the VMs of every chunk whose DeleteInstances operation Azure
    reported Succeeded are deleted (its status confirms them). Every other VM is deleted VM by
    VM (:data:`~flexvmss._actions.DELETE_VMS`), each confirmed by its own operation's status
    (a VM already gone answers 204, then what its deletion takes with it is checked). A list
    read is never taken for a deletion: a VM missing from it may still fail to go. One result
    per VM. Once Azure refused a forced delete, the deletes after it are normal ones (see
    :func:`_force_refused`)."""
    started = ss._rt.clock()
    tally = RequestTally()
    token = current_tally.set(tally)
    try:
        confirmed, force_refused = await _batch_delete(ss, selected, force=force)
    finally:
        current_tally.reset(token)
    gone = [name for name in selected if name.lower() in confirmed]
    left = [name for name in selected if name.lower() not in confirmed]
    deleted = batch_succeeded("delete", gone, started_at=started, finished_at=ss._rt.clock())
    deleted.requests = tally.by_class()
    deleted.throttled = tally.throttled
    if not left:
        return deleted
    left_members = {name: members[name] for name in left if members and name in members}
    per_vm = await _delete_each(ss, left, batch, force=force and not force_refused, members=left_members)
    return merge_results(deleted, per_vm)


def _force_refused(error: BaseException) -> bool:
    """Whether Azure refused a forced delete as such (``OperationNotAllowed``, e.g. "Operation
    'ForceDelete' is not allowed on resource ... since it manages updates using maintenance
    control" for isolated sizes and dedicated hosts). cluster-autoscaler then sends the same
    delete without force (kubernetes/autoscaler cluster-autoscaler/cloudprovider/azure/
    azure_force_delete_scale_set.go, ``deleteInstances``); so does flexvmss."""
    mapped = error if isinstance(error, AzureOperationError) else from_azure_error(error, operation="delete")
    return (mapped.code or "").lower() == "operationnotallowed"


async def _delete_each(
    ss: ScaleSetCore,
    names: Sequence[str],
    batch: Batch,
    *,
    force: bool,
    members: Mapping[str, VmInfo] | None = None,
) -> BatchResult:
    """:data:`~flexvmss._actions.DELETE_VMS` VM by VM through the fan-out: forced when asked,
    and again without force for a VM whose forced delete Azure refused when asked for it.
    ``members`` (the VMs as listed) lets each deletion check what it takes with it."""
    if not force:
        return await _per_vm.act(ss, DELETE_VMS, names, batch, {"force": False}, members=members)
    vms = ss._arm().compute.virtual_machines

    async def begin(name: str, polling: Any) -> Any:
        try:
            poller = await vms.begin_delete(ss.resource_group, name, force_deletion=True, polling=polling)
        except Exception as exc:
            if not _force_refused(exc):
                raise
            logger.info("flexvmss: forced delete of %s refused (%s); deleting it without force", name, exc)
            poller = await vms.begin_delete(ss.resource_group, name, polling=polling)
        return await poller.result()

    leftovers = {name: _per_vm.deletion_leftovers(vm) for name, vm in (members or {}).items()}
    return await ss._fan_out(
        DELETE_VMS.name, list(names), begin, batch, expect=DELETE_VMS.expect, leftovers=leftovers
    )


async def _batch_delete(ss: ScaleSetCore, selected: Sequence[str], *, force: bool) -> tuple[set[str], bool]:
    """DeleteInstances in chunks; returns the (lower-cased) names of the chunks whose operation
    Azure reported Succeeded, and whether Azure refused a forced delete (the chunk was then sent
    again without force)."""
    from azure.mgmt.compute.models import VirtualMachineScaleSetVMInstanceRequiredIDs

    compute = ss._arm().compute
    refused: list[bool] = []
    confirmed: set[str] = set()

    async def send(chunk: list[str], forced: bool) -> None:
        await ss._lro(
            f"delete {len(chunk)} VMs of {ss.name}",
            compute.virtual_machine_scale_sets.begin_delete_instances(
                ss.resource_group,
                ss.name,
                VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=chunk),
                force_deletion=forced or None,
            ),
        )

    async def delete_chunk(chunk: list[str]) -> None:
        try:
            try:
                await send(chunk, force)
            except AzureOperationError as exc:
                if not (force and _force_refused(exc)):
                    raise
                refused.append(True)
                logger.info(
                    "flexvmss: forced batch delete of %d VMs refused (%s); sending it without force",
                    len(chunk),
                    exc.code,
                )
                await send(chunk, False)
        except AzureOperationError as exc:
            logger.info(
                "flexvmss: batch delete of %d VMs refused or failed (%s); falling back per VM",
                len(chunk),
                exc.code,
            )
            return
        confirmed.update(name.lower() for name in chunk)

    chunks = [list(selected[i : i + DELETE_CHUNK]) for i in range(0, len(selected), DELETE_CHUNK)]
    await _bounded([delete_chunk(chunk) for chunk in chunks], DELETE_CHUNKS_IN_FLIGHT)
    return confirmed, bool(refused)


async def _wait_until_empty(ss: ScaleSetCore) -> None:
    for _ in range(VANISH_ATTEMPTS):
        remaining = await ss._read_vms()
        if not remaining:
            return
        await ss._wait(VANISH_POLL)
    raise ScaleSetNotEmptyError(
        f"delete scale set {ss.name}",
        code="VmsStillPresent",
        message=f"{len(remaining)} VM(s) still listed after deletion: "
        + ", ".join(vm.name for vm in remaining[:10]),
        remedy="Run delete() again once Azure has finished deleting them.",
    )


Resources = list[dict[str, Any]]


async def _rg_resources(ss: ScaleSetCore) -> tuple[Resources, Resources, Resources]:
    """The resource group's disks, NICs and public IPs (three lists, all pages)."""
    compute, network, rg = ss._arm().compute, ss._arm().network, ss.resource_group
    disks = await ss._list(f"list disks in {rg}", compute.disks.list_by_resource_group(rg))
    nics = await ss._list(f"list network interfaces in {rg}", network.network_interfaces.list(rg))
    pips = await ss._list(f"list public IP addresses in {rg}", network.public_ip_addresses.list(rg))
    return [wire(d) for d in disks], [wire(n) for n in nics], [wire(p) for p in pips]


def _tagged_for(ss: ScaleSetCore, resource: Mapping[str, Any]) -> bool:
    return ss._tagged_for_me(resource.get("tags"))


async def _mark_leftovers(ss: ScaleSetCore, vms: Sequence[VmInfo]) -> list[str]:
    """Tag, with the set's id, what each VM would leave behind when deleted: its disks and
    NICs whose deleteOption is not Delete, and the public IPs of its NICs unless the VM
    itself created them with deleteOption Delete. Already-tagged resources are skipped, so
    a re-run costs three lists and no writes. Returns the ids it tagged."""
    disks, nics, pips = await _rg_resources(ss)
    tagged = {str(r["id"]).lower() for r in (*disks, *nics, *pips) if _tagged_for(ss, r)}
    nic_by_id = {str(n["id"]).lower(): n for n in nics}
    pip_ids = {str(p["id"]).lower() for p in pips}
    wanted: dict[str, str] = {}  # id.lower() -> kind
    for vm in vms:
        props = vm.raw.get("properties") or {}
        storage = props.get("storageProfile") or {}
        os_disk = storage.get("osDisk") or {}
        if os_disk.get("deleteOption") != "Delete" and vm.os_disk_id:
            wanted[vm.os_disk_id.lower()] = "disk"
        for disk in storage.get("dataDisks") or ():
            disk_id = (disk.get("managedDisk") or {}).get("id")
            if disk_id and disk.get("deleteOption") != "Delete":
                wanted[str(disk_id).lower()] = "disk"
        network_profile = props.get("networkProfile") or {}
        pip_configs = [
            (ip.get("properties") or {}).get("publicIPAddressConfiguration")
            for config in network_profile.get("networkInterfaceConfigurations") or ()
            for ip in (config.get("properties") or {}).get("ipConfigurations") or ()
        ]
        pip_deleted_by_vm = bool(pip_configs) and all(
            ((pip or {}).get("properties") or {}).get("deleteOption") == "Delete"
            for pip in pip_configs
            if pip
        )
        for ref in network_profile.get("networkInterfaces") or ():
            nic_id = str(ref.get("id") or "")
            if not nic_id:
                continue
            delete_option = ref.get("deleteOption") or (ref.get("properties") or {}).get("deleteOption")
            if delete_option != "Delete":
                wanted[nic_id.lower()] = "nic"
            nic = nic_by_id.get(nic_id.lower())
            if nic is None:
                continue
            for ip_config in (nic.get("properties") or {}).get("ipConfigurations") or ():
                pip_id = (((ip_config.get("properties") or {}).get("publicIPAddress")) or {}).get("id")
                if not pip_id or str(pip_id).lower() not in pip_ids:
                    continue
                if delete_option != "Delete" or not pip_deleted_by_vm:
                    wanted[str(pip_id).lower()] = "pip"
    originals = {str(r["id"]).lower(): r for r in (*disks, *nics, *pips)}
    to_tag = [
        (originals[rid], kind) for rid, kind in wanted.items() if rid not in tagged and rid in originals
    ]
    await _bounded([_tag(ss, resource, kind) for resource, kind in to_tag], CLEANUP_CONCURRENCY)
    return [str(resource["id"]) for resource, _ in to_tag]


async def _tag(ss: ScaleSetCore, resource: Mapping[str, Any], kind: str) -> None:
    """Add :data:`SET_TAG` to one disk, NIC or public IP with a PATCH that carries only the
    tags (the resource's tags as just listed, plus the set's).

    A PATCH replaces the tags and nothing else: re-PUTting a disk's listed body would also send
    its read-only and state fields back (Disks - Update, "Updates (patches) a disk", is the
    tags-and-settings path; NICs and public IPs have UpdateTags)."""
    from azure.mgmt.compute.models import DiskUpdate
    from azure.mgmt.network.models import TagsObject

    rid = str(resource["id"])
    name = str(resource["name"])
    rg = rg_of(rid)
    tags = {k: v for k, v in dict(resource.get("tags") or {}).items() if k.lower() != SET_TAG}
    tags[SET_TAG] = ss._set_tag
    if kind == "disk":
        await ss._lro(
            f"tag disk {name}", ss._arm().compute.disks.begin_update(rg, name, DiskUpdate(tags=tags))
        )
    elif kind == "nic":
        await ss._call(
            f"tag network interface {name}",
            ss._arm().network.network_interfaces.update_tags(rg, name, TagsObject(tags=tags)),
        )
    else:
        await ss._call(
            f"tag public IP address {name}",
            ss._arm().network.public_ip_addresses.update_tags(rg, name, TagsObject(tags=tags)),
        )


async def _sweep_leftovers(ss: ScaleSetCore) -> list[str]:
    """Delete every disk, NIC and public IP tagged for this set: NICs first (waiting out
    Azure's 180 s NIC reservation after a VM deletion), then public IPs and disks."""
    disks, nics, pips = await _rg_resources(ss)

    def mine(items: Resources) -> Resources:
        return [r for r in items if _tagged_for(ss, r)]

    compute = ss._arm().compute
    network = ss._arm().network
    deleted: list[str] = []
    # NICs first (a public IP cannot go while a NIC holds it), then public IPs, then disks
    for items, what, operations in (
        (mine(nics), "network interface", network.network_interfaces),
        (mine(pips), "public IP address", network.public_ip_addresses),
        (mine(disks), "disk", compute.disks),
    ):
        await _bounded(
            [
                _delete_retrying_reservation(
                    ss,
                    f"delete {what} {item['name']}",
                    functools.partial(operations.begin_delete, rg_of(str(item["id"])), str(item["name"])),
                )
                for item in items
            ],
            CLEANUP_CONCURRENCY,
        )
        deleted.extend(str(item["id"]) for item in items)
    return deleted


async def _delete_retrying_reservation(
    ss: ScaleSetCore, operation: str, begin: Callable[[], Awaitable[Any]]
) -> None:
    """Run a DELETE; a resource already gone counts as deleted. A NIC still reserved by its
    deleted VM (NicReservedForAnotherVm, up to 180 s) or still in use while Azure finishes
    detaching is retried every :data:`NIC_RESERVATION_WAIT` seconds."""
    for attempt in range(NIC_RESERVATION_ATTEMPTS):
        try:
            await ss._lro(operation, begin())
            return
        except NotFoundError:
            return
        except AzureOperationError as exc:
            last = attempt == NIC_RESERVATION_ATTEMPTS - 1
            if (exc.code or "").lower() not in _TRANSIENT_DELETE_CODES or last:
                raise
            logger.info("flexvmss: %s: %s; retrying in %.0f s", operation, exc.code, NIC_RESERVATION_WAIT)
            await ss._wait(NIC_RESERVATION_WAIT)


async def _bounded(awaitables: Sequence[Awaitable[Any]], limit: int) -> None:
    """Await all of ``awaitables`` with at most ``limit`` running at once; the first error is
    raised once every one of them has finished (none is left running behind it)."""
    semaphore = asyncio.Semaphore(limit)

    async def one(awaitable: Awaitable[Any]) -> None:
        async with semaphore:
            await awaitable

    results = await asyncio.gather(*(one(a) for a in awaitables), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _result_error(batch: BatchResult, name: str) -> str | None:
    result = batch.results.get(name)
    if result is None:
        return None
    if result.error is not None:
        return (
            str(getattr(result.error, "code", None) or "")
            + ": "
            + str(getattr(result.error, "azure_message", None) or result.error.message)
        )
    return result.detail or result.outcome.value if result.outcome else None
