"""One operation on many VMs: the engine, how it observes the operations, and what it returns.

* :mod:`._engine` — :class:`FanOut`, the executor (bounded issuing, re-issues, re-queues after
  long Retry-Afters, deadline, cancellation, progress events);
* :mod:`._observe` — :class:`ObservationHub` and :class:`HubPolling`, which watch every accepted
  operation from one scheduler and report an outcome only once Azure's operation status (or a
  fact that cannot be stale) confirms it; the set's VM list only schedules the status reads;
* :mod:`._observer` — where the hub's readings come from (:class:`ArmObserver`, or a fake);
* :mod:`._expect` — what a VM looks like once its operation is done (:class:`Expectation`),
  which schedules when to read its status;
* :mod:`._result` — :class:`BatchResult`, :class:`VmResult`, :class:`Outcome`.

Below it: the pipeline (:mod:`flexvmss._pipeline`) and the clients (:mod:`flexvmss._arm`).
"""

from __future__ import annotations

from flexvmss._fanout._engine import Begin, FanOut, SkipVm
from flexvmss._fanout._expect import Expectation, Verdict, as_expectation, hibernation_state, power_state
from flexvmss._fanout._observe import HubStats, ObservationHub, PendingOperation
from flexvmss._fanout._observer import (
    COMPUTE_API_VERSION,
    ArmObserver,
    ListPage,
    Observer,
    OperationStatus,
    PagedObserver,
    StatusUnreadable,
)
from flexvmss._fanout._polling import HubPolling
from flexvmss._fanout._result import (
    BatchFailedError,
    BatchResult,
    Outcome,
    VmResult,
    batch_succeeded,
    merge_results,
)
from flexvmss._progress import ProgressEvent
from flexvmss._runtime import ObserveMode

__all__ = [
    "COMPUTE_API_VERSION",
    "ArmObserver",
    "BatchFailedError",
    "BatchResult",
    "Begin",
    "Expectation",
    "FanOut",
    "HubPolling",
    "HubStats",
    "ListPage",
    "ObservationHub",
    "ObserveMode",
    "Observer",
    "OperationStatus",
    "Outcome",
    "PagedObserver",
    "PendingOperation",
    "ProgressEvent",
    "SkipVm",
    "StatusUnreadable",
    "Verdict",
    "VmResult",
    "as_expectation",
    "batch_succeeded",
    "hibernation_state",
    "merge_results",
    "power_state",
]
