"""The HTTPS server: an aiohttp application on its own event loop in a daemon thread.

It only moves bytes: ARM requests go to the :class:`~._dispatch.Dispatcher`, requests under
``/_emulator/`` to the admin API (:mod:`._admin`). A long-running operation is state, not a
task, so a thousand in flight cost nothing here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import ssl
import threading
from collections.abc import Awaitable, Callable

from aiohttp import web

from ._dispatch import Dispatcher, Outcome

__all__ = ["ADMIN_PREFIX", "MAX_JSON_DEPTH", "ServerThread", "too_deep"]

log = logging.getLogger("flexvmss.emulator")

ADMIN_PREFIX = "/_emulator/"
#: Largest request body accepted (VM bodies are a few KB; custom data is at most 64 KB).
MAX_BODY = 32 * 1024 * 1024

#: Deepest JSON nesting accepted in a request body. ARM bodies are about ten levels deep; a
#: body nested near a thousand levels would make the parser fail (a 500 instead of a 400).
#: The bound is inferred, not documented by Azure; 64 leaves any real body plenty of room.
MAX_JSON_DEPTH = 64

AdminHandler = Callable[[web.Request, bytes], Awaitable[web.StreamResponse]]

_JSON_STRING = re.compile(rb'"(?:\\.|[^"\\])*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` (JSON, or anything) opens more than ``limit`` brackets at once, outside
    strings; linear, and cheap for bodies with few brackets."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b"", body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _arm_error(status: int, code: str, message: str) -> web.Response:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return web.Response(status=status, body=body, content_type="application/json", charset="utf-8")


class ServerThread:
    """Runs the aiohttp app on ``host:port`` (0 = any free port) with TLS, in a thread."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        admin: AdminHandler,
        *,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext,
    ) -> None:
        self.dispatcher = dispatcher
        self.admin = admin
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Start serving; returns once the socket listens (``self.port`` is then bound)."""
        self._thread = threading.Thread(target=self._run, name="flexvmss-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the emulator did not start listening in time")
        if self._error is not None:
            raise RuntimeError(f"the emulator failed to start: {self._error}") from self._error

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the thread."""
        if self.loop is not None and self._stop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    # ------------------------------------------------------------------ internals

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, ssl_context=self.ssl_context, backlog=2048)
        try:
            await site.start()
            if runner.addresses:
                self.port = int(runner.addresses[0][1])
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if too_deep(body):
            return _arm_error(
                400,
                "InvalidRequestContent",
                f"The request content was invalid and could not be deserialized: it is nested deeper "
                f"than {MAX_JSON_DEPTH} levels.",
            )
        path = request.path
        if path.startswith(ADMIN_PREFIX):
            return await self.admin(request, body)
        out = self.dispatcher.handle(request.method, path, dict(request.query), dict(request.headers), body)
        if out.delay > 0:
            await asyncio.sleep(out.delay)
        if out.drop:
            return self._drop(request)
        return self._response(out)

    @staticmethod
    def _response(out: Outcome) -> web.Response:
        resp = web.Response(status=out.status, body=out.body or None)
        for k, v in out.headers.items():
            resp.headers[k] = v
        return resp

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Close the connection without a response (the client sees a dropped connection)."""
        transport = request.transport
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.abort()
        # aiohttp still wants a response object; it cannot be written to the closed transport.
        return web.Response(status=500)
