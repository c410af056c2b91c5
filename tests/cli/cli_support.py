"""Helpers for the command-line tests: a network to put scale sets on, and a runner that
points `flexvmss` at the emulator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner, Result

from flexvmss.cli import flexvmss

RG = "cli-rg"
LOCATION = "eastus"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICEH2JLy4VWrgBfyXBh37AX+c6p/M9qCzne0u3mcgd2k cli-test"
IMAGE = "Canonical:ubuntu-24_04-lts:server:latest"


def make_network(emu: Any, rg: str = RG) -> str:
    """A resource group, and a subnet whose NAT gateway gives VMs outbound access; returns the subnet id."""
    clients = emu.clients()
    clients.resource.resource_groups.create_or_update(rg, {"location": LOCATION})
    net = clients.network
    prefix = f"/subscriptions/{emu.subscription_id}/resourceGroups/{rg}/providers/Microsoft.Network"
    net.public_ip_addresses.begin_create_or_update(
        rg,
        "nat-ip",
        {
            "location": LOCATION,
            "sku": {"name": "Standard"},
            "properties": {"publicIPAllocationMethod": "Static"},
        },
    ).result()
    net.nat_gateways.begin_create_or_update(
        rg,
        "nat",
        {
            "location": LOCATION,
            "sku": {"name": "Standard"},
            "properties": {"publicIpAddresses": [{"id": f"{prefix}/publicIPAddresses/nat-ip"}]},
        },
    ).result()
    net.virtual_networks.begin_create_or_update(
        rg,
        "vnet",
        {
            "location": LOCATION,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [
                    {
                        "name": "vms",
                        "properties": {
                            "addressPrefix": "10.0.0.0/20",
                            "natGateway": {"id": f"{prefix}/natGateways/nat"},
                        },
                    }
                ],
            },
        },
    ).result()
    return f"{prefix}/virtualNetworks/vnet/subnets/vms"


@dataclass
class Cli:
    """Runs `flexvmss` against the emulator with no terminal attached (like CI)."""

    emu: Any
    subnet_id: str
    ssh_key_file: str

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        base = [
            "--base-url",
            self.emu.base_url,
            "--ca-file",
            self.emu.ca_file,
            "--credential",
            "emulator",
            "--subscription",
            self.emu.subscription_id,
            "--time-scale",  # the emulator's clock: Azure's waits (polls, settling) pass as fast
            str(self.emu.time_scale),
            "-g",
            RG,
        ]
        return runner.invoke(
            flexvmss,
            [*base, *args],
            input=input,
            env={"COLUMNS": "250", "NO_COLOR": "1", **(env or {})},
            catch_exceptions=False,
        )

    def create(self, name: str, capacity: int, *extra: str) -> Result:
        result = self(
            "create",
            name,
            "--location",
            LOCATION,
            "--vm-size",
            "Standard_D2s_v5",
            "--capacity",
            str(capacity),
            "--zones",
            "1,2,3",
            "--image",
            IMAGE,
            "--subnet",
            self.subnet_id,
            "--outbound",
            "nat_gateway",
            "--ssh-key-file",
            self.ssh_key_file,
            *extra,
        )
        assert result.exit_code == 0, result.output
        return result


def vm_names(result: Result) -> Sequence[str]:
    import json

    return sorted(vm["name"] for vm in json.loads(result.stdout))


def true_power_states(emu: Any, names: Sequence[str], rg: str = RG) -> dict[str, str]:
    """Each VM's power state from its own instance view: a list read (``ls``) may lag a change
    by a round, as Azure's does (the emulator's realism), so a test of what a command did reads
    the VMs themselves."""
    compute = emu.clients().compute
    out = {}
    for name in names:
        codes = [s.code for s in compute.virtual_machines.instance_view(rg, name).statuses or []]
        out[name] = next((c.split("/", 1)[1] for c in codes if c and c.startswith("PowerState/")), "unknown")
    return out


def true_vm_names(emu: Any, rg: str = RG) -> list[str]:
    """The VMs that exist in ``rg`` (the emulator's inventory, never stale)."""
    group = f"/subscriptions/{emu.subscription_id}/resourcegroups/{rg}"
    prefix = f"{group}/providers/microsoft.compute/virtualmachines/"
    return sorted(
        str(r["id"]).rsplit("/", 1)[1]
        for r in emu.inventory()["resources"]
        if str(r["id"]).lower().startswith(prefix.lower())
    )
