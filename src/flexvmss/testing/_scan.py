"""The cassette scanner: does anything in these files still look like a secret?

``python -m flexvmss.testing scan cassettes/`` walks files and folders (``*.yaml``,
``*.yml``, ``*.json``), and lists ``file:line: kind`` for every suspect; it never prints the
suspect value itself. YAML cassettes are read node by node, so a value that YAML folded
over several lines is still seen whole, and reported at the line its node starts.

Kinds: ``bearer-token``, ``jwt``, ``private-key``, ``client-secret``, ``admin-password``,
``custom-data``, ``user-data``, ``protected-settings``, ``token``, ``sas-signature``,
``subscription-id`` (a non-zero GUID after ``/subscriptions/``), ``authorization-header``
and ``cookie``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ._scrub import REDACTED, ZERO_GUID

__all__ = ["PATTERNS", "Finding", "scan_path", "scan_text"]

_SAFE = rf"(?:{REDACTED}|\*+|)"
# A JSON key, possibly written with escaped quotes (JSON cassettes, double-quoted YAML).
_Q = r'\\*"'


def _key(*names: str) -> str:
    return rf"{_Q}(?:{'|'.join(names)}){_Q}\s*:\s*"


#: kind -> compiled pattern; a match is a finding.
PATTERNS: dict[str, re.Pattern[str]] = {
    "bearer-token": re.compile(rf"(?i)\bBearer\s+(?!{REDACTED}\b)[A-Za-z0-9._~+/=-]{{8,}}"),
    "jwt": re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    "private-key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    "client-secret": re.compile(
        rf"(?i)(?:\bclient_(?:secret|assertion)=(?!{REDACTED}(?:[&\s\"']|$))[^&\s\"']+"
        rf"|{_key('client_secret', 'client_assertion')}{_Q}(?!{_SAFE}{_Q}))"
    ),
    "admin-password": re.compile(rf"(?i){_key('adminPassword', 'password')}{_Q}(?!{_SAFE}{_Q})"),
    "custom-data": re.compile(rf"(?i){_key('customData')}{_Q}(?!{_SAFE}{_Q})"),
    "user-data": re.compile(rf"(?i){_key('userData')}{_Q}(?!{_SAFE}{_Q})"),
    "protected-settings": re.compile(
        rf"(?i){_key('protectedSettings', 'protectedSettingsFromKeyVault')}(?:\{{|{_Q}(?!{_SAFE}{_Q}))"
    ),
    "token": re.compile(
        rf"(?i)(?:{_key('access_token', 'refresh_token', 'id_token')}{_Q}(?!{_SAFE}{_Q})"
        rf"|\b(?:access|refresh)_token=(?!{REDACTED}(?:[&\s\"']|$))[^&\s\"']+)"
    ),
    "sas-signature": re.compile(rf"(?i)[?&;]sig=(?!{REDACTED}(?:[&\s\"'<>]|$))[^&\s\"'<>]+"),
    "subscription-id": re.compile(
        rf"(?i)/subscriptions/(?!{ZERO_GUID})[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"
    ),
}

#: Headers that must not be in a cassette at all (YAML mapping keys).
_FORBIDDEN_HEADERS = {"authorization": "authorization-header", "cookie": "cookie", "set-cookie": "cookie"}
_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, order=True)
class Finding:
    """One suspect: where it is and what kind of secret it looks like (never the value)."""

    path: str
    line: int
    kind: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}"


def scan_text(text: str, *, path: str = "<text>", line: int = 1) -> list[Finding]:
    """Findings in free text; ``line`` is the line ``text`` starts at."""
    findings = []
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            findings.append(Finding(path, line + text.count("\n", 0, match.start()), kind))
    return findings


def _yaml_findings(text: str, path: str) -> list[Finding] | None:
    """Findings in a YAML document, node by node; ``None`` when it is not YAML."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    findings: list[Finding] = []

    def walk(node: yaml.Node, under_headers: bool) -> None:
        if isinstance(node, yaml.ScalarNode):
            findings.extend(scan_text(str(node.value), path=path, line=node.start_mark.line + 1))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, under_headers)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = str(getattr(key, "value", "")).lower()
                if under_headers and name in _FORBIDDEN_HEADERS:
                    findings.append(Finding(path, key.start_mark.line + 1, _FORBIDDEN_HEADERS[name]))
                walk(key, False)
                walk(value, name == "headers")

    if root is not None:
        walk(root, False)
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
        parsed = _yaml_findings(text, str(file)) if file.suffix.lower() != ".json" else None
        findings.update(parsed if parsed is not None else scan_text(text, path=str(file)))
    return sorted(findings), count
