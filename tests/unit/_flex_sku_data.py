"""Resource SKU test data for the rules, specs and SKU tests.

Two sources: the Azure REST API example files vendored in tests/data/azure-examples (westus:
Standard_A0 cannot run Spot, Standard_A1 can) and a small synthetic catalog of two regions,
``eastus`` (max fault domains 3) and ``westcentralus`` (max 2), with restrictions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "azure-examples"
EXAMPLE_SKU_FILES = sorted(EXAMPLES.glob("*skus*.json"))

SUBNET = (
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
)
LB = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"
POOL = f"{LB}/backendAddressPools/pool"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyOnlyForTests user@example"


def example_sku_items() -> list[dict[str, Any]]:
    """The items of the first example file (ListAvailableResourceSkus, westus)."""
    data = json.loads(EXAMPLE_SKU_FILES[0].read_text())
    return list(data["responses"]["200"]["body"]["value"])


def _caps(**caps: str) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in caps.items()]


def vm_sku(
    name: str,
    *,
    locations: tuple[str, ...] = ("eastus", "westcentralus"),
    zones: tuple[str, ...] = ("1", "2", "3"),
    mpu: str | None = "True",
    spot: str = "True",
    accel: str = "True",
    ephemeral: str = "True",
    restrictions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    caps = {
        "vCPUs": "2",
        "MemoryGB": "8",
        "LowPriorityCapable": spot,
        "AcceleratedNetworkingEnabled": accel,
        "EphemeralOSDiskSupported": ephemeral,
    }
    if mpu is not None:
        caps["MemoryPreservingMaintenanceSupported"] = mpu
    return {
        "resourceType": "virtualMachines",
        "name": name,
        "tier": "Standard",
        "size": name.split("_", 1)[1],
        "family": "standardTestFamily",
        "locations": list(locations),
        "locationInfo": [{"location": loc, "zones": list(zones), "zoneDetails": []} for loc in locations],
        "capabilities": _caps(**caps),
        "restrictions": restrictions or [],
    }


def aligned(location: str, max_fd: int) -> dict[str, Any]:
    return {
        "resourceType": "availabilitySets",
        "name": "Aligned",
        "locations": [location],
        "capabilities": _caps(MaximumPlatformFaultDomainCount=str(max_fd)),
    }


def synthetic_sku_items() -> list[dict[str, Any]]:
    return [
        aligned("eastus", 3),
        aligned("westcentralus", 2),
        vm_sku("Standard_D2s_v5"),
        vm_sku("Standard_D2as_v5"),
        vm_sku("Standard_E4s_v5"),
        vm_sku("Standard_F2s_v2"),
        vm_sku("Standard_B2s"),
        vm_sku("Standard_B1ls"),
        vm_sku("Standard_M8ms", mpu=None),  # capability absent: no memory-preserving updates
        vm_sku("Standard_DC2as_v5", mpu="False"),
        vm_sku("Standard_NC6", zones=("1",), mpu="False", spot="False", accel="False", ephemeral="False"),
        vm_sku(
            "Standard_D4s_v5",
            restrictions=[
                {
                    "type": "Location",
                    "values": ["eastus"],
                    "restrictionInfo": {"locations": ["eastus"], "zones": []},
                    "reasonCode": "NotAvailableForSubscription",
                }
            ],
        ),
        vm_sku(
            "Standard_D8s_v5",
            restrictions=[
                {
                    "type": "Zone",
                    "values": ["eastus"],
                    "restrictionInfo": {"locations": ["eastus"], "zones": ["3"]},
                    "reasonCode": "NotAvailableForSubscription",
                }
            ],
        ),
        vm_sku(
            "Standard_D16s_v5",
            restrictions=[
                {
                    "type": "Location",
                    "values": ["eastus"],
                    "restrictionInfo": {"locations": ["eastus"], "zones": []},
                    "reasonCode": "QuotaId",
                }
            ],
        ),
        vm_sku("Standard_D2s_v3", locations=("northeurope",)),
    ]
