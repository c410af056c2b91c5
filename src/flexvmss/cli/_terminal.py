"""The command line's output policy: one rich console, diagnostics on stderr, data on stdout.

Every command writes through a :class:`Terminal`. Messages about what is happening (progress,
warnings, errors, confirmations) go to **stderr**, so a command's data (a table, JSON) can be
piped from **stdout** untouched. ``NO_COLOR`` turns colour off and ``FORCE_COLOR`` turns it on
even when the output is not a terminal. When stdin or stderr is not a terminal (CI, a pipe,
tests) the terminal is *non-interactive*: nothing waits for an answer, and live progress bars
are drawn once, in their final state, instead of animating.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from flexvmss import ProgressEvent

__all__ = ["NON_TERMINAL_WIDTH", "Terminal", "make_console"]

#: Width of tables written to a file or a pipe (COLUMNS overrides it).
NON_TERMINAL_WIDTH = 160


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "False")


class Terminal:
    """Semantic output methods over one :class:`rich.console.Console`.

    ``display_*`` methods write to stderr; :meth:`display`, :meth:`display_table` and
    :meth:`display_json` write data to stdout. ``verbosity`` above zero shows
    :meth:`display_debug` lines.
    """

    def __init__(self, *, verbosity: int = 0, interactive: bool | None = None) -> None:
        self.console = make_console()
        self.verbosity = verbosity
        self._lock = threading.RLock()
        if interactive is None:
            interactive = _stream_is_tty(sys.stdin) and _stream_is_tty(sys.stderr) and not _env_flag("CI")
        self.interactive = interactive

    # -- low level ------------------------------------------------------------------
    def output(self, renderable: Any = "", *, stderr: bool = True, style: str | None = None) -> None:
        """Print ``renderable`` to stderr (default) or stdout."""
        with self._lock:
            previous = self.console.stderr
            self.console.stderr = stderr
            try:
                self.console.print(renderable, style=style, overflow="fold", crop=False)
            finally:
                self.console.stderr = previous

    # -- diagnostics (stderr) ---------------------------------------------------------
    def display_info(self, text: str) -> None:
        self.output(escape(text))

    def display_step(self, text: str) -> None:
        """A headline for the next stage of a longer command (bold)."""
        self.output(escape(text), style="bold")

    def display_success(self, text: str) -> None:
        self.output(escape(text), style="green")

    def display_warning(self, text: str) -> None:
        self.output(escape(text), style="yellow")

    def display_error(self, text: str) -> None:
        self.output(escape(text), style="bold red")

    def display_debug(self, text: str, *, level: int = 1) -> None:
        if self.verbosity >= level:
            self.output(escape(text), style="dim")

    def display_diagnostic_table(self, table: Table) -> None:
        """A table that explains rather than answers (failures, findings): stderr."""
        self.output(table)

    # -- data (stdout) --------------------------------------------------------------
    def display(self, text: str = "") -> None:
        """Plain data on stdout, printed verbatim."""
        with self._lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def display_table(self, table: Table) -> None:
        self.output(table, stderr=False)

    def display_json(self, data: Any) -> None:
        """``data`` as indented JSON on stdout (no colour, no wrapping: safe to pipe)."""
        self.display(json.dumps(data, indent=2, sort_keys=False, default=str))

    # -- tables ---------------------------------------------------------------------
    @staticmethod
    def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> Table:
        """Build a table whose cells are shown as text (``None`` as ``-``)."""
        table = Table(*columns, title=title, title_justify="left", header_style="bold")
        for row in rows:
            table.add_row(*("-" if cell is None or cell == "" else escape(str(cell)) for cell in row))
        return table

    # -- interaction ----------------------------------------------------------------
    def abort(self, text: str, *, code: int = 1) -> NoReturn:
        """Show ``text`` as an error and leave with exit ``code``."""
        self.display_error(text)
        raise SystemExit(code)

    def confirm(self, question: str, *, assume_yes: bool, refusal: str) -> None:
        """Ask ``question``; continue on yes, abort on no.

        With ``assume_yes`` (``--yes``) nothing is asked. With no terminal to answer, the
        command refuses with ``refusal`` and exit code 1 rather than guessing.
        """
        if assume_yes:
            return
        if not self.interactive:
            self.abort(f"{refusal} There is no terminal to confirm it: pass --yes to go ahead.")
        import click

        with self._lock:
            answer = click.confirm(question, default=False, err=True)
        if not answer:
            self.abort("Aborted: nothing was changed.")

    @contextlib.contextmanager
    def status(self, text: str) -> Iterator[None]:
        """A spinner on stderr while the block runs (a plain line when not interactive)."""
        if not self.console.is_terminal:
            self.display_info(text)
            yield
            return
        with self._lock:
            previous = self.console.stderr
            self.console.stderr = True
        try:
            with self.console.status(escape(text)):
                yield
        finally:
            self.console.stderr = previous

    @contextlib.contextmanager
    def batch_progress(
        self, label: str, total: int | None = None
    ) -> Iterator[Callable[[ProgressEvent], None]]:
        """A progress bar on stderr fed by the library's progress events.

        Yields the ``on_event`` callback to hand to a batch operation (it may be called from
        the library's event-loop thread). The bar counts finished VMs and notes the 429s met;
        with ``-v`` failed and retried VMs are listed as they happen. When not a terminal the
        bar is drawn once, finished.
        """
        with self._lock:
            previous = self.console.stderr
            self.console.stderr = True
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=self.console,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        task = progress.add_task(escape(label), total=total, note="")
        throttled = 0

        def on_event(event: ProgressEvent) -> None:
            nonlocal throttled
            if event.kind == "throttled":
                throttled += 1
            progress.update(
                task,
                total=event.total or None,
                completed=event.done,
                note=f"429s: {throttled}" if throttled else "",
            )
            if event.kind in ("failed", "retrying"):
                self.display_debug(f"{event.kind}: {event.vm}: {event.detail}")

        try:
            with progress:
                yield on_event
                finished = progress.tasks[0]
                if finished.total is None:
                    progress.update(task, total=max(int(finished.completed), 1))
                progress.update(task, completed=finished.total)
        finally:
            self.console.stderr = previous


def make_console(*, stderr: bool = False) -> Console:
    """A console that honours NO_COLOR and FORCE_COLOR, and keeps tables wide in logs."""
    no_color = _env_flag("NO_COLOR")
    console = Console(
        stderr=stderr,
        no_color=no_color,
        force_terminal=True if _env_flag("FORCE_COLOR") and not no_color else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        # A log file or a pipe has no width: do not squeeze tables into 80 columns.
        console.width = NON_TERMINAL_WIDTH
    return console


def _stream_is_tty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False
