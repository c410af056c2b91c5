"""Server-side defaults as data: what a provider fills into a body that the client left out.

Each provider keeps one table per resource type in its ``models/defaults.py``: rows of
:class:`Default`, each naming the key (a dotted path), the value Azure fills, when it applies
and the source that shows Azure doing it. :func:`fill_defaults` applies a table to a body in one
place, never replacing what the client sent.

Paths are dotted keys from the body's root; ``[]`` after a key means "in every item of that
list": ``properties.ipConfigurations[].properties.primary``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Default", "fill_defaults"]

#: Computes a default from the body it goes into (the root the table is applied to) and the
#: facts the caller knows beside it (what the request left out, the size's capabilities...).
Compute = Callable[[dict[str, Any], Mapping[str, Any]], Any]
#: Decides from the same whether a row applies.
Condition = Callable[[dict[str, Any], Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Default:
    """One server-side default."""

    #: Where it goes, from the body's root (``[]``: every item of a list).
    path: str
    #: The value (copied), or a :data:`Compute` function.
    value: Any
    #: Where the fact comes from (a recording, spec, doc or issue), or "inferred".
    source: str
    #: Only when this :data:`Condition` says so.
    when: Condition | None = None
    #: Create missing parent objects on the way (otherwise a missing parent skips the row: a
    #: ``linuxConfiguration`` default does not make a Linux configuration appear).
    create_parents: bool = False

    def resolve(self, root: dict[str, Any], facts: Mapping[str, Any]) -> Any:
        return self.value(root, facts) if callable(self.value) else copy.deepcopy(self.value)


def _containers(node: Any, parts: list[str], create: bool) -> Iterable[dict[str, Any]]:
    """The dicts that ``parts`` leads to from ``node`` (one per list item for ``key[]``)."""
    if not parts:
        if isinstance(node, dict):
            yield node
        return
    head, rest = parts[0], parts[1:]
    if not isinstance(node, dict):
        return
    if head.endswith("[]"):
        for item in node.get(head[:-2]) or []:
            yield from _containers(item, rest, create)
        return
    child = node.get(head)
    if child is None and create:
        child = node[head] = {}
    yield from _containers(child, rest, create)


def fill_defaults(
    table: Iterable[Default], root: dict[str, Any], facts: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Fill every row of ``table`` that applies into ``root`` (in place) where the key is
    missing or None; ``facts`` go to the rows' functions. Returns ``root``."""
    known: Mapping[str, Any] = facts or {}
    for row in table:
        if row.when is not None and not row.when(root, known):
            continue
        *parents, leaf = row.path.split(".")
        for holder in list(_containers(root, parents, row.create_parents)):
            if holder.get(leaf) is None:
                holder[leaf] = row.resolve(root, known)
    return root
