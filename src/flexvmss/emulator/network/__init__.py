"""The emulated ``Microsoft.Network`` provider.

``router`` serves virtual networks (and their subnets), NAT gateways, public IP addresses,
network interfaces, network security groups and load balancers. The compute provider
reaches network state through :mod:`._api`, never through HTTP.
"""

from __future__ import annotations

from .responses.resources import router

__all__ = ["router"]
