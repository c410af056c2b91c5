"""User-facing inputs: what a scale set or a VM should be (:mod:`._model`), spec files read with
limits (:mod:`._load`), bodies checked against azure-mgmt's shapes (:mod:`._shapes`), and how a
spec becomes an ARM body (:mod:`._render`)."""

from __future__ import annotations

from flexvmss._specs._load import load_spec_file, load_spec_text
from flexvmss._specs._model import (
    DEFAULT_NETWORK_API_VERSION,
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
)
from flexvmss._specs._render import (
    default_computer_name_prefix,
    describe_differences,
    dig,
    render_scale_set,
    render_scale_set_body,
    render_vm,
    render_vm_body,
)

__all__ = [
    "DEFAULT_NETWORK_API_VERSION",
    "DataDiskSpec",
    "HealthSpec",
    "IdentitySpec",
    "ImageSpec",
    "NetworkSpec",
    "OsDiskSpec",
    "PriorityMixSpec",
    "ScaleSetSpec",
    "Secret",
    "SkuProfileSpec",
    "SpotSpec",
    "VmSpec",
    "default_computer_name_prefix",
    "describe_differences",
    "dig",
    "load_spec_file",
    "load_spec_text",
    "render_scale_set",
    "render_scale_set_body",
    "render_vm",
    "render_vm_body",
]
