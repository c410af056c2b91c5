"""Creating, reading and scaling a Flex scale set through both faces of the facade."""

from __future__ import annotations

import math
from typing import Any

import pytest
from _flexlib import LOCATION, RG, profile_spec, requests_by_route, standalone_vm, vm_spec

from flexvmss import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PreflightError,
    ScaleSetSpec,
)
from flexvmss._skus import SkuCache
from flexvmss._specs import NetworkSpec, set_tag_value
from flexvmss.emulator import FaultRule

VMSS = "/virtualMachineScaleSets/{vmScaleSetName}"
VM_LIST = "/providers/Microsoft.Compute/virtualMachines"


async def test_create_a_profile_set_behind_a_nat_gateway(emu, network, make_set):
    ss = make_set("web")
    info = await ss.create(profile_spec(network, capacity=20))

    assert info.orchestration_mode == "Flexible"
    assert info.provisioning_state == "Succeeded"
    assert info.capacity == 20 and info.has_vm_profile
    vms = await ss.vms(instance_view=True)
    assert len(vms) == 20
    assert all(vm.name.startswith("web_") for vm in vms)
    assert {vm.power_state for vm in vms} == {"running"}
    assert {vm.provisioning_state for vm in vms} == {"Succeeded"}
    assert all(vm.nic_ids and vm.os_disk_id for vm in vms)


async def test_create_a_set_without_a_profile(emu, network, make_set):
    ss = make_set("bare")
    info = await ss.create(ScaleSetSpec(location=LOCATION))

    assert info.has_vm_profile is False
    assert info.orchestration_mode == "Flexible"
    assert await ss.vms() == []
    assert (await ss.get()).id.lower() == info.id.lower()


async def test_create_is_idempotent(emu, network, make_set):
    ss = make_set("web")
    spec = profile_spec(network, capacity=2)
    first = await ss.create(spec)
    second = await ss.create(spec)

    assert second.id == first.id
    assert requests_by_route(emu, VMSS, "PUT") == 1  # the second create sent no write
    assert len(await ss.vms()) == 2


async def test_create_with_a_different_spec_names_each_difference(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=2))

    with pytest.raises(ConflictError) as caught:
        await ss.create(profile_spec(network, capacity=2, vm_size="Standard_D4s_v5"))
    assert "vm_size" in str(caught.value)
    assert "Standard_D4s_v5" in str(caught.value)
    assert requests_by_route(emu, VMSS, "PUT") == 1


async def test_a_bad_spec_is_refused_with_only_the_sku_catalog_read(emu, network, make_set):
    ss = make_set("web", sku_cache=SkuCache())
    bad = profile_spec(
        network,
        capacity=1500,
        overprovision=True,
        platform_fault_domain_count=7,
        network=NetworkSpec(subnet_id=network.subnet_id, public_ip_per_vm=True),
    )
    before = emu.counters()["requests"]

    findings = await ss.plan_create(bad)
    errors = {f.rule_id for f in findings if f.severity == "error"}
    assert {"FLEX001", "FLEX004", "FLEX014"} <= errors
    with pytest.raises(PreflightError) as caught:
        await ss.create(bad)
    assert {f.rule_id for f in caught.value.findings} >= {"FLEX001", "FLEX004", "FLEX014"}

    counters = emu.counters()
    assert counters["requests"] - before == 1  # one Resource SKUs read, cached for the create
    assert requests_by_route(emu, "/providers/Microsoft.Compute/skus") == 1
    assert not await ss.exists()


async def test_plan_create_checks_the_declared_nat_gateway_with_one_get(emu, network, make_set):
    ss = make_set("web", sku_cache=SkuCache())
    no_nat = NetworkSpec(subnet_id=network.plain_subnet_id, outbound="nat_gateway")
    spec = profile_spec(network, network=no_nat)
    before = emu.counters()["requests"]

    findings = await ss.plan_create(spec)

    outbound = [f for f in findings if f.rule_id == "FLEX012"]
    assert outbound and outbound[0].severity == "error"
    assert "NAT gateway" in outbound[0].message
    assert emu.counters()["requests"] - before == 2  # the SKU read and the subnet GET
    with pytest.raises(PreflightError):
        await ss.create(spec)
    assert requests_by_route(emu, VMSS, "PUT") == 0


async def test_plan_create_reads_an_undeclared_load_balancer_sku_with_one_get(emu, network, make_set):
    """A backend pool whose load balancer's sku the spec does not declare: one GET finds it is
    Basic (FLEX006), before anything is written."""
    emu.clients().network.load_balancers.begin_create_or_update(
        RG,
        "old-lb",
        {
            "location": LOCATION,
            "sku": {"name": "Basic"},
            "properties": {"backendAddressPools": [{"name": "pool"}]},
        },
    ).result()
    pool = (
        f"/subscriptions/{emu.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Network"
        "/loadBalancers/old-lb/backendAddressPools/pool"
    )
    ss = make_set("web", sku_cache=SkuCache())
    pooled = NetworkSpec(subnet_id=network.subnet_id, load_balancer_backend_pool_ids=(pool,))
    spec = profile_spec(network, network=pooled)
    before = requests_by_route(emu, "/loadBalancers/{resourceName}")

    findings = await ss.plan_create(spec)

    basic = [(f.severity, f.value) for f in findings if f.rule_id == "FLEX006"]
    assert basic == [("error", "Basic")]
    assert requests_by_route(emu, "/loadBalancers/{resourceName}") - before == 1


@pytest.mark.parametrize("face", ["aio"])  # a thousand VMs once is enough: the listing is shared code
async def test_listing_a_thousand_vms_costs_one_request_per_page(emu, network, make_set):
    ss = make_set("big")
    await ss.create(profile_spec(network, capacity=1000))
    pages = math.ceil(1000 / emu.ctx.page_size)

    before = requests_by_route(emu, VM_LIST)
    vms = await ss.vms()
    assert len(vms) == 1000
    assert requests_by_route(emu, VM_LIST) - before == pages

    before = requests_by_route(emu, VM_LIST)
    with_view = await ss.vms(instance_view=True)
    assert {vm.power_state for vm in with_view} == {"running"}
    assert requests_by_route(emu, VM_LIST) - before == pages


async def test_a_failed_read_raises_instead_of_answering_empty(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=2))
    emu.add_fault(FaultRule(kind="status", status=404, code="ResourceGroupNotFound", method="GET",
                            path=r"/virtualMachines$"))
    with pytest.raises(NotFoundError):
        await ss.vms()


async def test_vm_reads_one_member_with_its_instance_view(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=1))
    (member,) = await ss.vms()

    vm = await ss.vm(member.name)
    assert vm.name == member.name
    assert vm.power_state == "running"
    with pytest.raises(NotFoundError):
        await ss.vm("no-such-vm")


async def test_get_of_a_missing_set_raises_not_found(emu, network, make_set):
    ss = make_set("ghost")
    with pytest.raises(NotFoundError):
        await ss.get()
    assert await ss.exists() is False


async def test_scale_to_changes_the_vm_count_both_ways(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=3))

    assert (await ss.scale_to(5)).capacity == 5
    assert len(await ss.vms()) == 5
    assert (await ss.scale_to(2)).capacity == 2
    assert len(await ss.vms()) == 2


async def test_scale_to_checks_the_limits_before_any_write(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=1))
    writes = emu.counters()["by_op_class"].get("write", 0)

    with pytest.raises(InvalidInputError) as caught:
        await ss.scale_to(1001)
    assert "1,000" in str(caught.value)
    assert emu.counters()["by_op_class"].get("write", 0) == writes


async def test_scale_to_rereads_and_retries_when_the_set_changed_meanwhile(emu, network, make_set):
    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=1))
    emu.add_fault(FaultRule(kind="status", status=412, code="PreconditionFailed", method="PATCH", nth=1))

    info = await ss.scale_to(2)

    assert info.capacity == 2
    assert requests_by_route(emu, VMSS, "PATCH") == 2


async def test_a_set_without_a_profile_cannot_be_scaled(emu, network, make_set):
    ss = make_set("bare")
    await ss.create(ScaleSetSpec(location=LOCATION))
    with pytest.raises(InvalidInputError):
        await ss.scale_to(3)


async def test_add_vm_creates_a_member_with_its_own_size_and_zone(emu, network, make_set):
    ss = make_set("bare")
    await ss.create(ScaleSetSpec(location=LOCATION, zones=("1", "2", "3")))

    vm = await ss.add_vm(vm_spec(network, "solo", vm_size="Standard_D4s_v5", zone="2"))

    assert vm.name == "solo" and vm.size == "Standard_D4s_v5" and vm.zone == "2"
    (listed,) = await ss.vms()
    assert listed.name == "solo"
    assert listed.tags.get("flexvmss-set") == set_tag_value(ss.id)  # short: never the set's full id


async def test_attaching_an_existing_vm_is_refused_locally(emu, network, make_set):
    ss = make_set("bare")
    await ss.create(ScaleSetSpec(location=LOCATION))
    standalone_vm(emu, network, "loner")
    writes = emu.counters()["by_op_class"].get("write", 0)

    with pytest.raises(PreflightError) as caught:
        await ss.add_vm(vm_spec(network, "loner"))
    finding = next(f for f in caught.value.findings if f.rule_id == "FLEX028")
    assert "already exists" in finding.message
    assert emu.counters()["by_op_class"].get("write", 0) == writes
    assert await ss.vms() == []


async def test_add_vm_again_returns_the_member_without_a_second_create(emu, network, make_set):
    ss = make_set("bare")
    await ss.create(ScaleSetSpec(location=LOCATION))
    first = await ss.add_vm(vm_spec(network, "one"))
    puts = emu.counters()["by_op_class"].get("write", 0)

    again = await ss.add_vm(vm_spec(network, "one"))

    assert again.id.lower() == first.id.lower()
    assert emu.counters()["by_op_class"].get("write", 0) == puts


async def test_delete_without_cascade_refuses_a_set_with_vms(emu, network, make_set):
    from flexvmss import ScaleSetNotEmptyError

    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=2))
    with pytest.raises(ScaleSetNotEmptyError) as caught:
        await ss.delete(cascade=False)
    assert "cascade=True" in caught.value.remedy
    assert requests_by_route(emu, VMSS, "DELETE") == 0
    assert await ss.exists()


def _ids(items: Any) -> set[str]:
    return {str(i).lower() for i in items}


async def test_vms_of_a_set_in_another_resource_group_are_not_mixed_in(emu, network, make_set):
    emu.clients().resource.resource_groups.create_or_update("rg-other", {"location": LOCATION})
    mine = make_set("web")
    other = make_set("web", resource_group="rg-other")
    await mine.create(profile_spec(network, capacity=2))
    await other.create(ScaleSetSpec(location=LOCATION))
    assert await other.vms() == []
    assert len(await mine.vms()) == 2
    assert RG in mine.id


@pytest.mark.parametrize("credential", ["async", "sync"])
async def test_connect_with_an_endpoint_a_ca_and_a_credential(emu, network, face, credential):
    """The way users point flexvmss at the emulator or another ARM endpoint: no clients passed;
    flexvmss builds its own (and closes them)."""
    import asyncio

    import flexvmss
    import flexvmss.aio

    cred = emu.async_credential if credential == "async" else emu.credential
    kwargs = {"credential": cred, "base_url": emu.base_url, "connection_verify": emu.ca_file}
    if face == "sync":
        with flexvmss.FlexScaleSet(emu.subscription_id, RG, "direct", **kwargs) as ss:
            info = await asyncio.to_thread(ss.create, profile_spec(network, capacity=2))
            vms = await asyncio.to_thread(ss.vms)
    else:
        async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "direct", **kwargs) as ss:
            info = await ss.create(profile_spec(network, capacity=2))
            vms = await ss.vms()
    assert info.capacity == 2 and len(vms) == 2


async def test_scale_to_refuses_more_than_200_for_a_non_mpu_size_with_several_fault_domains(
    emu, network, make_set
):
    ss = make_set("big-l")
    spec = profile_spec(network, capacity=1, vm_size="Standard_L8s_v3", platform_fault_domain_count=2)
    await ss.create(spec)
    writes = emu.counters()["by_op_class"].get("write", 0)

    with pytest.raises(InvalidInputError) as caught:
        await ss.scale_to(201)
    assert "200" in str(caught.value) and "Standard_L8s_v3" in str(caught.value)
    assert emu.counters()["by_op_class"].get("write", 0) == writes


async def test_create_refuses_to_turn_a_uniform_set_flexible(emu, network, make_set):
    emu.clients().compute.virtual_machine_scale_sets.begin_create_or_update(
        RG,
        "legacy",
        {
            "location": LOCATION,
            "sku": {"name": "Standard_D2s_v5", "tier": "Standard", "capacity": 0},
            "properties": {"orchestrationMode": "Uniform", "upgradePolicy": {"mode": "Manual"}},
        },
    ).result()
    ss = make_set("legacy")

    with pytest.raises(ConflictError) as caught:
        await ss.create(ScaleSetSpec(location=LOCATION))
    assert "orchestration mode" in str(caught.value)

    # VMs cannot join it either: the Flex rule (FLEX003) refuses before any write
    writes = emu.counters()["by_op_class"].get("write", 0)
    with pytest.raises(PreflightError) as refused:
        await ss.add_vm(vm_spec(network, "legacy-1"))
    assert "FLEX003" in {f.rule_id for f in refused.value.findings}
    assert emu.counters()["by_op_class"].get("write", 0) == writes


@pytest.mark.parametrize("face", ["aio"])
async def test_a_throttled_read_raises_instead_of_answering_empty(emu, network, make_set):
    from _flexlib import clients_for

    import flexvmss.aio
    from flexvmss import ThrottledError
    from flexvmss._pipeline import ThrottleConfig

    await make_set("web").create(profile_spec(network, capacity=2))
    clients = clients_for(emu, throttle=ThrottleConfig(mode="fail_fast", time_scale=emu.time_scale))
    emu.add_fault(FaultRule(kind="status", status=429, method="GET", path=r"/virtualMachines$"))
    try:
        async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "web", clients=clients) as ss:
            with pytest.raises(ThrottledError):
                await ss.vms()
    finally:
        await clients.close()


@pytest.mark.parametrize(
    ("field", "args"),
    [
        ("name", ("8f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b", "rg", "..")),
        ("name", ("8f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b", "rg", "web/../other")),
        ("name", ("8f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b", "rg", "x" * 65)),
        ("resource_group", ("8f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b", "rg.", "web")),
        ("subscription_id", ("sub/../x", "rg", "web")),
    ],
)
def test_names_azure_would_refuse_are_refused_before_anything_is_sent(field, args):
    import flexvmss

    with pytest.raises(InvalidInputError) as caught:
        flexvmss.FlexScaleSet(*args)
    assert caught.value.field == field


async def test_your_own_azure_mgmt_aio_clients_can_be_passed_and_stay_open(emu, network):
    import flexvmss.aio

    own = emu.clients(aio=True)
    async with flexvmss.aio.FlexScaleSet(
        emu.subscription_id, RG, "mine", clients=(own.compute, own.network, own.resource)
    ) as ss:
        await ss.create(profile_spec(network, capacity=2))
        result = await ss.deallocate()
        assert len(result.succeeded) == 2
    # flexvmss did not close them: they still work
    assert (await own.compute.virtual_machine_scale_sets.get(RG, "mine")).name == "mine"
    for client in (own.compute, own.network, own.resource):
        await client.close()
