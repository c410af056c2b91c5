"""One request through the emulated ARM, independent of the HTTP server.

The order is ARM's: the clock ticks (due operations complete), the bearer token is checked,
pre-dispatch faults fire, the throttling model decides, the route is found, and the handler
runs under the store's lock. Every answer carries ARM's headers; every error is in ARM's
shape, including unknown routes and handler crashes (logged, never sent).
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import json
import logging
import random
import re
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._faults import FaultInjector
from ._throttle import ThrottleModel, resource_key_of
from .core import ArmError, CaseInsensitiveDict, Context, Request, Response, Route, Router

__all__ = ["Counters", "Dispatcher", "Outcome"]

log = logging.getLogger("flexvmss.emulator")

#: Region named in ``x-ms-routing-request-id``.
_ROUTING_REGION = "EASTUS"
#: Request and correlation ids need to be unique, not unpredictable (os.urandom is slow).
_ids = random.Random()


def _new_id() -> str:
    return str(uuid.UUID(int=_ids.getrandbits(128), version=4))


_INTERNAL = ArmError(
    500, "InternalServerError", "The server encountered an internal error. Please retry the request."
)
_ARM_CLASS = {"GET": "read", "HEAD": "read", "DELETE": "delete"}
_PROVIDER_PATH = re.compile(r"/providers/(?P<ns>[^/]+)/(?P<type>[^/?]+)", re.IGNORECASE)


@dataclass
class Outcome:
    """What the server writes back: status, body bytes and headers; or, with ``drop``,
    nothing at all (the connection is closed). ``delay`` is real seconds to hold the answer."""

    status: int
    body: bytes
    headers: dict[str, str]
    drop: bool = False
    delay: float = 0.0


@dataclass
class Counters:
    """Request counts for the admin API."""

    requests: int = 0
    by_op_class: Counter[str] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    unmatched: int = 0
    errors: int = 0

    def as_dict(self, faults: Mapping[str, int]) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_op_class": dict(self.by_op_class),
            "by_route": dict(self.by_route),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "throttled": {
                "total": sum(v for k, v in self.throttled.items() if ":" not in k),
                **dict(self.throttled),
            },
            "faults": dict(faults),
            "unmatched": self.unmatched,
            "handler_errors": self.errors,
        }


def _not_found(method: str, path: str, api_version: str | None) -> ArmError:
    m = _PROVIDER_PATH.search(path)
    if m:
        return ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{m.group('type')}' could not be found in the namespace "
            f"'{m.group('ns')}' for api version '{api_version or ''}'.",
        )
    return ArmError(404, "NotFound", f"No HTTP resource was found that matches the request URI '{path}'.")


#: Azure's limits on a resource's tags (Microsoft Learn, azure-resource-manager/management/
#: tag-resources, Limitations): names never hold these characters, values at most 256 characters.
_TAG_NAME_FORBIDDEN = re.compile(r"[<>%&\\?/\x00-\x1f\x7f]")
_MAX_TAG_VALUE = 256


def _tag_error(req: Request) -> ArmError | None:
    """ARM's refusal of a PUT or PATCH whose ``tags`` break Azure's limits, checked by ARM before
    the resource provider sees the request. Texts: ``InvalidTagValueLength`` as quoted from a
    real answer in Azure-Samples/azure-search-openai-demo#1997; ``InvalidTagNameCharacters`` as
    quoted in MicrosoftDocs' ``az storage account update`` tag examples."""
    if req.method not in ("PUT", "PATCH") or b'"tags"' not in req.body:
        return None
    try:
        tags = json.loads(req.body).get("tags")
    except (ValueError, AttributeError):
        return None
    if not isinstance(tags, dict):
        return None
    bad_names = [str(name) for name in tags if _TAG_NAME_FORBIDDEN.search(str(name))]
    if bad_names:
        return ArmError(
            400,
            "InvalidTagNameCharacters",
            f"The tag names '{', '.join(bad_names)}' have reserved characters '<,>,%,&,\\,?,/' "
            "or control characters.",
        )
    for value in tags.values():
        if isinstance(value, str) and len(value) > _MAX_TAG_VALUE:
            return ArmError(
                400,
                "InvalidTagValueLength",
                f"Tag value too large.  Following tag value '{value}' exceeded the maximum length. "
                f"Maximum allowed length for tag value - '{_MAX_TAG_VALUE}' characters.",
            )
    return None


class Dispatcher:
    """Serves requests against one :class:`Context` with a router, throttling and faults."""

    def __init__(self, ctx: Context, router: Router, throttle: ThrottleModel, faults: FaultInjector) -> None:
        self.ctx = ctx
        self.router = router
        self.throttle = throttle
        self.faults = faults
        self.counters = Counters()

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        *,
        raise_errors: bool = False,
    ) -> Outcome:
        """Serve one request (thread-safe: holds the store's lock throughout). Whatever goes
        wrong inside becomes an ARM-shaped 500; the details go to the log only (or, with
        ``raise_errors``, the exception propagates: the in-process test client's choice)."""
        with self.ctx.store.lock:
            try:
                req = Request(
                    method=method.upper(),
                    path=path,
                    query=CaseInsensitiveDict(dict(query)),
                    headers=CaseInsensitiveDict(dict(headers)),
                    body=body,
                    request_id=_new_id(),
                )
                return self._handle(req, raise_errors)
            except Exception:
                self.counters.errors += 1
                if raise_errors:
                    raise
                log.exception("emulator failed on %s %s", method, path)
                body_out = json.dumps(_INTERNAL.body(), separators=(",", ":")).encode()
                return Outcome(500, body_out, {"Content-Type": "application/json; charset=utf-8"})

    # ------------------------------------------------------------------ internals

    def _handle(self, req: Request, raise_errors: bool) -> Outcome:
        ctx = self.ctx
        ctx.lro.tick()
        method, path = req.method, req.path
        self.counters.requests += 1
        extra: dict[str, str] = {}

        # route first: op class, ARM class and policy are needed by faults and throttling
        route: Route | None = None
        route_error: ArmError | None = None
        try:
            found = self.router.match(method, path)
        except ArmError as exc:  # 405: the path exists under another method
            found, route_error = None, exc
        if found is not None:
            route, req.params = found
            self.counters.by_op_class[route.op_class] += 1
            self.counters.by_route[f"{route.method} {route.pattern}"] += 1
        else:
            self.counters.unmatched += 1

        auth = req.headers.get("Authorization") or ""
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            return self._error(req, self._auth_error())

        policy = route.resolve_policy(ctx, req) if route else None
        throttle_args: dict[str, Any] = {
            "subscription_id": self._subscription(req),
            "arm": route.arm if route else _ARM_CLASS.get(method, "write"),
            "policy": policy,
            "resource_key": self._resource_key(req, path),
        }
        delay = 0.0
        drop = False
        for rule in self.faults.pre_dispatch(method, path, route.op_class if route else None):
            if rule.kind == "status":  # refused before throttling: headers only, no tokens spent
                return self._error(
                    req, rule.error(ctx.clock), self.throttle.check(**throttle_args, spend=False).headers
                )
            if rule.kind == "drop":
                drop = True
            elif rule.kind == "slow":
                delay += ctx.clock.to_real(rule.delay or 0.0)

        decision = self.throttle.check(**throttle_args)
        extra.update(decision.headers)
        if decision.error is not None:
            self.counters.throttled[decision.kind or "arm"] += 1
            self.counters.throttled[f"{decision.kind}:{decision.bucket}"] += 1
            return self._error(req, decision.error, extra)

        if route is None:
            err = route_error or _not_found(method, path, req.api_version)
            return self._error(req, err, extra)
        if not req.api_version:
            return self._error(
                req,
                ArmError(
                    400,
                    "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.",
                ),
                extra,
            )

        tag_error = _tag_error(req)
        if tag_error is not None:
            return self._with(self._error(req, tag_error, extra), drop, delay)

        self.faults.serving(req, route.op_class)
        try:
            resp = route.handler(ctx, req)
        except ArmError as exc:
            return self._with(self._error(req, exc, extra), drop, delay)
        except Exception:
            if raise_errors:
                raise  # counted once, by handle()
            self.counters.errors += 1
            log.exception("emulator handler %s failed on %s %s", route.handler.__name__, method, path)
            return self._with(self._error(req, _INTERNAL, extra), drop, delay)
        finally:
            self.faults.served(req)
        if policy and route.op_class in ("write", "delete", "action"):
            extra["x-ms-request-charge"] = "1"
        return self._with(self._render(req, resp, extra), drop, delay)

    @staticmethod
    def _with(out: Outcome, drop: bool, delay: float) -> Outcome:
        out.drop, out.delay = drop, delay
        return out

    def _subscription(self, req: Request) -> str:
        sub = req.params.get("subscriptionId")
        if sub:
            return sub
        parts = req.path.split("/")
        if len(parts) > 2 and parts[1].lower() == "subscriptions":
            return parts[2]
        return self.ctx.subscription_id

    def _resource_key(self, req: Request, path: str) -> str | None:
        op_id = req.params.get("operationId")
        if op_id:
            op = self.ctx.lro.get(op_id)
            return op.resource_id.lower() if op else None
        return resource_key_of(path)

    def _auth_error(self) -> ArmError:
        return ArmError(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            headers={
                "WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/common", '
                'error="invalid_token", error_description="The authentication failed because of '
                "missing 'Authorization' header.\""
            },
        )

    def _error(self, req: Request, err: ArmError, extra: Mapping[str, str] | None = None) -> Outcome:
        headers = dict(extra or {})
        headers.update(err.headers)
        return self._render(req, Response.json(err.body(), status=err.status), headers)

    def _render(self, req: Request, resp: Response, extra: Mapping[str, str]) -> Outcome:
        self.counters.by_status[resp.status] += 1
        headers: dict[str, str] = {
            "Cache-Control": "no-cache",
            "Pragma": "no-cache",
            "Date": email.utils.formatdate(usegmt=True),
            "x-ms-request-id": req.request_id,
            "x-ms-correlation-request-id": req.headers.get("x-ms-correlation-request-id") or _new_id(),
            "x-ms-routing-request-id": f"{_ROUTING_REGION}:"
            f"{_dt.datetime.now(_dt.timezone.utc).strftime('%Y%m%dT%H%M%SZ')}:{req.request_id}",
            "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        }
        headers.update(extra)
        headers.update(resp.headers)
        if req.method == "HEAD" or resp.body is None:
            payload = b""
        elif isinstance(resp.body, bytes):  # JSON serialized beforehand (a cached answer)
            payload = resp.body
            headers["Content-Type"] = "application/json; charset=utf-8"
        else:
            payload = json.dumps(resp.body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        return Outcome(resp.status, payload, headers)
