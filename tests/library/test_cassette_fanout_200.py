"""A 200-VM fan-out, replayed from a cassette: deallocate every VM of a profile set, then start
them all, with one outcome per VM.

One face (aio) is enough: the sync face runs the same coroutine (the lifecycle tests cover
both). The cassette (``cassettes/test_cassette_fanout_200/``) is the largest in the suite;
``bench/bench_replay.py`` reports how long it takes to replay.

Each phase addresses the set under another case of its name (``fan200``, ``Fan200``,
``FAN200``; ARM names are case-insensitive). The fan-out watches its operations through the
set's filtered VM list, and how many times it reads that list depends on timing; the kit
answers identical requests in recorded order, so a replay that read the list fewer times in
one phase would hand that phase's unread answers to the next. The set's id (and so the list's
``$filter``) differs in case from phase to phase, which gives each phase its own list URL.
Each batch runs with ``concurrency=VMS`` so that every VM's request is accepted before the
fan-out first reads the list, as it will be in the replay (where answers come at once):
otherwise a list answer recorded before a VM's request went out would be judged against
that VM in the replay, and the status read it then asks for was never recorded.
"""

from __future__ import annotations

import asyncio

import pytest
from _flexlib import IMAGE, LOCATION, SSH_KEY
from test_lifecycle_replay import network_for, open_set

from flexvmss import BatchResult, NetworkSpec, Outcome, ScaleSetSpec

# Every GET may be answered again with its last recorded answer: under load a replay can read
# one page of the watched list more often than the recording did.
pytestmark = pytest.mark.flexvmss_cassette(repeat="gets")

VMS = 200
SAMPLE = 5  # VMs read one by one after each phase (the list is checked once, at the end)


def every_vm_succeeded(batch: BatchResult, names: list[str]) -> None:
    assert sorted(batch.results) == names
    assert {r.outcome for r in batch.results.values()} == {Outcome.SUCCEEDED}
    assert all(r.error is None and r.attempts >= 1 for r in batch.results.values())
    assert batch.interrupted is None and batch.throttled == 0


async def test_deallocate_then_start_200_vms(flexvmss_target):
    subnet_id = await network_for(flexvmss_target)
    spec = ScaleSetSpec(
        location=LOCATION,
        vm_size="Standard_D2s_v5",
        capacity=VMS,
        image=IMAGE,
        network=NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        ssh_public_keys=(SSH_KEY,),
    )
    async with open_set(flexvmss_target, "aio", "fan200") as (ss, _clients):
        assert (await ss.create(spec)).capacity == VMS
        names = sorted(v.name for v in await ss.vms())
        assert len(names) == VMS == len(set(names))
        sample = names[:SAMPLE]
        # One by one, all at once: every VM is a running member before the batch. (This also
        # opens the connections the batch's 200 requests then reuse.)
        before = await asyncio.gather(*(ss.vm(n) for n in names))
        assert {(v.power_state, v.provisioning_state) for v in before} == {("running", "Succeeded")}

        every_vm_succeeded(await ss.deallocate(concurrency=VMS), names)
        assert {(await ss.vm(n)).power_state for n in sample} == {"deallocated"}

    async with open_set(flexvmss_target, "aio", "Fan200") as (ss, _clients):
        before = await asyncio.gather(*(ss.vm(n) for n in names))  # new clients: warm them too
        assert {v.power_state for v in before} == {"deallocated"}
        every_vm_succeeded(await ss.start(concurrency=VMS), names)
        assert {(await ss.vm(n)).power_state for n in sample} == {"running"}

    async with open_set(flexvmss_target, "aio", "FAN200") as (ss, _clients):
        states = {v.name: v.power_state for v in await ss.vms(instance_view=True)}
        assert states == dict.fromkeys(names, "running")
        torn = await ss.delete()
        assert torn.scale_set_deleted and sorted(torn.vms.succeeded) == names
