"""Every block of README.md and docs/*.md runs (see ``docblocks.py`` for how, and for the
directives that mark what a reader does differently against the emulator): a snippet that
drifts from the code fails here, naming its page and line."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from docblocks import GENERATED, ROOT, Block, blocks, pages, summary
from docsupport import Served, base_env, serve

SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICEH2JLy4VWrgBfyXBh37AX+c6p/M9qCzne0u3mcgd2k reader@docs"
SHELL_TIMEOUT = 300


class Session:
    """A reader's terminal and interpreter for one page: a folder, an environment, a namespace."""

    def __init__(self, folder: Path, served: Served) -> None:
        self.folder = folder
        self.home = folder / "home"
        (self.home / ".ssh").mkdir(parents=True)
        (self.home / ".ssh" / "id_ed25519.pub").write_text(SSH_KEY + "\n")
        self.work = folder / "work"
        self.work.mkdir()
        self.env = base_env(self.home)
        self.env["REPO"] = str(ROOT)  # the reader's clone, for blocks that say "in examples/..."
        self.served = served
        # a real module, so what the page defines (dataclasses, say) can find its module
        self.module = types.ModuleType(f"docpage_{abs(hash(folder))}")
        sys.modules[self.module.__name__] = self.module
        self.namespace: dict[str, Any] = self.module.__dict__
        self.servers: list[Served] = []
        self.printed_exports: list[str] = []

    # -- environment --------------------------------------------------------------------------
    def use_emulator(self) -> None:
        """The shared ``serve --with-network`` exports, unless this page started its own."""
        if "FLEXVMSS_BASE_URL" not in self.env:
            self.env.update(self.served.exports)
        (self.work / "id_ed25519.pub").write_text(SSH_KEY + "\n")

    def close(self) -> None:
        """Stop what the page's blocks left running when one of them failed midway."""
        for server in self.servers:
            server.stop()
        sys.modules.pop(self.module.__name__, None)
        for value in self.namespace.values():
            if type(value).__name__ == "FlexScaleSet" and type(value).__module__.startswith("flexvmss"):
                value.close()
            if type(value).__name__ == "Emulator" and type(value).__module__.startswith("flexvmss"):
                value.stop()

    # -- blocks -------------------------------------------------------------------------------
    def run(self, block: Block) -> None:
        if block.directive("env") == "emulator":
            self.use_emulator()
        text = block.text
        for rule in block.all("replace"):
            old, _, new = rule.partition(" => ")
            assert old in text, f"{block.where}: 'replace {old}' matches nothing in the block"
            text = text.replace(old, new)
        kind = block.kind
        if kind == "file":
            target = self.work / block.directive("file")  # type: ignore[operator]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        elif kind == "exports":
            self.check_exports(block)
        elif kind == "data":
            parse_data(block)
        elif block.directive("background") is not None:
            self.background(block, text)
        elif block.lang == "python":
            self.python(block, text)
        elif block.lang == "console":
            self.console(block, text)
        else:
            self.shell(block, text)

    def shell(self, block: Block, text: str, *, expect: int | None = None) -> str:
        state = self.folder / "state.sh"
        script = self.folder / "block.sh"
        script.write_text(
            f"[ -f {shlex.quote(str(state))} ] && source {shlex.quote(str(state))}\n"
            "set -eo pipefail\n"
            f"{text}\n"
            f"export -p > {shlex.quote(str(state))}\n"
        )
        proc = subprocess.run(
            ["bash", str(script)],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=SHELL_TIMEOUT,
        )
        wanted = int(block.directive("exit") or 0) if expect is None else expect
        output = proc.stdout + proc.stderr
        assert proc.returncode == wanted, (
            f"{block.where}: exit {proc.returncode}, expected {wanted}\n--- block\n{text}--- output\n{output}"
        )
        return output

    def console(self, block: Block, text: str) -> None:
        """``$`` lines are commands; the lines after one are (a sample of) what it prints."""
        steps: list[tuple[str, list[str]]] = []
        for line in text.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps and line.strip():
                steps[-1][1].append(line)
        wanted = int(block.directive("exit") or 0)
        for command, shown in steps:
            output = self.shell(block, command, expect=wanted)
            for line in shown:
                pattern = re.escape(normalise(line))
                assert re.search(pattern, normalise(output)), (
                    f"{block.where}: `{command}` printed no line like {line!r}\n--- output\n{output}"
                )

    def python(self, block: Block, text: str) -> None:
        # padded so a traceback names the page's own line (block.line is the fence)
        code = compile("\n" * block.line + text, str(ROOT / block.page), "exec")
        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        os.environ.clear()
        os.environ.update(self.env)
        os.chdir(self.work)
        try:
            exec(code, self.namespace)
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)

    def background(self, block: Block, text: str) -> None:
        commands = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        assert len(commands) == 1, f"{block.where}: a background block holds one command"
        server = serve(commands[0].split(" #")[0].rstrip(" &"), cwd=self.work, env=self.env)
        self.servers.append(server)
        assert server.exports, f"{block.where}: printed no export lines:\n" + "\n".join(server.output)
        self.env.update(server.exports)
        self.printed_exports = list(server.exports)

    def check_exports(self, block: Block) -> None:
        shown = [line.split("=", 1)[0].removeprefix("export ").strip() for line in block.text.splitlines()]
        printed = self.printed_exports or list(self.served.exports)
        assert shown == printed, f"{block.where}: the page shows exports {shown}, the server prints {printed}"


def normalise(text: str) -> str:
    """Durations and counts of seconds vary from run to run."""
    return re.sub(r"\d+(\.\d+)?\s?s\b", "Ns", text)


def parse_data(block: Block) -> None:
    if block.lang in ("yaml", "yml"):
        yaml.safe_load(block.text)
    elif block.lang == "toml":
        try:
            import tomllib
        except ImportError:  # Python 3.10: no TOML reader in the standard library
            return
        tomllib.loads(block.text)
    else:
        json.loads(block.text)


@pytest.fixture
def session(tmp_path: Path, fresh_served: Served) -> Iterator[Session]:
    reader = Session(tmp_path, fresh_served)
    try:
        yield reader
    finally:
        reader.close()


RUN_PAGES = [p for p in pages() if p not in GENERATED]


@pytest.mark.parametrize("page", RUN_PAGES)
def test_every_block_of_the_page_runs(page: str, session: Session) -> None:
    for block in blocks(page):
        if block.kind in ("skip", "elsewhere", "text"):
            continue
        session.run(block)


def test_the_generated_pages_are_what_the_code_says() -> None:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    gen_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_docs)
    for page, text in (("docs/cli.md", gen_docs.cli_page()), ("docs/rules.md", gen_docs.rules_page())):
        assert (ROOT / page).read_text(encoding="utf-8") == text, f"{page} is stale: run make docs"


def test_every_block_is_accounted_for() -> None:
    """Each block is run, checked, or marked with a reason; the summary is the closing note's."""
    for page in pages():
        for block in blocks(page):
            if block.kind == "skip":
                assert block.directive("skip"), f"{block.where}: a skipped block says why"
            if block.kind == "text":
                assert block.lang in ("", "text") or page in GENERATED, (
                    f"{block.where}: [{block.lang}] is neither runnable nor data; mark it"
                )
    print(summary())


def test_getting_started_shows_every_public_method() -> None:
    import flexvmss

    text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    public = [m for m in dir(flexvmss.FlexScaleSet) if not m.startswith("_")]
    attributes = {"id", "name", "location", "resource_group", "subscription_id", "on_event", "waive"}
    missing = [m for m in public if m not in attributes and f"{m}(" not in text and f".{m}" not in text]
    assert not missing, f"getting-started.md does not show {missing}"
