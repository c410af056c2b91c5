"""The conformance run, as library code: a small Flex lifecycle on a live endpoint (real Azure,
or anything that answers like it), recorded through the cassette kit, then replayed on a fresh
emulator and compared (:func:`flexvmss.testing.compare_with_emulator`).

What it creates, all in one throwaway resource group named ``flexvmss-conformance-<run id>``
and tagged ``flexvmss-conformance-run=<run id>`` (so is everything it creates):

1. ``resource-group``: the group, only if no group of that name exists;
2. ``network``: a Standard public IP, a NAT gateway, a VNet whose subnet goes out through it;
3. ``set-without-profile``: a Flex set with no VM profile (no VMs, no cost);
4. ``set-with-profile``: a Flex set with a profile of the chosen size and one VM;
5. ``add-vm``: one VM attached to the set without a profile;
6. ``list``: the VMs of each set, and of the second with their instance view;
7. ``actions``: deallocate, start and restart the profile's VM;
8. ``refusals``: requests Azure refuses and that create nothing: ``zoneBalance`` on a set of one
   zone, a GET of a set that does not exist, a PATCH whose ``If-Match`` names another ETag;
9. ``teardown``: both sets with their VMs, then the VNet, the NAT gateway and the public IP;
10. ``resource-group-delete``: the group, after checking it carries this run's tag;
11. ``cleanup``: whatever happened before (a failure, Ctrl-C), the group is looked up again and,
    if it still exists and carries this run's tag, deleted. Nothing else is ever deleted.

Everything about the scale sets goes through :class:`flexvmss.aio.FlexScaleSet`, as a user's
code would; the network, the resource group and the deliberate refusals (which the library is
built never to send) use azure-mgmt's own clients, built from the kit's
:class:`~flexvmss.testing.Target`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from flexvmss import ImageSpec, NetworkSpec, NotFoundError, ScaleSetSpec, VmSpec
from flexvmss.cli._stock import NatNetwork, StockClients

__all__ = [
    "IMAGE_URN",
    "RG_PREFIX",
    "RUN_TAG",
    "STEPS",
    "ConformanceError",
    "ConformanceReporter",
    "NotOursError",
    "Run",
    "RunPlan",
    "Sandbox",
    "SizeChoice",
    "choose_size",
    "execute",
    "new_run_id",
]

#: Every resource group the run creates starts with this; the rest is the run id.
RG_PREFIX = "flexvmss-conformance-"
#: The tag that marks what one run created: its value is the run id.
RUN_TAG = "flexvmss-conformance-run"
#: Ubuntu 24.04 LTS, a Hyper-V generation 2 image for x64 sizes.
IMAGE_URN = "Canonical:ubuntu-24_04-lts:server:latest"
#: An SSH public key with no private key anywhere: the VMs are never logged into.
SSH_PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEn7m2XhS0cS8uQGk1v3bJmW4m3Yb0pQ0o3u1sQk9Xq5 flexvmss-conformance"
)

#: The steps, in order (their names label the recording and the report).
STEPS = (
    "resource-group",
    "network",
    "set-without-profile",
    "set-with-profile",
    "add-vm",
    "list",
    "actions",
    "refusals",
    "teardown",
    "resource-group-delete",
    "cleanup",
)

#: Names inside the run's resource group (the group's own name carries the run id).
PROFILE_SET = "conf-flex"
PLAIN_SET = "conf-plain"
PLAIN_VM = "conf-plain-vm"
REFUSED_SET = "conf-refused"
MISSING_SET = "conf-missing"
#: The ETag the If-Match refusal sends: never one ARM hands out (those are GUIDs or numbers).
STALE_ETAG = 'W/"flexvmss-conformance-stale"'


class ConformanceError(Exception):
    """The run stopped: a step failed, or a safety check refused to go on."""


class NotOursError(ConformanceError):
    """A resource group the run was about to create or delete is not this run's."""


def new_run_id() -> str:
    """Eight random hex digits: the run's resource group suffix and tag value."""
    return secrets.token_hex(4)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class SizeChoice:
    """The VM size a run uses and why."""

    name: str
    vcpus: int | None
    memory_gb: float | None
    price_per_hour: float | None
    why: str


def _x64_generation_2(size: Any) -> bool:
    """Runs :data:`IMAGE_URN`: an x64 CPU and Hyper-V generation 2 (absent capabilities count as
    yes: the region's catalog decides, and Azure refuses what it cannot run)."""
    arch = (size.capability("CpuArchitectureType") or "x64").lower()
    generations = (size.capability("HyperVGenerations") or "V2").upper().replace(" ", "").split(",")
    return arch == "x64" and "V2" in generations


def choose_size(catalog: Any, location: str, prices: Any, accepted: Callable[[str], bool]) -> SizeChoice:
    """The cheapest size of ``catalog`` that runs the image and that ``accepted`` (the Flex rules
    against the catalog) takes; by price from ``prices``, or, when no size of the region has a
    price, the smallest by vCPUs and memory."""
    runnable = [s for s in catalog.sizes if _x64_generation_2(s)]
    priced = sorted(
        (price, s.name, s) for s in runnable if (price := prices.price(location, s.name)) is not None
    )
    for price, _, size in priced:
        if accepted(size.name):
            why = "the cheapest size the Flex rules accept here (x64, Hyper-V gen 2), by list price"
            return SizeChoice(size.name, size.vcpus, size.memory_gb, price, why)
    by_size = sorted(runnable, key=lambda s: (s.vcpus or 1 << 20, s.memory_gb or float(1 << 20), s.name))
    for size in by_size:
        if accepted(size.name):
            why = "no size of the region has a price in the table: the smallest the Flex rules accept"
            return SizeChoice(size.name, size.vcpus, size.memory_gb, None, why)
    raise ConformanceError(f"no VM size of {location} runs {IMAGE_URN} and is accepted by the Flex rules")


@dataclass(frozen=True)
class RunPlan:
    """What one run will do, shown before anything is created."""

    subscription_id: str
    location: str
    size: SizeChoice
    run_id: str = field(default_factory=lambda: new_run_id())

    @property
    def resource_group(self) -> str:
        return f"{RG_PREFIX}{self.run_id}"

    @property
    def tags(self) -> dict[str, str]:
        return {RUN_TAG: self.run_id, "purpose": "flexvmss-conformance"}

    @property
    def vm_count(self) -> int:
        return 2

    def resources(self) -> list[tuple[str, str, str]]:
        """(kind, name, what for) of everything the run creates."""
        rg = self.resource_group
        return [
            ("resource group", rg, f"tagged {RUN_TAG}={self.run_id}; deleted at the end"),
            ("public IP (Standard)", "nat-ip", "the NAT gateway's outbound address"),
            ("NAT gateway", "nat", "outbound access for the VMs"),
            ("virtual network + subnet", "vnet / vms", "10.42.0.0/16, subnet 10.42.0.0/20"),
            ("Flex scale set", PLAIN_SET, "no VM profile"),
            ("Flex scale set", PROFILE_SET, f"VM profile {self.size.name}, capacity 1"),
            ("VM (+ NIC, OS disk)", f"{PROFILE_SET}_<id>", "from the profile"),
            ("VM (+ NIC, OS disk)", PLAIN_VM, f"{self.size.name}, attached to {PLAIN_SET}"),
        ]


# --------------------------------------------------------------------------- the resource group


class Sandbox:
    """The run's resource group: created only if the name is free, deleted only if it carries
    this run's tag. ``attempted`` is set before the create is sent, so a run interrupted while
    it was in flight still looks the group up (and deletes it if it is this run's)."""

    def __init__(self, clients: StockClients, plan: RunPlan) -> None:
        self.clients = clients
        self.name = plan.resource_group
        self.location = plan.location
        self.run_id = plan.run_id
        self.tags = plan.tags
        self.attempted = False
        self.deleted = False

    async def create(self) -> None:
        groups = self.clients.resource.resource_groups
        if not self.name.startswith(RG_PREFIX):  # pragma: no cover - RunPlan makes every name
            raise NotOursError(f"{self.name} is not a conformance run's resource group name")
        if await groups.check_existence(self.name):
            raise NotOursError(
                f"resource group {self.name} already exists: it is not this run's, so the run will not "
                "use or delete it. Run again (a new run id picks another name)."
            )
        self.attempted = True
        await groups.create_or_update(self.name, {"location": self.location, "tags": self.tags})

    async def _ours(self) -> bool:
        """Whether the group exists and carries this run's tag; raises :class:`NotOursError` when
        a group of that name exists without it."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            group = await self.clients.resource.resource_groups.get(self.name)
        except ResourceNotFoundError:
            return False
        if (group.tags or {}).get(RUN_TAG) != self.run_id:
            raise NotOursError(
                f"resource group {self.name} does not carry {RUN_TAG}={self.run_id}: this run did not "
                "create it, so it is left alone"
            )
        return True

    async def delete(self) -> None:
        """Delete the group if this run created it and it is still there; afterwards
        ``deleted`` is set. Raises :class:`NotOursError` for a group without this run's tag."""
        if not self.attempted:
            return
        if await self._ours():
            poller = await self.clients.resource.resource_groups.begin_delete(self.name)
            await poller.result()
        self.deleted = True


# --------------------------------------------------------------------------- the run


class ConformanceReporter(Protocol):
    """Where the run reports progress (the CLI renders it; tests collect it)."""

    def step(self, number: int, total: int, title: str) -> None: ...

    def info(self, text: str) -> None: ...

    def warning(self, text: str) -> None: ...


@dataclass
class Run:
    """One run's state: the plan, where it records, what it did and what it found."""

    plan: RunPlan
    target_factory: Callable[[], Any]
    recording: Path
    reporter: ConformanceReporter
    steps: list[tuple[str, int, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sandbox: Sandbox | None = None
    outcome: str = "not started"
    left_behind: str | None = None
    #: Ctrl-C was pressed three times: the cleanup was abandoned, and is not retried.
    abandoned: bool = False
    #: The endpoint's clock, real seconds per second (1.0: Azure; an emulator's --time-scale):
    #: the scale sets' own waits (polls, settling) pass that much faster.
    time_scale: float = 1.0
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @contextlib.contextmanager
    def step(self, cassette: Any, name: str) -> Iterator[None]:
        number = STEPS.index(name) + 1
        self.reporter.step(number, len(STEPS), name)
        start = len(cassette.data)
        try:
            yield
        finally:
            self.steps.append((name, start, len(cassette.data)))


def execute(run: Run) -> None:
    """Record the run (lifecycle, then cleanup) into ``run.recording``; the resource group is
    deleted whatever happens. Raises what stopped the lifecycle (``KeyboardInterrupt`` after
    Ctrl-C), after the cleanup."""
    from flexvmss.testing import default_scrubber, use_cassette

    target = run.target_factory()
    # poll hints stay in the recording: whether Azure sends them is compared
    scrubber = default_scrubber().without("poll-delays").with_rules(*target.normaliser().rules)
    run.recording.parent.mkdir(parents=True, exist_ok=True)
    try:
        with use_cassette(run.recording, record_mode="rewrite", scrubber=scrubber) as cassette:
            asyncio.run(_main(run, target, cassette))
    finally:
        sandbox = run.sandbox
        if sandbox is not None and sandbox.attempted and not sandbox.deleted and not run.abandoned:
            # the recorded cleanup did not confirm: once more, unrecorded, on a fresh target
            try:
                asyncio.run(_last_cleanup(run))
            except Exception as exc:  # what stopped the run is the error to raise; this is reported
                run.left_behind = f"{run.plan.resource_group} ({type(exc).__name__})"


async def _main(run: Run, target: Any, cassette: Any) -> None:
    """The lifecycle as a task Ctrl-C cancels; the cleanup after it, which Ctrl-C does not stop
    (the third Ctrl-C does, and the group's name is reported)."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    stock = StockClients(target.subscription_id, target.async_credential, **target.client_kwargs())
    run.sandbox = Sandbox(stock, run.plan)
    lifecycle = asyncio.ensure_future(_lifecycle(run, target, stock, cassette))
    presses = 0

    def on_sigint() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            run.reporter.warning("Ctrl-C: stopping the run; its resource group is deleted before it exits.")
            lifecycle.cancel()
        elif presses == 2:
            run.reporter.warning(
                f"Still deleting resource group {run.plan.resource_group}; Ctrl-C once more leaves it behind."
            )
        elif main is not None:
            main.cancel()

    handled = _on_sigint(loop, on_sigint)
    try:
        try:
            await lifecycle
            run.outcome = "completed"
        except asyncio.CancelledError:
            run.outcome = "interrupted (Ctrl-C)"
            task = asyncio.current_task()
            if presses == 0 and task is not None and hasattr(task, "uncancel"):
                task.uncancel()  # Ctrl-C reached us through asyncio.run: clean up all the same
        except BaseException as exc:
            run.outcome = f"failed: {type(exc).__name__}"
            raise
        finally:
            try:
                with run.step(cassette, "cleanup"):
                    await _cleanup(run)
            except asyncio.CancelledError:  # the third Ctrl-C: stop waiting, say what is left
                run.abandoned = True
                run.outcome = "interrupted (Ctrl-C)"
                run.left_behind = f"{run.plan.resource_group} (its deletion was abandoned by Ctrl-C)"
            await stock.close()
            await _close(target.async_credential)
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)
    if run.outcome.startswith("interrupted"):
        raise KeyboardInterrupt


def _on_sigint(loop: asyncio.AbstractEventLoop, handler: Callable[[], None]) -> bool:
    """Route Ctrl-C to ``handler`` while the loop runs (not on Windows, nor off the main thread:
    there asyncio.run's own handling cancels the run and the cleanup still runs)."""
    try:
        loop.add_signal_handler(signal.SIGINT, handler)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    return True


async def _close(credential: Any) -> None:
    close = getattr(credential, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()


async def _cleanup(run: Run) -> None:
    """Delete the run's resource group if it exists and is this run's; never raises (what is
    left is reported)."""
    sandbox = run.sandbox
    if sandbox is None or not sandbox.attempted:
        return
    try:
        await sandbox.delete()
    except NotOursError as exc:
        sandbox.deleted = True  # nothing of ours to delete: never retry on a group that is not
        run.notes.append(str(exc))
        run.reporter.warning(str(exc))
    except Exception as exc:
        run.left_behind = f"{sandbox.name} ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
        run.reporter.warning(f"Could not delete resource group {sandbox.name}: {exc}")


async def _last_cleanup(run: Run) -> None:
    target = run.target_factory()
    stock = StockClients(target.subscription_id, target.async_credential, **target.client_kwargs())
    assert run.sandbox is not None
    previous = run.sandbox
    run.sandbox = Sandbox(stock, run.plan)
    run.sandbox.attempted = True
    run.left_behind = None
    try:
        await _cleanup(run)
    finally:
        if not run.sandbox.deleted and run.left_behind is None:
            run.left_behind = previous.name
        await stock.close()
        await _close(target.async_credential)


async def _lifecycle(run: Run, target: Any, stock: StockClients, cassette: Any) -> None:
    """Steps 1 to 10 (see the module docstring)."""
    from flexvmss.aio import FlexScaleSet

    plan = run.plan
    rg = plan.resource_group
    kwargs = target.scale_set_kwargs()
    if run.time_scale != 1.0:
        from flexvmss import ThrottleConfig

        kwargs["throttle"] = ThrottleConfig(time_scale=run.time_scale)
    sets = {name: FlexScaleSet(plan.subscription_id, rg, name, **kwargs) for name in (PLAIN_SET, PROFILE_SET)}
    network = NatNetwork(stock, plan.subscription_id, rg, plan.location, tags=plan.tags)
    image = ImageSpec.from_urn(IMAGE_URN)
    try:
        with run.step(cassette, "resource-group"):
            assert run.sandbox is not None
            await run.sandbox.create()
        with run.step(cassette, "network"):
            subnet = NetworkSpec(subnet_id=await network.create(), outbound="nat_gateway")
        with run.step(cassette, "set-without-profile"):
            await sets[PLAIN_SET].create(ScaleSetSpec(location=plan.location, tags=plan.tags))
        with run.step(cassette, "set-with-profile"):
            spec = ScaleSetSpec(
                location=plan.location,
                vm_size=plan.size.name,
                capacity=1,
                image=image,
                network=subnet,
                ssh_public_keys=(SSH_PUBLIC_KEY,),
                tags=plan.tags,
            )
            await sets[PROFILE_SET].create(spec)
        with run.step(cassette, "add-vm"):
            vm = VmSpec(
                name=PLAIN_VM,
                vm_size=plan.size.name,
                image=image,
                network=subnet,
                ssh_public_keys=(SSH_PUBLIC_KEY,),
                tags=plan.tags,
            )
            await sets[PLAIN_SET].add_vm(vm)
        with run.step(cassette, "list"):
            members = await sets[PROFILE_SET].vms()
            await sets[PROFILE_SET].vms(instance_view=True)
            await sets[PLAIN_SET].vms()
            if len(members) != 1:
                raise ConformanceError(f"{PROFILE_SET} lists {len(members)} VMs, not 1")
        with run.step(cassette, "actions"):
            names = [members[0].name]
            for action in ("deallocate", "start", "restart"):
                batch = await getattr(sets[PROFILE_SET], action)(names=names)
                if len(batch.succeeded) != 1:
                    raise ConformanceError(f"{action} of {names[0]} did not succeed: {batch!r}")
        with run.step(cassette, "refusals"):
            await _refusals(run, target, stock)
        with run.step(cassette, "teardown"):
            for name in (PROFILE_SET, PLAIN_SET):
                await sets[name].delete(cascade=True)
            await _delete_if_there(stock, rg, REFUSED_SET)
            await network.delete()
        with run.step(cassette, "resource-group-delete"):
            await run.sandbox.delete()
    finally:
        for scale_set in sets.values():
            with contextlib.suppress(Exception):
                await scale_set.close()


async def _refusals(run: Run, target: Any, stock: StockClients) -> None:
    """Three requests Azure refuses, each of which would create nothing if it were accepted."""
    from azure.core import MatchConditions
    from azure.core.exceptions import HttpResponseError

    from flexvmss.aio import FlexScaleSet

    plan = run.plan
    rg = plan.resource_group
    compute = stock.compute
    # zoneBalance on a set of one zone: Azure refuses it (400 InvalidParameter, reported in
    # azure-rest-api-specs#11805; case "flex-zone-balance-one-zone" of tests/conformance, weak
    # evidence, which this run checks); a set without a VM profile: an acceptance costs nothing
    body = {
        "location": plan.location,
        "zones": ["1"],
        "tags": plan.tags,
        "properties": {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1, "zoneBalance": True},
    }
    try:
        await compute.virtual_machine_scale_sets.begin_create_or_update(rg, REFUSED_SET, body)
        run.notes.append(f"zoneBalance on one zone was accepted ({REFUSED_SET} is deleted in the teardown)")
    except HttpResponseError as exc:
        run.reporter.info(f"  zoneBalance with one zone: refused ({exc.status_code} {_code(exc)})")
    # a GET of a set that does not exist: 404
    async with FlexScaleSet(plan.subscription_id, rg, MISSING_SET, **target.scale_set_kwargs()) as missing:
        try:
            await missing.get()
            run.notes.append(f"GET of the missing set {MISSING_SET} answered")
        except NotFoundError as exc:
            run.reporter.info(f"  GET of a set that does not exist: refused (404 {exc.code})")
    # a tags PATCH whose If-Match names another ETag: 412 PreconditionFailed, nothing changed
    # (cloud-provider-azure's 2026 recording of a scale set PUT, case "vmss-put-if-match-mismatch")
    try:
        poller = await compute.virtual_machine_scale_sets.begin_update(
            rg,
            PLAIN_SET,
            {"tags": {**plan.tags, "stale": "yes"}},
            etag=STALE_ETAG,
            match_condition=MatchConditions.IfNotModified,
        )
        await poller.result()
        run.notes.append("a PATCH with a stale If-Match was accepted")
    except HttpResponseError as exc:
        run.reporter.info(f"  PATCH with a stale If-Match: refused ({exc.status_code} {_code(exc)})")


def _code(exc: Any) -> str:
    error = getattr(exc, "error", None)
    return str(getattr(error, "code", None) or "")


async def _delete_if_there(stock: StockClients, rg: str, name: str) -> None:
    """Delete the scale set ``name`` of the run's group if a refusal was accepted after all."""
    from azure.core.exceptions import ResourceNotFoundError

    sets = stock.compute.virtual_machine_scale_sets
    try:
        await sets.get(rg, name)
    except ResourceNotFoundError:
        return
    poller = await sets.begin_delete(rg, name)
    await poller.result()


def write_steps(run: Run, path: Path) -> None:
    """The recording's steps (name, first and past-the-last interaction) as JSON."""
    data = [{"name": n, "start": s, "end": e} for n, s, e in run.steps]
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
