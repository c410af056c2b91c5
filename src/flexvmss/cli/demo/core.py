"""The Flex lifecycle demo, as library code.

``flexvmss demo`` runs :func:`run_demo` against an emulator it starts (or, with
``--against-azure``, a real subscription); tests run it with small numbers. The scenario:

1. check specs locally: a bad spec is refused with every finding, and nothing is sent;
2. create a resource group, a virtual network and a NAT gateway for outbound access;
3. create a zonal Flex scale set (zones 1-3, fault domain count 1) with VMs from a profile;
4. attach heterogeneous VMs (other sizes, a Spot one, spread over zones);
5. list them;
6. deallocate them all (under the emulator's Azure throttling model);
7. start half of them;
8. tear it all down in order and prove nothing is left;
9. summarise requests by class, 429s and time.

Everything about the scale set goes through :class:`flexvmss.aio.FlexScaleSet`, as a user's
code would; what the library does not do (the network the set runs in, the final inventory of
the resource group) is done with azure-mgmt's own clients. The demo talks to the emulator only
over HTTPS; the few emulator-only extras (switching its throttling model, reading its inventory
and counters) come through the :class:`EmulatorAdmin` the caller passes.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from flexvmss import ImageSpec, NetworkSpec, Outcome, ScaleSetSpec, ThrottleConfig, VmSpec
from flexvmss.aio import FlexScaleSet
from flexvmss.cli._render import FINDING_COLUMNS, VM_COLUMNS, finding_rows, vm_rows
from flexvmss.cli._stock import NatNetwork, StockClients

__all__ = [
    "DEMO_SSH_PUBLIC_KEY",
    "DemoConfig",
    "DemoReporter",
    "DemoSummary",
    "DemoTarget",
    "EmulatorAdmin",
    "run_demo",
]

#: An SSH *public* key for the demo VMs (public keys are not secrets; no private key exists).
DEMO_SSH_PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICEH2JLy4VWrgBfyXBh37AX+c6p/M9qCzne0u3mcgd2k flexvmss-demo"
)

IMAGE_URN = "Canonical:ubuntu-24_04-lts:server:latest"

Priority = Literal["Regular", "Spot"]

#: The VMs attached after creation: (name suffix, size, zone, priority).
EXTRA_VMS: tuple[tuple[str, str, str, Priority], ...] = (
    ("big", "Standard_D4s_v5", "1", "Regular"),
    ("mem", "Standard_E2s_v5", "2", "Regular"),
    ("cpu", "Standard_F2s_v2", "3", "Regular"),
    ("amd", "Standard_D2as_v5", "1", "Regular"),
    ("spot", "Standard_D2s_v5", "2", "Spot"),
)

#: At most this many VMs are shown in the listing step (the rest are counted).
SHOWN_VMS = 30

#: Resource types counted as "left behind" after the teardown.
LEFTOVER_TYPES = (
    "microsoft.compute/virtualmachines",
    "microsoft.compute/virtualmachinescalesets",
    "microsoft.compute/disks",
    "microsoft.network/networkinterfaces",
    "microsoft.network/publicipaddresses",
)


class EmulatorAdmin(Protocol):
    """What the demo uses of a running :class:`flexvmss.emulator.Emulator` (its Python admin API)."""

    def counters(self) -> Mapping[str, Any]: ...

    def inventory(self) -> Mapping[str, Any]: ...

    def set_throttle(self, mode: str | None) -> None: ...


class DemoReporter(Protocol):
    """Where the demo reports progress (the CLI renders it with rich; tests collect it)."""

    def step(self, number: int, title: str) -> None: ...

    def info(self, text: str) -> None: ...

    def success(self, text: str) -> None: ...

    def table(
        self, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
    ) -> None: ...

    def progress(
        self, label: str, total: int
    ) -> contextlib.AbstractContextManager[Callable[[Any], None]]: ...


@dataclass(frozen=True)
class DemoTarget:
    """Where the demo runs: the endpoint, the credential, and the emulator's admin API if any."""

    subscription_id: str
    credential: Any = None
    base_url: str | None = None
    connection_verify: str | bool | None = None
    admin: EmulatorAdmin | None = None
    #: The emulator's clock, real seconds per emulated second (1 against Azure): the summary's
    #: emulated time, and the library's waits (polls, settling), which pass that much faster.
    time_scale: float = 1.0


@dataclass(frozen=True)
class DemoConfig:
    """The scenario's sizes and names."""

    vms: int = 20
    location: str = "eastus"
    vm_size: str = "Standard_D2s_v5"
    resource_group: str = field(default_factory=lambda: f"flexvmss-demo-{uuid.uuid4().hex[:6]}")
    scale_set: str = "demo-flex"
    extra_vms: tuple[tuple[str, str, str, Priority], ...] = EXTRA_VMS


@dataclass
class DemoSummary:
    """What the demo did, for the last table and for tests."""

    vm_count: int = 0
    refused_findings: list[Any] = field(default_factory=list)
    deallocated: int = 0
    started: int = 0
    failed: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    real_seconds: float = 0.0
    emulated_seconds: float | None = None


# --------------------------------------------------------------------------- helpers


def _bad_spec(config: DemoConfig) -> ScaleSetSpec:
    """A spec Azure would refuse for several reasons at once."""
    return ScaleSetSpec(
        location=config.location,
        vm_size="Standard_B1ls",
        capacity=1200,
        zones=("1", "2", "3"),
        platform_fault_domain_count=3,
        image=ImageSpec.from_urn(IMAGE_URN),
        network=None,
        ssh_public_keys=(DEMO_SSH_PUBLIC_KEY,),
    )


def _good_spec(config: DemoConfig, subnet_id: str) -> ScaleSetSpec:
    return ScaleSetSpec(
        location=config.location,
        vm_size=config.vm_size,
        capacity=config.vms,
        zones=("1", "2", "3"),
        platform_fault_domain_count=1,
        image=ImageSpec.from_urn(IMAGE_URN),
        network=NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        ssh_public_keys=(DEMO_SSH_PUBLIC_KEY,),
        tags={"purpose": "flexvmss-demo"},
    )


def _extra_vm_specs(config: DemoConfig, subnet_id: str) -> list[VmSpec]:
    specs = []
    for suffix, size, zone, priority in config.extra_vms:
        specs.append(
            VmSpec(
                name=f"{config.scale_set}-{suffix}",
                vm_size=size,
                zone=zone,
                priority=priority,
                image=ImageSpec.from_urn(IMAGE_URN),
                network=NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
                ssh_public_keys=(DEMO_SSH_PUBLIC_KEY,),
            )
        )
    return specs


def _count(counters: Mapping[str, Any]) -> tuple[dict[str, int], int]:
    """Requests by class and the 429 total from the emulator's counters."""
    by_class = counters.get("by_op_class") or {}
    throttled = counters.get("throttled") or {}
    total = throttled.get("total", 0) if isinstance(throttled, Mapping) else throttled
    return {str(k): int(v) for k, v in by_class.items()}, int(total or 0)


def _unsuccessful(batch: Any) -> list[str]:
    """VMs of a batch that neither succeeded nor were skipped (failed, not started, cancelled)."""
    return [
        name for name, r in batch.results.items() if r.outcome not in (Outcome.SUCCEEDED, Outcome.SKIPPED)
    ]


def _diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def _inventory_ids(inventory: Mapping[str, Any], resource_group: str) -> list[str]:
    """Ids of VMs, sets, disks, NICs and public IPs still in ``resource_group``."""
    resources = inventory.get("resources") or []
    marker = f"/resourcegroups/{resource_group.lower()}/"
    out = []
    for res in resources:
        rid = str(res.get("id", ""))
        rtype = str(res.get("type", "")).lower()
        if marker in rid.lower() and rtype in LEFTOVER_TYPES:
            out.append(rid)
    return out


@contextlib.contextmanager
def _timer() -> Iterator[list[float]]:
    box = [time.monotonic()]
    yield box
    box[0] = time.monotonic() - box[0]


# --------------------------------------------------------------------------- the scenario


async def run_demo(
    target: DemoTarget, reporter: DemoReporter, config: DemoConfig | None = None
) -> DemoSummary:
    """Run the whole lifecycle and return its summary.

    Whatever happens, the teardown (step 8) runs for what was created. If a step fails, the
    teardown is attempted and the step's error is raised, not the teardown's.
    """
    config = config or DemoConfig()
    summary = DemoSummary()
    admin = target.admin
    started = time.monotonic()
    before = _count(admin.counters()) if admin else ({}, 0)

    credential, owns_credential = _credential(target.credential)
    ss = FlexScaleSet(
        target.subscription_id,
        config.resource_group,
        config.scale_set,
        credential=credential,
        base_url=target.base_url,
        connection_verify=target.connection_verify,
        throttle=ThrottleConfig(time_scale=target.time_scale) if target.time_scale != 1.0 else None,
    )
    stock = _stock_clients(target, credential)
    network = _Network(stock, target.subscription_id, config.resource_group, config.location)
    try:
        try:
            await _lifecycle(ss, network, admin, reporter, config, summary)
        except BaseException:
            with contextlib.suppress(Exception):
                await _teardown(ss, network, admin, stock, reporter, config, summary)
            raise
        await _teardown(ss, network, admin, stock, reporter, config, summary)
        library_requests = dict(ss.requests)
    finally:
        await ss.close()
        await stock.close()
        if owns_credential:
            await credential.close()

    # 9 ------------------------------------------------------------------------------
    summary.real_seconds = time.monotonic() - started
    if target.time_scale and target.time_scale != 1.0:
        summary.emulated_seconds = summary.real_seconds / target.time_scale
    if admin:
        # the emulator saw every request, whoever sent it: its counters are the ground truth
        after = _count(admin.counters())
        summary.requests = _diff(after[0], before[0])
        summary.throttled = after[1] - before[1]
    else:
        # no emulator to count for us: what flexvmss itself sent (the network calls are not in it)
        summary.requests = {k: v for k, v in library_requests.items() if v}
    reporter.step(9, "Summary")
    rows: list[tuple[str, Any]] = [(f"requests: {k}", v) for k, v in sorted(summary.requests.items())]
    rows += [
        ("requests: total", sum(summary.requests.values())),
        ("429 responses", summary.throttled),
        ("VMs (profile + attached)", summary.vm_count),
        ("deallocated / started", f"{summary.deallocated} / {summary.started}"),
        ("failed VMs", len(summary.failed)),
        ("left behind", len(summary.leftovers)),
        ("time (real seconds)", f"{summary.real_seconds:.1f}"),
    ]
    if summary.emulated_seconds is not None:
        rows.append(("time (emulated seconds)", f"{summary.emulated_seconds:.0f}"))
    reporter.table(("", "value"), rows, title="flexvmss demo")
    return summary


async def _lifecycle(
    ss: FlexScaleSet,
    network: _Network,
    admin: EmulatorAdmin | None,
    reporter: DemoReporter,
    config: DemoConfig,
    summary: DemoSummary,
) -> None:
    """Steps 1 to 7."""
    rg = config.resource_group
    # 1 --------------------------------------------------------------------------
    reporter.step(1, f"Check specs locally against the Flex rules and the {config.location} SKU catalog")
    counted = _count(admin.counters())[0] if admin else {}
    findings = list(await ss.plan_create(_bad_spec(config)))
    summary.refused_findings = findings
    title = "A bad spec, refused before anything is sent"
    reporter.table(FINDING_COLUMNS, finding_rows(findings), title=title)
    if admin:
        sent = _diff(_count(admin.counters())[0], counted)
        writes = sum(v for k, v in sent.items() if k in ("write", "delete", "action"))
        reporter.info(f"requests for the check: {sent or 'none'} ({writes} writes: nothing was created)")

    # 2 --------------------------------------------------------------------------
    reporter.step(2, f"Create resource group {rg}, a virtual network and a NAT gateway for outbound access")
    subnet_id = await network.create()
    reporter.success(f"subnet {subnet_id.rsplit('/', 1)[-1]} reaches the internet through {network.nat_name}")

    # 3 --------------------------------------------------------------------------
    reporter.step(
        3, f"Create Flex scale set {config.scale_set}: zones 1-3, fault domain count 1, {config.vms} VMs"
    )
    spec = _good_spec(config, subnet_id)
    for finding in await ss.plan_create(spec):
        reporter.info(f"{finding.severity} {finding.rule_id}: {finding.message}")
    with _timer() as took:
        await ss.create(spec)
    reporter.success(f"created in {took[0]:.1f} s (real)")

    # 4 --------------------------------------------------------------------------
    reporter.step(4, f"Attach {len(config.extra_vms)} heterogeneous VMs (other sizes, a Spot VM, zones 1-3)")
    extras = _extra_vm_specs(config, subnet_id)
    with reporter.progress("attaching", len(extras)) as on_event:
        batch = await ss.add_vms(extras, on_event=on_event)
    summary.throttled += batch.throttled
    summary.failed += _unsuccessful(batch)

    # 5 --------------------------------------------------------------------------
    reporter.step(5, "List the set's VMs (one filtered list request per page)")
    vms = sorted(await ss.vms(instance_view=True), key=lambda vm: vm.name)
    summary.vm_count = len(vms)
    rows = vm_rows(vms[:SHOWN_VMS])
    if len(vms) > SHOWN_VMS:
        rows.append((f"... {len(vms) - SHOWN_VMS} more", *[""] * (len(VM_COLUMNS) - 1)))
    reporter.table(VM_COLUMNS, rows, title=f"{config.scale_set}: {len(vms)} VMs")

    # 6 --------------------------------------------------------------------------
    reporter.step(
        6, f"Deallocate all {len(vms)} VMs" + (" under the Azure throttling model" if admin else "")
    )
    if admin:
        admin.set_throttle("azure")
    try:
        with reporter.progress("deallocating", len(vms)) as on_event:
            batch = await ss.deallocate(on_event=on_event)
        summary.throttled += batch.throttled
    finally:
        if admin:
            admin.set_throttle("off")
    summary.deallocated = len(batch.succeeded)
    summary.failed += _unsuccessful(batch)
    reporter.info(
        f"{len(batch.succeeded)} deallocated, {len(batch.failed)} failed, {batch.throttled} throttled"
    )

    # 7 --------------------------------------------------------------------------
    half = [vm.name for vm in vms[: len(vms) // 2]]
    reporter.step(7, f"Start half of them ({len(half)})")
    with reporter.progress("starting", len(half)) as on_event:
        batch = await ss.start(names=half, on_event=on_event)
    summary.throttled += batch.throttled
    summary.started = len(batch.succeeded)
    summary.failed += _unsuccessful(batch)


async def _teardown(
    ss: FlexScaleSet,
    network: _Network,
    admin: EmulatorAdmin | None,
    stock: StockClients,
    reporter: DemoReporter,
    config: DemoConfig,
    summary: DemoSummary,
) -> None:
    """Step 8: the set in order, proof that nothing of it is left, then the demo's network."""
    reporter.step(8, "Ordered teardown: VMs, then what they left behind, then the set; then the network")
    if not network.created_rg:
        reporter.info("nothing was created")
        return
    with _timer() as took:
        await ss.delete(cascade=True)
    reporter.success(f"scale set deleted in {took[0]:.1f} s (real)")
    summary.leftovers = await _leftovers(admin, stock, config.resource_group)
    if summary.leftovers:
        reporter.info("left behind: " + ", ".join(summary.leftovers))
    else:
        reporter.success("nothing left: 0 VMs, 0 NICs, 0 disks, 0 public IPs of the set, no scale set")
    await network.delete()
    reporter.success(
        f"NAT gateway, its public IP, the virtual network and resource group {config.resource_group} deleted"
    )


async def _leftovers(admin: EmulatorAdmin | None, clients: StockClients, resource_group: str) -> list[str]:
    """Ids of VMs, NICs, disks and public IPs (other than the NAT gateway's) still there."""
    if admin is not None:
        return [
            rid
            for rid in _inventory_ids(admin.inventory(), resource_group)
            if not rid.lower().endswith(f"/publicipaddresses/{_NAT_IP_NAME}")
        ]
    # A list is served from caches and may still name what was just deleted (Azure's lists are
    # eventually consistent: Resource Graph documents "seconds" of staleness; the emulator's
    # realism imitates it): each listed id is a leftover only if its own GET still finds it.
    listed: list[tuple[str, Any]] = []
    async for vm in clients.compute.virtual_machines.list(resource_group):
        listed.append((vm.id, clients.compute.virtual_machines.get))
    async for disk in clients.compute.disks.list_by_resource_group(resource_group):
        listed.append((disk.id, clients.compute.disks.get))
    async for nic in clients.network.network_interfaces.list(resource_group):
        listed.append((nic.id, clients.network.network_interfaces.get))
    async for pip in clients.network.public_ip_addresses.list(resource_group):
        if pip.name != _NAT_IP_NAME:
            listed.append((pip.id, clients.network.public_ip_addresses.get))
    return [rid for rid, get in listed if await _still_there(get, resource_group, rid)]


async def _still_there(get: Any, resource_group: str, resource_id: str) -> bool:
    """Whether the resource's own GET finds it (a 404 is the only proof of absence)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        await get(resource_group, str(resource_id).rsplit("/", 1)[1])
    except ResourceNotFoundError:
        return False
    return True


#: The NAT gateway's public IP: the one public IP that is not the scale set's to delete.
_NAT_IP_NAME = "demo-nat-ip"


class _Network(NatNetwork):
    """The demo's own network: its resource group, then a NAT gateway (+ public IP) and a virtual
    network (:class:`~flexvmss.cli._stock.NatNetwork`); deleted in dependency order."""

    def __init__(
        self, clients: StockClients, subscription_id: str, resource_group: str, location: str
    ) -> None:
        super().__init__(
            clients,
            subscription_id,
            resource_group,
            location,
            pip_name=_NAT_IP_NAME,
            nat_name="demo-nat",
            vnet_name="demo-vnet",
        )
        self.created_rg = False

    async def create(self) -> str:
        await self.clients.resource.resource_groups.create_or_update(
            self.resource_group, {"location": self.location, "tags": {"purpose": "flexvmss-demo"}}
        )
        self.created_rg = True
        return await super().create()

    async def delete(self) -> None:
        """Delete in dependency order, then the resource group the demo made."""
        if not self.created_rg:
            return
        await super().delete()
        poller = await self.clients.resource.resource_groups.begin_delete(self.resource_group)
        await poller.result()


def _stock_clients(target: DemoTarget, credential: Any) -> StockClients:
    """azure-mgmt's own aio clients on the demo's endpoint and credential."""
    return StockClients(
        target.subscription_id,
        credential,
        base_url=target.base_url,
        connection_verify=target.connection_verify,
    )


def _credential(given: Any) -> tuple[Any, bool]:
    """The demo's one credential (shared by the scale set and the network clients), and whether
    the demo made it (and must close it): ``DefaultAzureCredential`` when none was given."""
    if given is not None:
        return given, False
    from azure.identity.aio import DefaultAzureCredential

    return DefaultAzureCredential(), True
