"""JSON decoding of Azure's answers: orjson when it is installed (a dependency of flexvmss),
the standard library otherwise, with the same results."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_fast_loads: Callable[[bytes | str], Any] | None
try:
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps a broken install working
    _fast_loads = None

__all__ = ["loads"]


def loads(data: bytes | str) -> Any:
    """``data`` decoded. orjson refuses what the json module accepts (``NaN``, ``Infinity``);
    such a body is decoded again by the json module, which raises ``ValueError`` (as orjson
    does) for text that is not JSON at all. (orjson reads an integer past 64 bits as a float;
    Azure's numbers — sizes, counts, capacities — fit in 64 bits: inferred from the REST specs,
    which declare them int32/int64.)"""
    if _fast_loads is not None:
        try:
            return _fast_loads(data)
        except ValueError:
            pass
    return json.loads(data)
