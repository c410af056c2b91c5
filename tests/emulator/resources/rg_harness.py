"""An in-process harness for resource groups (with the network provider mounted, so a
group can hold real resources)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from flexvmss.emulator import network, resources
from flexvmss.emulator.core import (
    ArmError,
    CaseInsensitiveDict,
    Clock,
    Context,
    OperationManager,
    Request,
    Response,
    Router,
    Store,
)

SUB = "00000000-0000-0000-0000-000000000001"


class Harness:
    def __init__(self) -> None:
        clock = Clock(manual=True)
        self.ctx = Context(Store(), clock, OperationManager(clock, random.Random(0)), random.Random(0))
        self.router = Router()
        self.router.include(resources.router)
        self.router.include(network.router)

    def call(self, method: str, path: str, body: Any = None, api: str = "2025-04-01") -> Response:
        self.ctx.lro.tick()
        path, _, qs = path.partition("?")
        query = dict(p.split("=", 1) for p in qs.split("&") if p)
        query.setdefault("api-version", api)
        found = self.router.match(method, path)
        assert found is not None, f"no route for {method} {path}"
        route, params = found
        req = Request(
            method=method,
            path=path,
            query=CaseInsensitiveDict(query),
            body=json.dumps(body).encode() if body is not None else b"",
            params=params,
        )
        try:
            return route.handler(self.ctx, req)
        except ArmError as exc:
            return Response.json(exc.body(), status=exc.status, headers=exc.headers)

    def settle(self, seconds: float = 120.0) -> None:
        self.ctx.clock.advance(seconds)
        self.ctx.lro.tick()


@pytest.fixture
def h() -> Harness:
    return Harness()
