"""A plain-HTTP server on loopback that answers every request with what it received: the
method, the raw path and query, the headers and the body (parsed when it is JSON), plus every
``x-`` request header sent back as ``x-echo-<name>``. Whatever secret a request carries so
lands in the request and in the response a cassette records."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        payload = json.dumps(
            {"method": self.command, "url": self.path, "headers": dict(self.headers.items()), "body": body}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in self.headers.items():
            if name.lower().startswith("x-"):
                self.send_header(f"x-echo-{name}", value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test captures logs and this one is not the kit's."""


@contextmanager
def echo_server() -> Iterator[str]:
    """Serve on 127.0.0.1 (a free port) for the block; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
