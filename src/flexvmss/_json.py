"""JSON decoding of Azure's answers: orjson when it is installed (a dependency of flexvmss),
the standard library otherwise, with the same results."""

from __future__ import annotations

import json
from typing import Any

try:
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps a broken install working
    _fast_loads = json.loads

__all__ = ["loads"]


def loads(data: bytes | str) -> Any:
    """``data`` decoded. orjson refuses what the json module accepts (``NaN``, ``Infinity``);
    such a body is decoded again by the json module, which raises ``ValueError`` (as orjson
    does) for text that is not JSON at all. (orjson reads an integer past 64 bits as a float;
    Azure's numbers — sizes, counts, capacities — fit in 64 bits.)"""
    try:
        return _fast_loads(data)
    except ValueError:
        return json.loads(data)
