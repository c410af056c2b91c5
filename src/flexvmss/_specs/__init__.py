"""User-facing inputs: what a scale set or a VM should be (:mod:`._model`), spec files read with
limits (:mod:`._load`), bodies checked against azure-mgmt's shapes (:mod:`._shapes`), how a
spec becomes an ARM body (:mod:`._render`), and Azure's limits on tags with the membership tag
flexvmss writes (:mod:`._tags`)."""

from __future__ import annotations

from flexvmss._specs._inherit import inherit_from_profile
from flexvmss._specs._load import load_spec_file, load_spec_text
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
    ResiliencySpec,
    ScaleSetSpec,
    Secret,
    SkuProfileSpec,
    SpotRestoreSpec,
    SpotSpec,
    VmSpec,
    ZonePlacementSpec,
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
from flexvmss._specs._tags import (
    MAX_TAG_NAME,
    MAX_TAG_VALUE,
    MAX_TAGS,
    SET_TAG,
    TAG_NAME_FORBIDDEN,
    is_set_tag,
    set_tag_value,
    tagged_for,
)

__all__ = [
    "DEFAULT_ADMIN_USERNAME",
    "DEFAULT_NETWORK_API_VERSION",
    "MAX_TAGS",
    "MAX_TAG_NAME",
    "MAX_TAG_VALUE",
    "SET_TAG",
    "TAG_NAME_FORBIDDEN",
    "DataDiskSpec",
    "HealthSpec",
    "IdentitySpec",
    "ImageSpec",
    "NetworkSpec",
    "OsDiskSpec",
    "PriorityMixSpec",
    "ResiliencySpec",
    "ScaleSetSpec",
    "Secret",
    "SkuProfileSpec",
    "SpotRestoreSpec",
    "SpotSpec",
    "VmSpec",
    "ZonePlacementSpec",
    "default_computer_name_prefix",
    "describe_differences",
    "dig",
    "inherit_from_profile",
    "is_set_tag",
    "load_spec_file",
    "load_spec_text",
    "render_scale_set",
    "render_scale_set_body",
    "render_vm",
    "render_vm_body",
    "set_tag_value",
    "tagged_for",
]
