"""The emulator's ``Microsoft.ComputeSchedule`` provider: ScheduledActions' batch power
operations on virtual machines.

``Execute{Start,Deallocate,Hibernate,Create,Delete}`` and ``Submit{Start,Deallocate,Hibernate}``
take up to 100 VMs, answer at once with one operation (or one refusal) per VM, and run each
VM's work through the compute provider's own per-VM operation (``compute/api.py``), within
Compute's throttling budget; ``GetOperationStatus``, ``CancelOperations`` and
``GetOperationErrors`` read and stop them by id. ARM's provider routes tell whether the
subscription registered the namespace, and where it runs.

``models/`` holds the state and behaviour (no HTTP), ``responses/`` the handlers, ``urls.py``
the routing table, ``knobs.py`` the test switches (:func:`knobs`); :data:`provider` is what
the emulator mounts. Limits and their sources: ``models/limits.py``.
"""

from __future__ import annotations

from ..core import Provider
from .knobs import ScheduleKnobs, knobs
from .models.limits import NAMESPACE
from .urls import router

__all__ = ["ScheduleKnobs", "knobs", "provider", "router"]

provider = Provider(namespace=NAMESPACE, router=router)
