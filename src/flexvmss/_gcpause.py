"""While a batch runs, Python's garbage collector leaves alone the objects that existed before it.

A 1,000-VM batch allocates a great deal that dies young (every list page is thousands of dicts),
and CPython promotes what survives a collection; every few dozen pages that forces a *full*
collection, which walks every object of the process — with azure-mgmt-compute imported, some
160,000 of them (classes, functions, models), none of which the batch will ever free. Measured
on a 1,000-VM deallocate (bench/bench_fanout.py): the collector took about 13% of the client's
CPU, most of it in those full walks.

``gc.freeze()`` moves every tracked object to a permanent generation that collections skip, and
``gc.unfreeze()`` puts them back in the oldest one (CPython's documented pair, Python 3.7+).
:func:`older_objects_frozen` freezes when the first batch of the process starts and unfreezes
when the last one ends: nothing is lost — a cycle that became garbage meanwhile is collected by
the first collection after the batches — and what the batches themselves allocate is collected
as usual. A process that froze objects itself (``gc.get_freeze_count() > 0``, a pre-fork server)
is left alone. ``Runtime(freeze_gc=False)`` turns it off.

For the same time the youngest generation's threshold is raised to :data:`YOUNG_THRESHOLD`
allocations (CPython's default is 700): a page's thousands of dicts then mostly die, freed by
their reference counts, before a collection would walk them, and the older generations, counted
in young collections, are walked less often too. Measured on the same batch: ~550 young, ~50
middle and 4 full collections, about 0.18 s of its ~3 s. The previous threshold comes back with
the unfreeze, unless something changed it meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["YOUNG_THRESHOLD", "older_objects_frozen"]

#: The youngest generation's collection threshold while batches run (see the module docstring).
YOUNG_THRESHOLD = 20_000

_lock = threading.Lock()
_batches = 0  # batches running in the process (any thread, any event loop)
_froze = False  # whether flexvmss froze the objects (then it unfreezes them)
_thresholds: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None  # (before, set)


@contextlib.contextmanager
def older_objects_frozen(enabled: bool = True) -> Iterator[None]:
    """Collections skip the objects that existed when the process's first running batch began,
    until its last running batch ends (see the module docstring)."""
    global _batches, _froze, _thresholds
    if not enabled:
        yield
        return
    with _lock:
        _batches += 1
        if _batches == 1 and gc.isenabled() and gc.get_freeze_count() == 0:
            gc.freeze()
            _froze = True
            before = gc.get_threshold()
            if 0 < before[0] < YOUNG_THRESHOLD:
                raised = (YOUNG_THRESHOLD, before[1], before[2])
                gc.set_threshold(*raised)
                _thresholds = (before, raised)
    try:
        yield
    finally:
        with _lock:
            _batches -= 1
            if _batches == 0 and _froze:
                _froze = False
                gc.unfreeze()
                if _thresholds is not None:
                    before, raised = _thresholds
                    _thresholds = None
                    if gc.get_threshold() == raised:  # left as flexvmss set it
                        gc.set_threshold(*before)
