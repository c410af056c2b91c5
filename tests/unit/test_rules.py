"""The rules table itself: stable ids, statuses and sources; today's profile by default, the 2021
restrictions on request; waivers; and scale-set context in any of the shapes the facade has."""

from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace

import pytest
from _flex_sku_data import SSH_KEY, SUBNET, synthetic_sku_items

from flexvmss._errors import InvalidInputError
from flexvmss._rules import RULES, ScaleSetInfo, evaluate, rules_table
from flexvmss._skus import SkuCatalog
from flexvmss._specs import ImageSpec, NetworkSpec, ScaleSetSpec, Secret, VmSpec

EAST = SkuCatalog.from_wire(synthetic_sku_items(), "eastus")
UBUNTU = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest")
NET = NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway")
SPEC = ScaleSetSpec(
    location="eastus",
    vm_size="Standard_D2s_v5",
    capacity=2,
    image=UBUNTU,
    network=NET,
    ssh_public_keys=(SSH_KEY,),
)
VM = VmSpec(name="web-1", vm_size="Standard_D2s_v5", image=UBUNTU, network=NET, ssh_public_keys=(SSH_KEY,))
SET_ID = "/subscriptions/0000/resourceGroups/RG/providers/Microsoft.Compute/virtualMachineScaleSets/web"


def test_rule_ids_are_stable_unique_and_documented() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"FLEX\d{3}", i) for i in ids)
    assert ids == sorted(ids)
    for rule in RULES:
        assert rule.title and rule.status_2021 and rule.status_today and rule.source
        assert rule.severity in ("error", "warning")


def test_rules_table_rows_for_the_docs() -> None:
    rows = rules_table()
    assert [row["id"] for row in rows] == [rule.id for rule in RULES]
    by_id = {row["id"]: row for row in rows}
    assert by_id["FLEX001"]["enforced_by_default"] is True
    assert by_id["FLEX101"]["lifted"] is True and by_id["FLEX101"]["enforced_by_default"] is False
    assert by_id["FLEX101"]["status_today"].startswith("lifted")
    assert "2024-11" in by_id["FLEX101"]["status_today"]
    assert set(rows[0]) == {
        "id",
        "title",
        "severity",
        "status_2021",
        "status_today",
        "source",
        "lifted",
        "enforced_by_default",
    }


def test_the_lifted_2021_rules_are_kept_as_history() -> None:
    lifted = {rule.id: rule for rule in RULES if rule.lifted}
    titles = " ".join(rule.title.lower() for rule in lifted.values())
    for topic in ("upgrade policy", "scale-in policy", "user data", "instance protection", "specialty sizes"):
        assert topic in titles


def test_lifted_rules_fire_only_in_the_2021_profile() -> None:
    spec = replace(
        SPEC,
        upgrade_mode="Automatic",
        scale_in_policy="OldestVM",
        user_data=Secret("#!/bin/sh"),
        vm_size="Standard_M8ms",
        extra_properties={
            "properties": {"virtualMachineProfile": {"protectionPolicy": {"protectFromScaleIn": True}}}
        },
    )
    assert [f for f in evaluate(spec, catalog=EAST) if f.rule_id.startswith("FLEX1")] == []
    strict = {f.rule_id for f in evaluate(spec, catalog=EAST, profile="2021")}
    assert {"FLEX101", "FLEX102", "FLEX103", "FLEX104", "FLEX105"} <= strict


def test_unknown_waivers_and_profiles_are_refused() -> None:
    with pytest.raises(InvalidInputError) as info:
        evaluate(SPEC, catalog=EAST, waive=["FLEX999"])
    assert info.value.field == "waive" and info.value.value == ["FLEX999"]
    with pytest.raises(InvalidInputError):
        evaluate(SPEC, catalog=EAST, profile="2019")  # type: ignore[arg-type]


def test_waivers_are_case_insensitive() -> None:
    bad = replace(SPEC, capacity=1500)
    assert {f.rule_id for f in evaluate(bad, catalog=EAST)} == {"FLEX014"}
    assert evaluate(bad, catalog=EAST, waive=["flex014"]) == []


def test_without_a_catalog_the_sku_rules_are_skipped() -> None:
    spec = replace(SPEC, vm_size="Standard_Nonexistent_v9", priority="Spot")
    assert "FLEX020" in {f.rule_id for f in evaluate(spec, catalog=EAST)}
    assert evaluate(spec, catalog=None) == []


@pytest.mark.parametrize(
    "scale_set",
    [
        ScaleSetInfo(name="web", resource_group="RG", platform_fault_domain_count=3, id=SET_ID),
        {
            "id": SET_ID,
            "name": "web",
            "location": "eastus",
            "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 3},
        },
        SimpleNamespace(
            name="web",
            id=SET_ID,
            location="eastus",
            orchestration_mode="Flexible",
            platform_fault_domain_count=3,
            single_placement_group=False,
            zones=(),
            resource_group="rg",
        ),
    ],
    ids=["info", "wire-body", "facade-object"],
)
def test_scale_set_context_in_any_shape(scale_set: object) -> None:
    assert evaluate(replace(VM, platform_fault_domain=2), catalog=EAST, scale_set=scale_set) == []
    findings = evaluate(
        replace(VM, platform_fault_domain=3, resource_group="other"), catalog=EAST, scale_set=scale_set
    )
    assert "FLEX029" in {f.rule_id for f in findings}


def test_scale_set_info_from_wire_reads_the_resource_group() -> None:
    info = ScaleSetInfo.from_wire(
        {
            "id": SET_ID,
            "location": "eastus",
            "zones": ["1"],
            "sku": {"name": "Standard_D2s_v5"},
            "properties": {},
        }
    )
    assert (info.name, info.resource_group, info.zones, info.vm_size) == (
        "web",
        "RG",
        ("1",),
        "Standard_D2s_v5",
    )


def test_same_resource_group_is_compared_case_insensitively() -> None:
    info = ScaleSetInfo(name="web", resource_group="RG", id=SET_ID)
    assert evaluate(replace(VM, resource_group="rg"), catalog=EAST, scale_set=info) == []


def test_a_vm_already_in_the_set_is_not_an_attach() -> None:
    info = ScaleSetInfo(name="web", resource_group="rg", id=SET_ID)
    member = {"name": "web-1", "properties": {"virtualMachineScaleSet": {"id": SET_ID.lower()}}}
    assert evaluate(VM, catalog=EAST, scale_set=info, existing_vm=member) == []


def test_the_set_name_comes_from_the_existing_set_when_not_given() -> None:
    info = ScaleSetInfo(name="bad name", id=SET_ID)
    assert [f.rule_id for f in evaluate(SPEC, catalog=EAST, scale_set=info)] == ["FLEX015"]
