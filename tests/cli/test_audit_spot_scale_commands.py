"""`flexvmss audit`, `spot` and `scale`: leftovers of VMs Azure deleted with deleteOption Detach
(tables and JSON, swept only after confirmation), Spot VMs against the mix, partial placement."""

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


def test_scale_reports_a_partial_allocation(cli: Cli) -> None:
    cli.create("web", 1)  # zones 1, 2, 3
    cli.emu.limit_zone_capacity(LOCATION, {"1": 1, "2": 1, "3": 1})
    result = cli("-o", "json", "scale", "web", "4")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["placed"] == 3 and list(report["failed"].values()) == ["ZonalAllocationFailed"]
    assert report["per_zone"] == {"1": 1, "2": 1, "3": 1}

    shown = cli("--yes", "scale", "web", "4")
    assert shown.exit_code == 0, shown.output
    assert "asked 4, placed 3" in shown.stderr and "ZonalAllocationFailed" in shown.stderr


def test_spot_counts_and_replaces_evicted_vms(cli: Cli, tmp_path: Any) -> None:
    spec = tmp_path / "batch.yaml"
    spec.write_text(
        f"location: {LOCATION}\n"
        "vm_size: Standard_D2s_v5\n"
        "capacity: 4\n"
        f"image: {IMAGE}\n"
        f"network: {{subnet_id: {cli.subnet_id}, outbound: nat_gateway}}\n"
        "priority: Spot\n"
        "spot: {eviction_policy: Deallocate, max_price: -1}\n"
        "priority_mix: {base_regular_count: 1, regular_percentage_above_base: 0}\n"
        f"ssh_public_keys: ['{SSH_KEY}']\n"
    )
    assert cli("create", "batch", "--spec", str(spec)).exit_code == 0
    before = json.loads(cli("-o", "json", "spot", "batch").stdout)
    assert (before["regular"], before["spot_running"], before["wanted_spot"]) == (1, 3, 3)

    evicted = (
        before
        and [
            vm["name"]
            for vm in json.loads(cli("-o", "json", "ls", "batch").stdout)
            if vm["priority"] == "Spot"
        ][:2]
    )
    assert cli("--yes", "simulate-eviction", "batch", "--names", ",".join(evicted)).exit_code == 0
    cli.emu.advance(60)
    table = cli("spot", "batch")
    for _ in range(10):  # the VM list may lag the evictions by a round (realism): read again
        if "2 of 4 VM(s) serve" in table.stderr:
            break
        cli.emu.advance(20)
        table = cli("spot", "batch")
    assert table.exit_code == 0, table.output
    assert "spot evicted" in table.stdout and "2 of 4 VM(s) serve" in table.stderr

    refused = cli("spot", "batch", "--replace-evicted")
    assert refused.exit_code == 1 and "--yes" in refused.output
    after = json.loads(cli("--yes", "-o", "json", "spot", "batch", "--replace-evicted").stdout)
    assert (after["capacity"], after["useful"]) == (4, 4)
    for _ in range(10):  # the status after it reads a list that may still show the deleted VMs
        if after["spot_evicted"] == 0:
            break
        cli.emu.advance(20)
        after = json.loads(cli("-o", "json", "spot", "batch").stdout)
    assert (after["capacity"], after["spot_evicted"], after["useful"]) == (4, 0, 4)
