"""State that outlives an event loop keeps one copy per loop (flexvmss._loops)."""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

from flexvmss import SkuCache
from flexvmss._loops import LoopAffinity, PerLoop


async def _slow_loader(location: str) -> list[dict[str, Any]]:
    for _ in range(3):
        await asyncio.sleep(0)  # let the second caller find the lock held and wait on it
    return []


def test_one_sku_cache_serves_callers_of_two_asyncio_runs():
    cache = SkuCache()

    async def two_callers() -> None:
        first, second = await asyncio.gather(
            cache.get("sub", "westeurope", _slow_loader), cache.get("sub", "westeurope", _slow_loader)
        )
        assert first is second

    asyncio.run(two_callers())  # the waiter ties that loop's lock to that loop
    cache.invalidate()
    asyncio.run(two_callers())  # a shared lock would raise "bound to a different event loop"
    assert cache.loads == 2  # one read per run: concurrent callers still wait for one read


def test_per_loop_values_are_made_once_per_loop_and_forgotten_with_it():
    made: list[object] = []

    def factory() -> object:
        made.append(object())
        return made[-1]

    per_loop = PerLoop(factory)

    async def twice() -> tuple[object, object]:
        return per_loop.get(), per_loop.get()

    a, b = asyncio.run(twice())
    c, _ = asyncio.run(twice())
    assert a is b and a is not c and len(made) == 2
    gc.collect()
    assert len(per_loop._values) == 0  # closed loops do not stay alive through it


def test_affinity_notices_another_loop_and_closes_state_of_a_closed_one_on_the_new_one():
    affinity = LoopAffinity()
    closed: list[str] = []

    async def bind() -> bool:
        affinity.bind()
        return affinity.moved()

    async def close() -> None:
        closed.append(threading.current_thread().name)

    async def retire_from_second_loop() -> bool:
        moved = affinity.moved()
        closing = affinity.retire(close)
        assert closing is not None
        await closing
        return moved

    assert asyncio.run(bind()) is False
    assert affinity.moved() is False  # no loop running: nothing to compare
    assert asyncio.run(retire_from_second_loop()) is True
    assert closed == [threading.current_thread().name]
    assert asyncio.run(bind()) is False  # retired: free to bind again


def test_affinity_hands_the_close_to_a_loop_still_running_in_another_thread():
    affinity = LoopAffinity()
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever, name="other-loop")
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(_bind(affinity), other).result(timeout=30)
        ran_in: list[str] = []

        async def close() -> None:
            ran_in.append(threading.current_thread().name)

        async def retire() -> None:
            assert affinity.moved()
            closing = affinity.retire(close)
            assert closing is not None
            await closing

        asyncio.run(retire())
        assert ran_in == ["other-loop"]
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join(timeout=30)
        other.close()


async def _bind(affinity: LoopAffinity) -> None:
    affinity.bind()
