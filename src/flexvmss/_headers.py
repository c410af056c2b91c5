"""Response headers, read fast and case-insensitively (no flexvmss imports: every layer uses it)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

__all__ = ["LoweredHeaders", "case_insensitive", "lower_headers"]


def _multidict_items(headers: Mapping[str, str]) -> Iterable[tuple[str, str]] | None:
    """The (name, value) pairs of a multidict, read through multidict's own ``items()``, or
    None when ``headers`` is not one.

    azure-core's aiohttp response headers subclass multidict's ``CIMultiDict`` and override
    ``items()``/``keys()`` in Python (grouping repeated names with ``itertools.groupby``,
    azure-core 1.3x ``rest/_aiohttp.py``): reading a response's headers that way cost tens of
    microseconds, on every answer of a 1,000-VM batch. multidict's own ``items()`` is C. A
    multidict only exists once aiohttp imported it, so this never imports anything."""
    multidict = sys.modules.get("multidict")
    if multidict is None:
        return None
    kinds = (multidict.CIMultiDict, multidict.CIMultiDictProxy, multidict.MultiDict, multidict.MultiDictProxy)
    for kind in kinds:
        if isinstance(headers, kind):
            return kind.items(headers)  # type: ignore[no-any-return]
    return None


def case_insensitive(headers: Mapping[str, str]) -> bool:
    """Whether ``headers.get`` already ignores case (a case-insensitive multidict, such as
    azure-core's and aiohttp's response headers)."""
    multidict = sys.modules.get("multidict")
    return multidict is not None and isinstance(headers, (multidict.CIMultiDict, multidict.CIMultiDictProxy))


class LoweredHeaders(dict[str, str]):
    """Headers already lowered by :func:`lower_headers`: lowering them again returns them as
    they are (a response's headers are read by the throttle policy, then by whoever reads the
    answer: one pass over them, not one per reader)."""


def lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """``headers`` as a plain dict with lower-cased names; a repeated name's values joined
    with ``", "`` (as azure-core's ``headers[name]`` joins them, RFC 9110 section 5.3)."""
    if isinstance(headers, LoweredHeaders):
        return headers
    if not headers:
        return LoweredHeaders()
    items = _multidict_items(headers)
    out = LoweredHeaders()
    for key, value in items if items is not None else headers.items():
        lowered = key.lower()
        known = out.get(lowered)
        out[lowered] = value if known is None else f"{known}, {value}"
    return out
