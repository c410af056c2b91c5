"""Ordered teardown: VMs, then what they left behind, then the set; nothing leaked, nothing
outside the set touched, and a re-run after an interruption at any point converges."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random

import pytest
from _flexlib import LOCATION, RG, inventory_ids, profile_spec, requests_by_route, standalone_vm, vm_spec

from flexvmss import (
    AzureOperationError,
    DataDiskSpec,
    NetworkSpec,
    OsDiskSpec,
    ScaleSetNotEmptyError,
    ScaleSetSpec,
)
from flexvmss._specs import render_vm_body
from flexvmss.emulator import FaultRule

VMSS_DELETE = "/virtualMachineScaleSets/{vmScaleSetName}"


def keeper_spec(network, name: str):
    """A VM whose OS disk, data disk, NIC and public IP all outlive it (deleteOption Detach)."""
    spec = vm_spec(
        network,
        name,
        os_disk=OsDiskSpec(delete_option="Detach"),
        data_disks=(DataDiskSpec(lun=0, size_gb=8, delete_option="Detach"),),
        network=NetworkSpec(subnet_id=network.subnet_id, public_ip_per_vm=True),
    )
    body = render_vm_body(spec, scale_set_id="", location=LOCATION)
    nic = body["properties"]["networkProfile"]["networkInterfaceConfigurations"][0]["properties"]
    nic["deleteOption"] = "Detach"
    pip = nic["ipConfigurations"][0]["properties"]["publicIPAddressConfiguration"]
    pip["properties"]["deleteOption"] = "Detach"
    # the set's id is filled in by the facade; raw keeps every other field as written here
    del body["properties"]["virtualMachineScaleSet"]
    return spec, body


async def populate(emu, network, make_set):
    """Unrelated resources first (a standalone VM, a spare disk, another set with VMs), then the
    set under test with profile VMs and two VMs whose disks, NICs and public IPs are kept on
    delete. Returns (the set, the inventory before it existed)."""
    c = emu.clients()
    standalone_vm(emu, network, "outsider", os_disk=OsDiskSpec(delete_option="Detach"))
    c.compute.disks.begin_create_or_update(
        RG,
        "spare-disk",
        {
            "location": LOCATION,
            "sku": {"name": "Standard_LRS"},
            "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 8},
        },
    ).result()
    other = make_set("other")
    await other.create(profile_spec(network, capacity=2))
    baseline = inventory_ids(emu)

    ss = make_set("web")
    await ss.create(profile_spec(network, capacity=3))
    for name in ("keep1", "keep2"):
        spec, body = keeper_spec(network, name)
        body["properties"]["virtualMachineScaleSet"] = {"id": ss.id}
        await ss.add_vm(dataclasses.replace(spec, raw=body))
    return ss, baseline


def leftovers_of(emu, names):
    """Disks, NICs and public IPs in the inventory whose names start with one of ``names``."""
    out = set()
    for resource in emu.inventory()["resources"]:
        name = str(resource["id"]).rsplit("/", 1)[-1]
        if resource["type"] in (
            "Microsoft.Compute/disks",
            "Microsoft.Network/networkInterfaces",
            "Microsoft.Network/publicIPAddresses",
        ) and any(name.startswith(n) for n in names):
            out.add(str(resource["id"]).lower())
    return out


async def test_teardown_leaves_nothing_and_touches_nothing_else(emu, network, make_set):
    ss, baseline = await populate(emu, network, make_set)
    assert len(await ss.vms()) == 5

    result = await ss.delete(cascade=True)

    assert result.scale_set_deleted
    assert sorted(result.vms.succeeded) == sorted(result.vms.results)
    assert len(result.leftovers_deleted) >= 8  # 2 VMs x (OS disk, data disk, NIC, public IP)
    assert inventory_ids(emu) == baseline
    assert not await ss.exists()


@pytest.mark.parametrize("face", ["aio"])  # a scenario: the faces are tested above
async def test_detached_leftovers_of_delete_vms_are_cleaned_by_teardown(emu, network, make_set):
    ss, baseline = await populate(emu, network, make_set)

    result = await ss.delete_vms(["keep1"])
    assert result.succeeded == ["keep1"]
    kept = leftovers_of(emu, ["keep1"])
    assert len(kept) == 4  # Azure kept OS disk, data disk, NIC and public IP, as asked

    await ss.delete(cascade=True)
    assert not kept & inventory_ids(emu)
    assert inventory_ids(emu) == baseline


@pytest.mark.parametrize("face", ["aio"])  # a scenario: the faces are tested above
async def test_teardown_stops_before_the_set_when_a_vm_cannot_be_deleted(emu, network, make_set):
    ss, baseline = await populate(emu, network, make_set)
    emu.add_fault(
        FaultRule(kind="status", status=409, code="OperationNotAllowed", method="POST", path=r"/delete$")
    )
    emu.add_fault(
        FaultRule(
            kind="lro_fail",
            method="DELETE",
            path=r"/virtualMachines/keep2$",
            code="InternalError",
            message="the host is unreachable",
        )
    )

    with pytest.raises(ScaleSetNotEmptyError) as caught:
        await ss.delete(cascade=True)
    assert "keep2" in str(caught.value)
    assert requests_by_route(emu, VMSS_DELETE, "DELETE") == 0
    assert await ss.exists()

    emu.clear_faults()
    await ss.delete(cascade=True)  # the re-run resumes and converges
    assert inventory_ids(emu) == baseline


@pytest.mark.parametrize("face", ["aio"])  # a scenario: the faces are tested above
async def test_teardown_rerun_converges_after_a_failure_while_deleting_leftovers(emu, network, make_set):
    ss, baseline = await populate(emu, network, make_set)
    emu.add_fault(
        FaultRule(
            kind="status", status=400, code="SimulatedCrash", method="DELETE", path=r"/networkInterfaces/"
        )
    )

    with pytest.raises(AzureOperationError):
        await ss.delete(cascade=True)
    assert await ss.vms() == []  # VMs went first
    assert await ss.exists()  # the set stays until every leftover is gone

    emu.clear_faults()
    result = await ss.delete(cascade=True)
    assert result.scale_set_deleted
    assert inventory_ids(emu) == baseline


@pytest.mark.parametrize("face", ["aio"])
async def test_teardown_killed_at_random_points_then_rerun_leaves_nothing(emu, network, make_set):
    rng = random.Random(7)
    ss, baseline = await populate(emu, network, make_set)
    kills = 0
    for _ in range(6):
        task = asyncio.ensure_future(ss.delete(cascade=True))
        await asyncio.sleep(rng.uniform(0.0, 0.15))
        if task.done():
            break
        task.cancel()
        kills += 1
        with contextlib.suppress(asyncio.CancelledError, AzureOperationError):
            await task
        emu.complete_all()  # what Azure had accepted finishes while nobody watches
    result = await ss.delete(cascade=True)  # the final, uninterrupted run
    assert kills >= 1
    assert result is not None
    assert inventory_ids(emu) == baseline


async def test_teardown_of_a_set_that_is_already_gone_is_a_no_op(emu, network, make_set):
    ss = make_set("ghost")
    before = inventory_ids(emu)
    result = await ss.delete(cascade=True)
    assert result.scale_set_deleted is False and result.vms is None
    assert inventory_ids(emu) == before


async def test_teardown_of_an_empty_set_without_cascade(emu, network, make_set):
    ss = make_set("bare")
    await ss.create(ScaleSetSpec(location=LOCATION))
    result = await ss.delete(cascade=False)
    assert result.scale_set_deleted
    assert not await ss.exists()


async def test_delete_without_cascade_is_not_refused_on_a_list_that_still_shows_a_deleted_vm():
    # Azure's VM list may lag a deletion; the refusal must rest on each VM's own GET
    from _flexlib import TIME_SCALE, build_network, clients_for, vm_spec

    import flexvmss.aio
    from flexvmss.emulator import Emulator, Realism

    lagging = Realism(level="custom", stale_list_probability=1.0, stale_list_window=3600.0)
    with Emulator(time_scale=TIME_SCALE, realism=lagging) as emu:
        net = build_network(emu)
        clients = clients_for(emu)
        try:
            async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "lag", clients=clients) as ss:
                await ss.create(ScaleSetSpec(location=LOCATION))
                assert (await ss.add_vms([vm_spec(net, "d1")])).succeeded == ["d1"]
                assert [v.name for v in await ss.vms()] == ["d1"]
                assert (await ss.delete_vms(["d1"])).succeeded == ["d1"]
                assert [v.name for v in await ss.vms()] == ["d1"]  # the list still shows it
                torn = await ss.delete(cascade=False)
                assert torn.scale_set_deleted and torn.vms is None
        finally:
            await clients.close()
