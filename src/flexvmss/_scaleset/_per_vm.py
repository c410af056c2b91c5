"""Per-VM operations on many VMs of the set: the actions of :data:`flexvmss._actions.PER_VM_ACTIONS`
(one generic runner), and the two whose request carries a body (``update``, ``run_command``).

Every one selects its VMs from the set's list first (so it never touches a VM outside the
set), then runs through the fan-out engine: one result per VM, from what Azure confirms (each
operation's own status; see :mod:`flexvmss._fanout._observe`). The batch's deadline counts
from the call, so it bounds that first read too.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from flexvmss._actions import ACTIONS, VmAction
from flexvmss._arm import COMPUTE_API_VERSION, compute_api_version, vms_path
from flexvmss._errors import InvalidInputError, sent_once_error
from flexvmss._fanout import BatchResult, Expectation, as_expectation
from flexvmss._rules import check_vm_tags
from flexvmss._rules.limits import MAX_USER_DATA_BYTES
from flexvmss._scaleset import _preflight
from flexvmss._scaleset._core import SET_TAG, Batch, ScaleSetCore, VmFilter, VmNames
from flexvmss._scaleset._values import VmInfo, wire

__all__ = ["act", "action_url", "deletion_leftovers", "run", "run_command", "update"]


async def run(
    ss: ScaleSetCore, action: str, names: VmNames, where: VmFilter, batch: Batch, **flags: bool
) -> BatchResult:
    """The per-VM action called ``action`` on the VMs ``names`` and ``where`` select."""
    started = ss._rt.clock()
    selected = await ss._within(action, batch, started, ss._select_vms(names, where))
    members = {vm.name: vm for vm in selected}
    return await act(
        ss, ACTIONS[action], list(members), ss._remaining(batch, started), flags, members=members
    )


def deletion_leftovers(vm: VmInfo) -> tuple[str, ...]:
    """What deleting ``vm`` takes with it: its disks and NICs whose deleteOption is Delete
    (compute REST spec, ``deleteOption`` of ``OSDisk``/``DataDisk``/``NetworkInterfaceReference``).
    Checked when only the VM's own 404 can confirm its deletion."""
    props = vm.raw.get("properties") or {}
    storage = props.get("storageProfile") or {}
    found: list[str] = []
    os_disk = storage.get("osDisk") or {}
    os_id = (os_disk.get("managedDisk") or {}).get("id")
    if os_id and os_disk.get("deleteOption") == "Delete":
        found.append(str(os_id))
    for disk in storage.get("dataDisks") or ():
        disk_id = (disk.get("managedDisk") or {}).get("id")
        if disk_id and disk.get("deleteOption") == "Delete":
            found.append(str(disk_id))
    for ref in (props.get("networkProfile") or {}).get("networkInterfaces") or ():
        option = ref.get("deleteOption") or (ref.get("properties") or {}).get("deleteOption")
        if ref.get("id") and option == "Delete":
            found.append(str(ref["id"]))
    return tuple(found)


def action_url(
    action: VmAction,
    subscription_id: str,
    resource_group: str,
    vm: str,
    flags: Mapping[str, bool],
    api_version: str = COMPUTE_API_VERSION,
) -> str:
    """The path and query of ``action``'s request on ``vm``: its flags that are on sent as
    ``=true``, the ones off left out (as azure-mgmt-compute sends a None keyword)."""
    query = "".join(f"&{flag.query}=true" for flag in action.flags if flags.get(flag.name))
    return (
        f"{vms_path(subscription_id, resource_group, vm)}{action.request[1]}"
        f"?api-version={quote(api_version, safe='')}{query}"
    )


def expectation(action: VmAction, flags: Mapping[str, bool]) -> Expectation:
    """What a VM shows once ``action`` is done: the row's :attr:`VmAction.expect`, plus the
    hibernation state for ``deallocate(hibernate=True)``."""
    expect = as_expectation(action.expect)
    if action.name == "deallocate" and flags.get("hibernate"):
        return Expectation.power("deallocated", hibernated=True)
    return expect


async def act(
    ss: ScaleSetCore,
    action: VmAction,
    names: Sequence[str],
    batch: Batch,
    flags: Mapping[str, bool],
    *,
    members: Mapping[str, VmInfo] | None = None,
    on_accepted: Callable[[str, str | None], None] | None = None,
) -> BatchResult:
    """``action`` on exactly ``names`` (already known to be members): its request per VM (the
    one its azure-mgmt call would send, built here: no SDK model or poller per VM), each
    outcome confirmed by its operation's status (the VM list only schedules the reads, as
    :attr:`VmAction.expect` allows). ``members`` (the VMs as
    listed) lets a deletion check what it takes with it. ``on_accepted(name, status_url)``
    hears of each operation Azure accepted (a checkpoint records its status URL)."""
    unknown = set(flags) - {flag.name for flag in action.flags}
    if unknown:
        raise TypeError(f"{action.method}() got unexpected keyword arguments {sorted(unknown)}")
    arm = ss._arm()
    api_version = compute_api_version(arm)
    method = action.request[0]

    async def begin(name: str, polling: Any) -> Any:
        url = action_url(action, ss.subscription_id, ss.resource_group, name, flags, api_version)
        answer = await arm.request(method, url, ok=action.accepted)
        if not action.long_running:
            # Azure answers 204 and starts no operation (simulate eviction): the VM itself is
            # watched until it shows the action done
            return await polling.watch()
        polling.accept(answer.status, answer.headers, answer.json)
        if on_accepted is not None:
            on_accepted(name, polling.status_url)
        await polling.run()
        return polling.resource()

    leftovers = None
    if action.expect == "deleted" and members:
        leftovers = {name: deletion_leftovers(vm) for name, vm in members.items()}
    return await ss._fan_out(
        action.name, names, begin, batch, expect=expectation(action, flags), leftovers=leftovers
    )


async def update(
    ss: ScaleSetCore,
    names: VmNames,
    where: VmFilter,
    batch: Batch,
    *,
    tags: Mapping[str, str] | None,
    size: str | None,
    user_data: str | bytes | Any,
) -> BatchResult:
    """PATCH the VMs with new tags (keeping flexvmss's own), size and/or user data."""
    from azure.mgmt.compute.models import VirtualMachineUpdate

    if tags is None and size is None and user_data is None:
        raise InvalidInputError("update", None, "give tags, size and/or user_data")
    if tags is not None:
        check_vm_tags(tags)  # Azure's tag limits (FLEX033), with the tag flexvmss keeps
    started = ss._rt.clock()
    properties: dict[str, Any] = {}
    if size is not None:
        await _preflight.check_size(ss, size)
        properties["hardwareProfile"] = {"vmSize": size}
    if user_data is not None:
        properties["userData"] = _encoded(user_data)  # no plain copy left in this frame
        if len(properties["userData"]) > MAX_USER_DATA_BYTES:
            raise InvalidInputError(
                "user_data",
                f"<{len(properties['userData'])} bytes encoded>",
                f"keep user data within {MAX_USER_DATA_BYTES:,} bytes base64-encoded (FLEX041)",
            )
    selected = await ss._within("update", batch, started, ss._select_vms(names, where))
    by_name = {vm.name: vm for vm in selected}
    compute = ss._arm().compute

    async def begin(name: str, polling: Any) -> Any:
        body: dict[str, Any] = {}
        if properties:
            body["properties"] = properties
        if tags is not None:
            own = {k: v for k, v in by_name[name].tags.items() if k == SET_TAG}
            body["tags"] = {**own, **dict(tags)}
        poller = await compute.virtual_machines.begin_update(
            ss.resource_group, name, VirtualMachineUpdate(body), polling=polling
        )
        return await poller.result()

    # an update ends in the state it started from: only its status can say it is done
    return await ss._fan_out("update", list(by_name), begin, ss._remaining(batch, started), expect=None)


def _encoded(user_data: str | bytes | Any) -> str:
    """User data (a :class:`~flexvmss.Secret`, text or bytes) base64-encoded for the wire."""
    raw = user_data.reveal() if hasattr(user_data, "reveal") else user_data
    return base64.b64encode(raw.encode() if isinstance(raw, str) else bytes(raw)).decode()


async def run_command(
    ss: ScaleSetCore,
    command_id: str,
    script: str | Sequence[str],
    names: VmNames,
    where: VmFilter,
    batch: Batch,
) -> BatchResult:
    """Run a command on the VMs; each succeeded VM's result ``detail`` holds its output."""
    from azure.mgmt.compute.models import RunCommandInput

    started = ss._rt.clock()
    lines = [script] if isinstance(script, str) else list(script)
    body = RunCommandInput(command_id=command_id, script=lines)
    selected = [
        vm.name for vm in await ss._within("run_command", batch, started, ss._select_vms(names, where))
    ]
    compute = ss._arm().compute
    outputs: dict[str, str] = {}

    async def begin(name: str, polling: Any) -> Any:
        # The SDK's own polling, not the fan-out's shared observer: the command's output only
        # comes from the operation's final Location GET, which observing through the VM list
        # would skip.
        del polling
        try:
            poller = await compute.virtual_machines.begin_run_command(ss.resource_group, name, body)
            result = await poller.result()
        except Exception as exc:  # never re-issued: a second runCommand runs the script again
            raise sent_once_error(exc, operation=f"run_command vm {name}", what="the command") from exc
        statuses = (wire(result).get("value") or []) if result is not None else []
        outputs[name] = "\n".join(str(status.get("message") or "") for status in statuses).strip()
        return result

    result = await ss._fan_out("run_command", selected, begin, ss._remaining(batch, started), expect=None)
    for name, text in outputs.items():
        if name in result.results and text:
            result.results[name].detail = text
    return result
