"""Helpers shared by the facade's behaviour tests (imported by conftest and the tests)."""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any

from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, VmSpec
from flexvmss.emulator import FlexNetwork

if TYPE_CHECKING:
    from flexvmss.emulator import Emulator

LOCATION = "westeurope"
RG = "rg-flex"
IMAGE = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest")
SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0flexvmsstestkey test@example"

#: Real seconds per emulated second: a 45 s VM create takes 45 ms.
TIME_SCALE = 0.001


Network = FlexNetwork


def build_network(emu: Emulator, rg: str = RG) -> Network:
    """A resource group with a VNet: one subnet behind a NAT gateway, one without outbound."""
    return emu.create_network(rg, LOCATION)


def profile_spec(net: Network, capacity: int = 3, **overrides: Any) -> ScaleSetSpec:
    """A set with a VM profile, outbound through the subnet's NAT gateway."""
    fields: dict[str, Any] = {
        "location": LOCATION,
        "vm_size": "Standard_D2s_v5",
        "capacity": capacity,
        "image": IMAGE,
        "network": NetworkSpec(subnet_id=net.subnet_id, outbound="nat_gateway"),
        "ssh_public_keys": (SSH_KEY,),
    }
    fields.update(overrides)
    return ScaleSetSpec(**fields)


def vm_spec(net: Network, name: str, **overrides: Any) -> VmSpec:
    fields: dict[str, Any] = {
        "name": name,
        "vm_size": "Standard_D2s_v5",
        "image": IMAGE,
        "network": NetworkSpec(subnet_id=net.subnet_id, outbound="nat_gateway"),
        "ssh_public_keys": (SSH_KEY,),
    }
    fields.update(overrides)
    return VmSpec(**fields)


class Face:
    """One awaitable interface over either face of FlexScaleSet."""

    def __init__(self, scale_set: Any, sync: bool) -> None:
        self.scale_set = scale_set
        self.sync = sync

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.scale_set, name)
        if self.sync and callable(attr):

            @functools.wraps(attr)
            async def in_thread(*args: Any, **kwargs: Any) -> Any:
                return await asyncio.to_thread(attr, *args, **kwargs)

            return in_thread
        return attr


def clients_for(emu: Emulator, **settings: Any) -> Any:
    """flexvmss's own client stack (throttle, retries, counting) pointed at the emulator, told
    the emulator's time scale (so the library's fixed waits and pacing run at its speed)."""
    from flexvmss._arm import ArmSettings, build_clients
    from flexvmss._pipeline import ThrottleConfig

    settings.setdefault("throttle", ThrottleConfig(time_scale=emu.time_scale))

    return build_clients(
        ArmSettings(
            emu.subscription_id,
            base_url=emu.base_url,
            credential=emu.async_credential,
            connection_verify=emu.ca_file,
            polling_interval=0.01,
            **settings,
        )
    )


def requests_by_route(emu: Emulator, fragment: str, method: str = "GET") -> int:
    """Requests the emulator served on routes whose pattern ends with ``fragment``."""
    routes = emu.counters()["by_route"]
    return sum(
        n for route, n in routes.items() if route.startswith(method + " ") and route.endswith(fragment)
    )


def inventory_ids(emu: Emulator) -> set[str]:
    return {str(r["id"]).lower() for r in emu.inventory()["resources"]}


def standalone_vm(emu: Emulator, net: Network, name: str, rg: str = RG, **overrides: Any) -> str:
    """Create a VM that belongs to no scale set (with the stock SDK); returns its id."""
    from flexvmss._specs import render_vm_body

    body = render_vm_body(vm_spec(net, name, **overrides), scale_set_id="", location=LOCATION)
    del body["properties"]["virtualMachineScaleSet"]
    vm = emu.clients().compute.virtual_machines.begin_create_or_update(rg, name, body).result()
    return str(vm.id)
