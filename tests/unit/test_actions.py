"""The per-VM action table: every row has its typed facade method, a real SDK call, and flags
both sides know; the runner refuses what a row does not declare."""

from __future__ import annotations

import inspect

import pytest

from flexvmss._actions import ACTIONS, DELETE_VMS, PER_VM_ACTIONS, VmAction
from flexvmss.aio import FlexScaleSet

COMMON = {"names", "where", "concurrency", "deadline", "on_event"}


def test_rows_are_unique_and_named_consistently() -> None:
    assert len({a.name for a in PER_VM_ACTIONS}) == len(PER_VM_ACTIONS) == len(ACTIONS)
    assert len({a.method for a in PER_VM_ACTIONS}) == len(PER_VM_ACTIONS)
    assert DELETE_VMS is ACTIONS["delete"] and DELETE_VMS.method == "delete_vms"
    assert {a.command for a in PER_VM_ACTIONS} >= {"start", "deallocate", "delete-vms", "perform-maintenance"}


@pytest.mark.parametrize("action", PER_VM_ACTIONS, ids=lambda a: a.name)
def test_each_row_has_its_typed_documented_facade_method(action: VmAction) -> None:
    method = vars(FlexScaleSet).get(action.method)  # on the class itself: the sync face is built from it
    assert method is not None and inspect.iscoroutinefunction(method), action.method
    assert method.__doc__
    params = inspect.signature(method).parameters
    assert set(params) >= COMMON
    assert params["names"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    for flag in action.flags:
        assert params[flag.name].kind is inspect.Parameter.KEYWORD_ONLY
        assert params[flag.name].default is False
    backend = {"backend", "options", "checkpoint"} if action.scheduled else set()
    for name in backend:
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    extra = set(params) - COMMON - {"self"} - {flag.name for flag in action.flags} - backend
    assert extra == set(), f"{action.method} takes {extra}: declare them as flags of its row"


@pytest.mark.parametrize("action", PER_VM_ACTIONS, ids=lambda a: a.name)
def test_each_row_names_a_real_sdk_call_and_its_keywords(action: VmAction) -> None:
    operations = pytest.importorskip("azure.mgmt.compute.aio.operations")
    call = getattr(operations.VirtualMachinesOperations, action.sdk_method)
    assert action.long_running == action.sdk_method.startswith("begin_")
    params = inspect.signature(call).parameters
    for flag in action.flags:
        assert flag.sdk_name in params, (action.sdk_method, flag.sdk_name)


@pytest.mark.parametrize("flags_on", [False, True], ids=["flags-off", "flags-on"])
@pytest.mark.parametrize("action", PER_VM_ACTIONS, ids=lambda a: a.name)
def test_each_row_sends_the_request_its_sdk_call_would(action: VmAction, flags_on: bool) -> None:
    """flexvmss sends each VM's action itself (no SDK model or poller per VM): the method, path
    and query must be what azure-mgmt-compute's own request builder makes of the same call, so
    that real Azure (and every cassette) sees the same request."""
    from urllib.parse import parse_qsl, urlsplit

    builders = pytest.importorskip("azure.mgmt.compute.operations._operations")
    from flexvmss._arm import COMPUTE_API_VERSION
    from flexvmss._scaleset._per_vm import action_url

    build = getattr(builders, f"build_virtual_machines_{action.sdk_method.removeprefix('begin_')}_request")
    sdk_flags = {flag.sdk_name: True for flag in action.flags} if flags_on else {}
    expected = build("rg-1", "web_0a1b", "sub-9", api_version=COMPUTE_API_VERSION, **sdk_flags)
    flags = {flag.name: flags_on for flag in action.flags}
    ours = action_url(action, "sub-9", "rg-1", "web_0a1b", flags, COMPUTE_API_VERSION)
    sent, built = urlsplit(ours), urlsplit(expected.url)
    assert action.request[0] == expected.method
    assert sent.path == built.path
    assert sorted(parse_qsl(sent.query)) == sorted(parse_qsl(built.query))
    flagged = any(f"{name}=true" in sent.query for name in ("hibernate", "Deletion", "Shutdown"))
    assert flagged == (flags_on and bool(action.flags))
    assert expected.content is None, "a row whose request carries a body cannot be sent bare"


async def test_the_runner_refuses_a_flag_its_row_does_not_declare() -> None:
    from flexvmss._scaleset import _per_vm
    from flexvmss._scaleset._core import Batch

    ss = FlexScaleSet("0000", "rg", "web", clients=(object(), object()))
    with pytest.raises(TypeError, match="hibernate"):
        await _per_vm.act(ss, ACTIONS["start"], ["web-1"], Batch(), {"hibernate": True})
