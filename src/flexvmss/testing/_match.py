"""Request matching for Azure Resource Manager traffic.

Two requests match when their methods are equal and their URLs are equal after
:func:`normalise_url`: scheme and host lower-cased, the default port dropped, the path
compared case-insensitively (ARM paths are) with ``//`` collapsed, and the query compared
as a sorted set of parameters without the volatile ones.

Write requests (``PUT``, ``PATCH``, ``POST``) must also send the body that was recorded, as
JSON (:func:`body_difference`): key order does not matter, nor the order of a list of plain
values (ARM reads ``zones``, ``instanceIds`` and address prefixes as sets, and a caller may
build them from a set), nor what cannot be the same twice: a value the scrubber redacted
(``Sanitized``), a GUID (generated names and ids; subscription and tenant ids are already the
zero GUID) and a timestamp. Anything else that differs fails the replay and names the JSON path
where it does (:class:`~flexvmss.testing.FlexCassette`).

The volatile query parameters are the ``p``, ``t``, ``c``, ``s`` and ``h`` signature
parameters ARM appends to ``Azure-AsyncOperation`` and ``Location`` URLs: they change on
every recording and mean nothing to a replay. ``$skiptoken`` and every other parameter
(``api-version`` included) are kept.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = [
    "POLL_PATH",
    "VOLATILE_QUERY_PARAMETERS",
    "WRITE_METHODS",
    "azure_request_matcher",
    "body_difference",
    "is_poll_url",
    "match_key",
    "normalise_url",
]

#: Query parameters dropped before matching (ARM operation-URL signatures).
VOLATILE_QUERY_PARAMETERS = frozenset({"p", "t", "c", "s", "h"})

#: Paths of ARM operation-status and operation-result resources.
POLL_PATH = re.compile(r"/(?:operations|operationresults|operationstatuses|asyncoperations)/", re.I)

_DEFAULT_PORTS = {"https": 443, "http": 80}

#: Methods whose body must be the recorded one (see :func:`body_difference`).
WRITE_METHODS = frozenset({"PUT", "PATCH", "POST"})

#: What the scrubber writes in place of a secret (flexvmss.testing._scrub.REDACTED).
_REDACTED = "Sanitized"
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
#: Nothing to compare: no body at all.
_NO_BODY: Any = object()


@functools.lru_cache(maxsize=65536)
def normalise_url(url: str) -> str:
    """The form two URLs are compared in (see the module docstring)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/").lower() or "/"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in VOLATILE_QUERY_PARAMETERS
    )
    normalised = f"{scheme}://{netloc}{path}"
    return f"{normalised}?{urlencode(query)}" if query else normalised


def is_poll_url(url: str) -> bool:
    """Whether ``url`` is an ARM operation-status or operation-result URL."""
    return POLL_PATH.search(urlsplit(url).path) is not None


def match_key(request: Any) -> tuple[str, str]:
    """What :func:`azure_request_matcher` compares: (upper-case method, normalised URL)."""
    return request.method.upper(), normalise_url(request.uri)


def azure_request_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: method and normalised URL; raises ``AssertionError`` on a mismatch."""
    if r1.method.upper() != r2.method.upper():
        raise AssertionError(f"{r1.method} != {r2.method}")
    u1, u2 = normalise_url(r1.uri), normalise_url(r2.uri)
    if u1 != u2:
        raise AssertionError(f"{u1} != {u2}")


# --------------------------------------------------------------------------- bodies


def parse_body(body: Any) -> Any:
    """A request body as compared: decoded JSON, the text itself when it is not JSON, or a
    marker for no body (``None``, empty)."""
    if body is None or body == b"" or body == "":
        return _NO_BODY
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
    if isinstance(body, str):
        stripped = body.strip()
        if stripped[:1] in ("{", "[", '"') or stripped in ("true", "false", "null"):
            try:
                return json.loads(stripped)
            except ValueError:
                pass
        return body
    return body


def _plain(value: Any) -> Any:
    """A scalar as compared: GUIDs and timestamps inside strings become placeholders."""
    if isinstance(value, str):
        return _TIMESTAMP.sub("<time>", _GUID.sub("<guid>", value))
    return value


def _redacted(value: Any) -> bool:
    return isinstance(value, str) and _REDACTED in value


def _same_scalar(recorded: Any, sent: Any) -> bool:
    if _redacted(recorded) or _redacted(sent):
        return True  # a scrubbed value: what was really sent cannot be compared
    if isinstance(recorded, bool) or isinstance(sent, bool):
        return recorded is sent
    if isinstance(recorded, (int, float)) and isinstance(sent, (int, float)):
        return recorded == sent
    return type(recorded) is type(sent) and _plain(recorded) == _plain(sent)


def _scalar_key(value: Any) -> str:
    return "<redacted>" if _redacted(value) else json.dumps(_plain(value), sort_keys=True)


def _shown(value: Any) -> str:
    if value is _NO_BODY:
        return "no body"
    text = json.dumps(value, sort_keys=True) if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _first_difference(recorded: Any, sent: Any, path: str) -> tuple[str, str] | None:
    """(JSON path, what differs there) of the first difference, or None."""
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in sorted(set(recorded) | set(sent)):
            where = f"{path}.{key}" if re.fullmatch(r"[A-Za-z_$@][\w$@-]*", key) else f"{path}[{key!r}]"
            if key not in sent:
                return where, f"recorded {_shown(recorded[key])}, not sent"
            if key not in recorded:
                return where, f"not recorded, sent {_shown(sent[key])}"
            found = _first_difference(recorded[key], sent[key], where)
            if found is not None:
                return found
        return None
    if isinstance(recorded, list) and isinstance(sent, list):
        scalars = all(not isinstance(v, (dict, list)) for v in (*recorded, *sent))
        if scalars:
            if sorted(map(_scalar_key, recorded)) == sorted(map(_scalar_key, sent)):
                return None
            if len(recorded) == len(sent) and all(map(_same_scalar, recorded, sent)):
                return None  # equal but for redacted values
            return path, f"recorded {_shown(recorded)}, sent {_shown(sent)}"
        if len(recorded) != len(sent):
            return path, f"recorded {len(recorded)} item(s), sent {len(sent)}"
        for index, (a, b) in enumerate(zip(recorded, sent, strict=True)):
            found = _first_difference(a, b, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    containers = (dict, list)
    if isinstance(recorded, containers) or isinstance(sent, containers) or _NO_BODY in (recorded, sent):
        if recorded is sent:
            return None
        return path, f"recorded {_shown(recorded)}, sent {_shown(sent)}"
    if _same_scalar(recorded, sent):
        return None
    return path, f"recorded {_shown(recorded)}, sent {_shown(sent)}"


def body_difference(recorded: Any, sent: Any) -> str | None:
    """Where the body ``sent`` differs from the ``recorded`` one, as ``"$.json.path: recorded
    X, sent Y"``; None when they agree (see the module docstring for what is ignored). Both
    are raw bodies (``bytes``, ``str`` or ``None``)."""
    return parsed_body_difference(parse_body(recorded), parse_body(sent))


def parsed_body_difference(recorded: Any, sent: Any) -> str | None:
    """:func:`body_difference` of two bodies :func:`parse_body` already decoded."""
    found = _first_difference(recorded, sent, "$")
    return None if found is None else f"{found[0]}: {found[1]}"
