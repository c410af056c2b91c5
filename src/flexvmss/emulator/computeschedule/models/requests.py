"""What an Execute* or Submit* request asks for, read and checked as ScheduledActions does
before it looks at any VM: a malformed or oversized request is refused whole (400), a request
that passes becomes a :class:`Batch` whose VMs are then accepted or refused one by one.

Field names and which are required follow the 2025-05-01 spec (``ExecuteDeallocateRequest``
... ``SubmitStartRequest``, ``ExecutionParameters``, ``RetryPolicy``, ``Schedule``,
``ResourceProvisionPayload``); the bounds are in :mod:`.limits`. The wording of the 400s is
inferred (ARM's ``InvalidParameter`` shape with the field as ``target``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...core import ArmError, arm_id, norm_location
from .limits import MAX_RETRY_COUNT, MAX_RETRY_WINDOW_MINUTES, SUBMIT_MAX_AHEAD, SUBMIT_MAX_PAST, TIMEZONES
from .state import parse_time

__all__ = ["ACTIONS", "Batch", "CreateItem", "parse_batch", "parse_operation_ids"]

#: The batch actions, by the name the routes use, and the ``opType`` their operations report
#: (spec ``ResourceOperationType``: Start, Deallocate, Hibernate; Create and Delete as the
#: 2025-05-01 operations and the Flex create sample report them).
ACTIONS: dict[str, str] = {
    "start": "Start",
    "deallocate": "Deallocate",
    "hibernate": "Hibernate",
    "delete": "Delete",
    "create": "Create",
}

#: ``executionParameters.optimizationPreference`` values (spec ``OptimizationPreference``).
_OPTIMIZATIONS = ("Cost", "Availability", "CostAvailabilityBalanced")
#: ``schedule.deadlineType`` values a Submit* may name (spec ``DeadlineType`` less ``Unknown``,
#: which the emulator refuses: inferred).
_DEADLINE_TYPES = ("InitiateAt", "CompleteBy")


@dataclass(frozen=True)
class CreateItem:
    """One VM an ExecuteCreate makes: its group, name and PUT body."""

    resource_group: str
    name: str
    payload: dict[str, Any]


@dataclass
class Batch:
    """A request that passed the whole-request checks."""

    action: str
    #: The VM ids named, as sent (for a create: the ids the new VMs will have).
    ids: list[str]
    deadline: float
    deadline_type: str
    timezone: str = "UTC"
    retry: dict[str, int] | None = None
    optimization: str | None = None
    correlationid: str | None = None
    force: bool = False
    creates: list[CreateItem] = field(default_factory=list)


def _missing(name: str) -> ArmError:
    return ArmError.invalid_parameter(f"Required parameter '{name}' is missing (null).", target=name)


def _object(body: dict[str, Any], name: str, *, required: bool = True) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _missing(name)
        return None
    if not isinstance(value, dict):
        raise ArmError.invalid_parameter(f"The value of '{name}' must be an object.", target=name)
    return value


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArmError.invalid_parameter(f"The value of '{name}' must be an integer.", target=name)
    if not low <= value <= high:
        raise ArmError.invalid_parameter(
            f"The value {value} of '{name}' is out of range: it must be between {low} and {high}.",
            target=name,
        )
    return value


def _execution(body: dict[str, Any]) -> tuple[dict[str, int] | None, str | None]:
    params = _object(body, "executionParameters")
    assert params is not None
    optimization = params.get("optimizationPreference")
    if optimization is not None and optimization not in _OPTIMIZATIONS:
        raise ArmError.invalid_parameter(
            f"The value '{optimization}' of 'executionParameters.optimizationPreference' is not one of "
            f"{', '.join(_OPTIMIZATIONS)}.",
            target="executionParameters.optimizationPreference",
        )
    policy = _object(params, "retryPolicy", required=False)
    retry = None
    if policy is not None:
        retry = {}
        if policy.get("retryCount") is not None:
            name = "executionParameters.retryPolicy.retryCount"
            retry["retryCount"] = _int(policy["retryCount"], name, 0, MAX_RETRY_COUNT)
        if policy.get("retryWindowInMinutes") is not None:
            name = "executionParameters.retryPolicy.retryWindowInMinutes"
            retry["retryWindowInMinutes"] = _int(
                policy["retryWindowInMinutes"], name, 0, MAX_RETRY_WINDOW_MINUTES
            )
    return retry, optimization


def _ids(body: dict[str, Any], limit: int) -> list[str]:
    resources = _object(body, "resources")
    assert resources is not None
    ids = resources.get("ids")
    if not isinstance(ids, list) or not ids:
        # samples: "No resourceids provided in request" is a validation error
        raise ArmError.invalid_parameter(
            "The request names no resources: 'resources.ids' must list at least one virtual machine.",
            target="resources.ids",
        )
    if len(ids) > limit:
        raise ArmError.invalid_parameter(
            f"The request names {len(ids)} resources; at most {limit} are allowed in one request. "
            "Split the virtual machines into several requests.",
            target="resources.ids",
        )
    if not all(isinstance(i, str) and i for i in ids):
        raise ArmError.invalid_parameter(
            "Every item of 'resources.ids' must be a resource id.", target="resources.ids"
        )
    return list(ids)


def _schedule(body: dict[str, Any], now: float) -> tuple[float, str, str]:
    schedule = _object(body, "schedule")
    assert schedule is not None
    raw = schedule.get("deadline") if schedule.get("deadline") is not None else schedule.get("deadLine")
    if raw is None:
        raise _missing("schedule.deadline")
    deadline = parse_time(raw, "schedule.deadline")
    tz = schedule.get("timezone") if schedule.get("timezone") is not None else schedule.get("timeZone")
    timezone = "UTC" if tz is None else str(tz)
    if timezone.lower() not in TIMEZONES:
        raise ArmError.invalid_parameter(
            f"The time zone '{timezone}' is not supported: ScheduledActions supports UTC only.",
            target="schedule.timezone",
        )
    kind = schedule.get("deadlineType")
    if kind not in _DEADLINE_TYPES:
        raise ArmError.invalid_parameter(
            f"The value '{kind}' of 'schedule.deadlineType' is not supported: use InitiateAt or CompleteBy.",
            target="schedule.deadlineType",
        )
    if deadline < now - SUBMIT_MAX_PAST or deadline > now + SUBMIT_MAX_AHEAD:
        raise ArmError.invalid_parameter(
            "The deadline must be no more than 5 minutes in the past and no more than 14 days in the future.",
            target="schedule.deadline",
        )
    return deadline, str(kind), "UTC"


def _correlation(body: dict[str, Any], *, required: bool) -> str | None:
    value = body.get("correlationid")
    if value is None and required:
        raise _missing("correlationid")
    return None if value is None else str(value)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``: objects merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


#: ``baseProfile`` keys that say where and how to create, not what (the samples' createVmBody.json).
_NOT_PROFILE = ("resourcegroupName", "resourceGroupName", "computeApiVersion")


def _creates(body: dict[str, Any], location: str, limit: int) -> list[CreateItem]:
    """The VMs of an ExecuteCreate (spec ``ResourceProvisionPayload``: ``baseProfile`` merged
    with each ``resourceOverrides`` item; names from the override's ``name`` or
    ``<resourcePrefix>-<index>``; the group from ``baseProfile.resourcegroupName`` as the samples'
    ``createVmBody.json`` sends it)."""
    config = _object(body, "resourceConfigParameters")
    assert config is not None
    count = _int(config.get("resourceCount"), "resourceConfigParameters.resourceCount", 1, limit)
    base = config.get("baseProfile") or {}
    overrides = config.get("resourceOverrides") or []
    shapes_ok = isinstance(base, dict) and isinstance(overrides, list)
    if not shapes_ok or not all(isinstance(o, dict) for o in overrides):
        raise ArmError.invalid_parameter(
            "'baseProfile' must be an object and 'resourceOverrides' a list of objects.",
            target="resourceConfigParameters",
        )
    if len(overrides) > count:
        raise ArmError.invalid_parameter(
            f"'resourceOverrides' has {len(overrides)} items, more than the resourceCount {count}.",
            target="resourceConfigParameters.resourceOverrides",
        )
    group = base.get("resourcegroupName") or base.get("resourceGroupName")
    if not group:
        raise _missing("resourceConfigParameters.baseProfile.resourcegroupName")
    prefix = config.get("resourcePrefix")
    profile = {k: v for k, v in base.items() if k not in _NOT_PROFILE}
    items = []
    for index in range(count):
        override = dict(overrides[index]) if index < len(overrides) else {}
        name = override.pop("name", None) or (f"{prefix}-{index}" if prefix else None)
        if not name:
            raise ArmError.invalid_parameter(
                "Each virtual machine needs a name: give 'resourcePrefix', or a 'name' in every "
                "resourceOverrides item.",
                target="resourceConfigParameters.resourcePrefix",
            )
        payload = _merge(profile, override)
        payload.setdefault("location", location)
        items.append(CreateItem(str(group), str(name), payload))
    return items


def parse_batch(
    body: Any, action: str, *, submit: bool, now: float, subscription_id: str, location: str, limit: int
) -> Batch:
    """Read an Execute*/Submit* body for ``action``; the 400 a malformed one gets."""
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
    retry, optimization = _execution(body)
    if submit:
        deadline, deadline_type, timezone = _schedule(body, now)
    else:
        # An Execute* starts now: its operations report the request's time as an InitiateAt
        # deadline (the Flex create sample's synchronous response, samples rest-api-documentation.md).
        deadline, deadline_type, timezone = now, "InitiateAt", "UTC"
    batch = Batch(action, [], deadline, deadline_type, timezone, retry, optimization)
    if action == "create":
        batch.correlationid = _correlation(body, required=False)
        batch.creates = _creates(body, norm_location(location), limit)
        batch.ids = [
            arm_id(subscription_id, item.resource_group, "Microsoft.Compute", "virtualMachines", item.name)
            for item in batch.creates
        ]
        return batch
    batch.ids = _ids(body, limit)
    batch.correlationid = _correlation(body, required=action != "delete")
    batch.force = body.get("forceDeletion") is True
    return batch


def parse_operation_ids(body: Any, limit: int, *, correlation: bool) -> list[str]:
    """The ``operationIds`` of a status, cancel or errors request; the 400 a malformed or
    oversized one gets."""
    if not isinstance(body, dict):
        raise ArmError(400, "InvalidRequestContent", "The request content must be a JSON object.")
    ids = body.get("operationIds")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise ArmError.invalid_parameter(
            "'operationIds' must list at least one operation id.", target="operationIds"
        )
    if len(ids) > limit:
        raise ArmError.invalid_parameter(
            f"The request names {len(ids)} operation ids; at most {limit} are allowed in one request.",
            target="operationIds",
        )
    if correlation:
        _correlation(body, required=True)
    return list(ids)
