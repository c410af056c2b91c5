"""Rules about VMs created into an existing set: same resource group, and new VMs only."""

from __future__ import annotations

from collections.abc import Iterator

from flexvmss._rules._engine import Issue, RuleContext, rule
from flexvmss._rules._sources import sources
from flexvmss._specs import dig


@rule(
    "FLEX027",
    title="VMs join in the set's resource group",
    severity="error",
    status_2021="same resource group",
    status_today="unchanged",
    source=sources("AD", "F21"),
)
def same_resource_group(ctx: RuleContext) -> Iterator[Issue]:
    vm = ctx.vm_spec
    if (
        vm is None
        or vm.resource_group is None
        or ctx.scale_set is None
        or ctx.scale_set.resource_group is None
    ):
        return
    if vm.resource_group.lower() != ctx.scale_set.resource_group.lower():
        yield Issue(
            "resource_group",
            vm.resource_group,
            f"a VM joins a Flex set only in the set's resource group ({ctx.scale_set.resource_group}).",
            f"use resource_group={ctx.scale_set.resource_group!r} (or leave it None)",
        )


@rule(
    "FLEX028",
    title="VMs join at creation (flexvmss does not attach existing VMs)",
    severity="error",
    status_2021="VMs join only at creation",
    status_today="Azure can attach existing VMs (preview 2023-05, GA 2024-06) under conditions; "
    "flexvmss adds VMs at creation only and refuses an existing VM locally",
    source=sources("AD", "F21"),
)
def attach_existing(ctx: RuleContext) -> Iterator[Issue]:
    vm = ctx.existing_vm
    if vm is None:
        return
    current = dig(vm, "properties", "virtualMachineScaleSet", "id")
    target = ctx.scale_set.id if ctx.scale_set else None
    if current and target and str(current).lower() == str(target).lower():
        return
    yield Issue(
        "name",
        ctx.vm_spec.name if ctx.vm_spec is not None else vm.get("name"),
        "a VM with this name already exists outside this set; flexvmss adds VMs at creation only "
        "(Azure can attach existing VMs only to sets with fault domain count 1, singlePlacementGroup "
        "false, same resource group and zone rules, no availability set, PPG or dedicated host).",
        "choose a new VM name, or attach the VM yourself (az vm update --set virtualMachineScaleSet.id=...)",
    )
