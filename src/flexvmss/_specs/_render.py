"""How specs become ARM bodies, and what differs between a spec and an existing set.

:func:`render_scale_set_body` and :func:`render_vm_body` give the wire dicts;
:func:`render_scale_set` and :func:`render_vm` the azure-mgmt-compute models (imported only
when called, so importing flexvmss stays cheap). Two escape hatches: ``extra_properties`` is
deep-merged into the rendered body, and ``raw`` replaces the rendering entirely.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flexvmss._errors import InvalidInputError
from flexvmss._specs._model import (
    DEFAULT_ADMIN_USERNAME,
    DEFAULT_NETWORK_API_VERSION,
    NetworkSpec,
    ScaleSetSpec,
    Secret,
    SpotSpec,
    VmSpec,
)

if TYPE_CHECKING:  # pragma: no cover
    from azure.mgmt.compute.models import VirtualMachine, VirtualMachineScaleSet

__all__ = [
    "default_computer_name_prefix",
    "describe_differences",
    "dig",
    "render_scale_set",
    "render_scale_set_body",
    "render_vm",
    "render_vm_body",
]


# ---------------------------------------------------------------------------------------------
# Names


def default_computer_name_prefix(name: str, os_type: str = "linux") -> str:
    """A valid computer-name prefix from a set name: letters, digits and dashes only, at most
    9 characters for Windows and 58 for Linux, not starting with a dash."""
    cleaned = re.sub(r"[^A-Za-z0-9-]", "", name).lstrip("-") or "vm"
    limit = 9 if os_type == "windows" else 58
    return cleaned[:limit].rstrip("-") or "vm"


def _computer_name(name: str, os_type: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", name).strip("-") or "vm"
    if os_type == "windows":
        cleaned = cleaned[:15].rstrip("-")
        if cleaned.isdigit():
            cleaned = ("vm" + cleaned)[:15]
        return cleaned
    return cleaned[:64].rstrip("-")


# ---------------------------------------------------------------------------------------------
# Rendering


def _b64(secret: Secret) -> str:
    return base64.b64encode(secret.reveal().encode("utf-8")).decode("ascii")


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``extra`` into ``base`` in place (mappings recursively; other values replace)."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(dict(value)) if isinstance(value, Mapping) else copy.deepcopy(value)
    return base


def _os_profile(
    spec: ScaleSetSpec | VmSpec, os_type: str, *, name_key: str, name_value: str
) -> dict[str, Any]:
    user = spec.admin_username or DEFAULT_ADMIN_USERNAME
    profile: dict[str, Any] = {name_key: name_value, "adminUsername": user}
    if spec.admin_password is not None:
        profile["adminPassword"] = spec.admin_password.reveal()
    if spec.custom_data is not None:
        profile["customData"] = _b64(spec.custom_data)
    if os_type == "windows":
        profile["windowsConfiguration"] = {"provisionVMAgent": True}
    else:
        linux: dict[str, Any] = {"disablePasswordAuthentication": spec.admin_password is None}
        if spec.ssh_public_keys:
            linux["ssh"] = {
                "publicKeys": [
                    {"path": f"/home/{user}/.ssh/authorized_keys", "keyData": key}
                    for key in spec.ssh_public_keys
                ]
            }
        profile["linuxConfiguration"] = linux
    return profile


def _nic_configuration(network: NetworkSpec, base_name: str) -> dict[str, Any]:
    ip_config: dict[str, Any] = {"primary": True, "subnet": {"id": network.subnet_id}}
    if network.load_balancer_backend_pool_ids:
        ip_config["loadBalancerBackendAddressPools"] = [
            {"id": pool} for pool in network.load_balancer_backend_pool_ids
        ]
    if network.public_ip_per_vm:
        ip_config["publicIPAddressConfiguration"] = {
            "name": f"{base_name}-pip",
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": {"deleteOption": network.delete_option, "idleTimeoutInMinutes": 4},
        }
    nic: dict[str, Any] = {
        "primary": True,
        "deleteOption": network.delete_option,
        "enableAcceleratedNetworking": network.accelerated_networking,
        "ipConfigurations": [{"name": f"{base_name}-ipconfig", "properties": ip_config}],
    }
    if network.network_security_group_id:
        nic["networkSecurityGroup"] = {"id": network.network_security_group_id}
    return {"name": network.nic_name or f"{base_name}-nic", "properties": nic}


def _priority(spec: ScaleSetSpec | VmSpec, target: dict[str, Any]) -> None:
    target["priority"] = spec.priority
    if spec.priority != "Regular":
        spot = spec.spot or SpotSpec()
        target["evictionPolicy"] = spot.eviction_policy
        target["billingProfile"] = {"maxPrice": spot.max_price}
    elif spec.spot is not None:  # rendered so the rules (and Azure) can refuse it, not dropped silently
        target["evictionPolicy"] = spec.spot.eviction_policy
        target["billingProfile"] = {"maxPrice": spec.spot.max_price}


def render_scale_set_body(spec: ScaleSetSpec, *, name: str | None = None) -> dict[str, Any]:
    """The ARM wire body (camelCase keys) for ``spec``; ``raw`` is returned as a plain dict."""
    if spec.raw is not None:
        return dict(spec.raw.as_dict() if hasattr(spec.raw, "as_dict") else spec.raw)
    set_name = name or spec.computer_name_prefix or "vmss"
    props: dict[str, Any] = {
        "orchestrationMode": "Flexible",
        "platformFaultDomainCount": spec.platform_fault_domain_count,
    }
    if spec.single_placement_group is not None:
        props["singlePlacementGroup"] = spec.single_placement_group
    body: dict[str, Any] = {"location": spec.location, "tags": dict(spec.tags), "properties": props}
    if spec.zones:
        body["zones"] = [str(z) for z in spec.zones]
    # zoneBalance only with two or more zones, and only when the spec says so: the REST spec
    # says "If there are no zones or only one zone specified, then zoneBalance property should
    # not be set", and Azure refuses any value there (InvalidParameter "The value of parameter
    # zoneBalance is invalid", Azure/azure-rest-api-specs#11805, Azure/azure-powershell#6012).
    # Terraform azurerm sends it only when true.
    # With automatic zone placement Azure picks the zones, and zoneBalance goes with the
    # placement (virtual-machine-scale-sets-automatic-zone-placement.md, 08/11/2026).
    if spec.zone_balance is not None and (
        len({str(z) for z in spec.zones}) >= 2 or spec.zone_placement is not None
    ):
        props["zoneBalance"] = spec.zone_balance
    if spec.identity is not None:
        body["identity"] = spec.identity.to_wire()
    if spec.proximity_placement_group_id:
        props["proximityPlacementGroup"] = {"id": spec.proximity_placement_group_id}
    if spec.dedicated_host_group_id:
        props["hostGroup"] = {"id": spec.dedicated_host_group_id}
    if spec.overprovision is not None:
        props["overprovision"] = spec.overprovision
    if spec.priority_mix is not None:
        props["priorityMixPolicy"] = {
            "baseRegularPriorityCount": spec.priority_mix.base_regular_count,
            "regularPriorityPercentageAboveBase": spec.priority_mix.regular_percentage_above_base,
        }
    if spec.scale_in_policy:
        props["scaleInPolicy"] = {"rules": [spec.scale_in_policy]}
    _resilience(spec, body, props)
    if spec.has_vm_profile:
        props["upgradePolicy"] = {"mode": spec.upgrade_mode}
        if spec.sku_profile is not None:
            body["sku"] = {"name": "Mix", "capacity": spec.capacity}
            props["skuProfile"] = spec.sku_profile.to_wire()
        else:
            body["sku"] = {"name": spec.vm_size, "tier": "Standard", "capacity": spec.capacity}
        props["virtualMachineProfile"] = _vm_profile(spec, set_name)
        if spec.health is not None and spec.health.automatic_repairs:
            props["automaticRepairsPolicy"] = {
                "enabled": True,
                "gracePeriod": f"PT{spec.health.repair_grace_period_minutes}M",
                "repairAction": spec.health.repair_action,
            }
    _deep_merge(body, spec.extra_properties)
    return body


def _resilience(spec: ScaleSetSpec, body: dict[str, Any], props: dict[str, Any]) -> None:
    """``resiliencyPolicy`` (resilient create/delete, zone rebalancing, zone allocation),
    ``placement`` and ``spotRestorePolicy``: set-level properties of the REST spec's
    ``VirtualMachineScaleSetProperties`` (``placement`` is top level, beside ``zones``)."""
    policy = spec.resiliency.to_wire() if spec.resiliency is not None else {}
    if spec.zone_placement is not None:
        body["placement"] = spec.zone_placement.placement()
        allocation = spec.zone_placement.zone_allocation()
        if allocation:
            policy["zoneAllocationPolicy"] = allocation
    if policy:
        props["resiliencyPolicy"] = policy
    if spec.spot_restore is not None:
        props["spotRestorePolicy"] = spec.spot_restore.to_wire()


def _vm_profile(spec: ScaleSetSpec, set_name: str) -> dict[str, Any]:
    os_type = spec.image.os if spec.image else "linux"
    storage: dict[str, Any] = {"osDisk": spec.os_disk.to_wire()}
    if spec.image is not None:
        storage["imageReference"] = spec.image.to_wire()
    if spec.data_disks:
        storage["dataDisks"] = [disk.to_wire() for disk in spec.data_disks]
    prefix = spec.computer_name_prefix or default_computer_name_prefix(set_name, os_type)
    profile: dict[str, Any] = {
        "storageProfile": storage,
        "osProfile": _os_profile(spec, os_type, name_key="computerNamePrefix", name_value=prefix),
    }
    network: dict[str, Any] = {"networkApiVersion": DEFAULT_NETWORK_API_VERSION}
    if spec.network is not None:
        network["networkApiVersion"] = spec.network.network_api_version
        network["networkInterfaceConfigurations"] = [_nic_configuration(spec.network, set_name)]
    profile["networkProfile"] = network
    _priority(spec, profile)
    if spec.user_data is not None:
        profile["userData"] = _b64(spec.user_data)
    if spec.termination_notification_minutes is not None:
        profile["scheduledEventsProfile"] = {
            "terminateNotificationProfile": {
                "enable": True,
                "notBeforeTimeout": f"PT{spec.termination_notification_minutes}M",
            }
        }
    if spec.health is not None:
        profile["extensionProfile"] = {"extensions": [spec.health.extension(os_type)]}
    return profile


def render_scale_set(
    spec: ScaleSetSpec, *, subscription_id: str, resource_group: str, name: str | None = None
) -> VirtualMachineScaleSet:
    """The azure-mgmt-compute ``VirtualMachineScaleSet`` to PUT for ``spec``.

    ``name`` (the scale set's) names the NIC configuration and the default computer-name
    prefix; pass it. ``subscription_id`` and ``resource_group`` are accepted for symmetry with
    :func:`render_vm` (a set body holds no ids of its own).
    """
    from azure.mgmt.compute.models import VirtualMachineScaleSet

    del subscription_id, resource_group
    if spec.raw is not None and isinstance(spec.raw, VirtualMachineScaleSet):
        return spec.raw
    return VirtualMachineScaleSet(render_scale_set_body(spec, name=name))


def render_vm_body(spec: VmSpec, *, scale_set_id: str, location: str) -> dict[str, Any]:
    """The ARM wire body for a VM created into the set ``scale_set_id``."""
    if spec.raw is not None:
        return dict(spec.raw.as_dict() if hasattr(spec.raw, "as_dict") else spec.raw)
    missing = [f for f in ("vm_size", "image", "network") if getattr(spec, f) is None]
    if missing:
        raise InvalidInputError(
            missing[0],
            None,
            f"give VM {spec.name} its {', '.join(missing)}, or create it with FlexScaleSet.add_vm() into "
            "a set with a VM profile, which fills them in from the profile",
            message=f"VM {spec.name} has no {' or '.join(missing)}.",
        )
    assert spec.image is not None and spec.network is not None
    os_type = spec.image.os
    storage: dict[str, Any] = {"osDisk": spec.os_disk.to_wire(), "imageReference": spec.image.to_wire()}
    if spec.data_disks:
        storage["dataDisks"] = [disk.to_wire() for disk in spec.data_disks]
    computer_name = spec.computer_name or _computer_name(spec.name, os_type)
    props: dict[str, Any] = {
        "hardwareProfile": {"vmSize": spec.vm_size},
        "storageProfile": storage,
        "osProfile": _os_profile(spec, os_type, name_key="computerName", name_value=computer_name),
        "networkProfile": {
            "networkApiVersion": spec.network.network_api_version,
            "networkInterfaceConfigurations": [_nic_configuration(spec.network, spec.name)],
        },
        "virtualMachineScaleSet": {"id": scale_set_id},
    }
    if spec.platform_fault_domain is not None:
        props["platformFaultDomain"] = spec.platform_fault_domain
    _priority(spec, props)
    if spec.user_data is not None:
        props["userData"] = _b64(spec.user_data)
    body: dict[str, Any] = {"location": location, "tags": dict(spec.tags), "properties": props}
    if spec.zone is not None:
        body["zones"] = [str(spec.zone)]
    if spec.identity is not None:
        body["identity"] = spec.identity.to_wire()
    _deep_merge(body, spec.extra_properties)
    return body


def render_vm(
    spec: VmSpec, *, subscription_id: str, resource_group: str, scale_set_id: str, location: str
) -> VirtualMachine:
    """The azure-mgmt-compute ``VirtualMachine`` to PUT: a VM created into a Flex set, with its
    NIC declared inline (``networkInterfaceConfigurations`` + ``networkApiVersion``) so one PUT
    creates VM, NIC and public IP, and deleting the VM deletes them."""
    from azure.mgmt.compute.models import VirtualMachine

    del subscription_id, resource_group
    if spec.raw is not None and isinstance(spec.raw, VirtualMachine):
        return spec.raw
    return VirtualMachine(render_vm_body(spec, scale_set_id=scale_set_id, location=location))


# ---------------------------------------------------------------------------------------------
# Idempotent create


def dig(data: Any, *path: str) -> Any:
    """``data[path[0]][path[1]]...``, or None as soon as a step is not a mapping or is missing:
    for reading ARM bodies, where any level may be absent."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def describe_differences(
    existing: Mapping[str, Any], spec: ScaleSetSpec, *, name: str | None = None
) -> list[str]:
    """What differs between an existing set (its wire body or azure-mgmt model) and ``spec``,
    one line per field; empty when creating ``spec`` again would change nothing that matters.

    Capacity is not compared (it is runtime state: use ``scale_to``); nor are tags.
    """
    wanted = render_scale_set_body(spec, name=name)
    if hasattr(existing, "as_dict"):
        existing = existing.as_dict()
    checks: list[tuple[str, tuple[str, ...], bool]] = [
        ("orchestration_mode", ("properties", "orchestrationMode"), False),
        ("location", ("location",), True),
        ("platform_fault_domain_count", ("properties", "platformFaultDomainCount"), False),
        ("single_placement_group", ("properties", "singlePlacementGroup"), False),
        ("vm_size", ("sku", "name"), True),
        ("zone_balance", ("properties", "zoneBalance"), False),
        ("proximity_placement_group_id", ("properties", "proximityPlacementGroup", "id"), True),
        ("upgrade_mode", ("properties", "upgradePolicy", "mode"), True),
        ("priority", ("properties", "virtualMachineProfile", "priority"), True),
    ]
    out: list[str] = []
    for label, path, fold in checks:
        want, have = dig(wanted, *path), dig(existing, *path)
        if want is None or (have is None and label == "single_placement_group"):
            continue
        same = str(want).lower() == str(have).lower() if fold else want == have
        if not same:
            out.append(f"{label}: existing {have!r}, spec {want!r}")
    want_zones = sorted(str(z) for z in wanted.get("zones") or ())
    have_zones = sorted(str(z) for z in existing.get("zones") or ())
    if want_zones != have_zones:
        out.append(f"zones: existing {have_zones!r}, spec {want_zones!r}")
    want_image = dig(wanted, "properties", "virtualMachineProfile", "storageProfile", "imageReference")
    have_image = dig(existing, "properties", "virtualMachineProfile", "storageProfile", "imageReference")
    if want_image and have_image:
        for key, value in want_image.items():
            if str(value).lower() != str(have_image.get(key)).lower():
                out.append(f"image.{key}: existing {have_image.get(key)!r}, spec {value!r}")
    has_profile = dig(existing, "properties", "virtualMachineProfile") is not None
    if spec.has_vm_profile != has_profile and spec.raw is None:
        out.append(
            f"vm profile: existing {'present' if has_profile else 'absent'}, "
            f"spec {'present' if spec.has_vm_profile else 'absent'}"
        )
    return out


