"""`flexvmss audit`: leftovers of VMs Azure deleted with deleteOption Detach, shown as a table
and as JSON, swept only after confirmation."""

from __future__ import annotations

import json
from typing import Any

from cli_support import IMAGE, LOCATION, RG, SSH_KEY, Cli


def detach_set(cli: Cli, tmp_path: Any, capacity: int = 3) -> str:
    spec = tmp_path / "web.yaml"
    spec.write_text(
        f"location: {LOCATION}\n"
        "vm_size: Standard_D2s_v5\n"
        f"capacity: {capacity}\n"
        f"image: {IMAGE}\n"
        f"network: {{subnet_id: {cli.subnet_id}, outbound: nat_gateway, delete_option: Detach}}\n"
        "detach_reason: kept for forensics\n"
        f"ssh_public_keys: ['{SSH_KEY}']\n"
    )
    result = cli("create", "web", "--spec", str(spec))
    assert result.exit_code == 0, result.output
    compute = "providers/Microsoft.Compute/virtualMachineScaleSets"
    return f"/subscriptions/{cli.emu.subscription_id}/resourceGroups/{RG}/{compute}/web"


def nic_names(emu: Any) -> set[str]:
    return {nic.name for nic in emu.clients().network.network_interfaces.list(RG)}


def test_audit_lists_leftovers_and_sweep_needs_confirmation(cli: Cli, tmp_path: Any) -> None:
    set_id = detach_set(cli, tmp_path)
    clean = cli("audit", "web")
    assert clean.exit_code == 0, clean.output
    assert "nothing left behind" in clean.output

    cli.emu.simulate_scale_in(set_id, 2)
    table = cli("audit", "web")
    assert table.exit_code == 0, table.output
    assert "left behind" in table.stdout and "network interface" in table.stdout
    assert "--sweep" in table.output

    listed = json.loads(cli("-o", "json", "audit", "web").stdout)
    left = {item["name"] for item in listed["leftovers"]}
    assert len(left) == 2 and {item["proof"] for item in listed["leftovers"]} == {"name"}
    assert left <= nic_names(cli.emu)

    refused = cli("audit", "web", "--sweep")  # no terminal to confirm, no --yes
    assert refused.exit_code == 1
    assert "--yes" in refused.output
    assert left <= nic_names(cli.emu)

    swept = cli("--yes", "-o", "json", "audit", "web", "--sweep")
    assert swept.exit_code == 0, swept.output
    assert len(json.loads(swept.stdout)["deleted"]) == 2
    assert not left & nic_names(cli.emu)
    assert len(nic_names(cli.emu)) == 1  # the live VM's NIC stays


def test_audit_mark_tags_the_live_vms_resources(cli: Cli, tmp_path: Any) -> None:
    detach_set(cli, tmp_path, capacity=2)
    marked = json.loads(cli("-o", "json", "audit", "web", "--mark").stdout)
    assert len(marked["marked"]) == 2
    assert marked["leftovers"] == [] and marked["suspects"] == []
