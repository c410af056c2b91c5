"""A newcomer's first hour with the command line (issue 13): options where people type them, a
VM shaped like its set, a set's spec file reused for its VMs, Ctrl-C's exit code, help texts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import IMAGE, LOCATION, SSH_KEY, Cli, vm_names
from click.testing import CliRunner

from flexvmss.cli import flexvmss


@pytest.fixture(autouse=True)
def _no_faults(cli_emulator: Any) -> None:
    cli_emulator.clear_faults()  # a reset keeps fault rules other tests of the session added


def test_global_options_also_after_the_command(cli: Cli) -> None:
    cli.create("web", 3)
    listed = cli("ls", "web", "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)) == 3

    done = cli("deallocate", "web", "--where", "zone=2", "--yes")  # --yes after the command
    assert done.exit_code == 0, done.output
    gone = cli("delete", "web", "--cascade", "--yes")
    assert gone.exit_code == 0, gone.output


def test_an_option_after_the_command_wins_over_the_same_before_it_and_the_environment(cli: Cli) -> None:
    cli.create("web", 2)
    as_json = cli("-o", "table", "ls", "web", "--output", "json", env={"FLEXVMSS_OUTPUT": "table"})
    assert as_json.exit_code == 0 and len(json.loads(as_json.stdout)) == 2
    elsewhere = cli("ls", "web", "-g", "no-such-rg")  # -g after the command moves the command there
    assert elsewhere.exit_code == 1 and "no-such-rg" in elsewhere.output


def test_add_vm_takes_size_image_subnet_and_keys_from_the_sets_profile(cli: Cli) -> None:
    cli.create("web", 2)
    added = cli("add-vm", "web", "web-extra", "--zone", "3", "-o", "json")
    assert added.exit_code == 0, added.output
    vm = json.loads(added.stdout)
    assert (vm["size"], vm["zone"]) == ("Standard_D2s_v5", "3")
    props = cli.emu.clients().compute.virtual_machines.get("cli-rg", "web-extra").as_dict()["properties"]
    assert props["storageProfile"]["imageReference"]["offer"] == "ubuntu-24_04-lts"
    assert props["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]["keyData"] == SSH_KEY
    nic = props["networkProfile"]["networkInterfaceConfigurations"][0]["properties"]
    subnet = nic["ipConfigurations"][0]["properties"]["subnet"]["id"]
    assert subnet.lower() == cli.subnet_id.lower()


def test_add_vm_reuses_the_sets_own_spec_file(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "web.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "location": LOCATION,
                "vm_size": "Standard_D2s_v5",
                "capacity": 2,
                "zones": [1, 2, 3],
                "image": IMAGE,
                "network": {"subnet_id": cli.subnet_id, "outbound": "nat_gateway"},
                "ssh_public_keys": [SSH_KEY],
                "tags": {"team": "web"},
            }
        )
    )
    assert cli("create", "web", "--spec", str(spec)).exit_code == 0
    added = cli("add-vm", "web", "web-extra", "--spec", str(spec), "--zone", "1")
    assert added.exit_code == 0, added.output
    assert "a VM takes capacity, location, zones from its set" in added.stderr
    assert "web-extra" in vm_names(cli("ls", "web", "-o", "json"))
    no_zone = cli("add-vm", "web", "web-more", "--spec", str(spec))
    assert no_zone.exit_code == 1 and "FLEX030" in no_zone.output  # a zonal set's VM needs a zone


def test_add_vm_is_refused_like_a_set_when_it_has_no_outbound_path(cli: Cli) -> None:
    cli.emu.create_network("cli-rg", LOCATION, prefix="other", address_space="10.9.0.0/16")
    plain = f"{cli.subnet_id.rsplit('/virtualNetworks/', 1)[0]}/virtualNetworks/other-vnet/subnets/plain"
    cli.create("web", 1)
    refused = cli("add-vm", "web", "lonely", "--zone", "1", "--subnet", plain)
    assert refused.exit_code == 1 and "FLEX012" in refused.output  # an error, as for the set
    assert "lonely" not in vm_names(cli("ls", "web", "-o", "json"))


def test_delete_defaults_to_no_cascade_in_the_cli_and_in_python(cli: Cli) -> None:
    import inspect

    from flexvmss import FlexScaleSet
    from flexvmss.cli.delete import delete

    cascade = next(p for p in delete.params if p.name == "cascade")
    assert cascade.default is False
    assert inspect.signature(FlexScaleSet.delete).parameters["cascade"].default is False


def test_ctrl_c_during_a_batch_exits_130_after_reporting_what_was_done(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flexvmss import BatchResult, FlexScaleSet, Interrupted
    from flexvmss._fanout import Outcome, VmResult

    cli.create("web", 2)
    names = vm_names(cli("ls", "web", "-o", "json"))
    partial = BatchResult(
        operation="deallocate",
        results={
            names[0]: VmResult(names[0], Outcome.SUCCEEDED),
            names[1]: VmResult(names[1], Outcome.NOT_STARTED, detail="interrupted"),
        },
    )

    def interrupted(self: Any, *args: Any, **kwargs: Any) -> BatchResult:
        raise Interrupted("deallocate", partial)

    monkeypatch.setattr(FlexScaleSet, "deallocate", interrupted)
    result = cli("deallocate", "web", "--yes")
    assert result.exit_code == 130, result.output
    assert "Interrupted" in result.stderr and "1 succeeded" in result.stderr


def test_ctrl_c_outside_a_batch_exits_130(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from flexvmss import FlexScaleSet

    def interrupted(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(FlexScaleSet, "vms", interrupted)
    assert cli("ls", "web").exit_code == 130


def test_demo_help_says_which_way_time_scale_goes() -> None:
    text = CliRunner().invoke(flexvmss, ["demo", "--help"], env={"COLUMNS": "200"}).output
    assert "Real seconds per emulated second" in text and "smaller is faster" in text
