"""Option parsing shared by several commands: VM selection (``--names``, ``--where``),
spec files (YAML or JSON) and ``key=value`` lists."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

import click

__all__ = ["WHERE_KEYS", "load_spec_file", "parse_key_values", "parse_names", "parse_where"]

#: ``--where`` keys and the VmInfo attribute each one reads.
WHERE_KEYS: Mapping[str, str] = {
    "name": "name",
    "power_state": "power_state",
    "provisioning_state": "provisioning_state",
    "zone": "zone",
    "fault_domain": "platform_fault_domain",
    "size": "size",
    "priority": "priority",
}


def parse_names(value: str | None) -> list[str] | None:
    """``"a,b, c"`` -> ``["a", "b", "c"]``; None or empty -> None (every VM)."""
    if not value:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    return names or None


def parse_where(value: str | None) -> Callable[[Any], bool] | None:
    """Build a VM filter from ``"power_state=running,zone=1"``.

    Conditions are joined with AND. Each is ``key=value`` or ``key!=value``; values compare
    case-insensitively as text and may use shell wildcards (``name=web-*``); ``tag:KEY=VALUE``
    matches a tag. Keys: name, power_state, provisioning_state, zone, fault_domain, size,
    priority, tag:KEY.
    """
    if not value:
        return None
    checks: list[Callable[[Any], bool]] = []
    for raw in value.split(","):
        term = raw.strip()
        if not term:
            continue
        negate = "!=" in term
        key, sep, expected = term.partition("!=" if negate else "=")
        key = key.strip().lower()
        if not sep:
            raise click.BadParameter(f"{term!r} is not KEY=VALUE or KEY!=VALUE.", param_hint="--where")
        checks.append(_condition(key, expected.strip(), negate))
    return lambda vm: all(check(vm) for check in checks)


def _condition(key: str, expected: str, negate: bool) -> Callable[[Any], bool]:
    if key.startswith("tag:"):
        tag = key[4:]

        def read(vm: Any) -> Any:
            tags = getattr(vm, "tags", None) or {}
            return next((v for k, v in tags.items() if k.lower() == tag), None)

    elif key in WHERE_KEYS:
        attribute = WHERE_KEYS[key]

        def read(vm: Any) -> Any:
            return getattr(vm, attribute, None)

    else:
        raise click.BadParameter(
            f"unknown key {key!r}; use one of {', '.join([*WHERE_KEYS, 'tag:KEY'])}.", param_hint="--where"
        )
    pattern = expected.lower()

    def check(vm: Any) -> bool:
        actual = read(vm)
        text = "" if actual is None else str(getattr(actual, "value", actual)).lower()
        return fnmatch.fnmatchcase(text, pattern) != negate

    return check


def parse_key_values(values: tuple[str, ...], *, option: str) -> dict[str, str]:
    """``("env=prod", "team=web")`` -> ``{"env": "prod", "team": "web"}``."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, val = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE.", param_hint=option)
        out[key] = val
    return out


def load_spec_file(path: str) -> dict[str, Any]:
    """Read a spec file: ``.json`` as JSON, anything else as YAML (JSON is valid YAML too), with
    the library's limits (size, YAML aliases: :mod:`flexvmss._specs._load`)."""
    from flexvmss import InvalidInputError
    from flexvmss._specs import load_spec_file as load

    try:
        return load(path)
    except InvalidInputError as exc:
        raise click.BadParameter(exc.message, param_hint="--spec") from None
