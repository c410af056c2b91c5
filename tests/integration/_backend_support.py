"""Shared by the backend tests: a Flexible set of running VMs on the emulator, clients on its
clock, and both faces of FlexScaleSet."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import flexvmss
import flexvmss.aio
from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, Secret, render_scale_set_body

RG = "backends"
LOC = "eastus"
TIME_SCALE = 0.002  # a 40 s deallocate takes 0.08 s


def make_set(
    emu: Any, name: str, capacity: int, *, rg: str = RG, tags: dict[str, str] | None = None
) -> list[str]:
    """A Flexible set of ``capacity`` running VMs (stock SDK, never flexvmss); their names."""
    spec = ScaleSetSpec(
        location=LOC,
        vm_size="Standard_D2s_v5",
        capacity=capacity,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=emu.create_network(rg, LOC).subnet_id, outbound="nat_gateway"),
        admin_password=Secret("Xx1!" * 4),
    )
    c = emu.clients()
    try:
        body = render_scale_set_body(spec, name=name)
        if tags:
            body["tags"] = {**body.get("tags", {}), **tags}
        vmss = c.compute.virtual_machine_scale_sets.begin_create_or_update(rg, name, body).result()
        return sorted(
            vm.name
            for vm in c.compute.virtual_machines.list(
                rg, filter=f"'virtualMachineScaleSet/id' eq '{vmss.id}'"
            )
        )
    finally:
        c.close()


def clients(emu: Any, **throttle: Any) -> Any:
    """flexvmss's clients on ``emu``, throttled on its clock (a 429 without Retry-After waits 2
    emulated seconds, not 2 real ones); ``throttle``: other ThrottleConfig fields."""
    from flexvmss._arm import ArmSettings, build_clients
    from flexvmss._pipeline import ThrottleConfig

    return build_clients(
        ArmSettings(
            emu.subscription_id,
            base_url=emu.base_url,
            credential=emu.async_credential,
            connection_verify=emu.ca_file,
            polling_interval=0.05,
            throttle=ThrottleConfig(time_scale=emu.time_scale, **throttle),
        )
    )


def power_states(emu: Any, rg: str = RG) -> dict[str, str]:
    """Each VM's power state from its own instance view: a list read may lag a change by a round
    (the emulator's realism, as Azure's lists), the VM's own read does not."""
    c = emu.clients()
    try:
        return {
            vm.name: next(
                (
                    s.code
                    for s in c.compute.virtual_machines.instance_view(rg, vm.name).statuses or []
                    if s.code and s.code.startswith("PowerState/")
                ),
                "",
            )
            for vm in c.compute.virtual_machines.list(rg)
        }
    finally:
        c.close()


def routes(emu: Any, suffix: str) -> int:
    return sum(n for route, n in emu.counters()["by_route"].items() if route.endswith(suffix))


@dataclass
class Face:
    """One FlexScaleSet (or Fleet), driven through the async face or the sync one (from a worker
    thread, so the test's event loop keeps serving); ``arm`` are its clients."""

    obj: Any
    sync: bool
    arm: Any

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        bound = getattr(self.obj, method)
        if self.sync:
            return await asyncio.to_thread(bound, *args, **kwargs)
        return await bound(*args, **kwargs)

    async def close(self) -> None:
        from flexvmss._sync import run_sync

        if self.sync:
            await asyncio.to_thread(self.obj.close)
            await asyncio.to_thread(run_sync, self.arm.close)
        else:
            await self.obj.close()
            await self.arm.close()


def scale_set(emu: Any, face: str, name: str = "web") -> Face:
    arm = clients(emu)
    cls = flexvmss.FlexScaleSet if face == "sync" else flexvmss.aio.FlexScaleSet
    return Face(cls(emu.subscription_id, RG, name, clients=arm), sync=face == "sync", arm=arm)
