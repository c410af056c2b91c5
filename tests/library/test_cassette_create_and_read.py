"""Creating and reading a set through both faces, replayed from cassettes.

plan_create's findings for a bad spec (and that it writes nothing), create's idempotence and
its refusal of a different spec, get/exists before and after, and the context managers and
``close`` of both faces. Cassettes: ``cassettes/test_cassette_create_and_read/``; record them
again with ``--flexvmss-target=emulator --record-mode=rewrite`` (no emulator admin API is used,
so ``--flexvmss-target=azure`` works too).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from _flexlib import IMAGE, LOCATION, SSH_KEY
from test_lifecycle_replay import RG, network_for, open_set

import flexvmss
import flexvmss.aio
from flexvmss import (
    ConflictError,
    InvalidInputError,
    NetworkSpec,
    NotFoundError,
    PreflightError,
    ScaleSetSpec,
    SkuCache,
)

pytestmark = pytest.mark.flexvmss_cassette

WRITES = ("write", "delete", "action")


def writes(clients: Any) -> dict[str, int]:
    """The write, delete and action requests these clients have sent so far."""
    return {k: clients.requests.get(k, 0) for k in WRITES}


def profile(subnet_id: str, **overrides: Any) -> ScaleSetSpec:
    fields: dict[str, Any] = {
        "location": LOCATION,
        "vm_size": "Standard_D2s_v5",
        "capacity": 2,
        "image": IMAGE,
        "network": NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        "ssh_public_keys": (SSH_KEY,),
    }
    fields.update(overrides)
    return ScaleSetSpec(**fields)


async def test_plan_create_reports_every_error_and_writes_nothing(flexvmss_target, face):
    subnet_id = await network_for(flexvmss_target)
    bad = profile(
        subnet_id,
        capacity=1500,
        overprovision=True,
        platform_fault_domain_count=7,
        network=NetworkSpec(subnet_id=subnet_id, public_ip_per_vm=True),
    )
    async with open_set(flexvmss_target, face, "bad") as (ss, clients):
        findings = await ss.plan_create(bad)
        errors = {f.rule_id for f in findings if f.severity == "error"}
        assert {"FLEX001", "FLEX004", "FLEX014"} <= errors
        assert all(f.message and f.fix for f in findings)  # each names what to change

        with pytest.raises(PreflightError) as caught:
            await ss.create(bad)
        assert {f.rule_id for f in caught.value.findings} >= {"FLEX001", "FLEX004", "FLEX014"}

        assert writes(clients) == dict.fromkeys(WRITES, 0)
        assert await ss.exists() is False

        good = await ss.plan_create(profile(subnet_id))
        assert [f for f in good if f.severity == "error"] == []
        assert writes(clients) == dict.fromkeys(WRITES, 0)


async def test_create_is_idempotent_and_refuses_a_different_spec(flexvmss_target, face):
    subnet_id = await network_for(flexvmss_target)
    spec = profile(subnet_id, zones=("1", "2"))
    async with open_set(flexvmss_target, face, "web") as (ss, clients):
        assert await ss.exists() is False
        with pytest.raises(NotFoundError):
            await ss.get()

        created = await ss.create(spec)
        assert (created.orchestration_mode, created.capacity, created.zones) == ("Flexible", 2, ("1", "2"))
        assert created.has_vm_profile and created.single_placement_group is False
        assert await ss.exists() is True
        got = await ss.get()
        assert (got.id.lower(), got.sku_name, got.location) == (ss.id.lower(), "Standard_D2s_v5", LOCATION)
        names = sorted(v.name for v in await ss.vms())
        assert len(names) == 2

        writes_before = writes(clients)
        again = await ss.create(spec)
        assert (again.id, again.etag) == (got.id, got.etag)
        assert writes(clients) == writes_before  # the same spec again writes nothing

        with pytest.raises(ConflictError) as caught:
            await ss.create(profile(subnet_id, zones=("1", "2"), vm_size="Standard_D4s_v5"))
        assert caught.value.code == "ScaleSetDiffers" and "vm_size" in str(caught.value)
        assert writes(clients) == writes_before
        assert (await ss.get()).sku_name == "Standard_D2s_v5"

        torn = await ss.delete(cascade=True)
        assert torn.scale_set_deleted and sorted(torn.vms.succeeded) == names
        assert await ss.exists() is False
        with pytest.raises(NotFoundError):
            await ss.get()


async def test_context_managers_close_only_the_clients_they_built(flexvmss_target, face):
    """``async with`` / ``with`` hand back the set and close the clients it built on exit;
    clients passed in stay open and usable; a closed set stays closed: using it again raises
    a typed error instead of reconnecting (and leaking a session), closing it again is fine."""
    from flexvmss._sync import run_sync

    await network_for(flexvmss_target)
    kwargs = {**flexvmss_target.scale_set_kwargs(), "sku_cache": SkuCache()}
    sub = flexvmss_target.subscription_id
    if face == "sync":

        def own_clients() -> bool:
            with flexvmss.FlexScaleSet(sub, RG, "cm", **kwargs) as ss:
                inside = ss.exists()
            with pytest.raises(InvalidInputError, match="closed"):
                ss.exists()  # used again after close: refused, not reconnected
            ss.close()
            return inside

        assert await asyncio.to_thread(own_clients) is False
    else:
        async with flexvmss.aio.FlexScaleSet(sub, RG, "cm", **kwargs) as ss:
            assert await ss.exists() is False
        with pytest.raises(InvalidInputError, match="closed"):
            await ss.exists()
        await ss.close()

    async with open_set(flexvmss_target, face, "cm") as (ss, clients):
        if face == "sync":
            def passed_in() -> bool:
                with ss.scale_set as entered:
                    assert entered is ss.scale_set
                    return entered.exists()

            assert await asyncio.to_thread(passed_in) is False
            group = await asyncio.to_thread(run_sync, clients.resource.resource_groups.get, RG)
        else:
            async with ss.scale_set as entered:
                assert entered is ss.scale_set
                assert await entered.exists() is False
            group = await clients.resource.resource_groups.get(RG)
        assert group.name == RG  # the clients passed in are still open
