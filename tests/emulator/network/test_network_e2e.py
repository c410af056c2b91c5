"""The stock azure-mgmt-network and azure-mgmt-resource clients (sync and aio) against the
emulator over HTTPS: LRO polling, paging, models and error codes as a user sees them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from flexvmss import emulator  # a plain import: a broken emulator fails these tests, never skips them

LOCATION = "eastus"


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    # realism off: these tests read the emulator's own state step by step (test_realism.py tests the lag)
    with emulator.Emulator(time_scale=0.001, seed=1, realism="off") as e:
        yield e


@pytest.fixture
def clients(emu: Any) -> Iterator[Any]:
    emu.reset()
    c = emu.clients()
    yield c
    c.close()


def vnet_params() -> dict[str, Any]:
    return {
        "location": LOCATION,
        "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        },
    }


def test_network_lifecycle_with_sync_clients(clients: Any) -> None:
    from azure.mgmt.network.models import (
        NetworkInterface,
        NetworkInterfaceIPConfiguration,
        PublicIPAddress,
        PublicIPAddressSku,
        Subnet,
        VirtualNetwork,
    )

    rc, nc = clients.resource, clients.network
    assert rc.resource_groups.create_or_update("rg-e2e", {"location": LOCATION}).name == "rg-e2e"
    assert rc.resource_groups.check_existence("rg-e2e") is True
    assert rc.resource_groups.check_existence("rg-none") is False

    vnet = nc.virtual_networks.begin_create_or_update(
        "rg-e2e", "vnet", VirtualNetwork(vnet_params())
    ).result()
    assert vnet.provisioning_state == "Succeeded"
    subnet_id = vnet.subnets[0].id
    assert vnet.etag.startswith('W/"')

    pip = nc.public_ip_addresses.begin_create_or_update(
        "rg-e2e", "pip", PublicIPAddress(location=LOCATION, sku=PublicIPAddressSku(name="Standard"))
    ).result()
    assert pip.ip_address and pip.public_ip_allocation_method == "Static"

    nic = nc.network_interfaces.begin_create_or_update(
        "rg-e2e",
        "nic",
        NetworkInterface(
            location=LOCATION,
            ip_configurations=[
                NetworkInterfaceIPConfiguration(
                    name="ipc", subnet=Subnet(id=subnet_id), public_ip_address=PublicIPAddress(id=pip.id)
                )
            ],
        ),
    ).result()
    assert nic.ip_configurations[0].private_ip_address == "10.0.0.4"
    assert nc.subnets.get("rg-e2e", "vnet", "default").ip_configurations[0].id == nic.ip_configurations[0].id
    assert [n.name for n in nc.network_interfaces.list("rg-e2e")] == ["nic"]
    assert "nic" in [n.name for n in nc.network_interfaces.list_all()]

    with pytest.raises(HttpResponseError) as err:
        nc.public_ip_addresses.begin_delete("rg-e2e", "pip").result()
    assert err.value.error.code == "PublicIPAddressCannotBeDeleted"
    with pytest.raises(HttpResponseError) as err:
        nc.subnets.begin_delete("rg-e2e", "vnet", "default").result()
    assert err.value.error.code == "InUseSubnetCannotBeDeleted"

    nc.network_interfaces.begin_delete("rg-e2e", "nic").result()
    with pytest.raises(ResourceNotFoundError):
        nc.network_interfaces.get("rg-e2e", "nic")
    nc.public_ip_addresses.begin_delete("rg-e2e", "pip").result()

    rc.resource_groups.begin_delete("rg-e2e").result()
    assert rc.resource_groups.check_existence("rg-e2e") is False
    with pytest.raises(ResourceNotFoundError) as missing:
        nc.virtual_networks.get("rg-e2e", "vnet")
    assert missing.value.error.code == "ResourceGroupNotFound"


def test_resource_group_paging_and_tags(emu: Any, clients: Any) -> None:
    emu.ctx.page_size = 2
    try:
        for i in range(5):
            clients.resource.resource_groups.create_or_update(
                f"rg-{i}", {"location": LOCATION, "tags": {"i": str(i)}}
            )
        groups = list(clients.resource.resource_groups.list())
        assert [g.name for g in groups] == [f"rg-{i}" for i in range(5)]
        assert groups[3].tags == {"i": "3"}
    finally:
        emu.ctx.page_size = 100


async def test_network_and_groups_with_aio_clients(emu: Any) -> None:
    emu.reset()
    clients = emu.clients(aio=True)
    try:
        await clients.resource.resource_groups.create_or_update("rg-aio", {"location": LOCATION})
        poller = await clients.network.virtual_networks.begin_create_or_update(
            "rg-aio", "vnet", vnet_params()
        )
        vnet = await poller.result()
        assert vnet.subnets[0].name == "default"
        nsg_poller = await clients.network.network_security_groups.begin_create_or_update(
            "rg-aio", "nsg", {"location": LOCATION}
        )
        nsg = await nsg_poller.result()
        assert len(nsg.default_security_rules) == 6
        names = [n.name async for n in clients.network.network_security_groups.list("rg-aio")]
        assert names == ["nsg"]
        delete = await clients.resource.resource_groups.begin_delete("rg-aio")
        await delete.result()
        assert await clients.resource.resource_groups.check_existence("rg-aio") is False
    finally:
        await clients.aclose()
