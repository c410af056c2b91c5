"""The documentation, as code: every fenced block of README.md and docs/*.md, what it is and
how the doc tests run it.

A block runs as it is written unless the HTML comment right above it says otherwise::

    <!-- doctest: DIRECTIVE[; DIRECTIVE]... -->

Directives (each says, in the page's own words nearby, what a reader does differently):

``skip — REASON``
    Not run; the reason (the rest of the comment) is reported: a clone, a publish to Azure.
``env emulator``
    Written for a real subscription: run with the ``export`` lines that
    ``flexvmss emulator serve --with-network`` prints (subscription, base URL, CA, resource
    group, subnet), a home folder holding ``~/.ssh/id_ed25519.pub``, and an ``id_ed25519.pub``
    in the working folder.
``replace OLD => NEW``
    Run with ``OLD`` replaced by ``NEW`` (``make demo`` by the command it runs, a fixed port
    by a free one).
``file NAME``
    A file the page asks the reader to write: written to the session's folder as ``NAME``.
``background``
    A command that serves until Ctrl-C: started in the background; the ``export`` lines it
    prints join the session's environment.
``exports``
    The ``export`` lines a server prints, shown as an example: checked to name the same
    variables, in the same order, as the server really printed.
``exit N``
    The shell block (or each ``$`` command of a console block) exits with ``N``.
``elsewhere TEST``
    Run verbatim by another test (named), which checks more than the exit code.

Blocks of a page share one *session*: a working folder, an environment (what one shell
block exports, the next one sees) and one Python namespace, as a reader's terminal and
interpreter would. ``bash``/``sh`` blocks run in bash with ``set -e``; ``console`` blocks run
each ``$`` line and check the lines shown after it appear in its output (durations aside);
``python`` blocks are executed; ``yaml``, ``toml`` and ``json`` blocks must parse; ``text``
blocks and bare fences are shown output or diagrams. ``--8<--`` includes (pymdownx.snippets)
are expanded first, so an included file's blocks are part of the page that includes it.
The generated pages (``docs/cli.md``, ``docs/rules.md``) are checked whole against
``scripts/gen_docs.py`` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ("docs/cli.md", "docs/rules.md")
RUNNABLE = {"bash": "shell", "sh": "shell", "shell": "shell", "console": "console", "python": "python"}
DATA = ("yaml", "yml", "toml", "json")

_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[^`\s]*)\s*$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*doctest:\s*(?P<body>.*?)\s*-->\s*$")
_SNIPPET = re.compile(r'^\s*--8<--\s+"(?P<path>[^":]+)(?::(?P<start>\d*)(?::(?P<end>\d*))?)?"\s*$')
DIRECTIVES = ("skip", "env", "replace", "file", "background", "exports", "exit", "elsewhere")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its info string, its text and the directives above it."""

    page: str
    line: int
    lang: str
    text: str
    directives: tuple[tuple[str, str], ...] = field(default=())

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    def directive(self, name: str) -> str | None:
        return next((arg for key, arg in self.directives if key == name), None)

    def all(self, name: str) -> list[str]:
        return [arg for key, arg in self.directives if key == name]

    @property
    def kind(self) -> str:
        """``run``, ``skip``, ``elsewhere``, ``file``, ``exports``, ``data`` or ``text``."""
        for name in ("skip", "elsewhere", "file", "exports"):
            if self.directive(name) is not None:
                return name
        if self.lang in RUNNABLE:
            return "run"
        return "data" if self.lang in DATA else "text"


def _snippet(spec: re.Match[str]) -> list[str]:
    lines = (ROOT / spec["path"]).read_text(encoding="utf-8").splitlines()
    start = int(spec["start"]) - 1 if spec["start"] else 0
    end = int(spec["end"]) if spec["end"] else len(lines)
    return lines[start:end]


def _expanded(page: str) -> list[tuple[int, str]]:
    """The page's lines (with their line numbers in the page) after expanding ``--8<--``
    includes; an included line carries the including line's number."""
    out: list[tuple[int, str]] = []
    for number, line in enumerate((ROOT / page).read_text(encoding="utf-8").splitlines(), start=1):
        match = _SNIPPET.match(line)
        if match:
            out.extend((number, included) for included in _snippet(match))
        else:
            out.append((number, line))
    return out


def parse_directives(body: str, where: str) -> tuple[tuple[str, str], ...]:
    """``name arg; name arg...``; a ``skip`` takes the rest of the comment as its reason."""
    if body.startswith("skip"):
        return (("skip", body[len("skip") :].strip().lstrip("—-").strip()),)
    parsed: list[tuple[str, str]] = []
    for part in (p.strip() for p in body.split(";")):
        if not part:
            continue
        name, _, arg = part.partition(" ")
        if name not in DIRECTIVES:
            raise ValueError(f"{where}: unknown doctest directive {name!r} (known: {', '.join(DIRECTIVES)})")
        parsed.append((name, arg.strip()))
    return tuple(parsed)


def blocks(page: str) -> list[Block]:
    """Every fenced block of ``page`` (a path relative to the repository root)."""
    lines = _expanded(page)
    found: list[Block] = []
    i = 0
    while i < len(lines):
        number, line = lines[i]
        fence = _FENCE.match(line)
        if not fence:
            i += 1
            continue
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j][1].strip().startswith("```"):
            body.append(lines[j][1][len(fence["indent"]) :])
            j += 1
        k = i - 1
        while k >= 0 and not lines[k][1].strip():
            k -= 1
        directive = _DIRECTIVE.match(lines[k][1]) if k >= 0 else None
        where = f"{page}:{number}"
        directives = parse_directives(directive["body"], where) if directive else ()
        found.append(Block(page, number, fence["info"].lower(), "\n".join(body) + "\n", directives))
        i = j + 1
    return found


def pages() -> list[str]:
    """README.md and every page under docs/ (what mkdocs builds), in a stable order."""
    return ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]


def summary() -> str:
    """Block counts by page and kind, and every marked block with its directives."""
    rows: list[str] = []
    totals: dict[str, int] = {}
    marked: list[str] = []
    for page in pages():
        page_blocks = blocks(page)
        counts: dict[str, int] = {}
        for block in page_blocks:
            counts[block.kind] = counts.get(block.kind, 0) + 1
            totals[block.kind] = totals.get(block.kind, 0) + 1
            if block.directives:
                said = "; ".join(f"{k} {v}".strip() for k, v in block.directives)
                marked.append(f"  {block.where} [{block.lang}] {said}")
        detail = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        rows.append(f"  {page}: {len(page_blocks)} block(s) ({detail or 'none'})")
    total = sum(totals.values())
    head = f"{total} blocks: " + ", ".join(f"{n} {k}" for k, n in sorted(totals.items()))
    return "\n".join([head, *rows, "marked:", *marked])


if __name__ == "__main__":
    print(summary())
