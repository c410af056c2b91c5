"""The admin API over HTTP, under ``/_emulator/`` (no authentication).

Every endpoint calls the same method of :class:`~flexvmss.emulator.Emulator` a Python
caller would use:

=====================================  =======================================
``POST /_emulator/reset``              ``emu.reset()``
``POST /_emulator/snapshot``           ``emu.snapshot()`` -> ``{"id"}``
``POST /_emulator/restore`` ``{"id"}`` ``emu.restore(id)``
``GET  /_emulator/counters``           ``emu.counters()``
``GET  /_emulator/inventory``          ``emu.inventory()``
``POST /_emulator/faults`` rule(s)     ``emu.add_fault(rule)`` for each
``GET  /_emulator/faults``             the rules in force
``DELETE /_emulator/faults``           ``emu.clear_faults()``
``POST /_emulator/clock/advance``      ``emu.advance(seconds)``
``POST /_emulator/lro/complete``       ``emu.complete_all()``
``POST /_emulator/throttle``           ``emu.set_throttle(mode)``
=====================================  =======================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import web

from ._faults import FaultInjector, FaultRule
from ._throttle import ThrottleModel
from .core import Clock

__all__ = ["AdminApi", "Administered"]


class Administered(Protocol):
    """What the admin API needs of an emulator (:class:`~flexvmss.emulator.Emulator` is one)."""

    clock: Clock
    faults: FaultInjector
    throttle: ThrottleModel

    def reset(self) -> None: ...
    def snapshot(self) -> str: ...
    def restore(self, snapshot_id: str) -> None: ...
    def counters(self) -> dict[str, Any]: ...
    def inventory(self) -> dict[str, Any]: ...
    def add_fault(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule: ...
    def clear_faults(self) -> None: ...
    def advance(self, seconds: float) -> None: ...
    def complete_all(self) -> int: ...
    def set_throttle(self, mode: str | None) -> None: ...


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _error(status: int, code: str, message: str) -> web.Response:
    return _json({"error": {"code": code, "message": message}}, status)


class AdminApi:
    """Routes admin requests to an emulator."""

    def __init__(self, emulator: Administered) -> None:
        self.emu = emulator

    async def __call__(self, request: web.Request, body: bytes) -> web.StreamResponse:
        name = request.path[len("/_emulator/") :].strip("/").lower()
        method = request.method.upper()
        try:
            payload: Any = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            return _error(400, "InvalidRequestContent", f"The request body is not valid JSON: {exc}")
        try:
            return self._dispatch(method, name, payload)
        except (ValueError, TypeError, KeyError) as exc:
            return _error(400, "InvalidRequest", str(exc))

    def _dispatch(self, method: str, name: str, payload: Any) -> web.Response:
        emu = self.emu
        if (method, name) == ("POST", "reset"):
            emu.reset()
            return _json({"reset": True})
        if (method, name) == ("POST", "snapshot"):
            return _json({"id": emu.snapshot()})
        if (method, name) == ("POST", "restore"):
            snap_id = payload.get("id") if isinstance(payload, dict) else None
            if not snap_id:
                raise ValueError('restore needs {"id": <snapshot id>}')
            emu.restore(str(snap_id))
            return _json({"restored": snap_id})
        if (method, name) == ("GET", "counters"):
            return _json(emu.counters())
        if (method, name) == ("GET", "inventory"):
            return _json(emu.inventory())
        if name == "faults":
            if method == "POST":
                rules = payload if isinstance(payload, list) else payload.get("rules", [payload])
                added = [emu.add_fault(r).to_dict() for r in rules]
                return _json({"added": added})
            if method == "GET":
                return _json({"rules": [r.to_dict() for r in emu.faults.rules]})
            if method == "DELETE":
                emu.clear_faults()
                return _json({"cleared": True})
        if (method, name) == ("POST", "clock/advance"):
            emu.advance(float(payload["seconds"]))
            return _json({"now": emu.clock.now()})
        if (method, name) == ("POST", "lro/complete"):
            return _json({"completed": emu.complete_all()})
        if (method, name) == ("POST", "throttle"):
            emu.set_throttle(payload.get("mode"))
            return _json({"mode": "azure" if emu.throttle.enabled else "off"})
        return _error(404, "NotFound", f"No admin endpoint {method} /_emulator/{name}.")
