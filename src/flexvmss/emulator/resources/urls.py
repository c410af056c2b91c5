"""Every route of the ``Microsoft.Resources`` resource groups (ARM itself serves them: no
Compute throttling policy applies)."""

from __future__ import annotations

from ..core import Router
from .responses import groups

__all__ = ["router"]

GROUPS = "/subscriptions/{subscriptionId}/resourcegroups"
GROUP = GROUPS + "/{resourceGroupName}"
RESULTS = "/subscriptions/{subscriptionId}/operationresults/{operationToken}"

router = Router()
router.add("PUT", GROUP, groups.create_or_update, op_class="write")
router.add("GET", GROUP, groups.get, op_class="read")
router.add("HEAD", GROUP, groups.check_existence, op_class="read")
router.add("PATCH", GROUP, groups.update, op_class="write")
router.add("GET", GROUPS, groups.list_groups, op_class="list")
router.add("DELETE", GROUP, groups.delete, op_class="delete")
router.add(
    "GET",
    "/subscriptions/{subscriptionId}/operationresults/{operationToken}",
    groups.operation_results,
    op_class="poll",
)
