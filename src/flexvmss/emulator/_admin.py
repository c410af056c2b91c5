"""The admin API over HTTP, under ``/_emulator/``, for the emulator's own operator only.

Every request needs the emulator's admin token (:attr:`Emulator.admin_token
<flexvmss.emulator.Emulator.admin_token>`, printed by ``python -m flexvmss.emulator serve``) in
the ``x-flexvmss-admin-token`` header: the ARM routes accept any bearer token, as a local
Azure stand-in should, but reset, faults and the clock are the test's, not a neighbour's. In
process, use the same methods on the :class:`~flexvmss.emulator.Emulator` object instead.

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
``POST /_emulator/compute/scale-in``   ``emu.simulate_scale_in(id, count)``
``POST .../compute/zone-rebalance``    ``emu.simulate_zone_rebalance(id)``
``POST .../compute/zone-capacity``     ``emu.limit_zone_capacity(location, limits)``
``POST .../compute/fail-provisioning`` ``emu.fail_vm_provisioning(id, count, code)``
``POST .../compute/fail-deletion``     ``emu.fail_vm_deletion(id, count, times)``
=====================================  =======================================

Inputs are checked before anything changes (JSON objects, finite numbers in range, valid
regular expressions): a bad one is a 400 in ARM's error shape, and nothing can leave the
emulator broken until a restart. An unexpected failure is a 500 in the same shape, its details
in the log only.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import web

from ._faults import FaultInjector, FaultRule
from ._inputs import ADMIN_TOKEN_HEADER, AdminInputError, check_fault_fields, check_seconds
from ._throttle import ThrottleModel
from .core import Clock

__all__ = ["ADMIN_TOKEN_HEADER", "AdminApi", "Administered"]

log = logging.getLogger("flexvmss.emulator")


class Administered(Protocol):
    """What the admin API needs of an emulator (:class:`~flexvmss.emulator.Emulator` is one)."""

    clock: Clock
    faults: FaultInjector
    throttle: ThrottleModel

    @property
    def admin_token(self) -> str: ...

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
    def simulate_scale_in(self, scale_set_id: str, count: int = 1) -> list[str]: ...
    def simulate_zone_rebalance(self, scale_set_id: str) -> dict[str, str] | None: ...
    def limit_zone_capacity(self, location: str, limits: Mapping[str, int]) -> None: ...
    def fail_vm_provisioning(self, scale_set_id: str, count: int = 1, code: str = ...) -> None: ...
    def fail_vm_deletion(self, scale_set_id: str, count: int = 1, times: int = 1) -> None: ...


def _set_id(body: Mapping[str, Any], name: str) -> str:
    set_id = body.get("scaleSetId")
    if not isinstance(set_id, str) or not set_id:
        raise AdminInputError(f'{name} needs {{"scaleSetId": <scale set id>}}')
    return set_id


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _error(status: int, code: str, message: str, **headers: str) -> web.Response:
    response = _json({"error": {"code": code, "message": message}}, status)
    response.headers.update(headers)
    return response


def _object(payload: Any, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise AdminInputError(f"{what} takes a JSON object, not {type(payload).__name__}")
    return payload


class AdminApi:
    """Routes admin requests to an emulator, after checking the admin token."""

    def __init__(self, emulator: Administered) -> None:
        self.emu = emulator

    def authorised(self, request: web.Request) -> bool:
        given = request.headers.get(ADMIN_TOKEN_HEADER, "")
        return hmac.compare_digest(given.encode(), self.emu.admin_token.encode())

    async def __call__(self, request: web.Request, body: bytes) -> web.StreamResponse:
        if not self.authorised(request):
            return _error(
                401,
                "AuthenticationFailed",
                f"The admin API needs the emulator's admin token in the '{ADMIN_TOKEN_HEADER}' header "
                "(printed by `python -m flexvmss.emulator serve`; Emulator.admin_token in Python).",
            )
        name = request.path[len("/_emulator/") :].strip("/").lower()
        method = request.method.upper()
        try:
            payload: Any = json.loads(body) if body.strip() else {}
        except (ValueError, RecursionError) as exc:
            return _error(400, "InvalidRequestContent", f"The request body is not valid JSON: {exc}")
        try:
            return self._dispatch(method, name, payload)
        except (ValueError, TypeError, KeyError) as exc:
            return _error(400, "InvalidRequest", str(exc))
        except Exception:
            log.exception("emulator admin request %s /_emulator/%s failed", method, name)
            return _error(500, "InternalServerError", "The admin request failed; see the emulator's log.")

    def _dispatch(self, method: str, name: str, payload: Any) -> web.Response:
        emu = self.emu
        if (method, name) == ("POST", "reset"):
            emu.reset()
            return _json({"reset": True})
        if (method, name) == ("POST", "snapshot"):
            return _json({"id": emu.snapshot()})
        if (method, name) == ("POST", "restore"):
            snap_id = _object(payload, "restore").get("id")
            if not isinstance(snap_id, str) or not snap_id:
                raise AdminInputError('restore needs {"id": <snapshot id>}')
            emu.restore(snap_id)
            return _json({"restored": snap_id})
        if (method, name) == ("GET", "counters"):
            return _json(emu.counters())
        if (method, name) == ("GET", "inventory"):
            return _json(emu.inventory())
        if name == "faults":
            if method == "POST":
                if isinstance(payload, list):
                    rules: Any = payload
                else:
                    rules = _object(payload, "faults").get("rules", [payload])
                if not isinstance(rules, list):
                    raise AdminInputError("rules must be a list of fault rules")
                checked = [check_fault_fields(rule) for rule in rules]  # all checked before any is added
                added = [emu.add_fault(rule).to_dict() for rule in checked]
                return _json({"added": added})
            if method == "GET":
                return _json({"rules": [r.to_dict() for r in emu.faults.rules]})
            if method == "DELETE":
                emu.clear_faults()
                return _json({"cleared": True})
        if (method, name) == ("POST", "clock/advance"):
            body = _object(payload, "clock/advance")
            if "seconds" not in body:
                raise AdminInputError('clock/advance needs {"seconds": <number>}')
            emu.advance(check_seconds(body["seconds"]))
            return _json({"now": emu.clock.now()})
        if (method, name) == ("POST", "lro/complete"):
            return _json({"completed": emu.complete_all()})
        if (method, name) == ("POST", "throttle"):
            mode = _object(payload, "throttle").get("mode")
            if mode is not None and not isinstance(mode, str):
                raise AdminInputError("mode must be 'azure' or 'off'")
            emu.set_throttle(mode)
            return _json({"mode": "azure" if emu.throttle.enabled else "off"})
        if method == "POST" and name.startswith("compute/"):
            return self._platform(name, _object(payload, name))
        return _error(404, "NotFound", f"No admin endpoint {method} /_emulator/{name}.")

    def _platform(self, name: str, body: Mapping[str, Any]) -> web.Response:
        """What Azure does to a set on its own (``compute/...``), for tests of its aftermath."""
        emu = self.emu
        if name == "compute/scale-in":
            return _json({"removed": emu.simulate_scale_in(_set_id(body, name), body.get("count", 1))})
        if name == "compute/zone-rebalance":
            return _json({"moved": emu.simulate_zone_rebalance(_set_id(body, name))})
        if name == "compute/zone-capacity":
            location, limits = body.get("location"), body.get("limits", {})
            if not isinstance(location, str) or not isinstance(limits, dict):
                raise AdminInputError('compute/zone-capacity needs {"location": ..., "limits": {zone: VMs}}')
            if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in limits.values()):
                raise AdminInputError("zone limits are whole numbers of VMs, 0 or more")
            emu.limit_zone_capacity(location, limits)
            return _json({"location": location, "limits": limits})
        if name == "compute/fail-provisioning":
            code = body.get("code", "OSProvisioningTimedOut")
            if not isinstance(code, str) or not code:
                raise AdminInputError("code must be an error code")
            emu.fail_vm_provisioning(_set_id(body, name), body.get("count", 1), code)
            return _json({"armed": True})
        if name == "compute/fail-deletion":
            emu.fail_vm_deletion(_set_id(body, name), body.get("count", 1), body.get("times", 1))
            return _json({"armed": True})
        return _error(404, "NotFound", f"No admin endpoint POST /_emulator/{name}.")
