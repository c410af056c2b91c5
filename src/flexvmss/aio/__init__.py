"""The async face of flexvmss: :class:`FlexScaleSet` with coroutine methods, and
:func:`sku_catalog` for a region's VM sizes without a scale set.

Use it from asyncio code (Azure Functions, services)::

    from flexvmss.aio import FlexScaleSet

    async with FlexScaleSet(subscription_id, "rg", "web") as ss:
        result = await ss.deallocate()

Everything else (specs, results, errors) is shared with the sync face: import it from
:mod:`flexvmss`.
"""

from __future__ import annotations

from flexvmss._scaleset import FlexScaleSet, sku_catalog
from flexvmss._scaleset._fleet import Fleet

__all__ = ["Fleet", "FlexScaleSet", "sku_catalog"]
