"""`flexvmss emulator serve` runs the emulator, and other commands can use it."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time


def test_emulator_serve_serves_until_terminated_and_commands_can_use_it() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from flexvmss.cli import main; sys.exit(main())",
            "emulator",
            "serve",
            "--port",
            "0",
            "--time-scale",
            "0.01",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("Ctrl-C stops it" in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        text = "".join(lines)
        base_url = re.search(r"serving at (\S+)", text)
        ca_file = re.search(r"CA certificate:\s+(\S+)", text)
        subscription = re.search(r"subscription id:\s+(\S+)", text)
        assert base_url and ca_file and subscription, text

        skus = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from flexvmss.cli import main; sys.exit(main())",
                "--base-url",
                base_url[1],
                "--ca-file",
                ca_file[1],
                "--credential",
                "emulator",
                "--subscription",
                subscription[1],
                "-o",
                "json",
                "skus",
                "--location",
                "eastus",
                "--flex-ok",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert skus.returncode == 0, skus.stderr
        assert any(row["name"] == "Standard_D2s_v5" for row in json.loads(skus.stdout))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
