"""The README's "Command line" section, run verbatim after ``flexvmss emulator serve
--with-network``: the export lines it prints are all a reader pastes first."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from docblocks import ROOT, blocks
from docsupport import Served, base_env


def command_line_section() -> str:
    """The bash block under the README's ``## Command line`` heading."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Command line")
    end = readme.index("\n## ", start + 1)
    line_start = readme[:start].count("\n") + 1
    line_end = readme[:end].count("\n") + 1
    found = [b for b in blocks("README.md") if b.lang == "bash" and line_start < b.line < line_end]
    assert len(found) == 1, "the README's Command line section holds one bash block"
    return found[0].text


def test_the_readme_command_line_runs_verbatim_against_serve_with_network(
    tmp_path: Path, fresh_served: Served
) -> None:
    script = command_line_section()
    assert "EMULATOR" not in script and "127.0.0.1" not in script  # nothing emulator-specific in it
    home = tmp_path / "home"
    home.mkdir()
    env = {**base_env(home), **fresh_served.exports}
    (tmp_path / "readme.sh").write_text("set -eo pipefail\n" + script)
    script_path = str(tmp_path / "readme.sh")
    proc = subprocess.run(
        ["bash", script_path], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # `flexvmss ls web -o json`: the 6 VMs of the profile, spread over the 3 zones
    start = proc.stdout.index("\n[") + 1
    listed, _ = json.JSONDecoder().raw_decode(proc.stdout[start:])
    assert len(listed) == 6 and sorted({vm["zone"] for vm in listed}) == ["1", "2", "3"]
    assert re.search(r"deallocate: 2 succeeded, 0 failed", proc.stderr), proc.stderr
    assert "web-extra" in proc.stdout  # add-vm made a VM shaped like the set
    assert "Deleted scale set web with all its VMs" in proc.stderr

    inventory = requests_inventory(fresh_served)
    assert not [r for r in inventory if "virtualmachine" in str(r["type"]).lower()]


def requests_inventory(served: Served) -> list[dict[str, str]]:
    import requests

    response = requests.get(
        f"{served.exports['FLEXVMSS_BASE_URL']}/_emulator/inventory",
        verify=served.exports["FLEXVMSS_CA_FILE"],
        headers=served.admin_headers,
        timeout=30,
    )
    response.raise_for_status()
    resources: list[dict[str, str]] = response.json()["resources"]
    return resources
