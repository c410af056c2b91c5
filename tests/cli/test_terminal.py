"""The output policy: data on stdout, diagnostics on stderr, colour switches, confirmations."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from flexvmss.cli._terminal import Terminal


def render(env: dict[str, str]) -> tuple[str, str]:
    runner = CliRunner()
    with runner.isolation(env=env) as (out, err, _):
        term = Terminal(interactive=False)
        term.display_table(term.table(("name",), [("web-1",)]))
        term.display_error("boom")
        return out.getvalue().decode(), err.getvalue().decode()


def test_data_goes_to_stdout_and_diagnostics_to_stderr() -> None:
    out, err = render({"NO_COLOR": "1"})
    assert "web-1" in out and "boom" not in out
    assert "boom" in err and "web-1" not in err


def test_force_color_colours_a_pipe_and_no_color_wins() -> None:
    _, coloured = render({"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "31m" in coloured  # errors are red
    _, plain = render({"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "31m" not in plain  # NO_COLOR removes colour (bold may stay, as the convention allows)


def test_confirm_on_a_terminal_asks_and_a_no_changes_nothing() -> None:
    with CliRunner().isolation(input="n\n") as (_, err, _):
        term = Terminal(interactive=True)
        with pytest.raises(SystemExit) as exc:
            term.confirm("Delete web?", assume_yes=False, refusal="Refusing.")
        assert exc.value.code == 1
        assert "Delete web?" in err.getvalue().decode()
        assert "nothing was changed" in err.getvalue().decode()

    with CliRunner().isolation(input="y\n"):
        Terminal(interactive=True).confirm("Delete web?", assume_yes=False, refusal="Refusing.")


def test_without_a_terminal_confirm_refuses_unless_yes() -> None:
    with CliRunner().isolation(input="y\n") as (_, err, _):
        term = Terminal(interactive=False)
        term.confirm("Delete web?", assume_yes=True, refusal="Refusing.")
        with pytest.raises(SystemExit):
            term.confirm("Delete web?", assume_yes=False, refusal="Refusing to delete web.")
        assert (
            "Refusing to delete web. There is no terminal to confirm it: pass --yes"
            in err.getvalue().decode()
        )
