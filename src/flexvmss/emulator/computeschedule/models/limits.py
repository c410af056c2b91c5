"""ScheduledActions' limits and timings: one named value each, with where it comes from.

Sources, cited below by their short names:

* **spec**: Azure/azure-rest-api-specs ``specification/computeschedule/resource-manager/
  Microsoft.ComputeSchedule/stable/2025-05-01/computeschedule.json`` and its examples (the
  2024-10-01 examples carry realistic values).
* **samples**: Azure/azure-computeschedule-dotnet-samples (Microsoft's .NET samples, 2026):
  ``src/Common/ComputescheduleOperations.cs`` lists the request validation errors ("Over 100
  resourceids provided in request", "RetryPolicy.RetryCount value > 7",
  "RetryPolicy.RetryWindowInMinutes value > 120"), ``src/ExecuteVDICreateFlex/
  FlexRequestBuilder.cs`` ``MaxResourceCountPerRequest = 100``,
  ``src/ExecuteDeallocate/docs/deallocate-preempts-start.md`` (preemption, ``OperationConflict``)
  and ``src/OperationFallback/README.md`` (the retry window).
* **cli**: Azure/azure-cli-extensions ``src/computeschedule/README.md`` (commit cfc11d8):
  "Computeschedule supports UTC timezone currently"; "Deadline for a submit type operation can
  not be more than 5 minutes in the past or greater than 14 days in the future".
* **rest docs**: learn.microsoft.com/rest/api/computeschedule (api 2025-05-01): "Batch API to
  submit and process Operations at scale", "Shields the customer from having to deal with
  throttling", "Higher availability with optimized retry strategies".

Everything marked *inferred* has no public source; each picks what keeps a user safe on Azure.
"""

from __future__ import annotations

__all__ = [
    "API_VERSIONS",
    "DEFAULT_START_WINDOW",
    "MAX_OPERATION_IDS",
    "MAX_RESOURCES",
    "MAX_RETRY_COUNT",
    "MAX_RETRY_WINDOW_MINUTES",
    "NAMESPACE",
    "RETRIABLE_CODES",
    "RETRY_BACKOFF",
    "SCHEDULING_DELAY",
    "SUBMIT_MAX_AHEAD",
    "SUBMIT_MAX_PAST",
    "TIMEZONES",
]

NAMESPACE = "Microsoft.ComputeSchedule"

#: The api-versions of the batch operations, oldest first (spec: 2024-08-15-preview,
#: 2024-10-01 GA, 2025-05-01 adds ExecuteCreate/ExecuteDelete; azure-mgmt-computeschedule
#: 1.1.0 sends 2025-05-01).
API_VERSIONS = ("2024-08-15-preview", "2024-10-01", "2025-05-01")

#: Virtual machines one Execute*/Submit* request may name (samples: validation error "Over
#: 100 resourceids provided in request"; the Flex batch sample splits at 100).
MAX_RESOURCES = 100

#: Operation ids one GetOperationStatus, CancelOperations or GetOperationErrors request may
#: name. Inferred: not documented; the samples poll one submission's ids (at most 100) per
#: request, so the emulator holds callers to the same 100.
MAX_OPERATION_IDS = 100

#: ``retryPolicy.retryCount`` at most (samples: "RetryPolicy.RetryCount value > 7" is refused;
#: "range 0-7").
MAX_RETRY_COUNT = 7

#: ``retryPolicy.retryWindowInMinutes`` at most (samples: "RetryWindowInMinutes value > 120"
#: is refused). The samples also say "Range in minutes 5-120" while the retry README lets it
#: default to 0 (no retries): the emulator accepts 0 to 120.
MAX_RETRY_WINDOW_MINUTES = 120

#: How far ahead a Submit* deadline may be (cli: "greater than 14 days in the future" is refused).
SUBMIT_MAX_AHEAD = 14 * 24 * 3600.0

#: How far in the past a Submit* deadline may be (cli: "more than 5 minutes in the past" is refused).
SUBMIT_MAX_PAST = 5 * 60.0

#: Time zones a schedule may name, lower-cased (cli: "supports UTC timezone currently").
TIMEZONES = frozenset({"utc"})

#: Emulated seconds an accepted operation spends in ``PendingScheduling`` before it is
#: ``Scheduled`` (and, for Execute*, before it is dispatched). Inferred: the samples wait 30 s
#: before their first status poll, so the service is given a few seconds here.
SCHEDULING_DELAY = 5.0

#: Emulated seconds between a failed attempt and its retry. Inferred: the retry README says the
#: service "waits for a backoff interval" without naming it.
RETRY_BACKOFF = 30.0

#: How long after its deadline an ``InitiateAt`` operation that could not start yet (blocked by
#: an outage, or waiting for Compute's budget) may still start when its retry policy names no
#: window. Inferred: the samples say a blocked operation "could still be processed later as long
#: as their due time for execution is not past deadline time + retrywindowinminutes"; with no
#: window the emulator allows 30 minutes, then the operation fails with ``DeadlineExceeded``.
DEFAULT_START_WINDOW = 30 * 60.0

#: Compute error codes after which an attempt is retried within the retry policy (the retry
#: README: "If the operation fails with a retriable error, the system waits for a backoff
#: interval and then retries"; which codes are retriable is inferred from Compute's transient
#: errors). ``OperationPreempted`` is not retried: the most recent user intent wins (samples,
#: deallocate-preempts-start.md).
RETRIABLE_CODES = frozenset(
    {
        "AllocationFailed",
        "InternalExecutionError",
        "InternalServerError",
        "OverconstrainedAllocationRequest",
        "RetryableError",
        "TooManyRequests",
        "ZonalAllocationFailed",
    }
)
