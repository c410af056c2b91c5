"""Small helpers the pipeline policies share about one HTTP exchange."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = ["read_body", "url_path"]


async def read_body(http_response: Any) -> None:
    """Read a response's body, so its connection goes back to the pool (and its text can be
    parsed). A body that cannot be read is left alone: the policies that call this only
    release or inform, they never depend on the body."""
    read = getattr(http_response, "read", None)
    if read is None:
        return
    try:
        result = read()
        if hasattr(result, "__await__"):
            await result
    except Exception:
        return


def url_path(url: str) -> str:
    """The path of ``url`` (no query, so no ``sig=`` or other secret parameter), for logs and
    error texts."""
    return urlsplit(url).path
