"""Specs render to the ARM bodies a Flex set needs, load from spec files with clear errors, and
never show secrets."""

from __future__ import annotations

import base64
import copy
import pickle
from dataclasses import replace
from typing import Any

import pytest
from _flex_sku_data import POOL, SSH_KEY, SUBNET

from flexvmss._errors import InvalidInputError
from flexvmss._specs import (
    DataDiskSpec,
    HealthSpec,
    IdentitySpec,
    ImageSpec,
    NetworkSpec,
    OsDiskSpec,
    PriorityMixSpec,
    ScaleSetSpec,
    Secret,
    SkuProfileSpec,
    SpotSpec,
    VmSpec,
    default_computer_name_prefix,
    describe_differences,
    render_scale_set,
    render_vm,
)

UBUNTU = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest")
NET = NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway")
SPEC = ScaleSetSpec(
    location="eastus",
    vm_size="Standard_D2s_v5",
    capacity=3,
    image=UBUNTU,
    network=NET,
    ssh_public_keys=(SSH_KEY,),
)
SET_ID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"
UAI = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"


def wire(spec: ScaleSetSpec, name: str = "web") -> dict[str, Any]:
    model = render_scale_set(spec, subscription_id="0000", resource_group="rg", name=name)
    return model.as_dict()


def vm_wire(spec: VmSpec) -> dict[str, Any]:
    model = render_vm(
        spec, subscription_id="0000", resource_group="rg", scale_set_id=SET_ID, location="eastus"
    )
    return model.as_dict()


def test_scale_set_body_has_the_flex_keys() -> None:
    body = wire(SPEC)
    props = body["properties"]
    assert body["location"] == "eastus"
    assert body["sku"] == {"name": "Standard_D2s_v5", "tier": "Standard", "capacity": 3}
    assert props["orchestrationMode"] == "Flexible"
    assert props["platformFaultDomainCount"] == 1
    assert props["singlePlacementGroup"] is False
    assert props["upgradePolicy"] == {"mode": "Manual"}
    assert "overprovision" not in props
    profile = props["virtualMachineProfile"]
    network = profile["networkProfile"]
    assert network["networkApiVersion"] == "2020-11-01"
    (nic,) = network["networkInterfaceConfigurations"]
    assert nic["name"] == "web-nic"
    assert nic["properties"]["deleteOption"] == "Delete"
    assert nic["properties"]["primary"] is True
    ip = nic["properties"]["ipConfigurations"][0]["properties"]
    assert ip["subnet"] == {"id": SUBNET}
    assert ip["primary"] is True
    storage = profile["storageProfile"]
    assert storage["osDisk"]["deleteOption"] == "Delete"
    assert storage["osDisk"]["createOption"] == "FromImage"
    assert storage["imageReference"] == {
        "publisher": "Canonical",
        "offer": "ubuntu-24_04-lts",
        "sku": "server",
        "version": "latest",
    }
    os_profile = profile["osProfile"]
    assert os_profile["computerNamePrefix"] == "web"
    assert os_profile["linuxConfiguration"]["disablePasswordAuthentication"] is True
    assert os_profile["linuxConfiguration"]["ssh"]["publicKeys"] == [
        {"path": "/home/azureuser/.ssh/authorized_keys", "keyData": SSH_KEY}
    ]
    assert profile["priority"] == "Regular"


def test_single_placement_group_none_is_left_to_azure() -> None:
    assert "singlePlacementGroup" not in wire(replace(SPEC, single_placement_group=None))["properties"]


def test_public_ip_per_vm_and_data_disks_are_deleted_with_the_vm() -> None:
    spec = replace(
        SPEC,
        network=NetworkSpec(subnet_id=SUBNET, public_ip_per_vm=True, load_balancer_backend_pool_ids=(POOL,)),
        data_disks=(DataDiskSpec(lun=0, size_gb=128),),
    )
    profile = wire(spec)["properties"]["virtualMachineProfile"]
    ip = profile["networkProfile"]["networkInterfaceConfigurations"][0]["properties"]["ipConfigurations"][0]
    pip = ip["properties"]["publicIPAddressConfiguration"]
    assert pip["properties"]["deleteOption"] == "Delete"
    assert pip["sku"] == {"name": "Standard", "tier": "Regional"}
    assert ip["properties"]["loadBalancerBackendAddressPools"] == [{"id": POOL}]
    assert profile["storageProfile"]["dataDisks"] == [
        {
            "lun": 0,
            "createOption": "Empty",
            "diskSizeGB": 128,
            "managedDisk": {"storageAccountType": "StandardSSD_LRS"},
            "deleteOption": "Delete",
        }
    ]


def test_a_set_without_vm_size_has_no_profile_and_no_sku() -> None:
    body = wire(ScaleSetSpec(location="eastus"))
    assert "sku" not in body
    assert "virtualMachineProfile" not in body["properties"]
    assert "upgradePolicy" not in body["properties"]
    assert body["properties"]["orchestrationMode"] == "Flexible"
    assert body["properties"]["singlePlacementGroup"] is False


def test_instance_mix_renders_sku_mix_and_sku_profile() -> None:
    spec = replace(
        SPEC,
        vm_size=None,
        sku_profile=SkuProfileSpec(
            vm_sizes=("Standard_D2s_v5", "Standard_E4s_v5"),
            allocation_strategy="Prioritized",
            ranks={"Standard_D2s_v5": 0, "Standard_E4s_v5": 1},
        ),
    )
    body = wire(spec)
    assert body["sku"] == {"name": "Mix", "capacity": 3}
    assert body["properties"]["skuProfile"] == {
        "vmSizes": [{"name": "Standard_D2s_v5", "rank": 0}, {"name": "Standard_E4s_v5", "rank": 1}],
        "allocationStrategy": "Prioritized",
    }


def test_spot_priority_mix_zones_identity_health_and_notifications() -> None:
    spec = replace(
        SPEC,
        priority="Spot",
        spot=SpotSpec(eviction_policy="Deallocate", max_price=0.05),
        priority_mix=PriorityMixSpec(base_regular_count=2, regular_percentage_above_base=25),
        zones=("1", "2"),
        zone_balance=True,
        identity=IdentitySpec(user_assigned_ids=(UAI,)),
        health=HealthSpec(port=8080, request_path="/healthz"),
        termination_notification_minutes=10,
        proximity_placement_group_id=None,
        scale_in_policy="NewestVM",
    )
    body = wire(spec)
    props = body["properties"]
    profile = props["virtualMachineProfile"]
    assert body["zones"] == ["1", "2"] and props["zoneBalance"] is True
    assert profile["priority"] == "Spot"
    assert profile["evictionPolicy"] == "Deallocate"
    assert profile["billingProfile"] == {"maxPrice": 0.05}
    assert props["priorityMixPolicy"] == {
        "baseRegularPriorityCount": 2,
        "regularPriorityPercentageAboveBase": 25,
    }
    assert body["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {UAI: {}}}
    (extension,) = profile["extensionProfile"]["extensions"]
    assert extension["properties"]["type"] == "ApplicationHealthLinux"
    assert extension["properties"]["settings"] == {
        "protocol": "http",
        "port": 8080,
        "requestPath": "/healthz",
    }
    assert props["automaticRepairsPolicy"] == {
        "enabled": True,
        "gracePeriod": "PT30M",
        "repairAction": "Replace",
    }
    assert profile["scheduledEventsProfile"] == {
        "terminateNotificationProfile": {"enable": True, "notBeforeTimeout": "PT10M"}
    }
    assert props["scaleInPolicy"] == {"rules": ["NewestVM"]}


@pytest.mark.parametrize(
    ("zones", "zone_balance", "sent"),
    [
        ((), None, None),
        ((), False, None),
        (("1",), None, None),  # the single-zone set Azure refused when flexvmss sent false
        (("1",), False, None),  # Azure refuses any value with one zone: an explicit False is dropped
        (("1", "1"), True, None),  # one zone listed twice is one zone (FLEX030 refuses it too)
        (("1", "2"), None, None),  # unset: Azure's best-effort balance, as Terraform sends nothing
        (("1", "2"), True, True),
        (("1", "2", "3"), False, False),  # set explicitly: sent as given
    ],
)
def test_zone_balance_is_sent_only_with_two_zones_and_only_when_given(
    zones: tuple[str, ...], zone_balance: bool | None, sent: bool | None
) -> None:
    props = wire(replace(SPEC, zones=zones, zone_balance=zone_balance))["properties"]
    assert props.get("zoneBalance") == sent
    assert ("zoneBalance" in props) is (sent is not None)


def test_zone_balance_defaults_to_unset_and_loads_from_a_spec_file() -> None:
    assert ScaleSetSpec(location="eastus").zone_balance is None
    loaded = ScaleSetSpec.from_mapping({"location": "eastus", "zones": [1, 2], "zone_balance": True})
    assert loaded.zone_balance is True and loaded.zones == ("1", "2")


def test_set_tag_value_is_short_stable_and_unique_per_set() -> None:
    from flexvmss._specs import SET_TAG, is_set_tag, set_tag_value, tagged_for

    rg, name = "r" * 90, "s" * 64  # Azure's longest resource group and set names
    long_id = f"/subscriptions/{'0' * 8}-0000-0000-0000-{'0' * 12}/resourceGroups/{rg}" + (
        f"/providers/Microsoft.Compute/virtualMachineScaleSets/{name}"
    )
    assert len(long_id) > 256  # the old tag value (the id) did not fit
    value = set_tag_value(long_id)
    assert len(value) <= 81 and value.startswith(name + "-")
    assert set_tag_value(long_id) == value  # reruns converge
    assert set_tag_value(long_id.upper())[-16:] == value[-16:]  # ARM ids are case-insensitive
    other = long_id.replace("/resourceGroups/" + rg, "/resourceGroups/other")
    assert set_tag_value(other) != value  # same name, other group: another value
    scrubbed = long_id.replace("/subscriptions/00000000", "/subscriptions/8f1c2a4e")
    assert set_tag_value(scrubbed) == value  # a recording's scrubbed subscription keeps the value
    assert is_set_tag(value, long_id)
    assert is_set_tag(long_id.lower(), long_id)  # what earlier versions wrote still counts
    assert not is_set_tag(set_tag_value(other), long_id)
    assert not is_set_tag(None, long_id)
    assert tagged_for({"Flexvmss-Set": value, "owner": "me"}, long_id)  # tag names are case-insensitive
    assert not tagged_for({SET_TAG: set_tag_value(other)}, long_id)
    assert not tagged_for(None, long_id)


def test_secrets_are_base64_encoded_in_the_body_and_masked_everywhere_else() -> None:
    spec = replace(
        SPEC,
        admin_password=Secret("Sup3r-secret-pw!"),
        custom_data=Secret("#cloud-config\npackages: [nginx]\n"),
        user_data=Secret("token=abc123"),
    )
    profile = wire(spec)["properties"]["virtualMachineProfile"]
    assert profile["osProfile"]["adminPassword"] == "Sup3r-secret-pw!"
    assert (
        base64.b64decode(profile["osProfile"]["customData"]).decode() == "#cloud-config\npackages: [nginx]\n"
    )
    assert base64.b64decode(profile["userData"]).decode() == "token=abc123"
    assert profile["osProfile"]["linuxConfiguration"]["disablePasswordAuthentication"] is False
    for text in (repr(spec), str(spec), f"{spec.admin_password}", f"{spec.user_data:>20}"):
        assert "Sup3r" not in text and "abc123" not in text and "nginx" not in text


def test_secret_refuses_pickling_but_copies_and_compares() -> None:
    secret = Secret("hunter2")
    assert repr(secret) == "Secret('********')" and str(secret) == "********"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert copy.deepcopy(secret) == secret and secret.reveal() == "hunter2"
    assert Secret("a") != Secret("b")


def test_secret_from_env_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("FLEXVMSS_TEST_PW", "from-env")
    assert Secret.from_env("FLEXVMSS_TEST_PW").reveal() == "from-env"
    monkeypatch.delenv("FLEXVMSS_TEST_PW")
    with pytest.raises(InvalidInputError) as info:
        Secret.from_env("FLEXVMSS_TEST_PW")
    assert info.value.field == "secret.env"
    path = tmp_path / "cloud-init.yaml"
    path.write_text("#cloud-config\n")
    assert Secret.from_file(path).reveal() == "#cloud-config\n"


def test_extra_properties_are_deep_merged_and_raw_is_used_as_is() -> None:
    spec = replace(SPEC, extra_properties={"properties": {"virtualMachineProfile": {"licenseType": "None"}}})
    profile = wire(spec)["properties"]["virtualMachineProfile"]
    assert profile["licenseType"] == "None"
    assert profile["networkProfile"]["networkApiVersion"] == "2020-11-01"  # merged, not replaced
    raw = {
        "location": "eastus",
        "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1},
    }
    assert wire(ScaleSetSpec(location="eastus", raw=raw)) == raw


def test_image_specs() -> None:
    assert UBUNTU.to_wire()["version"] == "latest"
    assert ImageSpec.from_urn("a:b:c:1.2.3").version == "1.2.3"
    with pytest.raises(InvalidInputError) as info:
        ImageSpec.from_urn("ubuntu")
    assert info.value.field == "image"
    managed = ImageSpec(id="/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/images/golden")
    gallery = ImageSpec(
        id="/subscriptions/0/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i"
    )
    shared = ImageSpec(id="/SharedGalleries/abc/Images/i/Versions/latest")
    assert managed.is_managed_image and not gallery.is_managed_image and not UBUNTU.is_managed_image
    assert managed.to_wire() == {"id": managed.id}
    assert shared.to_wire() == {"sharedGalleryImageId": shared.id}
    assert ImageSpec.from_urn("MicrosoftWindowsServer:WindowsServer:2022-datacenter:latest").os == "windows"


def test_windows_profile_and_prefix() -> None:
    spec = replace(
        SPEC,
        image=ImageSpec.from_urn("MicrosoftWindowsServer:WindowsServer:2022-datacenter:latest"),
        admin_password=Secret("Sup3r-secret-pw!"),
        ssh_public_keys=(),
    )
    os_profile = wire(spec, name="frontend-windows")["properties"]["virtualMachineProfile"]["osProfile"]
    assert "windowsConfiguration" in os_profile and "linuxConfiguration" not in os_profile
    assert os_profile["computerNamePrefix"] == "frontend"  # 9 characters at most, no trailing dash
    assert default_computer_name_prefix("my_scale.set", "linux") == "myscaleset"


def test_ephemeral_os_disk_uses_read_only_cache() -> None:
    disk = wire(replace(SPEC, os_disk=OsDiskSpec(ephemeral=True)))["properties"]["virtualMachineProfile"][
        "storageProfile"
    ]["osDisk"]
    assert disk["diffDiskSettings"] == {"option": "Local", "placement": "CacheDisk"}
    assert disk["caching"] == "ReadOnly"


def test_vm_body_joins_the_set_with_inline_nic() -> None:
    vm = VmSpec(
        name="web_worker_1",
        vm_size="Standard_D2s_v5",
        image=UBUNTU,
        network=replace(NET, public_ip_per_vm=True),
        zone="2",
        platform_fault_domain=1,
        ssh_public_keys=(SSH_KEY,),
        tags={"role": "worker"},
    )
    body = vm_wire(vm)
    props = body["properties"]
    assert body["location"] == "eastus" and body["zones"] == ["2"] and body["tags"] == {"role": "worker"}
    assert props["virtualMachineScaleSet"] == {"id": SET_ID}
    assert props["platformFaultDomain"] == 1
    assert props["hardwareProfile"] == {"vmSize": "Standard_D2s_v5"}
    assert props["networkProfile"]["networkApiVersion"] == "2020-11-01"
    (nic,) = props["networkProfile"]["networkInterfaceConfigurations"]
    assert nic["name"] == "web_worker_1-nic" and nic["properties"]["deleteOption"] == "Delete"
    assert props["storageProfile"]["osDisk"]["deleteOption"] == "Delete"
    assert props["osProfile"]["computerName"] == "web-worker-1"  # underscores are not valid in host names


def test_from_mapping_builds_nested_specs() -> None:
    spec = ScaleSetSpec.from_mapping(
        {
            "location": "eastus",
            "vm_size": "Standard_D2s_v5",
            "capacity": 2,
            "image": "Canonical:ubuntu-24_04-lts:server:latest",
            "network": {"subnet_id": SUBNET, "outbound": "NAT_GATEWAY"},
            "zones": [1, 2],
            "ssh_public_keys": SSH_KEY,
            "admin_password": {"env": "HOME"},
            "data_disks": [{"lun": 0, "size_gb": 64}],
            "sku_profile": None,
            "tags": {"env": "test"},
            "extra_properties": {"properties": {"x": 1}},
        }
    )
    assert spec.image == UBUNTU
    assert spec.network == NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway")
    assert spec.zones == ("1", "2")
    assert spec.ssh_public_keys == (SSH_KEY,)
    assert isinstance(spec.admin_password, Secret)
    assert spec.data_disks == (DataDiskSpec(lun=0, size_gb=64),)
    assert (
        ImageSpec(id="/subscriptions/0/x")
        == ScaleSetSpec.from_mapping({"location": "eastus", "image": "/subscriptions/0/x"}).image
    )
    vm = VmSpec.from_mapping(
        {"name": "vm1", "vm_size": "Standard_D2s_v5", "image": "a:b:c", "network": {"subnet_id": SUBNET}}
    )
    assert vm.network.subnet_id == SUBNET


@pytest.mark.parametrize(
    ("data", "field", "fix_says"),
    [
        ({"location": "eastus", "netwrok": {}}, "netwrok", "known keys of ScaleSetSpec"),
        ({"location": "eastus", "network": {"subnet": "x"}}, "network.subnet", "known keys of NetworkSpec"),
        ({"location": "eastus", "capacity": "three"}, "capacity", "whole number"),
        ({"location": "eastus", "capacity": True}, "capacity", "whole number"),
        ({"location": "eastus", "priority": "Cheap"}, "priority", "Regular"),
        ({"location": "eastus", "zone_balance": "yes"}, "zone_balance", "true or false"),
        ({"location": "eastus", "data_disks": [{"lun": 0}]}, "data_disks[0].size_gb", "requires size_gb"),
        ({"capacity": 1}, "location", "requires location"),
        ({"location": "eastus", "image": "ubuntu"}, "image", "publisher:offer:sku"),
        ({"location": "eastus", "admin_password": 1234}, "admin_password", "{env: NAME}"),
        ({"location": "eastus", "network": "subnet-1"}, "network", "mapping of NetworkSpec"),
    ],
)
def test_from_mapping_names_the_bad_key(data: dict[str, Any], field: str, fix_says: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        ScaleSetSpec.from_mapping(data)
    assert info.value.field == field
    assert fix_says in info.value.fix


def test_describe_differences_for_idempotent_create() -> None:
    existing = wire(SPEC)
    existing["id"] = SET_ID
    existing["sku"]["capacity"] = 7  # capacity is runtime state, not a difference
    existing["properties"]["provisioningState"] = "Succeeded"
    assert describe_differences(existing, SPEC, name="web") == []
    changed = replace(SPEC, platform_fault_domain_count=2, zones=("1",), vm_size="Standard_D4s_v5")
    diffs = describe_differences(existing, changed, name="web")
    assert "platform_fault_domain_count: existing 1, spec 2" in diffs
    assert "vm_size: existing 'Standard_D2s_v5', spec 'Standard_D4s_v5'" in diffs
    assert "zones: existing [], spec ['1']" in diffs
    uniform = copy.deepcopy(existing)
    uniform["properties"]["orchestrationMode"] = "Uniform"
    assert describe_differences(uniform, SPEC, name="web") == [
        "orchestration_mode: existing 'Uniform', spec 'Flexible'"
    ]
    no_profile = wire(ScaleSetSpec(location="eastus"))
    assert "vm profile: existing absent, spec present" in describe_differences(no_profile, SPEC, name="web")
