"""Emulator benchmark: requests per second on a cheap GET, and 1,000 VM deallocations.

Rows of the second table:

* throttling off, time scale 0.01: 1,000 concurrent ``begin_deallocate`` from the stock aio
  client (what the server sustains);
* throttling on (Azure's published limits), time scale 0.25: the same unpaced caller. At this
  scale ARM's write bucket refills 40 requests per real second, slower than the caller sends,
  so it meets 429s, and calls that still meet one after azure-core's retries fail (at 0.01 the
  bucket refills faster than the emulator can serve, and 0 429s would follow by construction);
* throttling on, time scale 0.25: flexvmss's ``deallocate()`` on a set of 1,000 VMs (paced).

Run: ``python bench/bench_emulator.py`` (or ``make bench-emulator``). Prints a table and
writes ``bench/results/emulator.json``. The emulator runs in this process; the clients run in
a child process, so that what is measured is the server.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import platform
import ssl
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import azure_limits  # bench/, beside this script
import bench_fanout

from flexvmss.emulator import Emulator

RG = "bench"
LOC = "eastus"
N_VMS = 1000
#: The time scale of the throttled rows: the unpaced caller outruns the refill (see above).
THROTTLED_TIME_SCALE = 0.25
GET_SECONDS = 3.0
GET_WORKERS = (1, 8, 32)
RESULTS = Path(__file__).parent / "results" / "emulator.json"


def _vmss(subnet_id: str, capacity: int) -> dict[str, Any]:
    return {
        "location": LOC,
        "sku": {"name": "Standard_D2s_v5", "capacity": capacity},
        "properties": {
            "orchestrationMode": "Flexible",
            "platformFaultDomainCount": 1,
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "bench", "adminUsername": "azureuser"},
                "storageProfile": {
                    "imageReference": {
                        "publisher": "Canonical",
                        "offer": "ubuntu-24_04-lts",
                        "sku": "server",
                        "version": "latest",
                    },
                    "osDisk": {"createOption": "FromImage"},
                },
                "networkProfile": {
                    "networkApiVersion": "2022-11-01",
                    "networkInterfaceConfigurations": [
                        {
                            "name": "nic",
                            "properties": {
                                "primary": True,
                                "ipConfigurations": [
                                    {
                                        "name": "ip",
                                        "properties": {"subnet": {"id": subnet_id}, "primary": True},
                                    }
                                ],
                            },
                        }
                    ],
                },
            },
        },
    }


def _in_child(fn: Any, *args: Any) -> Any:
    """Run ``asyncio.run(fn(*args))`` in another process, so the client does not share the
    server's interpreter lock (the figures are then the server's, not the client's)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_run_async, fn, *args).result()


def _run_async(fn: Any, *args: Any) -> Any:
    return asyncio.run(fn(*args))


async def _get_rate(base_url: str, ca_file: str, sub: str, workers: int, seconds: float) -> dict[str, Any]:
    """GET one resource group as fast as ``workers`` concurrent loops can, for ``seconds``."""
    url = f"{base_url}/subscriptions/{sub}/resourcegroups/{RG}?api-version=2025-04-01"
    headers = {"Authorization": "Bearer bench"}
    ctx = ssl.create_default_context(cafile=ca_file)
    done = 0
    errors = 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx, limit=workers)) as session:

        async def loop() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                async with session.get(url, headers=headers) as resp:
                    await resp.read()
                    if resp.status == 200:
                        done += 1
                    else:
                        errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(workers)))
        elapsed = time.perf_counter() - started
    return {"workers": workers, "requests": done, "errors": errors, "seconds": elapsed, "rps": done / elapsed}


def _setup_vms(emu: Emulator, n: int) -> list[str]:
    """A Flex scale set of ``n`` running VMs, through the stock sync clients."""
    c = emu.clients()
    try:
        c.resource.resource_groups.create_or_update(RG, {"location": LOC})
        nat = c.network.nat_gateways.begin_create_or_update(
            RG, "nat", {"location": LOC, "sku": {"name": "Standard"}}
        ).result()
        subnet = {"name": "s1", "properties": {"addressPrefix": "10.0.0.0/20", "natGateway": {"id": nat.id}}}
        vnet = c.network.virtual_networks.begin_create_or_update(
            RG,
            "v1",
            {
                "location": LOC,
                "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": [subnet]},
            },
        ).result()
        vmss = c.compute.virtual_machine_scale_sets.begin_create_or_update(
            RG, "big", _vmss(vnet.subnets[0].id, n)
        ).result()
        flt = f"'virtualMachineScaleSet/id' eq '{vmss.id}'"
        return [vm.name for vm in c.compute.virtual_machines.list(RG, filter=flt)]
    finally:
        c.close()


async def _deallocate_all(
    base_url: str, ca_file: str, sub: str, tenant: str, names: list[str], time_scale: float
) -> dict[str, Any]:
    """Fire ``begin_deallocate`` on every VM at once (stock aio client) and wait for all.

    A call that still meets a 429 after azure-core's own retries (3 on status errors)
    counts as failed: that is what an unpaced caller sees under Azure's limits."""
    from azure.mgmt.compute.aio import ComputeManagementClient

    from flexvmss.emulator import AsyncEmulatorCredential
    from flexvmss.emulator._emulator import _aio_transport

    client = ComputeManagementClient(
        AsyncEmulatorCredential(tenant),
        sub,
        base_url=base_url,
        connection_verify=ca_file,
        credential_scopes=["https://management.azure.com/.default"],
        polling_interval=max(0.01, 30.0 * time_scale),  # azure-core's default, scaled
        transport=_aio_transport(ca_file),
    )

    async def one(name: str) -> None:
        poller = await client.virtual_machines.begin_deallocate(RG, name)
        await poller.result()

    async with client:
        started = time.perf_counter()
        results = await asyncio.gather(*(one(n) for n in names), return_exceptions=True)
        elapsed = time.perf_counter() - started
    failures = [r for r in results if isinstance(r, BaseException)]
    return {
        "vms": len(names),
        "seconds": elapsed,
        "failures": len(failures),
        "first_failure": repr(failures[0])[:300] if failures else None,
    }


def _actions(throttle: str | None, time_scale: float) -> dict[str, Any]:
    """The stock aio client, unpaced: every deallocation at once."""
    with Emulator(time_scale=time_scale, seed=7) as emu:
        t0 = time.perf_counter()
        names = _setup_vms(emu, N_VMS)
        setup = time.perf_counter() - t0
        emu.set_throttle(throttle)
        before = emu.counters()
        start = emu.clock.now()
        result = _in_child(
            _deallocate_all, emu.base_url, emu.ca_file, emu.subscription_id, emu.tenant_id, names, time_scale
        )
        result["emulated_seconds"] = emu.clock.now() - start
        after = emu.counters()
        result["caller"] = "stock aio client, unpaced"
        result["time_scale"] = time_scale
        result["requests"] = after["requests"] - before["requests"]
        result["throttled_429"] = after["throttled"]["total"] - before["throttled"]["total"]
        result["faults"] = after["faults"]
        result["setup_seconds"] = setup
        result["throttle"] = throttle or "off"
        return _with_bound(result, len(names))


def _with_bound(result: dict[str, Any], n: int) -> dict[str, Any]:
    """The least emulated time Azure's published limits allow for ``n`` deallocation calls
    (bench/azure_limits.py), and in real seconds at the row's time scale."""
    bound = azure_limits.write_admissions(n, policy="DeleteVM")[-1] if result["throttle"] != "off" else 0.0
    result["model_lower_bound_emulated_seconds"] = bound
    result["model_lower_bound_seconds"] = bound * result["time_scale"]
    return result


def _library(time_scale: float) -> dict[str, Any]:
    """flexvmss's paced ``deallocate()`` on a set of 1,000 VMs, in its own process."""
    with Emulator(time_scale=time_scale, throttle="azure", seed=7) as emu:
        t0 = time.perf_counter()
        bench_fanout.prepare(emu, "set0", N_VMS)
        setup = time.perf_counter() - t0
        spec = {
            "base_url": emu.base_url,
            "ca_file": emu.ca_file,
            "subscription": emu.subscription_id,
            "tenant": emu.tenant_id,
            "time_scale": time_scale,
            "set": "set0",
        }
        before = emu.counters()
        proc = bench_fanout.spawn("flexvmss", spec)
        emu.set_throttle("azure")  # full buckets for the measured run
        client = bench_fanout.collect(proc)
        after = emu.counters()
        return _with_bound(
            {
                "caller": "flexvmss deallocate(), paced",
                "throttle": "azure",
                "time_scale": time_scale,
                "vms": N_VMS,
                "seconds": client["batch_end"] - client["batch_start"],
                "failures": client["failed"],
                "requests": after["requests"] - before["requests"],
                "throttled_429": after["throttled"]["total"] - before["throttled"]["total"],
                "setup_seconds": setup,
                "summary": client["summary"],
            },
            N_VMS,
        )


def main() -> int:
    with Emulator(time_scale=0.01) as emu:
        emu.clients().resource.resource_groups.create_or_update(RG, {"location": LOC})
        gets = [
            _in_child(_get_rate, emu.base_url, emu.ca_file, emu.subscription_id, w, GET_SECONDS)
            for w in GET_WORKERS
        ]
    actions = [
        _actions(None, 0.01),
        _actions("azure", THROTTLED_TIME_SCALE),
        _library(THROTTLED_TIME_SCALE),
    ]

    print(f"{'cheap GET (resource group)':<34}{'workers':>8}{'requests':>10}{'req/s':>10}")
    for g in gets:
        print(f"{'':<34}{g['workers']:>8}{g['requests']:>10}{g['rps']:>10.0f}")
    print()
    print(
        f"{'1,000 VM deallocates':<30}{'scale':>6}{'throttle':>9}{'seconds':>9}{'requests':>10}"
        f"{'429s':>7}{'failed':>8}{'bound s':>9}"
    )
    for a in actions:
        print(
            f"{a['caller']:<30}{a['time_scale']:>6}{a['throttle']:>9}{a['seconds']:>9.2f}"
            f"{a['requests']:>10}{a['throttled_429']:>7}{a['failures']:>8}{a['model_lower_bound_seconds']:>9.2f}"
        )
    print("bound s: the writes alone at the earliest moments Azure's published limits allow, in real seconds")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": {
                    "python": sys.version.split()[0],
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                },
                "cheap_get": gets,
                "vm_actions": actions,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {RESULTS}")
    unpaced, paced = actions[1], actions[2]
    # the throttled row must be able to miss: the unpaced caller met 429s; the library did not fail
    return 0 if unpaced["throttled_429"] > 0 and paced["failures"] == 0 and actions[0]["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
