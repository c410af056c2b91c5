"""Spec options shared by ``create``, ``plan`` and ``add-vm``.

A spec comes from ``--spec FILE`` (YAML or JSON, the fields of
:class:`flexvmss.ScaleSetSpec` / :class:`flexvmss.VmSpec`), from flags, or both: flags given
on the command line override the file's fields. Either way the mapping goes through the
library's ``from_mapping``, so the file format and the flags cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from flexvmss.cli._options import load_spec_file, parse_key_values

__all__ = [
    "build_scale_set_spec",
    "build_vm_spec",
    "common_vm_options",
    "scale_set_options",
    "set_only_keys",
    "vm_mapping_from_set_spec",
]

F = TypeVar("F", bound=Callable[..., Any])

OUTBOUND_CHOICES = ("nat_gateway", "load_balancer", "public_ip")


def _compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(f: F) -> F:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return apply


def common_vm_options(f: F) -> F:
    """Flags shared by scale set profiles and single VMs."""
    return _compose(
        click.option(
            "--spec",
            "spec_file",
            type=click.Path(exists=True, dir_okay=False),
            help="YAML or JSON spec file; flags override its fields.",
        ),
        click.option("--vm-size", help="VM size, e.g. Standard_D2s_v5."),
        click.option(
            "--image", metavar="URN|ID", help="Image URN (publisher:offer:sku:version) or image id."
        ),
        click.option("--subnet", "subnet_id", metavar="ID", help="Subnet resource id for the NICs."),
        click.option(
            "--outbound",
            type=click.Choice(OUTBOUND_CHOICES),
            help="How the VMs reach the internet (Flex has no default outbound access).",
        ),
        click.option("--public-ip-per-vm", is_flag=True, default=None, help="Give every VM a public IP."),
        click.option("--admin-username", help="Administrator user name."),
        click.option(
            "--ssh-key-file",
            type=click.Path(exists=True, dir_okay=False),
            help="SSH *public* key file to authorise.",
        ),
        click.option(
            "--priority",
            type=click.Choice(("Regular", "Spot"), case_sensitive=False),
            help="Regular or Spot.",
        ),
        click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag (repeat)."),
    )(f)


def scale_set_options(f: F) -> F:
    """``create``/``plan`` flags: the VM profile plus the set's own settings."""
    return _compose(
        common_vm_options,
        click.option("--location", "-l", help="Azure region, e.g. eastus."),
        click.option("--capacity", type=click.IntRange(min=0), help="Number of VMs from the profile."),
        click.option("--zones", metavar="Z[,Z...]", help="Availability zones, e.g. 1,2,3."),
        click.option(
            "--fault-domains",
            "platform_fault_domain_count",
            type=click.IntRange(min=1),
            help="Platform fault domain count (1 = max spreading; zonal sets need 1).",
        ),
        click.option("--waive", multiple=True, metavar="RULE", help="Waive a Flex rule by id (repeat)."),
    )(f)


def _network_and_image(mapping: dict[str, Any], flags: dict[str, Any]) -> None:
    if flags.get("image"):
        mapping["image"] = flags["image"]
    network = dict(mapping.get("network") or {})
    if flags.get("subnet_id"):
        network["subnet_id"] = flags["subnet_id"]
    if flags.get("outbound"):
        network["outbound"] = flags["outbound"]
    if flags.get("public_ip_per_vm"):
        network["public_ip_per_vm"] = True
    if network:
        mapping["network"] = network


#: Largest ``--ssh-key-file`` read: an SSH public key is under 1 KB (RSA 4096: ~750 bytes).
MAX_KEY_FILE_BYTES = 16 * 1024


def _read_public_key(path: str) -> str:
    """The text of ``--ssh-key-file``, read with a size cap (the spec refuses a private key)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {path}: {exc.strerror or exc}", param_hint="--ssh-key-file"
        ) from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise click.BadParameter(
            f"{path} is larger than an SSH public key; pass the .pub file.", param_hint="--ssh-key-file"
        )
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise click.BadParameter(
            f"{path} is not a text file; pass the .pub file.", param_hint="--ssh-key-file"
        ) from None


def _common_fields(mapping: dict[str, Any], flags: dict[str, Any]) -> None:
    for key in ("location", "vm_size", "admin_username", "priority"):
        if flags.get(key) is not None:
            mapping[key] = flags[key]
    if flags.get("ssh_key_file"):
        mapping["ssh_public_keys"] = [_read_public_key(flags["ssh_key_file"])]
    if flags.get("tags"):
        mapping["tags"] = {**(mapping.get("tags") or {}), **parse_key_values(flags["tags"], option="--tag")}
    _network_and_image(mapping, flags)


def build_scale_set_spec(flags: dict[str, Any]) -> Any:
    """A :class:`flexvmss.ScaleSetSpec` from ``--spec`` and the flags."""
    from flexvmss import ScaleSetSpec

    mapping = load_spec_file(flags["spec_file"]) if flags.get("spec_file") else {}
    _common_fields(mapping, flags)
    if flags.get("capacity") is not None:
        mapping["capacity"] = flags["capacity"]
    if flags.get("platform_fault_domain_count") is not None:
        mapping["platform_fault_domain_count"] = flags["platform_fault_domain_count"]
    if flags.get("zones"):
        mapping["zones"] = [z.strip() for z in flags["zones"].split(",") if z.strip()]
    if "location" not in mapping:
        raise click.UsageError("A location is needed: pass --location or set it in --spec.")
    return ScaleSetSpec.from_mapping(mapping)


def set_only_keys() -> frozenset[str]:
    """Keys of a scale set's spec that a VM spec does not have (``location``, ``capacity``,
    ``zones``...): a VM takes them from its set."""
    import dataclasses

    from flexvmss import ScaleSetSpec, VmSpec

    vm_keys = {f.name for f in dataclasses.fields(VmSpec)}
    return frozenset(f.name for f in dataclasses.fields(ScaleSetSpec) if f.name not in vm_keys)


def vm_mapping_from_set_spec(mapping: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A set's spec file reused for one of its VMs: the set-only keys go (the VM is created
    into the set, which has them), and so do ``raw`` and ``extra_properties``, which hold a
    *set's* body and would be wrong in a VM's. Returns the VM's mapping and the keys left out;
    a VM spec file (no set-only key) comes back unchanged."""
    set_keys = set_only_keys()
    if set_keys.isdisjoint(mapping):
        return mapping, []
    dropped = sorted(k for k in mapping if k in set_keys or k in ("raw", "extra_properties"))
    return {k: v for k, v in mapping.items() if k not in dropped}, dropped


def build_vm_spec(vm_name: str | None, flags: dict[str, Any], *, notes: list[str] | None = None) -> Any:
    """A :class:`flexvmss.VmSpec` from ``--spec`` and the flags (VM_NAME overrides ``name``).

    ``--spec`` may be a VM's spec file or its set's: the set's own keys are left out (and
    named in ``notes``); what the VM spec leaves unset comes from the set's profile."""
    from flexvmss import VmSpec

    mapping = load_spec_file(flags["spec_file"]) if flags.get("spec_file") else {}
    mapping, dropped = vm_mapping_from_set_spec(mapping)
    if dropped and notes is not None:
        notes.append(
            f"{flags['spec_file']} is a scale set's spec: a VM takes {', '.join(dropped)} from its set."
        )
    if vm_name:
        mapping["name"] = vm_name
    if flags.get("zone") is not None:
        mapping["zone"] = flags["zone"]
    if flags.get("platform_fault_domain") is not None:
        mapping["platform_fault_domain"] = flags["platform_fault_domain"]
    _common_fields(mapping, flags)
    if "name" not in mapping:
        raise click.UsageError("A VM name is needed: pass VM_NAME or set name in --spec.")
    return VmSpec.from_mapping(mapping)
