"""Flexible orchestration rules, enforced as Azure enforces them today, with Azure's codes and
texts.

Sources: ``research/flex-rules-now.md`` (the "Error Azure returns" column) and the public
threads it cites. Where no public source gives Azure's text, the message keeps the shape of
Azure's neighbouring messages and the rule's docstring says it is inferred.
"""

from __future__ import annotations

from typing import Any

from ...core import ArmError, Context, parse_arm_id
from ...network import api as net
from .skus import capability, find_sku, flex_refused_sizes, has_catalog, is_mpu, max_fault_domains

__all__ = [
    "ISOLATED_SIZES",
    "MAX_FLEX_INSTANCES",
    "check_capacity",
    "check_force_delete",
    "check_profile",
    "check_size",
    "check_vmss",
    "is_spot",
]

#: Instances a Flexible set holds with fault-domain guarantees.
MAX_FLEX_INSTANCES = 1000
#: ... when the profile's image is a managed image.
MAX_FLEX_INSTANCES_MANAGED_IMAGE = 600
#: ... for a size without memory-preserving updates and more than one fault domain.
MAX_FLEX_INSTANCES_NON_MPU = 200

_ALLOCATION_STRATEGIES = {
    "lowestprice": "LowestPrice",
    "capacityoptimized": "CapacityOptimized",
    "prioritized": "Prioritized",
}


#: Isolated VM sizes: a forced delete of them is refused because they "manage updates using
#: maintenance control" (kubernetes/autoscaler cluster-autoscaler/cloudprovider/azure/
#: azure_force_delete_scale_set.go, which keeps this list and falls back to a normal delete).
ISOLATED_SIZES = frozenset(
    s.lower()
    for s in (
        "Standard_E80ids_v4",
        "Standard_E80is_v4",
        "Standard_E104i_v5",
        "Standard_E104is_v5",
        "Standard_E104id_v5",
        "Standard_E104ids_v5",
        "Standard_M192is_v2",
        "Standard_M192ims_v2",
        "Standard_M192ids_v2",
        "Standard_M192idms_v2",
        "Standard_F72s_v2",
        "Standard_M128ms",
    )
)


def check_force_delete(
    force: bool, vms: list[dict[str, Any]], scale_set: dict[str, Any] | None = None
) -> None:
    """Refuse a forced delete (``forceDeletion=true``) of VMs of an isolated size or on a
    dedicated host (a set with a ``hostGroup``) with the text cluster-autoscaler quotes from
    Azure ("Operation 'ForceDelete' is not allowed on resource ... since it manages updates
    using maintenance control.", OperationNotAllowed). Azure reports it for a scale set's
    forced delete; refusing it when the request is accepted, and for a VM's own forced
    delete, is inferred."""
    if not force:
        return
    on_host = bool(((scale_set or {}).get("properties") or {}).get("hostGroup"))
    for vm in vms:
        size = str(((vm.get("properties") or {}).get("hardwareProfile") or {}).get("vmSize") or "")
        if on_host or size.lower() in ISOLATED_SIZES:
            name = (scale_set or vm)["name"]
            raise ArmError.operation_not_allowed(
                f"Operation 'ForceDelete' is not allowed on resource '{name}' since it manages "
                "updates using maintenance control."
            )


def is_spot(priority: Any) -> bool:
    return str(priority or "").lower() in ("spot", "low", "spotplus")


def _not_allowed_value(value: str, parameter: str, allowed: str) -> ArmError:
    return ArmError.invalid_parameter(
        f"The value '{value}' of parameter '{parameter}' is not allowed. Allowed values are: {allowed}.",
        target=parameter,
    )


# --------------------------------------------------------------------------- sizes


def check_size(
    ctx: Context,
    *,
    location: str,
    size: str,
    zones: list[str] | None,
    flex: bool,
    spot: bool,
    resource_id: str,
    subscription_id: str,
) -> dict[str, Any] | None:
    """Refuse a VM size Flex refuses, a size unknown or restricted in the region or zones, and
    Spot on a size that is not LowPriorityCapable. Returns the catalog item (None without a catalog)."""
    if flex and size.lower() in flex_refused_sizes():
        raise ArmError.invalid_parameter(
            "Virtual Machine Scale Sets with Flexible Orchestration "
            "Mode or Virtual Machines referencing such "
            f"Virtual Machine Scale Sets cannot use VM Size '{size}'.",
            target="vmSize",
        )
    if not has_catalog(ctx, location):
        return None
    sku = find_sku(ctx, location, size)
    if sku is None:
        # Inferred text: Azure's wording for an unknown size names the size and the region.
        raise ArmError.invalid_parameter(
            f"The value '{size}' provided for the VM size is not valid in location '{location}'. "
            "Use the Resource SKUs API to list the sizes available in a region.",
            target="vmSize",
        )
    restricted_zones: set[str] = set()
    for r in sku.get("restrictions", []) or []:
        info = r.get("restrictionInfo") or {}
        if r.get("type") == "Location" and location in [str(v).lower() for v in (r.get("values") or [])]:
            raise _sku_not_available(resource_id, location, None, subscription_id)
        if r.get("type") == "Zone":
            restricted_zones.update(str(z) for z in (info.get("zones") or []))
    offered: set[str] = set()
    for li in sku.get("locationInfo", []) or []:
        if str(li.get("location", "")).replace(" ", "").lower() == location:
            offered.update(str(z) for z in (li.get("zones") or []))
    bad = [z for z in (zones or []) if z in restricted_zones or (offered and z not in offered)]
    if bad:
        raise _sku_not_available(resource_id, location, bad, subscription_id)
    if spot and capability(sku, "LowPriorityCapable") == "False":
        # Inferred text (the size's LowPriorityCapable capability is "False").
        raise ArmError(
            400,
            "SkuNotAvailable",
            f"The requested VM size '{size}' is not available for Spot priority in location '{location}'. "
            "Please try another size. See https://aka.ms/azureskunotavailable for details.",
        )
    return sku


def _sku_not_available(
    resource_id: str, location: str, zones: list[str] | None, subscription_id: str
) -> ArmError:
    where = f"location '{location}'" + (f" zones '{','.join(zones)}'" if zones else "")
    return ArmError(
        409,
        "SkuNotAvailable",
        f"The requested size for resource '{resource_id}' is "
        f"currently not available in {where} for subscription "
        f"'{subscription_id}'. Please try another size or deploy to a different location or zones. "
        "See https://aka.ms/azureskunotavailable for details.",
    )


# --------------------------------------------------------------------------- scale sets


def check_vmss(
    ctx: Context, *, body: dict[str, Any], existing: dict[str, Any] | None, set_id: str, subscription_id: str
) -> None:
    """Every Flex rule a scale set PUT/PATCH must pass. ``body`` is the merged desired state."""
    props: dict[str, Any] = body.get("properties") or {}
    location = str(body.get("location", "")).replace(" ", "").lower()
    if existing is not None:
        old = existing.get("properties") or {}
        if str(props.get("orchestrationMode", "")).lower() != str(old.get("orchestrationMode", "")).lower():
            raise ArmError(
                400,
                "PropertyChangeNotAllowed",
                "Changing property 'orchestrationMode' is not allowed.",
                target="orchestrationMode",
            )
        if props.get("platformFaultDomainCount") != old.get("platformFaultDomainCount"):
            raise ArmError(
                400,
                "PropertyChangeNotAllowed",
                "Changing property 'platformFaultDomainCount' is not allowed.",
                target="platformFaultDomainCount",
            )
    _check_zone_balance(ctx, props, body.get("zones") or [])
    if str(props.get("orchestrationMode")) != "Flexible":
        return
    identity = body.get("identity") or {}
    id_type = str(identity.get("type") or "")
    if "systemassigned" in id_type.replace(" ", "").lower():
        raise _not_allowed_value(id_type, "identity", "UserAssigned, None")
    if props.get("overprovision") is True:
        # Inferred text: Flex has no overprovisioning (flex-rules-now.md row 4, no error documented).
        raise _not_allowed_value("True", "overprovision", "False")
    fdc = int(props.get("platformFaultDomainCount") or 1)
    region_max = max_fault_domains(ctx, location)
    if not 1 <= fdc <= region_max:
        raise ArmError.invalid_parameter(
            f"The specified fault domain count {fdc} must fall in the range 1 to {region_max}.",
            target="platformFaultDomainCount",
        )
    zones = body.get("zones") or []
    # A set in several zones takes one fault domain; in ONE zone Azure accepted FD 3 (201:
    # Azure/azure-powershell TestVirtualMachineScaleSetFlexAnyPFDC.json, 2023-08-31, api
    # 2023-07-01, zones ["3"], platformFaultDomainCount 3), though the FD doc says zonal Flex
    # takes FD 1 (flex-rules-now.md row 17): the recording is what Azure does.
    if len(zones) > 1 and fdc > 1:
        raise ArmError.invalid_parameter(
            "Specifying Availability Zones is not allowed when "
            "Virtual Machine Scale Set has platformFaultDomainCount "
            "higher than 1 with OrchestrationMode: 'Flexible'.",
            target="platformFaultDomainCount",
        )
    sku = body.get("sku") or {}
    sizes = _profile_sizes(body)
    non_mpu = fdc > 1 and any(not is_mpu(ctx, location, s) for s in sizes)
    if props.get("singlePlacementGroup") is True and not non_mpu:
        raise _not_allowed_value("True", "singlePlacementGroup", "False")
    profile = props.get("virtualMachineProfile")
    _check_sku_profile(body)
    if isinstance(profile, dict):
        check_profile(ctx, body=body, set_id=set_id, subscription_id=subscription_id, non_mpu=non_mpu)
    if profile is not None or sku.get("capacity") is not None:
        check_capacity(body, int(sku.get("capacity") or 0), non_mpu=non_mpu)


def _check_zone_balance(ctx: Context, props: dict[str, Any], zones: list[Any]) -> None:
    """``zoneBalance`` may only be set on a set with two zones or more: "zoneBalance property
    can only be set if the zones property of the scale set contains more than one zone"
    (ComputeRP spec text), refused as ``InvalidParameter`` "The value of parameter zoneBalance
    is invalid." (Azure/azure-rest-api-specs#11805, Azure/azure-powershell#6012: any value,
    ``false`` included)."""
    value = props.get("zoneBalance")
    if value is None or len(zones) > 1:
        return
    if value is not None:
        raise ArmError.invalid_parameter(
            "The value of parameter zoneBalance is invalid.", target="zoneBalance"
        )


def _profile_sizes(body: dict[str, Any]) -> list[str]:
    sku = body.get("sku") or {}
    if str(sku.get("name", "")).lower() == "mix":
        vm_sizes = ((body.get("properties") or {}).get("skuProfile") or {}).get("vmSizes") or []
        return [str(v.get("name")) for v in vm_sizes if v.get("name")]
    return [str(sku["name"])] if sku.get("name") else []


def check_capacity(body: dict[str, Any], capacity: int, *, non_mpu: bool) -> None:
    """A Flexible set holds at most 1,000 VMs (600 from a managed image, 200 for a size
    without memory-preserving updates and FD>1). Inferred text: no public source quotes it."""
    profile = (body.get("properties") or {}).get("virtualMachineProfile") or {}
    image_id = str(((profile.get("storageProfile") or {}).get("imageReference") or {}).get("id") or "")
    limit, why = MAX_FLEX_INSTANCES, ""
    if "/providers/microsoft.compute/images/" in image_id.lower():
        limit, why = MAX_FLEX_INSTANCES_MANAGED_IMAGE, " when the image is a managed image"
    if non_mpu:
        limit, why = (
            MAX_FLEX_INSTANCES_NON_MPU,
            (
                " for a VM size without memory-preserving maintenance "
                "and platformFaultDomainCount higher than 1"
            ),
        )
    if capacity < 0 or capacity > limit:
        raise ArmError.invalid_parameter(
            f"The value {capacity} of parameter 'sku.capacity' "
            "is not allowed. Virtual Machine Scale Sets with "
            f"Flexible Orchestration Mode support at most {limit} instances{why}.",
            target="sku.capacity",
        )


def _check_sku_profile(body: dict[str, Any]) -> None:
    """Instance mix (``sku.name == "Mix"`` + ``skuProfile``), codes from instance-mix-faq-troubleshooting."""
    props = body.get("properties") or {}
    sku = body.get("sku") or {}
    sku_profile = props.get("skuProfile")
    is_mix = str(sku.get("name", "")).lower() == "mix"
    if sku_profile is None:
        if is_mix:
            raise ArmError(
                400,
                "SkuProfileVMSizesCannotBeNullOrEmpty",
                "The skuProfile.vmSizes must be specified when sku.name is 'Mix'.",
            )
        return
    if not is_mix:
        raise ArmError(
            400,
            "SkuNameMustBeMixIfSkuProfileIsSpecified",
            "The sku.name must be 'Mix' when skuProfile is specified.",
        )
    if sku.get("tier"):
        raise ArmError(
            400,
            "SkuTierMustNotBeSetIfSkuProfileIsSpecified",
            "The sku.tier must not be set when skuProfile is specified.",
        )
    sizes = [str(v.get("name", "")) for v in (sku_profile.get("vmSizes") or [])]
    if not sizes:
        raise ArmError(
            400, "SkuProfileVMSizesCannotBeNullOrEmpty", "The skuProfile.vmSizes cannot be null or empty."
        )
    if len(sizes) > 5:
        raise ArmError(
            400,
            "SkuProfileHasTooManyVMSizesInRequest",
            "The skuProfile.vmSizes has too many VM sizes. Specify no more than 5 VM Sizes.",
        )
    if len({s.lower() for s in sizes}) != len(sizes):
        raise ArmError(
            400, "SkuProfileVMSizesCannotHaveDuplicates", "The skuProfile.vmSizes cannot have duplicates."
        )
    strategy = sku_profile.get("allocationStrategy")
    if strategy is not None and str(strategy).lower() not in _ALLOCATION_STRATEGIES:
        raise ArmError(
            400,
            "SkuProfileAllocationStrategyInvalid",
            f"The allocation strategy '{strategy}' is not valid. Allowed values are: "
            + ", ".join(_ALLOCATION_STRATEGIES.values())
            + ".",
        )
    profile = props.get("virtualMachineProfile") or {}
    for prop_name, present in (
        ("hostGroup", props.get("hostGroup")),
        ("capacityReservation", profile.get("capacityReservation")),
        ("standbyPoolProfile", props.get("standbyPoolProfile")),
    ):
        if present:
            raise ArmError(
                400,
                "SkuProfileScenarioNotSupported",
                f"{prop_name} is not supported on Virtual Machine Scale Sets with Sku Profile.",
            )


def check_profile(
    ctx: Context, *, body: dict[str, Any], set_id: str, subscription_id: str, non_mpu: bool
) -> None:
    """The rules on a Flexible set's ``virtualMachineProfile``: network API version, NAT pools,
    Basic load balancers, outbound connectivity, sizes and Spot Priority Mix.

    VMs a Flexible set creates from its profile need *explicit* outbound connectivity (a NAT
    gateway on the subnet, a Standard load balancer backend pool with an outbound or
    load-balancing rule, or a public IP per VM): a subnet's default outbound access does not
    count for them (flex-rules-now.md row 19), though it does for VMs created on their own."""
    props = body["properties"]
    profile: dict[str, Any] = props["virtualMachineProfile"]
    location = str(body.get("location", "")).replace(" ", "").lower()
    network = profile.get("networkProfile") or {}
    nic_configs = network.get("networkInterfaceConfigurations") or []
    if nic_configs and not network.get("networkApiVersion"):
        raise ArmError(
            400,
            "NetworkApiVersionMustBeSpecifiedWithNetworkInterfaceConfigurations",
            "Network api version in network profile of virtual "
            f"machine scale set {set_id} must be specified if "
            "network interface configurations are specified.",
        )
    paths: list[str | None] = []
    for cfg in nic_configs:
        for ipc in (cfg.get("properties") or {}).get("ipConfigurations") or []:
            ip_props = ipc.get("properties") or {}
            if ip_props.get("loadBalancerInboundNatPools"):
                # Inferred text: NAT pools are unsupported on Flex (flex-rules-now.md row 13).
                raise ArmError.invalid_parameter(
                    "Load balancer inbound NAT pools are not supported "
                    "on Virtual Machine Scale Sets with Flexible "
                    "Orchestration Mode. Use inbound NAT rules that target a backend pool instead.",
                    target="loadBalancerInboundNatPools",
                )
            pool_ids = [str(p.get("id", "")) for p in ip_props.get("loadBalancerBackendAddressPools") or []]
            for pool_id in pool_ids:
                _refuse_basic_lb(ctx, pool_id)
            subnet_id = str((ip_props.get("subnet") or {}).get("id", ""))
            paths.append(
                net.outbound_path(
                    ctx,
                    subnet_id=subnet_id,
                    backend_pool_ids=pool_ids,
                    has_public_ip=bool(ip_props.get("publicIPAddressConfiguration")),
                )
            )
    if nic_configs and all(p in (None, "default") for p in paths):
        raise ArmError(
            400,
            "OutboundConnectivityNotEnabledOnVM",
            "No outbound connectivity configured for virtual machine.",
        )
    spot = is_spot(profile.get("priority"))
    zones = body.get("zones") or []
    for size in _profile_sizes(body):
        check_size(
            ctx,
            location=location,
            size=size,
            zones=zones,
            flex=True,
            spot=spot,
            resource_id=set_id,
            subscription_id=subscription_id,
        )
    mix = props.get("priorityMixPolicy")
    if mix:
        base = mix.get("baseRegularPriorityCount")
        pct = mix.get("regularPriorityPercentageAboveBase")
        if base is not None and int(base) < 0:
            raise ArmError.invalid_parameter(
                "The value of parameter 'priorityMixPolicy.baseRegularPriorityCount' must be 0 or greater.",
                target="priorityMixPolicy.baseRegularPriorityCount",
            )
        if pct is not None and not 0 <= int(pct) <= 100:
            raise ArmError.invalid_parameter(
                "The value of parameter 'priorityMixPolicy.regularPriorityPercentageAboveBase' "
                "must be between 0 and 100.",
                target="priorityMixPolicy.regularPriorityPercentageAboveBase",
            )
        # Inferred texts for the three Spot Priority Mix preconditions (spot-priority-mix.md).
        if not spot:
            raise ArmError.invalid_parameter(
                "Priority mix policy can only be specified when virtualMachineProfile.priority is 'Spot'.",
                target="priorityMixPolicy",
            )
        if props.get("singlePlacementGroup") is True:
            raise ArmError.invalid_parameter(
                "Priority mix policy is not supported when singlePlacementGroup is true.",
                target="priorityMixPolicy",
            )
        if non_mpu:
            raise ArmError.invalid_parameter(
                "Priority mix policy is not supported for VM "
                "sizes without memory preserving maintenance when "
                "platformFaultDomainCount is higher than 1.",
                target="priorityMixPolicy",
            )


def _refuse_basic_lb(ctx: Context, pool_id: str) -> None:
    """Basic load balancers cannot front a Flexible set (flex-rules-now.md row 12; inferred text)."""
    parsed = parse_arm_id(pool_id)
    if parsed is None:
        return
    lb_id = (
        pool_id[: pool_id.lower().find("/backendaddresspools/")]
        if "/backendaddresspools/" in pool_id.lower()
        else pool_id
    )
    lb = ctx.store.get(lb_id)
    if lb is not None and str((lb.get("sku") or {}).get("name", "")).lower() == "basic":
        raise ArmError.invalid_parameter(
            f"Load balancer '{lb_id}' has sku 'Basic'. Virtual "
            "Machine Scale Sets with Flexible Orchestration Mode "
            "support only Standard sku load balancers.",
            target="loadBalancerBackendAddressPools",
        )
