"""The emulated ``Microsoft.Resources`` resource groups.

Create, get, HEAD (existence), PATCH, list and delete of resource groups, plus ARM's
``/subscriptions/{sub}/operationresults/{token}`` endpoint that a group deletion's
``Location`` header points at. ``models/`` holds the state and behaviour, ``responses/``
the handlers, ``urls.py`` the routing table; :data:`provider` is what the emulator mounts.
"""

from __future__ import annotations

from ..core import Provider
from .urls import router

__all__ = ["DURATIONS", "provider", "router"]

#: Emulated seconds (before jitter) of a resource group deletion.
DURATIONS: dict[str, float] = {"rg.delete": 20.0}

provider = Provider(namespace="Microsoft.Resources", router=router, durations=DURATIONS)
