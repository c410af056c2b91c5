"""Per-VM operations beyond the lifecycle tests, through both faces, replayed from cassettes.

Operations on named VMs and on VMs a filter picks leave the others as they were; a plain stop
(with the guest shutdown); restart of a deallocated VM failing for that VM only, with Azure's
error kept on its result; simulate_eviction refused for a regular VM (a per-VM failure, not an
exception); update of user data (the value never reaches the cassette); run_command on named
VMs. Cassettes: ``cassettes/test_cassette_operations/``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from _flexlib import LOCATION
from test_lifecycle_replay import network_for, open_set, vm

from flexvmss import AzureOperationError, ScaleSetSpec, Secret, SpotSpec

pytestmark = pytest.mark.flexvmss_cassette

USER_DATA = "flexvmss-cassette-user-data-4711"


async def power(ss: Any, name: str) -> str | None:
    return (await ss.vm(name)).power_state


async def test_operations_touch_only_the_vms_they_select(flexvmss_target, face, flexvmss_cassette_path):
    subnet_id = await network_for(flexvmss_target)
    async with open_set(flexvmss_target, face, "ops") as (ss, _clients):
        await ss.create(ScaleSetSpec(location=LOCATION, zones=("1", "2")))
        specs = [
            vm(subnet_id, "a1", zone="1"),
            vm(subnet_id, "a2", zone="2"),
            vm(subnet_id, "b1", zone="1"),
            vm(subnet_id, "s1", zone="2", priority="Spot", spot=SpotSpec(eviction_policy="Deallocate")),
        ]
        assert sorted((await ss.add_vms(specs)).succeeded) == ["a1", "a2", "b1", "s1"]

        stopped = await ss.stop(["a1"])
        assert stopped.succeeded == ["a1"]
        states = {n: await power(ss, n) for n in ("a1", "a2", "b1", "s1")}
        assert states == {"a1": "stopped", "a2": "running", "b1": "running", "s1": "running"}

        zone1 = await ss.deallocate(where=lambda v: v.zone == "1")
        assert sorted(zone1.succeeded) == ["a1", "b1"]
        assert (await power(ss, "a2"), await power(ss, "b1")) == ("running", "deallocated")

        restarted = await ss.restart(["a2", "b1"])
        assert restarted.succeeded == ["a2"] and restarted.failed == ["b1"]
        error = restarted.results["b1"].error
        assert isinstance(error, AzureOperationError) and error.code
        assert await power(ss, "b1") == "deallocated"

        updated = await ss.update(["a2"], user_data=Secret(USER_DATA))
        assert updated.succeeded == ["a2"]

        ran = await ss.run_command("RunShellScript", ["echo from-a2"], ["a2"])
        assert list(ran.results) == ["a2"] and "from-a2" in ran.results["a2"].detail

        # by name: a filter on power state right after a change would read a list that may lag
        started = await ss.start(["a1", "b1"])
        assert sorted(started.succeeded) == ["a1", "b1"]
        assert {await power(ss, n) for n in ("a1", "a2", "b1", "s1")} == {"running"}

        evicted = await ss.simulate_eviction(["a2", "s1"])
        assert evicted.succeeded == ["s1"] and evicted.failed == ["a2"]
        assert "Spot" in str(evicted.results["a2"].error)
        # Azure evicts asynchronously (204 at once), by the VM's Deallocate policy.
        assert await power(ss, "s1") in ("deallocating", "deallocated")
        assert await power(ss, "a2") == "running"

        assert (await ss.delete(cascade=True)).scale_set_deleted

    if flexvmss_target.mode == "replay":  # while recording, the cassette is written afterwards
        text = Path(flexvmss_cassette_path).read_text()
        assert USER_DATA not in text and base64.b64encode(USER_DATA.encode()).decode() not in text
