"""Shared emulator fixtures: the flexvmss fixtures, plus emulators carrying a small test
provider (``Microsoft.Test/things``) that exercises the HTTP layer on its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from flexvmss.emulator import Emulator
from flexvmss.emulator._fixtures import flexvmss_emulator, flexvmss_emulator_server
from flexvmss.emulator.core import ArmError, Context, Request, Response, Router, arm_id

__all__ = ["flexvmss_emulator", "flexvmss_emulator_server"]

THINGS = "/subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.Test/things/{name}"
LIMITED = "/subscriptions/{subscriptionId}/resourceGroups/{rg}/providers/Microsoft.Test/limited/{name}"
API = "2026-04-01"

test_router = Router()


def thing_id(sub: str, name: str, rg: str = "rg1") -> str:
    return arm_id(sub, rg, "Microsoft.Test", "things", name)


def _thing_path(req: Request) -> str:
    return thing_id(req.params["subscriptionId"], req.params["name"], req.params["rg"])


@test_router.route("PUT", THINGS, op_class="write")
def put_thing(ctx: Context, req: Request) -> Response:
    """Creates a thing through a long-running operation; the body's ``provider`` picks
    whose operation-status shape it gets (Compute by default)."""
    body = req.json()
    rid = _thing_path(req)
    thing = {
        "id": rid,
        "name": req.params["name"],
        "type": "Microsoft.Test/things",
        "location": body.get("location", "eastus"),
        "properties": {"provisioningState": "Creating"},
    }
    ctx.store.put(thing)

    def done() -> None:
        thing["properties"]["provisioningState"] = "Succeeded"

    def failed(error: dict[str, Any]) -> None:
        thing["properties"]["provisioningState"] = "Failed"

    op = ctx.lro.start(
        req,
        provider=body.get("provider", "Microsoft.Compute"),
        location=thing["location"],
        subscription_id=req.params["subscriptionId"],
        kind="test.create",
        resource_id=rid,
        on_succeed=done,
        on_fail=failed,
        duration=30.0,
    )
    return Response.json(thing, status=201, headers=ctx.lro.accepted_headers(op, req, location=False))


@test_router.route("GET", THINGS, op_class="read")
def get_thing(ctx: Context, req: Request) -> Response:
    thing = ctx.store.get(_thing_path(req))
    if thing is None:
        raise ArmError.resource_not_found("Microsoft.Test/things", req.params["name"], req.params["rg"])
    return Response.json(thing)


@test_router.route("DELETE", THINGS, op_class="delete")
def delete_thing(ctx: Context, req: Request) -> Response:
    rid = _thing_path(req)
    if ctx.store.get(rid) is None:
        return Response.empty(204)

    def gone() -> None:
        ctx.store.delete(rid)

    op = ctx.lro.start(
        req,
        provider="Microsoft.Compute",
        location="eastus",
        subscription_id=req.params["subscriptionId"],
        kind="test.delete",
        resource_id=rid,
        on_succeed=gone,
        duration=20.0,
    )
    return Response.empty(202, headers=ctx.lro.accepted_headers(op, req, location=True))


@test_router.route("POST", THINGS + "/poke", op_class="action")
def poke_thing(ctx: Context, req: Request) -> Response:
    """An action: 202 with Azure-AsyncOperation and Location, as Compute's VM actions."""
    rid = _thing_path(req)
    if ctx.store.get(rid) is None:
        raise ArmError.resource_not_found("Microsoft.Test/things", req.params["name"], req.params["rg"])
    op = ctx.lro.start(
        req,
        provider="Microsoft.Compute",
        location="eastus",
        subscription_id=req.params["subscriptionId"],
        kind="test.poke",
        resource_id=rid,
        duration=10.0,
    )
    return Response.empty(202, headers=ctx.lro.accepted_headers(op, req, location=True))


@test_router.route("POST", THINGS + "/crash", op_class="action")
def crash(ctx: Context, req: Request) -> Response:
    raise RuntimeError("secret-internal-detail")


@test_router.route("POST", THINGS + "/unserialisable", op_class="action")
def unserialisable(ctx: Context, req: Request) -> Response:
    return Response.json({"when": object()})


@test_router.route("PUT", LIMITED, op_class="write", policy="PutVM")
def put_limited(ctx: Context, req: Request) -> Response:
    return Response.json({"name": req.params["name"]})


@test_router.route("POST", LIMITED + "/start", op_class="action", policy="PutVM")
def start_limited(ctx: Context, req: Request) -> Response:
    return Response.json({"name": req.params["name"]})


@test_router.route("GET", LIMITED, op_class="read")
def get_limited(ctx: Context, req: Request) -> Response:
    return Response.json({"name": req.params["name"]})


class Raw:
    """Plain HTTPS calls to an emulator (``requests``, trusting only its CA)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = emu.ca_file
        self.session.headers["Authorization"] = "Bearer test-token"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        if path.startswith("/_emulator/") or "api-version=" in path:
            return self.emu.base_url + path
        return f"{self.emu.base_url}{path}{sep}api-version={API}"

    def thing(self, name: str, rg: str = "rg1") -> str:
        return thing_id(self.emu.subscription_id, name, rg)

    def limited(self, name: str) -> str:
        return arm_id(self.emu.subscription_id, "rg1", "Microsoft.Test", "limited", name)

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        if path.startswith("/_emulator/"):  # the admin API needs the emulator's admin token
            kw["headers"] = {**self.emu.admin_headers(), **kw.get("headers", {})}
        return self.session.request(method, self.url(path), **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("PUT", path, json=body if body is not None else {"location": "eastus"}, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, json=body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def absolute(self, url: str) -> requests.Response:
        return self.session.get(url)


@pytest.fixture(scope="session")
def _things_server() -> Iterator[Emulator]:
    # realism off: these tests read the emulator's own state step by step (test_realism.py tests the lag)
    with Emulator(time_scale=0.01, extra_routers=[test_router], realism="off") as emu:
        yield emu


@pytest.fixture
def emu(_things_server: Emulator) -> Emulator:
    """A running emulator (time scale 0.01) with the real providers and the test provider, reset."""
    _things_server.clear_faults()
    _things_server.set_throttle("off")
    _things_server.reset()
    return _things_server


@pytest.fixture(scope="session")
def _manual_server() -> Iterator[Emulator]:
    # realism off: these tests read the emulator's own state step by step (test_realism.py tests the lag)
    with Emulator(manual_clock=True, routers=[test_router], realism="off") as emu:
        yield emu


@pytest.fixture
def manual(_manual_server: Emulator) -> Emulator:
    """A running emulator whose clock only moves with ``advance`` (test provider only), reset."""
    _manual_server.clear_faults()
    _manual_server.set_throttle("off")
    _manual_server.reset()
    return _manual_server


@pytest.fixture
def raw(emu: Emulator) -> Raw:
    return Raw(emu)


@pytest.fixture
def mraw(manual: Emulator) -> Raw:
    return Raw(manual)


@pytest.fixture(scope="session")
def _fast_server() -> Iterator[Emulator]:
    # realism off: these tests read the emulator's own state step by step (test_realism.py tests the lag)
    with Emulator(time_scale=0.001, realism="off") as emu:
        yield emu


@pytest.fixture
def fast_emu(_fast_server: Emulator) -> Emulator:
    """A running emulator with the real providers at time scale 0.001 (a 45 s VM create
    takes 45 ms), reset: no state, no faults, throttling off."""
    _fast_server.clear_faults()
    _fast_server.set_throttle("off")
    _fast_server.reset()
    return _fast_server
