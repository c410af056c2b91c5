"""Every Flex rule the emulator enforces, with Azure's code and message."""

from __future__ import annotations

from typing import Any

import pytest
from compute_bodies import LOC, SUB, cid, make_nic, make_subnet, new_client, nid, profile, vm_body, vmss_body

from flexvmss.emulator.testing import TestClient

SET = cid("virtualMachineScaleSets", "web")


def _put(h: TestClient, body: dict[str, Any], set_id: str = SET) -> tuple[int, str, str]:
    return h.error("PUT", set_id, body)


def test_fault_domain_count_outside_region_range(h: TestClient) -> None:
    body = vmss_body(None, fd=3)
    body["location"] = "westcentralus"
    assert _put(h, body) == (
        400,
        "InvalidParameter",
        "The specified fault domain count 3 must fall in the range 1 to 2.",
    )
    assert (
        _put(h, vmss_body(None, fd=4))[2]
        == "The specified fault domain count 4 must fall in the range 1 to 3."
    )
    body["properties"]["platformFaultDomainCount"] = 2
    assert h.request("PUT", SET, body).status == 201


def test_zonal_set_needs_one_fault_domain(h: TestClient) -> None:
    assert _put(h, vmss_body(None, fd=2, zones=["1", "2"])) == (
        400,
        "InvalidParameter",
        "Specifying Availability Zones is not allowed when "
        "Virtual Machine Scale Set has platformFaultDomainCount "
        "higher than 1 with OrchestrationMode: 'Flexible'.",
    )


def test_single_placement_group_true_refused(h: TestClient, subnet: str) -> None:
    assert _put(h, vmss_body(subnet, singlePlacementGroup=True)) == (
        400,
        "InvalidParameter",
        "The value 'True' of parameter 'singlePlacementGroup' is not allowed. Allowed values are: False.",
    )


def test_non_mpu_size_with_fd_above_one_gets_spg_true_and_200_cap(h: TestClient, subnet: str) -> None:
    resp = h.ok("PUT", SET, vmss_body(subnet, capacity=1, fd=2, size="Standard_M8ms"))
    assert resp.body["properties"]["singlePlacementGroup"] is True
    status, code, message = _put(
        h, vmss_body(subnet, capacity=201, fd=2, size="Standard_M8ms"), cid("virtualMachineScaleSets", "m2")
    )
    assert (status, code) == (400, "InvalidParameter") and "at most 200 instances" in message


def test_system_assigned_identity_refused(h: TestClient) -> None:
    body = vmss_body(None)
    body["identity"] = {"type": "SystemAssigned"}
    assert _put(h, body) == (
        400,
        "InvalidParameter",
        "The value 'SystemAssigned' of parameter 'identity' is "
        "not allowed. Allowed values are: UserAssigned, None.",
    )


def test_overprovision_refused(h: TestClient) -> None:
    assert _put(h, vmss_body(None, overprovision=True))[:2] == (400, "InvalidParameter")


def test_orchestration_mode_cannot_change(h: TestClient) -> None:
    h.ok("PUT", SET, vmss_body(None))
    h.settle()
    body = vmss_body(None)
    body["properties"]["orchestrationMode"] = "Uniform"
    assert _put(h, body)[:2] == (400, "PropertyChangeNotAllowed")


def test_capacity_limits(h: TestClient, subnet: str) -> None:
    status, code, message = _put(h, vmss_body(subnet, capacity=1001))
    assert (status, code) == (400, "InvalidParameter") and "at most 1000 instances" in message
    body = vmss_body(subnet, capacity=601)
    body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"] = {
        "id": cid("images", "golden")
    }
    assert "at most 600 instances" in _put(h, body)[2]


def test_sizes_flex_refuses_and_sizes_unavailable(h: TestClient, subnet: str) -> None:
    assert _put(h, vmss_body(subnet, size="Standard_B1ls")) == (
        400,
        "InvalidParameter",
        "Virtual Machine Scale Sets with Flexible Orchestration "
        "Mode or Virtual Machines referencing such Virtual "
        "Machine Scale Sets cannot use VM Size 'Standard_B1ls'.",
    )
    assert _put(h, vmss_body(subnet, size="Standard_Nope"))[:2] == (400, "InvalidParameter")


def test_sku_restricted_in_a_location() -> None:
    """The catalog's real data: Standard_A0 is not available to the recording subscription in
    westcentralus (karpenter-provider-azure's record)."""
    h2 = new_client()
    sub = make_subnet(h2, location="westcentralus")
    body = vmss_body(sub, size="Standard_A0")
    body["location"] = "westcentralus"
    status, code, message = h2.error("PUT", SET, body)
    assert (status, code) == (409, "SkuNotAvailable") and "location 'westcentralus'" in message


def test_sku_restricted_in_a_zone(h: TestClient, subnet: str) -> None:
    """Standard_M8-2ms is offered in zones 1-3 of eastus but restricted in zone 1 (real data)."""
    status, code, message = h.error("PUT", SET, vmss_body(subnet, size="Standard_M8-2ms", zones=["1"]))
    assert (status, code) == (409, "SkuNotAvailable") and "zones '1'" in message
    assert h.request("PUT", SET, vmss_body(subnet, size="Standard_M8-2ms", zones=["2"])).status == 201


def test_spot_on_size_that_is_not_low_priority_capable(h: TestClient, subnet: str) -> None:
    body = vmss_body(subnet, size="Standard_B2s")
    body["properties"]["virtualMachineProfile"]["priority"] = "Spot"
    assert _put(h, body)[:2] == (400, "SkuNotAvailable")


def test_network_api_version_required(h: TestClient, subnet: str) -> None:
    body = vmss_body(subnet)
    del body["properties"]["virtualMachineProfile"]["networkProfile"]["networkApiVersion"]
    status, code, message = _put(h, body)
    assert (status, code) == (400, "NetworkApiVersionMustBeSpecifiedWithNetworkInterfaceConfigurations")
    assert message.startswith("Network api version in network profile of virtual machine")


NO_OUTBOUND = (
    400,
    "OutboundConnectivityNotEnabledOnVM",
    "No outbound connectivity configured for virtual machine.",
)


@pytest.mark.parametrize("default_outbound", [False, True])
def test_profile_vms_need_explicit_outbound_connectivity(h: TestClient, default_outbound: bool) -> None:
    """A subnet's default outbound access does not count for VMs a set makes from its profile
    (flex-rules-now.md row 19); a public IP per VM does."""
    bare = make_subnet(h, vnet="bare", default_outbound=default_outbound, nat_gateway=False)
    assert _put(h, vmss_body(bare)) == NO_OUTBOUND
    assert h.ctx.store.list("Microsoft.Compute/virtualMachines") == []
    body = vmss_body(bare)
    ipc = body["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    ipc["properties"]["ipConfigurations"][0]["properties"]["publicIPAddressConfiguration"] = {"name": "pip"}
    assert h.request("PUT", SET, body).status == 201


def test_profile_vms_reach_out_through_a_nat_gateway(h: TestClient) -> None:
    nat = make_subnet(h, vnet="nat", default_outbound=False, nat_gateway=True)
    assert h.request("PUT", SET, vmss_body(nat)).status == 201


def test_a_scale_out_onto_a_subnet_without_outbound_is_refused(h: TestClient) -> None:
    """PATCHing the profile onto a subnet with only default outbound access is refused too."""
    bare = make_subnet(h, vnet="bare", default_outbound=True, nat_gateway=False)
    h.ok("PUT", SET, vmss_body(None))
    h.settle()
    patch = {"sku": {"name": "Standard_D2s_v5", "capacity": 1}}
    patch["properties"] = {"virtualMachineProfile": profile(bare)}
    patch["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"] = {"osType": "Linux"}
    assert h.error("PATCH", SET, patch) == NO_OUTBOUND


def test_a_first_profile_must_name_its_os_type(h: TestClient, subnet: str) -> None:
    """Azure fills osDisk.osType from the image only when it creates the set: a profile PATCHed
    onto a set without one must name it (Java session record canUpdateVMSSInUpdateMode)."""
    h.ok("PUT", SET, vmss_body(None))
    h.settle()
    patch = {"sku": {"name": "Standard_D2s_v5", "capacity": 0}}
    patch["properties"] = {"virtualMachineProfile": profile(subnet)}
    assert h.error("PATCH", SET, patch) == (
        400,
        "InvalidParameter",
        "Required parameter 'osDisk.osType' is missing (null).",
    )
    patch["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"] = {"osType": "Linux"}
    h.ok("PATCH", SET, patch)


def test_a_standalone_vm_may_use_default_outbound(h: TestClient) -> None:
    """A VM created on its own and attached to a profile-less set at creation may rely on the
    subnet's default outbound access."""
    bare = make_subnet(h, vnet="bare", default_outbound=True, nat_gateway=False)
    h.ok("PUT", SET, vmss_body(None))
    h.settle()
    nic = make_nic(h, "nic1", bare)
    assert h.request("PUT", cid("virtualMachines", "vm1"), vm_body(nic, vmss_id=SET)).status == 201


def test_nat_pools_and_basic_lb_refused(h: TestClient, subnet: str) -> None:
    h.ok(
        "PUT",
        nid("loadBalancers", "basic"),
        {
            "location": LOC,
            "sku": {"name": "Basic"},
            "properties": {"backendAddressPools": [{"name": "pool"}]},
        },
    )
    h.settle(30)
    body = vmss_body(subnet)
    ipc = body["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    ip_props = ipc["properties"]["ipConfigurations"][0]["properties"]
    ip_props["loadBalancerBackendAddressPools"] = [
        {"id": nid("loadBalancers", "basic", "backendAddressPools", "pool")}
    ]
    status, code, message = _put(h, body)
    assert (status, code) == (400, "InvalidParameter") and "Basic" in message
    ip_props.pop("loadBalancerBackendAddressPools")
    ip_props["loadBalancerInboundNatPools"] = [{"id": nid("loadBalancers", "basic", "inboundNatPools", "p")}]
    status, code, message = _put(h, body)
    assert code == "InvalidParameter" and "NAT pools" in message


@pytest.mark.parametrize(
    ("sku", "sku_profile", "code"),
    [
        ({"name": "Mix", "capacity": 1}, {"vmSizes": []}, "SkuProfileVMSizesCannotBeNullOrEmpty"),
        (
            {"name": "Mix", "capacity": 1},
            {"vmSizes": [{"name": f"Standard_D{i}s_v5"} for i in (2, 4, 8, 16, 32, 48)]},
            "SkuProfileHasTooManyVMSizesInRequest",
        ),
        (
            {"name": "Mix", "capacity": 1},
            {"vmSizes": [{"name": "Standard_D2s_v5"}, {"name": "standard_d2s_v5"}]},
            "SkuProfileVMSizesCannotHaveDuplicates",
        ),
        (
            {"name": "Mix", "capacity": 1},
            {"vmSizes": [{"name": "Standard_D2s_v5"}], "allocationStrategy": "Cheapest"},
            "SkuProfileAllocationStrategyInvalid",
        ),
        (
            {"name": "Standard_D2s_v5", "capacity": 1},
            {"vmSizes": [{"name": "Standard_D2s_v5"}]},
            "SkuNameMustBeMixIfSkuProfileIsSpecified",
        ),
        (
            {"name": "Mix", "tier": "Standard", "capacity": 1},
            {"vmSizes": [{"name": "Standard_D2s_v5"}]},
            "SkuTierMustNotBeSetIfSkuProfileIsSpecified",
        ),
    ],
)
def test_instance_mix_rules(h: TestClient, subnet: str, sku: dict, sku_profile: dict, code: str) -> None:
    body = vmss_body(subnet, skuProfile=sku_profile)
    body["sku"] = sku
    assert _put(h, body)[:2] == (400, code)


def test_priority_mix_needs_spot(h: TestClient, subnet: str) -> None:
    body = vmss_body(subnet, priorityMixPolicy={"baseRegularPriorityCount": 1})
    _status, code, message = _put(h, body)
    assert code == "InvalidParameter" and "Spot" in message


# --------------------------------------------------------------------------- VM membership


def test_vm_joining_rules(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(None, fd=2))
    uniform = cid("virtualMachineScaleSets", "uni")
    h.ok("PUT", uniform, {"location": LOC, "properties": {"orchestrationMode": "Uniform"}})
    h.resource_group("rg2", LOC, subscription_id=SUB)
    other_rg_set = cid("virtualMachineScaleSets", "far", rg="rg2")
    h.ok("PUT", other_rg_set, vmss_body(None))
    h.settle()
    nic = make_nic(h, "n1", subnet)
    vm = cid("virtualMachines", "vm1")
    assert h.error("PUT", vm, vm_body(nic, vmss_id=uniform)) == (
        409,
        "OperationNotAllowed",
        "This operation is not allowed because referenced Virtual Machine Scale Set 'uni' does not have "
        "orchestration mode set to 'Flexible'.",
    )
    assert h.error("PUT", vm, vm_body(nic, vmss_id=cid("virtualMachineScaleSets", "ghost")))[:2] == (
        404,
        "ResourceNotFound",
    )
    assert h.error("PUT", vm, vm_body(nic, vmss_id=other_rg_set))[:2] == (400, "InvalidParameter")
    status, code, message = h.error("PUT", vm, vm_body(nic, vmss_id=SET, platformFaultDomain=2))
    assert (status, code) == (400, "InvalidParameter") and "between 0 and 1" in message
    assert h.error("PUT", vm, vm_body(nic, vmss_id=SET, size="Standard_B1ls"))[2].endswith(
        "cannot use VM Size 'Standard_B1ls'."
    )
    resp = h.ok("PUT", vm, vm_body(nic, vmss_id=SET, platformFaultDomain=1))
    assert resp.body["properties"]["platformFaultDomain"] == 1


def test_fault_domain_on_single_fd_set_refused(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(None, fd=1))
    nic = make_nic(h, "n1", subnet)
    status, code, message = h.error(
        "PUT", cid("virtualMachines", "vm1"), vm_body(nic, vmss_id=SET, platformFaultDomain=0)
    )
    assert (status, code) == (400, "InvalidParameter") and "'platformFaultDomainCount' = 1" in message


def test_attach_existing_vm_only_with_one_fd_and_spg_false(h: TestClient, subnet: str) -> None:
    ok_set = cid("virtualMachineScaleSets", "ok")
    h.ok("PUT", ok_set, vmss_body(None, fd=1, singlePlacementGroup=False))
    h.ok("PUT", SET, vmss_body(None, fd=2))
    spg_null = cid("virtualMachineScaleSets", "spgnull")
    # A set made without a profile and without singlePlacementGroup answers false (Java session
    # record canUpdateVMSSInUpdateMode), so it takes attached VMs as one made with false does.
    assert h.ok("PUT", spg_null, vmss_body(None, fd=1)).body["properties"]["singlePlacementGroup"] is False
    nic = make_nic(h, "n1", subnet)
    vm = cid("virtualMachines", "vm1")
    h.ok("PUT", vm, vm_body(nic))
    h.settle()
    assert h.error("PUT", vm, {"location": LOC, "properties": {"virtualMachineScaleSet": {"id": SET}}})[
        :2
    ] == (400, "VmssDoesNotSupportAttachingExistingVMMultiFD")
    h.ok("PUT", vm, {"location": LOC, "properties": {"virtualMachineScaleSet": {"id": ok_set}}})
    h.settle()
    assert h.get(vm)["properties"]["virtualMachineScaleSet"]["id"] == ok_set
    assert h.error(
        "PUT", vm, {"location": LOC, "properties": {"virtualMachineScaleSet": {"id": spg_null}}}
    ) == (400, "PropertyChangeNotAllowed", "Changing property virtualMachineScaleSet.id isn't allowed.")
    h.ok("PUT", vm, {"location": LOC, "properties": {"virtualMachineScaleSet": None}})
    h.settle()
    assert "virtualMachineScaleSet" not in h.get(vm)["properties"]


def test_fault_domain_pinning_needs_a_memory_preserving_size(h: TestClient, subnet: str) -> None:
    h.ok("PUT", SET, vmss_body(None, fd=2))
    nic = make_nic(h, "n1", subnet)
    vm = cid("virtualMachines", "vm1")
    status, code, message = h.error(
        "PUT", vm, vm_body(nic, vmss_id=SET, size="Standard_M8ms", platformFaultDomain=0)
    )
    assert (status, code) == (400, "InvalidParameter") and "memory preserving maintenance" in message
    assert h.request("PUT", vm, vm_body(nic, vmss_id=SET, size="Standard_M8ms")).status == 201
