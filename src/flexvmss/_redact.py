"""Redaction of secrets in what flexvmss logs or shows: URLs, headers and JSON bodies.

One list of what counts as secret, used by the error messages and by the HTTP trace, so a
password, custom data, user data, a token or a SAS signature never reaches a log line or an
exception text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "SECRET_HEADERS", "SECRET_KEYS", "redact_body", "redact_headers", "redact_url"]

REDACTED = "REDACTED"

#: JSON keys whose values are secret wherever they appear (compared case-insensitively).
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "adminPassword",
        "password",
        "customData",
        "userData",
        "protectedSettings",
        "protectedSettingsFromKeyVault",
        "client_secret",
        "clientSecret",
        "client_assertion",
        "access_token",
        "accessToken",
        "refresh_token",
        "id_token",
        "accessSAS",
        "primaryKey",
        "secondaryKey",
        "privateKey",
        "secret",
        "script",
    )
)

#: Headers that carry credentials or session material.
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-ms-authorization-auxiliary"})

_SECRET_QUERY = re.compile(r"(?i)\b(sig|signature|token|access_token|code|secret|password|key)=[^&\s'\"]+")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")


def redact_url(text: str) -> str:
    """``text`` with secret query values (``sig=``, ``token=``…) replaced."""
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if k.lower() in SECRET_KEYS else _redact_value(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, str):
        return _BEARER.sub("Bearer " + REDACTED, _PRIVATE_KEY.sub(REDACTED, value))
    return value


def redact_body(body: str | bytes | None) -> str:
    """A request or response body fit for a log: JSON with secret keys masked, or, when it
    is not JSON, a length only (a non-JSON body may be anything)."""
    if body is None or body == b"" or body == "":
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except ValueError:
        return f"<{len(text)} characters, not JSON: not logged>"
    return json.dumps(_redact_value(parsed), separators=(",", ":"))
