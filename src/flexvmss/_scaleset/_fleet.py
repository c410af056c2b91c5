"""Many Flexible scale sets of one subscription, operated on together (issue 15, point 3).

:class:`Fleet` selects its sets by resource group, by tag, or by name; an operation fans out
over every set at once through one set of clients, so every request of every set goes through
one throttling state per subscription (:func:`flexvmss._pipeline.shared_throttle_state`: the
pacing, the gates a 429 closes and the list-page budget are the subscription's, not a set's).
Progress is fair across sets: every set is admitted at once, each with an equal share of the
fleet's in-flight requests (``concurrency`` split evenly, at least one each), so a large set
never starves a small one and no set waits for another to finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from flexvmss._arm import ArmClients
from flexvmss._errors import FlexError, InvalidInputError, NotFoundError
from flexvmss._fanout import BatchResult, Outcome, VmResult
from flexvmss._fanout._result import outcome_counts
from flexvmss._fanout._scheduled import ScheduledOptions
from flexvmss._pipeline import ThrottleConfig
from flexvmss._progress import ProgressEvent
from flexvmss._runtime import Runtime
from flexvmss._scaleset import _clients
from flexvmss._scaleset._facade import FlexScaleSet
from flexvmss._scaleset._values import wire

__all__ = ["Fleet", "FleetResult"]

#: In-flight requests of a whole fleet operation when none is given: the per-set default (32)
#: times four, still under ARM's write burst of 200 (the pacing below does the rest).
DEFAULT_FLEET_CONCURRENCY = 128


@dataclass
class FleetResult:
    """What a fleet operation did: one :class:`~flexvmss.BatchResult` per set (``sets``, keyed
    ``resource_group/name``), and the sets whose operation could not run at all (``errors``:
    a set that vanished, a read that failed)."""

    operation: str
    sets: dict[str, BatchResult] = field(default_factory=dict)
    errors: dict[str, FlexError] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def results(self) -> dict[str, VmResult]:
        """Every VM's result, keyed ``resource_group/set/vm``."""
        return {f"{key}/{name}": r for key, batch in self.sets.items() for name, r in batch.results.items()}

    @property
    def ok(self) -> bool:
        """True when every set ran and every VM succeeded or was skipped."""
        return not self.errors and all(batch.ok for batch in self.sets.values())

    @property
    def requests(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for batch in self.sets.values():
            for key, value in batch.requests.items():
                out[key] = out.get(key, 0) + value
        return out

    @property
    def throttled(self) -> int:
        return sum(batch.throttled for batch in self.sets.values())

    def ended(self, outcome: Outcome) -> list[str]:
        """The VMs (``resource_group/set/vm``) whose operation ended with ``outcome``."""
        return [key for key, r in self.results.items() if r.outcome is outcome]

    def raise_for_failures(self) -> None:
        """Raise the first set's error, or :class:`~flexvmss._fanout.BatchFailedError` of the
        first set with a failed VM."""
        for error in self.errors.values():
            raise error
        for batch in self.sets.values():
            batch.raise_for_failures()

    def summary(self) -> str:
        done = outcome_counts(self.results.values())
        text = f"{self.operation} on {len(self.sets)} sets: {done} of {len(self.results)}"
        text += f" in {self.duration:.1f} s"
        text += f"; {sum(self.requests.values())} requests"
        if self.throttled:
            text += f", {self.throttled} throttled"
        if self.errors:
            text += f"; {len(self.errors)} sets failed: {', '.join(self.errors)}"
        return text

    def __repr__(self) -> str:
        return f"<FleetResult {self.summary()}>"


def _tag_pair(tag: str | Mapping[str, str] | None) -> tuple[str, str | None] | None:
    if tag is None:
        return None
    if isinstance(tag, Mapping):
        if len(tag) != 1:
            raise InvalidInputError("tag", dict(tag), "give one tag, as {'key': 'value'} or 'key=value'")
        key, value = next(iter(tag.items()))
        return str(key), str(value)
    key, sep, value = tag.partition("=")
    if not key:
        raise InvalidInputError("tag", tag, "give a tag as 'key=value' (or 'key' for any value)")
    return key, value if sep else None


class Fleet:
    """Many Flexible scale sets of one subscription (async; :class:`flexvmss.Fleet` is the sync
    face).

    Select the sets with exactly one of: ``resource_group`` alone (every Flexible set in it),
    ``tag`` (``"key=value"``, ``"key"`` or ``{"key": "value"}``: every Flexible set of the
    subscription carrying it, narrowed to ``resource_group`` when given), or ``sets`` (names in
    ``resource_group``, or ``"group/name"`` each). The sets are read at the first operation (and
    again by :meth:`refresh`).

    Connection arguments are those of :class:`~flexvmss.aio.FlexScaleSet`; all the sets share
    one set of clients, hence one throttling state for the subscription. Operations take the
    per-set arguments (``backend``, ``options``...) and ``concurrency``, the requests in flight
    across the whole fleet, split evenly between the sets. ``checkpoint`` is a directory: each
    set's progress goes to its own file in it (``<group>.<name>.json``).
    """

    def __init__(
        self,
        subscription_id: str,
        *,
        resource_group: str | None = None,
        tag: str | Mapping[str, str] | None = None,
        sets: Sequence[str] | None = None,
        credential: Any = None,
        base_url: str | None = None,
        connection_verify: str | bool | None = None,
        clients: Any = None,
        emulator: Any = None,
        throttle: ThrottleConfig | None = None,
        runtime: Runtime | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        if sets is not None and tag is not None:
            raise InvalidInputError("sets", list(sets), "select the sets by tag or by name, not both")
        if sets is None and tag is None and resource_group is None:
            raise InvalidInputError(
                "resource_group", None, "select the sets: resource_group=, tag= or sets= (see Fleet)"
            )
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        #: The tag selecting the sets, as (key, value or None for any value); None: no tag.
        self.selector: tuple[str, str | None] | None = _tag_pair(tag)
        self._names = self._parse_sets(sets) if sets is not None else None
        endpoint = _clients.resolve_endpoint(
            credential=credential, base_url=base_url, connection_verify=connection_verify, emulator=emulator
        )
        self._owns_clients = clients is None
        self._clients: ArmClients = (
            _clients.adopt(subscription_id, clients)
            if clients is not None
            else _clients.build(
                subscription_id,
                credential=endpoint.credential,
                base_url=endpoint.base_url,
                connection_verify=endpoint.connection_verify,
                throttle=endpoint.throttle(throttle),
                runtime=runtime,
            )
        )
        self._runtime = runtime
        self.on_event = on_event
        self._members: list[FlexScaleSet] | None = None

    def _parse_sets(self, sets: Sequence[str]) -> list[tuple[str, str]]:
        if isinstance(sets, str):
            sets = [s for s in sets.split(",") if s]
        out = []
        for item in sets:
            group, sep, name = item.rpartition("/")
            if not sep:
                if self.resource_group is None:
                    raise InvalidInputError(
                        "sets", item, "name the set as 'group/name', or give resource_group= for bare names"
                    )
                group = self.resource_group
            out.append((group, name))
        if not out:
            raise InvalidInputError("sets", list(sets), "name at least one scale set")
        return out

    def __repr__(self) -> str:
        how = (
            f"sets={[f'{g}/{n}' for g, n in self._names]!r}"
            if self._names is not None
            else f"tag={self.selector!r}"
            if self.selector is not None
            else f"resource_group={self.resource_group!r}"
        )
        return f"Fleet(subscription_id={self.subscription_id!r}, {how})"

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the sets and the clients flexvmss built (clients passed in stay open)."""
        for ss in self._members or []:
            await ss.close()
        if self._owns_clients:
            await self._clients.close()

    # -- the sets ----------------------------------------------------------------------------

    async def refresh(self) -> list[str]:
        """Read which sets the fleet holds now; their ``group/name``."""
        self._members = None
        return [f"{ss.resource_group}/{ss.name}" for ss in await self._sets()]

    async def scale_sets(self) -> list[str]:
        """The fleet's sets as ``group/name`` (read once, at first use)."""
        return [f"{ss.resource_group}/{ss.name}" for ss in await self._sets()]

    async def _sets(self) -> list[FlexScaleSet]:
        if self._members is not None:
            return self._members
        if self._names is not None:
            pairs = list(dict.fromkeys(self._names))
        else:
            pairs = await self._listed()
        self._members = [
            FlexScaleSet(self.subscription_id, group, name, clients=self._clients, runtime=self._runtime)
            for group, name in pairs
        ]
        return self._members

    async def _listed(self) -> list[tuple[str, str]]:
        vmss = self._clients.compute.virtual_machine_scale_sets
        if self.resource_group is not None:
            operation = f"list scale sets of resource group {self.resource_group}"
            items = await _clients.collect(operation, vmss.list(self.resource_group))
        else:
            operation = "list scale sets of the subscription"
            items = await _clients.collect(operation, vmss.list_all())
        pairs = []
        for item in items:
            body = wire(item)
            props = body.get("properties") or {}
            if str(props.get("orchestrationMode") or "").lower() != "flexible":
                continue
            if self.selector is not None:
                key, value = self.selector
                # tag names are case-insensitive (Tags - Create Or Update REST reference: "A tag
                # name ... is case-insensitive"; kubernetes-sigs/cloud-provider-azure#658), tag
                # values case-sensitive (tag-resources.md, "Limitations")
                tags = {str(k).lower(): v for k, v in (body.get("tags") or {}).items()}
                if key.lower() not in tags or (value is not None and tags[key.lower()] != value):
                    continue
            group = str(body.get("id") or "").split("/")[4] if body.get("id") else self.resource_group
            pairs.append((str(group), str(body.get("name"))))
        if not pairs:
            # a selection that matches nothing is most likely a mistyped tag or group: loud, not an
            # empty success (an overnight deallocation must not silently do nothing)
            where = f"resource group {self.resource_group}" if self.resource_group else "the subscription"
            raise NotFoundError(
                operation,
                code="NoScaleSetSelected",
                message=f"no Flexible scale set in {where} matches "
                + (f"tag {self._tag_text()}" if self.selector is not None else "the selection"),
                remedy="Check the tag (key=value, case-sensitive value) and the resource group, "
                "or name the sets with sets=.",
            )
        return sorted(pairs)

    def _tag_text(self) -> str:
        assert self.selector is not None
        key, value = self.selector
        return key if value is None else f"{key}={value}"

    # -- operations --------------------------------------------------------------------------

    async def _each(
        self,
        method: str,
        concurrency: int | None,
        checkpoint: str | PathLike[str] | None,
        on_event: Callable[[ProgressEvent], None] | None,
        **kwargs: Any,
    ) -> FleetResult:
        clock = self._clients.settings.runtime.clock
        started = clock()
        members = await self._sets()
        share = max(1, (concurrency or DEFAULT_FLEET_CONCURRENCY) // max(1, len(members)))
        result = FleetResult(method)
        listener = on_event or self.on_event

        async def one(ss: FlexScaleSet) -> None:
            key = f"{ss.resource_group}/{ss.name}"
            per_set = dict(kwargs)
            if checkpoint is not None:
                per_set["checkpoint"] = str(Path(checkpoint) / f"{ss.resource_group}.{ss.name}.json")
            if listener is not None:
                per_set["on_event"] = lambda event: listener(
                    ProgressEvent(
                        event.kind,
                        f"{key}/{event.vm}" if event.vm else key,
                        event.detail,
                        event.done,
                        event.total,
                    )
                )
            try:
                result.sets[key] = await getattr(ss, method)(concurrency=share, **per_set)
            except FlexError as error:
                result.errors[key] = error

        await asyncio.gather(*(one(ss) for ss in members))
        order = [f"{ss.resource_group}/{ss.name}" for ss in members]
        result.sets = {key: result.sets[key] for key in order if key in result.sets}
        result.duration = clock() - started
        return result

    async def start(
        self,
        *,
        backend: Literal["auto", "scheduled", "per_vm"] = "per_vm",
        options: ScheduledOptions | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        checkpoint: str | PathLike[str] | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> FleetResult:
        """Start every VM of every set (see :meth:`flexvmss.aio.FlexScaleSet.start`)."""
        return await self._each(
            "start", concurrency, checkpoint, on_event, backend=backend, options=options, deadline=deadline
        )

    async def deallocate(
        self,
        *,
        hibernate: bool = False,
        backend: Literal["auto", "scheduled", "per_vm"] = "per_vm",
        options: ScheduledOptions | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        checkpoint: str | PathLike[str] | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> FleetResult:
        """Deallocate every VM of every set (see :meth:`flexvmss.aio.FlexScaleSet.deallocate`)."""
        return await self._each(
            "deallocate",
            concurrency,
            checkpoint,
            on_event,
            hibernate=hibernate,
            backend=backend,
            options=options,
            deadline=deadline,
        )

    async def delete_vms(
        self,
        *,
        force: bool = False,
        backend: Literal["auto", "scheduled", "per_vm"] = "per_vm",
        options: ScheduledOptions | None = None,
        concurrency: int | None = None,
        deadline: float | None = None,
        checkpoint: str | PathLike[str] | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
    ) -> FleetResult:
        """Delete every VM of every set (see :meth:`flexvmss.aio.FlexScaleSet.delete_vms`)."""
        return await self._each(
            "delete_vms",
            concurrency,
            checkpoint,
            on_event,
            force=force,
            backend=backend,
            options=options,
            deadline=deadline,
        )
