"""Hostile input, property-based: specs from arbitrary mappings, scale set names, ``--where``
filters and whole command lines. Every input either yields a valid request or a typed
flexvmss error (a usage error, exit code 2, on the command line); never an unhandled
exception, never a request for an invalid spec."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings, strategies as st
from soak_scenario import RG, build_world, clients_for, profile_spec

import flexvmss.aio
from flexvmss import FlexError, InvalidInputError, ScaleSetSpec, VmInfo, VmSpec
from flexvmss._rules import evaluate
from flexvmss._specs import render_scale_set_body, render_vm_body
from flexvmss.emulator import Emulator

# ------------------------------------------------------------------------------------ strategies

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=24)
    | st.sampled_from(
        ["", "..", "../etc/passwd", "%2F", "a/b", "\x00", "\n", "é" * 70, "1", "Standard_D2s_v5"]
    )
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)


def _dataclasses_in(tp: Any) -> list[type]:
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return [tp]
    return [found for arg in typing.get_args(tp) for found in _dataclasses_in(arg)]


def shaped(tp: type, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Mappings shaped like dataclass ``tp``: mostly its own field names (sometimes unknown
    keys), each holding arbitrary JSON or, for nested specs, a mapping shaped like them."""
    hints = typing.get_type_hints(tp)
    fields = [f.name for f in dataclasses.fields(tp) if f.name not in ("raw", "extra_properties")]
    per_field: dict[str, st.SearchStrategy[Any]] = {}
    for name in fields:
        nested = _dataclasses_in(hints[name]) if depth < 2 else []
        options = [JSON_VALUES, *(shaped(sub, depth + 1) for sub in nested)]
        if nested and typing.get_origin(hints[name]) is tuple:
            options.append(st.lists(shaped(nested[0], depth + 1), max_size=2))
        per_field[name] = st.one_of(*options)
    keys = st.sampled_from(fields) | st.text(max_size=8)
    return keys.flatmap(lambda _: st.fixed_dictionaries({}, optional=per_field)) | st.dictionaries(
        keys, JSON_VALUES, max_size=4
    )


SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/vms"
VALID_SET = {
    "location": "westeurope",
    "vm_size": "Standard_D2s_v5",
    "capacity": 2,
    "image": "Canonical:ubuntu-24_04-lts:server:latest",
    "network": {"subnet_id": SUBNET, "outbound": "nat_gateway"},
    "ssh_public_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostileInputTestKey0000000000000000000 t@t"],
}
VALID_VM = {**{k: v for k, v in VALID_SET.items() if k not in ("location", "capacity")}, "name": "vm1"}


def near_valid(tp: type, base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid mapping with one of its fields replaced, added or removed."""
    replaced = shaped(tp).map(lambda extra: {**base, **dict(list(extra.items())[:1])})
    removed = st.sampled_from(sorted(base)).map(lambda key: {k: v for k, v in base.items() if k != key})
    return replaced | removed


# ------------------------------------------------------------------------------------- specs


def _check_spec(spec: Any) -> None:
    """A spec that passed from_mapping: the rules evaluate it; one without error findings renders."""
    findings = evaluate(spec, catalog=None, name="web")
    assert all(f.severity in ("error", "warning") for f in findings)
    if any(f.severity == "error" for f in findings):
        return
    if isinstance(spec, ScaleSetSpec):
        body = render_scale_set_body(spec, name="web")
    else:
        body = render_vm_body(
            spec, scale_set_id="/subscriptions/s/resourceGroups/rg/x/web", location="westeurope"
        )
    assert isinstance(body, dict) and body.get("location")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shaped(ScaleSetSpec) | near_valid(ScaleSetSpec, VALID_SET))
@example({"location": "westeurope", "admin_password": {"file": "/nonexistent/secret"}})
@example({"location": "westeurope", "custom_data": {"env": "FLEXVMSS_SURELY_UNSET_VARIABLE"}})
@example({"location": "westeurope", "capacity": 10**12, "vm_size": "Standard_D2s_v5"})
@example({"location": "westeurope", "zones": "1", "network": {"subnet_id": "../../x"}})
@example({"location": ""})  # found by Hypothesis: a spec without a region rendered a body without one
def test_scale_set_spec_from_any_mapping_is_a_spec_or_a_typed_error(data):
    try:
        spec = ScaleSetSpec.from_mapping(data)
    except InvalidInputError:
        return
    try:
        _check_spec(spec)
    except FlexError:
        return


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shaped(VmSpec) | near_valid(VmSpec, VALID_VM))
@example({"name": "..", "vm_size": "x", "image": "a:b:c:d", "network": {"subnet_id": "s"}})
@example({"name": "a", "vm_size": "x", "image": "", "network": {"subnet_id": "s"}})
def test_vm_spec_from_any_mapping_is_a_spec_or_a_typed_error(data):
    try:
        spec = VmSpec.from_mapping(data)
    except InvalidInputError:
        return
    try:
        _check_spec(spec)
    except FlexError:
        return


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
@example("")
@example("Canonical")
@example("a:b:c:d:e")
def test_image_urns_are_an_image_or_a_typed_error(urn):
    from flexvmss import ImageSpec

    try:
        image = ImageSpec.from_urn(urn)
    except InvalidInputError:
        return
    assert image.to_wire()


# ------------------------------------------------------------------------------------- names

#: Azure's rule for a scale set name: 1-64 letters, digits, '_', '.', '-'; starts with a letter
#: or digit; ends with a letter, digit or '_'.
VALID_SET_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?$")


@pytest.fixture(scope="module")
def named() -> Iterator[Emulator]:
    with Emulator(time_scale=0.001, seed=9) as emu:
        build_world(emu)
        yield emu


async def _probe(emu: Emulator, resource_group: str, name: str) -> tuple[Any, int, dict[str, int]]:
    """exists() for that set: (its answer or the exception, requests sent, routes they hit)."""
    before = emu.counters()
    clients = clients_for(emu)
    try:
        ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, resource_group, name, clients=clients)
        answer: Any = await ss.exists()
    except Exception as exc:
        answer = exc
    finally:
        await clients.close()
    after = emu.counters()
    routes = {k: v - before["by_route"].get(k, 0) for k, v in after["by_route"].items()}
    sent = after["requests"] - before["requests"]
    return answer, sent, {k: v for k, v in routes.items() if v}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=70) | st.sampled_from(["..", ".", "a/b", "%2F", "a?b", "a#b", "x" * 90]))
def test_any_name_gives_an_answer_or_a_typed_error(named, name):
    answer, _, _ = asyncio.run(_probe(named, RG, name))
    assert isinstance(answer, (bool, FlexError)), f"{name!r}: {type(answer).__name__}: {answer}"


HOSTILE_NAMES = [
    "..",
    ".",
    "a/b",
    "../../resourceGroups/other",
    "%2F",
    "a\nb",
    "web?api-version=1",
    "x" * 65,
    "é",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_an_invalid_set_name_is_refused_before_any_request(named, name):
    answer, sent, _ = await _probe(named, RG, name)
    assert not VALID_SET_NAME.match(name)
    assert isinstance(answer, InvalidInputError), f"{name!r} answered {answer!r}"
    assert sent == 0


async def test_a_dot_name_is_not_reported_as_an_existing_set(named):
    """GET .../virtualMachineScaleSets/. is normalised to the collection URL, which answers 200
    with a list: that must not pass for a set."""
    answer, _, routes = await _probe(named, RG, ".")
    assert answer is not True, routes
    assert isinstance(answer, FlexError)


# ------------------------------------------------------------------------------------- filters


def _vm(**kw: Any) -> VmInfo:
    fields: dict[str, Any] = {
        "name": "web_1",
        "id": "/x/web_1",
        "size": "Standard_D2s_v5",
        "zone": "1",
        "platform_fault_domain": None,
        "priority": "Regular",
        "provisioning_state": "Succeeded",
        "power_state": "running",
        "tags": {"team": "web"},
    }
    fields.update(kw)
    return VmInfo(**fields)


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=60)
    | st.lists(st.sampled_from(["name=", "zone!=", "tag:", ",", "*", "[", "=", "power_state"])).map("".join)
)
@example("name=[")
@example("tag:=x")
@example("=")
@example("zone=1,,,")
def test_where_filters_parse_to_a_predicate_or_a_usage_error(text):
    import click

    from flexvmss.cli._options import parse_where

    try:
        predicate = parse_where(text)
    except click.BadParameter:
        return
    if predicate is not None:
        for vm in (_vm(), _vm(zone=None, power_state=None, tags={}), _vm(platform_fault_domain=2)):
            assert predicate(vm) in (True, False)


# ------------------------------------------------------------------------------------- command line

COMMANDS = [
    "ls",
    "start",
    "stop",
    "deallocate",
    "restart",
    "redeploy",
    "reimage",
    "scale",
    "delete",
    "delete-vms",
    "plan",
    "create",
    "add-vm",
    "skus",
]
TOKENS = [
    "web",
    "nosuch",
    "--names",
    "--where",
    "--concurrency",
    "--deadline",
    "--yes",
    "-y",
    "-o",
    "json",
    "table",
    "--capacity",
    "0",
    "-1",
    "1001",
    "2",
    "--location",
    "westeurope",
    "--vm-size",
    "Standard_D2s_v5",
    "power_state=running",
    "zone!=",
    "name=web*",
    "x",
    "",
    "..",
    "--spec",
    "/nonexistent.yaml",
    "--zones",
    "1,2,9",
    "--image",
    "a:b:c",
    "--cascade",
    "--force",
    "web_nothere",
    "1e308",
    "nan",
    "--help",
]


@pytest.fixture(scope="module")
def cli_world() -> Iterator[tuple[Emulator, Any]]:
    """An emulator with a 3-VM set named web, snapshotted."""
    with Emulator(time_scale=0.001, seed=11) as emu:
        world = build_world(emu)

        async def make() -> None:
            clients = clients_for(emu)
            async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "web", clients=clients) as ss:
                await ss.create(profile_spec(world.subnet_id, 3))
            await clients.close()

        asyncio.run(make())
        emu.complete_all()
        yield emu, emu.snapshot()


def _writes(emu: Emulator) -> int:
    by_class = emu.counters()["by_op_class"]
    return sum(by_class.get(k, 0) for k in ("write", "delete", "action"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(COMMANDS), st.lists(st.sampled_from(TOKENS) | st.text(max_size=12), max_size=6))
@example("deallocate", ["web", "--where", "power_state"])
@example("scale", ["web", "-1", "--yes"])
@example("delete", ["..", "--yes"])
def test_any_command_line_ends_in_a_clean_exit_code(cli_world, command, args):
    from flexvmss.cli import flexvmss as cli

    emu, snapshot = cli_world
    emu.restore(snapshot)
    base = [
        "--base-url",
        emu.base_url,
        "--ca-file",
        emu.ca_file,
        "--credential",
        "emulator",
        "--subscription",
        emu.subscription_id,
        "-g",
        RG,
    ]
    writes = _writes(emu)
    result = CliRunner().invoke(cli, [*base, command, *args], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code in (0, 1, 2, 3), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert _writes(emu) == writes, "a usage error still sent writes"


@pytest.mark.parametrize("resource_group", ["..", ".", "a/b", "rg.", "a\nb", "r" * 91, "rg?x=1"])
async def test_an_invalid_resource_group_is_refused_before_any_request(named, resource_group):
    answer, sent, _ = await _probe(named, resource_group, "web")
    assert isinstance(answer, InvalidInputError), f"{resource_group!r} answered {answer!r}"
    assert sent == 0


async def test_a_where_filter_that_raises_sends_no_write(named):
    """A user's filter that blows up stops the batch before any VM is touched (its own error)."""
    emu = named
    world = build_world(emu)
    clients = clients_for(emu)
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "filtered", clients=clients)
    try:
        await ss.create(profile_spec(world.subnet_id, 2))
        writes = _writes(emu)
        with pytest.raises(ZeroDivisionError):
            await ss.deallocate(where=lambda vm: 1 / 0 > 0)
        assert _writes(emu) == writes
    finally:
        await ss.close()
        await clients.close()
