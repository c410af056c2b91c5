"""A VM shaped like its set: what a :class:`VmSpec` leaves unset, taken from the set's profile.

A VM created into a Flex set is a plain VM: Azure copies nothing from the set's
``virtualMachineProfile`` into it ([AD] attach-detach doc: "The VM doesn't have to match the
configuration in the scale set's scaling profile"). So flexvmss fills the fields a
:class:`VmSpec` leaves as None from the set's profile, as Azure reports it on a GET, before the
rules judge the VM: its size, image, subnet and outbound path, administrator user name and SSH
public keys. Secrets are never inherited (Azure's GET does not return ``adminPassword`` or
``customData``); a set built on a password needs its VMs to be given one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

from flexvmss._specs._model import ImageSpec, NetworkSpec, VmSpec
from flexvmss._specs._render import dig

__all__ = ["inherit_from_profile", "profile_image", "profile_network"]


def profile_image(profile: Mapping[str, Any]) -> ImageSpec | None:
    """The image of a set's ``virtualMachineProfile`` (a marketplace URN or an image id)."""
    ref = dig(profile, "storageProfile", "imageReference")
    if not isinstance(ref, Mapping):
        return None
    os_type: Literal["linux", "windows"] | None = None
    if dig(profile, "osProfile", "windowsConfiguration") is not None:
        os_type = "windows"
    elif dig(profile, "osProfile", "linuxConfiguration") is not None:
        os_type = "linux"
    for key in ("id", "sharedGalleryImageId", "communityGalleryImageId"):
        if ref.get(key):
            return ImageSpec(id=str(ref[key]), os_type=os_type)
    if ref.get("publisher") and ref.get("offer") and ref.get("sku"):
        return ImageSpec(
            publisher=str(ref["publisher"]),
            offer=str(ref["offer"]),
            sku=str(ref["sku"]),
            version=str(ref.get("version") or "latest"),
            os_type=os_type,
        )
    return None


def profile_network(profile: Mapping[str, Any]) -> NetworkSpec | None:
    """The primary NIC of a set's profile as a :class:`NetworkSpec`, with the outbound path it
    implies: a public IP per VM, a load balancer's backend pool, or else the subnet's NAT
    gateway (a set's profile VMs need one of the three to exist, so a profile with neither pool
    nor public IP relied on the subnet; the preflight reads the subnet to confirm it, FLEX012)."""
    nics = dig(profile, "networkProfile", "networkInterfaceConfigurations") or []
    nic = next((n for n in nics if dig(n, "properties", "primary")), nics[0] if nics else None)
    ip_configs = dig(nic, "properties", "ipConfigurations") or []
    first_ip = ip_configs[0] if ip_configs else None
    ip = next((c for c in ip_configs if dig(c, "properties", "primary")), first_ip)
    subnet_id = dig(ip, "properties", "subnet", "id")
    if not subnet_id:
        return None
    pools = tuple(str(p.get("id")) for p in dig(ip, "properties", "loadBalancerBackendAddressPools") or [])
    public_ip = dig(ip, "properties", "publicIPAddressConfiguration") is not None
    outbound: Literal["nat_gateway", "load_balancer", "public_ip"]
    outbound = "public_ip" if public_ip else "load_balancer" if pools else "nat_gateway"
    nsg = dig(nic, "properties", "networkSecurityGroup", "id")
    version = dig(profile, "networkProfile", "networkApiVersion")
    extra: dict[str, Any] = {"network_api_version": str(version)} if version else {}
    return NetworkSpec(
        subnet_id=str(subnet_id),
        public_ip_per_vm=public_ip,
        load_balancer_backend_pool_ids=pools,
        outbound=outbound,
        network_security_group_id=str(nsg) if nsg else None,
        accelerated_networking=bool(dig(nic, "properties", "enableAcceleratedNetworking")),
        **extra,
    )


def _profile_size(set_body: Mapping[str, Any]) -> str | None:
    name = dig(set_body, "sku", "name")
    if name and str(name).lower() != "mix":
        return str(name)
    sizes = dig(set_body, "properties", "skuProfile", "vmSizes") or []
    return str(sizes[0].get("name")) if sizes and sizes[0].get("name") else None


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def inherit_from_profile(spec: VmSpec, set_body: Mapping[str, Any]) -> VmSpec:
    """``spec`` with every field it leaves unset taken from the set's profile (``set_body`` is
    the set's GET body); ``spec`` itself when the set has no profile or the VM is ``raw``.

    Inherited: ``vm_size`` (the set's size; an instance mix's first size), ``image``,
    ``network`` (subnet, load balancer pools, public IP, NSG, accelerated networking and the
    outbound path), ``admin_username`` and ``ssh_public_keys`` (only when the VM has neither
    keys nor a password of its own). A VM given its own network on the set's subnet without an
    outbound path gets the profile's outbound path.
    """
    profile = dig(set_body, "properties", "virtualMachineProfile")
    if spec.raw is not None or not isinstance(profile, Mapping):
        return spec
    changes: dict[str, Any] = {}
    if spec.vm_size is None:
        changes["vm_size"] = _profile_size(set_body)
    if spec.image is None:
        changes["image"] = profile_image(profile)
    inherited_network = profile_network(profile)
    if spec.network is None:
        changes["network"] = inherited_network
    elif (
        inherited_network is not None
        and not spec.network.outbound_kinds
        and _same(spec.network.subnet_id, inherited_network.subnet_id)
    ):
        changes["network"] = dataclasses.replace(
            spec.network,
            outbound=inherited_network.outbound,
            public_ip_per_vm=inherited_network.public_ip_per_vm,
            load_balancer_backend_pool_ids=inherited_network.load_balancer_backend_pool_ids,
        )
    if spec.admin_username is None:
        user = dig(profile, "osProfile", "adminUsername")
        changes["admin_username"] = str(user) if user else None
    if not spec.ssh_public_keys and spec.admin_password is None:
        keys = dig(profile, "osProfile", "linuxConfiguration", "ssh", "publicKeys") or []
        changes["ssh_public_keys"] = tuple(str(k.get("keyData")) for k in keys if k.get("keyData"))
    return dataclasses.replace(spec, **changes)
