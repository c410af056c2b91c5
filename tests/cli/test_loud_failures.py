"""The command line is loud where the library is (issue 11): an operation on a set that does not
exist, or with a credential that cannot sign in, exits 1 naming what it looked for and the fix."""

from __future__ import annotations

import pytest
from cli_support import RG, Cli

#: The AZURE_* variables EnvironmentCredential reads, unset (CliRunner removes None values).
NO_SIGN_IN = {
    name: None
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_USERNAME",
        "AZURE_PASSWORD",
    )
}


@pytest.mark.parametrize("command", ["deallocate", "start", "restart", "delete-vms"])
def test_an_operation_on_a_set_that_does_not_exist_exits_1_naming_it(cli: Cli, command: str) -> None:
    result = cli(command, "nosuchset", env={"FLEXVMSS_YES": "1"})
    assert result.exit_code == 1, result.output
    assert "nosuchset" in result.stderr and RG in result.stderr
    assert "Fix:" in result.stderr and "Traceback" not in result.output


def test_a_credential_that_cannot_sign_in_exits_1_with_how_to_sign_in(cli: Cli) -> None:
    result = cli("--credential", "environment", "ls", "web", env=NO_SIGN_IN)  # type: ignore[arg-type]
    assert result.exit_code == 1, result.output
    assert "EnvironmentCredential" in result.stderr
    assert "az login" in result.stderr and "AZURE_CLIENT_ID" in result.stderr
    assert "support" not in result.stderr.lower() and "Traceback" not in result.output


def test_a_half_configured_environment_credential_exits_1_with_the_fix(cli: Cli) -> None:
    half = {**NO_SIGN_IN, "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "", "AZURE_CLIENT_SECRET": "not-shown"}
    result = cli("--credential", "environment", "ls", "web", env=half)  # type: ignore[arg-type]
    assert result.exit_code == 1, result.output
    assert "client_id" in result.stderr and "AZURE_CLIENT_ID" in result.stderr
    assert "not-shown" not in result.output and "Traceback" not in result.output
