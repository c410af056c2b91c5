"""ARM's conventions every provider follows on the wire: conditional writes (ETags) and paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ._errors import ArmError
from ._http import Request

__all__ = ["PAGE_SIZE", "check_preconditions", "etag_headers", "paginate"]

#: Items per page of a list answer. Compute's VM list pages hold 50 VMs
#: (Azure/azure-sdk-for-go#21291, Azure/azure-sdk-for-java#36506, Azure/azure-sdk-for-node#4769,
#: Azure/azure-xplat-cli#2961); other lists are inferred to page the same way.
PAGE_SIZE = 50


def etag_headers(body: dict[str, Any]) -> dict[str, str]:
    """The ``ETag`` header that goes with a resource body (none when the body has no etag)."""
    return {"ETag": str(body["etag"])} if body.get("etag") else {}


_GENERIC_412 = "The condition specified using HTTP conditional header(s) is not met."


def _bare(etag: str) -> str:
    """An ETag without its weak marker and quotes: ``W/"abc"`` -> ``abc``."""
    value = etag.strip()
    if value[:2].upper() == "W/":
        value = value[2:]
    return value.strip('"')


def _etag_mismatch(style: str, sent: str, current: dict[str, Any]) -> ArmError:
    """The 412 a provider answers when ``If-Match`` names another ETag.

    * ``"compute"``: ``Etag provided in if-match header "<sent>" does not match etag
      "<current>" of resource.`` (kubernetes-sigs/cloud-provider-azure
      ``pkg/azclient/virtualmachineclient/testdata/AZURECLOUD.yaml``, 2026-03, api 2025-04-01).
    * ``"network"``: ``Precondition failed.`` with a ``PreconditionFailedEtagMismatch`` detail
      naming both weak ETags, the resource and "NRP data store" (the same repository's
      ``virtualnetworkclient`` recording, api 2025-05-01).
    * ``"arm"``: ARM's generic text."""
    etag = str(current.get("etag") or "")
    if style == "compute":
        return ArmError(
            412,
            "PreconditionFailed",
            f'Etag provided in if-match header "{_bare(sent)}" does not match etag "{_bare(etag)}" '
            "of resource.",
        )
    if style == "network":
        return ArmError(
            412,
            "PreconditionFailed",
            "Precondition failed.",
            details=[
                {
                    "code": "PreconditionFailedEtagMismatch",
                    "message": f'Etag provided in if-match header W/"{_bare(sent)}" does not match etag '
                    f'W/"{_bare(etag)}" of resource {current.get("id", "")} in NRP data store.',
                }
            ],
        )
    return ArmError(412, "PreconditionFailed", _GENERIC_412)


def check_preconditions(request: Request, current: dict[str, Any] | None, *, style: str = "arm") -> None:
    """Apply ``If-Match`` / ``If-None-Match`` to a write on ``current`` (None = absent).

    ``If-Match: *`` needs the resource to exist; ``If-Match: <etag>`` needs that etag;
    ``If-None-Match: *`` needs it to be absent. A failed condition is a 412, in the words of
    the provider ``style`` names (see :func:`_etag_mismatch`)."""
    if_match = request.headers.get("If-Match")
    if_none = request.headers.get("If-None-Match")
    etag = (current or {}).get("etag")
    if if_match is not None:
        if current is None:
            raise ArmError(412, "PreconditionFailed", _GENERIC_412)
        if if_match.strip() != "*" and if_match.strip() != etag:
            raise _etag_mismatch(style, if_match, current)
    if if_none is not None and if_none.strip() == "*" and current is not None:
        raise ArmError(412, "PreconditionFailed", _GENERIC_412)


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
