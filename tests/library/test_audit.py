"""Leak audit and sweep: what VMs of the set left behind when Azure (not flexvmss) deleted them
with ``deleteOption: Detach``, found by tag or by Azure's names for the profile's resources,
swept only when proven the set's; both faces."""

from __future__ import annotations

import pytest
from _flexlib import RG, inventory_ids, profile_spec, standalone_vm

from flexvmss import AuditResult, NetworkSpec

DETACH = "kept for forensics"


def detach_spec(network, capacity=3, **overrides):
    return profile_spec(
        network,
        capacity=capacity,
        network=NetworkSpec(
            subnet_id=network.subnet_id, outbound="nat_gateway", public_ip_per_vm=True, delete_option="Detach"
        ),
        detach_reason=DETACH,
        **overrides,
    )


def kinds(result: AuditResult) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in result.leftovers:
        out[item.kind] = out.get(item.kind, 0) + 1
    return out


async def test_audit_finds_what_an_azure_scale_in_left_by_name_and_sweep_deletes_it(emu, network, make_set):
    ss = make_set("web")
    await ss.create(detach_spec(network))
    assert (await ss.audit()).clean

    removed = emu.simulate_scale_in(ss.id, 2)
    assert len(removed) == 2
    result = await ss.audit()

    # two NICs (Detach) and their public IPs (Detach) stay; OS disks were Delete (the default)
    assert kinds(result) == {"network interface": 2, "public IP address": 2}
    assert {item.proof for item in result.leftovers} == {"name"}
    assert all(
        item.blocks_subnet and item.blocks_subnet.lower() == network.subnet_id.lower()
        for item in result.leftovers
        if item.kind == "network interface"
    )
    assert not result.suspects

    before = inventory_ids(emu)
    swept = await ss.sweep(result)
    assert sorted(swept.deleted) == sorted(item.id for item in result.leftovers)
    assert not swept.failed
    assert before - inventory_ids(emu) == {item.id.lower() for item in result.leftovers}
    assert (await ss.audit()).clean
    assert len(await ss.vms()) == 1  # the live VM and its NIC are untouched


@pytest.mark.parametrize("face", ["aio"])
async def test_detached_os_disks_of_an_azure_scale_in_are_found(emu, network, make_set):
    from flexvmss import OsDiskSpec

    ss = make_set("web")
    await ss.create(
        profile_spec(network, capacity=2, os_disk=OsDiskSpec(delete_option="Detach"), detach_reason=DETACH)
    )
    emu.simulate_scale_in(ss.id, 1)
    result = await ss.audit()
    assert kinds(result) == {"disk": 1}
    assert result.leftovers[0].name.startswith("web_")
    assert not result.blockers  # a disk holds no subnet


@pytest.mark.parametrize("face", ["aio"])
async def test_a_nic_nobody_can_prove_is_a_suspect_and_never_swept(emu, network, make_set):
    ss = make_set("web")
    await ss.create(detach_spec(network, capacity=1))
    # someone else's VM on the same subnet, deleted with its NIC kept (standalone VMs keep it)
    kept = NetworkSpec(subnet_id=network.subnet_id, outbound="nat_gateway", delete_option="Detach")
    vm_id = standalone_vm(emu, network, "other", network=kept)
    emu.clients().compute.virtual_machines.begin_delete(RG, "other").result()
    result = await ss.audit()
    suspects = [item for item in result.suspects if item.kind == "network interface"]
    assert [item.name for item in suspects] == ["other-nic"]
    assert suspects[0].proof is None and not suspects[0].sweepable
    assert suspects[0] in result.blockers

    swept = await ss.sweep(result)
    assert swept.deleted == ()
    assert any(i.endswith("/networkinterfaces/other-nic") for i in inventory_ids(emu)), vm_id


@pytest.mark.parametrize("face", ["aio"])
async def test_mark_tags_live_vms_leftovers_so_any_later_delete_is_proven_by_tag(emu, network, make_set):
    ss = make_set("web")
    await ss.create(detach_spec(network, capacity=2))
    marked = await ss.audit(mark=True)
    assert len(marked.marked) == 4  # 2 NICs and 2 public IPs with Detach
    assert marked.clean  # still attached: nothing is left over yet

    again = await ss.audit(mark=True)
    assert again.marked == ()  # converged: already tagged

    emu.simulate_scale_in(ss.id, 1)
    result = await ss.audit()
    assert kinds(result) == {"network interface": 1, "public IP address": 1}
    assert {item.proof for item in result.leftovers} == {"tag"}


@pytest.mark.parametrize("face", ["aio"])
async def test_another_sets_leftovers_are_not_this_sets(emu, network, make_set):
    web, api = make_set("web"), make_set("api")
    await web.create(detach_spec(network, capacity=1))
    await api.create(detach_spec(network, capacity=1))
    emu.simulate_scale_in(api.id, 1)

    mine = await web.audit()
    theirs = await api.audit()
    assert mine.leftovers == ()
    # api's NIC holds web's subnet too: web reports it as a suspect, never as its own
    assert [item.name for item in mine.suspects] == [
        item.name for item in theirs.leftovers if item.kind == "network interface"
    ]
    assert (await web.sweep()).deleted == ()
    assert len((await api.sweep()).deleted) == 2


@pytest.mark.parametrize("face", ["aio"])
async def test_sweep_deletes_only_what_the_confirmed_audit_listed(emu, network, make_set):
    ss = make_set("web")
    await ss.create(detach_spec(network, capacity=3))
    emu.simulate_scale_in(ss.id, 1)
    confirmed = await ss.audit()
    emu.simulate_scale_in(ss.id, 1)  # more leftovers after the user confirmed

    swept = await ss.sweep(confirmed)
    assert sorted(swept.deleted) == sorted(item.id for item in confirmed.leftovers)
    assert len((await ss.audit()).leftovers) == 2  # the later ones wait for their own audit


@pytest.mark.parametrize("face", ["aio"])
async def test_spot_eviction_with_delete_leaves_detached_resources_for_the_audit(emu, network, make_set):
    from flexvmss import SpotSpec

    ss = make_set("web")
    await ss.create(
        detach_spec(network, capacity=2, priority="Spot", spot=SpotSpec(eviction_policy="Delete"))
    )
    names = [vm.name for vm in await ss.vms()]
    result = await ss.simulate_eviction(names[:1])
    assert result.succeeded == names[:1]
    emu.advance(60)
    assert [vm.name for vm in await ss.vms()] == names[1:]
    audit = await ss.audit()
    assert kinds(audit) == {"network interface": 1, "public IP address": 1}


@pytest.mark.parametrize("face", ["aio"])
async def test_audit_of_a_deleted_set_still_finds_its_tagged_leftovers(emu, network, make_set):
    ss = make_set("web")
    await ss.create(detach_spec(network, capacity=1))
    await ss.audit(mark=True)
    emu.simulate_scale_in(ss.id, 1)
    emu.clients().compute.virtual_machine_scale_sets.begin_delete(RG, "web").result()
    result = await ss.audit()
    assert kinds(result) == {"network interface": 1, "public IP address": 1}
    assert len((await ss.sweep(result)).deleted) == 2


def test_the_admin_api_scale_in_names_the_removed_vms(emu, network):
    import requests

    from flexvmss._specs import render_scale_set_body

    body = render_scale_set_body(detach_spec(network, capacity=2), name="web")
    made = emu.clients().compute.virtual_machine_scale_sets.begin_create_or_update(RG, "web", body).result()
    session = requests.Session()
    session.trust_env = False
    session.verify = emu.ca_file
    session.headers.update(emu.admin_headers())
    url = f"{emu.base_url}/_emulator/compute/scale-in"
    answer = session.post(url, json={"scaleSetId": made.id, "count": 1})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["removed"]) == 1
    assert session.post(url, json={"scaleSetId": made.id + "x"}).status_code == 400
    assert session.post(url, json={"scaleSetId": made.id, "count": 0}).status_code == 400


@pytest.mark.parametrize("face", ["aio"])
async def test_a_set_without_a_profile_proves_leftovers_by_tag_only(emu, network, make_set):
    from _flexlib import LOCATION, vm_spec

    from flexvmss import ScaleSetSpec

    ss = make_set("pool")
    await ss.create(ScaleSetSpec(location=LOCATION))
    kept = NetworkSpec(subnet_id=network.subnet_id, outbound="nat_gateway", delete_option="Detach")
    await ss.add_vms([vm_spec(network, n, network=kept, detach_reason=DETACH) for n in ("pool-1", "pool-2")])
    assert len((await ss.audit(mark=True)).marked) == 2  # the two NICs kept on delete
    await ss.add_vm(vm_spec(network, "pool-3", network=kept, detach_reason=DETACH))  # after the mark

    stock = emu.clients().compute.virtual_machines
    for name in ("pool-1", "pool-3"):
        stock.begin_delete(RG, name).result()  # deleted behind flexvmss's back
    result = await ss.audit()
    # pool-1's NIC carries the set's tag; pool-3's carries nothing that proves it the set's
    assert [(item.name, item.proof) for item in result.leftovers] == [("pool-1-nic", "tag")]
    assert result.suspects == ()
