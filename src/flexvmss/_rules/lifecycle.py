"""Rules about what outlives a VM: resources kept on delete (``deleteOption: Detach``), and
Spot Try & Restore, which brings evicted Spot VMs back."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flexvmss._rules._engine import Issue, RuleContext, rule
from flexvmss._rules._sources import sources
from flexvmss._specs import dig

__all__ = ["detached_resources"]


def detached_resources(vm_model: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, what) for every resource a VM model (a set's ``virtualMachineProfile`` or a VM's
    properties) keeps when its VM is deleted: ``deleteOption: Detach`` on the OS disk, a data
    disk, a NIC configuration or its public IP configuration, or on a NIC it references. Only
    an explicit ``Detach`` counts (flexvmss renders ``Delete`` unless told otherwise)."""
    found: list[tuple[str, str]] = []

    def detached(value: Any) -> bool:
        return str(value or "").lower() == "detach"

    storage = vm_model.get("storageProfile") or {}
    if detached(dig(storage, "osDisk", "deleteOption")):
        found.append(("os_disk.delete_option", "OS disk"))
    for i, disk in enumerate(storage.get("dataDisks") or ()):
        if isinstance(disk, Mapping) and detached(disk.get("deleteOption")):
            found.append((f"data_disks[{i}].delete_option", f"data disk at LUN {disk.get('lun', i)}"))
    network = vm_model.get("networkProfile") or {}
    for config in network.get("networkInterfaceConfigurations") or ():
        props = (config or {}).get("properties") or {}
        if detached(props.get("deleteOption")):
            found.append(("network.delete_option", "NIC"))
        for ip_config in props.get("ipConfigurations") or ():
            pip = dig(ip_config, "properties", "publicIPAddressConfiguration", "properties", "deleteOption")
            if detached(pip):
                found.append(("network.delete_option", "public IP"))
    for i, ref in enumerate(network.get("networkInterfaces") or ()):
        option = (ref or {}).get("deleteOption") or dig(ref, "properties", "deleteOption")
        if detached(option):
            found.append((f"networkInterfaces[{i}].deleteOption", "NIC"))
    return found


@rule(
    "FLEX042",
    title="Resources kept on delete have a reason",
    severity="warning",
    status_2021="not in the 2021 list",
    status_today="deleteOption Detach keeps a VM's disks, NICs and public IPs whoever deletes the VM "
    "(autoscale, Spot eviction, resilient delete, zone rebalancing, the portal); left NICs block "
    "subnet deletion",
    source=sources("DETACH"),
)
def detach_without_reason(ctx: RuleContext) -> Iterator[Issue]:
    spec = ctx.spec
    if (spec.detach_reason or "").strip():
        return
    fields: dict[str, list[str]] = {}
    for where, what in detached_resources(ctx.vm_profile):
        fields.setdefault(where, []).append(what)
    for where, whats in fields.items():
        kept = " and ".join(dict.fromkeys(whats))
        yield Issue(
            where,
            "Detach",
            f"Azure keeps the {kept} when the VM is deleted, whoever deletes it (autoscale scale-in, "
            "Spot eviction with Delete, resilient delete, zone rebalancing, the portal): it keeps "
            "costing, and a NIC left in the subnet blocks the subnet's deletion "
            "(InUseSubnetCannotBeDeleted).",
            "use delete_option='Delete', or say why it must outlive its VM with detach_reason='...' "
            "(`flexvmss audit` finds and sweeps what VMs left behind)",
        )


@rule(
    "FLEX043",
    title="Spot Try & Restore",
    severity="warning",
    status_2021="did not exist (spotRestorePolicy from api 2021-04-01)",
    status_today="Spot sets only; on Flex unverified: the Spot scale set page shows it with "
    "--orchestration-mode Flexible, users report InvalidParameter on Flex; disabled with autoscale",
    source=sources("SPOT-USE", "SPOT-RESTORE"),
)
def spot_restore(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is None:
        return
    policy = ctx.props.get("spotRestorePolicy")
    if not isinstance(policy, Mapping):
        return
    priority = str(ctx.vm_profile.get("priority") or "Regular")
    if priority.lower() not in ("spot", "low"):
        yield Issue(
            "spot_restore",
            priority,
            "Azure refuses a spotRestorePolicy on a set whose VMs are not Spot (\"Spot restoration "
            "feature is supported only for Azure Spot Virtual Machine Scale Sets\"), enabled or not.",
            "remove spot_restore, or set priority='Spot'",
            "error",
        )
        return
    timeout = ctx.set_spec.spot_restore.timeout_minutes if ctx.set_spec.spot_restore else None
    if timeout is not None and timeout <= 0:
        yield Issue(
            "spot_restore.timeout_minutes",
            timeout,
            "the restore timeout is a positive duration.",
            "give a number of minutes above 0 (Azure's examples use 60)",
            "error",
        )
    if policy.get("enabled") is not False:
        yield Issue(
            "spot_restore",
            "enabled",
            "unverified on Flex: the Spot scale set page shows it with --orchestration-mode "
            "Flexible, but users report Azure refusing it there (InvalidParameter \"The value of "
            "parameter spotRestorePolicy is invalid.\", Azure/azure-cli#29461); it is also off "
            "while autoscale drives the set.",
            "waive FLEX043 once Azure accepts it for your subscription, or leave spot_restore unset "
            "and bring evicted VMs back with replace_evicted()",
        )
