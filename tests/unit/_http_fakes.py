"""A scripted azure-core async transport and a fake clock, for the engine's unit tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
from azure.core.utils import CaseInsensitiveDict

Reply = tuple[int, dict[str, str], Any]


class FakeClock:
    """Monotonic time that only moves when something sleeps with its :meth:`sleep` (handed to the
    code under test as its clock and its sleep)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def make_response(request: Any, status: int, headers: dict[str, str], body: Any) -> AsyncHttpResponseImpl:
    data = json.dumps(body).encode() if body is not None else b""
    response = AsyncHttpResponseImpl(
        request=request,
        internal_response=None,
        status_code=status,
        reason="OK" if status < 400 else "Error",
        headers=CaseInsensitiveDict(headers),
        content_type="application/json",
        stream_download_generator=None,
    )
    response._content = data
    response._is_closed = True
    return response


class ScriptedTransport(AsyncHttpTransport):
    """Answers each request with the next scripted reply (or ``responder(request)``); records
    requests and any sleep azure-core asks the transport for."""

    def __init__(
        self, replies: list[Reply] | None = None, responder: Callable[[Any], Reply | Exception] | None = None
    ) -> None:
        self.replies = list(replies or [])
        self.responder = responder
        self.sent: list[Any] = []
        self.transport_sleeps: list[float] = []

    async def __aenter__(self) -> ScriptedTransport:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def sleep(self, duration: float) -> None:
        self.transport_sleeps.append(duration)

    async def send(self, request: Any, **kwargs: Any) -> AsyncHttpResponseImpl:
        self.sent.append(request)
        await asyncio.sleep(0)
        reply: Reply | Exception
        if self.responder is not None:
            reply = self.responder(request)
        else:
            reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        status, headers, body = reply
        return make_response(request, status, headers, body)
