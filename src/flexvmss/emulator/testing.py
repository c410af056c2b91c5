"""An in-process client for the emulator, for testing the emulator itself.

Requests go through the real :class:`~flexvmss.emulator._dispatch.Dispatcher` (the clock
ticks, the bearer token is checked, faults and throttling apply, the route is found, ARM's
headers and error shapes are added), with no socket, TLS or thread: moto's
``create_backend_app().test_client()`` idea. An emulator built with ``manual_clock=True``
moves only when told (:meth:`TestClient.settle`)::

    client = Emulator(manual_clock=True).test_client()
    client.resource_group("rg1")
    resp = client.request("PUT", vm_path, body)
    assert resp.status == 201
    client.settle()                      # every operation due by then completes

Nothing here needs the HTTPS server: the emulator is never started.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .core import Context

if TYPE_CHECKING:
    from ._emulator import Emulator

__all__ = ["TestClient", "TestResponse"]

#: The api-version sent when a request names none (Compute's, as of the library's pin).
DEFAULT_API_VERSION = "2026-04-01"


@dataclass
class TestResponse:
    """What the emulator answered: status, headers and the raw body (``body`` parses it)."""

    __test__ = False  # not a pytest test class

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    #: The fault injector closed the connection instead of answering (a client would see
    #: no response at all; the request was served).
    dropped: bool = False

    @property
    def body(self) -> Any:
        """The JSON body, or None when the answer has none."""
        return json.loads(self.content) if self.content else None

    @property
    def error(self) -> tuple[int, str, str]:
        """``(status, code, message)`` of an ARM error answer."""
        err = self.body["error"]
        return self.status, str(err["code"]), str(err["message"])


class TestClient:
    """Sends requests to one :class:`~flexvmss.emulator.Emulator` in process.

    ``api_version`` is added to every request that names none; ``settle_seconds`` is how far
    :meth:`settle` moves the clock by default. A handler that crashes raises here
    (``raise_server_exceptions=False`` gives the 500 a real client would see)."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        emulator: Emulator,
        *,
        api_version: str = DEFAULT_API_VERSION,
        settle_seconds: float = 600.0,
        raise_server_exceptions: bool = True,
    ) -> None:
        self.emulator = emulator
        self.api_version = api_version
        self.settle_seconds = settle_seconds
        self.raise_server_exceptions = raise_server_exceptions

    @property
    def ctx(self) -> Context:
        """The emulator's state and services, for assertions on what is stored."""
        return self.emulator.ctx

    @property
    def subscription_id(self) -> str:
        return self.emulator.subscription_id

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> TestResponse:
        """Send one request. ``path`` may carry a query string; ``body`` is sent as JSON;
        an ``Authorization`` bearer header is added unless ``headers`` has one."""
        path, _, qs = path.partition("?")
        q = {"api-version": self.api_version, **dict(parse_qsl(qs, keep_blank_values=True)), **(query or {})}
        sent = {"Authorization": "Bearer test-client", **(headers or {})}
        content = json.dumps(body).encode() if body is not None else b""
        out = self.emulator.dispatcher.handle(
            method, path, q, sent, content, raise_errors=self.raise_server_exceptions
        )
        return TestResponse(out.status, dict(out.headers), out.body, dropped=out.drop)

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> TestResponse:
        """:meth:`request`, asserting a 2xx answer."""
        resp = self.request(method, path, body, **kw)
        assert resp.status < 300, (resp.status, resp.body)
        return resp

    def error(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, str, str]:
        """:meth:`request`, asserting an error answer; returns ``(status, code, message)``."""
        resp = self.request(method, path, body, **kw)
        assert resp.status >= 400, (resp.status, resp.body)
        return resp.error

    def get(self, path: str, **kw: Any) -> Any:
        """The body of a successful GET."""
        return self.ok("GET", path, **kw).body

    def settle(self, seconds: float | None = None) -> None:
        """Move the emulated clock ``seconds`` (default ``settle_seconds``) on; every
        operation due by then completes."""
        self.emulator.advance(self.settle_seconds if seconds is None else seconds)

    def create(self, path: str, body: Any) -> Any:
        """PUT ``body`` at ``path``, :meth:`settle`, and return what GET then answers."""
        resp = self.request("PUT", path, body)
        assert resp.status in (200, 201), resp.body
        self.settle()
        return self.get(path)

    def resource_group(
        self, name: str, location: str = "eastus", *, subscription_id: str | None = None
    ) -> dict[str, Any]:
        """Create (or update) a resource group; returns its body."""
        sub = subscription_id or self.subscription_id
        body: dict[str, Any] = self.ok(
            "PUT", f"/subscriptions/{sub}/resourcegroups/{name}", {"location": location}
        ).body
        return body
