"""ARM's conventions every provider follows on the wire: conditional writes (ETags) and paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ._errors import ArmError
from ._http import Request

__all__ = ["check_preconditions", "etag_headers", "paginate"]


def etag_headers(body: dict[str, Any]) -> dict[str, str]:
    """The ``ETag`` header that goes with a resource body (none when the body has no etag)."""
    return {"ETag": str(body["etag"])} if body.get("etag") else {}


def check_preconditions(request: Request, current: dict[str, Any] | None) -> None:
    """Apply ``If-Match`` / ``If-None-Match`` to a write on ``current`` (None = absent).

    ``If-Match: *`` needs the resource to exist; ``If-Match: <etag>`` needs that etag;
    ``If-None-Match: *`` needs it to be absent. A failed condition is ARM's 412."""
    if_match = request.headers.get("If-Match")
    if_none = request.headers.get("If-None-Match")
    etag = (current or {}).get("etag")
    if if_match is not None and (current is None or (if_match.strip() != "*" and if_match.strip() != etag)):
        raise ArmError(
            412,
            "PreconditionFailed",
            "The condition specified using HTTP conditional header(s) is not met.",
        )
    if if_none is not None and if_none.strip() == "*" and current is not None:
        raise ArmError(
            412,
            "PreconditionFailed",
            "The condition specified using HTTP conditional header(s) is not met.",
        )


def paginate(request: Request, items: list[Any], page_size: int, base_url: str) -> dict[str, Any]:
    """One page of ``items`` in ARM's list shape, with an absolute ``nextLink`` when more remain.

    The page position travels in a ``$skiptoken`` query parameter (an opaque offset)."""

    try:
        start = int(request.query.get("$skiptoken", "0"))
    except ValueError:
        raise ArmError.bad_request("The $skiptoken is not valid.", code="InvalidSkipToken") from None
    page = items[start : start + page_size]
    body: dict[str, Any] = {"value": page}
    if start + page_size < len(items):
        query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = str(start + page_size)
        body["nextLink"] = f"{base_url.rstrip('/')}{request.path}?{urlencode(query)}"
    return body
