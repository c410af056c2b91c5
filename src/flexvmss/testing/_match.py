"""Request matching for Azure Resource Manager traffic.

Two requests match when their methods are equal and their URLs are equal after
:func:`normalise_url`: scheme and host lower-cased, the default port dropped, the path
compared case-insensitively (ARM paths are) with ``//`` collapsed, and the query compared
as a sorted set of parameters without the volatile ones. Bodies are not compared: a
replay that sends a slightly different body (a new tag order, a new SDK default) still
finds its answer. Add ``"body"`` to ``match_on`` when a test is about the body.

The volatile query parameters are the ``p``, ``t``, ``c``, ``s`` and ``h`` signature
parameters ARM appends to ``Azure-AsyncOperation`` and ``Location`` URLs: they change on
every recording and mean nothing to a replay. ``$skiptoken`` and every other parameter
(``api-version`` included) are kept.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = [
    "POLL_PATH",
    "VOLATILE_QUERY_PARAMETERS",
    "azure_request_matcher",
    "is_poll_url",
    "match_key",
    "normalise_url",
]

#: Query parameters dropped before matching (ARM operation-URL signatures).
VOLATILE_QUERY_PARAMETERS = frozenset({"p", "t", "c", "s", "h"})

#: Paths of ARM operation-status and operation-result resources.
POLL_PATH = re.compile(r"/(?:operations|operationresults|operationstatuses|asyncoperations)/", re.I)

_DEFAULT_PORTS = {"https": 443, "http": 80}


@functools.lru_cache(maxsize=65536)
def normalise_url(url: str) -> str:
    """The form two URLs are compared in (see the module docstring)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/").lower() or "/"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in VOLATILE_QUERY_PARAMETERS
    )
    normalised = f"{scheme}://{netloc}{path}"
    return f"{normalised}?{urlencode(query)}" if query else normalised


def is_poll_url(url: str) -> bool:
    """Whether ``url`` is an ARM operation-status or operation-result URL."""
    return POLL_PATH.search(urlsplit(url).path) is not None


def match_key(request: Any) -> tuple[str, str]:
    """What :func:`azure_request_matcher` compares: (upper-case method, normalised URL)."""
    return request.method.upper(), normalise_url(request.uri)


def azure_request_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: method and normalised URL; raises ``AssertionError`` on a mismatch."""
    if r1.method.upper() != r2.method.upper():
        raise AssertionError(f"{r1.method} != {r2.method}")
    u1, u2 = normalise_url(r1.uri), normalise_url(r2.uri)
    if u1 != u2:
        raise AssertionError(f"{u1} != {u2}")
