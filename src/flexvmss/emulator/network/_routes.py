"""HTTP handlers of the emulated ``Microsoft.Network`` provider."""

from __future__ import annotations

from .._core import Router

__all__ = ["router"]

router = Router()
