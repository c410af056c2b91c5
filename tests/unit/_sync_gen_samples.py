"""Small async classes for the sync-face generator's tests (scripts/gen_sync.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable


class Counter:
    """Counts."""

    def __init__(self, start: int = 0, *, step: int = 1) -> None:
        self.start = start
        self._step = step

    async def __aenter__(self) -> Counter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def add(self, a: int, b: int = 2, /, *, times: int = 1) -> int:
        """Add ``b`` to ``a``, ``times`` times."""
        return a + b * times + self.start

    async def count(self, n: int) -> AsyncIterator[int]:
        """Count ``n`` steps."""
        for i in range(n):
            yield self.start + i * self._step

    async def pages(self) -> AsyncIterator[str]:
        """A coroutine that returns an async iterator."""
        return _letters()

    @property
    def label(self) -> str:
        """The counter's label."""
        return f"from {self.start}"


async def _letters() -> AsyncIterator[str]:
    for letter in "ab":
        yield letter


class PlainMethod:
    def __init__(self) -> None:
        pass

    def now(self) -> int:
        """Not a coroutine."""
        return 1


class AwaitableParameter:
    def __init__(self) -> None:
        pass

    async def each(self, callback: Callable[[str], Awaitable[None]]) -> None:
        """Takes an async callback."""


class ObjectDefault:
    def __init__(self) -> None:
        pass

    async def go(self, marker: object = object()) -> None:
        """A default that is no literal."""


class Undocumented:
    def __init__(self) -> None:
        pass

    async def go(self) -> None:
        pass


class ReturnsItself:
    def __init__(self) -> None:
        pass

    async def clone(self) -> ReturnsItself:
        """Another one."""
        return ReturnsItself()


class UntypedAttribute:
    def __init__(self, value) -> None:  # type: ignore[no-untyped-def]
        self.value = value
