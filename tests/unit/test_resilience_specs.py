"""How the resilience, placement, Spot restore and delete-option specs become ARM bodies, and
how they load from a spec file."""

from __future__ import annotations

from flexvmss._specs import (
    ImageSpec,
    NetworkSpec,
    ResiliencySpec,
    ScaleSetSpec,
    SpotRestoreSpec,
    SpotSpec,
    ZonePlacementSpec,
    render_scale_set_body,
)

SUBNET = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"


def _spec(**fields: object) -> ScaleSetSpec:
    base: dict[str, object] = {
        "location": "eastus",
        "vm_size": "Standard_D2s_v5",
        "image": ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        "network": NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway"),
    }
    base.update(fields)
    return ScaleSetSpec(**base)  # type: ignore[arg-type]


def test_resiliency_sends_only_the_policies_turned_on() -> None:
    props = render_scale_set_body(_spec(resiliency=ResiliencySpec(resilient_delete=True)))["properties"]
    assert props["resiliencyPolicy"] == {"resilientVMDeletionPolicy": {"enabled": True}}
    props = render_scale_set_body(_spec(resiliency=ResiliencySpec()))["properties"]
    assert "resiliencyPolicy" not in props


def test_zone_rebalancing_sends_the_only_supported_strategy_and_behavior() -> None:
    props = render_scale_set_body(_spec(resiliency=ResiliencySpec(zone_rebalancing=True)))["properties"]
    assert props["resiliencyPolicy"]["automaticZoneRebalancingPolicy"] == {
        "enabled": True,
        "rebalanceStrategy": "Recreate",
        "rebalanceBehavior": "CreateBeforeDelete",
    }


def test_zone_placement_is_top_level_and_allocation_goes_in_the_resiliency_policy() -> None:
    spec = _spec(
        zone_balance=True,
        zone_placement=ZonePlacementSpec(include_zones=("1", "2", "4"), max_zone_count=2),
    )
    body = render_scale_set_body(spec)
    assert body["placement"] == {"zonePlacementPolicy": "Auto", "includeZones": ["1", "2", "4"]}
    assert "zones" not in body
    assert body["properties"]["zoneBalance"] is True  # with placement, no zones list is needed
    assert body["properties"]["resiliencyPolicy"] == {"zoneAllocationPolicy": {"maxZoneCount": 2}}
    shared = render_scale_set_body(_spec(zone_placement=ZonePlacementSpec(max_instance_percent_per_zone=85)))
    assert shared["properties"]["resiliencyPolicy"]["zoneAllocationPolicy"] == {
        "maxInstancePercentPerZonePolicy": {"enabled": True, "value": 85}
    }


def test_spot_restore_is_a_set_property_with_an_iso_duration() -> None:
    spec = _spec(priority="Spot", spot=SpotSpec(eviction_policy="Deallocate"), spot_restore=SpotRestoreSpec())
    props = render_scale_set_body(spec)["properties"]
    assert props["spotRestorePolicy"] == {"enabled": True, "restoreTimeout": "PT60M"}
    assert props["virtualMachineProfile"]["evictionPolicy"] == "Deallocate"


def test_network_delete_option_reaches_the_nic_and_its_public_ip() -> None:
    network = NetworkSpec(subnet_id=SUBNET, public_ip_per_vm=True, delete_option="Detach")
    profile = render_scale_set_body(_spec(network=network))["properties"]["virtualMachineProfile"]
    nic = profile["networkProfile"]["networkInterfaceConfigurations"][0]["properties"]
    assert nic["deleteOption"] == "Detach"
    pip = nic["ipConfigurations"][0]["properties"]["publicIPAddressConfiguration"]["properties"]
    assert pip["deleteOption"] == "Detach"


def test_spec_files_take_the_new_sections() -> None:
    spec = ScaleSetSpec.from_mapping(
        {
            "location": "eastus",
            "resiliency": {"resilient_create": True, "zone_rebalancing": True},
            "zone_placement": {"exclude_zones": [3], "max_zone_count": 2},
            "spot_restore": {"timeout_minutes": 90},
            "detach_reason": "keep disks for forensics",
        }
    )
    assert spec.resiliency == ResiliencySpec(resilient_create=True, zone_rebalancing=True)
    assert spec.zone_placement == ZonePlacementSpec(exclude_zones=("3",), max_zone_count=2)
    assert spec.spot_restore == SpotRestoreSpec(timeout_minutes=90)
    assert spec.detach_reason == "keep disks for forensics"
