"""Leak audit and sweep: the disks, NICs and public IPs that the set's VMs left behind when
someone deleted them (Azure's autoscale scale-in, a Spot eviction with ``Delete``, resilient
delete, zone rebalancing, a user in the portal), and what blocks a teardown.

A VM deleted with ``deleteOption: Detach`` on a disk, NIC or public IP keeps it: Azure clears
the disk's ``managedBy`` and the NIC's ``virtualMachine`` reference and leaves the resource in
the resource group, where it keeps costing and, for a NIC, holds its subnet
(``InUseSubnetCannotBeDeleted``: hashicorp/terraform-provider-azurerm PR #28549 CI log,
gardener/machine-controller-manager#544).

An audit proves ownership before it reports anything as the set's, by one of:

* ``tag``: the resource carries :data:`~flexvmss._specs.SET_TAG` with this set's value
  (flexvmss puts it on what a VM would leave behind before it deletes the VM, and, with
  ``mark=True``, on what every live VM would leave behind whoever deletes it later);
* ``name``: the resource is named as Azure names what this set's profile makes: a disk
  ``<set>_<8 hex>_OsDisk_1_<32 hex>`` or ``..._disk<n>_<32 hex>`` (a profile VM is named
  ``<set>_<8 hex>``: Azure/azure-powershell TestVirtualMachineScaleSetFlexAnyPFDC recording,
  2023-08-31; its disks get Azure's default ``<vm>_OsDisk_1_<32 hex>`` names), a NIC
  ``<nic configuration>-<8 hex>`` on the profile's subnets (a profile VM's NIC is not prefixed
  with the VM's name: kubernetes-sigs/cloud-provider-azure PR #2671; the suffix is inferred)
  when no other set of the resource group has a NIC configuration of that name, and a public
  IP ``<such a NIC>-<ip configuration>-<public IP configuration>`` (inferred).

Only resources that nothing references any more (no ``managedBy``, no ``virtualMachine``, no
``ipConfiguration`` except on a NIC that is itself left over) are leftovers. A detached NIC on
the set's subnets that cannot be proven the set's is reported as a *suspect* that blocks the
subnet's deletion, and is never swept. :func:`sweep` audits again and deletes only what is
proven both in that fresh audit and in the audit the caller confirmed.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flexvmss._errors import AzureOperationError
from flexvmss._scaleset import _teardown
from flexvmss._scaleset._core import ScaleSetCore
from flexvmss._scaleset._values import rg_of, wire
from flexvmss._specs import dig

__all__ = ["AuditResult", "Leftover", "audit", "sweep"]

logger = logging.getLogger("flexvmss")

Kind = Literal["disk", "network interface", "public IP address"]
Proof = Literal["tag", "name"]


@dataclass(frozen=True)
class Leftover:
    """One disk, NIC or public IP that outlived the VM that used it.

    ``proof`` says how it is known to be the set's (``"tag"``: it carries the set's tag;
    ``"name"``: it is named as Azure names what the set's profile makes); None for a suspect,
    which :meth:`~flexvmss.FlexScaleSet.sweep` never deletes. ``blocks_subnet`` is the subnet
    a NIC still holds (its deletion fails with ``InUseSubnetCannotBeDeleted`` until the NIC
    goes); ``reason`` says why it is a leftover, in words."""

    id: str
    name: str
    kind: Kind
    proof: Proof | None
    reason: str
    blocks_subnet: str | None = None

    @property
    def sweepable(self) -> bool:
        """Whether :meth:`~flexvmss.FlexScaleSet.sweep` may delete it (ownership is proven)."""
        return self.proof is not None


@dataclass(frozen=True)
class AuditResult:
    """What :meth:`~flexvmss.FlexScaleSet.audit` found (and :meth:`~flexvmss.FlexScaleSet.sweep`
    deleted).

    ``leftovers`` are proven to be the set's; ``suspects`` are detached NICs on the set's
    subnets that are not (reported because they block the subnet's deletion, never swept);
    ``marked`` lists the resources of live VMs that ``mark=True`` tagged so that whoever
    deletes those VMs later, an audit finds what they leave; ``deleted`` and ``failed`` (id to
    Azure's error) are a sweep's outcome."""

    scale_set: str
    leftovers: tuple[Leftover, ...] = ()
    suspects: tuple[Leftover, ...] = ()
    marked: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)

    @property
    def blockers(self) -> tuple[Leftover, ...]:
        """Leftovers and suspects that hold a subnet (they block its deletion)."""
        return tuple(item for item in (*self.leftovers, *self.suspects) if item.blocks_subnet)

    @property
    def clean(self) -> bool:
        """Nothing left over, nothing suspect."""
        return not self.leftovers and not self.suspects


_HEX8 = "[0-9a-f]{8}"


def _ip_configs(resource: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in dig(resource, "properties", "ipConfigurations") or () if isinstance(c, Mapping)]


def _nic_configs(profile: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    configs = dig(profile or {}, "networkProfile", "networkInterfaceConfigurations") or ()
    return [c for c in configs if isinstance(c, Mapping) and c.get("name")]


class _Owner:
    """What proves a resource to be the set's: its tag, or Azure's names for what its profile
    makes (see the module's docstring)."""

    def __init__(
        self, ss: ScaleSetCore, profile: Mapping[str, Any] | None, other_config_names: set[str]
    ) -> None:
        self.ss = ss
        self.subnets = {
            str(dig(ip, "properties", "subnet", "id") or "").lower()
            for config in _nic_configs(profile)
            for ip in dig(config, "properties", "ipConfigurations") or ()
        } - {""}
        configs = [c for c in _nic_configs(profile) if str(c["name"]).lower() not in other_config_names]
        self.nic_name = (
            re.compile(
                "^(" + "|".join(re.escape(str(c["name"])) for c in configs) + f")-{_HEX8}$", re.IGNORECASE
            )
            if configs
            else None
        )
        self.disk_name = re.compile(
            rf"^{re.escape(ss.name)}_{_HEX8}_(OsDisk_1|disk\d+)_[0-9a-f]{{32}}$", re.IGNORECASE
        )
        self.pip_suffixes = {
            f"-{ip.get('name')}-{dig(ip, 'properties', 'publicIPAddressConfiguration', 'name')}".lower()
            for config in configs
            for ip in dig(config, "properties", "ipConfigurations") or ()
            if isinstance(ip, Mapping) and dig(ip, "properties", "publicIPAddressConfiguration", "name")
        }

    def tagged(self, resource: Mapping[str, Any]) -> bool:
        return self.ss._tagged_for_me(resource.get("tags"))

    def nic(self, nic: Mapping[str, Any]) -> Proof | None:
        if self.tagged(nic):
            return "tag"
        subnets = {str(dig(ip, "properties", "subnet", "id") or "").lower() for ip in _ip_configs(nic)}
        named = self.nic_name is not None and self.nic_name.match(str(nic.get("name") or ""))
        return "name" if named and subnets and subnets <= self.subnets else None

    def disk(self, disk: Mapping[str, Any]) -> Proof | None:
        if self.tagged(disk):
            return "tag"
        return "name" if self.disk_name.match(str(disk.get("name") or "")) else None

    def pip(self, pip: Mapping[str, Any]) -> Proof | None:
        if self.tagged(pip):
            return "tag"
        name = str(pip.get("name") or "").lower()
        for suffix in self.pip_suffixes:
            if (
                name.endswith(suffix)
                and self.nic_name is not None
                and self.nic_name.match(name[: -len(suffix)])
            ):
                return "name"
        return None

    def held_subnet(self, nic: Mapping[str, Any]) -> str | None:
        for ip in _ip_configs(nic):
            subnet = str(dig(ip, "properties", "subnet", "id") or "")
            if subnet.lower() in self.subnets:
                return subnet
        return None


async def _other_config_names(ss: ScaleSetCore) -> set[str]:
    """NIC configuration names of the resource group's other sets: a name two sets share proves
    nothing about either."""
    compute = ss._arm().compute
    sets = await ss._list(
        f"list scale sets in {ss.resource_group}",
        compute.virtual_machine_scale_sets.list(ss.resource_group),
    )
    names: set[str] = set()
    for item in sets:
        body = wire(item)
        if str(body.get("name") or "").lower() == ss.name.lower():
            continue
        for config in _nic_configs(dig(body, "properties", "virtualMachineProfile")):
            names.add(str(config["name"]).lower())
    return names


async def audit(ss: ScaleSetCore, *, mark: bool) -> AuditResult:
    """Find what the set's deleted VMs left behind (see :meth:`FlexScaleSet.audit`)."""
    raw = await ss._get_raw()
    profile = dig(raw or {}, "properties", "virtualMachineProfile")
    marked: list[str] = []
    if raw is not None and mark:
        vms = await ss._read_vms()
        if vms:
            marked = await _teardown._mark_leftovers(ss, vms)
    others = await _other_config_names(ss) if profile else set()
    owner = _Owner(ss, profile, others)
    disks, nics, pips = await _teardown._rg_resources(ss)

    leftovers: list[Leftover] = []
    suspects: list[Leftover] = []
    leftover_nics: set[str] = set()
    for nic in nics:
        if dig(nic, "properties", "virtualMachine", "id"):
            continue
        proof = owner.nic(nic)
        subnet = owner.held_subnet(nic)
        if proof is None and subnet is None:
            continue
        item = Leftover(
            id=str(nic["id"]),
            name=str(nic["name"]),
            kind="network interface",
            proof=proof,
            reason="attached to no VM"
            + (" and holds a subnet of the set" if subnet else "")
            + (
                ""
                if proof
                else "; not proven to be the set's (no set tag, not named as its profile names NICs)"
            ),
            blocks_subnet=subnet,
        )
        if proof is None:
            suspects.append(item)
        else:
            leftovers.append(item)
            leftover_nics.add(item.id.lower())
    for disk in disks:
        if disk.get("managedBy") or str(dig(disk, "properties", "diskState") or "").lower() == "attached":
            continue
        proof = owner.disk(disk)
        if proof is not None:
            leftovers.append(
                Leftover(
                    str(disk["id"]), str(disk["name"]), "disk", proof, "attached to no VM (no managedBy)"
                )
            )
    for pip in pips:
        holder = str(dig(pip, "properties", "ipConfiguration", "id") or "")
        nic_id = holder.split("/ipConfigurations/")[0].lower() if holder else ""
        if holder and nic_id not in leftover_nics:
            continue
        proof = owner.pip(pip)
        if proof is None and holder:
            proof = next((i.proof for i in leftovers if i.id.lower() == nic_id), None)
        if proof is not None:
            reason = "on a left-over NIC" if holder else "associated with no NIC"
            leftovers.append(Leftover(str(pip["id"]), str(pip["name"]), "public IP address", proof, reason))
    return AuditResult(
        scale_set=ss.name, leftovers=tuple(leftovers), suspects=tuple(suspects), marked=tuple(marked)
    )


#: The order a sweep deletes in: a public IP cannot go while a NIC holds it.
_SWEEP_ORDER: Sequence[Kind] = ("network interface", "public IP address", "disk")


async def sweep(ss: ScaleSetCore, confirmed: AuditResult | None) -> AuditResult:
    """Audit again, then delete what is proven the set's both now and in ``confirmed`` (the
    audit the caller showed and confirmed; None: the fresh audit's leftovers). NICs first
    (waiting out Azure's NIC reservation after a VM deletion), then public IPs, then disks."""
    fresh = await audit(ss, mark=False)
    allowed = (
        {item.id.lower() for item in confirmed.leftovers if item.sweepable} if confirmed is not None else None
    )
    chosen = [i for i in fresh.leftovers if i.sweepable and (allowed is None or i.id.lower() in allowed)]
    compute, network = ss._arm().compute, ss._arm().network
    operations = {
        "network interface": network.network_interfaces,
        "public IP address": network.public_ip_addresses,
        "disk": compute.disks,
    }
    deleted: list[str] = []
    failed: dict[str, str] = {}

    async def delete_one(item: Leftover) -> None:
        begin = functools.partial(operations[item.kind].begin_delete, rg_of(item.id), item.name)
        try:
            await _teardown._delete_retrying_reservation(ss, f"delete {item.kind} {item.name}", begin)
        except AzureOperationError as exc:
            failed[item.id] = f"{exc.code}: {exc.azure_message or exc.message}"
            return
        deleted.append(item.id)

    for kind in _SWEEP_ORDER:
        await _teardown._bounded(
            [delete_one(item) for item in chosen if item.kind == kind], _teardown.CLEANUP_CONCURRENCY
        )
    return AuditResult(
        scale_set=ss.name,
        leftovers=fresh.leftovers,
        suspects=fresh.suspects,
        deleted=tuple(deleted),
        failed=failed,
    )
