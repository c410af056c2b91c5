"""State that belongs to one event loop, held by objects that outlive the loop.

asyncio objects bind to the loop they are first used on: an ``asyncio.Lock`` that ever had a
waiter, an aiohttp session and its connections. flexvmss objects outlive loops: the
process-wide :class:`~flexvmss.SkuCache`, an async :class:`flexvmss.aio.FlexScaleSet` used
from two ``asyncio.run()`` calls, or the sync face's objects in a forked child (whose portal
loop is new). Two tools keep each loop's state its own:

* :class:`PerLoop` makes one value per running loop (the SKU cache's locks).
* :class:`LoopAffinity` remembers which loop (in which process) some state was made on, says
  when the running loop is another one, and disposes of the old state only where that is safe
  (:meth:`LoopAffinity.retire`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

__all__ = ["LoopAffinity", "PerLoop", "running_loop"]

_LOGGER = logging.getLogger("flexvmss")

T = TypeVar("T")

#: What :meth:`LoopAffinity.retire` could neither close nor let go: state whose loop belongs
#: to a parent process (or is stopped but not closed). Garbage-collecting it would close its
#: sockets through that loop, and in a forked child that unregisters the parent's sockets
#: from the epoll instance both processes share; so it is kept referenced instead.
_KEPT: list[Any] = []
#: Close tasks in flight (asyncio keeps only weak references to tasks).
_CLOSING: set[asyncio.Future[Any]] = set()


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class PerLoop(Generic[T]):
    """One value per running event loop, made by ``factory`` on first use in that loop and
    forgotten with the loop."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()  # loops in several threads may ask at once

    def get(self) -> T:
        """The running loop's value (call it from a coroutine)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            value = self._values.get(loop)
            if value is None:
                value = self._values[loop] = self._factory()
            return value


class LoopAffinity:
    """Which event loop, in which process, some loop-bound state was made on."""

    __slots__ = ("_loop", "_pid")

    def __init__(self) -> None:
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._pid: int | None = None

    def bind(self) -> None:
        """Record the running loop, unless one is recorded already."""
        loop = running_loop()
        if loop is not None and self._loop is None:
            self._loop, self._pid = weakref.ref(loop), os.getpid()

    def clear(self) -> None:
        self._loop = self._pid = None

    def moved(self) -> bool:
        """Whether a loop is running and it is not the recorded one (or the process forked)."""
        loop = running_loop()
        if loop is None or self._loop is None:
            return False
        return self._loop() is not loop or self._pid != os.getpid()

    def retire(self, close: Callable[[], Awaitable[None]]) -> asyncio.Future[None] | None:
        """Dispose of the state made on the recorded loop, from the running (another) loop.

        * The recorded loop is closed or gone: nothing runs on it any more, so ``close()`` is
          bookkeeping; it runs as a task of the running loop.
        * It runs in another thread of this process: ``close()`` is handed to it.
        * It belongs to a parent process (a forked child) or is stopped but not closed:
          closing it here is unsafe, so the state is kept referenced, never closed.

        Returns what to await for the close to be done (None when the state is kept).
        """
        old = self._loop() if self._loop is not None else None
        same_process = self._pid == os.getpid()
        self.clear()
        if same_process and (old is None or old.is_closed()):
            task = asyncio.ensure_future(_quietly(close))
            _CLOSING.add(task)
            task.add_done_callback(_CLOSING.discard)
            return task
        if same_process and old is not None and old.is_running():
            return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_quietly(close), old))
        _KEPT.append(close)
        return None


async def _quietly(close: Callable[[], Awaitable[None]]) -> None:
    try:
        await close()
    except Exception:  # the state's loop is gone; nothing left to report to
        _LOGGER.debug("closing state of a retired event loop failed", exc_info=True)
