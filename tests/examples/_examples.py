"""Loading an example's module as the Functions host does: from its file, by a module name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_example(path: Path, name: str) -> ModuleType:
    """The module in ``path``, imported as ``name`` (registered in ``sys.modules``, as the host's
    indexing imports it)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
