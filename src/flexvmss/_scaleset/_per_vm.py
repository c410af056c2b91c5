"""Per-VM operations on many VMs of the set: the actions of :data:`flexvmss._actions.PER_VM_ACTIONS`
(one generic runner), and the two whose request carries a body (``update``, ``run_command``).

Every one selects its VMs from the set's list first (so it never touches a VM outside the
set), then runs through the fan-out engine: one result per VM, from what Azure confirms.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from flexvmss._actions import ACTIONS, VmAction
from flexvmss._errors import InvalidInputError, sent_once_error
from flexvmss._fanout import BatchResult
from flexvmss._rules import check_vm_tags
from flexvmss._rules.limits import MAX_USER_DATA_BYTES
from flexvmss._scaleset import _preflight
from flexvmss._scaleset._core import SET_TAG, Batch, ScaleSetCore, VmFilter, VmNames
from flexvmss._scaleset._values import wire

__all__ = ["act", "run", "run_command", "update"]


async def run(
    ss: ScaleSetCore, action: str, names: VmNames, where: VmFilter, batch: Batch, **flags: bool
) -> BatchResult:
    """The per-VM action called ``action`` on the VMs ``names`` and ``where`` select."""
    selected = await ss._select_vms(names, where)
    return await act(ss, ACTIONS[action], [vm.name for vm in selected], batch, flags)


async def act(
    ss: ScaleSetCore, action: VmAction, names: Sequence[str], batch: Batch, flags: Mapping[str, bool]
) -> BatchResult:
    """``action`` on exactly ``names`` (already known to be members): its SDK call per VM, its
    flags sent as True or None, success confirmed as :attr:`VmAction.expect` says."""
    unknown = set(flags) - {flag.name for flag in action.flags}
    if unknown:
        raise TypeError(f"{action.method}() got unexpected keyword arguments {sorted(unknown)}")
    sdk_method = getattr(ss._arm().compute.virtual_machines, action.sdk_method)
    sdk_kwargs = {flag.sdk_name: flags.get(flag.name) or None for flag in action.flags}

    async def begin(name: str, polling: Any) -> Any:
        if not action.long_running:
            return await sdk_method(ss.resource_group, name, **sdk_kwargs)
        poller = await sdk_method(ss.resource_group, name, polling=polling, **sdk_kwargs)
        return await poller.result()

    return await ss._fan_out(action.name, names, begin, batch, expect=action.expect)


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
    by_name = {vm.name: vm for vm in await ss._select_vms(names, where)}
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

    return await ss._fan_out("update", list(by_name), begin, batch, expect=None)


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

    lines = [script] if isinstance(script, str) else list(script)
    body = RunCommandInput(command_id=command_id, script=lines)
    selected = [vm.name for vm in await ss._select_vms(names, where)]
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

    result = await ss._fan_out("run_command", selected, begin, batch, expect=None)
    for name, text in outputs.items():
        if name in result.results and text:
            result.results[name].detail = text
    return result
