"""Fixtures for the command-line tests: one emulator per session, reset for each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cli_support import SSH_KEY, Cli, make_network


@pytest.fixture(scope="session")
def cli_emulator() -> Iterator[Any]:
    from flexvmss.emulator import Emulator

    with Emulator(time_scale=0.002) as emu:
        yield emu


@pytest.fixture
def cli(cli_emulator: Any, tmp_path: Any) -> Cli:
    cli_emulator.reset()
    key = tmp_path / "id.pub"
    key.write_text(SSH_KEY + "\n")
    return Cli(cli_emulator, make_network(cli_emulator), str(key))
