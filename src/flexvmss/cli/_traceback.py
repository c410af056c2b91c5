"""The traceback of an unexpected error, with no secret in it.

An error flexvmss did not expect is shown as a rich traceback (with each frame's local
variables when ``FLEXVMSS_DEBUG`` is set). The frames of a failed create hold what a create
holds: the rendered body with its password and custom data, the SDK's request bytes. Before
anything is printed, every local variable is rendered to text and passed through the shared
detectors (:mod:`flexvmss._redact`): values secret by their key's name or by their shape are
masked, and so is a whole variable whose own name is a secret's (``password``, ``client_secret``).
The exception messages are redacted the same way.
"""

from __future__ import annotations

import sys
from typing import Any

from flexvmss._redact import REDACTED, is_secret_key, redact_text

__all__ = ["print_exception", "redacted_trace"]

#: How wide a local variable is rendered before redaction (one line: the detectors see it whole).
_RENDER_WIDTH = 100_000
#: How much of a local variable is shown, once redacted.
_SHOWN = 2_000


def _redacted_node(name: str, node: Any) -> Any:
    from rich import pretty

    if is_secret_key(name):
        return pretty.Node(value_repr=REDACTED)
    text = redact_text(node.render(max_width=_RENDER_WIDTH))
    if len(text) > _SHOWN:
        text = f"{text[:_SHOWN]}... ({len(text) - _SHOWN} more characters)"
    return pretty.Node(value_repr=text)


def _redact_trace(trace: Any) -> None:
    for stack in trace.stacks:
        stack.exc_value = redact_text(stack.exc_value)
        stack.notes = [redact_text(note) for note in stack.notes]
        if stack.syntax_error is not None:
            stack.syntax_error.line = redact_text(stack.syntax_error.line)
        for frame in stack.frames:
            if frame.locals:
                frame.locals = {name: _redacted_node(name, node) for name, node in frame.locals.items()}
        for group in stack.exceptions:
            _redact_trace(group)


def redacted_trace(error: BaseException, *, show_locals: bool) -> Any:
    """A ``rich.traceback.Trace`` of ``error`` with its messages and locals redacted."""
    from rich.traceback import Traceback

    # strings whole: a string cut before redaction could end inside a secret the detectors then
    # no longer recognise; the redacted text is cut afterwards (_SHOWN)
    trace = Traceback.extract(
        type(error), error, error.__traceback__, show_locals=show_locals, locals_max_string=sys.maxsize
    )
    _redact_trace(trace)
    return trace


def print_exception(*, show_locals: bool, suppress: tuple[Any, ...] = ()) -> None:
    """Print the exception being handled to stderr, redacted (:func:`redacted_trace`)."""
    from rich.console import Console
    from rich.traceback import Traceback

    error = sys.exc_info()[1]
    if error is None:
        return
    trace = redacted_trace(error, show_locals=show_locals)
    Console(stderr=True).print(Traceback(trace, show_locals=show_locals, suppress=suppress))
