"""A table of bad specs: each is refused (or warned about) by the right rule, with a message that
names the field, the value and the fix. The SKU cases use the Azure example SKU files and a
synthetic two-region catalog (eastus: max 3 fault domains; westcentralus: max 2)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from _flex_sku_data import POOL, SSH_KEY, SUBNET, example_sku_items, synthetic_sku_items

from flexvmss._rules import RULES, evaluate
from flexvmss._scaleset import ScaleSetInfo
from flexvmss._skus import SkuCatalog
from flexvmss._specs import (
    DataDiskSpec,
    HealthSpec,
    IdentitySpec,
    ImageSpec,
    NetworkSpec,
    OsDiskSpec,
    PriorityMixSpec,
    ResiliencySpec,
    ScaleSetSpec,
    Secret,
    SkuProfileSpec,
    SpotRestoreSpec,
    SpotSpec,
    VmSpec,
    ZonePlacementSpec,
    render_scale_set_body,
)

EAST = SkuCatalog.from_wire(synthetic_sku_items(), "eastus")
WCUS = SkuCatalog.from_wire(synthetic_sku_items(), "westcentralus")
WESTUS = SkuCatalog.from_wire(example_sku_items(), "westus")

UBUNTU = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest")
WINDOWS = ImageSpec.from_urn("MicrosoftWindowsServer:WindowsServer:2022-datacenter-azure-edition:latest")
MANAGED_IMAGE = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/images/golden"
NET = NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway")
PASSWORD = Secret("Sup3r-secret-pw!")
SET_ID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"
PPG = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/proximityPlacementGroups/ppg"
HOST_GROUP = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/hostGroups/hg"
PROBE = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/probes/http"
NAT_POOL = (
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/inboundNatPools/ssh"
)

GOOD = ScaleSetSpec(
    location="eastus",
    vm_size="Standard_D2s_v5",
    capacity=2,
    image=UBUNTU,
    network=NET,
    ssh_public_keys=(SSH_KEY,),
)
MIX = replace(GOOD, vm_size=None, sku_profile=SkuProfileSpec(vm_sizes=("Standard_D2s_v5", "Standard_E4s_v5")))
GOOD_VM = VmSpec(
    name="web-vm-1", vm_size="Standard_D2s_v5", image=UBUNTU, network=NET, ssh_public_keys=(SSH_KEY,)
)
WIN_VM = replace(GOOD_VM, image=WINDOWS, admin_password=PASSWORD, ssh_public_keys=())


def set_info(**changes: Any) -> ScaleSetInfo:
    base = ScaleSetInfo(
        name="web",
        location="eastus",
        platform_fault_domain_count=1,
        single_placement_group=False,
        id=SET_ID,
    )
    return replace(base, **changes)


def _raw_with_nat_pool() -> dict[str, Any]:
    body = render_scale_set_body(GOOD, name="web")
    nic = body["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    nic["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatPools"] = [{"id": NAT_POOL}]
    return body


@dataclass
class Case:
    id: str
    spec: ScaleSetSpec | VmSpec
    rule: str
    severity: str
    field: str
    value: Any
    says: str
    catalog: SkuCatalog | None = EAST
    scale_set: ScaleSetInfo | None = None
    name: str | None = "web"
    extra: dict[str, Any] = field(default_factory=dict)


VM_SET = set_info()

CASES = [
    # FLEX001 fault domain count
    Case(
        "fd-above-region-max",
        replace(GOOD, location="westcentralus", platform_fault_domain_count=3),
        "FLEX001",
        "error",
        "platform_fault_domain_count",
        3,
        "range 1 to 2",
        catalog=WCUS,
    ),
    Case(
        "fd-zero",
        replace(GOOD, platform_fault_domain_count=0),
        "FLEX001",
        "error",
        "platform_fault_domain_count",
        0,
        "1 (max spreading)",
    ),
    Case(
        "fd-four",
        replace(GOOD, platform_fault_domain_count=4),
        "FLEX001",
        "error",
        "platform_fault_domain_count",
        4,
        "2 or 3",
    ),
    Case(
        "fd-zonal-two",
        replace(GOOD, zones=("1", "2"), platform_fault_domain_count=2),
        "FLEX001",
        "error",
        "platform_fault_domain_count",
        2,
        "take only 1",
    ),
    # FLEX002 single placement group
    Case(
        "spg-true",
        replace(GOOD, single_placement_group=True),
        "FLEX002",
        "warning",
        "single_placement_group",
        True,
        "attaching VMs",
    ),
    Case(
        "spg-true-priority-mix",
        replace(GOOD, single_placement_group=True, priority="Spot", priority_mix=PriorityMixSpec()),
        "FLEX002",
        "error",
        "single_placement_group",
        True,
        "priority mix",
    ),
    Case(
        "spg-none-priority-mix",
        replace(GOOD, single_placement_group=None, priority="Spot", priority_mix=PriorityMixSpec()),
        "FLEX002",
        "error",
        "single_placement_group",
        None,
        "explicit",
    ),
    Case(
        "spg-none-without-profile",
        ScaleSetSpec(location="eastus", single_placement_group=None),
        "FLEX002",
        "warning",
        "single_placement_group",
        None,
        "first VM",
    ),
    Case(
        "vm-into-spg-true-set",
        GOOD_VM,
        "FLEX002",
        "error",
        "scale_set.single_placement_group",
        True,
        "false",
        scale_set=set_info(single_placement_group=True),
    ),
    # FLEX003 orchestration mode
    Case(
        "orchestration-mode-overridden",
        replace(GOOD, extra_properties={"properties": {"orchestrationMode": "Uniform"}}),
        "FLEX003",
        "error",
        "properties.orchestrationMode",
        "Uniform",
        "Flexible sets only",
    ),
    Case(
        "existing-set-is-uniform",
        GOOD,
        "FLEX003",
        "error",
        "scale_set.orchestration_mode",
        "Uniform",
        "cannot change",
        scale_set=ScaleSetInfo(name="web", orchestration_mode="Uniform"),
    ),
    # FLEX004..FLEX011 unsupported features
    Case(
        "overprovision",
        replace(GOOD, overprovision=True),
        "FLEX004",
        "error",
        "overprovision",
        True,
        "not supported",
    ),
    Case(
        "nat-pool-in-raw-body",
        ScaleSetSpec(location="eastus", raw=_raw_with_nat_pool()),
        "FLEX005",
        "error",
        "networkInterfaceConfigurations[0].ipConfigurations[0].loadBalancerInboundNatPools",
        [NAT_POOL],
        "NAT rules v2",
    ),
    Case(
        "basic-load-balancer",
        replace(
            GOOD,
            network=NetworkSpec(
                subnet_id=SUBNET, load_balancer_backend_pool_ids=(POOL,), load_balancer_sku="Basic"
            ),
        ),
        "FLEX006",
        "error",
        "network.load_balancer_sku",
        "Basic",
        "Standard load balancer",
    ),
    Case(
        "unmanaged-os-disk",
        replace(GOOD, os_disk=OsDiskSpec(unmanaged_vhd_uri="https://acct.blob.core.windows.net/vhds")),
        "FLEX007",
        "error",
        "os_disk.unmanaged_vhd_uri",
        "https://acct.blob.core.windows.net/vhds",
        "managed disks only",
    ),
    Case(
        "ultra-disk-iops",
        replace(
            GOOD,
            data_disks=(
                DataDiskSpec(lun=0, size_gb=64, storage_account_type="UltraSSD_LRS", iops_read_write=5000),
            ),
        ),
        "FLEX008",
        "warning",
        "data_disks[0].iops_read_write",
        5000,
        "2025-04-01",
    ),
    Case(
        "system-assigned-identity",
        replace(GOOD, identity=IdentitySpec(system_assigned=True)),
        "FLEX009",
        "error",
        "identity.system_assigned",
        True,
        "user-assigned",
    ),
    Case(
        "dedicated-host",
        replace(GOOD, dedicated_host_group_id=HOST_GROUP),
        "FLEX010",
        "warning",
        "dedicated_host_group_id",
        HOST_GROUP,
        "Uniform",
    ),
    Case(
        "lb-health-probe",
        replace(
            GOOD,
            extra_properties={
                "properties": {"virtualMachineProfile": {"networkProfile": {"healthProbe": {"id": PROBE}}}}
            },
        ),
        "FLEX011",
        "error",
        "networkProfile.healthProbe",
        PROBE,
        "Application Health",
    ),
    # FLEX012 outbound
    Case(
        "no-outbound",
        replace(GOOD, network=NetworkSpec(subnet_id=SUBNET)),
        "FLEX012",
        "error",
        "network.outbound",
        None,
        "OutboundConnectivityNotEnabledOnVM",
    ),
    Case(
        "outbound-lb-without-pool",
        replace(GOOD, network=NetworkSpec(subnet_id=SUBNET, outbound="load_balancer")),
        "FLEX012",
        "error",
        "network.load_balancer_backend_pool_ids",
        (),
        "backend pool",
    ),
    Case(
        "vm-without-outbound",
        replace(GOOD_VM, network=NetworkSpec(subnet_id=SUBNET)),
        "FLEX012",
        "error",
        "network.outbound",
        None,
        "default outbound",
        scale_set=VM_SET,
    ),
    # FLEX013 networkApiVersion
    Case(
        "network-api-version-removed",
        replace(
            GOOD,
            extra_properties={
                "properties": {"virtualMachineProfile": {"networkProfile": {"networkApiVersion": None}}}
            },
        ),
        "FLEX013",
        "error",
        "network.network_api_version",
        None,
        "NetworkApiVersionMustBeSpecified",
    ),
    Case(
        "network-api-version-unknown",
        replace(GOOD, network=replace(NET, network_api_version="2019-01-01")),
        "FLEX013",
        "warning",
        "network.network_api_version",
        "2019-01-01",
        "not a known value",
    ),
    # FLEX014 capacity limits
    Case("capacity-over-1000", replace(GOOD, capacity=1001), "FLEX014", "error", "capacity", 1001, "1,000"),
    Case(
        "capacity-managed-image-over-600",
        replace(GOOD, capacity=601, image=ImageSpec(id=MANAGED_IMAGE)),
        "FLEX014",
        "error",
        "capacity",
        601,
        "600",
    ),
    Case(
        "capacity-non-mpu-multi-fd-over-200",
        replace(GOOD, vm_size="Standard_M8ms", platform_fault_domain_count=2, capacity=201),
        "FLEX014",
        "error",
        "capacity",
        201,
        "at most 200",
    ),
    Case("capacity-negative", replace(GOOD, capacity=-1), "FLEX014", "error", "capacity", -1, "negative"),
    # FLEX040 / FLEX041 custom data and user data sizes (the findings name sizes, never contents)
    Case(
        "custom-data-over-64k",
        replace(GOOD, custom_data=Secret("#cloud-config\n" + "x" * 65600)),
        "FLEX040",
        "error",
        "custom_data",
        "<65614 bytes>",
        "65,535 bytes",
    ),
    Case(
        "vm-user-data-over-64k",
        replace(GOOD_VM, user_data=Secret("y" * 50000)),
        "FLEX041",
        "error",
        "user_data",
        "<66668 bytes encoded>",
        "base64-encoded",
        scale_set=VM_SET,
    ),
    # FLEX015 / FLEX016 names
    Case(
        "set-name-with-space", GOOD, "FLEX015", "error", "name", "web app", "letters, digits", name="web app"
    ),
    Case("set-name-too-long", GOOD, "FLEX015", "error", "name", "a" * 65, "1 to 64", name="a" * 65),
    Case(
        "vm-name-trailing-dash",
        replace(GOOD_VM, name="web-"),
        "FLEX015",
        "error",
        "name",
        "web-",
        "do not end",
        scale_set=VM_SET,
    ),
    Case(
        "windows-prefix-over-9",
        replace(
            GOOD,
            image=WINDOWS,
            admin_password=PASSWORD,
            ssh_public_keys=(),
            computer_name_prefix="webserver1",
        ),
        "FLEX016",
        "error",
        "computer_name_prefix",
        "webserver1",
        "1 to 9",
    ),
    Case(
        "linux-prefix-over-58",
        replace(GOOD, computer_name_prefix="a" * 59),
        "FLEX016",
        "error",
        "computer_name_prefix",
        "a" * 59,
        "1 to 58",
    ),
    Case(
        "windows-computer-name-over-15",
        replace(WIN_VM, computer_name="a" * 16),
        "FLEX016",
        "error",
        "computer_name",
        "a" * 16,
        "1 to 15",
        scale_set=VM_SET,
    ),
    Case(
        "windows-computer-name-all-digits",
        replace(WIN_VM, computer_name="12345"),
        "FLEX016",
        "error",
        "computer_name",
        "12345",
        "all digits",
        scale_set=VM_SET,
    ),
    # FLEX017 instance mix
    Case(
        "mix-with-vm-size",
        replace(MIX, vm_size="Standard_D2s_v5"),
        "FLEX017",
        "error",
        "vm_size",
        "Standard_D2s_v5",
        "Mix",
    ),
    Case(
        "mix-six-sizes",
        replace(
            MIX,
            sku_profile=SkuProfileSpec(
                vm_sizes=(
                    "Standard_D2s_v5",
                    "Standard_D2as_v5",
                    "Standard_E4s_v5",
                    "Standard_F2s_v2",
                    "Standard_B2s",
                    "Standard_D8s_v5",
                )
            ),
        ),
        "FLEX017",
        "error",
        "sku_profile.vm_sizes",
        [
            "Standard_D2s_v5",
            "Standard_D2as_v5",
            "Standard_E4s_v5",
            "Standard_F2s_v2",
            "Standard_B2s",
            "Standard_D8s_v5",
        ],
        "1 to 5 sizes",
    ),
    Case(
        "mix-duplicate-sizes",
        replace(MIX, sku_profile=SkuProfileSpec(vm_sizes=("Standard_D2s_v5", "standard_d2s_v5"))),
        "FLEX017",
        "error",
        "sku_profile.vm_sizes",
        ["Standard_D2s_v5", "standard_d2s_v5"],
        "must not repeat",
    ),
    Case(
        "mix-dc-family",
        replace(MIX, sku_profile=SkuProfileSpec(vm_sizes=("Standard_D2s_v5", "Standard_DC2as_v5"))),
        "FLEX017",
        "error",
        "sku_profile.vm_sizes[1]",
        "Standard_DC2as_v5",
        "A, B, D, E and F",
    ),
    Case(
        "mix-ranks-without-prioritized",
        replace(MIX, sku_profile=SkuProfileSpec(vm_sizes=("Standard_D2s_v5",), ranks={"Standard_D2s_v5": 0})),
        "FLEX017",
        "error",
        "sku_profile.ranks",
        {"Standard_D2s_v5": 0},
        "Prioritized",
    ),
    Case(
        "mix-with-proximity-placement-group",
        replace(MIX, proximity_placement_group_id=PPG),
        "FLEX017",
        "error",
        "proximity_placement_group_id",
        PPG,
        "SkuProfileScenarioNotSupported",
    ),
    # FLEX018 / FLEX019 spot
    Case(
        "spot-settings-on-regular",
        replace(GOOD, spot=SpotSpec()),
        "FLEX018",
        "error",
        "spot",
        "eviction_policy=Delete",
        "only to Spot",
    ),
    Case(
        "priority-mix-on-regular",
        replace(GOOD, priority_mix=PriorityMixSpec()),
        "FLEX018",
        "error",
        "priority",
        "Regular",
        "priority mix",
    ),
    Case(
        "spot-max-price-too-low",
        replace(GOOD, priority="Spot", spot=SpotSpec(max_price=0.000001)),
        "FLEX018",
        "error",
        "spot.max_price",
        0.000001,
        "0.00001",
    ),
    Case(
        "priority-mix-percentage-over-100",
        replace(GOOD, priority="Spot", priority_mix=PriorityMixSpec(regular_percentage_above_base=101)),
        "FLEX018",
        "error",
        "priority_mix.regular_percentage_above_base",
        101,
        "0 to 100",
    ),
    Case(
        "priority-mix-non-mpu-multi-fd",
        replace(
            GOOD,
            vm_size="Standard_M8ms",
            platform_fault_domain_count=2,
            priority="Spot",
            priority_mix=PriorityMixSpec(),
        ),
        "FLEX019",
        "error",
        "vm_size",
        "Standard_M8ms",
        "memory-preserving",
    ),
    # FLEX020..FLEX026 SKU catalog
    Case(
        "unknown-size",
        replace(GOOD, vm_size="Standard_D2s_v9"),
        "FLEX020",
        "error",
        "vm_size",
        "Standard_D2s_v9",
        "no such size in eastus",
    ),
    Case(
        "size-offered-elsewhere-only",
        replace(GOOD, vm_size="Standard_D2s_v3"),
        "FLEX020",
        "error",
        "vm_size",
        "Standard_D2s_v3",
        "no such size",
    ),
    Case(
        "size-restricted-in-region",
        replace(GOOD, vm_size="Standard_D4s_v5"),
        "FLEX021",
        "error",
        "vm_size",
        "Standard_D4s_v5",
        "NotAvailableForSubscription",
    ),
    Case(
        "size-restricted-in-zone",
        replace(GOOD, vm_size="Standard_D8s_v5", zones=("2", "3")),
        "FLEX022",
        "error",
        "vm_size",
        "Standard_D8s_v5",
        "zone 3",
    ),
    Case(
        "size-not-offered-in-zone",
        replace(GOOD, vm_size="Standard_NC6", zones=("2",)),
        "FLEX022",
        "error",
        "vm_size",
        "Standard_NC6",
        "not offered in zone 2",
    ),
    Case(
        "vm-zone-restricted",
        replace(GOOD_VM, vm_size="Standard_D8s_v5", zone="3"),
        "FLEX022",
        "error",
        "vm_size",
        "Standard_D8s_v5",
        "zone 3",
        scale_set=set_info(zones=("1", "2", "3")),
    ),
    Case(
        "spot-on-non-low-priority-size",
        replace(GOOD, vm_size="Standard_NC6", priority="Spot"),
        "FLEX023",
        "error",
        "vm_size",
        "Standard_NC6",
        "LowPriorityCapable",
    ),
    Case(
        "spot-on-example-standard-a0",
        ScaleSetSpec(
            location="westus",
            vm_size="Standard_A0",
            capacity=1,
            image=UBUNTU,
            network=NET,
            ssh_public_keys=(SSH_KEY,),
            priority="Spot",
        ),
        "FLEX023",
        "error",
        "vm_size",
        "Standard_A0",
        "LowPriorityCapable",
        catalog=WESTUS,
    ),
    Case(
        "accelerated-networking-unsupported",
        replace(GOOD, vm_size="Standard_NC6", network=replace(NET, accelerated_networking=True)),
        "FLEX024",
        "error",
        "vm_size",
        "Standard_NC6",
        "AcceleratedNetworkingEnabled",
    ),
    Case(
        "accelerated-networking-example-standard-a1",
        ScaleSetSpec(
            location="westus",
            vm_size="Standard_A1",
            capacity=1,
            image=UBUNTU,
            network=replace(NET, accelerated_networking=True),
            ssh_public_keys=(SSH_KEY,),
        ),
        "FLEX024",
        "error",
        "vm_size",
        "Standard_A1",
        "accelerated networking",
        catalog=WESTUS,
    ),
    Case(
        "ephemeral-os-disk-unsupported",
        replace(GOOD, vm_size="Standard_NC6", os_disk=OsDiskSpec(ephemeral=True)),
        "FLEX025",
        "error",
        "vm_size",
        "Standard_NC6",
        "EphemeralOSDiskSupported",
    ),
    Case(
        "flex-refused-size",
        replace(GOOD, vm_size="Standard_B1ls"),
        "FLEX026",
        "error",
        "vm_size",
        "Standard_B1ls",
        "cannot use VM Size",
    ),
    Case(
        "flex-refused-size-without-catalog",
        replace(GOOD, vm_size="standard_b1ls"),
        "FLEX026",
        "error",
        "vm_size",
        "standard_b1ls",
        "refuses",
        catalog=None,
    ),
    # FLEX027..FLEX030 VMs in a set, zones
    Case(
        "vm-in-other-resource-group",
        replace(GOOD_VM, resource_group="other-rg"),
        "FLEX027",
        "error",
        "resource_group",
        "other-rg",
        "set's resource group",
        scale_set=VM_SET,
    ),
    Case(
        "vm-exists-outside-set",
        GOOD_VM,
        "FLEX028",
        "error",
        "name",
        "web-vm-1",
        "at creation only",
        scale_set=VM_SET,
        extra={"existing_vm": {"name": "web-vm-1", "properties": {}}},
    ),
    Case(
        "vm-fault-domain-above-count",
        replace(GOOD_VM, platform_fault_domain=2),
        "FLEX029",
        "error",
        "platform_fault_domain",
        2,
        "0 to 1",
        scale_set=set_info(platform_fault_domain_count=2),
    ),
    Case(
        "vm-fault-domain-in-single-fd-set",
        replace(GOOD_VM, platform_fault_domain=0),
        "FLEX029",
        "error",
        "platform_fault_domain",
        0,
        "one fault domain",
        scale_set=VM_SET,
    ),
    Case(
        "vm-fault-domain-non-mpu",
        replace(GOOD_VM, vm_size="Standard_M8ms", platform_fault_domain=1),
        "FLEX029",
        "error",
        "platform_fault_domain",
        1,
        "memory-preserving",
        scale_set=set_info(platform_fault_domain_count=2),
    ),
    Case(
        "zone-balance-one-zone",
        replace(GOOD, zones=("1",), zone_balance=True),
        "FLEX030",
        "error",
        "zone_balance",
        True,
        "two zones",
    ),
    Case(
        "not-an-azure-zone",
        replace(GOOD, zones=("4",)),
        "FLEX030",
        "error",
        "zones",
        ["4"],
        "not an Azure zone",
    ),
    Case(
        "vm-zone-outside-set",
        replace(GOOD_VM, zone="3"),
        "FLEX030",
        "error",
        "zone",
        "3",
        "spans zones",
        scale_set=set_info(zones=("1", "2")),
    ),
    Case(
        "vm-without-zone-in-zonal-set",
        GOOD_VM,
        "FLEX030",
        "error",
        "zone",
        None,
        "need a zone",
        scale_set=set_info(zones=("1",)),
    ),
    # FLEX031 / FLEX032 health and completeness
    Case(
        "rolling-without-health",
        replace(GOOD, upgrade_mode="Rolling"),
        "FLEX031",
        "error",
        "upgrade_mode",
        "Rolling",
        "Application Health",
    ),
    Case(
        "termination-notice-too-long",
        replace(GOOD, termination_notification_minutes=20),
        "FLEX031",
        "error",
        "termination_notification_minutes",
        20,
        "5 to 15",
    ),
    Case(
        "capacity-without-vm-profile",
        ScaleSetSpec(location="eastus", capacity=3),
        "FLEX032",
        "error",
        "capacity",
        3,
        "one by one",
    ),
    Case(
        "windows-without-password",
        replace(GOOD, image=WINDOWS, ssh_public_keys=()),
        "FLEX032",
        "error",
        "admin_password",
        None,
        "password",
    ),
    Case(
        "linux-without-credentials",
        replace(GOOD, ssh_public_keys=()),
        "FLEX032",
        "error",
        "ssh_public_keys",
        (),
        "SSH public key",
    ),
    # FLEX033 tags within Azure's limits
    Case(
        "too-many-set-tags",
        replace(GOOD, tags={f"t{i}": "x" for i in range(51)}),
        "FLEX033",
        "error",
        "tags",
        "51 tags",
        "50 tags",
    ),
    Case(
        "fifty-vm-tags-leave-no-room-for-ours",
        replace(GOOD_VM, tags={f"t{i}": "x" for i in range(50)}),
        "FLEX033",
        "error",
        "tags",
        "50 tags",
        "flexvmss adds 1",
        scale_set=VM_SET,
    ),
    Case(
        "tag-value-past-256",
        replace(GOOD, tags={"owner": "o" * 257}),
        "FLEX033",
        "error",
        "tags['owner']",
        "257 characters",
        "at most 256",
    ),
    Case(
        "tag-name-past-512",
        replace(GOOD_VM, tags={"n" * 513: "x"}),
        "FLEX033",
        "error",
        "tags[" + repr("n" * 40) + "]",
        "513 characters",
        "1 to 512",
        scale_set=VM_SET,
    ),
    Case(
        "tag-name-with-a-slash",
        replace(GOOD, tags={"team/owner": "x"}),
        "FLEX033",
        "error",
        "tags['team/owner']",
        "team/owner",
        "InvalidTagNameCharacters",
    ),
    Case(
        "vm-spec-sets-the-membership-tag",
        replace(GOOD_VM, tags={"FlexVMSS-Set": "someone-else"}),
        "FLEX033",
        "error",
        "tags['FlexVMSS-Set']",
        "someone-else",
        "writes the 'flexvmss-set' tag itself",
        scale_set=VM_SET,
    ),
    # FLEX042 resources kept on delete without a reason
    Case(
        "nic-detach-without-reason",
        replace(GOOD, network=replace(NET, delete_option="Detach", public_ip_per_vm=True)),
        "FLEX042",
        "warning",
        "network.delete_option",
        "Detach",
        "InUseSubnetCannotBeDeleted",
    ),
    Case(
        "os-disk-detach-without-reason",
        replace(GOOD, os_disk=OsDiskSpec(delete_option="Detach")),
        "FLEX042",
        "warning",
        "os_disk.delete_option",
        "Detach",
        "whoever deletes it",
    ),
    Case(
        "vm-data-disk-detach-without-reason",
        replace(GOOD_VM, data_disks=(DataDiskSpec(lun=0, size_gb=8, delete_option="Detach"),)),
        "FLEX042",
        "warning",
        "data_disks[0].delete_option",
        "Detach",
        "data disk at LUN 0",
        scale_set=VM_SET,
    ),
    # FLEX043 Spot Try & Restore
    Case(
        "spot-restore-on-a-regular-set",
        replace(GOOD, spot_restore=SpotRestoreSpec()),
        "FLEX043",
        "error",
        "spot_restore",
        "Regular",
        "supported only for Azure Spot",
    ),
    Case(
        "spot-restore-unverified-on-flex",
        replace(GOOD, priority="Spot", spot=SpotSpec(), spot_restore=SpotRestoreSpec()),
        "FLEX043",
        "warning",
        "spot_restore",
        "enabled",
        "unverified on Flex",
    ),
    Case(
        "spot-restore-zero-timeout",
        replace(GOOD, priority="Spot", spot=SpotSpec(), spot_restore=SpotRestoreSpec(timeout_minutes=0)),
        "FLEX043",
        "error",
        "spot_restore.timeout_minutes",
        0,
        "positive duration",
    ),
    # FLEX044 resilient create and delete
    Case(
        "resilient-create-without-a-profile",
        ScaleSetSpec(location="eastus", resiliency=ResiliencySpec(resilient_create=True)),
        "FLEX044",
        "warning",
        "resiliency.resilient_create",
        True,
        "not covered",
    ),
    # FLEX045 automatic zone rebalancing
    Case(
        "zone-rebalancing-in-one-zone",
        replace(GOOD, zones=("1",), health=HealthSpec(), resiliency=ResiliencySpec(zone_rebalancing=True)),
        "FLEX045",
        "error",
        "resiliency.zone_rebalancing",
        True,
        "two or more zones",
    ),
    Case(
        "zone-rebalancing-without-a-health-signal",
        replace(GOOD, zones=("1", "2"), resiliency=ResiliencySpec(zone_rebalancing=True)),
        "FLEX045",
        "error",
        "resiliency.zone_rebalancing",
        True,
        "health signal",
    ),
    Case(
        "zone-rebalancing-with-strict-balance",
        replace(
            GOOD,
            zones=("1", "2"),
            zone_balance=True,
            health=HealthSpec(),
            resiliency=ResiliencySpec(zone_rebalancing=True),
        ),
        "FLEX045",
        "warning",
        "zone_balance",
        True,
        "best-effort",
    ),
    # FLEX046 automatic zone placement and zone allocation
    Case(
        "zone-placement-with-a-zones-list",
        replace(GOOD, zones=("1", "2"), zone_placement=ZonePlacementSpec()),
        "FLEX046",
        "error",
        "zones",
        ["1", "2"],
        "not both",
    ),
    Case(
        "zone-placement-include-and-exclude",
        replace(GOOD, zone_placement=ZonePlacementSpec(include_zones=("1", "2"), exclude_zones=("3",))),
        "FLEX046",
        "error",
        "zone_placement.exclude_zones",
        ["3"],
        "exclude each other",
    ),
    Case(
        "zone-placement-with-a-ppg",
        replace(GOOD, zone_placement=ZonePlacementSpec(), proximity_placement_group_id=PPG),
        "FLEX046",
        "error",
        "proximity_placement_group_id",
        PPG,
        "does not support it",
    ),
    Case(
        "zone-placement-strict-balance-without-max-zones",
        replace(GOOD, zone_placement=ZonePlacementSpec(), zone_balance=True),
        "FLEX046",
        "error",
        "zone_balance",
        True,
        "needs a maximum zone count",
    ),
    Case(
        "zone-placement-share-below-the-minimum",
        replace(
            GOOD, zone_placement=ZonePlacementSpec(include_zones=("1", "2"), max_instance_percent_per_zone=40)
        ),
        "FLEX046",
        "error",
        "zone_placement.max_instance_percent_per_zone",
        40,
        "ceil(100 / 2) = 50",
    ),
    Case(
        "zone-allocation-without-auto-placement",
        replace(
            GOOD,
            extra_properties={
                "properties": {"resiliencyPolicy": {"zoneAllocationPolicy": {"maxZoneCount": 2}}}
            },
        ),
        "FLEX046",
        "error",
        "zone_placement",
        None,
        "only with automatic zone placement",
    ),
    Case(
        "vm-into-a-set-with-auto-placement",
        GOOD_VM,
        "FLEX046",
        "error",
        "scale_set.placement",
        "Auto",
        "does not create and attach a new VM",
        scale_set=set_info(raw={"placement": {"zonePlacementPolicy": "Auto"}}),
    ),
]


def test_the_table_is_large_and_covers_every_rule_enforced_today() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)
    enforced = {rule.id for rule in RULES if not rule.lifted}
    assert enforced <= {case.rule for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_spec_is_reported_with_field_value_and_fix(case: Case) -> None:
    findings = evaluate(
        case.spec, catalog=case.catalog, scale_set=case.scale_set, name=case.name, **case.extra
    )
    matching = [f for f in findings if f.rule_id == case.rule and f.field == case.field]
    assert matching, f"expected {case.rule} on {case.field}, got: {[str(f) for f in findings]}"
    finding = matching[0]
    assert finding.severity == case.severity
    assert finding.value == case.value
    assert finding.message.startswith(f"{case.field}={case.value!r}:")
    assert case.says in finding.message
    assert finding.fix and finding.message.endswith(f"Fix: {finding.fix}.")
    assert finding.source


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_waiving_the_rule_silences_it(case: Case) -> None:
    findings = evaluate(
        case.spec,
        catalog=case.catalog,
        scale_set=case.scale_set,
        name=case.name,
        waive=[case.rule],
        **case.extra,
    )
    assert case.rule not in {f.rule_id for f in findings}


def test_good_specs_have_no_findings() -> None:
    assert evaluate(GOOD, catalog=EAST, name="web") == []
    assert evaluate(MIX, catalog=EAST, name="web") == []
    assert evaluate(GOOD_VM, catalog=EAST, scale_set=VM_SET) == []
    assert evaluate(WIN_VM, catalog=EAST, scale_set=VM_SET) == []
    assert (
        evaluate(replace(GOOD, location="westcentralus", platform_fault_domain_count=2), catalog=WCUS) == []
    )


def test_tags_at_azure_limits_pass() -> None:
    at_limit = {f"t{i:02}": "v" * 256 for i in range(48)}
    at_limit["n" * 512] = "x"  # 49 tags: a VM's limit, as flexvmss adds one
    assert evaluate(replace(GOOD_VM, tags=at_limit), catalog=EAST, scale_set=VM_SET) == []
    at_limit["fiftieth"] = "x"  # 50: a set's (flexvmss tags no set)
    assert evaluate(replace(GOOD, tags=at_limit), catalog=EAST, name="web") == []


def test_zone_balance_false_with_one_zone_is_not_refused() -> None:
    # nothing is sent for it (see test_specs), so there is nothing to refuse
    findings = evaluate(replace(GOOD, zones=("1",), zone_balance=False), catalog=EAST, name="web")
    assert "FLEX030" not in {f.rule_id for f in findings}


def test_resources_kept_on_delete_with_a_reason_pass() -> None:
    kept = replace(GOOD, os_disk=OsDiskSpec(delete_option="Detach"), detach_reason="forensics after eviction")
    assert evaluate(kept, catalog=EAST, name="web") == []


def test_resilience_specs_that_follow_the_docs_pass() -> None:
    resilient = replace(
        GOOD,
        zones=("1", "2", "3"),
        health=HealthSpec(),
        resiliency=ResiliencySpec(resilient_create=True, resilient_delete=True, zone_rebalancing=True),
    )
    assert evaluate(resilient, catalog=EAST, name="web") == []
    placed = replace(
        GOOD,
        zone_balance=True,
        zone_placement=ZonePlacementSpec(exclude_zones=("3",), max_zone_count=2),
    )
    assert evaluate(placed, catalog=EAST, name="web") == []
    shared = replace(GOOD, zone_placement=ZonePlacementSpec(max_instance_percent_per_zone=85))
    assert evaluate(shared, catalog=EAST, name="web") == []


def test_quota_id_restriction_does_not_block_a_size() -> None:
    assert evaluate(replace(GOOD, vm_size="Standard_D16s_v5"), catalog=EAST, name="web") == []


def test_a_spec_with_many_problems_gets_every_finding_at_once() -> None:
    bad = replace(
        GOOD,
        vm_size="Standard_B1ls",
        capacity=1200,
        zones=("1",),
        platform_fault_domain_count=2,
        network=NetworkSpec(subnet_id=SUBNET),
    )
    rules = {f.rule_id for f in evaluate(bad, catalog=EAST, name="web")}
    assert {"FLEX001", "FLEX012", "FLEX014", "FLEX026"} <= rules


def test_secret_values_never_appear_in_findings() -> None:
    bad = replace(GOOD, admin_password=PASSWORD, user_data=Secret("token=abc123"), capacity=5000)
    for finding in evaluate(bad, catalog=EAST, name="web", profile="2021"):
        assert "Sup3r-secret-pw!" not in finding.message
        assert "abc123" not in finding.message
        assert "abc123" not in repr(finding)
