"""The facade users hold, in small rooms.

* :mod:`._values`: what it returns (:class:`VmInfo`, :class:`ScaleSetInfo`,
  :class:`TeardownResult`) and the checked parsing of Azure's bodies;
* :mod:`._clients`: the clients it builds or borrows, error mapping, the SKU catalog path;
* :mod:`._core`: the set's address and the reads and fan-out every operation shares;
* :mod:`._preflight`: the facts the Flex rules need, read first, then the rules;
* :mod:`._create`: the set, VMs into it, its capacity;
* :mod:`._per_vm`: per-VM operations from the one table, :data:`flexvmss._actions.PER_VM_ACTIONS`;
* :mod:`._teardown`: deleting VMs and the ordered teardown;
* :mod:`._audit`: leftovers of deleted VMs, found and swept;
* :mod:`._spot`: Spot VMs against the priority mix;
* :mod:`._placement`: where VMs landed against the capacity asked;
* :mod:`._facade`: :class:`FlexScaleSet`, one typed, documented method per operation.

Data flows one way: the facade calls the rooms, the rooms call the layers below
(:mod:`flexvmss._rules`, :mod:`flexvmss._specs`, :mod:`flexvmss._skus`, :mod:`flexvmss._fanout`,
:mod:`flexvmss._arm`).
"""

from __future__ import annotations

from flexvmss._scaleset._audit import AuditResult, Leftover
from flexvmss._scaleset._clients import sku_catalog
from flexvmss._scaleset._core import SET_TAG
from flexvmss._scaleset._facade import FlexScaleSet
from flexvmss._scaleset._placement import PlacementReport, ScaleResult
from flexvmss._scaleset._spot import SpotReplacement, SpotStatus
from flexvmss._scaleset._values import ScaleSetInfo, TeardownResult, VmInfo

__all__ = [
    "SET_TAG",
    "AuditResult",
    "FlexScaleSet",
    "Leftover",
    "PlacementReport",
    "ScaleResult",
    "ScaleSetInfo",
    "SpotReplacement",
    "SpotStatus",
    "TeardownResult",
    "VmInfo",
    "sku_catalog",
]
