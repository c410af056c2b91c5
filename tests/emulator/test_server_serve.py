"""The three ways to start the emulator: ``python -m flexvmss.emulator serve``, the Python
class, and the pytest fixture."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from flexvmss.emulator import Emulator
from flexvmss.emulator.core import REALISM_ENV


def test_serve_prints_how_to_connect_and_stops_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "flexvmss.emulator", "serve", "--time-scale", "0.01", "--seed", "3"],
        stdout=subprocess.PIPE,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != REALISM_ENV}, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C stops it" in line:
                break
        text = "".join(lines)
        base_url = lines[0].split()[-1]
        ca_file = next(line.split()[-1] for line in lines if "CA certificate" in line)
        assert base_url.startswith("https://127.0.0.1:")
        assert "8f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b" in text
        assert f"connection_verify={ca_file!r}" in text  # the snippet is ready to paste
        assert "realism:         azure" in text  # eventually consistent unless told otherwise
        token_line = next(line for line in lines if "admin token" in line)
        token = token_line.split("admin token:")[1].split()[0]
        assert "x-flexvmss-admin-token" in token_line
        counters = requests.get(
            f"{base_url}/_emulator/counters",
            verify=ca_file,
            timeout=10,
            headers={"x-flexvmss-admin-token": token},
        )
        assert counters.json()["requests"] == 0
        refused = requests.get(f"{base_url}/_emulator/counters", verify=ca_file, timeout=10)
        assert refused.status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
    assert code == 0


def test_serve_realism_off_turns_it_down(monkeypatch: pytest.MonkeyPatch) -> None:
    from flexvmss.emulator._serve import _parser

    monkeypatch.delenv(REALISM_ENV, raising=False)
    assert _parser().parse_args(["serve", "--realism", "off"]).realism == "off"
    assert Emulator(realism=_parser().parse_args(["serve"]).realism).realism.level == "azure"


def test_start_and_stop_without_a_context_manager() -> None:
    emu = Emulator(seed=1)
    emu.start()
    try:
        ca_file = emu.ca_file
        assert os.path.exists(ca_file)
        assert emu.clients().resource.resource_groups.check_existence("nothing") is False
    finally:
        emu.stop()
    assert not os.path.exists(ca_file)


def test_the_function_fixture_starts_clean(flexvmss_emulator: Emulator) -> None:
    assert flexvmss_emulator.inventory()["counts"]["resources"] == 0
    assert flexvmss_emulator.faults.rules == []
    assert not flexvmss_emulator.throttle.enabled
    assert flexvmss_emulator.counters()["requests"] == 0
    assert flexvmss_emulator.time_scale == 0.01
