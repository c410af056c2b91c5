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
    interactions whose URL matches ``pattern`` are not recorded at all.

:func:`default_scrubber` returns the rules every flexvmss cassette is recorded with;
:meth:`Scrubber.with_rules` adds your own.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flexvmss._redact import SECRET_KEYS

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

RuleKind = Literal["regex", "json_key", "header", "drop"]


@dataclass(frozen=True)
class ScrubRule:
    """One scrubbing rule; build it with the class methods rather than by hand.

    ``except_status`` exempts responses with those status codes (used to keep
    ``Retry-After`` on 429/503 answers, where it is test data, not a poll hint).
    ``guid_only`` makes a ``json_key`` rule touch only values that are GUIDs.
    """

    name: str
    kind: RuleKind
    pattern: str | None = None
    keys: tuple[str, ...] = ()
    replacement: str | None = REDACTED
    except_status: tuple[int, ...] = ()
    guid_only: bool = False
    _compiled: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind in ("regex", "drop"):
            if not self.pattern:
                raise ValueError(f"scrub rule {self.name!r}: kind {self.kind!r} needs a pattern")
            object.__setattr__(self, "_compiled", re.compile(self.pattern))
        elif self.kind in ("json_key", "header"):
            if not self.keys:
                raise ValueError(f"scrub rule {self.name!r}: kind {self.kind!r} needs keys")
        else:
            raise ValueError(f"scrub rule {self.name!r}: unknown kind {self.kind!r}")
        if self.kind == "regex" and self.replacement is None:
            raise ValueError(f"scrub rule {self.name!r}: a regex rule needs a replacement")

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
        self._form_patterns = [
            (
                re.compile(rf"(?i)(^|[?&;\s]){re.escape(key)}=([^&\s\"']*)"),
                rule,
            )
            for rule in self._keys
            for key in rule.keys
        ]

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
        """Apply every regex rule, then ``key=value`` form rules, to free text."""
        for rule in self._regex:
            text = rule.sub(text)
        for pattern, rule in self._form_patterns:
            text = pattern.sub(lambda m, r=rule: self._form_sub(m, r), text)  # type: ignore[misc]
        return text

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
                headers[name] = [self.scrub_text(v) if isinstance(v, str) else v for v in value]
            elif isinstance(value, str):
                headers[name] = self.scrub_text(value)

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
            ScrubRule.regex(
                "private-keys",
                r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
            ),
            ScrubRule.regex("jwt", r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
            ScrubRule.regex(
                "bearer", r"(?i)\bBearer\s+(?!Sanitized\b)[A-Za-z0-9._~+/=-]+", "Bearer Sanitized"
            ),
            ScrubRule.regex("sas-signature", r"(?i)([?&;]sig=)[^&\s\"'<>]+", r"\g<1>Sanitized"),
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
        ]
    )
