"""One emulator for every doc test: ``flexvmss emulator serve --with-network``, as a reader
starts it, shared by the pages and reset to its first state (the network only) before each.
The fixtures are registered by this folder's ``conftest.py``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

#: Emulated time for the shared emulator: 500 times faster than real time.
TIME_SCALE = "0.002"
BIN = Path(sys.executable).parent


@dataclass
class Served:
    """A running ``flexvmss emulator serve``: the process, what it printed, its exports."""

    process: subprocess.Popen[str]
    output: list[str]
    exports: dict[str, str]
    snapshot: str = ""

    @property
    def admin_headers(self) -> dict[str, str]:
        """The admin API's token header, read from the line serve prints it on."""
        line = next(line for line in self.output if "admin token:" in line)
        return {"x-flexvmss-admin-token": line.split("admin token:")[1].split()[0]}

    def admin(self, action: str, **body: str) -> dict[str, str]:
        response = requests.post(
            f"{self.exports['FLEXVMSS_BASE_URL']}/_emulator/{action}",
            json=body,
            verify=self.exports["FLEXVMSS_CA_FILE"],
            headers=self.admin_headers,
            timeout=30,
        )
        response.raise_for_status()
        result: dict[str, str] = response.json()
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


def parse_exports(lines: list[str]) -> dict[str, str]:
    import shlex

    exports: dict[str, str] = {}
    for line in lines:
        if line.startswith("export "):
            for word in shlex.split(line[len("export ") :]):
                name, _, value = word.partition("=")
                exports[name] = value
    return exports


def serve(command: str, *, cwd: Path, env: dict[str, str], timeout: float = 90) -> Served:
    """Start ``command`` (a shell line that serves until stopped) and wait until it has printed
    its ``Ctrl-C stops it.`` line; its output and ``export`` lines are kept."""
    process = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=cwd,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "Ctrl-C stops it" in line:
            return Served(process, lines, parse_exports(lines))
    process.kill()
    raise AssertionError(f"{command!r} did not start serving:\n" + "\n".join(lines))


def base_env(home: Path) -> dict[str, str]:
    """A reader's clean shell: the project's virtualenv first on PATH, a home of its own with an
    SSH public key, no colours, no Azure or flexvmss settings from the outer environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "FLEXVMSS_", "PYTEST_", "COV_")) and k not in ("VIRTUAL_ENV",)
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(home),
        NO_COLOR="1",
        COLUMNS="160",
        CI="true",
    )
    return env


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``flexvmss emulator serve --with-network``, started once for every doc test."""
    home = tmp_path_factory.mktemp("serve-home")
    server = serve(
        f"flexvmss emulator serve --with-network --time-scale {TIME_SCALE}",
        cwd=home,
        env=base_env(home),
    )
    server.snapshot = server.admin("snapshot")["id"]
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_served(served: Served) -> Served:
    """The shared emulator, back to its first state: the resource group and the network only."""
    served.admin("restore", id=served.snapshot)
    return served
