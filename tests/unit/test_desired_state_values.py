"""DesiredState, Plan and the apply's journal and delete cap as plain values: parsing that names
the bad field, a plan's JSON that refuses edits, the cap's arithmetic, a journal tied to its
plan and tolerant of a line a crash cut short."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flexvmss import DesiredState, ImageSpec, InvalidInputError, NetworkSpec, Plan, ScaleSetSpec, VmGroup
from flexvmss._scaleset._apply import Journal
from flexvmss._scaleset._plan import PlanAction, PlanRead, resolve_cap

SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/vms"


def _spec(**extra: object) -> ScaleSetSpec:
    return ScaleSetSpec(
        location="westeurope",
        vm_size="Standard_D2s_v5",
        capacity=4,
        zones=("1", "2"),
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway"),
        **extra,  # type: ignore[arg-type]
    )


def test_defaults_come_from_the_spec() -> None:
    (group,) = DesiredState(_spec()).groups()
    assert (group.count, group.zone, group.priority, group.size) == (4, None, "Regular", "Standard_D2s_v5")
    spot = DesiredState(_spec(priority="Spot")).groups()[0]
    assert spot.priority == "Spot"


def test_a_file_parses_and_bad_fields_are_named() -> None:
    desired = DesiredState.from_mapping(
        _spec(),
        {
            "vms": [{"count": 2, "zone": 1}, {"count": 1, "priority": "spot"}],
            "tags": {"n": 1},
            "power_state": "Running",
        },
    )
    assert [(g.zone, g.priority) for g in desired.groups()] == [("1", "Regular"), (None, "Spot")]
    assert desired.tags == {"n": "1"} and desired.power_state == "running"
    for data, field in (
        ({"vm": []}, "vm"),
        ({"vms": [{"count": -1}]}, "vms.count"),
        ({"vms": [{"count": 1, "zones": 1}]}, "vms[0].zones"),
        ({"vms": [{"count": 1, "priority": "Low-ish"}]}, "vms.priority"),
        ({"power_state": "stopped"}, "power_state"),
        ({"image": 3}, "image"),
        ({"vms": [{"count": 1, "zone": "1"}, {"count": 2, "zone": 1}]}, "vms"),
    ):
        with pytest.raises(InvalidInputError) as info:
            DesiredState.from_mapping(_spec(), data)
        assert info.value.field == field, data


def test_a_set_without_a_profile_must_say_how_many() -> None:
    with pytest.raises(InvalidInputError):
        DesiredState(ScaleSetSpec(location="westeurope"))
    assert DesiredState(ScaleSetSpec(location="westeurope"), vms=(VmGroup(2),)).count == 2


def _plan(status: str = "ok") -> Plan:
    action = PlanAction("delete", "web_1", "2", "Regular", ("too many",), '"3"')
    return Plan(scale_set="/subscriptions/s/x", read=PlanRead(status, 5), actions=(action,), live_vms=5)  # type: ignore[arg-type]


def test_the_json_round_trips_and_refuses_edits() -> None:
    plan = _plan()
    again = Plan.from_json(plan.to_json())
    assert again == plan and again.id == plan.id
    data = json.loads(plan.to_json())
    data["actions"][0]["vm"] = "web_2"
    with pytest.raises(InvalidInputError) as edited:
        Plan.from_json(json.dumps(data))
    assert edited.value.field == "id"
    with pytest.raises(InvalidInputError):
        Plan.from_json(json.dumps({"schema": "other/9"}))
    assert Plan.from_json(_plan("throttled").to_json()).read.status == "throttled"
    assert "delete" in str(plan) and "too many" in str(plan)


def test_the_delete_cap() -> None:
    assert resolve_cap(None, 10) == 5 and resolve_cap(None, 200) == 20
    assert resolve_cap(0.25, 10) == 3 and resolve_cap(7, 10) == 7
    for bad in (-1, 1.5, 0.0, "5", True):
        with pytest.raises(InvalidInputError):
            resolve_cap(bad, 10)  # type: ignore[arg-type]


def test_a_journal_is_tied_to_its_plan_and_skips_a_cut_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path, "abc")
    journal.record("update:web_1")
    with path.open("a") as f:
        f.write('{"step": "update:we')  # a crash in the middle of a line
    again = Journal(path, "abc")
    assert again.done("update:web_1") and not again.done("update:we")
    again.record("update:web_2")
    assert Journal(path, "abc").done("update:web_2")  # on a line of its own
    with pytest.raises(InvalidInputError):
        Journal(path, "other")
    assert not Journal(None, "abc").done("update:web_1")


def test_a_read_with_vms_mid_change_or_without_etags_is_partial() -> None:
    from flexvmss import VmInfo
    from flexvmss._scaleset._plan import _judge_read

    def vm(name: str, state: str = "Succeeded", etag: str | None = '"1"', power: str = "running") -> VmInfo:
        view = {"statuses": [{"code": f"PowerState/{power}"}]}
        body = {
            "id": f"/x/{name}", "name": name, "etag": etag,
            "properties": {"provisioningState": state, "instanceView": view},
        }  # fmt: skip
        return VmInfo.from_wire({k: v for k, v in body.items() if v is not None})

    assert _judge_read([vm("a"), vm("b")], 0).status == "ok"
    busy = _judge_read([vm("a"), vm("b", state="Updating")], 0)
    assert busy.status == "partial" and "mid-change (b)" in busy.detail
    assert _judge_read([vm("a", etag=None)], 0).status == "partial"
    assert _judge_read([vm("a")], 2).status == "throttled"
    assert _judge_read([vm("a")], None).status == "ok"  # borrowed clients: 429s not seen
