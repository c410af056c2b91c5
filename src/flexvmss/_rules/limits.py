"""Rules about the sizes Azure documents for what a VM carries: custom data and user data.

Both travel base64-encoded in the body; a spec holds them as :class:`~flexvmss.Secret` s, so the
findings name their size, never their content.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from flexvmss._rules._engine import Issue, RuleContext, rule
from flexvmss._rules._sources import sources
from flexvmss._specs import dig

__all__ = ["MAX_CUSTOM_DATA_BYTES", "MAX_USER_DATA_BYTES"]

#: Custom data, decoded: "The maximum length of the binary array is 65535 bytes" ([CDATA]).
MAX_CUSTOM_DATA_BYTES = 65535
#: User data, base64-encoded as sent: "The size can't exceed 64 KB" ([UDATA]); the encoded size is
#: the stricter reading, which keeps a spec safe whichever Azure applies.
MAX_USER_DATA_BYTES = 64 * 1024


def _decoded_size(value: str) -> int:
    try:
        return len(base64.b64decode(value, validate=False))
    except (binascii.Error, ValueError):
        return len(value) * 3 // 4


@rule(
    "FLEX040",
    title="Custom data within 64 KB",
    severity="error",
    status_2021="Azure limit",
    status_today="unchanged: at most 65,535 bytes once decoded",
    source=sources("CDATA"),
)
def custom_data_size(ctx: RuleContext) -> Iterator[Issue]:
    value = dig(ctx.vm_profile, "osProfile", "customData")
    if isinstance(value, str):
        size = _decoded_size(value)
        if size > MAX_CUSTOM_DATA_BYTES:
            yield Issue(
                "custom_data",
                f"<{size} bytes>",
                f"custom data is at most {MAX_CUSTOM_DATA_BYTES:,} bytes once decoded (this is {size:,}).",
                "shorten it, compress it (cloud-init reads gzip), or fetch the rest at boot",
            )


@rule(
    "FLEX041",
    title="User data within 64 KB",
    severity="error",
    status_2021="Azure limit",
    status_today="unchanged: at most 64 KB, base64-encoded",
    source=sources("UDATA"),
)
def user_data_size(ctx: RuleContext) -> Iterator[Issue]:
    value = ctx.vm_profile.get("userData")
    if isinstance(value, str) and len(value) > MAX_USER_DATA_BYTES:
        yield Issue(
            "user_data",
            f"<{len(value)} bytes encoded>",
            f"user data is at most {MAX_USER_DATA_BYTES:,} bytes base64-encoded (this is {len(value):,}).",
            "shorten it, or keep the bulk elsewhere (a storage blob) and put its address in user data",
        )
