"""The emulator held against real Azure answers.

Each case in ``cases/*.json`` is replayed on a reset emulator (preconditions built over
HTTPS, then the request); the status, LRO headers, body key set and types, key values and
error code/text must match what Azure answered in the cited recording. A case that does not
match yet is a strict xfail whose reason names the divergence (``DIVERGENCES.md`` is the work
list): fixing the emulator turns it into an XPASS, which fails until the marker goes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from _conformance import load_cases, run_case
from _conformance_wire import Arm

from flexvmss.emulator import Emulator

CASES = load_cases()


def _param(case: dict[str, Any]) -> Any:
    marks = []
    if case.get("xfail"):
        marks.append(pytest.mark.xfail(strict=True, reason=case["xfail"]))
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.fixture(scope="module")
def arm() -> Iterator[Arm]:
    # A manual clock: operations stay pending until a step finishes them, so "in progress"
    # and "succeeded" are both observable without waiting. Realism off: the cases compare wire
    # shapes step by step, which a visibility lag would not change but would blur.
    with Emulator(manual_clock=True, realism="off") as emu:
        session = Arm(emu)
        try:
            yield session
        finally:
            session.close()


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case_matches_azure(arm: Arm, case: dict[str, Any]) -> None:
    outcome = run_case(arm, case)
    assert not outcome.problems, "\n".join(outcome.problems)


def test_suite_covers_the_brief() -> None:
    """At least 80 cases, every area present, every case citing a dated source."""
    assert len(CASES) >= 80
    areas = Counter(c["area"] for c in CASES)
    for area in ("scale_sets", "vms", "actions", "operations", "errors", "network", "resources", "skus"):
        assert areas[area] > 0, area
    for case in CASES:
        evidence = case["evidence"]
        assert evidence["repo"] and evidence["path"] and evidence["commit"], case["id"]
        assert evidence["api_version"][:4].isdigit(), case["id"]


def test_xfail_reasons_name_a_divergence() -> None:
    """A known divergence carries a reason, a suggested fix and why it is left as it is, never a
    bare marker."""
    for case in CASES:
        if "xfail" in case:
            assert len(case["xfail"]) > 20, case["id"]
            assert case.get("fix"), case["id"]
            assert len(case.get("left", "")) > 40, case["id"]
