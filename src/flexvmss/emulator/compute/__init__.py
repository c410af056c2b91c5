"""The emulator's ``Microsoft.Compute`` provider: Flexible scale sets, VMs, disks and
Resource SKUs, with Azure's Flex rules.

``router`` holds every compute route; handlers are pure state logic over the
:class:`~flexvmss.emulator.core.Context`.
"""

from __future__ import annotations

from ..core import Router
from .models.disks import router as _disks_router
from .models.vms import router as _vms_router
from .models.vmss import router as _vmss_router
from .responses.skus import router as _skus_router

__all__ = ["router"]

router = Router()
for _r in (_vmss_router, _vms_router, _disks_router, _skus_router):
    router.include(_r)
