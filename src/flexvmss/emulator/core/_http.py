"""One HTTP request and its answer, as a handler sees them (no sockets, no bytes on the wire)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ArmError

__all__ = ["JSON", "CaseInsensitiveDict", "Request", "Response"]

JSON = Any


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
    """A handler's answer. ``body`` is JSON-shaped data, or ``bytes`` of JSON already
    serialized (an answer cached whole), or None for no body."""

    status: int = 200
    body: JSON = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, body: JSON, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status=status, body=body, headers=dict(headers or {}))

    @classmethod
    def empty(cls, status: int, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status=status, body=None, headers=dict(headers or {}))
