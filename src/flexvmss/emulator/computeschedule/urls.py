"""Every route of the ``Microsoft.ComputeSchedule`` provider (spec 2025-05-01 paths) and ARM's
provider routes for its namespace.

All are POSTs but the provider read, so ARM counts them as writes against the subscription's
write budget (learn.microsoft.com/azure/azure-resource-manager/management/
request-limits-and-throttling: the operation type follows the HTTP method); none is charged to
a Compute throttling policy (ScheduledActions is not Microsoft.Compute and publishes no limits
of its own: inferred)."""

from __future__ import annotations

from ..core import Router
from .models.limits import NAMESPACE
from .responses import operations, providers
from .responses.actions import batch_action

__all__ = ["router"]

_LOC = "/subscriptions/{subscriptionId}/providers/" + NAMESPACE + "/locations/{locationparameter}"
_PROVIDER = "/subscriptions/{subscriptionId}/providers/" + NAMESPACE

router = Router()
add = router.add

for _action in ("Start", "Deallocate", "Hibernate", "Create", "Delete"):
    _execute = batch_action(_action.lower(), submit=False)
    add("POST", f"{_LOC}/virtualMachinesExecute{_action}", _execute, op_class="action")
for _action in ("Start", "Deallocate", "Hibernate"):
    _submit = batch_action(_action.lower(), submit=True)
    add("POST", f"{_LOC}/virtualMachinesSubmit{_action}", _submit, op_class="action")
add("POST", f"{_LOC}/virtualMachinesGetOperationStatus", operations.get_operation_status, op_class="poll")
add("POST", f"{_LOC}/virtualMachinesCancelOperations", operations.cancel_operations, op_class="action")
add("POST", f"{_LOC}/virtualMachinesGetOperationErrors", operations.get_operation_errors, op_class="poll")

add("GET", _PROVIDER, providers.get_provider, op_class="read")
add("POST", _PROVIDER + "/register", providers.register_provider, op_class="action")
add("POST", _PROVIDER + "/unregister", providers.unregister_provider, op_class="action")
