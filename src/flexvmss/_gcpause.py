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
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["older_objects_frozen"]

_lock = threading.Lock()
_batches = 0  # batches running in the process (any thread, any event loop)
_froze = False  # whether flexvmss froze the objects (then it unfreezes them)


@contextlib.contextmanager
def older_objects_frozen(enabled: bool = True) -> Iterator[None]:
    """Collections skip the objects that existed when the process's first running batch began,
    until its last running batch ends (see the module docstring)."""
    global _batches, _froze
    if not enabled:
        yield
        return
    with _lock:
        _batches += 1
        if _batches == 1 and gc.isenabled() and gc.get_freeze_count() == 0:
            gc.freeze()
            _froze = True
    try:
        yield
    finally:
        with _lock:
            _batches -= 1
            if _batches == 0 and _froze:
                _froze = False
                gc.unfreeze()
