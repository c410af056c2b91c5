"""The emulator's core: requests, responses, ARM errors, routing, the virtual clock,
the resource store and long-running operations.

This module is the contract between the HTTP layer (``_server.py``) and the resource
providers (``resources/``, ``compute/``, ``network/``). A provider registers handlers on a
:class:`Router`; a handler receives the :class:`Context` and a :class:`Request` and returns
a :class:`Response` or raises :class:`ArmError`. Handlers are plain synchronous functions:
state is in memory and every request is served under the store's lock, so a handler never
sees another request half done.

Nothing here imports from :mod:`flexvmss` outside the emulator package: the emulator and
the library meet only on the wire.
"""

from __future__ import annotations

import builtins
import copy
import datetime as _dt
import json
import math
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "OP_CLASSES",
    "ArmError",
    "Clock",
    "Context",
    "Operation",
    "OperationManager",
    "PolicyResolver",
    "RemovalHook",
    "Request",
    "Response",
    "Route",
    "Router",
    "Store",
    "arm_id",
    "check_preconditions",
    "on_resources_removed",
    "paginate",
    "parse_arm_id",
    "resources_removed",
]

#: Request classes counted by the admin API.
OP_CLASSES = ("write", "delete", "action", "read", "list", "poll")

JSON = Any


# --------------------------------------------------------------------------- errors


class ArmError(Exception):
    """An error answered in ARM's shape: ``{"error": {"code", "message", "target"?, "details"?}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        innererror: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.headers = dict(headers or {})
        self.innererror = innererror

    def error_body(self) -> dict[str, Any]:
        """The inner ``error`` object (also used as a failed operation's ``error``)."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            err["target"] = self.target
        if self.details is not None:
            err["details"] = self.details
        if self.innererror is not None:
            err["innererror"] = self.innererror
        return err

    def body(self) -> dict[str, Any]:
        return {"error": self.error_body()}

    # ARM's common errors -------------------------------------------------------
    @classmethod
    def resource_not_found(cls, resource_type: str, name: str, resource_group: str) -> ArmError:
        """ARM's 404 for a missing resource, in the text Azure sends."""
        return cls(
            404,
            "ResourceNotFound",
            f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. "
            "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        )

    @classmethod
    def resource_group_not_found(cls, resource_group: str) -> ArmError:
        return cls(404, "ResourceGroupNotFound", f"Resource group '{resource_group}' could not be found.")

    @classmethod
    def invalid_parameter(cls, message: str, target: str | None = None) -> ArmError:
        return cls(400, "InvalidParameter", message, target=target)

    @classmethod
    def operation_not_allowed(cls, message: str, status: int = 409) -> ArmError:
        return cls(status, "OperationNotAllowed", message)

    @classmethod
    def bad_request(cls, message: str, code: str = "BadRequest") -> ArmError:
        return cls(400, code, message)


# --------------------------------------------------------------------------- ids


_ID_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/(?P<ns>[^/]+)/(?P<rest>.+)$",
    re.IGNORECASE,
)


def arm_id(subscription_id: str, resource_group: str, namespace: str, *type_name_pairs: str) -> str:
    """Build a resource id: ``arm_id(sub, rg, "Microsoft.Compute", "virtualMachines", "vm1")``.

    Child resources add pairs: ``arm_id(sub, rg, "Microsoft.Network", "virtualNetworks", "v",
    "subnets", "s")``.
    """
    if len(type_name_pairs) % 2:
        raise ValueError("type_name_pairs must come in (type, name) pairs")
    tail = "/".join(type_name_pairs)
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{namespace}/{tail}"


def parse_arm_id(resource_id: str) -> dict[str, str] | None:
    """Split a resource id into ``sub``, ``rg``, ``namespace``, ``type`` (top-level type),
    ``name`` (top-level name) and ``child`` (the remainder after the top-level name, or "").
    Returns None when ``resource_id`` is not a resource-group-scoped id."""
    m = _ID_RE.match(resource_id or "")
    if not m:
        return None
    parts = m.group("rest").split("/")
    if len(parts) < 2:
        return None
    return {
        "sub": m.group("sub"),
        "rg": m.group("rg"),
        "namespace": m.group("ns"),
        "type": parts[0],
        "name": parts[1],
        "child": "/".join(parts[2:]),
    }


# --------------------------------------------------------------------------- request/response


class CaseInsensitiveDict(dict[str, str]):
    """A dict of strings whose keys are looked up case-insensitively (headers, query)."""

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        super().__init__()
        for k, v in (items or {}).items():
            self[k] = v

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class Request:
    """One HTTP request as a handler sees it.

    ``path`` keeps the caller's spelling; ``params`` holds the route's ``{placeholders}``
    as sent (ARM names are case-insensitive but case-preserving)."""

    method: str
    path: str
    query: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)
    headers: CaseInsensitiveDict = field(default_factory=CaseInsensitiveDict)
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    #: The request id the server assigned (also sent back as x-ms-request-id).
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _json: Any = field(default=None, repr=False)
    _json_loaded: bool = field(default=False, repr=False)

    @property
    def api_version(self) -> str | None:
        version: str | None = self.query.get("api-version")
        return version

    @property
    def subscription_id(self) -> str | None:
        return self.params.get("subscriptionId")

    def json(self, *, required: bool = True) -> Any:
        """The parsed body. Malformed JSON is a 400 in ARM's shape; an empty body is
        a 400 when ``required`` and None otherwise."""
        if not self._json_loaded:
            self._json_loaded = True
            if not self.body.strip():
                self._json = None
            else:
                try:
                    self._json = json.loads(self.body)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise ArmError(
                        400,
                        "InvalidRequestContent",
                        f"The request content was invalid and could not be deserialized: '{exc}'.",
                    ) from None
        if self._json is None and required:
            raise ArmError(
                400, "InvalidRequestContent", "The request content was invalid: the body is empty."
            )
        if self._json is not None and required and not isinstance(self._json, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        return self._json

    def flag(self, name: str) -> bool:
        """A boolean query parameter such as ``forceDeletion=true``."""
        return str(self.query.get(name, "")).lower() == "true"


@dataclass
class Response:
    status: int = 200
    body: JSON = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, body: JSON, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status=status, body=body, headers=dict(headers or {}))

    @classmethod
    def empty(cls, status: int, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status=status, body=None, headers=dict(headers or {}))


# --------------------------------------------------------------------------- clock


class Clock:
    """Emulated time. ``time_scale`` is real seconds per emulated second: at 0.01 an
    operation that lasts 30 emulated seconds completes after 0.3 real seconds.

    With ``manual=True`` time stands still until :meth:`advance` moves it (for tests)."""

    #: Emulated wall-clock origin (timestamps in bodies are ``EPOCH + now()``).
    EPOCH = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)

    def __init__(self, time_scale: float = 1.0, *, manual: bool = False) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self.manual = manual
        self._real_start = time.monotonic()
        self._offset = 0.0  # emulated seconds added by advance()

    def now(self) -> float:
        """Emulated seconds since the emulator started."""
        if self.manual:
            return self._offset
        return (time.monotonic() - self._real_start) / self.time_scale + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def iso(self, t: float | None = None) -> str:
        """An ISO-8601 timestamp as Azure writes them (``2026-01-01T00:00:05.1234567+00:00``)."""
        at = self.EPOCH + _dt.timedelta(seconds=self.now() if t is None else t)
        return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"

    def to_real(self, emulated_seconds: float) -> float:
        return emulated_seconds * self.time_scale

    def retry_after_headers(self, emulated_seconds: float) -> dict[str, str]:
        """How long a client should wait, in headers azure-core honours.

        At time scale 1 this is ``Retry-After`` in whole seconds (at least 1). With a scale,
        ``Retry-After`` is left out and ``retry-after-ms`` carries the *real* milliseconds,
        which azure-core reads only when ``Retry-After`` is absent."""
        if self.time_scale == 1.0 and not self.manual:
            return {"Retry-After": str(max(1, math.ceil(emulated_seconds)))}
        real_ms = max(1, round(self.to_real(emulated_seconds) * 1000))
        return {"retry-after-ms": str(real_ms)}


# --------------------------------------------------------------------------- store


class Store:
    """All emulated state: plain JSON-shaped dicts keyed by lower-cased resource id.

    ``resources`` maps ``id.lower()`` to the resource body exactly as GET returns it
    (providers keep ``id``, ``name``, ``type``, ``location``, ``properties``...).
    ``resource_groups`` maps ``(subscription_id.lower(), rg.lower())`` to the RG body.
    ``extra`` is free space for providers (keyed by provider name), snapshotted too.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.resources: dict[str, dict[str, Any]] = {}
        self.resource_groups: dict[tuple[str, str], dict[str, Any]] = {}
        self.extra: dict[str, Any] = {}

    # resource groups
    def get_rg(self, subscription_id: str, name: str) -> dict[str, Any] | None:
        return self.resource_groups.get((subscription_id.lower(), name.lower()))

    def require_rg(self, subscription_id: str, name: str) -> dict[str, Any]:
        rg = self.get_rg(subscription_id, name)
        if rg is None:
            raise ArmError.resource_group_not_found(name)
        return rg

    # resources
    def get(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.get(resource_id.lower())

    def put(self, body: dict[str, Any]) -> dict[str, Any]:
        self.resources[body["id"].lower()] = body
        return body

    def delete(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.pop(resource_id.lower(), None)

    def list(
        self,
        resource_type: str,
        *,
        subscription_id: str | None = None,
        resource_group: str | None = None,
    ) -> list[dict[str, Any]]:
        """Resources of a full type (``Microsoft.Compute/virtualMachines``), in creation order."""
        t = resource_type.lower()
        out = []
        for body in self.resources.values():
            if body.get("type", "").lower() != t:
                continue
            parsed = parse_arm_id(body["id"])
            if parsed is None:
                continue
            if subscription_id and parsed["sub"].lower() != subscription_id.lower():
                continue
            if resource_group and parsed["rg"].lower() != resource_group.lower():
                continue
            out.append(body)
        return out

    def in_resource_group(self, subscription_id: str, resource_group: str) -> builtins.list[dict[str, Any]]:
        prefix = f"/subscriptions/{subscription_id}/resourcegroups/{resource_group}/".lower()
        return [b for k, b in self.resources.items() if k.startswith(prefix)]

    # snapshots
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(
                {"resources": self.resources, "resource_groups": self.resource_groups, "extra": self.extra}
            )

    def restore(self, snap: dict[str, Any]) -> None:
        with self.lock:
            snap = copy.deepcopy(snap)
            self.resources = snap["resources"]
            self.resource_groups = snap["resource_groups"]
            self.extra = snap["extra"]

    def reset(self) -> None:
        with self.lock:
            self.resources = {}
            self.resource_groups = {}
            self.extra = {}


# --------------------------------------------------------------------------- operations


#: Emulated duration in seconds of each operation kind (before jitter). Providers may use
#: kinds not listed here; they then get ``DEFAULT_DURATION``.
DURATIONS: dict[str, float] = {
    "vm.create": 45.0,
    "vm.update": 15.0,
    "vm.delete": 30.0,
    "vm.start": 30.0,
    "vm.powerOff": 20.0,
    "vm.deallocate": 40.0,
    "vm.restart": 30.0,
    "vm.redeploy": 90.0,
    "vm.reimage": 60.0,
    "vm.performMaintenance": 120.0,
    "vm.simulateEviction": 10.0,
    "vm.runCommand": 20.0,
    "vmss.create": 15.0,
    "vmss.update": 10.0,
    "vmss.delete": 10.0,
    "vmss.deleteInstances": 35.0,
    "disk.create": 5.0,
    "disk.delete": 5.0,
    "network.create": 3.0,
    "network.delete": 3.0,
    "rg.delete": 20.0,
}
DEFAULT_DURATION = 10.0
#: Relative jitter applied to every duration (+/-).
JITTER = 0.2


@dataclass
class Operation:
    """A long-running operation. It completes when the clock passes ``done_at``."""

    id: str
    provider: str  # "Microsoft.Compute" | "Microsoft.Network" | "Microsoft.Resources"
    location: str
    subscription_id: str
    kind: str
    resource_id: str
    start: float
    done_at: float
    on_succeed: Callable[[], None] | None = None
    on_fail: Callable[[dict[str, Any]], None] | None = None
    status: str = "InProgress"  # InProgress | Succeeded | Failed | Canceled
    #: The outcome decided at start: ("Succeeded", None) or ("Failed"|"Canceled", error dict).
    planned: tuple[str, dict[str, Any] | None] = ("Succeeded", None)
    error: dict[str, Any] | None = None
    end: float | None = None

    @property
    def terminal(self) -> bool:
        return self.status != "InProgress"


#: Decides an operation's outcome at start: returns None to succeed, or
#: (status, error) with status "Failed" or "Canceled". Set by the fault injector.
OutcomeHook = Callable[[Request | None, str], "tuple[str, dict[str, Any]] | None"]


class OperationManager:
    """Starts, completes and reports long-running operations on the virtual clock.

    Completion is lazy: :meth:`tick` (called by the server before every request and by
    the admin API) runs the callbacks of every operation whose ``done_at`` has passed, in
    ``done_at`` order, so the state a client observes is always consistent with time.
    """

    def __init__(self, clock: Clock, rng: random.Random, base_url: str = "https://localhost") -> None:
        self.clock = clock
        self.rng = rng
        self.base_url = base_url.rstrip("/")
        self.ops: dict[str, Operation] = {}
        self._pending: list[Operation] = []
        self.outcome_hook: OutcomeHook | None = None
        self.durations = dict(DURATIONS)

    def duration(self, kind: str) -> float:
        base = self.durations.get(kind, DEFAULT_DURATION)
        return base * (1.0 + self.rng.uniform(-JITTER, JITTER))

    def start(
        self,
        request: Request | None,
        *,
        provider: str,
        location: str,
        subscription_id: str,
        kind: str,
        resource_id: str,
        on_succeed: Callable[[], None] | None = None,
        on_fail: Callable[[dict[str, Any]], None] | None = None,
        duration: float | None = None,
        fail_with: tuple[str, dict[str, Any]] | None = None,
    ) -> Operation:
        """Begin an operation. ``on_succeed`` runs when it completes successfully; ``on_fail``
        gets the error dict when it ends Failed or Canceled (planned by ``fail_with`` or by
        the fault injector's :attr:`outcome_hook`)."""
        now = self.clock.now()
        dur = self.duration(kind) if duration is None else duration
        op = Operation(
            id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            provider=provider,
            location=location.replace(" ", "").lower(),
            subscription_id=subscription_id,
            kind=kind,
            resource_id=resource_id,
            start=now,
            done_at=now + dur,
            on_succeed=on_succeed,
            on_fail=on_fail,
        )
        planned = fail_with
        if planned is None and self.outcome_hook is not None:
            planned = self.outcome_hook(request, kind)
        if planned is not None:
            op.planned = planned
        self.ops[op.id] = op
        self._pending.append(op)
        if dur <= 0:
            self.tick()
        return op

    def tick(self) -> int:
        """Complete every due operation; returns how many completed."""
        now = self.clock.now()
        due = [op for op in self._pending if op.done_at <= now]
        if not due:
            return 0
        due.sort(key=lambda o: o.done_at)
        done_ids = {op.id for op in due}
        self._pending = [op for op in self._pending if op.id not in done_ids]
        for op in due:
            self._finish(op)
        return len(due)

    def _finish(self, op: Operation) -> None:
        status, error = op.planned
        op.end = op.done_at
        if status == "Succeeded":
            try:
                if op.on_succeed:
                    op.on_succeed()
                op.status = "Succeeded"
            except ArmError as exc:  # the state changed under the operation
                op.status, op.error = "Failed", exc.error_body()
                if op.on_fail:
                    op.on_fail(op.error)
        else:
            op.status, op.error = status, error or {"code": "InternalExecutionError", "message": "Failed."}
            if op.on_fail:
                op.on_fail(op.error)

    def complete_all(self) -> None:
        """Finish every pending operation now (tests, teardown)."""
        for op in sorted(self._pending, key=lambda o: o.done_at):
            self._finish(op)
        self._pending = []

    def get(self, op_id: str) -> Operation | None:
        return self.ops.get(op_id)

    def in_flight(self) -> int:
        return len(self._pending)

    def pending(self) -> Iterator[Operation]:
        return iter(list(self._pending))

    # wire shapes ---------------------------------------------------------------
    def status_url(self, op: Operation, api_version: str | None, *, monitor: bool = False) -> str:
        """The absolute URL of the operation status resource, as ARM builds it."""
        api = api_version or "2026-04-01"
        base = (
            f"{self.base_url}/subscriptions/{op.subscription_id}/providers/{op.provider}"
            f"/locations/{op.location}/operations/{op.id}"
        )
        q = f"?p={op.id}&api-version={api}" if op.provider == "Microsoft.Compute" else f"?api-version={api}"
        if monitor:
            q += "&monitor=true"
        return base + q

    def reset(self) -> None:
        """Forget every operation, finished or not (the emulator's reset)."""
        self.ops = {}
        self._pending = []

    def drop_pending(self) -> int:
        """End every pending operation ``Canceled`` without running its callbacks (after a
        state restore, whose state they no longer belong to); returns how many."""
        now = self.clock.now()
        for op in self._pending:
            op.status, op.end = "Canceled", now
            op.error = {"code": "OperationCanceled", "message": "The emulator's state was restored."}
        n = len(self._pending)
        self._pending = []
        return n

    def accepted_headers(self, op: Operation, request: Request, *, location: bool) -> dict[str, str]:
        """Headers of a 201/202 that starts ``op``: ``Azure-AsyncOperation`` (absolute),
        ``Location`` (``monitor=true``) when ``location`` is set, and the retry hint."""
        headers = {"Azure-AsyncOperation": self.status_url(op, request.api_version)}
        if location:
            headers["Location"] = self.status_url(op, request.api_version, monitor=True)
        headers["Azure-AsyncNotification"] = "Enabled"
        headers.update(self.clock.retry_after_headers(self.poll_hint(op)))
        return headers

    def poll_hint(self, op: Operation) -> float:
        """Emulated seconds a client should wait before the next poll: the time left,
        bounded to [1, 30] as Compute does."""
        left = op.done_at - self.clock.now()
        return float(min(30.0, max(1.0, math.ceil(left))))

    def status_body(self, op: Operation) -> dict[str, Any]:
        """The operation status body: Compute sends ``{startTime, endTime?, status, name}``
        (plus ``error`` when Failed/Canceled); Network sends ``{status}`` (plus ``error``)."""
        if op.provider == "Microsoft.Compute":
            body: dict[str, Any] = {"startTime": self.clock.iso(op.start)}
            if op.terminal and op.end is not None:
                body["endTime"] = self.clock.iso(op.end)
            body["status"] = op.status
            body["name"] = op.id
        else:
            body = {"status": op.status}
        if op.error is not None and op.status in ("Failed", "Canceled"):
            body["error"] = op.error
        return body


# --------------------------------------------------------------------------- etags


def check_preconditions(request: Request, current: dict[str, Any] | None) -> None:
    """Apply ``If-Match`` / ``If-None-Match`` to a write on ``current`` (None = absent).

    ``If-Match: *`` needs the resource to exist; ``If-Match: <etag>`` needs that etag;
    ``If-None-Match: *`` needs it to be absent. A failed condition is ARM's 412."""
    if_match = request.headers.get("If-Match")
    if_none = request.headers.get("If-None-Match")
    etag = (current or {}).get("etag")
    if if_match is not None and (current is None or (if_match.strip() != "*" and if_match.strip() != etag)):
        raise ArmError(
            412,
            "PreconditionFailed",
            "The condition specified using HTTP conditional header(s) is not met.",
        )
    if if_none is not None and if_none.strip() == "*" and current is not None:
        raise ArmError(
            412,
            "PreconditionFailed",
            "The condition specified using HTTP conditional header(s) is not met.",
        )


def paginate(request: Request, items: list[Any], page_size: int, base_url: str) -> dict[str, Any]:
    """One page of ``items`` in ARM's list shape, with an absolute ``nextLink`` when more remain.

    The page position travels in a ``$skiptoken`` query parameter (an opaque offset)."""
    from urllib.parse import urlencode

    try:
        start = int(request.query.get("$skiptoken", "0"))
    except ValueError:
        raise ArmError.bad_request("The $skiptoken is not valid.", code="InvalidSkipToken") from None
    page = items[start : start + page_size]
    body: dict[str, Any] = {"value": page}
    if start + page_size < len(items):
        query = {k: v for k, v in request.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = str(start + page_size)
        body["nextLink"] = f"{base_url.rstrip('/')}{request.path}?{urlencode(query)}"
    return body


# --------------------------------------------------------------------------- routing


Handler = Callable[["Context", Request], Response]

#: Chooses a route's Compute throttling policy for one request, once its path parameters
#: are known (e.g. a PUT on an existing VM is charged to ``UpdateVM``, a new one to
#: ``PutVM``). Runs under the store's lock before the handler; it must not change state.
PolicyResolver = Callable[["Context", Request], "str | None"]


@dataclass
class Route:
    method: str
    pattern: str
    handler: Handler
    #: Counter class for the admin API: write | delete | action | read | list | poll.
    op_class: str
    #: ARM throttling class: "read" | "write" | "delete".
    arm: str
    #: Compute throttling policy (e.g. "PutVM", "HighCostGetVM"), a :data:`PolicyResolver`
    #: that picks it per request, or None.
    policy: str | PolicyResolver | None
    regex: re.Pattern[str]
    names: tuple[str, ...]

    def resolve_policy(self, ctx: Context, request: Request) -> str | None:
        """The Compute throttling policy that ``request`` (matched by this route) is charged to."""
        if callable(self.policy):
            return self.policy(ctx, request)
        return self.policy


class Router:
    """Method + path-pattern routing, case-insensitive on literal segments (as ARM is).

    Patterns use ``{name}`` placeholders, each matching one path segment::

        @router.route("GET", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}",
                      op_class="read", arm="read")
        def get_rg(ctx, req): ...
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        pattern: str,
        *,
        op_class: str,
        arm: str | None = None,
        policy: str | PolicyResolver | None = None,
    ) -> Callable[[Handler], Handler]:
        if op_class not in OP_CLASSES:
            raise ValueError(f"unknown op_class {op_class!r}")
        arm_class = arm or {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method.upper(), "write")

        def register(fn: Handler) -> Handler:
            names = tuple(re.findall(r"{(\w+)}", pattern))
            rx = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(pattern.rstrip("/"))) + "/?$"
            self.routes.append(
                Route(method.upper(), pattern, fn, op_class, arm_class, policy, re.compile(rx, re.I), names)
            )
            return fn

        return register

    def include(self, other: Router) -> None:
        self.routes.extend(other.routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for ``method`` and ``path``; None if no route matches. Raises a 405-shaped
        ArmError when the path matches under another method only."""
        method = method.upper()
        path_matched = False
        for r in self.routes:
            m = r.regex.match(path)
            if m is None:
                continue
            if r.method == method:
                return r, {k: v for k, v in m.groupdict().items()}
            path_matched = True
        if path_matched:
            raise ArmError(
                405,
                "HttpMethodNotAllowed",
                f"The requested resource does not support http method '{method}'.",
            )
        return None


# --------------------------------------------------------------------------- removal hooks


#: Told which resources were removed from the store by someone other than their provider
#: (a resource group deletion), with their ids lower-cased, so the provider can drop the
#: private state it keeps about them in ``store.extra``. Runs under the store's lock.
RemovalHook = Callable[["Context", "list[str]"], None]

_removal_hooks: list[RemovalHook] = []


def on_resources_removed(hook: RemovalHook) -> RemovalHook:
    """Register ``hook`` (usable as a decorator) to hear of resources removed behind its
    provider's back. Registering the same function twice keeps one registration."""
    if hook not in _removal_hooks:
        _removal_hooks.append(hook)
    return hook


def resources_removed(ctx: Context, resource_ids: Iterable[str]) -> None:
    """Tell every registered hook that ``resource_ids`` are gone from ``ctx.store``."""
    ids = [rid.lower() for rid in resource_ids]
    if not ids:
        return
    for hook in list(_removal_hooks):
        hook(ctx, ids)


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """What every handler receives: the shared state and services of one emulator."""

    store: Store
    clock: Clock
    lro: OperationManager
    rng: random.Random
    #: The Resource SKUs catalog: ``catalog[location_lower] -> list of SKU dicts`` (wire shape).
    catalog: Any = None
    base_url: str = "https://localhost"
    #: Default subscription the emulator advertises.
    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    #: Items per page of every list answer (``nextLink`` beyond).
    page_size: int = 100

    def new_guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex8(self) -> str:
        return f"{self.rng.getrandbits(32):08x}"

    def etag(self) -> str:
        return f'W/"{self.new_guid()}"'
