"""Method + path-pattern routing, and the route metadata throttling and the admin API read."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._errors import ArmError
from ._http import Request, Response

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["OP_CLASSES", "Handler", "PolicyResolver", "Route", "Router"]

#: Request classes counted by the admin API.
OP_CLASSES = ("write", "delete", "action", "read", "list", "poll")

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

    Patterns use ``{name}`` placeholders, each matching one path segment. A provider's
    ``urls.py`` lists its routes with :meth:`add`::

        router.add("GET", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}",
                   get_group, op_class="read")

    and :meth:`route` does the same as a decorator.
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        op_class: str,
        arm: str | None = None,
        policy: str | PolicyResolver | None = None,
    ) -> Handler:
        """Serve ``method`` on ``pattern`` with ``handler``. ``op_class`` is the admin API's
        counter class; ``arm`` the ARM throttling class (by default from the method);
        ``policy`` the Compute throttling policy, or a resolver that picks it per request."""
        if op_class not in OP_CLASSES:
            raise ValueError(f"unknown op_class {op_class!r}")
        arm_class = arm or {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method.upper(), "write")
        names = tuple(re.findall(r"{(\w+)}", pattern))
        rx = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(pattern.rstrip("/"))) + "/?$"
        self.routes.append(
            Route(method.upper(), pattern, handler, op_class, arm_class, policy, re.compile(rx, re.I), names)
        )
        return handler

    def route(
        self,
        method: str,
        pattern: str,
        *,
        op_class: str,
        arm: str | None = None,
        policy: str | PolicyResolver | None = None,
    ) -> Callable[[Handler], Handler]:
        """:meth:`add` as a decorator."""

        def register(fn: Handler) -> Handler:
            return self.add(method, pattern, fn, op_class=op_class, arm=arm, policy=policy)

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
