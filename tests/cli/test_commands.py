"""The `flexvmss` commands end to end against the emulator: output and exit codes."""

from __future__ import annotations

import json
from typing import Any

from cli_support import IMAGE, LOCATION, RG, SSH_KEY, Cli, true_power_states, true_vm_names, vm_names

from flexvmss.cli import flexvmss


def writes(emu: Any) -> int:
    by_class = emu.counters()["by_op_class"]
    return sum(by_class.get(k, 0) for k in ("write", "delete", "action"))


def test_create_from_flags_then_ls_as_table_and_json(cli: Cli) -> None:
    cli.create("web", 3)

    table = cli("ls", "web")
    assert table.exit_code == 0, table.output
    assert "web: 3 VM(s)" in table.stdout
    for column in ("power state", "provisioning state", "zone", "fault domain", "size", "priority"):
        assert column in table.stdout

    listed = cli("-o", "json", "ls", "web")
    assert listed.exit_code == 0, listed.output
    vms = json.loads(listed.stdout)
    assert len(vms) == 3
    assert {vm["power_state"] for vm in vms} == {"running"}
    assert {vm["size"] for vm in vms} == {"Standard_D2s_v5"}
    assert {vm["zone"] for vm in vms} <= {"1", "2", "3"}


def test_create_from_a_yaml_spec_file_with_a_flag_overriding_it(cli: Cli, tmp_path: Any) -> None:
    spec = tmp_path / "web.yaml"
    spec.write_text(
        f"location: {LOCATION}\n"
        "vm_size: Standard_D2s_v5\n"
        "capacity: 5\n"
        "zones: [1, 2]\n"
        f"image: {IMAGE}\n"
        f"network: {{subnet_id: {cli.subnet_id}, outbound: nat_gateway}}\n"
        f"ssh_public_keys: ['{SSH_KEY}']\n"
        "tags: {team: web}\n"
    )
    result = cli("create", "web", "--spec", str(spec), "--capacity", "2")
    assert result.exit_code == 0, result.output

    assert len(vm_names(cli("-o", "json", "ls", "web"))) == 2


def test_a_spec_file_with_an_unknown_key_is_a_clean_error(cli: Cli, tmp_path: Any) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"location": LOCATION, "vm_sise": "Standard_D2s_v5"}))
    result = cli("create", "web", "--spec", str(spec))
    assert result.exit_code == 1
    assert "vm_sise" in result.stderr
    assert "Traceback" not in result.output


def test_plan_lists_every_finding_and_exits_1_without_creating_anything(cli: Cli) -> None:
    before = writes(cli.emu)
    result = cli(
        "plan",
        "bad",
        "--location",
        LOCATION,
        "--vm-size",
        "Standard_D2s_v5",
        "--capacity",
        "1500",
        "--zones",
        "1,2,3",
        "--fault-domains",
        "3",
        "--image",
        IMAGE,
    )
    assert result.exit_code == 1, result.output
    assert "Azure would refuse this spec" in result.stderr
    assert "FLEX" in result.stdout
    assert "platform_fault_domain_count" in result.stdout
    assert writes(cli.emu) == before

    as_json = cli(
        "-o",
        "json",
        "plan",
        "bad",
        "--location",
        LOCATION,
        "--vm-size",
        "Standard_D2s_v5",
        "--capacity",
        "1500",
        "--zones",
        "1,2,3",
        "--fault-domains",
        "3",
        "--image",
        IMAGE,
    )
    findings = json.loads(as_json.stdout)
    assert {"rule_id", "severity", "field", "value", "message", "fix"} <= set(findings[0])
    assert any(f["field"] == "capacity" for f in findings)


def test_add_vm_with_its_own_size_zone_and_priority(cli: Cli) -> None:
    cli.create("web", 1)
    result = cli(
        "-o",
        "json",
        "add-vm",
        "web",
        "web-spot",
        "--vm-size",
        "Standard_D4s_v5",
        "--zone",
        "2",
        "--priority",
        "Spot",
        "--image",
        IMAGE,
        "--subnet",
        cli.subnet_id,
        "--outbound",
        "nat_gateway",
        "--ssh-key-file",
        cli.ssh_key_file,
    )
    assert result.exit_code == 0, result.output
    vm = json.loads(result.stdout)
    assert (vm["name"], vm["size"], vm["zone"], vm["priority"]) == (
        "web-spot",
        "Standard_D4s_v5",
        "2",
        "Spot",
    )
    assert "web-spot" in vm_names(cli("-o", "json", "ls", "web"))


def test_deallocate_with_a_filter_shows_progress_and_a_summary(cli: Cli) -> None:
    cli.create("web", 6)
    vms = json.loads(cli("-o", "json", "ls", "web").stdout)
    zone_one = sorted(vm["name"] for vm in vms if vm["zone"] == "1")

    result = cli("--yes", "deallocate", "web", "--where", "zone=1")
    assert result.exit_code == 0, result.output
    assert "Deallocating web" in result.stderr
    assert f"deallocate: {len(zone_one)} succeeded, 0 failed" in result.stderr

    after = true_power_states(cli.emu, [vm["name"] for vm in vms])
    assert sorted(name for name, power in after.items() if power == "deallocated") == zone_one


def test_a_failed_vm_gives_exit_code_3_and_a_failure_table(cli: Cli) -> None:
    from flexvmss.emulator import FaultRule

    cli.create("web", 3)
    victim = vm_names(cli("-o", "json", "ls", "web"))[0]
    cli.emu.add_fault(
        FaultRule(kind="lro_fail", path=f"/virtualMachines/{victim}/deallocate", code="AllocationFailed")
    )

    result = cli("--yes", "deallocate", "web")
    assert result.exit_code == 3, result.output
    assert "Failures" in result.stderr
    assert victim in result.stderr
    assert "AllocationFailed" in result.stderr
    assert "2 succeeded, 1 failed" in result.stderr

    as_json = cli("--yes", "-o", "json", "start", "web", "--names", victim)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["succeeded"] == [victim]


def test_destructive_commands_refuse_without_yes_when_no_terminal_can_answer(cli: Cli) -> None:
    cli.create("web", 2)
    before = writes(cli.emu)
    for args in (
        ("deallocate", "web"),
        ("stop", "web", "--names", "web-x"),
        ("delete-vms", "web"),
        ("delete", "web", "--cascade"),
        ("scale", "web", "1"),
    ):
        result = cli(*args, input="y\n")
        assert result.exit_code == 1, (args, result.output)
        assert "pass --yes" in result.stderr, args
    assert writes(cli.emu) == before
    assert len(vm_names(cli("-o", "json", "ls", "web"))) == 2


def test_scale_up_then_down(cli: Cli) -> None:
    cli.create("web", 2)
    up = cli("scale", "web", "4")
    assert up.exit_code == 0, up.output
    assert len(vm_names(cli("-o", "json", "ls", "web"))) == 4
    down = cli("--yes", "scale", "web", "1")
    assert down.exit_code == 0, down.output
    assert len(true_vm_names(cli.emu)) == 1  # `ls` may still list the removed VMs for a round


def test_delete_cascade_leaves_nothing_of_the_set(cli: Cli) -> None:
    cli.create("web", 3)
    result = cli("--yes", "delete", "web", "--cascade")
    assert result.exit_code == 0, result.output
    assert "Deleted scale set web" in result.stderr

    kinds = ("virtualmachines", "virtualmachinescalesets", "disks", "networkinterfaces")
    left = [r["id"] for r in cli.emu.inventory()["resources"] if r["type"].lower().split("/")[-1] in kinds]
    assert left == []
    assert cli("ls", "web").exit_code == 1


def test_delete_without_cascade_refuses_a_set_with_vms(cli: Cli) -> None:
    cli.create("web", 1)
    result = cli("--yes", "delete", "web")
    assert result.exit_code == 1
    assert "Fix:" in result.stderr
    assert "Traceback" not in result.output
    assert len(vm_names(cli("-o", "json", "ls", "web"))) == 1


def test_azure_errors_are_one_clean_message_with_the_fix(cli: Cli) -> None:
    result = cli("-g", "no-such-rg", "ls", "web")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:")
    assert "Fix:" in result.stderr
    assert "Traceback" not in result.output


def test_skus_says_which_sizes_flex_accepts_and_why_not(cli: Cli) -> None:
    result = cli("-o", "json", "skus", "--location", LOCATION)
    assert result.exit_code == 0, result.output
    sizes = {row["name"]: row for row in json.loads(result.stdout)}
    assert sizes["Standard_D2s_v5"]["flex_ok"] is True
    refused = [row for row in sizes.values() if not row["flex_ok"]]
    assert refused, "the catalog holds sizes Flex refuses"
    assert all(row["reasons"][0]["rule_id"].startswith("FLEX") for row in refused)

    only_ok = json.loads(cli("-o", "json", "skus", "--location", LOCATION, "--flex-ok").stdout)
    assert {row["name"] for row in only_ok} == {n for n, row in sizes.items() if row["flex_ok"]}


def test_missing_resource_group_is_a_usage_error(cli: Cli) -> None:
    from click.testing import CliRunner

    from flexvmss.cli import flexvmss

    result = CliRunner().invoke(flexvmss, ["--emulator", "ls", "web"], env={"FLEXVMSS_RESOURCE_GROUP": ""})
    assert result.exit_code == 2
    assert "resource group" in result.stderr


def test_rg_option_reads_its_environment_variable(cli: Cli) -> None:
    cli.create("web", 1)
    from click.testing import CliRunner

    from flexvmss.cli import flexvmss

    env = {
        "FLEXVMSS_BASE_URL": cli.emu.base_url,
        "FLEXVMSS_CA_FILE": cli.emu.ca_file,
        "FLEXVMSS_CREDENTIAL": "emulator",
        "AZURE_SUBSCRIPTION_ID": cli.emu.subscription_id,
        "FLEXVMSS_RESOURCE_GROUP": RG,
        "FLEXVMSS_OUTPUT": "json",
    }
    result = CliRunner().invoke(flexvmss, ["ls", "web"], env=env)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 1


def test_emulator_flag_runs_a_command_against_an_emulator_of_its_own() -> None:
    from click.testing import CliRunner

    from flexvmss.cli import flexvmss

    result = CliRunner().invoke(
        flexvmss,
        [
            "--emulator",
            "-g",
            "scratch",
            "-o",
            "json",
            "plan",
            "web",
            "--location",
            LOCATION,
            "--vm-size",
            "Standard_B1ls",
            "--capacity",
            "2",
            "--image",
            IMAGE,
        ],
        env={"AZURE_SUBSCRIPTION_ID": "11111111-2222-3333-4444-555555555555"},
    )
    assert result.exit_code == 1, result.output
    assert "vm_size" in {f["field"] for f in json.loads(result.stdout)}


def test_ls_of_a_set_that_does_not_exist_says_so(cli: Cli) -> None:
    result = cli("ls", "nope")
    assert result.exit_code == 1
    assert "nope" in result.stderr


def test_create_is_idempotent_and_a_different_spec_is_refused_with_the_difference(cli: Cli) -> None:
    cli.create("web", 2)
    cli.create("web", 2)
    assert len(vm_names(cli("-o", "json", "ls", "web"))) == 2

    changed = cli(
        "create", "web", "--location", LOCATION, "--vm-size", "Standard_D4s_v5", "--capacity", "2",
        "--zones", "1,2,3", "--image", IMAGE, "--subnet", cli.subnet_id, "--outbound", "nat_gateway",
        "--ssh-key-file", cli.ssh_key_file,
    )  # fmt: skip
    assert changed.exit_code == 1
    assert "Standard_D4s_v5" in changed.stderr
    assert "Fix:" in changed.stderr


def test_every_operation_command_acts_on_the_named_vms_only(cli: Cli) -> None:
    cli.create("web", 3)
    first, second, third = vm_names(cli("-o", "json", "ls", "web"))
    for command in ("stop", "start", "restart", "redeploy", "reimage", "perform-maintenance"):
        result = cli("--yes", "-o", "json", command, "web", "--names", first)
        assert result.exit_code == 0, (command, result.output)
        assert json.loads(result.stdout)["succeeded"] == [first], command
    flagged = cli("--yes", "-o", "json", "stop", "web", "--names", second, "--skip-shutdown")
    assert json.loads(flagged.stdout)["succeeded"] == [second], flagged.output

    gone = cli("--yes", "delete-vms", "web", "--names", f"{first},{second}", "--force")
    assert gone.exit_code == 0, gone.output
    assert true_vm_names(cli.emu) == [third]


def test_names_and_where_exclude_each_other(cli: Cli) -> None:
    result = cli("--yes", "start", "web", "--names", "a", "--where", "zone=1")
    assert result.exit_code == 2
    assert "exclude each other" in result.stderr


def test_create_refuses_a_bad_spec_with_the_findings_and_creates_nothing(cli: Cli) -> None:
    before = writes(cli.emu)
    result = cli(
        "create", "web", "--location", LOCATION, "--vm-size", "Standard_B1ls", "--capacity", "2",
        "--image", IMAGE, "--subnet", cli.subnet_id, "--outbound", "nat_gateway",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "nothing was created" in result.stderr
    assert "Standard_B1ls" in result.stderr and "ssh_public_keys" in result.stderr
    assert "FLEX" in result.stderr
    assert writes(cli.emu) == before


def test_every_per_vm_action_of_the_table_is_a_command_with_its_flags() -> None:
    from flexvmss._actions import PER_VM_ACTIONS

    for action in PER_VM_ACTIONS:
        command = flexvmss.commands[action.command]
        options = {opt for param in command.params for opt in getattr(param, "opts", ())}
        assert {"--names", "--where", "--concurrency", "--deadline"} <= options, action.command
        assert {flag.option for flag in action.flags} <= options, action.command
        assert command.short_help == action.help
        assert ("Asks for confirmation" in (command.help or "")) == action.destructive
