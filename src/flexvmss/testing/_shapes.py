"""Body shapes: the recursive key set and JSON types of an answer, and how two compare.

Two answers of Azure Resource Manager to the same request rarely share a value (ids, times,
GUIDs, ETags, IP addresses differ on every run) but should share a *shape*: the same keys at
every depth, holding the same JSON types. :func:`shape_of` reduces a parsed JSON body to that
shape (objects keep their keys, an array keeps the shape of its first item, a leaf becomes its
JSON type name); :func:`compare_shape` walks a reference shape against another body and says
what is missing, added, of another type, or empty where the reference has items.

The conformance suite (``tests/conformance``) compares the emulator with facts taken from real
recordings this way, and ``flexvmss conformance`` compares a user's own recording of real Azure
with the emulator's answers to the same requests (:mod:`flexvmss.testing._conformance`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "OPAQUE_KEYS",
    "TYPE_NAMES",
    "ShapeDiff",
    "compare_shape",
    "json_kind",
    "lookup",
    "merge_items",
    "shape_of",
]

#: JSON type names used in body shapes.
TYPE_NAMES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}

#: Keys whose content is user data (or policy-injected by the subscription that recorded it):
#: their own key sets are never compared.
OPAQUE_KEYS = frozenset({"tags"})


def json_kind(value: Any) -> str:
    """The JSON type name of one parsed value (``object``, ``array``, ``string``, ...)."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return TYPE_NAMES.get(type(value), type(value).__name__)


def shape_of(value: Any, key: str | None = None, *, merge: bool = False) -> Any:
    """The recursive key set and JSON types of ``value``: objects keep their keys, arrays keep
    the shape of their first item (with ``merge``, of all their items merged, as
    :func:`compare_shape` sees the other side), leaves become a type name. ``tags`` content is
    dropped (user data)."""
    if isinstance(value, dict):
        if key in OPAQUE_KEYS:
            return {}
        return {k: shape_of(v, k, merge=merge) for k, v in value.items()}
    if isinstance(value, list):
        if not value:
            return []
        return [shape_of(merge_items(value) if merge else value[0], merge=merge)]
    return json_kind(value)


@dataclass
class ShapeDiff:
    """What differs between a reference shape (``expected``) and a body (``actual``); each
    entry is a dotted path (``properties.osProfile``, ``value[].name``). ``wrong_type`` says
    it in words (``path: Azure string, emulator integer``), ``types`` as
    ``(path, reference type, other type)``."""

    missing: list[str] = field(default_factory=list)
    wrong_type: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    empty_list: list[str] = field(default_factory=list)
    types: list[tuple[str, str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.missing or self.wrong_type or self.extra or self.empty_list)

    def _type(self, path: str, shown: str, expected: str, got: str, names: tuple[str, str]) -> None:
        self.wrong_type.append(f"{shown}: {names[0]} {expected}, {names[1]} {got}")
        self.types.append((path or "<body>", expected, got))


def compare_shape(
    expected: Any,
    actual: Any,
    path: str = "",
    diff: ShapeDiff | None = None,
    *,
    names: tuple[str, str] = ("Azure", "emulator"),
) -> ShapeDiff:
    """Walk the reference shape ``expected`` (from :func:`shape_of`) against the body ``actual``.

    A ``"null"`` leaf in the reference is optional (ARM writes null where a client may see
    absence), and a null in ``actual`` matches any leaf. The reference's empty lists say
    nothing about the item shape; the items of ``actual``'s lists are merged
    (:func:`merge_items`) so the reference's item shape is checked against what any item
    shows. ``names`` name the two sides in ``wrong_type`` entries.
    """
    diff = diff if diff is not None else ShapeDiff()
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            diff._type(path, path or "<body>", "object", json_kind(actual), names)
            return diff
        if path.rsplit(".", 1)[-1] in OPAQUE_KEYS:
            return diff
        for key, sub in expected.items():
            where = f"{path}.{key}" if path else key
            if key not in actual:
                if sub != "null":
                    diff.missing.append(where)
                continue
            compare_shape(sub, actual[key], where, diff, names=names)
        for key in actual:
            if key not in expected:
                diff.extra.append(f"{path}.{key}" if path else key)
        return diff
    if isinstance(expected, list):
        if not isinstance(actual, list):
            diff._type(path, path, "array", json_kind(actual), names)
            return diff
        if expected and not actual:
            diff.empty_list.append(path)
        elif expected and actual:
            compare_shape(expected[0], merge_items(actual), path + "[]", diff, names=names)
        return diff
    if expected == "null" or actual is None:
        return diff
    got = json_kind(actual)
    if got != expected and not (expected == "number" and got == "integer"):
        diff._type(path, path, str(expected), got, names)
    return diff


def merge_items(items: list[Any]) -> Any:
    """One stand-in for a list's items: the union of their keys (objects merged recursively,
    arrays concatenated), so a reference item shape is checked against what any item shows."""
    if not all(isinstance(i, dict) for i in items):
        return items[0]
    merged: dict[str, Any] = {}
    for item in items:
        for key, value in item.items():
            if key not in merged or merged[key] is None:
                merged[key] = value
            elif isinstance(merged[key], dict) and isinstance(value, dict):
                merged[key] = merge_items([merged[key], value])
            elif isinstance(merged[key], list) and isinstance(value, list):
                merged[key] = merged[key] + value
    return merged


def lookup(body: Any, dotted: str) -> Any:
    """``a.b[0].c`` style look-up; raises KeyError when a step is missing."""
    cur = body
    for part in dotted.replace("]", "").split("."):
        name, _, index = part.partition("[")
        if name:
            if not isinstance(cur, dict) or name not in cur:
                raise KeyError(dotted)
            cur = cur[name]
        if index:
            if not isinstance(cur, list) or len(cur) <= int(index):
                raise KeyError(dotted)
            cur = cur[int(index)]
    return cur
