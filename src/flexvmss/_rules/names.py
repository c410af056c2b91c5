"""Rules about names: Azure resource names, computer names, and tags."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from flexvmss._errors import InvalidInputError
from flexvmss._rules._engine import Issue, RuleContext, rule
from flexvmss._rules._sources import sources
from flexvmss._specs import MAX_TAG_NAME, MAX_TAG_VALUE, MAX_TAGS, SET_TAG, TAG_NAME_FORBIDDEN

__all__ = ["RESOURCE_NAME", "check_address", "check_vm_names", "check_vm_tags", "tag_issues"]

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


def tag_issues(tags: Mapping[str, object], where: str = "tags", *, flexvmss_adds: int = 0) -> Iterator[Issue]:
    """What Azure would refuse in ``tags`` (a resource's, ``where`` naming the field), counting
    ``flexvmss_adds`` tags flexvmss writes beside them. A resource flexvmss tags for its set
    (a VM) must not carry :data:`~flexvmss._specs.SET_TAG` from the caller: its value says which
    set owns what the VM leaves behind."""
    limit = MAX_TAGS - flexvmss_adds
    if len(tags) > limit:
        yield Issue(
            where,
            f"{len(tags)} tags",
            f"Azure allows {MAX_TAGS} tags on a resource"
            + (f" and flexvmss adds {flexvmss_adds} of its own" if flexvmss_adds else "")
            + ".",
            f"use at most {limit} tags",
        )
    for name, value in tags.items():
        key = str(name)
        text = str(value)
        if flexvmss_adds and key.lower() == SET_TAG:
            yield Issue(
                f"{where}[{key!r}]",
                text,
                f"flexvmss writes the {SET_TAG!r} tag itself: it names the set that owns what the VM "
                "leaves behind.",
                "remove this tag (tag names are case-insensitive in Azure)",
            )
        if not 1 <= len(key) <= MAX_TAG_NAME:
            yield Issue(
                f"{where}[{key[:40]!r}]",
                f"{len(key)} characters",
                f"Azure tag names are 1 to {MAX_TAG_NAME} characters.",
                f"use a name of at most {MAX_TAG_NAME} characters",
            )
        elif TAG_NAME_FORBIDDEN.search(key):
            yield Issue(
                f"{where}[{key!r}]",
                key,
                "Azure refuses tag names holding < > % & \\ ? / or control characters "
                "(InvalidTagNameCharacters).",
                "rename the tag, e.g. with '-' or '.' instead",
            )
        if len(text) > MAX_TAG_VALUE:
            yield Issue(
                f"{where}[{key[:40]!r}]",
                f"{len(text)} characters",
                f"Azure tag values are at most {MAX_TAG_VALUE} characters (InvalidTagValueLength).",
                f"shorten the value to {MAX_TAG_VALUE} characters",
            )


@rule(
    "FLEX033",
    title="Tags within Azure's limits",
    severity="error",
    status_2021="Azure tag limits",
    status_today="unchanged: 50 tags, names <= 512 characters without <>%&\\?/, values <= 256; "
    "flexvmss adds one tag to each VM",
    source=sources("TAGS"),
)
def tags(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.vm_spec is not None:
        yield from tag_issues(ctx.vm_spec.tags, flexvmss_adds=1)
    elif ctx.set_spec is not None:
        yield from tag_issues(ctx.set_spec.tags)


def check_vm_tags(tags: Mapping[str, object], where: str = "tags") -> None:
    """Raise :class:`~flexvmss.InvalidInputError` for the first tag Azure would refuse on a VM
    of a set (flexvmss adds its own tag beside them): for tags given as an argument
    (``update(tags=...)``), before anything is sent."""
    for issue in tag_issues(tags, where, flexvmss_adds=1):
        raise InvalidInputError(
            issue.field, issue.value, issue.fix, message=f"{issue.field}={issue.value!r}: {issue.problem}"
        )
