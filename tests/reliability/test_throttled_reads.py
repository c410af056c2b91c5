"""A throttled or failing read is never taken for an empty answer (k8s-azure-flex.md §3): the VM
list under 429s and 5xx either comes back whole or raises, and a teardown whose list cannot be
read deletes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from soak_scenario import RG, build_world, clients_for, profile_spec, scaled_runtime

import flexvmss.aio
from flexvmss import AzureOperationError, ThrottledError
from flexvmss._pipeline import ThrottleConfig
from flexvmss.emulator import FaultRule

VM_LIST = r"/providers/Microsoft\.Compute/virtualMachines$"
N = 5


@pytest.fixture
async def web(emu) -> AsyncIterator[Any]:
    world = build_world(emu)
    clients = clients_for(emu)
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "web", clients=clients)
    await ss.create(profile_spec(world.subnet_id, N))
    yield ss
    await ss.close()
    await clients.close()


def _writes(emu) -> int:
    by_class = emu.counters()["by_op_class"]
    return sum(by_class.get(k, 0) for k in ("write", "delete", "action"))


async def test_a_list_throttled_a_few_times_comes_back_whole(emu, web):
    emu.add_fault(FaultRule(kind="status", status=429, method="GET", path=VM_LIST, times=3, delay=1.0))
    vms = await web.vms()
    assert len(vms) == N
    assert emu.counters()["faults"].get("status") == 3


async def test_a_list_throttled_in_fail_fast_mode_raises_instead_of_returning_nothing(emu):
    world = build_world(emu)
    from flexvmss._arm import ArmSettings, build_clients

    clients = build_clients(
        ArmSettings(
            emu.subscription_id,
            base_url=emu.base_url,
            credential=emu.async_credential,
            connection_verify=emu.ca_file,
            polling_interval=0.05,
            throttle=ThrottleConfig(mode="fail_fast", time_scale=emu.time_scale),
            runtime=scaled_runtime(emu.time_scale),
        )
    )
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "web", clients=clients)
    try:
        await ss.create(profile_spec(world.subnet_id, N))
        emu.add_fault(FaultRule(kind="status", status=429, method="GET", path=VM_LIST, delay=30.0))
        with pytest.raises(ThrottledError) as caught:
            await ss.vms()
    finally:
        await ss.close()
        await clients.close()
    # named by the request it refused to send (the throttle policy raises below the facade)
    assert "/virtualMachines" in str(caught.value) and caught.value.retry_after


async def test_a_teardown_that_cannot_read_the_vm_list_deletes_nothing(emu, web):
    emu.add_fault(FaultRule(kind="status", status=500, method="GET", path=VM_LIST))
    writes = _writes(emu)
    with pytest.raises(AzureOperationError) as caught:
        await web.delete(cascade=True)
    assert caught.value.status == 500
    assert _writes(emu) == writes, "teardown wrote although it could not see the set's VMs"
    emu.clear_faults()
    assert len(await web.vms()) == N and await web.exists()


async def test_a_second_page_that_fails_is_not_a_shorter_list(emu):
    """With 2 VMs per page, every request for a page after the first answers 503: the list
    raises, it never returns the first page alone."""
    import json
    import re

    from flexvmss.emulator._dispatch import Outcome

    world = build_world(emu)
    clients = clients_for(emu)
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "paged", clients=clients)
    inner = emu.dispatcher.handle
    failed: list[str] = []

    def handle(method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        if method == "GET" and re.search(VM_LIST, path) and any("skip" in k.lower() for k in query):
            failed.append(path)
            error = {"error": {"code": "ServiceUnavailable", "message": "try later"}}
            return Outcome(503, json.dumps(error).encode(), {"Content-Type": "application/json"})
        return inner(method, path, query, headers, body)

    emu.ctx.page_size = 2
    try:
        await ss.create(profile_spec(world.subnet_id, N))
        emu.dispatcher.handle = handle  # type: ignore[method-assign]
        with pytest.raises(AzureOperationError) as caught:
            await ss.vms()
    finally:
        emu.dispatcher.handle = inner  # type: ignore[method-assign]
        emu.ctx.page_size = 100
        await ss.close()
        await clients.close()
    assert failed, "the second page was never asked for"
    assert caught.value.status == 503
