"""The synchronous face: :class:`flexvmss.FlexScaleSet`.

It holds an async :class:`flexvmss.aio.FlexScaleSet` and runs each of its coroutine methods
on one background event loop per process (an anyio blocking portal, started on first use and
stopped at interpreter exit). The methods are generated from the async class, so both faces
have the same names, signatures and docstrings and the logic exists once: a thousand VMs in
flight are a thousand coroutines on that loop, not a thousand threads.

Ctrl-C while a call runs cancels the coroutine (the fan-out stops issuing new work) and raises
:class:`Interrupted`, a :class:`KeyboardInterrupt` whose ``result`` holds the partial
:class:`~flexvmss.BatchResult` when the call was a batch.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from flexvmss._scaleset import FlexScaleSet as AsyncFlexScaleSet

__all__ = ["FlexScaleSet", "Interrupted", "run_sync"]

logger = logging.getLogger("flexvmss")

#: Seconds a call may take to wind down after Ctrl-C (stop issuing, collect what was done).
INTERRUPT_GRACE = 60.0

_lock = threading.Lock()
_portal: Any = None
_portal_cm: AbstractContextManager[Any] | None = None


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a call of the sync face. ``result`` is the partial batch result (what
    was done, failed and never started) when the call was a batch operation, else None."""

    def __init__(self, operation: str, result: Any = None) -> None:
        super().__init__(f"{operation} interrupted")
        self.operation = operation
        self.result = result


def _get_portal() -> Any:
    """The process's blocking portal (one event-loop thread), started on first use."""
    global _portal, _portal_cm
    with _lock:
        if _portal is None:
            from anyio.from_thread import start_blocking_portal

            cm = start_blocking_portal(backend="asyncio")
            _portal = cm.__enter__()
            _portal_cm = cm
            atexit.register(_stop_portal)
        return _portal


def _stop_portal() -> None:
    global _portal, _portal_cm
    with _lock:
        cm, _portal_cm, _portal = _portal_cm, None, None
    if cm is not None:
        cm.__exit__(None, None, None)


async def _guarded(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], box: dict[str, Any]
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


def run_sync(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run the coroutine function ``fn(*args, **kwargs)`` on the portal and wait for it.

    Ctrl-C cancels the coroutine, waits for it to wind down and raises :class:`Interrupted`.
    """
    portal = _get_portal()
    box: dict[str, Any] = {"done": threading.Event()}
    future = portal.start_task_soon(_guarded, fn, args, kwargs, box)
    try:
        return future.result()
    except KeyboardInterrupt:
        future.cancel()
        box["done"].wait(timeout=INTERRUPT_GRACE)  # let the call wind down and report
        operation = getattr(fn, "__name__", "call")
        partial = box.get("partial")
        if partial is not None:
            logger.warning("flexvmss: %s interrupted; partial result: %s", operation, partial)
        raise Interrupted(operation, partial) from None


def _sync_iter(aiterator: AsyncIterator[Any]) -> Iterator[Any]:
    portal = _get_portal()
    while True:
        try:
            yield portal.call(aiterator.__anext__)
        except StopAsyncIteration:
            return


def _adapt(value: Any) -> Any:
    if hasattr(value, "__aiter__") and not hasattr(value, "__iter__"):
        return _sync_iter(value.__aiter__())
    return value


def _make_sync(async_fn: Callable[..., Any]) -> Callable[..., Any]:
    """A method of the sync face from a method of the async class (same signature and doc)."""
    if inspect.isasyncgenfunction(async_fn):

        @functools.wraps(async_fn)
        def iterate(self: FlexScaleSet, *args: Any, **kwargs: Any) -> Iterator[Any]:
            return _sync_iter(async_fn(self._core, *args, **kwargs))

        return iterate

    @functools.wraps(async_fn)
    def call(self: FlexScaleSet, *args: Any, **kwargs: Any) -> Any:
        return _adapt(run_sync(async_fn, self._core, *args, **kwargs))

    return call


class FlexScaleSet:
    """One Azure Virtual Machine Scale Set in Flexible orchestration mode (synchronous).

    Takes the same arguments as :class:`flexvmss.aio.FlexScaleSet` and offers the same
    methods, which block until done::

        with flexvmss.FlexScaleSet(sub, "rg", "web") as ss:
            ss.create(ScaleSetSpec(location="westeurope", vm_size="Standard_D2s_v5", ...))
            ss.deallocate().raise_for_failures()

    ``aio`` is the async object underneath, for code that mixes both.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._core = AsyncFlexScaleSet(*args, **kwargs)

    @property
    def aio(self) -> AsyncFlexScaleSet:
        """The async :class:`flexvmss.aio.FlexScaleSet` this face drives."""
        return self._core

    @property
    def id(self) -> str:
        """The scale set's ARM resource id."""
        return self._core.id

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._core, name)
        if callable(value):
            raise AttributeError(name)
        return value

    def __repr__(self) -> str:
        return repr(self._core)

    def __enter__(self) -> FlexScaleSet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # The public coroutine methods of the async class, made blocking (generated below).
    close: Callable[[], None]


FlexScaleSet.__init__.__signature__ = inspect.signature(AsyncFlexScaleSet.__init__)  # type: ignore[attr-defined]

for _name, _member in list(vars(AsyncFlexScaleSet).items()):
    if _name.startswith("_"):
        continue
    if inspect.iscoroutinefunction(_member) or inspect.isasyncgenfunction(_member):
        setattr(FlexScaleSet, _name, _make_sync(_member))
del _name, _member
