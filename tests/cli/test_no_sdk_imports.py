"""The command modules stay thin: they import no Azure SDK module, and loading the CLI loads none.
The command line goes through the facade: nothing under flexvmss.cli builds clients (``_arm``) or
reads the SKU catalog (``_skus``) itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import flexvmss.cli

CLI_DIR = Path(flexvmss.cli.__file__).parent
#: A command is a module (``ls.py``) or, once its logic grows, a package (``demo/__init__.py``
#: plus ``demo/core.py``), as in hatch.
COMMAND_MODULES = sorted(
    [p for p in CLI_DIR.glob("*.py") if not p.name.startswith("_")]
    + [p for p in CLI_DIR.glob("*/__init__.py") if not p.parent.name.startswith("_")]
)


def _command_name(path: Path) -> str:
    return path.parent.name if path.name == "__init__.py" else path.stem


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_there_is_a_module_per_command() -> None:
    names = {_command_name(p) for p in COMMAND_MODULES}
    assert {"create", "plan", "add_vm", "ls", "ops", "scale", "delete", "skus", "emulator", "demo"} <= names


def test_command_modules_import_no_azure_sdk_module() -> None:
    offenders = {
        _command_name(path): [m for m in _imported_modules(path) if m == "azure" or m.startswith("azure.")]
        for path in COMMAND_MODULES
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


#: Library layers below the facade that the command line must not reach around it.
BELOW_THE_FACADE = ("flexvmss._arm", "flexvmss._skus")


def test_no_cli_module_reaches_below_the_facade() -> None:
    every_module = sorted(CLI_DIR.rglob("*.py"))
    assert any(p.parent.name == "demo" for p in every_module)  # the walk sees subpackages
    offenders = {
        str(path.relative_to(CLI_DIR)): [m for m in _imported_modules(path) if m.startswith(BELOW_THE_FACADE)]
        for path in every_module
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_check_above_sees_an_import_below_the_facade(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from flexvmss._arm import build_clients\n", encoding="utf-8")
    assert [m for m in _imported_modules(probe) if m.startswith(BELOW_THE_FACADE)] == ["flexvmss._arm"]


def test_loading_the_cli_and_its_help_loads_no_azure_module() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from flexvmss.cli import flexvmss\n"
        "result = CliRunner().invoke(flexvmss, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m == 'azure' or m.startswith('azure.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
