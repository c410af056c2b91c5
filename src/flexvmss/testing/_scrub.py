"""Scrubbing: what never reaches a cassette on disk.

A :class:`Scrubber` is an ordered list of :class:`ScrubRule` values. The cassette kit hands
it to vcrpy as ``before_record_request`` / ``before_record_response``, so every
interaction is scrubbed in memory, as it is recorded, before anything is written. The same
request scrubbing runs on live requests before they are matched against a cassette, so a
request that carries a real subscription id still matches its scrubbed recording.

Rules are data. Each has a ``name`` (shown by :meth:`Scrubber.describe`) and one ``kind``:

``regex``
    a regular expression replaced in the URL, in every header value and in both bodies;
``json_key``
    the values of these keys (case-insensitive, at any depth) in JSON bodies, and in
    ``key=value`` form bodies and query strings;
``header``
    these headers' values replaced (or removed when ``replacement`` is ``None``);
``drop``
    interactions whose URL matches ``pattern`` are not recorded at all;
``shapes``
    values that look like secrets wherever they are (PEM keys, JWTs, bearer tokens, SAS
    signatures, connection strings, passwords in command lines, secret query parameters,
    high-entropy tokens): the detectors of :mod:`flexvmss._redact`, which the scanner uses too;
``names``
    values whose key, header or query parameter is named like a secret
    (:func:`flexvmss._redact.is_secret_key`: ``storageAccountKey``, ``sqlAdminPassword``,
    ``x-api-key``...);
``hook``
    your own predicate ``hook(where, name, value)`` (``where`` is ``"key"``, ``"header"`` or
    ``"query"``): the values it says are secret are replaced.

:func:`default_scrubber` returns the rules every flexvmss cassette is recorded with;
:meth:`Scrubber.with_rules` adds your own.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flexvmss._redact import (
    SECRET_KEYS,
    SHAPE_KINDS,
    find_secrets,
    is_masked,
    is_secret_header,
    is_secret_key,
    merged_spans,
)

__all__ = [
    "REDACTED",
    "ZERO_GUID",
    "ScrubRule",
    "Scrubber",
    "default_scrubber",
]

#: What a scrubbed secret reads as in a cassette.
REDACTED = "Sanitized"
#: What subscription and tenant ids read as in a cassette.
ZERO_GUID = "00000000-0000-0000-0000-000000000000"

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_GUID_RE = re.compile(rf"^{_GUID}$")
_QUERY_PARAM = re.compile(r"([?&;])([^=&#\s]+)=([^&#\s\"'<>]*)")

#: Texts up to this length are remembered by :meth:`Scrubber.scrub_text`, this many at most.
_CACHED_TEXT_LENGTH = 512
_CACHED_TEXTS = 100_000

RuleKind = Literal["regex", "json_key", "header", "drop", "shapes", "names", "hook"]
#: ``hook(where, name, value)`` -> whether the value is secret (``where``: key, header, query).
SecretHook = Callable[[str, str, str], bool]


@dataclass(frozen=True)
class ScrubRule:
    """One scrubbing rule; build it with the class methods rather than by hand.

    ``except_status`` exempts responses with those status codes (used to keep
    ``Retry-After`` on 429/503 answers, where it is test data, not a poll hint).
    ``guid_only`` makes a ``json_key`` rule touch only values that are GUIDs. A ``shapes``
    rule's ``keys`` are the kinds of :func:`flexvmss._redact.find_secrets` it replaces.
    """

    name: str
    kind: RuleKind
    pattern: str | None = None
    keys: tuple[str, ...] = ()
    replacement: str | None = REDACTED
    except_status: tuple[int, ...] = ()
    guid_only: bool = False
    predicate: SecretHook | None = field(default=None, compare=False)
    _compiled: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind in ("regex", "drop"):
            if not self.pattern:
                raise ValueError(f"scrub rule {self.name!r}: kind {self.kind!r} needs a pattern")
            object.__setattr__(self, "_compiled", re.compile(self.pattern))
        elif self.kind in ("json_key", "header", "shapes"):
            if not self.keys:
                raise ValueError(f"scrub rule {self.name!r}: kind {self.kind!r} needs keys")
            unknown = set(self.keys) - set(SHAPE_KINDS) if self.kind == "shapes" else set()
            if unknown:
                raise ValueError(f"scrub rule {self.name!r}: unknown shapes {sorted(unknown)}")
        elif self.kind == "hook":
            if not callable(self.predicate):
                raise ValueError(f"scrub rule {self.name!r}: a hook rule needs a predicate")
        elif self.kind != "names":
            raise ValueError(f"scrub rule {self.name!r}: unknown kind {self.kind!r}")
        if self.kind in ("regex", "shapes", "names", "hook") and self.replacement is None:
            raise ValueError(f"scrub rule {self.name!r}: a {self.kind} rule needs a replacement")

    # ------------------------------------------------------------------ constructors

    @classmethod
    def regex(cls, name: str, pattern: str, replacement: str = REDACTED) -> ScrubRule:
        """Replace ``pattern`` (``re.sub`` syntax, groups allowed) everywhere."""
        return cls(name, "regex", pattern=pattern, replacement=replacement)

    @classmethod
    def literal(cls, name: str, value: str, replacement: str = REDACTED) -> ScrubRule:
        """Replace one known value everywhere (case-insensitive), e.g. a real subscription id."""
        return cls(
            name, "regex", pattern=f"(?i){re.escape(value)}", replacement=replacement.replace("\\", r"\\")
        )

    @classmethod
    def json_key(
        cls, name: str, *keys: str, replacement: str = REDACTED, guid_only: bool = False
    ) -> ScrubRule:
        """Replace the values of ``keys`` in JSON bodies and ``key=value`` forms."""
        return cls(
            name,
            "json_key",
            keys=tuple(k.lower() for k in keys),
            replacement=replacement,
            guid_only=guid_only,
        )

    @classmethod
    def header(
        cls, name: str, *headers: str, replacement: str | None = None, except_status: Iterable[int] = ()
    ) -> ScrubRule:
        """Remove ``headers`` (or set them to ``replacement``) on requests and responses."""
        return cls(
            name,
            "header",
            keys=tuple(h.lower() for h in headers),
            replacement=replacement,
            except_status=tuple(except_status),
        )

    @classmethod
    def shapes(cls, name: str, *kinds: str, replacement: str = REDACTED) -> ScrubRule:
        """Replace what looks like a secret of these kinds (default: every kind), wherever it
        is: ``private-key``, ``jwt``, ``bearer-token``, ``sas-signature``,
        ``connection-string``, ``command-password``, ``secret-query``, ``high-entropy``... (the
        kinds of :data:`flexvmss._redact.SHAPE_KINDS`)."""
        return cls(name, "shapes", keys=tuple(kinds or SHAPE_KINDS), replacement=replacement)

    @classmethod
    def names(cls, name: str, *, replacement: str = REDACTED) -> ScrubRule:
        """Replace the values of JSON keys and headers named like secrets
        (:func:`flexvmss._redact.is_secret_key` / :func:`~flexvmss._redact.is_secret_header`)."""
        return cls(name, "names", replacement=replacement)

    @classmethod
    def hook(cls, name: str, predicate: SecretHook, *, replacement: str = REDACTED) -> ScrubRule:
        """Replace the values ``predicate(where, name, value)`` says are secret; ``where`` is
        ``"key"`` (a JSON key), ``"header"`` or ``"query"`` (a query parameter)."""
        return cls(name, "hook", predicate=predicate, replacement=replacement)

    @classmethod
    def drop(cls, name: str, url_pattern: str) -> ScrubRule:
        """Record nothing of interactions whose URL matches ``url_pattern`` (``re.search``)."""
        return cls(name, "drop", pattern=url_pattern, replacement=None)

    # ------------------------------------------------------------------ application

    def sub(self, text: str) -> str:
        """Apply a ``regex`` rule to ``text`` (other kinds return it unchanged)."""
        if self.kind != "regex" or self._compiled is None:
            return text
        return self._compiled.sub(self.replacement or "", text)

    def drops(self, url: str) -> bool:
        return self.kind == "drop" and self._compiled is not None and self._compiled.search(url) is not None


class Scrubber:
    """An ordered, immutable set of :class:`ScrubRule` values applied to vcrpy interactions.

    ``scrub_request`` and ``scrub_response`` have the signatures vcrpy expects of
    ``before_record_request`` and ``before_record_response``. Both work on copies.
    """

    def __init__(self, rules: Iterable[ScrubRule] = ()) -> None:
        self._rules: tuple[ScrubRule, ...] = tuple(rules)
        self._regex = [r for r in self._rules if r.kind == "regex"]
        self._keys = [r for r in self._rules if r.kind == "json_key"]
        self._headers = [r for r in self._rules if r.kind == "header"]
        self._drops = [r for r in self._rules if r.kind == "drop"]
        self._shapes: dict[str, str] = {}
        for shape_rule in (r for r in self._rules if r.kind == "shapes"):
            for kind in shape_rule.keys:
                self._shapes.setdefault(kind, shape_rule.replacement or REDACTED)
        self._names = next((r for r in self._rules if r.kind == "names"), None)
        self._hooks = [r for r in self._rules if r.kind == "hook"]
        self._form_patterns = [
            (
                re.compile(rf"(?i)(^|[?&;\s]){re.escape(key)}=([^&\s\"']*)"),
                rule,
            )
            for rule in self._keys
            for key in rule.keys
        ]
        #: short texts already scrubbed -> their result. A JSON answer repeats the same short
        #: strings thousands of times (a region's Resource SKUs: capability names and values),
        #: and each costs every rule's regex; rules are fixed per scrubber, so the result is too
        #: (hooks are caller code, so a scrubber with hooks does not remember).
        self._text_cache: dict[str, str] = {}

    @property
    def rules(self) -> tuple[ScrubRule, ...]:
        return self._rules

    def with_rules(self, *rules: ScrubRule) -> Scrubber:
        """A new scrubber with ``rules`` applied before this one's (so they see raw values)."""
        return Scrubber((*rules, *self._rules))

    def without(self, *names: str) -> Scrubber:
        """A new scrubber without the rules named ``names``."""
        unknown = set(names) - {r.name for r in self._rules}
        if unknown:
            raise KeyError(f"no scrub rules named {sorted(unknown)}")
        return Scrubber(r for r in self._rules if r.name not in names)

    def describe(self) -> list[str]:
        return [f"{r.name} ({r.kind})" for r in self._rules]

    def __repr__(self) -> str:
        return f"Scrubber({len(self._rules)} rules)"

    # ------------------------------------------------------------------ text

    def scrub_text(self, text: str) -> str:
        """Apply every regex rule, then ``key=value`` form rules, then the shape detectors
        (and the hooks' query parameters), to free text."""
        remember = not self._hooks and len(text) <= _CACHED_TEXT_LENGTH
        if remember:
            known = self._text_cache.get(text)
            if known is not None:
                return known
        scrubbed = self._scrub_text(text)
        if remember:
            if len(self._text_cache) >= _CACHED_TEXTS:
                self._text_cache.clear()
            self._text_cache[text] = scrubbed
        return scrubbed

    def _scrub_text(self, text: str) -> str:
        for rule in self._regex:
            text = rule.sub(text)
        for pattern, rule in self._form_patterns:
            text = pattern.sub(lambda m, r=rule: self._form_sub(m, r), text)  # type: ignore[misc]
        if self._hooks:
            text = _QUERY_PARAM.sub(self._hook_param, text)
        if self._shapes:
            text = self._scrub_shapes(text)
        return text

    def _scrub_shapes(self, text: str) -> str:
        matches = [m for m in find_secrets(text) if m.kind in self._shapes]
        if not matches:
            return text
        out: list[str] = []
        last = 0
        for start, end, kind in merged_spans(matches):
            out.append(text[last:start])
            out.append(self._shapes[kind])
            last = end
        out.append(text[last:])
        return "".join(out)

    def _hooked(self, where: str, name: str, value: object) -> ScrubRule | None:
        if is_masked(value) or not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return None
        for rule in self._hooks:
            if rule.predicate is not None and rule.predicate(where, name, str(value)):
                return rule
        return None

    def _hook_param(self, match: re.Match[str]) -> str:
        rule = self._hooked("query", match.group(2), match.group(3))
        if rule is None:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}={rule.replacement}"

    def _secret_by_name(self, where: str, name: str, value: object) -> str | None:
        """The replacement for ``value`` when its key or header name says it is secret."""
        if is_masked(value) or not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return None
        if self._names is not None and (is_secret_header(name) if where == "header" else is_secret_key(name)):
            return self._names.replacement
        hooked = self._hooked(where, name, value)
        return hooked.replacement if hooked is not None else None

    @staticmethod
    def _form_sub(match: re.Match[str], rule: ScrubRule) -> str:
        value = match.group(2)
        if rule.guid_only and not _GUID_RE.match(value):
            return match.group(0)
        head = match.group(0)[: match.start(2) - match.start(0)]
        return head + (rule.replacement or "")

    def scrub_url(self, url: str) -> str:
        return self.scrub_text(url)

    def scrub_json(self, value: Any) -> Any:
        """Scrub a decoded JSON document: key rules at any depth, then regex rules on strings."""
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                rule = self._key_rule(key)
                if (
                    rule is not None
                    and item not in (None, "")
                    and not (rule.guid_only and not (isinstance(item, str) and _GUID_RE.match(item)))
                ):
                    out[key] = rule.replacement
                elif (by_name := self._secret_by_name("key", key, item)) is not None:
                    out[key] = by_name
                else:
                    out[key] = self.scrub_json(item)
            return out
        if isinstance(value, list):
            return [self.scrub_json(item) for item in value]
        if isinstance(value, str):
            return self.scrub_text(value)
        return value

    def _key_rule(self, key: str) -> ScrubRule | None:
        lowered = key.lower()
        for rule in self._keys:
            if lowered in rule.keys:
                return rule
        return None

    def scrub_body(self, body: bytes | str | None) -> bytes | str | None:
        """Scrub a body: JSON-aware when it parses as JSON, text rules otherwise.

        A body no rule changes is returned as it was, byte for byte.
        """
        if not isinstance(body, (bytes, str)) or not body:
            return body
        was_bytes = isinstance(body, bytes)
        if isinstance(body, bytes):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return body  # binary: nothing textual to scrub
        else:
            text = body
        new_text = self._scrub_json_text(text)
        if new_text is None:
            new_text = self.scrub_text(text)
        if new_text == text:
            return body
        return new_text.encode("utf-8") if was_bytes else new_text

    def _scrub_json_text(self, text: str) -> str | None:
        stripped = text.lstrip()
        if not stripped or stripped[0] not in "{[":
            return None
        try:
            document = json.loads(text)
        except ValueError:
            return None
        scrubbed = self.scrub_json(document)
        if scrubbed == document:
            return text
        return json.dumps(scrubbed)

    # ------------------------------------------------------------------ headers

    def _scrub_headers(self, headers: MutableMapping[str, Any], status: int | None) -> None:
        for name in list(headers.keys()):
            lowered = name.lower()
            rule = next((r for r in self._headers if lowered in r.keys), None)
            if rule is not None and (status is None or status not in rule.except_status):
                if rule.replacement is None:
                    del headers[name]
                    continue
                value = headers[name]
                headers[name] = (
                    [rule.replacement] * len(value) if isinstance(value, list) else rule.replacement
                )
                continue
            value = headers[name]
            if isinstance(value, list):
                headers[name] = [self._scrub_header_value(name, v) for v in value]
            elif isinstance(value, str):
                headers[name] = self._scrub_header_value(name, value)

    def _scrub_header_value(self, name: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        by_name = self._secret_by_name("header", name, value)
        return by_name if by_name is not None else self.scrub_text(value)

    @staticmethod
    def _fix_content_length(headers: MutableMapping[str, Any], body: bytes | str | None) -> None:
        for name in list(headers.keys()):
            if name.lower() == "content-length":
                size = len(body.encode("utf-8") if isinstance(body, str) else (body or b""))
                headers[name] = [str(size)] if isinstance(headers[name], list) else str(size)

    # ------------------------------------------------------------------ vcrpy hooks

    def drops(self, url: str) -> bool:
        return any(rule.drops(url) for rule in self._drops)

    def scrub_request(self, request: Any) -> Any:
        """vcrpy ``before_record_request``: a scrubbed copy, or ``None`` to not record it."""
        if request is None or self.drops(request.uri):
            return None
        request = copy.copy(request)
        request.uri = self.scrub_url(request.uri)
        headers = dict(request.headers)
        self._scrub_headers(headers, None)
        body = self.scrub_body(request.body)
        self._fix_content_length(headers, body)
        request.headers = headers
        request.body = body
        return request

    def scrub_response(self, response: dict[str, Any]) -> dict[str, Any]:
        """vcrpy ``before_record_response``: scrub headers and body, fix ``Content-Length``."""
        status = int(response.get("status", {}).get("code") or 0) or None
        headers = response.get("headers")
        body_holder = response.get("body") or {}
        body = body_holder.get("string") if isinstance(body_holder, Mapping) else None
        new_body = self.scrub_body(body)
        if isinstance(body_holder, dict) and "string" in body_holder:
            body_holder["string"] = new_body
        if isinstance(headers, dict):
            self._scrub_headers(headers, status)
            self._fix_content_length(headers, new_body)
        return response


# --------------------------------------------------------------------------- defaults

_AAD_HOSTS = (
    r"login\.microsoftonline\.com|login\.microsoftonline\.us|login\.chinacloudapi\.cn|login\.windows\.net"
)


def default_scrubber() -> Scrubber:
    """The rules every flexvmss cassette is recorded with.

    * AAD token traffic (v1 ``/oauth2/token``, v2 ``/oauth2/v2.0/token``, instance
      discovery, openid-configuration, on any AAD authority host) is not recorded;
      so is managed identity (IMDS) token traffic.
    * ``Authorization``, cookies and request-correlation ids (``x-ms-request-id``,
      ``x-ms-client-request-id``, ``x-ms-correlation-request-id``,
      ``x-ms-routing-request-id``): removed or set to the zero GUID.
    * ``Retry-After`` / ``retry-after-ms`` / ``x-ms-retry-after-ms``: removed, except
      on 429 and 503 answers where they are what a throttling test is about (replay
      never sleeps on them: flexvmss waits on the target's virtual clock, and the clients a
      test builds itself under :func:`flexvmss.testing.instant_sleep`).
    * Subscription and tenant ids (after ``/subscriptions/``, ``/tenants/``, in
      ``subscriptionId``/``tenantId``/``tid``) -> the zero GUID.
    * The values of every key in :data:`flexvmss._redact.SECRET_KEYS` (``adminPassword``,
      ``customData``, ``userData``, ``protectedSettings``, ``client_secret``, tokens,
      storage keys, run-command scripts, ...) -> ``Sanitized``: the same list the library
      masks in its own logs and error messages.
    * Anything JWT-shaped (``eyJ...``), bearer tokens, PEM private key blocks anywhere
      and SAS signatures (``sig=``) -> ``Sanitized``. SSH *public* keys are kept.
    * Values of keys and headers named like secrets (``storageAccountKey``,
      ``sqlAdminPassword``, ``x-api-key``...) and everything else that looks like a secret
      (connection strings, passwords in command lines, ``?token=`` / ``?code=`` query values,
      high-entropy tokens) -> ``Sanitized``: the detectors of :mod:`flexvmss._redact`, which
      ``python -m flexvmss.testing scan`` uses too.
    """
    return Scrubber(
        [
            ScrubRule.drop(
                "aad-token-traffic",
                rf"^https?://(?:[^/]*\.)?(?:{_AAD_HOSTS})(?::\d+)?/"
                r"|/oauth2/(?:v2\.0/)?(?:token|authorize|devicecode)\b"
                r"|/common/discovery/instance|/\.well-known/openid-configuration",
            ),
            ScrubRule.drop("imds-token-traffic", r"^http://169\.254\.169\.254/metadata/identity/"),
            ScrubRule.header("authorization", "authorization", "proxy-authorization", "cookie", "set-cookie"),
            ScrubRule.header(
                "request-ids",
                "x-ms-request-id",
                "x-ms-client-request-id",
                "x-ms-correlation-request-id",
                "x-ms-routing-request-id",
                "client-request-id",
                replacement=ZERO_GUID,
            ),
            ScrubRule.header(
                "poll-delays",
                "retry-after",
                "retry-after-ms",
                "x-ms-retry-after-ms",
                except_status=(429, 503),
            ),
            ScrubRule.shapes("private-keys", "private-key"),
            ScrubRule.shapes("jwt", "jwt"),
            ScrubRule.shapes("bearer", "bearer-token"),
            ScrubRule.shapes("sas-signature", "sas-signature"),
            ScrubRule.regex("subscription-ids", rf"(?i)(/subscriptions/){_GUID}", rf"\g<1>{ZERO_GUID}"),
            ScrubRule.regex("tenant-ids", rf"(?i)(/tenants/){_GUID}", rf"\g<1>{ZERO_GUID}"),
            ScrubRule.json_key(
                "tenant-and-subscription-ids",
                "tenantId",
                "tid",
                "subscriptionId",
                "homeTenantId",
                replacement=ZERO_GUID,
                guid_only=True,
            ),
            # the same keys the library masks in its own logs and errors (flexvmss._redact)
            ScrubRule.json_key("secrets", *sorted(SECRET_KEYS)),
            ScrubRule.names("secret-names"),
            ScrubRule.shapes(
                "secret-shapes",
                *(k for k in SHAPE_KINDS if k not in ("private-key", "jwt", "bearer-token", "sas-signature")),
            ),
        ]
    )
