"""Resource SKUs (``GET /subscriptions/{sub}/providers/Microsoft.Compute/skus``) from the catalog."""

from __future__ import annotations

from ...core import Context, Request, Response
from ..models.skus import filtered_location, list_skus as _list

__all__ = ["list_skus"]


def list_skus(ctx: Context, req: Request) -> Response:
    """Every SKU of the catalog, or of one location with ``$filter=location eq '<loc>'``
    (the only filter the service supports). One page; no ``nextLink`` (Azure sends the whole
    list at once: Azure/azure-rest-api-specs#15672). A location's answer is serialized once
    and reused (see :meth:`flexvmss.emulator.catalog.Catalog.answer`)."""
    location_filter = req.query.get("$filter")
    location = filtered_location(location_filter)
    answer = getattr(ctx.catalog, "answer", None)
    if location is not None and answer is not None:
        return Response(200, answer(location))
    return Response.json({"value": _list(ctx, location_filter)})
