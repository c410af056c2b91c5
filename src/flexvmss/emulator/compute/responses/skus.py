"""Resource SKUs (``GET /subscriptions/{sub}/providers/Microsoft.Compute/skus``) from the catalog."""

from __future__ import annotations

import copy
import re
from typing import Any

from ...core import ArmError, Context, Request, Response, Router

__all__ = ["router"]

router = Router()

_LOCATION_FILTER = re.compile(r"^\s*location\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)


@router.route(
    "GET",
    "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/skus",
    op_class="list",
    policy="LowCostGet",
)
def list_skus(ctx: Context, req: Request) -> Response:
    """Every SKU of the catalog, or of one location with ``$filter=location eq '<loc>'``
    (the only filter the service supports). One page; no ``nextLink``."""
    catalog: dict[str, list[dict[str, Any]]] = ctx.catalog or {}
    raw = req.query.get("$filter")
    if raw:
        m = _LOCATION_FILTER.match(raw)
        if m is None:
            raise ArmError.invalid_parameter(
                f"The $filter '{raw}' is not supported. Only the location filter is supported currently.",
                target="$filter",
            )
        items = catalog.get(m.group(1).replace(" ", "").lower(), [])
    else:
        items = [item for loc in catalog for item in catalog[loc]]
    return Response.json({"value": copy.deepcopy(items)})
