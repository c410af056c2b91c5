"""Lazy public names for a package's ``__init__`` (PEP 562), so importing it costs nothing.

::

    _EXPORTS = {"FlexScaleSet": "._sync", ...}          # public name -> module defining it
    __getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

A name is imported from its module the first time it is read, then kept in the package's
namespace (later reads are plain attribute look-ups). Used by ``flexvmss`` and
``flexvmss.testing``; :mod:`flexvmss.emulator` keeps its own copy, because the emulator never
imports the library.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package``, whose public names are the keys of
    ``exports`` and are defined in the modules its values name (relative to ``package``)."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    public = sorted(exports)

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__, public
