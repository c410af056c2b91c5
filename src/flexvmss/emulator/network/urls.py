"""Every route of the ``Microsoft.Network`` provider: the same six per top-level type, and
GET/list (plus PUT/DELETE where writable) per child collection."""

from __future__ import annotations

from ..core import Router
from .models.common import TOP_TYPES
from .responses.children import ChildHandlers
from .responses.resources import ResourceHandlers

__all__ = ["CHILD_ROUTES", "router"]

_BASE = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network"
_SUB_BASE = "/subscriptions/{subscriptionId}/providers/Microsoft.Network"

#: (parent collection, child collection, writable): the child routes served. Read-only
#: children are changed through their parent's PUT, as the SDK's operations allow.
CHILD_ROUTES: tuple[tuple[str, str, bool], ...] = (
    ("virtualNetworks", "subnets", True),
    ("loadBalancers", "backendAddressPools", True),
    ("loadBalancers", "inboundNatRules", True),
    ("loadBalancers", "frontendIPConfigurations", False),
    ("loadBalancers", "loadBalancingRules", False),
    ("loadBalancers", "probes", False),
    ("loadBalancers", "outboundRules", False),
    ("networkSecurityGroups", "securityRules", True),
    ("networkSecurityGroups", "defaultSecurityRules", False),
    ("networkInterfaces", "ipConfigurations", False),
)

router = Router()

for _collection in TOP_TYPES:
    _top = ResourceHandlers(_collection)
    _item = f"{_BASE}/{_collection}/{{resourceName}}"
    router.add("PUT", _item, _top.put, op_class="write")
    router.add("GET", _item, _top.get, op_class="read")
    router.add("PATCH", _item, _top.patch, op_class="write")
    router.add("DELETE", _item, _top.delete, op_class="delete")
    router.add("GET", f"{_BASE}/{_collection}", _top.list_rg, op_class="list")
    router.add("GET", f"{_SUB_BASE}/{_collection}", _top.list_all, op_class="list")

for _parent, _child, _writable in CHILD_ROUTES:
    _children = ChildHandlers(_parent, _child)
    _items = f"{_BASE}/{_parent}/{{parentName}}/{_child}"
    router.add("GET", _items + "/{childName}", _children.get, op_class="read")
    router.add("GET", _items, _children.list, op_class="list")
    if _writable:
        router.add("PUT", _items + "/{childName}", _children.put, op_class="write")
        router.add("DELETE", _items + "/{childName}", _children.delete, op_class="delete")
