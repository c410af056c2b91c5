"""The lean pipeline's transport: one aiohttp exchange read whole, failures raised as azure-core's
own transport raises them (the retry policy and the error mapping depend on those types), bodies
decompressed as azure-core decompresses them, nothing sent that the request did not carry."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from azure.core.exceptions import (
    IncompleteReadError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.core.pipeline import AsyncPipeline
from azure.core.rest import HttpRequest

from flexvmss._arm import _raise_for
from flexvmss._errors import from_azure_error
from flexvmss._pipeline import is_transient_exception
from flexvmss._pipeline._transport import LeanResponse, LeanTransport


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP server: ``/gzip`` and ``/deflate`` answer compressed JSON, ``/echo`` tells
    what it received, ``/missing`` answers ARM's 404."""
    seen: list[dict[str, Any]] = []
    document = {"status": "Succeeded", "name": "web_0a1b"}

    async def compressed(request: web.Request) -> web.Response:
        raw = json.dumps(document).encode()
        kind = request.match_info["kind"]
        body = gzip.compress(raw) if kind == "gzip" else zlib.compress(raw)[2:-4]  # raw deflate
        return web.Response(body=body, headers={"Content-Encoding": kind, "Content-Type": "application/json"})

    async def echo(request: web.Request) -> web.Response:
        seen.append(
            {"method": request.method, "headers": dict(request.headers), "body": await request.read()}
        )
        return web.json_response({"ok": True}, status=202, headers={"Azure-AsyncOperation": "https://x/op/1"})

    async def missing(request: web.Request) -> web.Response:
        error = {"error": {"code": "ResourceNotFound", "message": "The VM 'web_9' was not found."}}
        return web.json_response(error, status=404, headers={"x-ms-request-id": "req-7"})

    app = web.Application()
    app.router.add_get("/{kind:gzip|deflate}", compressed)
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/missing", missing)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


@pytest.fixture
async def pipeline() -> AsyncIterator[AsyncPipeline[Any, Any]]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield AsyncPipeline(LeanTransport(lambda: session, sleep=_no_sleep), [])


@pytest.mark.parametrize("kind", ["gzip", "deflate"])
async def test_a_compressed_answer_is_read_decompressed(server, pipeline, kind):
    base, _ = server
    response = (await pipeline.run(HttpRequest("GET", f"{base}/{kind}"))).http_response
    assert isinstance(response, LeanResponse)
    assert response.status_code == 200
    assert response.json() == {"status": "Succeeded", "name": "web_0a1b"}
    assert response.headers.get("content-encoding") == kind  # headers read case-insensitively


async def test_the_request_carries_its_own_body_and_headers_only(server, pipeline):
    base, seen = server
    bare = await pipeline.run(HttpRequest("POST", f"{base}/echo", headers={"Authorization": "Bearer t"}))
    await pipeline.run(HttpRequest("PUT", f"{base}/echo", json={"tags": {"a": "b"}}))
    assert bare.http_response.status_code == 202
    assert bare.http_response.headers["Azure-AsyncOperation"] == "https://x/op/1"
    assert bare.http_response.reason == "Accepted"
    post, put = seen
    # no body: no Content-Type made up for it (azure-core's transport does the same)
    assert post["body"] == b"" and "Content-Type" not in post["headers"]
    assert post["headers"]["Authorization"] == "Bearer t"
    assert json.loads(put["body"]) == {"tags": {"a": "b"}}
    assert put["headers"]["Content-Type"] == "application/json"


async def test_an_error_answer_maps_as_the_sdk_maps_it(server, pipeline):
    base, _ = server
    response = (await pipeline.run(HttpRequest("GET", f"{base}/missing"))).http_response
    with pytest.raises(ResourceNotFoundError) as caught:
        _raise_for(response)
    error = from_azure_error(caught.value, operation="get vm web_9")
    assert error.code == "ResourceNotFound" and error.status == 404
    assert error.request_id == "req-7"


async def test_a_refused_connection_is_the_transient_error_azure_core_raises(pipeline):
    with pytest.raises(ServiceRequestError) as caught:
        await pipeline.run(HttpRequest("GET", f"http://127.0.0.1:{_unused_port()}/"))
    assert is_transient_exception(caught.value)  # re-sent by TransientRetryPolicy


async def test_an_answer_cut_short_is_an_incomplete_read(pipeline):
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{"va')
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(cut, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        with pytest.raises(IncompleteReadError):
            await pipeline.run(HttpRequest("GET", f"http://127.0.0.1:{port}/"))
    finally:
        listener.close()
        await listener.wait_closed()


def _unused_port() -> int:
    """A local port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
