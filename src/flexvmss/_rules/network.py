"""Rules about the network: NAT pools, load balancer sku, health probes, outbound access and
the networkApiVersion. :func:`reads` names the network resources these rules need read first
(the subnet of a declared NAT gateway, an undeclared load balancer's sku)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flexvmss._rules._engine import Issue, RuleContext, Severity, rule
from flexvmss._rules._sources import sources
from flexvmss._specs import ScaleSetSpec, VmSpec, dig

__all__ = ["KNOWN_NETWORK_API_VERSIONS", "load_balancer_id", "reads"]

KNOWN_NETWORK_API_VERSIONS: frozenset[str] = frozenset({"2020-11-01", "2021-11-01", "2022-11-01"})
"""networkApiVersion values seen accepted (ARM template docs, Terraform, azure-sdk-for-net)."""


def load_balancer_id(backend_pool_id: str) -> str:
    """The load balancer a backend pool id belongs to."""
    return backend_pool_id.split("/backendAddressPools/")[0]


def reads(spec: ScaleSetSpec | VmSpec) -> tuple[str, ...]:
    """The network resources the rules below need read before they run, in the order to read
    them: the subnet when ``outbound="nat_gateway"`` is declared for VMs that will exist (does
    it have a NAT gateway? FLEX012), and the load balancer of the first backend pool when its
    sku is not declared (is it Basic? FLEX006)."""
    network = spec.network
    if network is None:
        return ()
    wanted: list[str] = []
    has_profile = spec.has_vm_profile if isinstance(spec, ScaleSetSpec) else True
    if network.outbound == "nat_gateway" and has_profile:
        wanted.append(network.subnet_id)
    pools = tuple(network.load_balancer_backend_pool_ids or ())
    if pools and network.load_balancer_sku is None:
        wanted.append(load_balancer_id(pools[0]))
    return tuple(wanted)


def _nic_configurations(ctx: RuleContext) -> list[Mapping[str, Any]]:
    return list(dig(ctx.vm_profile, "networkProfile", "networkInterfaceConfigurations") or ())


@rule(
    "FLEX005",
    title="No load balancer NAT pools",
    severity="error",
    status_2021="unsupported (use per-VM NAT rules)",
    status_today="still unsupported; NAT pools retire 2027-09-30, use inbound NAT rules v2",
    source=sources("OM", "NAT"),
)
def nat_pools(ctx: RuleContext) -> Iterator[Issue]:
    for i, nic in enumerate(_nic_configurations(ctx)):
        for j, ip in enumerate(dig(nic, "properties", "ipConfigurations") or ()):
            pools = dig(ip, "properties", "loadBalancerInboundNatPools")
            if pools:
                yield Issue(
                    f"networkInterfaceConfigurations[{i}].ipConfigurations[{j}].loadBalancerInboundNatPools",
                    [p.get("id") for p in pools],
                    "inbound NAT pools are not supported on Flex.",
                    "use inbound NAT rules v2 that target the backend pool instead",
                )


@rule(
    "FLEX006",
    title="No Basic load balancer",
    severity="error",
    status_2021="unsupported",
    status_today="still unsupported; Basic LB retired 2025-09-30",
    source=sources("OM", "BLB"),
)
def basic_load_balancer(ctx: RuleContext) -> Iterator[Issue]:
    network = ctx.spec.network
    if network is None:
        return
    sku: str | None = network.load_balancer_sku
    pools = network.load_balancer_backend_pool_ids
    lb = ctx.facts.resource(load_balancer_id(pools[0])) if sku is None and pools else None
    if lb is not None:
        # inferred: a load balancer whose body names no sku is taken for Basic (the sku of
        # load balancers created without one), which refuses rather than lets a Basic one through
        sku = str(dig(lb, "sku", "name") or "Basic")
    if (sku or "").lower() == "basic":
        yield Issue(
            "network.load_balancer_sku",
            sku,
            "Flex does not support Basic load balancers (retired 2025-09-30).",
            "use a Standard load balancer",
        )


@rule(
    "FLEX011",
    title="Application health via extension, not LB probe",
    severity="error",
    status_2021="LB health probe unsupported",
    status_today="still unsupported: use the Application Health extension",
    source=sources("OM", "UP", "ROLL"),
)
def health_probe(ctx: RuleContext) -> Iterator[Issue]:
    probe = dig(ctx.vm_profile, "networkProfile", "healthProbe")
    if probe:
        yield Issue(
            "networkProfile.healthProbe",
            dig(probe, "id") or probe,
            "Flex does not use load balancer health probes for application health.",
            "use HealthSpec (the Application Health extension) instead",
        )


@rule(
    "FLEX012",
    title="Explicit outbound connectivity",
    severity="error",
    status_2021="required",
    status_today="unchanged for profile VMs; VMs created into a set may still get default outbound on "
    "old VNets, but new VNets default to private subnets after 2026-03-31: an error for both",
    source=sources("NET", "MIG", "SUP-OUT", "DOA"),
)
def outbound(ctx: RuleContext) -> Iterator[Issue]:
    network = ctx.spec.network
    if network is None:
        return
    if network.outbound == "nat_gateway" and ctx.facts.was_read(network.subnet_id):
        subnet = ctx.facts.resource(network.subnet_id)
        if subnet is None or not dig(subnet, "properties", "natGateway"):
            yield Issue(
                "network.outbound",
                "nat_gateway",
                f"subnet {network.subnet_id} "
                + ("does not exist." if subnet is None else "has no NAT gateway attached."),
                "attach a NAT gateway to the subnet, or declare another outbound path "
                "(public_ip_per_vm or a Standard load balancer backend pool)",
                "error",
            )
    if ctx.set_spec is not None and not ctx.has_vm_profile:
        return
    kinds = network.outbound_kinds
    # A set's profile VMs and VMs created into the set are judged alike. Azure may still give a
    # VM created into the set default outbound access on an old VNet ([DOA], flex-rules-now.md
    # row 19), but VNets created after 2026-03-31 default to private subnets, and default
    # outbound is being retired: inferred, an error for both keeps a VM from being created
    # unreachable on real Azure (waive FLEX012 when the subnet has a path Azure gives it).
    severity: Severity = "error"
    if not kinds:
        yield Issue(
            "network.outbound",
            None,
            "Flex VMs have no default outbound access (Azure: OutboundConnectivityNotEnabledOnVM).",
            "declare one: network.outbound='nat_gateway' (subnet has a NAT gateway), "
            "load_balancer_backend_pool_ids (Standard LB with an outbound rule) or public_ip_per_vm=True",
            severity,
        )
    if network.outbound == "load_balancer" and not network.load_balancer_backend_pool_ids:
        yield Issue(
            "network.load_balancer_backend_pool_ids",
            (),
            "outbound='load_balancer' needs a backend pool.",
            "add the Standard load balancer's backend pool id",
        )
    if network.outbound == "public_ip" and not network.public_ip_per_vm:
        yield Issue(
            "network.public_ip_per_vm",
            False,
            "outbound='public_ip' needs a public IP per VM.",
            "set public_ip_per_vm=True",
        )


@rule(
    "FLEX013",
    title="networkApiVersion with NIC configurations",
    severity="error",
    status_2021="not in the 2021 list",
    status_today="required by Azure when networkInterfaceConfigurations are given",
    source=sources("NAV", "MIG"),
)
def network_api_version(ctx: RuleContext) -> Iterator[Issue]:
    network_profile = dig(ctx.vm_profile, "networkProfile") or {}
    if not network_profile.get("networkInterfaceConfigurations"):
        return
    version = network_profile.get("networkApiVersion")
    if not version:
        yield Issue(
            "network.network_api_version",
            None,
            "NIC configurations need networkProfile.networkApiVersion "
            "(NetworkApiVersionMustBeSpecifiedWithNetworkInterfaceConfigurations).",
            "set networkApiVersion to 2020-11-01",
        )
    elif str(version) not in KNOWN_NETWORK_API_VERSIONS:
        yield Issue(
            "network.network_api_version",
            version,
            f"not a known value ({', '.join(sorted(KNOWN_NETWORK_API_VERSIONS))}).",
            "use 2020-11-01 unless you know Azure accepts this one",
            "warning",
        )
