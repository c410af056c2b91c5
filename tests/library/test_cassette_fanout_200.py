"""A 200-VM fan-out, replayed from a cassette: deallocate every VM of a profile set, then start
them all, with one outcome per VM.

One face (aio) is enough: the sync face runs the same coroutine (the lifecycle tests cover
both). The cassette (``cassettes/test_cassette_fanout_200/``) is the largest in the suite;
``bench/bench_replay.py`` reports how long it takes to replay.

While a cassette is active the kit makes fan-outs watch each operation through its own status
URL (``observe="poll"``), whose answers replay the same way whatever the timing; so one set
name, one pair of clients and the kit's default poll repeats are enough.
"""

from __future__ import annotations

import asyncio

import pytest
from _flexlib import IMAGE, LOCATION, SSH_KEY
from test_lifecycle_replay import listed, network_for, open_set

from flexvmss import BatchResult, NetworkSpec, Outcome, ScaleSetSpec

pytestmark = pytest.mark.flexvmss_cassette

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
        # One by one, all at once: every VM is a running member before the batch.
        before = await asyncio.gather(*(ss.vm(n) for n in names))
        assert {(v.power_state, v.provisioning_state) for v in before} == {("running", "Succeeded")}

        every_vm_succeeded(await ss.deallocate(concurrency=VMS), names)
        assert {(await ss.vm(n)).power_state for n in sample} == {"deallocated"}

        before = await asyncio.gather(*(ss.vm(n) for n in names))
        assert {v.power_state for v in before} == {"deallocated"}
        every_vm_succeeded(await ss.start(concurrency=VMS), names)
        assert {(await ss.vm(n)).power_state for n in sample} == {"running"}

        running = dict.fromkeys(names, "running")  # the list may lag a round: read until it settles
        shown = await listed(
            ss, lambda vms: {v.name: v.power_state for v in vms} == running, instance_view=True
        )
        assert {v.name: v.power_state for v in shown} == running
        torn = await ss.delete(cascade=True)
        assert torn.scale_set_deleted and sorted(torn.vms.succeeded) == names
