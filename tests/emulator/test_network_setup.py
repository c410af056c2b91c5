"""Emulator.create_network: the one-call network a Flex profile set needs."""

from __future__ import annotations


def test_create_network_gives_a_nat_subnet_and_a_plain_one_and_is_idempotent(flexvmss_emulator):
    emu = flexvmss_emulator
    net = emu.create_network("rg-net", "westeurope")
    again = emu.create_network("rg-net", "westeurope")
    assert again == net

    c = emu.clients()
    try:
        vnet = c.network.virtual_networks.get("rg-net", "flex-vnet")
        subnets = {s.name: s for s in vnet.subnets}
        assert subnets["vms"].id == net.subnet_id
        assert subnets["vms"].nat_gateway.id == net.nat_gateway_id
        assert subnets["plain"].nat_gateway is None
        nat = c.network.nat_gateways.get("rg-net", "flex-nat")
        assert [p.id for p in nat.public_ip_addresses] == [net.nat_public_ip_id]
    finally:
        c.close()
    kinds = sorted(r["type"] for r in emu.inventory()["resources"])
    assert kinds.count("Microsoft.Network/virtualNetworks") == 1
