"""Importing flexvmss must stay cheap: no azure-mgmt module until a client is needed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = """
import json, sys
{stmt}
print(json.dumps(sorted(m for m in sys.modules if m.startswith("azure.mgmt"))))
"""


def _mgmt_modules_after(stmt: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(stmt=stmt)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "stmt",
    [
        "import flexvmss",
        "import flexvmss.aio",
        "from flexvmss import FlexScaleSet, ScaleSetSpec, VmSpec, NetworkSpec, ImageSpec, BatchResult",
        # constructing the facade sends nothing and builds no client
        "import flexvmss\nflexvmss.FlexScaleSet('sub', 'rg', 'web')",
        "from flexvmss.aio import FlexScaleSet\nFlexScaleSet('sub', 'rg', 'web')",
    ],
)
def test_no_azure_mgmt_module_is_imported(stmt: str) -> None:
    assert _mgmt_modules_after(stmt) == []


def test_the_probe_sees_azure_mgmt_when_it_is_imported() -> None:
    # guards the test above against a probe that can never see anything
    assert "azure.mgmt.compute" in _mgmt_modules_after("import azure.mgmt.compute")
