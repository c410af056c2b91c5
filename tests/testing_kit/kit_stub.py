"""A tiny HTTPS "ARM" for recording tests: enough of Azure's wire shape to drive the
stock azure-mgmt clients through an LRO, and to plant every kind of secret the scrubber
must remove. It runs in a thread with its own event loop, so sync and async clients can
both talk to it.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import tempfile
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import trustme
from aiohttp import web

SUBSCRIPTION = "8f1c2a4e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ.c2lnbmF0dXJlLXBhcnQ"
PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
PUBLIC_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host"
SAS_URL = (
    "https://acct.blob.core.windows.net/c/b.vhd?sv=2021-08-06&se=2030-01-01&sr=b&sp=r&sig=Zm9vYmFyc2VjcmV0"
)


class ArmStub:
    """``with ArmStub() as arm:`` serves ``arm.base_url`` (HTTPS, CA in ``arm.ca_file``)."""

    def __init__(self, *, polls_before_done: int = 2) -> None:
        self.polls_before_done = polls_before_done
        self.subscription_id = SUBSCRIPTION
        self.tenant_id = TENANT
        self.hits: Counter[str] = Counter()
        self._ops: dict[str, int] = {}
        self._dir = tempfile.TemporaryDirectory()
        ca = trustme.CA()
        self._cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = str(Path(self._dir.name) / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> ArmStub:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(60)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._dir.cleanup()

    async def _start(self) -> None:
        app = web.Application()
        vmss = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets"
        vm = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}"
        app.router.add_put(vmss + "/{name}", self._put)
        app.router.add_get(vmss + "/{name}", self._get)
        app.router.add_get(vmss, self._list)
        app.router.add_put(vm, self._put_vm)
        app.router.add_get(
            "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/operations/{op}", self._op
        )
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/secrets", self._secrets)
        app.router.add_post("/echo", self._echo)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(ctx)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"https://127.0.0.1:{port}"

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ handlers

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            "x-ms-request-id": str(uuid.uuid4()),
            "x-ms-correlation-request-id": str(uuid.uuid4()),
            "x-ms-routing-request-id": f"WESTEUROPE:20261127T220000Z:{uuid.uuid4()}",
        }
        headers.update(extra or {})
        return headers

    def _resource(self, request: web.Request, state: str) -> dict[str, Any]:
        name = request.match_info["name"]
        return {
            "id": request.path,
            "name": name,
            "type": "Microsoft.Compute/virtualMachineScaleSets",
            "location": "eastus",
            "properties": {"provisioningState": state, "orchestrationMode": "Flexible"},
        }

    async def _put(self, request: web.Request) -> web.Response:
        self.hits["put"] += 1
        op = str(uuid.uuid4())
        self._ops[op] = 0
        poll = (
            f"{self.base_url}/subscriptions/{self.subscription_id}/providers/Microsoft.Compute/locations/eastus"
            f"/operations/{op}?p={uuid.uuid4()}&t=638000000000000000&c=MIIHsecret&s=sig&h=hash"
            "&api-version=2026-04-01"
        )
        return web.json_response(
            self._resource(request, "Creating"),
            status=201,
            headers=self._headers({"Azure-AsyncOperation": poll, "Retry-After": "30"}),
        )

    async def _op(self, request: web.Request) -> web.Response:
        self.hits["poll"] += 1
        op = request.match_info["op"]
        self._ops[op] = self._ops.get(op, 0) + 1
        done = self._ops[op] > self.polls_before_done
        body = {
            "name": op,
            "status": "Succeeded" if done else "InProgress",
            "startTime": "2026-11-27T22:00:00Z",
        }
        return web.json_response(body, headers=self._headers({"Retry-After": "30"}))

    async def _get(self, request: web.Request) -> web.Response:
        self.hits["get"] += 1
        return web.json_response(self._resource(request, "Succeeded"), headers=self._headers())

    async def _list(self, request: web.Request) -> web.Response:
        self.hits["list"] += 1
        return web.json_response({"value": []}, headers=self._headers())

    async def _put_vm(self, request: web.Request) -> web.Response:
        self.hits["put_vm"] += 1
        body = await request.json()
        os_profile = dict(body.get("properties", {}).get("osProfile", {}))
        os_profile.pop("adminPassword", None)  # Azure never returns it; customData comes back
        body.setdefault("properties", {})["osProfile"] = os_profile
        body["properties"]["provisioningState"] = "Succeeded"
        body["id"] = request.path
        return web.json_response(body, status=200, headers=self._headers())

    async def _token(self, request: web.Request) -> web.Response:
        self.hits["token"] += 1
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": JWT})

    async def _echo(self, request: web.Request) -> web.Response:
        self.hits["echo"] += 1
        return web.Response(text=await request.text(), content_type="text/plain", headers=self._headers())

    async def _secrets(self, request: web.Request) -> web.Response:
        self.hits["secrets"] += 1
        body = {
            "id": f"/subscriptions/{self.subscription_id}/resourceGroups/rg",
            "tenantId": self.tenant_id,
            "properties": {
                "osProfile": {
                    "adminPassword": "P@ssw0rd-not-a-real-one",
                    "customData": "I2Nsb3VkLWNvbmZpZw==",
                    "linuxConfiguration": {"ssh": {"publicKeys": [{"keyData": PUBLIC_KEY}]}},
                },
                "userData": "ZWNobyBoZWxsbw==",
                "extensionProfile": {"protectedSettings": {"commandToExecute": "echo secret"}},
                "privateKey": PRIVATE_KEY,
                "diskUri": SAS_URL,
                "token": JWT,
            },
        }
        headers = self._headers(
            {"Set-Cookie": "fpc=secretcookie; path=/", "x-ms-ratelimit-remaining-subscription-reads": "11999"}
        )
        return web.Response(text=json.dumps(body), content_type="application/json", headers=headers)


class JwtCredential:
    """An async credential whose token looks like a real JWT (so scrubbing it is tested)."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(JWT, 4102444800)

    async def close(self) -> None:
        return None


class SyncJwtCredential:
    """The sync twin of :class:`JwtCredential`."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(JWT, 4102444800)

    def close(self) -> None:
        return None
