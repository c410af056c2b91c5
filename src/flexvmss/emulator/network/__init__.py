"""The emulated ``Microsoft.Network`` provider: virtual networks (and their subnets), NAT
gateways, public IP addresses, network interfaces, network security groups and load
balancers.

``models/`` holds the state and behaviour (no HTTP), ``responses/`` the handlers, ``urls.py``
the routing table, and ``api.py`` what other providers may call: the compute provider
reaches network state through it, never through HTTP. :data:`provider` is what the
emulator mounts; in a resource group deletion it refuses to strand resources used from
outside the group, removes its resources with their links, and releases NICs held by VMs
that went with the group.
"""

from __future__ import annotations

from ..core import Provider
from .api import release_nics_held_by
from .models.checks import check_group_delete
from .models.common import NS
from .models.writes import forget
from .urls import router

__all__ = ["DURATIONS", "provider", "router"]

#: Emulated seconds (before jitter) of the network operations.
DURATIONS: dict[str, float] = {"network.create": 3.0, "network.delete": 3.0}

provider = Provider(
    namespace=NS,
    router=router,
    durations=DURATIONS,
    check_group_delete=check_group_delete,
    remove=forget,
    forget=release_nics_held_by,
)
