"""``--backend`` on the power commands and ``flexvmss fleet`` against the emulator."""

from __future__ import annotations

import json

import pytest
from cli_support import Cli, vm_names


def test_deallocate_through_scheduled_actions_reports_the_backend_per_vm(cli: Cli) -> None:
    cli.create("web", 4)

    result = cli("-o", "json", "--yes", "deallocate", "web", "--backend", "scheduled")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["succeeded"]) == 4
    assert {vm["backend"] for vm in report["vms"]} == {"scheduled"}
    routes = cli.emu.counters()["by_route"]
    assert sum(n for r, n in routes.items() if r.endswith("/virtualMachinesExecuteDeallocate")) == 1
    after = json.loads(cli("-o", "json", "ls", "web").stdout)
    assert {vm["power_state"] for vm in after} == {"deallocated"}


def test_an_unknown_backend_is_a_usage_error(cli: Cli) -> None:
    result = cli("deallocate", "web", "--backend", "server")
    assert result.exit_code == 2
    assert "--backend" in result.output


def test_fleet_deallocates_every_set_of_the_resource_group(cli: Cli) -> None:
    cli.create("web", 3)
    cli.create("api", 2)

    result = cli("-o", "json", "fleet", "deallocate")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and sorted(report["sets"]) == ["cli-rg/api", "cli-rg/web"]
    assert len(report["sets"]["cli-rg/web"]["succeeded"]) == 3
    for name in ("web", "api"):
        after = json.loads(cli("-o", "json", "ls", name).stdout)
        assert {vm["power_state"] for vm in after} == {"deallocated"}


def test_fleet_names_its_sets_and_fails_loudly_for_a_missing_one(cli: Cli) -> None:
    cli.create("web", 2)

    result = cli("fleet", "start", "--set", "web,nosuch", "--backend", "auto")

    assert result.exit_code == 3, result.output
    assert "cli-rg/nosuch" in result.output and "error" in result.output
    assert vm_names(cli("-o", "json", "ls", "web"))


def test_fleet_delete_vms_asks_first(cli: Cli) -> None:
    cli.create("web", 2)

    result = cli("fleet", "delete-vms", "--set", "web", input="n\n")

    assert result.exit_code != 0
    assert len(vm_names(cli("-o", "json", "ls", "web"))) == 2


def test_time_scale_puts_the_commands_on_a_local_emulators_clock_and_is_refused_for_azure(cli: Cli) -> None:
    from flexvmss.cli._app import Application, Settings

    local = Application(
        Settings(
            subscription_id="s",
            resource_group="rg",
            base_url=cli.emu.base_url,
            credential="emulator",
            time_scale=0.01,
        ),
        interactive=False,
    )
    try:
        assert local.endpoint().time_scale == 0.01
        assert local.endpoint().throttle().time_scale == 0.01
        ss = local.scale_set("web")
        assert ss._core._arm().settings.throttle.time_scale == 0.01
    finally:
        local.close()
    for scale, base_url in ((0.01, "https://management.azure.com"), (0.01, None), (2.0, cli.emu.base_url)):
        settings = Settings(subscription_id="s", base_url=base_url, time_scale=scale)
        app = Application(settings, interactive=False)
        try:
            with pytest.raises(SystemExit) as refused:
                app.endpoint()
            assert refused.value.code == 2
        finally:
            app.close()
    # the option on the command line, refused before anything is sent
    result = cli("--time-scale", "0.5", "--base-url", "https://management.azure.com", "ls", "web")
    assert result.exit_code == 2 and "--time-scale" in result.output
