"""An in-process harness for the compute provider: store, manual clock, the compute and
network routers and the built-in SKU catalog, called as the HTTP server calls them."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from flexvmss.emulator.catalog import load_catalog
from flexvmss.emulator.compute import router as compute_router
from flexvmss.emulator.core import (
    ArmError,
    CaseInsensitiveDict,
    Clock,
    Context,
    OperationManager,
    Request,
    Response,
    Router,
    Store,
    arm_id,
)
from flexvmss.emulator.network import router as network_router

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg1"
API = "2026-04-01"
LOC = "eastus"

_ROUTER = Router()
_ROUTER.include(compute_router)
_ROUTER.include(network_router)
_CATALOG = load_catalog()


def cid(collection: str, name: str, *child: str, rg: str = RG) -> str:
    return arm_id(SUB, rg, "Microsoft.Compute", collection, name, *child)


def nid(collection: str, name: str, *child: str, rg: str = RG) -> str:
    return arm_id(SUB, rg, "Microsoft.Network", collection, name, *child)


class Harness:
    def __init__(self, *, page_size: int = 100) -> None:
        clock = Clock(manual=True)
        self.ctx = Context(
            Store(),
            clock,
            OperationManager(clock, random.Random(0)),
            random.Random(0),
            catalog=copy.deepcopy(_CATALOG),
            page_size=page_size,
        )
        self.add_rg(RG)

    def add_rg(self, name: str) -> None:
        self.ctx.store.resource_groups[(SUB.lower(), name.lower())] = {
            "id": f"/subscriptions/{SUB}/resourceGroups/{name}",
            "name": name,
            "location": LOC,
            "properties": {"provisioningState": "Succeeded"},
        }

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> Response:
        """One request; an ArmError comes back as the response the server would send."""
        self.ctx.lro.tick()
        path, _, qs = path.partition("?")
        q = {"api-version": API, **(query or {})}
        if qs:
            from urllib.parse import parse_qsl

            q.update(dict(parse_qsl(qs)))
        found = _ROUTER.match(method, path)
        assert found is not None, f"no route for {method} {path}"
        route, params = found
        req = Request(
            method=method,
            path=path,
            query=CaseInsensitiveDict(q),
            headers=CaseInsensitiveDict(headers or {}),
            body=json.dumps(body).encode() if body is not None else b"",
            params=params,
        )
        try:
            return route.handler(self.ctx, req)
        except ArmError as exc:
            return Response.json(exc.body(), status=exc.status, headers=exc.headers)

    def settle(self, seconds: float = 600.0) -> None:
        self.ctx.clock.advance(seconds)
        self.ctx.lro.tick()

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Response:
        resp = self.call(method, path, body, **kw)
        assert resp.status < 300, (resp.status, resp.body)
        return resp

    def get(self, path: str, **kw: Any) -> dict[str, Any]:
        body: dict[str, Any] = self.ok("GET", path, **kw).body
        return body

    def error(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, str, str]:
        resp = self.call(method, path, body, **kw)
        assert resp.status >= 400, (resp.status, resp.body)
        return resp.status, resp.body["error"]["code"], resp.body["error"]["message"]

    # network fixtures ------------------------------------------------------------
    def subnet(
        self,
        *,
        vnet: str = "v1",
        name: str = "s1",
        default_outbound: bool = True,
        nat_gateway: bool = True,
        rg: str = RG,
        location: str = LOC,
        prefix: str = "10.0.0.0/20",
    ) -> str:
        """A vnet with one subnet; ``default_outbound`` sets ``defaultOutboundAccess`` explicitly;
        ``nat_gateway`` puts a NAT gateway (``<vnet>-nat``) on the subnet, the explicit outbound
        connectivity a Flexible set's profile VMs need."""
        props: dict[str, Any] = {"addressPrefix": prefix, "defaultOutboundAccess": default_outbound}
        if nat_gateway:
            ngw = nid("natGateways", f"{vnet}-nat", rg=rg)
            self.ok("PUT", ngw, {"location": location, "sku": {"name": "Standard"}})
            props["natGateway"] = {"id": ngw}
        self.ok(
            "PUT",
            nid("virtualNetworks", vnet, rg=rg),
            {
                "location": location,
                "properties": {
                    "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                    "subnets": [{"name": name, "properties": props}],
                },
            },
        )
        self.settle(30)
        return nid("virtualNetworks", vnet, "subnets", name, rg=rg)

    def nic(self, name: str, subnet_id: str, *, rg: str = RG, location: str = LOC) -> str:
        self.ok(
            "PUT",
            nid("networkInterfaces", name, rg=rg),
            {
                "location": location,
                "properties": {
                    "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet_id}}}]
                },
            },
        )
        self.settle(30)
        return nid("networkInterfaces", name, rg=rg)


def profile(
    subnet_id: str,
    *,
    nic: str = "nic",
    public_ip: bool = False,
    pools: list[str] | None = None,
    api: str | None = "2020-11-01",
) -> dict[str, Any]:
    """A Linux VM profile with one NIC config on ``subnet_id``."""
    ip_props: dict[str, Any] = {"subnet": {"id": subnet_id}, "primary": True}
    if public_ip:
        ip_props["publicIPAddressConfiguration"] = {"name": "pip", "properties": {"idleTimeoutInMinutes": 10}}
    if pools:
        ip_props["loadBalancerBackendAddressPools"] = [{"id": p} for p in pools]
    network: dict[str, Any] = {
        "networkInterfaceConfigurations": [
            {
                "name": nic,
                "properties": {
                    "primary": True,
                    "ipConfigurations": [{"name": "ipc", "properties": ip_props}],
                },
            }
        ]
    }
    if api:
        network["networkApiVersion"] = api
    return {
        "osProfile": {
            "computerNamePrefix": "web",
            "adminUsername": "azureuser",
            "adminPassword": "S3cret-Passw0rd!",
            "customData": "c2VjcmV0",
        },
        "storageProfile": {
            "imageReference": {
                "publisher": "Canonical",
                "offer": "ubuntu-24_04-lts",
                "sku": "server",
                "version": "latest",
            },
            "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}},
        },
        "networkProfile": network,
    }


def vmss_body(
    subnet_id: str | None = None,
    *,
    capacity: int | None = 2,
    size: str = "Standard_D2s_v5",
    fd: int | None = 1,
    zones: list[str] | None = None,
    **props: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"location": LOC, "properties": {"orchestrationMode": "Flexible", **props}}
    if fd is not None:
        body["properties"]["platformFaultDomainCount"] = fd
    if subnet_id is not None:
        body["properties"]["virtualMachineProfile"] = profile(subnet_id)
        body["sku"] = {"name": size, "capacity": capacity}
    if zones:
        body["zones"] = zones
    return body


def vm_body(
    nic_id: str, *, size: str = "Standard_D2s_v5", vmss_id: str | None = None, **props: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": LOC,
        "properties": {
            "hardwareProfile": {"vmSize": size},
            "osProfile": {
                "computerName": "vm",
                "adminUsername": "azureuser",
                "adminPassword": "S3cret-Passw0rd!",
            },
            "storageProfile": {
                "imageReference": {
                    "publisher": "Canonical",
                    "offer": "ubuntu-24_04-lts",
                    "sku": "server",
                    "version": "latest",
                },
                "osDisk": {"createOption": "FromImage"},
            },
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": True}}]},
            **props,
        },
    }
    if vmss_id:
        body["properties"]["virtualMachineScaleSet"] = {"id": vmss_id}
    return body
