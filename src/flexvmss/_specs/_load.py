"""Spec files (YAML or JSON) read with limits, so a hostile or careless file fails fast and
typed instead of filling memory.

* A file is read up to :data:`MAX_SPEC_FILE_BYTES` (a device such as ``/dev/zero`` stops there).
* YAML aliases (``*name``) are counted while the document is composed: more than
  :data:`MAX_ALIASES` is refused, and so is a document whose aliases, expanded, would make
  more than :data:`MAX_NODES` values (a "billion laughs" alias bomb is a few hundred bytes) or
  which refers to itself (``&a [*a]``).
* Nesting deeper than :data:`MAX_FLOW_DEPTH` brackets is refused before parsing, and block
  nesting deeper than the parser can follow is refused, not a ``RecursionError``.

Every refusal is an :class:`~flexvmss.InvalidInputError` naming the file.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from flexvmss._errors import InvalidInputError

__all__ = [
    "MAX_ALIASES",
    "MAX_FLOW_DEPTH",
    "MAX_NODES",
    "MAX_SPEC_FILE_BYTES",
    "load_spec_file",
    "load_spec_text",
]

#: Largest spec file read (a spec with every field and 64 KB of inline custom data fits many times).
MAX_SPEC_FILE_BYTES = 1024 * 1024
#: Most YAML aliases a spec file may use (reuse of a few blocks needs a handful).
MAX_ALIASES = 64
#: Most values a spec file may hold once its aliases are expanded.
MAX_NODES = 100_000
#: Deepest bracket nesting (``[`` / ``{``) a spec file may have; a spec is a few levels deep.
MAX_FLOW_DEPTH = 64

_QUOTED = re.compile(r'"(?:\\.|[^"\\])*"|\'[^\']*\'')
_BRACKETS = re.compile(r"[\[\]{}]")


def _flow_depth_exceeds(text: str) -> bool:
    """Whether ``text`` opens more than :data:`MAX_FLOW_DEPTH` brackets at once outside quotes
    (checked before parsing: a parser recurses once per level)."""
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return False
    depth = 0
    for match in _BRACKETS.finditer(_QUOTED.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_FLOW_DEPTH:
            return True
    return False


def _refuse(source: str, problem: str, fix: str) -> InvalidInputError:
    return InvalidInputError("spec file", source, fix, message=f"spec file {source}: {problem}.")


def _yaml(text: str, source: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):  # type: ignore[misc]
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise _refuse(
                        source,
                        f"more than {MAX_ALIASES} YAML aliases",
                        "write the values out (a spec file needs few aliases, if any)",
                    )
            return super().compose_node(parent, index)

    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: Any, source: str) -> None:
    """Refuse a node graph that refers to itself or expands to more than :data:`MAX_NODES`."""
    import yaml

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _refuse(source, "a YAML alias refers to the node that contains it", "remove the cycle")
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
                if total > MAX_NODES:
                    break
        elif isinstance(node, yaml.MappingNode):
            for item_key, item_value in node.value:
                total += size(item_key) + size(item_value)
                if total > MAX_NODES:
                    break
        open_nodes.discard(key)
        if total > MAX_NODES:
            raise _refuse(
                source,
                f"its aliases expand to more than {MAX_NODES} values",
                "write the values out; a spec file is a few dozen values",
            )
        sizes[key] = total
        return total

    size(root)


def load_spec_text(text: str, *, source: str = "<spec>", as_json: bool = False) -> Any:
    """Parse a spec document (YAML, or JSON when ``as_json``) with the limits of this module;
    returns the plain data (:meth:`ScaleSetSpec.from_mapping` checks the fields)."""
    import yaml

    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_FILE_BYTES:
        raise _refuse(source, f"larger than {MAX_SPEC_FILE_BYTES // 1024} KiB", "give a spec file, not data")
    if _flow_depth_exceeds(text):
        raise _refuse(
            source, "nested too deeply", f"flatten it: a spec is a few levels deep (at most {MAX_FLOW_DEPTH})"
        )
    try:
        return json.loads(text) if as_json else _yaml(text, source)
    except RecursionError:
        raise _refuse(source, "nested too deeply", "flatten it: a spec is a few levels deep") from None
    except (ValueError, yaml.YAMLError) as exc:
        if isinstance(exc, InvalidInputError):
            raise
        raise _refuse(source, f"not valid {'JSON' if as_json else 'YAML'}: {exc}", "fix its syntax") from None


def load_spec_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a spec file (``.json`` as JSON, anything else as YAML) into a mapping, with the
    limits of this module; :class:`~flexvmss.InvalidInputError` for a file that is too large,
    not UTF-8, not valid, a YAML alias bomb, or not a mapping."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            raw = handle.read(MAX_SPEC_FILE_BYTES + 1)
    except OSError as exc:
        raise _refuse(source, f"cannot be read ({exc.strerror or exc})", "point to a readable file") from None
    if len(raw) > MAX_SPEC_FILE_BYTES:
        raise _refuse(source, f"larger than {MAX_SPEC_FILE_BYTES // 1024} KiB", "give a spec file, not data")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(source, "not UTF-8 text", "save it as UTF-8") from None
    data = load_spec_text(text, source=source, as_json=source.lower().endswith(".json"))
    if not isinstance(data, dict):
        raise _refuse(source, "it does not hold a mapping of spec fields", "write `location: ...` and so on")
    return data
