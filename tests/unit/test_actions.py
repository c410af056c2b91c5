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


async def test_the_runner_refuses_a_flag_its_row_does_not_declare() -> None:
    from flexvmss._scaleset import _per_vm
    from flexvmss._scaleset._core import Batch

    ss = FlexScaleSet("0000", "rg", "web", clients=(object(), object()))
    with pytest.raises(TypeError, match="hibernate"):
        await _per_vm.act(ss, ACTIONS["start"], ["web-1"], Batch(), {"hibernate": True})
