"""``flexvmss plan NAME --spec SPEC --desired FILE``: the plan of a live set as a table and as
JSON, changing nothing; ``--apply-mode`` applying it after confirmation (refused without a
terminal or --yes), with the delete cap and a plan file."""

from __future__ import annotations

import json
from typing import Any

from cli_support import IMAGE, LOCATION, SSH_KEY, Cli


def _files(cli: Cli, tmp_path: Any, desired: str) -> tuple[str, str]:
    spec = tmp_path / "web.yaml"
    spec.write_text(
        f"location: {LOCATION}\nvm_size: Standard_D2s_v5\ncapacity: 3\nzones: [1, 2, 3]\n"
        f"platform_fault_domain_count: 1\nimage: {IMAGE}\n"
        f"network: {{subnet_id: {cli.subnet_id}, outbound: nat_gateway}}\nssh_public_keys: ['{SSH_KEY}']\n"
    )
    want = tmp_path / "desired.yaml"
    want.write_text(desired)
    cli.create("web", 3, "--fault-domains", "1")
    return str(spec), str(want)


def _writes(emu: Any) -> int:
    by_class = emu.counters()["by_op_class"]
    return sum(by_class.get(k, 0) for k in ("write", "delete", "action"))


def test_the_plan_as_a_table_and_as_json_changes_nothing(cli: Cli, tmp_path: Any) -> None:
    spec, want = _files(
        cli, tmp_path, "tags: {team: web}\nvms:\n  - {count: 2, zone: 1}\n  - {count: 1, zone: 2}\n"
    )
    before = _writes(cli.emu)
    table = cli("plan", "web", "--spec", spec, "--desired", want)
    assert table.exit_code == 0, table.output
    for word in ("create", "update", "delete", "tags team=None->'web'", "no desired group"):
        assert word in table.stdout
    out = tmp_path / "plan.json"
    as_json = cli("-o", "json", "plan", "web", "--spec", spec, "--desired", want, "--save", str(out))
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["findings"] == [] and data["apply"] is None
    assert data["plan"]["schema"] == "flexvmss.plan/1"
    assert data["plan"]["summary"]["create"] == 1 and data["plan"]["summary"]["delete"] == 1
    assert json.loads(out.read_text())["id"] == data["plan"]["id"]
    assert _writes(cli.emu) == before


def test_apply_mode_asks_first_then_converges(cli: Cli, tmp_path: Any) -> None:
    spec, want = _files(cli, tmp_path, "tags: {team: web}\n")
    refused = cli("plan", "web", "--spec", spec, "--desired", want, "--apply-mode", "rolling")
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    applied = cli(
        "-o", "json", "plan", "web", "--spec", spec, "--desired", want,
        "--apply-mode", "all-at-once", "--yes", "--journal", str(tmp_path / "j.jsonl"),
    )  # fmt: skip
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout)["apply"]["summary"]["done"] == 3
    again = cli("plan", "web", "--spec", spec, "--desired", want)
    assert again.exit_code == 0 and "nothing to do" in again.stderr


def test_the_delete_cap_refuses_and_max_delete_allows(cli: Cli, tmp_path: Any) -> None:
    spec, want = _files(cli, tmp_path, "vms:\n  - {count: 1, zone: 1}\n")
    capped = cli("plan", "web", "--spec", spec, "--desired", want, "--apply-mode", "rolling", "--yes",
                 "--max-delete", "1")  # fmt: skip
    assert capped.exit_code == 1 and "more than this apply may" in capped.stderr
    bad = cli("plan", "web", "--spec", spec, "--desired", want, "--max-delete", "x%")
    assert bad.exit_code == 2
    allowed = cli("plan", "web", "--spec", spec, "--desired", want, "--apply-mode", "rolling", "--yes",
                  "--max-delete", "70%")  # fmt: skip
    assert allowed.exit_code == 0, allowed.output
    # what Azure holds now (a list read right after may lag a round: realism)
    resources = cli.emu.inventory()["resources"]
    vms = [r for r in resources if r["type"].lower() == "microsoft.compute/virtualmachines"]
    assert len(vms) == 1


def test_a_saved_plan_is_applied_as_it_is_and_its_journal_resumes_it(cli: Cli, tmp_path: Any) -> None:
    spec, want = _files(cli, tmp_path, "tags: {team: web}\n")
    saved = tmp_path / "plan.json"
    assert cli("plan", "web", "--spec", spec, "--desired", want, "--save", str(saved)).exit_code == 0
    journal = str(tmp_path / "j.jsonl")
    args = ("-o", "json", "plan", "web", "--spec", spec, "--from-plan", str(saved), "--apply-mode", "rolling")
    first = cli(*args, "--yes", "--journal", journal)
    assert first.exit_code == 0, first.output
    again = cli(*args, "--yes", "--journal", journal)
    assert again.exit_code == 0, again.output
    results = json.loads(again.stdout)["apply"]["results"]
    assert len(results) == 3 and all("journal" in r["detail"] for r in results)
