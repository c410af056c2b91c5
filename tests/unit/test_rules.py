"""The rules table itself: stable ids, statuses and sources; today's profile by default, the 2021
restrictions on request; waivers; and the scale-set facts the rules read."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from _flex_sku_data import SSH_KEY, SUBNET, synthetic_sku_items

from flexvmss._errors import InvalidInputError
from flexvmss._rules import RULES, evaluate, rules_table
from flexvmss._scaleset import ScaleSetInfo
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
        ScaleSetInfo(name="web", platform_fault_domain_count=3, id=SET_ID),
        ScaleSetInfo.from_wire(
            {
                "id": SET_ID,
                "name": "web",
                "location": "eastus",
                "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 3},
            }
        ),
    ],
    ids=["info", "from-wire"],
)
def test_scale_set_context_from_the_one_info_type(scale_set: ScaleSetInfo) -> None:
    assert evaluate(replace(VM, platform_fault_domain=2), catalog=EAST, scale_set=scale_set) == []
    findings = evaluate(
        replace(VM, platform_fault_domain=3, resource_group="other"), catalog=EAST, scale_set=scale_set
    )
    assert {"FLEX027", "FLEX029"} <= {f.rule_id for f in findings}


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
    assert (info.name, info.resource_group, info.zones, info.sku_name) == (
        "web",
        "RG",
        ("1",),
        "Standard_D2s_v5",
    )


def test_same_resource_group_is_compared_case_insensitively() -> None:
    info = ScaleSetInfo(name="web", id=SET_ID)
    assert evaluate(replace(VM, resource_group="rg"), catalog=EAST, scale_set=info) == []


def test_a_vm_already_in_the_set_is_not_an_attach() -> None:
    info = ScaleSetInfo(name="web", id=SET_ID)
    member = {"name": "web-1", "properties": {"virtualMachineScaleSet": {"id": SET_ID.lower()}}}
    assert evaluate(VM, catalog=EAST, scale_set=info, existing_vm=member) == []


def test_the_set_name_comes_from_the_existing_set_when_not_given() -> None:
    info = ScaleSetInfo(name="bad name", id=SET_ID)
    assert [f.rule_id for f in evaluate(SPEC, catalog=EAST, scale_set=info)] == ["FLEX015"]


# -- the engine -------------------------------------------------------------------------------


def test_each_rule_is_registered_once_and_a_second_definition_is_refused() -> None:
    from flexvmss._rules import rule

    with pytest.raises(ValueError, match="FLEX004"):

        @rule("FLEX004", title="again", severity="error", status_2021="-", status_today="-", source="-")
        def again(ctx: object) -> list[object]:
            return []

    assert [r.id for r in RULES].count("FLEX004") == 1


def test_rule_modules_hold_their_rules_by_topic() -> None:
    from flexvmss._rules import names, network, scale_set

    assert network.outbound.id == "FLEX012" and network.outbound.check.__module__.endswith(".network")
    assert names.resource_names.id == "FLEX015"
    assert scale_set.capacity.changes == ("capacity",) and network.outbound.changes == ()


# -- facts read before the rules run ----------------------------------------------------------

LB_ID = SUBNET.split("/providers/")[0] + "/providers/Microsoft.Network/loadBalancers/lb"
POOL = f"{LB_ID}/backendAddressPools/pool"


def test_reads_names_the_subnet_of_a_declared_nat_gateway_and_an_undeclared_load_balancer() -> None:
    from flexvmss._rules import reads

    assert reads(SPEC) == (SUBNET,)
    assert reads(replace(SPEC, vm_size=None)) == ()  # no VMs from a profile: nothing to reach out
    pooled = NetworkSpec(subnet_id=SUBNET, load_balancer_backend_pool_ids=(POOL,))
    assert reads(replace(SPEC, network=pooled)) == (LB_ID,)
    declared = replace(pooled, load_balancer_sku="Standard")
    assert reads(replace(SPEC, network=declared)) == ()
    assert reads(VM) == (SUBNET,)


@pytest.mark.parametrize(
    ("subnet", "says"),
    [(None, "does not exist."), ({"id": SUBNET, "properties": {}}, "has no NAT gateway attached.")],
)
def test_a_declared_nat_gateway_the_subnet_lacks_is_flex012(subnet: object, says: str) -> None:
    findings = evaluate(SPEC, catalog=EAST, resources={SUBNET.lower(): subnet})
    assert [(f.rule_id, f.severity, f.field, f.value) for f in findings] == [
        ("FLEX012", "error", "network.outbound", "nat_gateway")
    ]
    assert f"subnet {SUBNET} {says}" in findings[0].message
    assert findings[0].message.endswith(f"Fix: {findings[0].fix}.")
    # a VM created into a set is held to the same (Azure refuses it either way)
    assert {f.rule_id for f in evaluate(VM, catalog=EAST, resources={SUBNET.lower(): subnet})} == {"FLEX012"}
    assert evaluate(SPEC, catalog=EAST, resources={SUBNET.lower(): subnet}, waive=["flex012"]) == []


def test_a_subnet_with_a_nat_gateway_or_not_read_at_all_passes() -> None:
    with_nat = {"id": SUBNET, "properties": {"natGateway": {"id": "/nat"}}}
    assert evaluate(SPEC, catalog=EAST, resources={SUBNET.lower(): with_nat}) == []
    assert evaluate(SPEC, catalog=EAST) == []


@pytest.mark.parametrize(("lb", "flagged"), [({"sku": {"name": "Basic"}}, True), ({}, True),
                                             ({"sku": {"name": "Standard"}}, False), (None, False)])
def test_an_undeclared_load_balancer_sku_is_read_from_the_load_balancer(lb: object, flagged: bool) -> None:
    spec = replace(SPEC, network=NetworkSpec(subnet_id=SUBNET, load_balancer_backend_pool_ids=(POOL,)))
    findings = evaluate(spec, catalog=EAST, resources={LB_ID.lower(): lb})
    basic = [(f.field, f.value) for f in findings if f.rule_id == "FLEX006"]
    assert basic == ([("network.load_balancer_sku", "Basic")] if flagged else [])


# -- a capacity change of an existing set -----------------------------------------------------


def _existing(**changes: object) -> ScaleSetInfo:
    body = {
        "id": SET_ID,
        "name": "web",
        "location": "eastus",
        "sku": {"name": "Standard_D2s_v5", "capacity": 2},
        "properties": {
            "orchestrationMode": "Flexible",
            "platformFaultDomainCount": 1,
            "virtualMachineProfile": {"storageProfile": {"imageReference": {"publisher": "Canonical"}}},
        },
    }
    body.update(changes)
    return ScaleSetInfo.from_wire(body)


def test_scaling_an_existing_set_is_held_to_the_same_capacity_rule_as_creating_one() -> None:
    from flexvmss._rules import capacity_needs_catalog, check_change

    assert check_change(_existing(), capacity=1000, catalog=None) == []
    [too_many] = check_change(_existing(), capacity=1001, catalog=None)
    assert (too_many.rule_id, too_many.field, too_many.value) == ("FLEX014", "capacity", 1001)
    assert "1,000" in too_many.message
    assert check_change(_existing(), capacity=1001, catalog=None, waive=["FLEX014"]) == []

    image = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/images/golden"
    managed = _existing(
        properties={"virtualMachineProfile": {"storageProfile": {"imageReference": {"id": image}}}}
    )
    assert "600" in check_change(managed, capacity=601, catalog=None)[0].message

    non_mpu = _existing(
        sku={"name": "Standard_M8ms"}, properties={"platformFaultDomainCount": 2, "virtualMachineProfile": {}}
    )
    assert capacity_needs_catalog(non_mpu) and not capacity_needs_catalog(_existing())
    [limited] = check_change(non_mpu, capacity=201, catalog=EAST)
    assert "Standard_M8ms" in limited.message and "200" in limited.message
    assert "fault domain count cannot change" in limited.fix
    assert check_change(non_mpu, capacity=200, catalog=EAST) == []


def test_a_finding_about_an_argument_becomes_an_invalid_input_error() -> None:
    from flexvmss._rules import check_change, to_invalid_input

    error = to_invalid_input(check_change(_existing(), capacity=1001, catalog=None)[0])
    assert isinstance(error, InvalidInputError)
    assert (error.field, error.value) == ("capacity", 1001)
    assert str(error) == (
        "capacity=1001: a Flex set holds at most 1,000 VMs. Fix: use at most 1000, or split the workload "
        "across sets"
    )


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (("0000", "rg", "web/../x"), "name"),
        (("0000", "rg", "web."), "name"),
        (("0000", "rg.", "web"), "resource_group"),
        (("sub?x", "rg", "web"), "subscription_id"),
        (("0000", "rg", 7), "name"),
    ],
)
def test_a_scale_set_address_azure_would_not_accept_is_refused(
    address: tuple[object, ...], field: str
) -> None:
    from flexvmss._rules import check_address

    with pytest.raises(InvalidInputError) as caught:
        check_address(*address)
    assert caught.value.field == field
    check_address("0000", "rg-(1).x_", "web_1.a-b")


@pytest.mark.parametrize(
    ("size", "rule"),
    [("Standard_Nonexistent_v9", "FLEX020"), ("Standard_B1ls", "FLEX026")],
)
def test_resizing_the_sets_vms_is_held_to_the_size_rules(size: str, rule: str) -> None:
    from flexvmss._rules import check_change

    assert check_change(_existing(), size="Standard_E4s_v5", catalog=EAST) == []
    [refused] = [f for f in check_change(_existing(), size=size, catalog=EAST) if f.severity == "error"]
    assert (refused.rule_id, refused.field, refused.value) == (rule, "size", size)
    with pytest.raises(ValueError):
        check_change(_existing(), catalog=EAST)
