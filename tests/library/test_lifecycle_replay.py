"""The whole Flex lifecycle through both faces, replayed from cassettes (offline, instant).

These tests use the flexvmss testing kit: by default they replay
``cassettes/test_lifecycle_replay/<test>.yaml`` (project root) with the network blocked; ``make rerecord``
(``--flexvmss-target=emulator --record-mode=rewrite``) records them again against a fresh
emulator, and ``--flexvmss-target=azure`` runs them against a real subscription. They use only
what a real subscription offers (no emulator admin API): behaviour that needs fault injection,
counters or the inventory lives in the emulator-backed tests next to this file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from _flexlib import IMAGE, LOCATION, SSH_KEY, Face

import flexvmss
import flexvmss.aio
from flexvmss import NetworkSpec, ScaleSetSpec, SkuCache, VmSpec

pytestmark = pytest.mark.flexvmss_cassette

RG = "rg-flex-replay"


async def build_network(clients: Any) -> str:
    """A resource group and a subnet behind a NAT gateway, through flexvmss's own clients."""
    await clients.resource.resource_groups.create_or_update(RG, {"location": LOCATION})
    pip = await (
        await clients.network.public_ip_addresses.begin_create_or_update(
            RG,
            "nat-ip",
            {
                "location": LOCATION,
                "sku": {"name": "Standard"},
                "properties": {"publicIPAllocationMethod": "Static"},
            },
        )
    ).result()
    nat = await (
        await clients.network.nat_gateways.begin_create_or_update(
            RG,
            "nat",
            {
                "location": LOCATION,
                "sku": {"name": "Standard"},
                "properties": {"publicIpAddresses": [{"id": pip.id}]},
            },
        )
    ).result()
    vnet = await (
        await clients.network.virtual_networks.begin_create_or_update(
            RG,
            "vnet",
            {
                "location": LOCATION,
                "properties": {
                    "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                    "subnets": [
                        {
                            "name": "vms",
                            "properties": {"addressPrefix": "10.1.0.0/20", "natGateway": {"id": nat.id}},
                        }
                    ],
                },
            },
        )
    ).result()
    return str(vnet.subnets[0].id)


def arm_clients(target: Any) -> Any:
    """flexvmss's own clients on ``target``, on the kit's runtime (instant on replay, and fan-outs
    observe through each operation's status URL)."""
    from flexvmss._arm import build_clients

    return build_clients(target.arm_settings())


async def network_for(target: Any) -> str:
    """Build :func:`build_network` through clients of its own (closed afterwards)."""
    clients = arm_clients(target)
    try:
        return await build_network(clients)
    finally:
        await clients.close()


@asynccontextmanager
async def open_set(target: Any, face: str, name: str, **kwargs: Any) -> AsyncIterator[tuple[Face, Any]]:
    """A FlexScaleSet in :data:`RG` through ``face``, on flexvmss's own clients (yielded too, so
    a test can read their request counts); both are closed on exit.

    Each set gets its own :class:`SkuCache`: the process-wide one would make a cassette depend
    on which test read the SKU catalog first in the recording session."""
    from flexvmss._sync import run_sync

    clients = arm_clients(target)
    cls = flexvmss.FlexScaleSet if face == "sync" else flexvmss.aio.FlexScaleSet
    kwargs.setdefault("sku_cache", SkuCache())
    ss = Face(cls(target.subscription_id, RG, name, clients=clients, **kwargs), sync=face == "sync")
    try:
        yield ss, clients
    finally:
        if face == "sync":
            ss.scale_set.close()
            await asyncio.to_thread(run_sync, clients.close)
        else:
            await ss.scale_set.close()
            await clients.close()


async def listed(ss: Any, check: Any, instance_view: bool = False, reads: int = 20) -> list[Any]:
    """``ss.vms()`` once ``check`` holds of it. Azure's VM lists are eventually consistent (and
    with realism on, the emulator's are one round behind for a while): a list read right after
    a change may show the VM as it was, so a test reads again, a bounded number of times (the
    recording holds every read; a replay repeats them), and fails if the list never settles."""
    vms: list[Any] = []
    for _ in range(reads):
        vms = await ss.vms(instance_view=instance_view)
        if check(vms):
            break
        await asyncio.sleep(0.05)
    return vms


def names_of(vms: Any) -> list[str]:
    return sorted(v.name for v in vms)


def vm(subnet_id: str, name: str, **overrides: Any) -> VmSpec:
    fields: dict[str, Any] = {
        "name": name,
        "vm_size": "Standard_D2s_v5",
        "image": IMAGE,
        "network": NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        "ssh_public_keys": (SSH_KEY,),
    }
    fields.update(overrides)
    return VmSpec(**fields)


async def test_lifecycle_of_a_set_built_vm_by_vm(flexvmss_target, face):
    subnet_id = await network_for(flexvmss_target)
    async with open_set(flexvmss_target, face, "byvm") as (ss, _clients):
        info = await ss.create(ScaleSetSpec(location=LOCATION, zones=("1", "2")))
        assert info.orchestration_mode == "Flexible" and not info.has_vm_profile

        added = await ss.add_vms([vm(subnet_id, "app1", zone="1"), vm(subnet_id, "app2", zone="2")])
        assert sorted(added.succeeded) == ["app1", "app2"]
        shown = {v.name: v for v in await listed(ss, lambda vms: len(vms) == 2, instance_view=True)}
        assert {n: (v.zone, v.power_state) for n, v in shown.items()} == {
            "app1": ("1", "running"),
            "app2": ("2", "running"),
        }

        assert (await ss.deallocate(["app1"])).succeeded == ["app1"]
        assert (await ss.vm("app1")).power_state == "deallocated"
        assert (await ss.start(where=lambda v: v.zone == "1")).succeeded == ["app1"]

        assert (await ss.delete_vms(["app2"])).succeeded == ["app2"]
        assert names_of(await listed(ss, lambda vms: names_of(vms) == ["app1"])) == ["app1"]

        torn = await ss.delete(cascade=True)
        # the teardown deletes what its list shows: app1, and app2 again if the list still shows it
        assert torn.scale_set_deleted and torn.vms is not None and not torn.vms.failed
        assert "app1" in torn.vms.succeeded and set(torn.vms.succeeded) <= {"app1", "app2"}
        assert await ss.exists() is False


async def test_lifecycle_of_a_profile_set(flexvmss_target, face):
    subnet_id = await network_for(flexvmss_target)
    spec = ScaleSetSpec(
        location=LOCATION,
        vm_size="Standard_D2s_v5",
        capacity=3,
        image=IMAGE,
        network=NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        ssh_public_keys=(SSH_KEY,),
    )
    async with open_set(flexvmss_target, face, "prof") as (ss, _clients):
        assert [f for f in await ss.plan_create(spec) if f.severity == "error"] == []
        info = await ss.create(spec)
        assert info.capacity == 3
        assert (await ss.create(spec)).id == info.id  # idempotent

        assert (await ss.scale_to(4)).capacity == 4
        assert len(await listed(ss, lambda vms: len(vms) == 4)) == 4
        result = await ss.restart()
        assert len(result.succeeded) == 4
        result = await ss.update(tags={"tier": "web"})
        assert len(result.succeeded) == 4
        assert {
            v.tags.get("tier")
            for v in await listed(ss, lambda vms: {v.tags.get("tier") for v in vms} == {"web"})
        } == {"web"}

        torn = await ss.delete(cascade=True)
        assert torn.scale_set_deleted and len(torn.vms.succeeded) == 4


async def test_every_per_vm_operation(flexvmss_target, face):
    from flexvmss import SpotSpec

    subnet_id = await network_for(flexvmss_target)
    async with open_set(flexvmss_target, face, "ops") as (ss, _clients):
        await ss.create(ScaleSetSpec(location=LOCATION))
        added = await ss.add_vms(
            [
                vm(subnet_id, "reg1"),
                vm(subnet_id, "spot1", priority="Spot", spot=SpotSpec(eviction_policy="Deallocate")),
            ]
        )
        assert sorted(added.succeeded) == ["reg1", "spot1"]
        assert (await ss.get()).orchestration_mode == "Flexible"

        assert sorted((await ss.stop(skip_shutdown=True)).succeeded) == ["reg1", "spot1"]
        assert (await ss.vm("reg1")).power_state == "stopped"
        assert sorted((await ss.start()).succeeded) == ["reg1", "spot1"]
        for operation in ("redeploy", "reimage", "perform_maintenance"):
            result = await getattr(ss, operation)(["reg1"])
            assert result.succeeded == ["reg1"], (operation, result)
        output = await ss.run_command("RunShellScript", ["echo hello"], ["reg1"])
        assert "hello" in output.results["reg1"].detail
        assert (await ss.simulate_eviction(where=lambda v: v.priority == "Spot")).succeeded == ["spot1"]

        assert (await ss.deallocate(["reg1"])).succeeded == ["reg1"]
        resized = await ss.update(["reg1"], size="Standard_D4s_v5", tags={"role": "db"})
        assert resized.succeeded == ["reg1"]
        reg1 = await ss.vm("reg1")
        assert (reg1.size, reg1.tags.get("role")) == ("Standard_D4s_v5", "db")

        torn = await ss.delete(cascade=True)
        assert torn.scale_set_deleted
