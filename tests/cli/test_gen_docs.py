"""scripts/gen_docs.py: the generated reference pages cover every rule and every command."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import click

from flexvmss._rules import rules_table
from flexvmss.cli import flexvmss

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gen_docs.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_page_has_a_row_per_rule_with_its_statuses_and_how_to_waive() -> None:
    page = load().rules_page()
    rows = rules_table()
    table_rows = [line for line in page.splitlines() if line.startswith("| `FLEX")]
    assert len(table_rows) == len(rows)
    enforced = next(r for r in rows if r["enforced_by_default"])
    line = next(line for line in table_rows if line.startswith(f"| `{enforced['id']}`"))
    assert f"`--waive {enforced['id']}`" in line
    assert enforced["status_2021"].replace("|", "\\|") in line


def test_cli_page_has_every_command_and_its_options() -> None:
    page = load().cli_page()
    commands = [name for name, cmd in flexvmss.commands.items() if not isinstance(cmd, click.Group)]
    for name in commands:
        assert f"## `flexvmss {name}`" in page
    assert "## `flexvmss emulator serve`" in page
    assert "--where FILTER" in page
    assert "AZURE_SUBSCRIPTION_ID" in page and "FLEXVMSS_RESOURCE_GROUP" in page


def test_cli_page_lists_every_per_vm_action_from_the_table() -> None:
    from flexvmss._actions import PER_VM_ACTIONS

    page = load().cli_page()
    rows = [line for line in page.splitlines() if line.startswith("| `flexvmss ")]
    assert len(rows) == len(PER_VM_ACTIONS)
    for action, row in zip(PER_VM_ACTIONS, rows, strict=True):
        assert row.startswith(f"| `flexvmss {action.command}` | `{action.method}()` |")
        assert f"`virtual_machines.{action.sdk_method}`" in row
        for flag in action.flags:
            assert f"`{flag.option}`" in row
