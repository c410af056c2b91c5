"""The compute provider's state: resource types, its private bookkeeping, and set membership.

Bodies live in :attr:`Store.resources` exactly as GET returns them. What Azure does not
return lives in ``ctx.store.extra["compute"]`` as plain data (snapshots deep-copy it): per VM
its power state, the operation in flight, the last failure, its user data and the order in
which it was created; per scale set its user data and operation in flight; per set the VMs
that reference it (an index kept as VMs join and leave).
"""

from __future__ import annotations

import copy
from typing import Any

from ...core import Context, same_id

__all__ = [
    "DISK_TYPE",
    "NS",
    "VMSS_TYPE",
    "VM_TYPE",
    "book",
    "bump_etag",
    "deep_merge",
    "forget_removed",
    "join_index",
    "leave_index",
    "next_seq",
    "profile_vms",
    "set_book",
    "set_members",
    "sync_set_capacity",
    "vm_state",
]

NS = "Microsoft.Compute"
VM_TYPE = "Microsoft.Compute/virtualMachines"
VMSS_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
DISK_TYPE = "Microsoft.Compute/disks"


def book(ctx: Context) -> dict[str, Any]:
    """The compute provider's private bookkeeping in the store."""
    b: dict[str, Any] = ctx.store.extra.setdefault("compute", {})
    b.setdefault("vms", {})
    b.setdefault("sets", {})
    b.setdefault("seq", 0)
    b.setdefault("run_results", {})
    return b


def vm_state(ctx: Context, vm_id: str) -> dict[str, Any]:
    """Private state of one VM (created on first use)."""
    vms: dict[str, Any] = book(ctx)["vms"]
    st: dict[str, Any] = vms.setdefault(
        vm_id.lower(),
        {
            "power": "running",
            "token": None,
            "op_id": None,
            "op_kind": None,
            "failed": None,
            "userData": None,
            "seq": 0,
            "set": None,
            "nics": [],
        },
    )
    return st


def set_book(ctx: Context, set_id: str) -> dict[str, Any]:
    """Private state of one scale set: its user data and the operation in flight."""
    sets: dict[str, Any] = book(ctx)["sets"]
    entry: dict[str, Any] = sets.setdefault(set_id.lower(), {"token": None, "userData": None, "op_id": None})
    return entry


def next_seq(ctx: Context) -> int:
    """The next number of the provider's one sequence (operation tokens, creation order)."""
    b = book(ctx)
    b["seq"] += 1
    seq: int = b["seq"]
    return seq


def bump_etag(body: dict[str, Any]) -> str:
    """Increment the quoted-integer ETag Compute uses (``"1"``, ``"2"``...)."""
    raw = str(body.get("etag", '"0"')).strip('"')
    try:
        n = int(raw)
    except ValueError:
        n = 0
    body["etag"] = f'"{n + 1}"'
    return str(body["etag"])


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into a copy of ``base``: dicts merge, anything else replaces, and an
    explicit ``None`` removes the key (how Compute treats a sparse PUT/PATCH)."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# --------------------------------------------------------------------------- set membership


def _index(ctx: Context, set_id: str) -> dict[str, int]:
    """Members of a set (VM id lower -> creation sequence), kept as VMs join and leave."""
    members: dict[str, dict[str, int]] = book(ctx).setdefault("members", {})
    return members.setdefault(set_id.lower(), {})


def join_index(ctx: Context, set_id: str, vm_id: str) -> None:
    _index(ctx, set_id)[vm_id.lower()] = int(vm_state(ctx, vm_id).get("seq") or 0)


def leave_index(ctx: Context, set_id: str, vm_id: str) -> None:
    _index(ctx, set_id).pop(vm_id.lower(), None)


def set_members(ctx: Context, set_id: str) -> list[dict[str, Any]]:
    """Every VM whose ``virtualMachineScaleSet.id`` names ``set_id``, oldest first."""
    index = _index(ctx, set_id)
    members = []
    for vm_key, _seq in sorted(index.items(), key=lambda kv: kv[1]):
        vm = ctx.store.get(vm_key)
        ref = ((vm or {}).get("properties") or {}).get("virtualMachineScaleSet") or {}
        if vm is not None and same_id(ref.get("id"), set_id):
            members.append(vm)
    if len(members) != len(index):  # VMs removed behind compute's back (resource group delete)
        index.clear()
        for vm in members:
            index[vm["id"].lower()] = int(vm_state(ctx, vm["id"]).get("seq") or 0)
    return members


def profile_vms(ctx: Context, set_id: str, *, include_deleting: bool = False) -> list[dict[str, Any]]:
    """The members a set created from its profile (not those being deleted, unless asked)."""
    states = book(ctx)["vms"]
    out = []
    for vm in set_members(ctx, set_id):
        st = states.get(vm["id"].lower(), {})
        if not st.get("profile"):
            continue
        if not include_deleting and vm["properties"].get("provisioningState") == "Deleting":
            continue
        out.append(vm)
    return out


def sync_set_capacity(ctx: Context, set_id: str) -> None:
    """A profile-based Flex set reports as ``sku.capacity`` the profile VMs it holds (not
    deleting). A Uniform set keeps the capacity it was given (it owns no VMs here)."""
    vmss = ctx.store.get(set_id)
    props = (vmss or {}).get("properties") or {}
    if vmss is None or not props.get("virtualMachineProfile") or "sku" not in vmss:
        return
    if str(props.get("orchestrationMode")) != "Flexible":
        return
    vmss["sku"]["capacity"] = len(profile_vms(ctx, set_id))


def forget_removed(ctx: Context, resource_ids: list[str]) -> None:
    """Drop compute's private state about resources removed behind its back (a resource
    group deletion): per-VM state, set membership, per-set state and runCommand results, so
    a VM or set made again under the same name starts as new."""
    b = ctx.store.extra.get("compute")
    if not b:
        return
    gone = set(resource_ids)
    vms: dict[str, Any] = b.get("vms", {})
    sets: dict[str, Any] = b.get("sets", {})
    members: dict[str, dict[str, int]] = b.get("members", {})
    for rid in gone:
        st = vms.pop(rid, None)
        if st and st.get("set"):
            members.get(str(st["set"]), {}).pop(rid, None)
        sets.pop(rid, None)
        members.pop(rid, None)
    results: dict[str, Any] = b.get("run_results", {})
    for op_id in list(results):
        op = ctx.lro.get(op_id)
        if op is not None and op.resource_id.lower() in gone:
            del results[op_id]
