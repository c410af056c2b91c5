"""User-facing inputs: what a scale set or a VM should be (:mod:`._model`), and how that
becomes an ARM body (:mod:`._render`)."""

from __future__ import annotations

from flexvmss._specs._inherit import inherit_from_profile
from flexvmss._specs._model import (
    DEFAULT_ADMIN_USERNAME,
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
    "DEFAULT_ADMIN_USERNAME",
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
    "inherit_from_profile",
    "render_scale_set",
    "render_scale_set_body",
    "render_vm",
    "render_vm_body",
]
