"""What a first run on a real subscription would meet, against an emulator that refuses what
Azure refuses (issue 11): bodies Azure accepts, loud failures, retries that cannot do work
twice, and sovereign clouds. Every test runs through both faces."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from _flexlib import LOCATION, RG, Face, build_network, clients_for, profile_spec, requests_by_route, vm_spec
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from flexvmss import (
    AzureOperationError,
    CredentialError,
    InvalidInputError,
    NotFoundError,
    OsDiskSpec,
    PreflightError,
    ScaleSetSpec,
    TlsError,
)
from flexvmss._specs import SET_TAG, set_tag_value
from flexvmss.emulator import FaultRule

VMSS_PUT = "/virtualMachineScaleSets/{vmScaleSetName}"
VM = "/virtualMachines/{vmName}"
DISK = "/disks/{diskName}"
DELETE_INSTANCES = "/virtualMachineScaleSets/{vmScaleSetName}/delete"
RUN_COMMAND = "/virtualMachines/{vmName}/runCommand"


def props(body: Any) -> dict[str, Any]:
    return dict(body.get("properties") or {})


@pytest.fixture
async def make_own(emu, face) -> AsyncIterator[Callable[..., Face]]:
    """``make_own(name, **kwargs)``: a FlexScaleSet that builds its own clients from the
    connection arguments, as a user's does (``make_set`` hands it ready clients)."""
    import flexvmss
    import flexvmss.aio

    made: list[Any] = []

    def make(name: str = "web", *, resource_group: str = RG, **kwargs: Any) -> Face:
        kwargs.setdefault("base_url", emu.base_url)
        kwargs.setdefault("connection_verify", emu.ca_file)
        kwargs.setdefault("credential", emu.async_credential)
        cls = flexvmss.FlexScaleSet if face == "sync" else flexvmss.aio.FlexScaleSet
        scale_set = cls(emu.subscription_id, resource_group, name, **kwargs)
        made.append(scale_set)
        return Face(scale_set, sync=face == "sync")

    yield make
    for scale_set in made:
        if face == "sync":
            await asyncio.to_thread(scale_set.close)
        else:
            await scale_set.close()


def constructed(face: str, emu, **kwargs: Any) -> None:
    """Construct a FlexScaleSet of ``face`` (nothing is sent)."""
    import flexvmss
    import flexvmss.aio

    cls = flexvmss.FlexScaleSet if face == "sync" else flexvmss.aio.FlexScaleSet
    cls(emu.subscription_id, RG, "web", **kwargs)


# --------------------------------------------------------------------------- bodies Azure accepts


async def test_a_single_zone_set_is_created_without_zone_balance(emu, network, make_set):
    # Azure refuses zoneBalance, whatever its value, on a set of one zone (the emulator too)
    with pytest.raises(HttpResponseError) as refused:
        emu.clients().compute.virtual_machine_scale_sets.begin_create_or_update(
            RG,
            "raw",
            {
                "location": LOCATION,
                "zones": ["1"],
                "properties": {
                    "orchestrationMode": "Flexible",
                    "platformFaultDomainCount": 1,
                    "zoneBalance": False,
                },
            },
        ).result()
    assert "zoneBalance" in str(refused.value)

    one = make_set("one-zone")
    info = await one.create(profile_spec(network, capacity=2, zones=("1",)))
    assert info.zones == ("1",) and "zoneBalance" not in props(info.raw)

    spread = make_set("spread")  # unset: nothing sent, Azure's best-effort balance
    info = await spread.create(profile_spec(network, capacity=3, zones=("1", "2", "3")))
    assert "zoneBalance" not in props(info.raw)


async def test_zone_balance_with_one_zone_is_refused_before_anything_is_sent(emu, network, make_set):
    ss = make_set("strict")
    with pytest.raises(PreflightError) as caught:
        await ss.create(profile_spec(network, capacity=2, zones=("2",), zone_balance=True))
    assert "FLEX030" in str(caught.value) and "zone_balance" in str(caught.value)
    assert requests_by_route(emu, VMSS_PUT, "PUT") == 0


async def test_longest_names_get_a_short_set_tag_and_tear_down_clean(emu, make_set):
    rg, name = "g" * 90, "s" * 64  # Azure's longest resource group and scale set names
    net = build_network(emu, rg=rg)
    ss = make_set(name, resource_group=rg)
    assert len(ss.id) > 256  # the old tag value: Azure refused the VM (InvalidTagValueLength)
    await ss.create(ScaleSetSpec(location=LOCATION))
    keeper = vm_spec(net, "keeper", os_disk=OsDiskSpec(delete_option="Detach"))
    vm = await ss.add_vm(keeper)
    assert vm.tags[SET_TAG] == set_tag_value(ss.id) and len(vm.tags[SET_TAG]) <= 81

    result = await ss.delete(cascade=True)

    assert result.scale_set_deleted and result.vms.succeeded == ["keeper"]
    assert any("/disks/" in r.lower() for r in result.leftovers_deleted)  # the detached OS disk
    assert requests_by_route(emu, DISK, "PATCH") == 1  # tagged with a tags-only PATCH ...
    assert requests_by_route(emu, DISK, "PUT") == 0  # ... never a re-PUT of its listed body
    left = [str(r["id"]) for r in emu.inventory()["resources"] if "keeper" in str(r["id"]).lower()]
    assert left == []  # the VM, its NIC and its detached disk are all gone


@pytest.mark.parametrize("face", ["aio"])  # a scenario; the faces are tested above
async def test_teardown_finds_leftovers_tagged_by_earlier_versions(emu, network, make_set):
    ss = make_set("legacy")
    await ss.create(ScaleSetSpec(location=LOCATION))
    vm = await ss.add_vm(vm_spec(network, "old", os_disk=OsDiskSpec(delete_option="Detach")))
    disk = vm.os_disk_id.rsplit("/", 1)[-1]
    # the tag an older version wrote: the set's full id
    emu.clients().compute.disks.begin_update(RG, disk, {"tags": {SET_TAG: ss.id}}).result()

    result = await ss.delete(cascade=True)

    assert vm.os_disk_id in result.leftovers_deleted
    assert requests_by_route(emu, DISK, "PATCH") == 1  # the one above: the old tag was recognised


async def test_tags_past_azure_limits_are_refused_before_anything_is_sent(emu, network, make_set):
    # Azure (and the emulator) refuse a tag value past 256 characters
    with pytest.raises(HttpResponseError) as refused:
        emu.clients().resource.resource_groups.create_or_update(
            "tagged", {"location": LOCATION, "tags": {"t": "v" * 257}}
        )
    assert "InvalidTagValueLength" in str(refused.value)

    ss = make_set("tags")
    await ss.create(ScaleSetSpec(location=LOCATION))
    with pytest.raises(PreflightError) as caught:
        await ss.add_vms([vm_spec(network, "a", tags={"owner": "o" * 257})])
    assert "FLEX033" in str(caught.value)
    with pytest.raises(PreflightError):
        await ss.add_vm(vm_spec(network, "b", tags={f"t{i}": "x" for i in range(50)}))  # 50 + flexvmss's own
    assert requests_by_route(emu, VM, "PUT") == 0

    await ss.add_vm(vm_spec(network, "c"))
    with pytest.raises(InvalidInputError) as bad:
        await ss.update(tags={"team/owner": "me"})
    assert bad.value.field == "tags['team/owner']"
    assert requests_by_route(emu, VM, "PATCH") == 0


# --------------------------------------------------------------------------- loud where it must be


async def test_every_operation_on_a_set_that_does_not_exist_raises_not_found(emu, network, make_set):
    ss = make_set("no-such-set")
    before = dict(emu.counters()["by_op_class"])
    calls: list[Callable[[], Any]] = [
        lambda: ss.deallocate(),
        lambda: ss.start(),
        lambda: ss.stop(["x"]),
        lambda: ss.restart(where=lambda vm: True),
        lambda: ss.vms(),
        lambda: ss.vms(instance_view=True),
        lambda: ss.delete_vms(),
        lambda: ss.update(tags={"a": "b"}),
        lambda: ss.run_command("RunShellScript", "true"),
        lambda: ss.scale_to(3),
        lambda: ss.add_vms([vm_spec(network, "a")]),
        lambda: ss.get(),
    ]
    for call in calls:
        with pytest.raises(NotFoundError) as caught:
            await call()
        assert "no-such-set" in str(caught.value) and RG in str(caught.value)
    assert not await ss.exists()
    after = emu.counters()["by_op_class"]
    for kind in ("action", "write", "delete"):
        assert after.get(kind, 0) == before.get(kind, 0), kind  # nothing was changed anywhere


async def test_an_empty_set_is_an_empty_batch_not_an_error(emu, network, make_set):
    ss = make_set("empty")
    await ss.create(ScaleSetSpec(location=LOCATION))
    assert await ss.vms() == []
    result = await ss.deallocate()
    assert result.results == {} and not result.failed


async def test_a_missing_resource_group_is_named_as_such(emu, make_set):
    ss = make_set("web", resource_group="no-such-rg")
    with pytest.raises(NotFoundError) as caught:
        await ss.get()
    assert caught.value.code == "ResourceGroupNotFound" and "no-such-rg" in str(caught.value)
    assert "resource group" in caught.value.remedy.lower()
    with pytest.raises(NotFoundError) as listed:
        await ss.deallocate()
    assert listed.value.code == "ResourceGroupNotFound"
    assert await ss.exists() is False


class NoSignIn:
    """DefaultAzureCredential on a machine with no sign-in anywhere."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise ClientAuthenticationError(
            message="DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
            "Attempted credentials:\n"
            "\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment "
            "variables are not fully configured.\n"
            "\tAzureCliCredential: Azure CLI not found on path"
        )


async def test_a_credential_that_cannot_sign_in_is_a_credential_error_before_any_request(emu, make_own):
    ss = make_own("web", credential=NoSignIn())
    with pytest.raises(CredentialError) as caught:
        await ss.get()
    error = caught.value
    assert "Azure CLI not found on path" in str(error) and "Environment variables" in str(error)
    assert "az login" in error.remedy and "support" not in error.remedy.lower()
    assert emu.counters()["requests"] == 0


async def test_an_endpoint_flexvmss_cannot_reach_is_refused_when_the_set_is_made(emu, face, tmp_path):
    with pytest.raises(InvalidInputError) as http:
        constructed(face, emu, base_url=emu.base_url.replace("https://", "http://"))
    assert http.value.field == "base_url"
    with pytest.raises(InvalidInputError) as ca:
        constructed(face, emu, base_url=emu.base_url, connection_verify=str(tmp_path / "missing-ca.pem"))
    assert ca.value.field == "connection_verify"
    assert emu.counters()["requests"] == 0


async def test_a_certificate_that_does_not_verify_is_a_tls_error_at_once(emu, make_own):
    ss = make_own("web", connection_verify=True)  # the system's CAs do not know the emulator's
    with pytest.raises(TlsError) as caught:
        await ss.get()
    assert caught.value.code == "CERTIFICATE_VERIFY_FAILED"
    assert "connection_verify" in caught.value.remedy
    assert sum(ss.requests.values()) == 1  # not retried: a retry meets the same certificate
    assert emu.counters()["requests"] == 0


# --------------------------------------------------------------------------- retries that cannot repeat work


async def test_a_run_command_whose_answer_is_lost_is_reported_unknown_not_sent_again(emu, network, make_set):
    ss = make_set("cmd")
    await ss.create(profile_spec(network, capacity=1))
    (vm,) = await ss.vms()
    emu.add_fault(FaultRule(kind="drop", method="POST", path=r"/runCommand$"))

    result = await ss.run_command("RunShellScript", "echo once")

    assert result.failed == [vm.name]
    error = result.results[vm.name].error
    assert isinstance(error, AzureOperationError) and error.code == "OutcomeUnknown"
    assert "may or may not have run" in str(error) and "names=[...]" in error.remedy
    assert requests_by_route(emu, RUN_COMMAND, "POST") == 1  # served once, and never re-sent


@pytest.mark.parametrize("face", ["aio"])  # a scenario; the faces are tested above
async def test_a_failed_command_operation_is_not_re_issued(emu, network, make_set):
    ss = make_set("cmd2")
    await ss.create(profile_spec(network, capacity=1))
    emu.add_fault(FaultRule(kind="lro_fail", method="POST", path=r"/runCommand$", code="RetryableError"))

    result = await ss.run_command("RunShellScript", "echo once")

    (failed,) = result.failed
    assert result.results[failed].error.code == "OutcomeUnknown"
    assert requests_by_route(emu, RUN_COMMAND, "POST") == 1


async def host_group_members(make_set, network, names: list[str]) -> Any:
    """A set on a dedicated host group: Azure refuses to force-delete its VMs ("Operation
    'ForceDelete' is not allowed ... since it manages updates using maintenance control",
    as cluster-autoscaler quotes it)."""
    ss = make_set("iso", waive=["FLEX010"])
    subscription = network.subnet_id.split("/")[2]
    host_group = f"/subscriptions/{subscription}/resourceGroups/{RG}/providers/Microsoft.Compute/hostGroups/g"
    await ss.create(ScaleSetSpec(location=LOCATION, dedicated_host_group_id=host_group))
    result = await ss.add_vms([vm_spec(network, n) for n in names])
    assert sorted(result.succeeded) == names
    return ss


async def test_a_refused_forced_batch_delete_is_sent_again_without_force(emu, network, make_set):
    ss = await host_group_members(make_set, network, ["i1", "i2"])

    result = await ss.delete_vms(force=True)

    assert sorted(result.succeeded) == ["i1", "i2"] and not result.failed
    assert requests_by_route(emu, DELETE_INSTANCES, "POST") == 2  # forced (refused), then normal
    assert requests_by_route(emu, VM, "DELETE") == 0


async def test_the_per_vm_fallback_drops_force_when_azure_refuses_it(emu, network, make_set):
    ss = await host_group_members(make_set, network, ["j1", "j2"])
    # the batch fails for another reason, so every VM goes through the per-VM fallback
    emu.add_fault(
        FaultRule(kind="status", status=409, code="Conflict", method="POST", path=r"ScaleSets/iso/delete$")
    )

    result = await ss.delete_vms(force=True)

    assert sorted(result.succeeded) == ["j1", "j2"] and not result.failed
    assert requests_by_route(emu, VM, "DELETE") == 4  # forced (refused) then normal, per VM


@pytest.mark.parametrize("face", ["aio"])  # a scenario; the faces are tested above
async def test_a_forced_delete_azure_accepts_stays_forced(emu, network, make_set):
    ss = make_set("plain")
    await ss.create(ScaleSetSpec(location=LOCATION))
    await ss.add_vms([vm_spec(network, "p1")])
    result = await ss.delete_vms(force=True)
    assert result.succeeded == ["p1"]
    assert requests_by_route(emu, DELETE_INSTANCES, "POST") == 1


# --------------------------------------------------------------------------- sovereign clouds


class Recording:
    """The emulator's credential, recording the scopes it is asked for."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.scopes.append(scopes)
        return await self.inner.get_token(*scopes, **kwargs)


@pytest.mark.parametrize(
    ("cloud", "scope"),
    [
        ("AzureChinaCloud", "https://management.chinacloudapi.cn/.default"),
        ("AzureUSGovernment", "https://management.core.usgovcloudapi.net/.default"),
        (None, "https://management.azure.com/.default"),
    ],
)
async def test_the_named_cloud_gives_the_token_scope(emu, make_own, cloud, scope):
    credential = Recording(emu.async_credential)
    ss = make_own("web", credential=credential, cloud=cloud)  # base_url: the emulator in front
    assert not await ss.exists()
    assert credential.scopes and set(credential.scopes) == {(scope,)}


async def test_a_cloud_name_alone_points_at_that_clouds_resource_manager(face):
    import flexvmss
    import flexvmss.aio

    cls = flexvmss.FlexScaleSet if face == "sync" else flexvmss.aio.FlexScaleSet
    ss = cls("00000000-0000-0000-0000-000000000000", RG, "web", cloud="AzureChinaCloud")
    core = ss.aio if face == "sync" else ss
    assert core._arm().settings.endpoint == "https://management.chinacloudapi.cn"  # nothing is sent
    assert core._arm().settings.azure_cloud.authority_host == "login.chinacloudapi.cn"
    with pytest.raises(InvalidInputError):
        cls("00000000-0000-0000-0000-000000000000", RG, "web", cloud="AzureGermanCloud")


async def test_the_vm_lists_api_version_can_be_overridden(emu, network, make_set, caplog):
    import flexvmss
    import flexvmss.aio

    ss = make_set("web")
    await ss.create(ScaleSetSpec(location=LOCATION))
    clients = clients_for(emu, compute_api_version="2025-04-01", logging_enable=True)
    other = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "web", clients=clients)
    try:
        with caplog.at_level(logging.DEBUG, logger="flexvmss.http"):
            assert await other.vms() == []
    finally:
        await other.close()
        await clients.close()
    lists = [r.getMessage() for r in caplog.records if "/virtualMachines?" in r.getMessage()]
    assert lists and all("api-version=2025-04-01" in line for line in lists)
    made = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "web", compute_api_version="2024-07-01")
    assert made._arm().compute_api_version == "2024-07-01"  # the facade's argument reaches the clients
