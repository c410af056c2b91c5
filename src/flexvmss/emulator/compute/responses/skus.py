"""Resource SKUs (``GET /subscriptions/{sub}/providers/Microsoft.Compute/skus``) from the catalog."""

from __future__ import annotations

from ...core import Context, Request, Response
from ..models.skus import list_skus as _list

__all__ = ["list_skus"]


def list_skus(ctx: Context, req: Request) -> Response:
    """Every SKU of the catalog, or of one location with ``$filter=location eq '<loc>'``
    (the only filter the service supports). One page; no ``nextLink``."""
    return Response.json({"value": _list(ctx, req.query.get("$filter"))})
