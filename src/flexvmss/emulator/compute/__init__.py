"""The emulator's ``Microsoft.Compute`` provider: Flexible scale sets, VMs, disks and
Resource SKUs, with Azure's Flex rules.

``models/`` holds the state and behaviour (no HTTP), ``responses/`` the handlers that parse
a request and render Compute's answer, and ``urls.py`` the routing table with each route's
throttling policy; :data:`provider` is what the emulator mounts.
"""

from __future__ import annotations

from ..core import Provider
from .models.operations import DURATIONS
from .models.state import NS, forget_removed
from .urls import router

__all__ = ["DURATIONS", "provider", "router"]

provider = Provider(namespace=NS, router=router, durations=DURATIONS, forget=forget_removed)
