"""Responses from the emulator mutated into malformed JSON, missing fields, wrong types and
unexpected status codes: every facade call either raises a typed flexvmss error that names the
operation, or (for a batch) reports each VM failed with one; never an AttributeError, a
KeyError, a TypeError, and never a malformed answer taken for a real one (a list without
``value`` is not an empty set)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from soak_scenario import RG, build_world, clients_for, profile_spec

import flexvmss.aio
from flexvmss import BatchResult, FlexError, SkuCache
from flexvmss.emulator import Emulator
from flexvmss.emulator._dispatch import Outcome

JSON = {"Content-Type": "application/json; charset=utf-8"}


def _json(body: Any, status: int = 200) -> Outcome:
    return Outcome(status, json.dumps(body).encode(), dict(JSON))


MUTATIONS: dict[str, Callable[[Outcome], Outcome]] = {
    "html_200": lambda o: Outcome(
        200, b"<html><body>Bad Gateway</body></html>", {"Content-Type": "text/html"}
    ),
    "truncated_json": lambda o: Outcome(
        o.status, (o.body or b'{"value": [')[: max(1, len(o.body) // 2)], o.headers
    ),
    "status_418": lambda o: _json({"error": {"code": "Teapot", "message": "I'm a teapot"}}, 418),
    "empty_200": lambda o: Outcome(200, b"", {}),
    "json_list": lambda o: _json([1, 2, 3]),
    "missing_fields": lambda o: _json({}),
    "wrong_types": lambda o: _json({"value": "x", "name": 3, "properties": 5, "status": 7}),
}

SET = "web"
VMSS = rf"/virtualMachineScaleSets/{SET}$"
VM_LIST = r"/providers/Microsoft\.Compute/virtualMachines$"

#: facade call -> (method, path regex of the request to mutate, the call, operation text expected)
TARGETS: dict[str, tuple[str, str, Callable[[Any, str], Any], str]] = {
    "get": ("GET", VMSS, lambda ss, subnet: ss.get(), "get scale set web"),
    "vms": ("GET", VM_LIST, lambda ss, subnet: ss.vms(), "list VMs of scale set web"),
    "scale_to": ("PATCH", VMSS, lambda ss, subnet: ss.scale_to(3), "scale web to 3"),
    "deallocate": ("POST", r"/deallocate$", lambda ss, subnet: ss.deallocate(), "deallocate"),
    "create": ("PUT", r"/virtualMachineScaleSets/fresh$", None, "create scale set fresh"),  # type: ignore[dict-item]
    "plan": ("GET", r"/providers/Microsoft\.Compute/skus$", None, "resource SKUs"),  # type: ignore[dict-item]
    "delete": ("DELETE", VMSS, lambda ss, subnet: ss.delete(cascade=True), "delete scale set web"),
}


class Mutator:
    """Wraps the in-process emulator's dispatcher: answers to matching requests are replaced."""

    def __init__(self, emu: Emulator) -> None:
        self.rule: tuple[str, re.Pattern[str], Callable[[Outcome], Outcome]] | None = None
        self.hits = 0
        inner = emu.dispatcher.handle

        def handle(method: str, path: str, query: Any, headers: Any, body: bytes) -> Outcome:
            out = inner(method, path, query, headers, body)
            if self.rule is not None:
                want, rx, mutate = self.rule
                if method.upper() == want and rx.search(path):
                    self.hits += 1
                    return mutate(out)
            return out

        emu.dispatcher.handle = handle  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def mutating() -> Iterator[tuple[Emulator, Mutator, str, str]]:
    """An emulator with a 2-VM set, snapshotted; each test restores the snapshot."""
    import asyncio

    with Emulator(time_scale=0.001, seed=5) as emu:
        mutator = Mutator(emu)
        world = build_world(emu)

        async def make() -> None:
            clients = clients_for(emu)
            async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, SET, clients=clients) as ss:
                await ss.create(profile_spec(world.subnet_id, 2))
            await clients.close()

        asyncio.run(make())
        emu.complete_all()
        yield emu, mutator, emu.snapshot(), world.subnet_id


def _truth(emu: Emulator, target: str, outcome: Any) -> str | None:
    """Why ``outcome`` (a call that returned) is not what the emulator holds; None when it is."""
    if target == "plan":
        return f"a mutated Resource SKUs answer was taken for a catalog: {outcome!r}"
    c = emu.clients()
    try:
        if target == "delete":
            gone = not any(s.name == SET for s in c.compute.virtual_machine_scale_sets.list(RG))
            return None if outcome.scale_set_deleted == gone else f"returned {outcome!r}, set gone: {gone}"
        if target in ("get", "scale_to", "create"):
            name = "fresh" if target == "create" else SET
            real = c.compute.virtual_machine_scale_sets.get(RG, name)
            seen = (outcome.name, outcome.id.lower(), outcome.capacity, outcome.provisioning_state)
            want = (real.name, real.id.lower(), real.sku.capacity, real.provisioning_state)
            return None if seen == want else f"returned {seen}, the emulator holds {want}"
        set_id = c.compute.virtual_machine_scale_sets.get(RG, SET).id
        members = c.compute.virtual_machines.list(
            RG, filter=f"'virtualMachineScaleSet/id' eq '{set_id}'", expand="instanceView"
        )
        vms = {vm.name: vm for vm in members}
        if target == "vms":
            names = sorted(vm.name for vm in outcome)
            return None if names == sorted(vms) else f"returned {names}, the set holds {sorted(vms)}"
        for name in outcome.succeeded:
            codes = [s.code for s in vms[name].instance_view.statuses or []]
            if "PowerState/deallocated" not in codes:
                return f"{name} reported deallocated but is {codes}"
        return None
    finally:
        c.close()


def _check(emu: Emulator, target: str, outcome: Any, error: BaseException | None, operation: str) -> None:
    """A typed error naming the operation, or an answer that is true; per VM for a batch."""
    if error is not None:
        assert isinstance(error, FlexError), f"untyped {type(error).__name__}: {error}"
        assert operation.lower() in str(error).lower(), f"the error does not name {operation!r}: {error}"
        return
    if isinstance(outcome, BatchResult):
        for name, vm_error in outcome.errors.items():
            assert isinstance(vm_error, FlexError), f"{name}: untyped {type(vm_error).__name__}"
            assert operation in str(vm_error), vm_error
    emu.complete_all()
    wrong = _truth(emu, target, outcome)
    assert wrong is None, f"a malformed answer was taken for a real one: {wrong}"


#: (target, mutation) -> the bug that makes the case fail today (see the report)
#: (target, mutation) pairs with an open bug, kept as strict xfails until fixed. None open.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _cases() -> list[Any]:
    return [
        pytest.param(
            target,
            mutation,
            id=f"{target}-{mutation}",
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[target, mutation])]
            if (target, mutation) in KNOWN_BUGS
            else [],
        )
        for target in sorted(TARGETS)
        for mutation in sorted(MUTATIONS)
    ]


@pytest.mark.parametrize(("target", "mutation"), _cases())
async def test_a_mutated_response_is_a_typed_error_naming_the_operation(mutating, target, mutation):
    emu, mutator, snapshot, subnet = mutating
    emu.restore(snapshot)
    method, path, call, operation = TARGETS[target]
    clients = clients_for(emu)
    name = "fresh" if target == "create" else SET
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, name, clients=clients, sku_cache=SkuCache())
    mutator.rule = (method, re.compile(path, re.I), MUTATIONS[mutation])
    mutator.hits = 0
    outcome: Any = None
    error: BaseException | None = None
    try:
        if target == "create":
            outcome = await ss.create(profile_spec(subnet, 1))
        elif target == "plan":
            outcome = await ss.plan_create(profile_spec(subnet, 1))
        else:
            outcome = await call(ss, subnet)
    except Exception as exc:
        error = exc
    finally:
        mutator.rule = None
        await ss.close()
        await clients.close()
    assert mutator.hits > 0, "the mutated request was never sent"
    _check(emu, target, outcome, error, operation)
