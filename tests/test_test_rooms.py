"""Tests in their right rooms, and loud (issue 17, point 5).

* The in-package emulator is imported plainly: ``pytest.importorskip`` of it would turn a
  broken emulator into skipped tests.
* Nothing reads the steering repository's ``shared/`` folder: CI runs on a clean checkout where
  it does not exist, so the Azure examples the wire-shape tests hold against are vendored in
  tests/data/azure-examples (its README names their source paths and commits).
* Where an emulator places a VM (zone, fault domain) is Azure's decision, not the library's:
  tests of the spread live in tests/emulator; the library suites check what the library sends
  and how it reports each VM, never a distribution.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
EXAMPLES = TESTS / "data" / "azure-examples"
THIS = Path(__file__).resolve()


def _test_sources(*rooms: str) -> dict[str, str]:
    roots = [TESTS / room for room in rooms] if rooms else [TESTS]
    return {
        path.relative_to(TESTS).as_posix(): path.read_text(encoding="utf-8")
        for root in roots
        for path in sorted(root.rglob("*.py"))
        if path.resolve() != THIS
    }


def test_the_emulator_is_never_imported_with_importorskip() -> None:
    skipping = re.compile(r"importorskip\(\s*[\"']flexvmss")
    offenders = [name for name, text in _test_sources().items() if skipping.search(text)]
    assert offenders == [], f"importorskip of flexvmss turns a broken emulator into skips: {offenders}"


def test_no_test_reads_the_shared_folder_outside_the_repository() -> None:
    outside = re.compile(r"/work/shared|\.\./shared|parents\[\d\]\s*/\s*[\"']shared[\"']")
    offenders = [name for name, text in _test_sources().items() if outside.search(text)]
    assert offenders == [], f"a clean checkout has no shared/ folder; vendor what these read: {offenders}"


def test_the_vendored_azure_examples_are_all_there_and_documented() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    files = sorted(EXAMPLES.glob("*.json"))
    assert len(files) == 9
    for path in files:
        assert f"`{path.name}`" in readme, f"{path.name} has no source line in the README"
        json.loads(path.read_text(encoding="utf-8"))  # whole and parseable
    assert len(re.findall(r"\| [0-9a-f]{40} \|", readme)) == len(files)  # a commit per file


def test_library_suites_do_not_test_where_the_emulator_places_vms() -> None:
    # a count of VMs per zone or fault domain is the emulator's placement, not the library's
    spread = re.compile(r"Counter\([^)]*\.(zone|platform_fault_domain)\b|sorted\(\s*\w+\.zone for")
    # a line marked "# placement: setup" reads where VMs sit only to set the test up (or to check
    # a zone the library itself sent), and is not what the test asserts about Azure
    offenders = [
        name
        for name, text in _test_sources("library", "integration", "reliability").items()
        if any(spread.search(line) and "# placement: setup" not in line for line in text.splitlines())
    ]
    assert offenders == [], f"placement tests belong in tests/emulator: {offenders}"
