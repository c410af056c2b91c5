"""The Azure Functions example's handlers, called directly against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _examples import load_example

pytest.importorskip("azure.functions")

import azure.functions as func

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "azure_function" / "function_app.py"
RG = "fn-rg"
LOCATION = "eastus"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICEH2JLy4VWrgBfyXBh37AX+c6p/M9qCzne0u3mcgd2k fn-test"


@pytest.fixture(scope="module")
def function_app() -> ModuleType:
    return load_example(EXAMPLE, "flexvmss_example_function_app")


@pytest.fixture(scope="module")
def handlers(function_app: ModuleType) -> dict[str, Any]:
    """The functions as the Functions host indexes them (get_functions() builds once per app)."""
    return {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}


@pytest.fixture
def list_vms_handler(handlers: dict[str, Any]) -> Any:
    return handlers["list_vms"]


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    from flexvmss.emulator import Emulator

    with Emulator(time_scale=0.002) as emulator:
        yield emulator


@pytest.fixture
def scale_set(emu: Any) -> str:
    """A Flex set of 4 VMs behind a NAT gateway; one VM is tagged to keep running."""
    from flexvmss import FlexScaleSet, ImageSpec, NetworkSpec, ScaleSetSpec, VmSpec

    emu.reset()
    clients = emu.clients()
    clients.resource.resource_groups.create_or_update(RG, {"location": LOCATION})
    prefix = f"/subscriptions/{emu.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Network"
    net = clients.network
    net.public_ip_addresses.begin_create_or_update(
        RG,
        "ip",
        {
            "location": LOCATION,
            "sku": {"name": "Standard"},
            "properties": {"publicIPAllocationMethod": "Static"},
        },
    ).result()
    net.nat_gateways.begin_create_or_update(
        RG,
        "nat",
        {
            "location": LOCATION,
            "sku": {"name": "Standard"},
            "properties": {"publicIpAddresses": [{"id": f"{prefix}/publicIPAddresses/ip"}]},
        },
    ).result()
    net.virtual_networks.begin_create_or_update(
        RG,
        "vnet",
        {
            "location": LOCATION,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                "subnets": [
                    {
                        "name": "vms",
                        "properties": {
                            "addressPrefix": "10.1.0.0/24",
                            "natGateway": {"id": f"{prefix}/natGateways/nat"},
                        },
                    }
                ],
            },
        },
    ).result()
    network = NetworkSpec(subnet_id=f"{prefix}/virtualNetworks/vnet/subnets/vms", outbound="nat_gateway")
    image = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest")
    with FlexScaleSet(
        emu.subscription_id,
        RG,
        "batch",
        credential=emu.async_credential,
        base_url=emu.base_url,
        connection_verify=emu.ca_file,
    ) as ss:
        ss.create(
            ScaleSetSpec(
                location=LOCATION,
                vm_size="Standard_D2s_v5",
                capacity=3,
                image=image,
                network=network,
                ssh_public_keys=(SSH_KEY,),
            )
        )
        ss.add_vm(
            VmSpec(
                name="batch-keep",
                vm_size="Standard_D2s_v5",
                image=image,
                network=network,
                ssh_public_keys=(SSH_KEY,),
                tags={"flexvmss-keep-running": "true"},
            )
        )
    return "batch"


def settings_env(emu: Any, scale_set: str) -> dict[str, str]:
    return {
        "AZURE_SUBSCRIPTION_ID": emu.subscription_id,
        "FLEXVMSS_RESOURCE_GROUP": RG,
        "FLEXVMSS_SCALE_SET": scale_set,
        "FLEXVMSS_BASE_URL": emu.base_url,
        "FLEXVMSS_CA_FILE": emu.ca_file,
    }


async def test_timer_handler_deallocates_all_but_the_vms_tagged_to_keep_running(
    function_app: ModuleType, emu: Any, scale_set: str
) -> None:
    settings = function_app.Settings.from_env(settings_env(emu, scale_set))
    summary = await function_app.deallocate_out_of_hours_job(settings, credential=emu.async_credential)

    assert len(summary["deallocated"]) == 3
    assert "batch-keep" not in summary["deallocated"]
    assert summary["failed"] == []

    vms = await function_app.list_vms_payload(settings, credential=emu.async_credential)
    states = {vm["name"]: vm["power_state"] for vm in vms}
    assert states.pop("batch-keep") == "running"
    assert set(states.values()) == {"deallocated"}

    again = await function_app.deallocate_out_of_hours_job(settings, credential=emu.async_credential)
    assert again["deallocated"] == []


class _Timer:
    past_due = False


async def test_timer_function_reads_app_settings_and_deallocates(
    function_app: ModuleType,
    handlers: dict[str, Any],
    emu: Any,
    scale_set: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in settings_env(emu, scale_set).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(function_app, "_managed_identity", lambda settings: emu.async_credential)

    await handlers["deallocate_out_of_hours"](_Timer())

    settings = function_app.Settings.from_env()
    vms = await function_app.list_vms_payload(settings, credential=emu.async_credential)
    assert sorted(vm["power_state"] for vm in vms) == ["deallocated"] * 3 + ["running"]


async def test_http_handler_returns_the_vms_and_power_states_as_json(
    function_app: ModuleType, list_vms_handler: Any, emu: Any, scale_set: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in settings_env(emu, scale_set).items():
        monkeypatch.setenv(key, value)
    # No managed identity outside Azure: the handler gets the emulator's credential instead.
    monkeypatch.setattr(function_app, "_managed_identity", lambda settings: emu.async_credential)
    request = func.HttpRequest(method="GET", url="/api/vms", body=b"", params={})
    response = await list_vms_handler(request)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    vms = json.loads(response.get_body())
    assert [vm["name"] for vm in vms] == sorted(vm["name"] for vm in vms)
    assert len(vms) == 4
    assert {vm["power_state"] for vm in vms} == {"running"}
    assert set(vms[0]) == {
        "name",
        "power_state",
        "provisioning_state",
        "zone",
        "platform_fault_domain",
        "size",
        "priority",
    }


async def test_http_handler_turns_an_azure_error_into_a_json_502(
    function_app: ModuleType, list_vms_handler: Any, emu: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.reset()
    for key, value in settings_env(emu, "missing").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(function_app, "_managed_identity", lambda settings: emu.async_credential)
    response = await list_vms_handler(func.HttpRequest(method="GET", url="/api/vms", body=b""))

    assert response.status_code == 502
    assert json.loads(response.get_body())["error"].endswith("Error")


def test_settings_name_what_is_missing(function_app: ModuleType) -> None:
    with pytest.raises(RuntimeError, match="FLEXVMSS_SCALE_SET"):
        function_app.Settings.from_env({"AZURE_SUBSCRIPTION_ID": "s", "FLEXVMSS_RESOURCE_GROUP": "rg"})
