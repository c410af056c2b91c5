"""The runtime of the synchronous face: one background event loop per process.

:class:`flexvmss.FlexScaleSet` (generated into :mod:`flexvmss._sync_face` by
``scripts/gen_sync.py``) holds an async :class:`flexvmss.aio.FlexScaleSet` and runs each of its
coroutine methods here, with :func:`run_sync`, on one event loop in one background thread per
process (an anyio blocking portal, started on first use and stopped at interpreter exit). The
logic exists once, as async code: a thousand VMs in flight are a thousand coroutines on that
loop, not a thousand threads.

Three things can go wrong with a loop in a thread, and each is guarded:

* **Ctrl-C** while a call runs cancels the coroutine (the fan-out stops issuing new work) and
  raises :class:`Interrupted`, a :class:`KeyboardInterrupt` whose ``result`` holds the partial
  :class:`~flexvmss.BatchResult` when the call was a batch.
* **Re-entry.** A blocking call made on the portal's own thread (from an ``on_event`` callback,
  say) would wait for the loop it is blocking; it raises :class:`ReentrantCallError` instead.
* **fork.** A forked child inherits the portal object but not its thread, so a call there would
  wait forever. An ``os.register_at_fork`` hook gives the child a fresh portal on first use.
  The parent's portal is kept, untouched, in the child: letting it go would run its shutdown,
  which waits for the thread that is not there. Async objects that built clients on the
  parent's loop rebuild them on the child's (:class:`flexvmss.aio.FlexScaleSet` notices that
  the running loop changed, see :mod:`flexvmss._loops`).
"""

from __future__ import annotations

import atexit
import functools
import inspect
import logging
import os
import threading
from collections.abc import AsyncIterable, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from flexvmss._errors import FlexError

if TYPE_CHECKING:  # pragma: no cover
    from anyio.from_thread import BlockingPortal

__all__ = ["Interrupted", "ReentrantCallError", "iterate_sync", "run_sync"]

logger = logging.getLogger("flexvmss")

P = ParamSpec("P")
T = TypeVar("T")

#: Seconds a call may take to wind down after Ctrl-C (stop issuing, collect what was done).
INTERRUPT_GRACE = 60.0


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a call of the sync face. ``result`` is the partial batch result (what
    was done, failed and never started) when the call was a batch operation, else None."""

    def __init__(self, operation: str, result: Any = None) -> None:
        super().__init__(f"{operation} interrupted")
        self.operation = operation
        self.result = result


class ReentrantCallError(FlexError, RuntimeError):
    """A blocking call of the sync face was made on the sync face's own event loop (from an
    ``on_event`` callback, for example). It would wait for the loop it blocks, forever, so it
    is refused before anything is sent. ``operation`` names the call."""

    default_remedy = (
        "Do not call the sync face from code that runs on its loop (on_event callbacks): record "
        "what you need and make the call after the batch returns, or use the async face "
        "(`await ss.aio.<method>(...)`) from async code."
    )

    def __init__(self, operation: str) -> None:
        self.operation = operation
        super().__init__(f"{operation}() was called on the sync face's own event loop thread.")


class _PortalState:
    """The process's portal and what belongs with it; replaced wholesale in a forked child."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.portal: BlockingPortal | None = None
        self.context: AbstractContextManager[BlockingPortal] | None = None
        self.thread_id: int | None = None


_state = _PortalState()
_atexit_registered = False
#: Portals inherited from a parent process, kept referenced (never closed) in a forked child.
_inherited: list[_PortalState] = []


def _get_portal() -> BlockingPortal:
    """The process's blocking portal (one event-loop thread), started on first use."""
    global _atexit_registered
    state = _state
    with state.lock:
        if state.portal is None:
            from anyio.from_thread import start_blocking_portal

            context = start_blocking_portal(backend="asyncio")
            portal = context.__enter__()
            state.thread_id = portal.call(threading.get_ident)
            state.portal, state.context = portal, context
            if not _atexit_registered:
                atexit.register(_stop_portal)
                _atexit_registered = True
        return state.portal


def _stop_portal() -> None:
    state = _state
    _close_unclosed_sets(state.portal)
    with state.lock:
        context, state.context, state.portal, state.thread_id = state.context, None, None, None
    if context is not None:
        context.__exit__(None, None, None)


def _close_unclosed_sets(portal: BlockingPortal | None) -> None:
    """At exit: close the connections of scale sets used on the portal and never closed (each
    with a warning that says how to close it), so aiohttp finds no unclosed session."""
    import sys

    core = sys.modules.get("flexvmss._scaleset._core")
    if portal is None or core is None:  # no set was ever made: nothing to close
        return
    try:
        portal.call(core.close_unclosed)
    except Exception:  # exiting: a failure to close must not hide the program's own outcome
        logger.debug("flexvmss: closing unclosed scale sets at exit failed", exc_info=True)


def _after_fork_in_child() -> None:
    """In a forked child: forget the parent's portal (its thread does not exist here) so the
    next call starts a fresh one. The parent's stays referenced: collecting it would close it,
    and closing waits for its thread."""
    global _state
    if _state.portal is not None:
        _inherited.append(_state)
    _state = _PortalState()  # a fresh lock too: another thread may have held it at fork time


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _refuse_reentry(operation: str) -> None:
    if _state.thread_id == threading.get_ident():
        raise ReentrantCallError(operation)


async def _guarded(
    fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...], kwargs: dict[str, Any], box: dict[str, Any]
) -> Any:
    """Run ``fn`` as its own asyncio task. When the portal cancels the call (Ctrl-C), the task
    gets one asyncio cancellation and is awaited, shielded, while it winds down: the fan-out
    then stops issuing work and attaches its partial result (``batch_result``) to the
    CancelledError, which is kept in ``box``."""
    import asyncio

    import anyio

    task = asyncio.ensure_future(fn(*args, **kwargs))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.cancel()
        with anyio.CancelScope(shield=True):
            try:
                await task
            except BaseException as exc:
                partial = getattr(exc, "batch_result", None)
                if partial is not None:
                    box["partial"] = partial
        raise
    finally:
        box["done"].set()


def _operation(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", "call")


def run_sync(fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run the coroutine function ``fn(*args, **kwargs)`` on the portal and wait for it.

    Ctrl-C cancels the coroutine, waits for it to wind down and raises :class:`Interrupted`.
    Called on the portal's own thread, raises :class:`ReentrantCallError`.
    """
    _refuse_reentry(_operation(fn))
    portal = _get_portal()
    box: dict[str, Any] = {"done": threading.Event()}
    future = portal.start_task_soon(_guarded, fn, args, kwargs, box)
    try:
        result: T = future.result()
    except KeyboardInterrupt:
        future.cancel()
        box["done"].wait(timeout=INTERRUPT_GRACE)  # let the call wind down and report
        operation = _operation(fn)
        partial = box.get("partial")
        if partial is not None:
            logger.warning("flexvmss: %s interrupted; partial result: %s", operation, partial)
        raise Interrupted(operation, partial) from None
    return result


def iterate_sync(aiterable: AsyncIterable[T]) -> Iterator[T]:
    """A blocking iterator over ``aiterable``: each item is awaited on the portal."""
    aiterator = aiterable.__aiter__()
    while True:
        _refuse_reentry("iterate")
        try:
            yield _get_portal().call(aiterator.__anext__)
        except StopAsyncIteration:
            return


def _make_sync(async_fn: Callable[..., Any]) -> Callable[..., Any]:
    """A blocking twin of a coroutine (or async generator) function, made at run time, for
    async code that has no generated face; an async iterator it returns is iterated on the
    portal. The sync :class:`~flexvmss.FlexScaleSet` itself is generated with real signatures."""
    if inspect.isasyncgenfunction(async_fn):

        @functools.wraps(async_fn)
        def iterate(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            return iterate_sync(async_fn(self._core, *args, **kwargs))

        return iterate

    @functools.wraps(async_fn)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = run_sync(async_fn, self._core, *args, **kwargs)
        if hasattr(value, "__aiter__") and not hasattr(value, "__iter__"):
            return iterate_sync(value)
        return value

    return call
