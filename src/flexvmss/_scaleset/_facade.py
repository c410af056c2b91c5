"""The facade users hold: one Flexible scale set, and everything flexvmss does with it.

:class:`FlexScaleSet` is the async core (exported as :class:`flexvmss.aio.FlexScaleSet`); the
synchronous :class:`flexvmss.FlexScaleSet` runs these same coroutines on a background event
loop (see :mod:`flexvmss._sync`). Each public method is typed and documented here and runs in
one room of this package:

* :mod:`~flexvmss._scaleset._core`: the set's address, clients and reads;
* :mod:`~flexvmss._scaleset._preflight`: facts read from Azure, then the Flex rules
  (:mod:`flexvmss._rules`) over them;
* :mod:`~flexvmss._scaleset._create`: the set, VMs into it, its capacity;
* :mod:`~flexvmss._scaleset._per_vm`: per-VM operations on many VMs, from the table
  :data:`flexvmss._actions.PER_VM_ACTIONS`, through the fan-out engine (:mod:`flexvmss._fanout`);
* :mod:`~flexvmss._scaleset._teardown`: VM deletion and the ordered teardown;
* :mod:`~flexvmss._scaleset._audit`: what deleted VMs left behind, and its sweep;
* :mod:`~flexvmss._scaleset._spot`: Spot VMs against the priority mix, evicted ones replaced.

Reads never pretend: a throttled or failed list raises, it never comes back empty. Teardown
is ordered (VMs, then what they left behind, then the set) and converges when re-run after an
interruption at any point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import Any, Literal

from flexvmss._errors import NotFoundError
from flexvmss._fanout import BatchResult
from flexvmss._fanout._checkpoint import CheckpointStore
from flexvmss._fanout._scheduled import ScheduledOptions
from flexvmss._progress import ProgressEvent
from flexvmss._rules import Finding
from flexvmss._scaleset import (
    _apply,
    _audit,
    _backends,
    _create,
    _per_vm,
    _placement,
    _plan,
    _preflight,
    _spot,
    _teardown,
)
from flexvmss._scaleset._apply import ApplyResult
from flexvmss._scaleset._audit import AuditResult
from flexvmss._scaleset._core import Batch, ScaleSetCore
from flexvmss._scaleset._desired import DesiredState
from flexvmss._scaleset._placement import PlacementReport, ScaleResult
from flexvmss._scaleset._plan import Plan
from flexvmss._scaleset._spot import SpotReplacement, SpotStatus
from flexvmss._scaleset._values import ScaleSetInfo, TeardownResult, VmInfo
from flexvmss._specs import ScaleSetSpec, VmSpec

__all__ = ["FlexScaleSet"]


class FlexScaleSet(ScaleSetCore):
    """One Azure Virtual Machine Scale Set in Flexible orchestration mode (async).

    ::

        async with flexvmss.aio.FlexScaleSet(sub, "rg", "web") as ss:
            await ss.create(ScaleSetSpec(location="westeurope", ...))
            result = await ss.deallocate(where=lambda vm: vm.zone == "2")
            result.raise_for_failures()

    Connecting: ``credential`` defaults to ``DefaultAzureCredential``; ``cloud`` names the
    Azure cloud once (``"AzurePublicCloud"``, the default, ``"AzureChinaCloud"``,
    ``"AzureUSGovernment"``, a :class:`~flexvmss.Cloud`, or an ARM endpoint URL), which gives
    the endpoint, the token scope and the default credential's sign-in authority; ``base_url``
    and ``connection_verify`` point the clients at another ARM endpoint (a ``base_url`` on a
    sovereign cloud's host names that cloud); ``emulator`` (a started
    :class:`flexvmss.emulator.Emulator`) points them at that emulator with its credential and its
    clock (without a ``throttle``, waits counted in Azure seconds pass at the emulator's
    ``time_scale``). When
    neither is given, ``FLEXVMSS_BASE_URL`` and ``FLEXVMSS_CA_FILE`` are read from the
    environment (``flexvmss emulator serve`` prints them). A local endpoint (``127.0.0.1``,
    ``localhost``) without a ``credential`` gets a static token that holds no secret, which the
    emulator accepts; any other endpoint gets ``DefaultAzureCredential``.
    ``compute_api_version`` overrides the api-version of the Compute requests flexvmss builds
    itself (the VM list). An ``http://`` base URL or a CA file that is missing or unreadable
    raises :class:`~flexvmss.InvalidInputError` here, and a credential that cannot get a token
    raises :class:`~flexvmss.CredentialError` at the first request. ``clients`` passes your own
    :class:`~flexvmss._arm.ArmClients` or a ``(compute, network, resource)`` tuple of
    azure-mgmt aio clients (flexvmss then does not close them). Clients are built on first
    use, so constructing a FlexScaleSet sends nothing and imports no azure-mgmt module.

    Every operation on a set that does not exist raises :class:`~flexvmss.NotFoundError`
    naming it (never an empty batch); :meth:`delete` alone converges on a set already gone.

    ``throttle`` (:class:`~flexvmss.ThrottleConfig`) sets how the clients flexvmss builds
    behave under Azure's throttling (wait or fail fast). ``sku_cache`` replaces the
    process-wide Resource SKUs cache (one read per subscription and location). ``location``
    saves a GET when an operation needs the set's region before anything else was read.
    ``waive`` lists Flex rule ids to skip in every preflight; ``on_event`` receives the
    fan-out's :class:`~flexvmss.ProgressEvent` objects (per call ``on_event`` overrides it).
    ``runtime`` (:class:`~flexvmss.Runtime`) injects time, sleep, the fan-out's observation mode
    and a SKU cache (tests and the cassette kit pass their own; by default real time).

    Per-VM operations (``start``, ``deallocate``, ``delete_vms``...) report a VM succeeded or
    failed only once Azure's own operation status says so. Their ``deadline`` (seconds) counts
    from the call, the read of the set's VM list included; it defaults to 30 minutes
    (``deadline=math.inf`` waits as long as Azure takes).
    """

    def __repr__(self) -> str:
        return (
            f"FlexScaleSet(subscription_id={self.subscription_id!r}, "
            f"resource_group={self.resource_group!r}, name={self.name!r})"
        )

    @property
    def requests(self) -> Mapping[str, int]:
        """Requests this set's clients have sent so far, by class (``write``, ``delete``,
        ``action``, ``read``, ``list``, ``poll``), every retry and 429 included. Empty for
        azure-mgmt clients passed in as a tuple (flexvmss does not see their traffic)."""
        return dict(self._clients.requests) if self._clients is not None else {}

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FlexScaleSet:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the clients flexvmss built (clients you passed in stay open). A closed set
        stays closed: using it again raises :class:`~flexvmss.InvalidInputError`."""
        await self._close_clients()

    # -- reads -----------------------------------------------------------------------------

    async def get(self) -> ScaleSetInfo:
        """The scale set as Azure reports it; :class:`~flexvmss.NotFoundError` if it does not
        exist (its ``code`` is ``ResourceGroupNotFound`` when the resource group is missing)."""
        return await self._read_set()

    async def exists(self) -> bool:
        """Whether the scale set exists (one GET; False also when its resource group does not)."""
        try:
            return await self._get_raw() is not None
        except NotFoundError:  # the resource group is missing, so is the set
            return False

    async def vms(self, instance_view: bool = False) -> list[VmInfo]:
        """Every VM of the set: one filtered VM list (all pages), never one request per VM.

        With ``instance_view=True`` the list carries each VM's power state. Azure serves lists
        eventually consistent: right after an operation a VM may still show its former state
        for a few seconds (an operation's outcome is its :class:`~flexvmss.BatchResult`, and
        :meth:`vm` reads one VM as it is). A throttled or failed read raises; it is never taken
        for an empty set. A set that does not exist
        raises :class:`~flexvmss.NotFoundError` (an empty list costs one GET of the set to
        tell the two apart).
        """
        return await self._members(instance_view)

    async def vm(self, name: str) -> VmInfo:
        """One VM of the set, with its instance view; :class:`~flexvmss.NotFoundError` when it
        does not exist or belongs to no/another set."""
        return await self._read_vm(name)

    # -- create ----------------------------------------------------------------------------

    async def plan_create(self, spec: ScaleSetSpec) -> list[Finding]:
        """Check ``spec`` against the Flex rules and the region's SKU catalog; create nothing.

        Sends one Resource SKUs read per (subscription, location) (cached afterwards) and, when
        the spec relies on them, one GET for the subnet's NAT gateway and one for the load
        balancer's sku. Returns every finding (errors and warnings).
        """
        return await _preflight.plan_create(self, spec)

    async def create(self, spec: ScaleSetSpec) -> ScaleSetInfo:
        """Create the scale set (idempotent) and wait until Azure has provisioned it.

        Runs :meth:`plan_create` first and raises :class:`~flexvmss.PreflightError` on error
        findings (warnings are logged). If the set already exists: the same spec returns it
        unchanged; a different one raises :class:`~flexvmss.ConflictError` naming each
        difference (a set's orchestration mode can never change).
        """
        return await _create.create(self, spec)

    async def add_vm(self, vm_spec: VmSpec) -> VmInfo:
        """Create one VM into the set (same resource group; optional zone, fault domain, own
        size and priority) and wait for it. Preflight as in :meth:`add_vms`; a VM of that name
        that is already a member is returned as it is (idempotent)."""
        return await _create.add_vm(self, vm_spec)

    async def add_vms(
        self,
        vm_specs: Sequence[VmSpec],
        *,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Create many VMs into the set at once (heterogeneous sizes, zones, fault domains,
        priorities), through the fan-out engine.

        Every spec is checked first (rules, SKU catalog, names); any error raises
        :class:`~flexvmss.PreflightError` before a single VM is created. An existing VM of the
        same name is refused: flexvmss attaches VMs at creation only. Each PUT carries
        ``If-None-Match: *`` so a VM created meanwhile by someone else is not overwritten.
        """
        batch = Batch(concurrency, deadline, on_event)
        return await _create.add_vms(self, vm_specs, batch)

    async def scale_to(self, capacity: int) -> ScaleSetInfo:
        """Set the VM count of a set that has a VM profile, and wait until Azure is done.

        The Flex limits (rule FLEX014) are checked before any write (1,000; 600 from a managed
        image; 200 for a size without memory-preserving maintenance with fault domain count > 1)
        and refused as :class:`~flexvmss.InvalidInputError`. The PATCH carries the set's ETag
        (``If-Match``); when someone changed the set meanwhile (412) it re-reads and re-applies,
        it never overwrites blindly.
        """
        return await _create.scale_to(self, capacity)

    async def scale(self, capacity: int) -> ScaleResult:
        """:meth:`scale_to`, and a report of what Azure did: where the VMs are against the
        capacity asked (:class:`~flexvmss.PlacementReport`: asked 100, placed 80, per zone,
        and each VM that failed to provision with Azure's code, e.g. a partial allocation under
        automatic zone placement), the VMs added and removed, and the VMs that resilient VM
        create replaced under a new name (seen in a list made once Azure accepted the change,
        gone when it was done). Costs three VM lists beyond :meth:`scale_to`."""
        return await _placement.scale(self, capacity)

    async def placement(self) -> PlacementReport:
        """Where the set's VMs are against its capacity: placed per zone, failed to provision
        (with Azure's code), still in progress. One GET and one VM list with the instance
        view."""
        return await _placement.placement(self)

    # -- per-VM actions (flexvmss._actions.PER_VM_ACTIONS) ----------------------------------

    async def start(
        self, names: Sequence[str] | None = None, *, where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None, deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
        backend: Literal["auto", "scheduled", "per_vm"] = "per_vm", options: ScheduledOptions | None = None,
        checkpoint: str | PathLike[str] | CheckpointStore | None = None,
    ) -> BatchResult:
        """Start VMs of the set (all, ``names``, or those ``where`` accepts); one result per VM.

        ``backend``: ``"per_vm"`` (default: one request per VM), ``"scheduled"`` (Azure's
        ScheduledActions, 100 VMs per request, ``options`` its execution parameters) or
        ``"auto"`` (ScheduledActions for large batches, per VM where it is unavailable or
        refuses a VM; see ``docs/scheduled-actions.md``). ``checkpoint`` (a file path or a
        store) records progress so another process can resume the batch."""
        batch = Batch(concurrency, deadline, on_event)
        if backend == "per_vm" and checkpoint is None:
            return await _per_vm.run(self, "start", names, where, batch)
        return await _backends.power(
            self, "start", names, where, batch, backend=backend, options=options, checkpoint=checkpoint
        )

    async def stop(
        self, names: Sequence[str] | None = None, *, skip_shutdown: bool = False,
        where: Callable[[VmInfo], bool] | None = None, concurrency: int | None = None,
        deadline: float | None = None, on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Power off VMs (still billed; see :meth:`deallocate`). ``skip_shutdown`` skips the
        guest OS shutdown."""
        batch = Batch(concurrency, deadline, on_event)
        return await _per_vm.run(self, "stop", names, where, batch, skip_shutdown=skip_shutdown)

    async def deallocate(
        self, names: Sequence[str] | None = None, *, hibernate: bool = False,
        where: Callable[[VmInfo], bool] | None = None, concurrency: int | None = None,
        deadline: float | None = None, on_event: Callable[[ProgressEvent], None] | None = None,
        backend: Literal["auto", "scheduled", "per_vm"] = "per_vm", options: ScheduledOptions | None = None,
        checkpoint: str | PathLike[str] | CheckpointStore | None = None,
    ) -> BatchResult:
        """Stop VMs and release their compute (no longer billed); ``hibernate`` keeps memory.
        ``backend``, ``options`` and ``checkpoint`` as for :meth:`start` (with ``hibernate``,
        ScheduledActions runs its own hibernate action)."""
        batch = Batch(concurrency, deadline, on_event)
        if backend == "per_vm" and checkpoint is None:
            return await _per_vm.run(self, "deallocate", names, where, batch, hibernate=hibernate)
        return await _backends.power(
            self, "deallocate", names, where, batch, backend=backend, options=options,
            checkpoint=checkpoint, hibernate=hibernate,
        )

    async def restart(
        self, names: Sequence[str] | None = None, *, where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None, deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Restart VMs of the set."""
        batch = Batch(concurrency, deadline, on_event)
        return await _per_vm.run(self, "restart", names, where, batch)

    async def redeploy(
        self, names: Sequence[str] | None = None, *, where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None, deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Move VMs to new hosts (redeploy)."""
        batch = Batch(concurrency, deadline, on_event)
        return await _per_vm.run(self, "redeploy", names, where, batch)

    async def reimage(
        self, names: Sequence[str] | None = None, *, where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None, deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Reimage VMs (their OS disk goes back to the image)."""
        batch = Batch(concurrency, deadline, on_event)
        return await _per_vm.run(self, "reimage", names, where, batch)

    async def perform_maintenance(
        self, names: Sequence[str] | None = None, *, where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None, deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Start the platform maintenance Azure has scheduled for the VMs."""
        batch = Batch(concurrency, deadline, on_event)
        return await _per_vm.run(self, "perform_maintenance", names, where, batch)

    async def simulate_eviction(
        self, names: Sequence[str] | None = None, *, where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None, deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Simulate the eviction of Spot VMs (Azure refuses it for regular VMs)."""
        batch = Batch(concurrency, deadline, on_event)
        return await _per_vm.run(self, "simulate_eviction", names, where, batch)

    async def delete_vms(
        self, names: Sequence[str] | None = None, *, force: bool = False,
        where: Callable[[VmInfo], bool] | None = None, concurrency: int | None = None,
        deadline: float | None = None, on_event: Callable[[ProgressEvent], None] | None = None,
        backend: Literal["auto", "scheduled", "per_vm"] = "per_vm", options: ScheduledOptions | None = None,
        checkpoint: str | PathLike[str] | CheckpointStore | None = None,
    ) -> BatchResult:
        """Delete VMs of the set (all, ``names``, or those ``where`` accepts).

        Uses the scale set's batch delete (DeleteInstances, VM names as instance ids,
        ``forceDeletion`` when ``force``) in chunks of 100: a chunk whose operation Azure
        reports Succeeded is deleted. The VMs of any chunk Azure refused or failed are deleted
        VM by VM through the fan-out engine, each confirmed by its own operation's status (or,
        for a VM already gone, by its 404 and those of the disks and NICs it deletes with it).
        One outcome per VM either way.

        What the VMs leave behind (disks, NICs, public IPs whose deleteOption is not Delete) is
        tagged for the set first, so :meth:`delete` removes it when the set is torn down.

        ``backend="scheduled"`` deletes through ScheduledActions' ExecuteDelete instead (a
        preview in its 2025-05-01 spec); ``"auto"`` keeps the batch delete above. ``options``
        and ``checkpoint`` as for :meth:`start`.
        """
        batch = Batch(concurrency, deadline, on_event)
        if backend == "per_vm" and checkpoint is None:
            return await _teardown.delete_vms(self, names, where, batch, force=force)
        return await _backends.power(
            self, "delete", names, where, batch, backend=backend, options=options,
            checkpoint=checkpoint, force=force,
        )

    # -- per-VM operations with a body -----------------------------------------------------

    async def update(
        self,
        names: Sequence[str] | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        size: str | None = None,
        user_data: str | bytes | Any = None,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Change VMs in place: ``tags`` (replaces the VM's tags; flexvmss keeps its own),
        ``size`` (checked first against the Flex size rules and the region's SKU catalog),
        ``user_data`` (text, bytes or a :class:`~flexvmss.Secret`; sent base64-encoded)."""
        batch = Batch(concurrency, deadline, on_event)
        return await _per_vm.update(self, names, where, batch, tags=tags, size=size, user_data=user_data)

    async def run_command(
        self,
        command_id: str,
        script: str | Sequence[str] = (),
        names: Sequence[str] | None = None,
        *,
        where: Callable[[VmInfo], bool] | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> BatchResult:
        """Run a command (``RunShellScript``, ``RunPowerShellScript``, ...) on VMs. Each
        succeeded VM's result ``detail`` holds the command's output (the messages of Azure's
        ``RunCommandResult``)."""
        batch = Batch(concurrency, deadline, on_event)
        return await _per_vm.run_command(self, command_id, script, names, where, batch)

    # -- desired state ---------------------------------------------------------------------

    async def plan(self, desired: DesiredState) -> Plan:
        """Compare the live set with ``desired`` and return the actions that would bring it
        there (create, replace, update, start, deallocate, delete), each with its reasons, in
        the order :meth:`apply` runs them. Sends no write.

        Reads the set and its VM list (with the instance view) once. The plan records how that
        read went (:class:`~flexvmss.PlanRead`): throttled, failed or partial reads give a plan
        :meth:`apply` refuses. A set that does not exist raises
        :class:`~flexvmss.NotFoundError` (create it first). Print the plan, or keep it as JSON
        (:meth:`Plan.to_json <flexvmss.Plan.to_json>`) to apply later.
        """
        return await _plan.make_plan(self, desired)

    async def apply(
        self,
        plan: Plan,
        *,
        max_delete: int | float | None = None,
        batch_size: int = 1,
        pause: float = 0.0,
        health_gate: bool = False,
        health_timeout: float = 600.0,
        journal: str | PathLike[str] | None = None,
        concurrency: int | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> ApplyResult:
        """Run ``plan``'s actions through the fan-out, with guardrails.

        Refused whole (:class:`~flexvmss.PlanRefusedError`, nothing sent) when the plan's read
        was not clean, the plan is for another set, or it deletes or replaces more than
        ``max_delete`` VMs (a count, a fraction of the set, or by default 10% of it or 5,
        whichever is larger). Every action on an existing VM is conditional on the ETag the
        plan read: a VM changed since stops that action (outcome ``changed``) and the result
        carries a fresh plan (:attr:`ApplyResult.replanned <flexvmss.ApplyResult.replanned>`).
        Replacements roll ``batch_size`` VMs at a time, ``pause`` seconds apart: new VMs first;
        with ``health_gate`` each must report ``HealthState/healthy`` (Application Health
        extension) within ``health_timeout`` seconds, or the apply halts and the old VMs stay.
        With ``journal`` (a file path) finished steps are recorded, and applying the same plan
        with the same journal after a crash skips them.
        """
        options = _apply.ApplyOptions(
            max_delete=max_delete,
            batch_size=batch_size,
            pause=pause,
            health_gate=health_gate,
            health_timeout=health_timeout,
            journal=journal,
            concurrency=concurrency,
            on_event=on_event,
        )
        return await _apply.apply(self, plan, options)

    # -- teardown --------------------------------------------------------------------------

    async def delete(self, cascade: bool = False, *, force: bool = False) -> TeardownResult:
        """Delete the scale set, in order, leaving nothing behind.

        Without ``cascade`` (the default, as ``flexvmss delete`` without ``--cascade``) only an
        empty set is deleted: a set that still has VMs raises
        :class:`~flexvmss.ScaleSetNotEmptyError` locally (after one list) with the remedy, so a
        call never deletes VMs nobody asked to delete.

        With ``cascade=True``: list the VMs; tag what each would leave behind (disks,
        NICs and public IPs whose deleteOption is not Delete) with ``SET_TAG``; delete the VMs
        (batch, then per VM); wait until the list shows none; delete every resource that
        carries the set's tag; then delete the set. The set's DELETE is never sent while a VM
        remains: if some VMs cannot be deleted, this raises
        :class:`~flexvmss.ScaleSetNotEmptyError` naming them and why, before touching the set.

        Safe to re-run after an interruption at any point: a second run converges, and only
        resources referenced by the set's VMs (or tagged for it) are ever deleted.
        """
        return await _teardown.delete(self, cascade, force=force)

    # -- leftovers and Spot ----------------------------------------------------------------

    async def audit(self, *, mark: bool = False) -> AuditResult:
        """Find the disks, NICs and public IPs that VMs of the set left behind when someone
        deleted them (Azure's autoscale, a Spot eviction with Delete, resilient delete, zone
        rebalancing, a user), and the detached NICs that hold the set's subnets. Sends reads
        only (three resource-group lists, one GET of the set, one list of the group's sets),
        unless ``mark``.

        A resource counts as the set's only when nothing references it any more (no
        ``managedBy``, no ``virtualMachine``) and it is proven the set's: it carries
        :data:`~flexvmss.SET_TAG` with the set's value, or is named as Azure names what the
        set's profile makes (see :class:`~flexvmss.Leftover`). A detached NIC on the set's
        subnets that is not proven is a *suspect*: reported, never swept.

        ``mark=True`` first tags, for the set, what each live VM would leave behind (its
        disks, NICs and public IPs whose deleteOption is not Delete), so that whoever deletes
        those VMs later, a later audit proves their leftovers by tag. Works on a set already
        deleted too (its tagged leftovers are still found).
        """
        return await _audit.audit(self, mark=mark)

    async def sweep(self, confirmed: AuditResult | None = None) -> AuditResult:
        """Delete what :meth:`audit` proved the set's: audits again first and deletes only
        leftovers proven in that fresh audit *and* in ``confirmed`` (the audit you showed and
        confirmed; None: whatever the fresh audit proves). NICs first, waiting out Azure's
        NIC reservation after a VM deletion, then public IPs, then disks. Suspects are never
        deleted. The result's ``deleted`` and ``failed`` say what happened to each."""
        return await _audit.sweep(self, confirmed)

    async def spot_status(self) -> SpotStatus:
        """The set's VMs by priority (Regular, Spot running, Spot evicted) against its Spot
        priority mix, and the capacity that serves (:class:`~flexvmss.SpotStatus`). One GET of
        the set and one VM list with the instance view."""
        return await _spot.spot_status(self)

    async def replace_evicted(
        self,
        *,
        recreate: bool = True,
        concurrency: int | None = None,
        deadline: float | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> SpotReplacement:
        """Delete the set's evicted Spot VMs (stopped and deallocated; what they leave behind
        is tagged for the set first, see :meth:`audit`) and, with ``recreate`` (the default,
        only for a set with a VM profile), scale the set back to its capacity so Azure makes
        new VMs to the priority mix. ``recreate=False`` only cleans them up."""
        batch = Batch(concurrency, deadline, on_event)
        return await _spot.replace_evicted(self, recreate=recreate, batch=batch)
