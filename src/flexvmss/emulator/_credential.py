"""Credentials for the emulator: a static, JWT-shaped token that holds no secret.

The emulator only checks that a ``Bearer`` token is sent, so any credential works; these
save users from configuring a real one. The token's claims name the emulator's tenant and
say what it is; its signature part is the literal ``emulator``.
"""

from __future__ import annotations

import base64
import json
import time
from types import TracebackType
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo

__all__ = ["AsyncEmulatorCredential", "EmulatorCredential", "fake_token"]

#: Lifetime of issued tokens (seconds).
_LIFETIME = 3600


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def fake_token(tenant_id: str, expires_on: int) -> str:
    """A JWT-looking token for the emulator. Not signed; holds no secret."""
    header = {"alg": "none", "typ": "JWT"}
    claims = {
        "aud": "https://management.azure.com/",
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "tid": tenant_id,
        "oid": "11111111-2222-4333-8444-555555555555",
        "appid": "flexvmss-emulator",
        "exp": expires_on,
    }
    return f"{_b64(header)}.{_b64(claims)}.emulator"


class EmulatorCredential:
    """A synchronous ``TokenCredential`` (and ``SupportsTokenInfo``) for the emulator."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def __repr__(self) -> str:
        return f"EmulatorCredential(tenant_id={self.tenant_id!r})"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        expires_on = int(time.time()) + _LIFETIME
        return AccessToken(fake_token(self.tenant_id, expires_on), expires_on)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        expires_on = int(time.time()) + _LIFETIME
        return AccessTokenInfo(fake_token(self.tenant_id, expires_on), expires_on)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> EmulatorCredential:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncEmulatorCredential:
    """An ``AsyncTokenCredential`` (and ``AsyncSupportsTokenInfo``) for the emulator."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def __repr__(self) -> str:
        return f"AsyncEmulatorCredential(tenant_id={self.tenant_id!r})"

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        expires_on = int(time.time()) + _LIFETIME
        return AccessToken(fake_token(self.tenant_id, expires_on), expires_on)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        expires_on = int(time.time()) + _LIFETIME
        return AccessTokenInfo(fake_token(self.tenant_id, expires_on), expires_on)

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> AsyncEmulatorCredential:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
