"""The cassette scanner: does anything in these files still look like a secret?

``python -m flexvmss.testing scan cassettes/`` walks files and folders (``*.yaml``,
``*.yml``, ``*.json``), and lists ``file:line: kind`` for every suspect; it never prints the
suspect value itself. YAML (and JSON) cassettes are read node by node, so a value that YAML
folded over several lines is still seen whole, and reported at the line its node starts; a
string that holds a JSON document (a recorded body) is read as JSON, key by key.

It uses the detectors the scrubber uses (:mod:`flexvmss._redact`), so it flags exactly what
the default scrubber would have removed:

* by name: the values of secret keys at any depth (``admin-password``, ``custom-data``,
  ``user-data``, ``protected-settings``, ``client-secret``, ``token``, and ``secret-value``
  for the others: ``storageAccountKey``, ``sqlAdminPassword``...), of secret headers
  (``secret-header``: ``x-api-key``...) and of secret query parameters (``secret-query``:
  ``?token=``, ``?code=``...);
* by shape, anywhere: ``private-key``, ``jwt``, ``bearer-token``, ``sas-signature``,
  ``connection-string``, ``command-password`` and ``high-entropy``;
* ``subscription-id`` (a non-zero GUID after ``/subscriptions/``), and the headers that must
  not be in a cassette at all: ``authorization-header`` and ``cookie``.

:func:`scan_text` applies the same detectors to any text, such as captured log lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexvmss._redact import (
    find_secrets,
    is_masked,
    is_secret_header,
    is_secret_key,
    key_kind,
    secret_by_name,
)

from ._scrub import ZERO_GUID

__all__ = ["Finding", "scan_path", "scan_text", "scan_value"]

_SUBSCRIPTION = re.compile(
    rf"(?i)/subscriptions/(?!{ZERO_GUID})[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"
)
#: Headers that must not be in a cassette at all (YAML mapping keys).
_FORBIDDEN_HEADERS = {
    "authorization": "authorization-header",
    "proxy-authorization": "authorization-header",
    "cookie": "cookie",
    "set-cookie": "cookie",
}
_SUFFIXES = (".yaml", ".yml", ".json")
#: Bodies nested deeper than this are not walked key by key (their text is still scanned).
_MAX_DEPTH = 200


@dataclass(frozen=True, order=True)
class Finding:
    """One suspect: where it is and what kind of secret it looks like (never the value)."""

    path: str
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}"


def _text_kinds(text: str) -> Iterator[tuple[int, str]]:
    """``(offset, kind)`` of every suspect in free text."""
    for found in find_secrets(text):
        yield found.start, found.kind
    for match in _SUBSCRIPTION.finditer(text):
        yield match.start(), "subscription-id"


def _value_kinds(value: Any, depth: int = 0) -> Iterator[str]:
    """The kinds of every suspect in a decoded JSON value (keys by name, strings by shape)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            kind = secret_by_name(str(key), item)
            if kind is not None:
                yield kind
            else:
                yield from _value_kinds(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _value_kinds(item, depth + 1)
    elif isinstance(value, str):
        yield from _string_kinds(value, depth)


def _as_json(text: str) -> Any:
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError):
        return None


def _string_kinds(text: str, depth: int = 0) -> Iterator[str]:
    document = _as_json(text)
    if isinstance(document, (dict, list)):
        yield from _value_kinds(document, depth + 1)
    else:
        for _, kind in _text_kinds(text):
            yield kind


def scan_value(value: Any, *, path: str = "<value>", line: int = 1) -> list[Finding]:
    """Findings in a decoded JSON value (a body, a parsed log record), all reported at ``line``."""
    return sorted({Finding(path, line, kind) for kind in _value_kinds(value)})


def scan_text(text: str, *, path: str = "<text>", line: int = 1) -> list[Finding]:
    """Findings in free text (or a JSON document); ``line`` is the line ``text`` starts at."""
    document = _as_json(text)
    if isinstance(document, (dict, list)):
        return scan_value(document, path=path, line=line)
    return sorted(
        {Finding(path, line + text.count("\n", 0, offset), kind) for offset, kind in _text_kinds(text)}
    )


def _yaml_findings(text: str, path: str) -> list[Finding] | None:
    """Findings in a YAML (or JSON) document, node by node; ``None`` when it is not YAML."""
    import yaml

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError):
        return None
    findings: list[Finding] = []

    def scalars(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
        if isinstance(node, yaml.ScalarNode):
            yield node
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from scalars(item)

    def walk(node: yaml.Node, under_headers: bool, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        if isinstance(node, yaml.ScalarNode):
            findings.extend(scan_text(str(node.value), path=path, line=node.start_mark.line + 1))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, under_headers, depth + 1)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = str(getattr(key, "value", ""))
                line = key.start_mark.line + 1
                if under_headers and name.lower() in _FORBIDDEN_HEADERS:
                    findings.append(Finding(path, line, _FORBIDDEN_HEADERS[name.lower()]))
                elif under_headers and is_secret_header(name):
                    if any(not is_masked(s.value) for s in scalars(value)):
                        findings.append(Finding(path, line, "secret-header"))
                elif (
                    not under_headers
                    and isinstance(value, yaml.ScalarNode)
                    and is_secret_key(name)
                    and not is_masked(value.value)
                    and value.tag.endswith((":str", ":int", ":float"))
                ):
                    findings.append(Finding(path, line, key_kind(name)))
                walk(key, False, depth + 1)
                walk(value, name.lower() == "headers", depth + 1)

    if root is not None:
        walk(root, False, 0)
    return findings


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES)
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


def scan_path(*paths: str | Path) -> tuple[list[Finding], int]:
    """Scan files and folders; returns ``(findings, number of files scanned)``.

    Raises ``FileNotFoundError`` for a path that does not exist.
    """
    findings: set[Finding] = set()
    count = 0
    for file in _files(paths):
        count += 1
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            text = file.read_text(encoding="utf-8", errors="replace")
        parsed = _yaml_findings(text, str(file))
        findings.update(parsed if parsed is not None else scan_text(text, path=str(file)))
    return sorted(findings), count
