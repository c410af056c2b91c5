"""Name rules that mean what they say (issue 14, point 4) and a closed set that stays closed
(point 6).

A name is checked whole: ``"vm1\\n"`` is not ``"vm1"`` (a ``$`` anchor would match before the
newline). ``vm()`` and the names of a per-VM batch are checked like every other name, before
any request: ``"."`` and ``".."`` would otherwise GET the VM collection and the provider. And a
closed :class:`~flexvmss.aio.FlexScaleSet` raises a typed error when used again, instead of
building new clients (a new session nobody closes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from soak_scenario import RG, build_world, clients_for, profile_spec

import flexvmss
import flexvmss.aio
from flexvmss import ImageSpec, InvalidInputError, NetworkSpec, VmSpec
from flexvmss._rules import check_address, evaluate
from flexvmss._rules.names import RESOURCE_NAME, check_vm_names
from flexvmss.emulator import Emulator

BAD_NAMES = [
    ".",
    "..",
    "a/b",
    "vm1\n",
    "vm1\r\n",
    "\nvm1",
    "vm 1",
    "vm1/..",
    "%2e%2e",
    "vm?x=1",
    "",
    "x" * 65,
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_names_are_matched_whole(name):
    assert RESOURCE_NAME.fullmatch(name) is None
    assert re.fullmatch(RESOURCE_NAME.pattern, "vm1") is not None
    with pytest.raises(InvalidInputError):
        check_vm_names(name, "name")
    with pytest.raises(InvalidInputError):
        check_address("00000000-0000-0000-0000-000000000001", "rg", name)


def test_a_vm_spec_named_with_a_trailing_newline_is_refused_by_the_name_rule():
    subnet = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/vms"
    spec = VmSpec(
        name="vm1\n",
        vm_size="Standard_D2s_v5",
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=subnet, outbound="nat_gateway"),
    )
    assert "FLEX015" in {f.rule_id for f in evaluate(spec, catalog=None) if f.severity == "error"}


@pytest.fixture(scope="module")
def world() -> Iterator[Emulator]:
    with Emulator(time_scale=0.001, seed=14) as emu:
        build_world(emu)
        yield emu


def _sent(emu: Emulator, before: dict[str, Any]) -> int:
    return int(emu.counters()["requests"] - before["requests"])


@pytest.mark.parametrize("name", [".", "..", "a/b", "vm1\n", "..%2F..", "web_1?api-version=1"], ids=repr)
async def test_vm_with_a_bad_name_sends_nothing(world, name):
    clients = clients_for(world)
    try:
        ss = flexvmss.aio.FlexScaleSet(world.subscription_id, RG, "web", clients=clients)
        before = world.counters()
        with pytest.raises(InvalidInputError) as caught:
            await ss.vm(name)
        assert caught.value.field == "name"
        assert _sent(world, before) == 0
    finally:
        await clients.close()


@pytest.mark.parametrize("names", [[".."], ["web_1", "."], ["a/b"], [""], [5]], ids=repr)
async def test_a_batch_naming_a_bad_vm_sends_nothing(world, names):
    clients = clients_for(world)
    try:
        ss = flexvmss.aio.FlexScaleSet(world.subscription_id, RG, "web", clients=clients)
        before = world.counters()
        for operation in (ss.deallocate, ss.restart, ss.delete_vms):
            with pytest.raises(InvalidInputError) as caught:
                await operation(names)
            assert caught.value.field.startswith("names[")
        assert _sent(world, before) == 0
    finally:
        await clients.close()


# ------------------------------------------------------------------------------- point 6


async def test_a_closed_set_stays_closed_and_builds_no_new_clients(world):
    built = build_world(world, rg="rg-closing")
    ss = flexvmss.aio.FlexScaleSet(
        world.subscription_id,
        "rg-closing",
        "closing",
        base_url=world.base_url,
        credential=world.async_credential,
        connection_verify=world.ca_file,
    )
    async with ss:
        await ss.create(profile_spec(built.subnet_id, 1))
        assert ss._clients is not None
    assert ss._clients is None
    before = world.counters()
    for use in (
        ss.get,
        ss.exists,
        ss.vms,
        lambda: ss.vm("x"),
        ss.deallocate,
        lambda: ss.scale_to(2),
        ss.delete,
    ):
        with pytest.raises(InvalidInputError, match="closed"):
            await use()
        assert ss._clients is None, "no client (no session) was built for the closed set"
    assert _sent(world, before) == 0
    await ss.close()  # closing again is harmless


async def test_a_closed_set_with_borrowed_clients_stays_closed_and_leaves_them_open(world):
    clients = clients_for(world)
    try:
        ss = flexvmss.aio.FlexScaleSet(world.subscription_id, RG, "web", clients=clients)
        assert await ss.exists() in (True, False)
        await ss.close()
        with pytest.raises(InvalidInputError, match="closed"):
            await ss.exists()
        groups = [g.name async for g in clients.resource.resource_groups.list()]
        assert RG in groups  # the borrowed clients still work
    finally:
        await clients.close()


def test_the_sync_face_stays_closed_too(world):
    ss = flexvmss.FlexScaleSet(
        world.subscription_id,
        RG,
        "web",
        base_url=world.base_url,
        credential=world.credential,
        connection_verify=world.ca_file,
    )
    with ss:
        assert ss.exists() in (True, False)
    with pytest.raises(InvalidInputError, match="closed"):
        ss.exists()
    ss.close()  # closing again is harmless
