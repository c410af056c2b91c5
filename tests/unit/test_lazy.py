"""The lazy-export helper both library packages use for their public names."""

from __future__ import annotations

import subprocess
import sys

import pytest

import flexvmss.testing


def test_a_name_is_imported_on_first_read_then_kept_in_the_package():
    code = (
        "import sys, flexvmss.testing as t; "
        "before = 'flexvmss.testing._time' in sys.modules; "
        "clock = t.VirtualClock; "
        "print(before, 'flexvmss.testing._time' in sys.modules, 'VirtualClock' in vars(t))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]


def test_dir_lists_the_public_names_and_unknown_names_raise():
    assert set(flexvmss.testing.__all__) <= set(dir(flexvmss.testing))
    assert flexvmss.testing.__all__ == sorted(flexvmss.testing.__all__)
    with pytest.raises(AttributeError, match=r"'flexvmss\.testing' has no attribute 'Nope'"):
        flexvmss.testing.Nope  # noqa: B018
