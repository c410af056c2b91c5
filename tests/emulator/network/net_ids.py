"""Ids for the network provider tests."""

from __future__ import annotations

from flexvmss.emulator.core import arm_id

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg1"
API = "2026-03-01"


def rid(collection: str, name: str, *child: str, rg: str = RG) -> str:
    return arm_id(SUB, rg, "Microsoft.Network", collection, name, *child)
