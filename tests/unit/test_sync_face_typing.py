"""What mypy --strict sees of the sync face: real signatures, so mistakes are errors."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each line that must draw a diagnostic ends with a marker: "# E: <code>" for an error,
# "# R: <regex>" for the revealed type. Every other line must draw none.
PROBE = """
from typing import reveal_type

import flexvmss
from flexvmss import BatchResult, FlexScaleSet

ss = FlexScaleSet("s", "rg", "w", bogus=1)  # E: call-arg
ss.dealocate()  # E: attr-defined
reveal_type(ss.deallocate())  # R: flexvmss\\.[\\w.]*\\bBatchResult
ss.deallocate(concurrency="many")  # E: arg-type
ss.deallocate(["a"], True)  # E: call-arg
ss.name = "other"  # E: misc
reveal_type(ss.vms(instance_view=True))  # R: ^list\\[flexvmss\\.[\\w.]*\\bVmInfo\\]
reveal_type(ss.delete())  # R: flexvmss\\.[\\w.]*\\bTeardownResult
reveal_type(ss.aio.deallocate)  # R: def .*Coroutine\\[Any, Any, flexvmss\\.[\\w.]*\\bBatchResult\\]

with flexvmss.FlexScaleSet("s", "rg", "w", waive=["FLEX012"]) as same:
    reveal_type(same)  # R: flexvmss\\.[\\w.]*\\bFlexScaleSet$
    result: BatchResult = same.start(where=lambda vm: vm.zone == "2", deadline=60.0)
    same.close()
"""

_LINE = re.compile(r"^probe\.py:(\d+): (error|note): (.*?)(?:  \[([\w-]+)\])?$")


@pytest.fixture(scope="module")
def diagnostics(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[tuple[str, str, str | None]]]:
    work = tmp_path_factory.mktemp("mypy-probe")
    (work / "probe.py").write_text(textwrap.dedent(PROBE).lstrip(), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(work / "cache"),
            "--no-error-summary",
            "--show-error-codes",
            "probe.py",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 2 would be mypy failing to run
    found: dict[int, list[tuple[str, str, str | None]]] = {}
    for line in done.stdout.splitlines():
        match = _LINE.match(line)
        assert match, f"unexpected mypy output: {line}"
        number, severity, message, code = match.groups()
        if severity == "note" and not message.startswith("Revealed type"):
            continue  # context for the error above it ("defined here", hints)
        found.setdefault(int(number), []).append((severity, message, code))
    return found


def _expectations() -> dict[int, tuple[str, str]]:
    expected: dict[int, tuple[str, str]] = {}
    for number, line in enumerate(textwrap.dedent(PROBE).lstrip().splitlines(), start=1):
        for marker in ("# E: ", "# R: "):
            if marker in line:
                expected[number] = (marker[2], line.split(marker, 1)[1])
    return expected


def test_every_marked_line_draws_its_diagnostic_and_no_other_line_draws_one(diagnostics):
    expected = _expectations()
    assert set(diagnostics) == set(expected), diagnostics
    for number, (kind, want) in expected.items():
        (severity, message, code), *more = diagnostics[number]
        assert not more, diagnostics[number]
        if kind == "E":
            assert (severity, code) == ("error", want), (number, message)
        else:
            assert severity == "note"
            revealed = message.removeprefix('Revealed type is "').removesuffix('"')
            assert re.search(want, revealed), (number, revealed)


def test_a_misspelt_method_is_named_with_its_fix(diagnostics):
    line = next(n for n, (_, want) in _expectations().items() if want == "attr-defined")
    assert 'has no attribute "dealocate"; maybe "deallocate"?' in diagnostics[line][0][1]


def test_an_unknown_keyword_argument_is_named(diagnostics):
    line = next(n for n, (_, want) in _expectations().items() if want == "call-arg")
    assert 'Unexpected keyword argument "bogus"' in diagnostics[line][0][1]
