"""What the ScheduledActions backend sends and reads (``Microsoft.ComputeSchedule``, api
2025-05-01): its limits, request bodies, and what its answers and states mean for a VM.

Pure values and functions, no I/O and no azure-mgmt import: the backend (the fan-out's
``scheduled`` room) sends the bodies through ``ArmClients.compute_schedule`` and decides from
what these functions read. ``docs/scheduled-actions.md`` explains the service and its limits
for users; every number here names its source, or says *inferred*.

Sources: the REST spec (Azure/azure-rest-api-specs ``specification/computeschedule/
resource-manager/Microsoft.ComputeSchedule/stable/2025-05-01``), Microsoft's .NET samples
(Azure/azure-computeschedule-dotnet-samples, ``src/Common/ComputescheduleOperations.cs`` and
``src/ExecuteDeallocate/docs/deallocate-preempts-start.md``), the Azure CLI extension's README
(Azure/azure-cli-extensions ``src/computeschedule/README.md``), and ARM's documentation.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flexvmss._errors import InvalidInputError

__all__ = [
    "ACTIONS",
    "MAX_OPERATION_IDS",
    "MAX_RETRY_COUNT",
    "MAX_RETRY_WINDOW_MINUTES",
    "MAX_VMS_PER_REQUEST",
    "SUBMIT_MAX_AHEAD",
    "SUBMIT_MAX_PAST",
    "UNAVAILABLE_CODES",
    "BatchAnswer",
    "OperationStatus",
    "ScheduledOptions",
    "ScheduledState",
    "by_location",
    "chunks",
    "execute_body",
    "operation_ids_body",
    "read_batch_answer",
    "read_status",
    "submit_body",
    "unavailable",
]

#: VMs one Execute*/Submit* request may name: the samples list "Over 100 resourceids provided
#: in request" among the validation errors, and their Flex batch sample splits at 100.
MAX_VMS_PER_REQUEST = 100
#: Operation ids one GetOperationStatus / CancelOperations / GetOperationErrors may name.
#: Inferred: not documented; the samples poll one submission's ids (at most 100) per request.
MAX_OPERATION_IDS = 100
#: ``retryPolicy.retryCount`` at most (samples: "RetryPolicy.RetryCount value > 7" is refused).
MAX_RETRY_COUNT = 7
#: ``retryPolicy.retryWindowInMinutes`` at most (samples: "RetryWindowInMinutes value > 120").
MAX_RETRY_WINDOW_MINUTES = 120
#: A Submit* deadline may be at most this far ahead, and at most :data:`SUBMIT_MAX_PAST` behind
#: (CLI extension README: "can not be more than 5 minutes in the past or greater than 14 days in
#: the future"; "supports UTC timezone currently").
SUBMIT_MAX_AHEAD = dt.timedelta(days=14)
SUBMIT_MAX_PAST = dt.timedelta(minutes=5)

#: The batch actions and their route suffix (``virtualMachinesExecute<X>``; Submit* exists for
#: start, deallocate and hibernate only, spec 2025-05-01, whose ExecuteDelete is described as
#: "[PRIVATE PREVIEW]": a subscription may be refused it).
ACTIONS: dict[str, str] = {
    "start": "Start",
    "deallocate": "Deallocate",
    "hibernate": "Hibernate",
    "delete": "Delete",
}
_SUBMITTABLE = frozenset({"start", "deallocate", "hibernate"})

#: Whole-request refusals that mean "ScheduledActions is not available here", after which the
#: ``auto`` backend runs the batch per VM instead: the subscription has not registered the
#: provider (ARM's 409 ``MissingSubscriptionRegistration``) or the region lacks it (ARM's 400
#: ``NoRegisteredProviderFound``; learn.microsoft.com/azure/azure-resource-manager/
#: troubleshooting/error-register-resource-provider; ``LocationNotAvailableForResourceType``
#: is ARM's other wording for a region, inferred here), the caller may not use it
#: (``AuthorizationFailed``: its role lacks the ``Microsoft.ComputeSchedule`` actions; the per-VM
#: path then reports its own answer), or the service is in an outage (samples:
#: ``SchedulingOperationsBlockedException``, "request may succeed later").
UNAVAILABLE_CODES = frozenset(
    {
        "MissingSubscriptionRegistration",
        "NoRegisteredProviderFound",
        "LocationNotAvailableForResourceType",
        "AuthorizationFailed",
        "SchedulingOperationsBlockedException",
    }
)

Optimization = Literal["Cost", "Availability", "CostAvailabilityBalanced"]
_OPTIMIZATIONS: tuple[str, ...] = ("Cost", "Availability", "CostAvailabilityBalanced")


@dataclass(frozen=True)
class ScheduledOptions:
    """How ScheduledActions should run a batch (spec ``ExecutionParameters``).

    ``optimization``: ``Cost``, ``Availability`` or ``CostAvailabilityBalanced`` (None: the
    service's default). ``retry_count`` (0-7) and ``retry_window_minutes`` (0-120): how often
    and for how long after its first attempt the service retries a VM's operation after a
    transient failure; with a window of 0 it does not retry (the samples' retry README: no
    retry "if you do not provide a retryPolicy", and the window is "measured from when the
    operation first starts executing").
    """

    optimization: Optimization | None = None
    retry_count: int = 0
    retry_window_minutes: int = 0

    def __post_init__(self) -> None:
        if self.optimization is not None and self.optimization not in _OPTIMIZATIONS:
            raise InvalidInputError(
                "optimization", self.optimization, f"use one of {', '.join(_OPTIMIZATIONS)}, or None"
            )
        _check_int("retry_count", self.retry_count, MAX_RETRY_COUNT)
        _check_int("retry_window_minutes", self.retry_window_minutes, MAX_RETRY_WINDOW_MINUTES)

    def execution_parameters(self) -> dict[str, Any]:
        """The ``executionParameters`` object of a request."""
        params: dict[str, Any] = {}
        if self.optimization is not None:
            params["optimizationPreference"] = self.optimization
        if self.retry_count or self.retry_window_minutes:
            params["retryPolicy"] = {
                "retryCount": self.retry_count,
                "retryWindowInMinutes": self.retry_window_minutes,
            }
        return params


def _check_int(name: str, value: object, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise InvalidInputError(name, value, f"use a whole number from 0 to {high} (ScheduledActions' limit)")


def _check_action(action: str, *, submit: bool) -> None:
    allowed = _SUBMITTABLE if submit else frozenset(ACTIONS)
    if action not in allowed:
        raise InvalidInputError(
            "action",
            action,
            f"ScheduledActions {'schedules' if submit else 'runs'}: {', '.join(sorted(allowed))}",
        )


def chunks(items: Sequence[str], size: int = MAX_VMS_PER_REQUEST) -> Iterator[list[str]]:
    """``items`` in order, ``size`` at a time (the last chunk may be shorter)."""
    if size < 1:
        raise InvalidInputError("size", size, "use a chunk size of at least 1")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _ids(vm_ids: Sequence[str]) -> list[str]:
    ids = list(vm_ids)
    if not ids:
        raise InvalidInputError("vm_ids", ids, "name at least one VM")
    if len(ids) > MAX_VMS_PER_REQUEST:
        raise InvalidInputError(
            "vm_ids",
            f"{len(ids)} VMs",
            f"send at most {MAX_VMS_PER_REQUEST} VMs per request: split with chunks()",
        )
    return ids


def execute_body(
    action: str, vm_ids: Sequence[str], options: ScheduledOptions, correlation_id: str, *, force: bool = False
) -> dict[str, Any]:
    """The body of ``virtualMachinesExecute<Action>`` for up to 100 VM resource ids
    (``force``: a delete's ``forceDeletion``)."""
    _check_action(action, submit=False)
    body: dict[str, Any] = {
        "executionParameters": options.execution_parameters(),
        "resources": {"ids": _ids(vm_ids)},
        "correlationid": correlation_id,
    }
    if action == "delete" and force:
        body["forceDeletion"] = True
    return body


def submit_body(
    action: str,
    vm_ids: Sequence[str],
    options: ScheduledOptions,
    correlation_id: str,
    *,
    deadline: dt.datetime,
    now: dt.datetime,
    complete_by: bool = False,
) -> dict[str, Any]:
    """The body of ``virtualMachinesSubmit<Action>``: start at ``deadline`` (``InitiateAt``) or
    be done by it (``complete_by``: ``CompleteBy``). ``deadline`` and ``now`` are aware
    datetimes; the deadline must lie within 5 minutes before and 14 days after ``now``."""
    _check_action(action, submit=True)
    for name, value in (("deadline", deadline), ("now", now)):
        if value.tzinfo is None:
            raise InvalidInputError(
                name, value, "give a timezone-aware datetime (e.g. datetime.now(timezone.utc))"
            )
    if not now - SUBMIT_MAX_PAST <= deadline <= now + SUBMIT_MAX_AHEAD:
        raise InvalidInputError(
            "deadline",
            deadline.isoformat(),
            "choose a deadline at most 5 minutes in the past and at most 14 days ahead",
        )
    at = deadline.astimezone(dt.timezone.utc)
    return {
        "schedule": {
            "deadline": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
            "timezone": "UTC",
            "deadlineType": "CompleteBy" if complete_by else "InitiateAt",
        },
        "executionParameters": options.execution_parameters(),
        "resources": {"ids": _ids(vm_ids)},
        "correlationid": correlation_id,
    }


def operation_ids_body(op_ids: Sequence[str], correlation_id: str | None) -> dict[str, Any]:
    """The body of a status, cancel (with a ``correlation_id``) or errors request (without)."""
    ids = list(op_ids)
    if not ids or len(ids) > MAX_OPERATION_IDS:
        raise InvalidInputError(
            "op_ids", f"{len(ids)} ids", f"send 1 to {MAX_OPERATION_IDS} operation ids per request"
        )
    body: dict[str, Any] = {"operationIds": ids}
    if correlation_id is not None:
        body["correlationid"] = correlation_id
    return body


class ScheduledState(str, enum.Enum):
    """Where an operation stands, as the backend acts on it (the spec's ``OperationState`` in
    five groups)."""

    #: Accepted, not yet sent to Compute: ``PendingScheduling``, ``Scheduled``,
    #: ``PendingExecution`` (and ``Unknown``). Cancel still stops it.
    WAITING = "waiting"
    #: Compute is running it (``Executing``): cancel no longer stops it.
    EXECUTING = "executing"
    #: An outage holds it (``Blocked``); it may still run before its deadline and retry window
    #: pass (samples: "operation may still complete").
    BLOCKED = "blocked"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (ScheduledState.SUCCEEDED, ScheduledState.FAILED, ScheduledState.CANCELLED)


_STATES: dict[str, ScheduledState] = {
    "unknown": ScheduledState.WAITING,
    "pendingscheduling": ScheduledState.WAITING,
    "scheduled": ScheduledState.WAITING,
    "pendingexecution": ScheduledState.WAITING,
    "executing": ScheduledState.EXECUTING,
    "blocked": ScheduledState.BLOCKED,
    "succeeded": ScheduledState.SUCCEEDED,
    "failed": ScheduledState.FAILED,
    "cancelled": ScheduledState.CANCELLED,
    "canceled": ScheduledState.CANCELLED,
}


@dataclass(frozen=True)
class OperationStatus:
    """One operation's status as read: its id, VM, state, the service's own state name, and
    the error it reports (``code``/``details``: the operation's ``resourceOperationError``, or
    the result's own error when the service did not know the operation)."""

    operation_id: str
    resource_id: str | None
    state: ScheduledState
    service_state: str
    code: str | None = None
    details: str | None = None
    completed_at: str | None = None


@dataclass
class BatchAnswer:
    """An Execute*/Submit* answer, read: the operation id of each accepted VM and the refusal
    of each refused one (keys are the resource ids as sent back)."""

    accepted: dict[str, str] = field(default_factory=dict)
    refused: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Operations accepted but already ``Blocked`` by an outage.
    blocked: list[str] = field(default_factory=list)


def _get(obj: Any, key: str) -> Any:
    """``obj[key]`` for a dict or an azure-mgmt model (both are mappings), None when absent."""
    if isinstance(obj, Mapping):
        return obj.get(key)
    return None


def read_batch_answer(answer: Any) -> BatchAnswer:
    """Which VMs an Execute*/Submit* answer accepted and which it refused (a result with an
    ``errorCode`` is refused, whether or not it carries an operation: the samples' rule)."""
    out = BatchAnswer()
    for result in _get(answer, "results") or []:
        resource_id = str(_get(result, "resourceId") or "")
        code = _get(result, "errorCode")
        operation = _get(result, "operation")
        if code or not operation or not _get(operation, "operationId"):
            out.refused[resource_id] = (str(code or "NoOperation"), str(_get(result, "errorDetails") or ""))
            continue
        out.accepted[resource_id] = str(_get(operation, "operationId"))
        if str(_get(operation, "state") or "").lower() == "blocked":
            out.blocked.append(resource_id)
    return out


def read_status(answer: Any) -> list[OperationStatus]:
    """The operations of a GetOperationStatus (or CancelOperations) answer, in its order."""
    out = []
    for result in _get(answer, "results") or []:
        operation = _get(result, "operation") or {}
        service_state = str(_get(operation, "state") or "Unknown")
        state = _STATES.get(service_state.lower(), ScheduledState.WAITING)
        error = _get(operation, "resourceOperationError") or {}
        code = _get(error, "errorCode") or _get(result, "errorCode")
        details = _get(error, "errorDetails") or _get(result, "errorDetails")
        out.append(
            OperationStatus(
                operation_id=str(_get(operation, "operationId") or ""),
                resource_id=_get(result, "resourceId") or _get(operation, "resourceId"),
                state=state,
                service_state=service_state,
                code=None if code is None else str(code),
                details=None if details is None else str(details),
                completed_at=_get(operation, "completedAt"),
            )
        )
    return out


def unavailable(code: str | None) -> bool:
    """Whether a whole-request refusal with ``code`` means ScheduledActions cannot serve this
    subscription and region now (the ``auto`` backend then runs per VM)."""
    return code in UNAVAILABLE_CODES


def by_location(vms: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """VM ids grouped by region (``(resource_id, location)`` pairs, locations normalised): a
    request names one region, and the service refuses a VM from another one."""
    groups: dict[str, list[str]] = {}
    for resource_id, location in vms:
        groups.setdefault(location.replace(" ", "").lower(), []).append(resource_id)
    return groups
