"""Rules about names: Azure resource names and computer names."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flexvmss._errors import InvalidInputError
from flexvmss._rules._engine import Issue, RuleContext, rule
from flexvmss._rules._sources import sources

__all__ = ["RESOURCE_NAME", "check_address", "check_vm_names"]

#: An Azure resource name (a VM's, a scale set's): 1-64 letters, digits, '_', '.', '-', starting
#: with a letter or digit and ending with a letter, digit or '_' ([NAMES]).
RESOURCE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?")

#: What a scale set's address may hold, checked before anything is sent: each part is also a
#: URL path segment, so ".", "..", "a/b" or "x?y" would address another resource or collection.
_ADDRESS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("subscription_id", re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}"), "a subscription id (a GUID)"),
    (
        "resource_group",
        re.compile(r"[-\w.()]{0,89}[-\w()]"),
        "1-90 letters, digits, '_', '-', '.', '(', ')', not ending in '.'",
    ),
    (
        "name",
        RESOURCE_NAME,
        "1-64 letters, digits, '_', '.', '-', starting with a letter or digit, ending with a letter, "
        "digit or '_'",
    ),
)

_BAD_COMPUTER_CHARS = re.compile(r"[\s~!@#$%^&*()=+_\[\]{}\\|;:'\",<>/?]")


def check_address(subscription_id: object, resource_group: object, name: object) -> None:
    """Raise :class:`~flexvmss.InvalidInputError` for the first part of a scale set's address
    Azure would not accept as a name."""
    given = {"subscription_id": subscription_id, "resource_group": resource_group, "name": name}
    for label, pattern, text in _ADDRESS:
        value = given[label]
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise InvalidInputError(label, value, f"give the scale set's {label.replace('_', ' ')}: {text}")


def check_vm_names(names: object, field: str = "names") -> None:
    """Raise :class:`~flexvmss.InvalidInputError` for a VM name Azure would not accept: every
    one is a URL path segment, so ".", ".." or "a/b" would address the collection, the provider
    or another resource instead of a VM."""
    for index, name in enumerate([names] if isinstance(names, str) else list(names)):  # type: ignore[call-overload]
        if not isinstance(name, str) or not RESOURCE_NAME.fullmatch(name):
            where = field if isinstance(names, str) else f"{field}[{index}]"
            raise InvalidInputError(
                where,
                name,
                "give a VM name: 1-64 letters, digits, '_', '.', '-', starting with a letter or digit, "
                "ending with a letter, digit or '_'",
            )


@rule(
    "FLEX015",
    title="Valid resource names",
    severity="error",
    status_2021="Azure naming rules",
    status_today="unchanged",
    source=sources("NAMES"),
)
def resource_names(ctx: RuleContext) -> Iterator[Issue]:
    names: list[tuple[str, str | None]] = []
    if ctx.vm_spec is not None:
        names.append(("name", ctx.vm_spec.name))
    else:
        names.append(("name", ctx.name))
    for where, name in names:
        if name is None:
            continue
        if not 1 <= len(name) <= 64:
            yield Issue(
                where,
                name,
                f"Azure names are 1 to 64 characters (this one has {len(name)}).",
                "shorten the name",
            )
        elif not RESOURCE_NAME.fullmatch(name):
            yield Issue(
                where,
                name,
                "names use letters, digits, '.', '_' and '-', start with a letter or "
                "digit and do not end with '.' or '-'.",
                "rename it, e.g. web-01",
            )


@rule(
    "FLEX016",
    title="Valid computer names",
    severity="error",
    status_2021="Azure naming rules",
    status_today="unchanged: Windows <= 15 (prefix <= 9) and not all digits, Linux <= 64 (prefix <= 58)",
    source=sources("CNAME"),
)
def computer_names(ctx: RuleContext) -> Iterator[Issue]:
    windows = ctx.os_type == "windows"
    if ctx.set_spec is not None and ctx.set_spec.computer_name_prefix is not None:
        prefix = ctx.set_spec.computer_name_prefix
        limit = 9 if windows else 58
        if not 1 <= len(prefix) <= limit:
            yield Issue(
                "computer_name_prefix",
                prefix,
                f"{'Windows' if windows else 'Linux'} computer name prefixes are 1 to {limit} characters.",
                f"use at most {limit} characters",
            )
        elif _BAD_COMPUTER_CHARS.search(prefix) or (windows and "." in prefix) or prefix.startswith("-"):
            yield Issue(
                "computer_name_prefix",
                prefix,
                "computer names use letters, digits and '-' only.",
                "remove the other characters",
            )
    if ctx.vm_spec is not None and ctx.vm_spec.computer_name is not None:
        name = ctx.vm_spec.computer_name
        limit = 15 if windows else 64
        if not 1 <= len(name) <= limit:
            yield Issue(
                "computer_name",
                name,
                f"{'Windows' if windows else 'Linux'} computer names are 1 to {limit} characters.",
                f"use at most {limit} characters",
            )
        elif windows and name.isdigit():
            yield Issue(
                "computer_name",
                name,
                "Windows computer names cannot be all digits.",
                "add a letter, e.g. vm" + name,
            )
        elif (
            _BAD_COMPUTER_CHARS.search(name)
            or (windows and "." in name)
            or name[0] == "-"
            or name[-1] in ".-"
        ):
            yield Issue(
                "computer_name",
                name,
                "computer names use letters, digits and '-' only.",
                "remove the other characters",
            )
