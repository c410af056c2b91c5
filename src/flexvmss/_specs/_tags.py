"""Tags: Azure's limits on them, and the membership tag flexvmss writes for a scale set.

Azure's limits (Microsoft Learn, "Use tags to organize your Azure resources", section
Limitations, ``azure-resource-manager/management/tag-resources``): at most 50 tag name-value
pairs per resource; a tag name at most 512 characters, a value at most 256; a name never holds
``<``, ``>``, ``%``, ``&``, ``\\``, ``?`` or ``/``. ARM refuses a longer value with
``InvalidTagValueLength`` ("Tag value too large ... Maximum allowed length for tag value -
'256' characters", a real answer quoted in Azure-Samples/azure-search-openai-demo#1997) and such
a name with ``InvalidTagNameCharacters`` (quoted in MicrosoftDocs' ``az storage account update``
tag examples).

:data:`SET_TAG` marks what flexvmss creates for a set, and what a set's VMs would leave behind
when deleted. Its value (:func:`set_tag_value`) is the set's name and a hash of its resource
group and name: short enough for any address (a set id with a 90-character resource group and a 64-character
name is about 274 characters, past Azure's 256), the same on every run (reruns converge), and
different for every set. Earlier versions wrote the set's full resource id as the value; such
tags still count as the set's (:func:`is_set_tag`), so a teardown finds what they tagged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

__all__ = [
    "MAX_TAGS",
    "MAX_TAG_NAME",
    "MAX_TAG_VALUE",
    "SET_TAG",
    "TAG_NAME_FORBIDDEN",
    "is_set_tag",
    "set_tag_value",
    "tagged_for",
]

#: Tag name-value pairs on one resource.
MAX_TAGS = 50
#: Characters in a tag name (storage accounts allow 128; flexvmss tags none).
MAX_TAG_NAME = 512
#: Characters in a tag value.
MAX_TAG_VALUE = 256
#: What a tag name may not hold: Azure's reserved characters, and control characters
#: (ARM's message names both).
TAG_NAME_FORBIDDEN = re.compile(r"[<>%&\\?/\x00-\x1f\x7f]")

#: The name of the tag flexvmss puts on what it creates for a set (VMs) and on what a set's
#: VMs would leave behind (disks, NICs and public IPs whose deleteOption is not Delete).
#: Teardown deletes exactly the resources that carry it with the set's value.
SET_TAG = "flexvmss-set"

#: Hex digits of the id's SHA-256 in the tag value: 64 bits, so two sets of one name never
#: share a value by chance.
_HASH_DIGITS = 16


def set_tag_value(scale_set_id: str) -> str:
    """The :data:`SET_TAG` value for the set ``scale_set_id``: ``<name>-<16 hex digits>``, the
    digits a hash of its resource group and name.

    Names are case-insensitive in ARM, so the hash is of the lower-cased ``<group>/<name>``: the
    same set always gets the same value (at most 81 characters: a 64-character name, '-', 16
    digits). The subscription is left out: flexvmss tags and sweeps only what the set's own
    resource group lists, and a value without it stays the same in recordings whose
    subscription id is scrubbed."""
    parts = scale_set_id.strip("/").split("/")
    lowered = [part.lower() for part in parts]
    group = parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered[:-1] else ""
    name = parts[-1]
    digest = hashlib.sha256(f"{group}/{name}".lower().encode("utf-8")).hexdigest()[:_HASH_DIGITS]
    return f"{name}-{digest}"


def is_set_tag(value: object, scale_set_id: str) -> bool:
    """Whether a :data:`SET_TAG` value names the set ``scale_set_id``: today's value, or the
    full resource id earlier versions wrote (compared case-insensitively, as ARM ids are)."""
    if not isinstance(value, str):
        return False
    return value == set_tag_value(scale_set_id) or value.lower() == scale_set_id.lower()


def tagged_for(tags: Mapping[str, object] | None, scale_set_id: str) -> bool:
    """Whether ``tags`` (a resource's) carry :data:`SET_TAG` for the set ``scale_set_id``.
    Tag names are case-insensitive in Azure, so any spelling of the name counts."""
    for name, value in (tags or {}).items():
        if name.lower() == SET_TAG and is_set_tag(value, scale_set_id):
            return True
    return False
