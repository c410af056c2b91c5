"""Secrets, recognised by name and by shape: the one place that decides what is secret.

Everything that shows or stores traffic asks this module: the library's error messages and its
redacting HTTP trace (:mod:`flexvmss._pipeline._trace`), spec reprs, the command line's debug
tracebacks, and the cassette kit's scrubber and scanner (:mod:`flexvmss.testing`). So what a
cassette loses, a log line loses too, and the scanner flags exactly what the scrubber removes.

Two ways a value is known to be secret:

* **by name**: a JSON key, header or query parameter whose name says so (``adminPassword``,
  ``storageAccountKey``, ``sqlAdminPassword``, ``x-api-key``, ``?token=``, ``?code=``...);
  see :func:`is_secret_key`, :func:`is_secret_header`, :func:`is_secret_param`;
* **by shape**, wherever it is (:func:`find_secrets`): PEM and PuTTY private keys, JWTs,
  bearer tokens, SAS signatures (``sig=``, also inside JSON string values and URL-encoded),
  ``name=value`` pairs and connection-string parts whose name is secret (``password=``,
  ``AccountKey=``, ``SharedAccessSignature=``), quoted ``"key": "value"`` pairs in free text,
  password options in command lines (``--password x``, ``-pSECRET``, ``-Password x``) and
  high-entropy tokens (:func:`looks_random`).

Values that already stand for a removed secret (:data:`MASKS`) are never reported again.
"""

from __future__ import annotations

import base64
import binascii
import collections
import functools
import json
import math
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MASKS",
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "SECRET_PARAMS",
    "SHAPE_KINDS",
    "Match",
    "find_secrets",
    "is_masked",
    "is_secret_header",
    "is_secret_key",
    "is_secret_param",
    "key_kind",
    "looks_random",
    "merged_spans",
    "redact_body",
    "redact_headers",
    "redact_json",
    "redact_text",
    "redact_url",
    "secret_by_name",
]

REDACTED = "REDACTED"

#: Values that stand for a secret already removed: the library's, the cassette kit's
#: (``Sanitized``), :class:`flexvmss.Secret`'s mask and the empty string.
MASKS = frozenset({"", REDACTED, "Sanitized", "********", "<redacted>", "Secret('********')"})

#: JSON keys whose whole value is secret, whatever it holds (compared case-insensitively).
#: The cassette kit replaces these values wholesale, objects included (``protectedSettings``).
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
        "storageAccountKey",
        "sqlAdminPassword",
        "connectionString",
        "sasToken",
    )
)

#: Headers that carry credentials or session material (compared case-insensitively); any
#: header whose name ends like a secret key (``...-token``, ``...-secret``) counts too.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-ms-authorization-auxiliary",
        "x-api-key",
        "api-key",
        "apikey",
        "x-functions-key",
        "ocp-apim-subscription-key",
        "x-goog-api-key",
        "x-flexvmss-admin-token",
    }
)

#: Query parameters that carry secrets, besides those whose name is a secret key
#: (``?token=``, ``?client_secret=``): SAS signatures and OAuth codes.
SECRET_PARAMS = frozenset({"sig", "signature", "code", "key", "subscription-key", "api-key", "apikey"})

# Name endings that make a key secret (compared on the name lower-cased without '_', '-', '.').
_SECRET_ENDINGS = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "accountkey",
    "accesskey",
    "apikey",
    "sharedkey",
    "sharedaccesskey",
    "sharedaccesssignature",
    "masterkey",
    "secretkey",
    "privatekey",
    "signingkey",
    "storagekey",
    "primarykey",
    "secondarykey",
    "subscriptionkey",
    "functionskey",
    "connectionstring",
    "sas",
    "sasurl",
    "sasuri",
    "credential",
    "clientassertion",
)
# ...except paging cursors, which end in "token" and are not credentials.
_CURSOR_PREFIXES = ("skip", "continuation", "next", "nextpage", "page", "resume", "sync")

# Scanner kinds for keys the kit has always named.
_KEY_KINDS = {
    "adminpassword": "admin-password",
    "password": "admin-password",
    "customdata": "custom-data",
    "userdata": "user-data",
    "protectedsettings": "protected-settings",
    "protectedsettingsfromkeyvault": "protected-settings",
    "clientsecret": "client-secret",
    "clientassertion": "client-secret",
    "accesstoken": "token",
    "refreshtoken": "token",
    "idtoken": "token",
}


#: Every kind :func:`find_secrets` reports.
SHAPE_KINDS: tuple[str, ...] = (
    "private-key",
    "jwt",
    "bearer-token",
    "sas-signature",
    "connection-string",
    "command-password",
    "secret-query",
    "high-entropy",
    *sorted({*_KEY_KINDS.values(), "secret-value"}),
)


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@functools.lru_cache(maxsize=4096)
def is_secret_key(name: str) -> bool:
    """Whether a JSON key or ``name=`` holds a secret: one of :data:`SECRET_KEYS`, or a name
    ending in ``password``, ``secret``, ``token``, ``accountKey``, ``apiKey``,
    ``connectionString``, ``sas``... (``sqlAdminPassword``, ``storageAccountKey``, ``x-csrf-token``);
    paging cursors (``skipToken``, ``continuationToken``) are not."""
    if name.lower() in SECRET_KEYS or name.lower() in SECRET_HEADERS:
        return True
    norm = _norm(name)
    if not norm:
        return False
    for ending in _SECRET_ENDINGS:
        if norm.endswith(ending):
            return not (ending == "token" and norm[: -len(ending)] in _CURSOR_PREFIXES)
    return False


def is_secret_header(name: str) -> bool:
    """Whether a header's value is secret: :data:`SECRET_HEADERS` or a secret-sounding name
    (the same test as :func:`is_secret_key`, which knows the header names too)."""
    return is_secret_key(name)


def is_secret_param(name: str) -> bool:
    """Whether a query parameter's value is secret: :data:`SECRET_PARAMS` or a secret key."""
    return name.lower().lstrip("$") in SECRET_PARAMS or is_secret_key(name)


def key_kind(name: str) -> str:
    """The scanner's name for the secret a key holds (``admin-password``, ``secret-value``...)."""
    return _KEY_KINDS.get(_norm(name), "secret-value")


def is_masked(value: object) -> bool:
    """Whether ``value`` is empty or already stands for a removed secret."""
    if value is None:
        return True
    return isinstance(value, str) and value.strip().strip("\"'\\") in MASKS


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True, order=True)
class Match:
    """A secret found in a text: ``text[start:end]`` is the secret part (a key or option name
    before it is kept), ``kind`` what it looks like."""

    start: int
    end: int
    kind: str


_MASK_ALT = "|".join(re.escape(m) for m in sorted(MASKS, key=len, reverse=True) if m)

_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)"
    r"|PuTTY-User-Key-File-\d+:(?:[\s\S]*?Private-MAC: *[0-9A-Fa-f]+|[\s\S]*)"
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(rf"(?i)\bBearer\s+(?!(?:{_MASK_ALT})\b)([A-Za-z0-9._~+/=-]{{8,}})")
# sig= anywhere a SAS URL can be (a query, a JSON string, a connection string), also encoded
_SAS = re.compile(r"(?i)(?<![A-Za-z0-9_])sig(?:=|%3D)((?:(?!%26)[^&\s\"'<>\\;,])+)")
# name=value: query parameters, connection strings, form bodies, command lines, log text
_ASSIGN = re.compile(
    r"(?<![\w.$%-])(\$?[A-Za-z][\w.-]{0,63})[ \t]*=[ \t]*"
    r"(?:\"((?:\\.|[^\"\\])*)\"|'([^']*)'|(Secret\('\*+'\)|(?:%[0-9A-Fa-f]{2}|[^\s;&\"'<>,\\%])+))"
)
# "key": "value" / 'key': 'value' in text that is not parsed as JSON (logs, reprs, YAML)
_QUOTED_PAIR = re.compile(
    r"(\\*[\"'])([A-Za-z_$][\w.$-]{0,63})\1[ \t]*:[ \t]*"
    r"(?:(\\*[\"'])((?:(?!\3)(?:\\.|[^\\]))*)\3|([{\[]))"
)
# password options of command lines: --password x, --password=x, -Password x, -pSECRET
_OPTION = re.compile(
    r"(?i)(?<![\w-])(?:--?(?:admin-?)?(?:password|passwd|pwd|pass|secret|client-secret|token|"
    r"api-?key|access-?key|account-?key|sas-?token)(?:[ \t]+|=)|-p(?=[^\s\d/\-\"'.]))"
    r"(?:\"([^\"]+)\"|'([^']+)'|([^\s\"';&|<>]+))"
)
# candidates for high-entropy tokens: runs of base64 / base64url characters (+, / and = also
# URL-encoded), padding only at the end
_TOKEN = re.compile(r"(?:%2[BbFf]|%3[Dd]|[A-Za-z0-9+/_~-])+(?:=|%3[Dd]){0,2}")

_PIECE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_VOWELS = frozenset("aeiouyAEIOUY")
_HEX = re.compile(r"[0-9a-fA-F]+")
# GUIDs and runs of 8+ hex digits: ids and the hashes Azure puts in generated names
_HEX_RUN = re.compile(
    r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|(?<![0-9a-fA-F])[0-9a-fA-F]{8,}(?![0-9a-fA-F])"
)
_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")

#: Fewest letters and digits (GUIDs and hex runs set aside) a token needs for :func:`looks_random`
#: to judge it. Calibrated on random tokens and on every string of the committed cassettes and of
#: the azure-mgmt models: base64 of 48 random bytes is always caught, of 32 bytes all but ~1 in
#: 4,000, of 24 bytes all but ~1 in 150; no name, id, SKU, ETag or date is.
MIN_RANDOM_LENGTH = 28
#: Shortest hex-only token judged random (a GUID without dashes, 32, and Key Vault version ids
#: are not; a SHA-1, 40, is).
MIN_RANDOM_HEX_LENGTH = 40


def _entropy(text: str) -> float:
    counts = collections.Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _wordiness(text: str) -> float:
    """The share of letters and digits in word-like pieces (3+ letters with a vowel, split at
    case changes): high for identifiers such as ``VirtualMachineScaleSetVMProfile``, low for
    random characters."""
    alnum = sum(ch.isalnum() for ch in text)
    covered = sum(
        len(p) for p in _PIECE.findall(text) if len(p) >= 3 and not p.isdigit() and _VOWELS.intersection(p)
    )
    return covered / max(1, alnum)


def _b64_plain_text(token: str) -> bool:
    """Whether ``token`` is base64 of ordinary text, or of an SSH public key blob: public data."""
    core = token.rstrip("=")
    try:
        altchars = b"-_" if "-" in core or "_" in core else None
        raw = base64.b64decode(core + "=" * (-len(core) % 4), altchars=altchars)
    except (binascii.Error, ValueError):
        return False
    if len(raw) >= 11 and raw[:3] == b"\x00\x00\x00" and raw[4:].startswith((b"ssh-", b"ecdsa-", b"sk-")):
        return True
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return len(text) > 0 and printable / len(text) >= 0.95


@functools.lru_cache(maxsize=8192)
def looks_random(token: str) -> bool:
    """Whether ``token`` looks like key material rather than a name, id or encoded text.

    Mixed-case base64/base64url-like tokens whose character entropy is high and which are not
    made of word-like pieces, once GUIDs and hex runs (ids, hashes in generated names) are set
    aside, with at least :data:`MIN_RANDOM_LENGTH` characters left; and hex strings of
    :data:`MIN_RANDOM_HEX_LENGTH` or more. GUIDs, resource ids and names, ETags, dates and
    base64 of text or of SSH public keys are not random.
    """
    core = _URL_ESCAPE.sub("%", token).strip("=-_~/")
    if _HEX.fullmatch(core):
        return len(core) >= MIN_RANDOM_HEX_LENGTH and not core.isdigit() and _entropy(core) >= 3.0
    rest = _HEX_RUN.sub(" ", core)
    if sum(ch.isalnum() for ch in rest) < MIN_RANDOM_LENGTH:
        return False
    if not (any(ch.isupper() for ch in rest) and any(ch.islower() for ch in rest)):
        return False
    if _entropy(rest) < 3.8 or _wordiness(rest) >= 0.7:
        return False
    return not _b64_plain_text(token)


def _random_segment(token: str) -> bool:
    """Whether a token with ``/`` in it (a URL path, or base64, whose alphabet has ``/``) still
    looks random once its pieces that are base64 of text are set aside: a URL path that holds
    ARM's opaque but public operation token (``operationresults/<base64 of JSON>``) is not a
    secret, while key material decodes to no text and is judged whole."""
    if "/" not in token:
        return True
    pieces = token.split("/")
    kept = [piece for piece in pieces if not (len(piece) >= 16 and _b64_plain_text(piece))]
    return len(kept) == len(pieces) or looks_random("/".join(kept))


def _value_span(match: re.Match[str], *groups: int) -> tuple[int, int, str] | None:
    for group in groups:
        if match.group(group) is not None:
            return match.start(group), match.end(group), match.group(group)
    return None


def _bracket_end(text: str, start: int) -> int:
    """The index just past the bracket closing the one at ``text[start]`` (or the text's end)."""
    depth = 0
    quote = ""
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def _assign_kind(name: str) -> str:
    lowered = _norm(name)
    if lowered in ("accountkey", "sharedaccesskey", "sharedaccesssignature"):
        return "connection-string"
    return key_kind(name)


def find_secrets(text: str) -> list[Match]:
    """Every secret-shaped part of ``text``, in order (overlaps possible; see :func:`redact_text`)."""
    if len(text) < 20 and not _HINTS.search(text):
        return []  # too short for a token, and no '=', ':' or '-' for a pair or an option
    if len(text) <= 2048:
        return list(_find_cached(text))
    return _find(text)


_HINTS = re.compile(r"[=:-]")


@functools.lru_cache(maxsize=4096)
def _find_cached(text: str) -> tuple[Match, ...]:
    return tuple(_find(text))


def _find(text: str) -> list[Match]:
    found: list[Match] = []

    def add(start: int, end: int, value: str, kind: str) -> None:
        if end > start and not is_masked(value):
            found.append(Match(start, end, kind))

    for m in _PRIVATE_KEY.finditer(text):
        add(m.start(), m.end(), m.group(0), "private-key")
    for m in _JWT.finditer(text):
        add(m.start(), m.end(), m.group(0), "jwt")
    for m in _BEARER.finditer(text):
        add(m.start(1), m.end(1), m.group(1), "bearer-token")
    for m in _SAS.finditer(text):
        add(m.start(1), m.end(1), m.group(1), "sas-signature")
    for m in _ASSIGN.finditer(text):
        name = m.group(1)
        after_query = m.start() > 0 and text[m.start() - 1] in "?&;"
        span = _value_span(m, 2, 3, 4)
        if span is None:
            continue
        if is_secret_key(name) or (after_query and is_secret_param(name)):
            kind = "secret-query" if after_query and not is_secret_key(name) else _assign_kind(name)
            add(*span, kind)
        elif "%" in span[2] or (after_query and "+" in span[2]):  # URL-encoded: what it hides
            decode = urllib.parse.unquote_plus if after_query else urllib.parse.unquote
            inner = _find(decode(span[2]))
            if inner:
                add(*span, inner[0].kind)
    for m in _QUOTED_PAIR.finditer(text):
        name = m.group(2)
        if not is_secret_key(name):
            continue
        if m.group(5) is not None:  # an object or list under a secret key: all of it
            if name.lower() in SECRET_KEYS:
                end = _bracket_end(text, m.start(5))
                add(m.start(5), end, text[m.start(5) : end], key_kind(name))
            continue
        add(m.start(4), m.end(4), m.group(4), key_kind(name))
    for m in _OPTION.finditer(text):
        span = _value_span(m, 1, 2, 3)
        if span is not None and not span[2].isdigit():
            add(*span, "command-password")
    for m in _TOKEN.finditer(text):
        if m.end() - m.start() >= 20 and looks_random(m.group(0)) and _random_segment(m.group(0)):
            add(m.start(), m.end(), m.group(0), "high-entropy")
    found.sort()
    return found


def merged_spans(matches: list[Match]) -> list[tuple[int, int, str]]:
    """Overlapping matches (sorted) merged: ``(start, end, kind of the first)``."""
    spans: list[tuple[int, int, str]] = []
    for match in sorted(matches):
        if spans and match.start <= spans[-1][1]:
            start, end, kind = spans[-1]
            spans[-1] = (start, max(end, match.end), kind)
        else:
            spans.append((match.start, match.end, match.kind))
    return spans


def redact_text(text: str, replacement: str = REDACTED) -> str:
    """``text`` with every secret-shaped part (:func:`find_secrets`) replaced."""
    matches = find_secrets(text)
    if not matches:
        return text
    out: list[str] = []
    last = 0
    for start, end, _ in merged_spans(matches):
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)


#: ``hook(where, name, value)``: the user's own say on whether a value is secret; ``where`` is
#: ``"key"``, ``"header"`` or ``"query"``.
SecretHook = Callable[[str, str, str], bool]


def secret_by_name(name: str, value: object) -> str | None:
    """The kind of secret ``value`` is under the JSON key ``name`` (None: not one by name).

    The values of :data:`SECRET_KEYS` are secret whatever they hold (objects included); those
    of other secret-sounding keys (:func:`is_secret_key`) when they are scalars. Masked values
    are not secret any more."""
    if is_masked(value):
        return None
    if name.lower() in SECRET_KEYS:
        return key_kind(name)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and is_secret_key(name):
        return key_kind(name)
    return None


def redact_json(
    value: Any, replacement: str = REDACTED, *, hook: SecretHook | None = None, _depth: int = 0
) -> Any:
    """A copy of a decoded JSON document with secrets replaced: values secret by their key's
    name (:func:`secret_by_name`, or ``hook("key", name, value)``) and secret shapes inside
    every string."""
    if _depth > 200:
        return replacement
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            hooked = (
                hook is not None and isinstance(item, str) and not is_masked(item) and hook("key", name, item)
            )
            if hooked or secret_by_name(name, item) is not None:
                out[name] = replacement
            else:
                out[name] = redact_json(item, replacement, hook=hook, _depth=_depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [redact_json(item, replacement, hook=hook, _depth=_depth + 1) for item in value]
    if isinstance(value, str):
        return redact_text(value, replacement)
    return value


# --------------------------------------------------------------------------- library redaction


def redact_url(text: str) -> str:
    """``text`` (a URL or a message holding URLs) with secret query values and secret shapes
    replaced."""
    return redact_text(text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers fit for a log: secret headers masked, secret shapes in the others replaced."""
    return {
        k: (REDACTED if is_secret_header(k) else redact_text(v) if isinstance(v, str) else v)
        for k, v in headers.items()
    }


def redact_body(body: str | bytes | None) -> str:
    """A request or response body fit for a log: JSON with secrets replaced (by key and by
    shape, at any depth), or, when it is not JSON, a length only (a non-JSON body may be
    anything)."""
    if body is None or body == b"" or body == "":
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return f"<{len(text)} characters, not JSON: not logged>"
    return json.dumps(redact_json(parsed), separators=(",", ":"))
