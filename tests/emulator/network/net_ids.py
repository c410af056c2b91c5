"""An in-process harness for the network provider: a store, a manual clock and the router,
called the way the HTTP server calls them (match, handler, then tick)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from flexvmss.emulator.core import (
    ArmError,
    CaseInsensitiveDict,
    Clock,
    Context,
    OperationManager,
    Request,
    Response,
    Store,
    arm_id,
)
from flexvmss.emulator.network import router

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg1"
API = "2026-03-01"


class Harness:
    def __init__(self) -> None:
        clock = Clock(manual=True)
        self.ctx = Context(Store(), clock, OperationManager(clock, random.Random(0)), random.Random(0))
        self.add_rg(RG)

    def add_rg(self, name: str, sub: str = SUB) -> None:
        self.ctx.store.resource_groups[(sub.lower(), name.lower())] = {
            "id": f"/subscriptions/{sub}/resourceGroups/{name}",
            "name": name,
            "location": "eastus",
            "properties": {"provisioningState": "Succeeded"},
        }

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> Response:
        """One request; ArmErrors come back as responses, as the server sends them."""
        self.ctx.lro.tick()
        try:
            found = router.match(method, path)
        except ArmError as exc:  # 405
            return Response.json(exc.body(), status=exc.status)
        assert found is not None, f"no route for {method} {path}"
        route, params = found
        req = Request(
            method=method,
            path=path,
            query=CaseInsensitiveDict({"api-version": API, **(query or {})}),
            headers=CaseInsensitiveDict(headers or {}),
            body=json.dumps(body).encode() if body is not None else b"",
            params=params,
        )
        try:
            return route.handler(self.ctx, req)
        except ArmError as exc:
            return Response.json(exc.body(), status=exc.status, headers=exc.headers)

    def settle(self, seconds: float = 60.0) -> None:
        self.ctx.clock.advance(seconds)
        self.ctx.lro.tick()

    def put(self, path: str, body: Any) -> dict[str, Any]:
        """PUT and let the operation finish; returns the final GET body."""
        resp = self.call("PUT", path, body)
        assert resp.status in (200, 201), resp.body
        self.settle()
        got = self.call("GET", path)
        assert got.status == 200
        return got.body  # type: ignore[no-any-return]


def rid(collection: str, name: str, *child: str, rg: str = RG) -> str:
    return arm_id(SUB, rg, "Microsoft.Network", collection, name, *child)


@pytest.fixture
def h() -> Harness:
    return Harness()


@pytest.fixture
def vnet(h: Harness) -> dict[str, Any]:
    """A vnet 10.0.0.0/16 with subnet ``s1`` (10.0.0.0/24)."""
    return h.put(
        rid("virtualNetworks", "v1"),
        {
            "location": "eastus",
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"name": "s1", "properties": {"addressPrefix": "10.0.0.0/24"}}],
            },
        },
    )
