"""What one request and one answer say about throttling: the request's class, family and
resource; the remaining counts an answer reports; the policies a 429 blames; a Retry-After made
safe. Pure functions, tested without I/O."""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flexvmss._headers import lower_headers
from flexvmss._pipeline._limits import ArmClass, Scope, parse_policy

__all__ = [
    "Remaining",
    "arm_class",
    "bounded_wait",
    "family_key",
    "gate_scope",
    "parse_remaining",
    "resource_key",
    "throttled_policies",
]


def gate_scope(method: str) -> Scope:
    """The class a request is reported under: ``read`` for GET/HEAD, ``write`` otherwise."""
    return "read" if method.upper() in ("GET", "HEAD") else "write"


def arm_class(method: str) -> ArmClass:
    """ARM's bucket for a method: GET/HEAD read, DELETE delete, PUT/PATCH/POST write."""
    verb = method.upper()
    if verb in ("GET", "HEAD"):
        return "read"
    if verb == "DELETE":
        return "delete"
    return "write"


def family_key(method: str, url: str) -> str:
    """The shape of a request: its method and its path with resource names replaced by ``{}``.

    ``POST /subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}/deallocate``
    — requests of one family are charged to the same Compute policies, so what one response
    says about them applies to the next request of the family.
    """
    segments = [s for s in urlsplit(url).path.split("/") if s]
    shaped: list[str] = []
    index = 0
    while index < len(segments):
        key = segments[index]
        shaped.append(key.lower())
        if index + 1 < len(segments):
            value = segments[index + 1]
            shaped.append(value.lower() if key.lower() == "providers" else "{}")
        index += 2
    return f"{method.upper()} /" + "/".join(shaped)


_RESOURCE = re.compile(r"^(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/[^/]+/[^/]+/[^/]+)", re.I)


def resource_key(url: str) -> str | None:
    """The top-level resource a request addresses (its actions and children included),
    lower-cased; None for collections and subscription-level paths (operation statuses)."""
    match = _RESOURCE.match(urlsplit(url).path)
    return match.group(1).lower() if match else None


def bounded_wait(seconds: float | None, *, cap: float) -> float | None:
    """A wait Azure asked for, made safe: None stays None, NaN and negatives become 0, and
    infinite or larger values become ``cap``."""
    if seconds is None:
        return None
    if math.isnan(seconds) or seconds < 0:
        return 0.0
    return min(seconds, cap)


@dataclass(frozen=True)
class Remaining:
    """The remaining-request counts one response reported: ARM's by class, Compute's by policy
    name (every policy named, paced or not)."""

    arm: dict[str, int] = field(default_factory=dict)
    compute: dict[str, int] = field(default_factory=dict)


_ARM_HEADERS = {
    "x-ms-ratelimit-remaining-subscription-reads": "read",
    "x-ms-ratelimit-remaining-subscription-writes": "write",
    "x-ms-ratelimit-remaining-subscription-deletes": "delete",
}


def parse_remaining(headers: Mapping[str, str]) -> Remaining:
    """Read ``x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`` and every policy of
    ``x-ms-ratelimit-remaining-resource`` (one entry per policy; azure-core joins repeated
    headers with ", "). Unreadable values are ignored."""
    arm: dict[str, int] = {}
    compute: dict[str, int] = {}
    lowered = lower_headers(headers)
    # the per-principal counts, not the ...-global-... ones (15x larger)
    for name, klass in _ARM_HEADERS.items():
        raw = lowered.get(name)
        if raw is not None:
            with contextlib.suppress(ValueError):
                arm[klass] = int(str(raw).strip())
    for item in str(lowered.get("x-ms-ratelimit-remaining-resource") or "").split(","):
        name, _, count = item.strip().partition(";")
        if not name.strip():
            continue
        try:
            value = int(count.strip())
        except ValueError:
            continue
        short = parse_policy(name).name
        compute[short] = min(value, compute.get(short, value))
    return Remaining(arm=arm, compute=compute)


#: ARM's own codes for a throttled subscription or tenant (request-limits-and-throttling).
_ARM_THROTTLE_CODES = frozenset({"subscriptionrequeststhrottled", "tenantrequeststhrottled"})


def _nodes(error: Any) -> Iterable[Mapping[str, Any]]:
    if not isinstance(error, Mapping):
        return
    yield error
    for detail in error.get("details") or ():
        yield from _nodes(detail)


def throttled_policies(body: Any) -> tuple[bool, list[str]]:
    """What a 429's body blames: (ARM's subscription bucket?, the Compute policies it names).

    Compute names the policy in ``target`` of the error or of its ``details`` and as
    ``operationGroup`` in the JSON text of ``message`` (SupportArticles-docs
    troubleshooting-throttling-errors.md, 2024-04-15; cloud-provider-azure#2880)."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return False, []
    names: list[str] = []
    arm = False
    for node in _nodes(error):
        code = str(node.get("code") or "").lower()
        arm = arm or code in _ARM_THROTTLE_CODES
        target = node.get("target")
        if isinstance(target, str) and target.strip() and code in ("operationnotallowed", "toomanyrequests"):
            names.append(parse_policy(target).name)
        message = node.get("message")
        if isinstance(message, str) and message.lstrip().startswith("{"):
            with contextlib.suppress(ValueError):
                parsed = json.loads(message)
                group = parsed.get("operationGroup") if isinstance(parsed, Mapping) else None
                if isinstance(group, str) and group.strip():
                    names.append(parse_policy(group).name)
    return arm, list(dict.fromkeys(names))
