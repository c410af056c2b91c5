"""Every ScheduledActions route, called through the stock ``azure-mgmt-computeschedule`` 1.1
clients (sync and async): each answer comes back as the SDK's model, and the VMs end as
Compute's own per-VM operations would leave them."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.computeschedule import models as m
from conftest import SdkCall
from schedule_world import LOC, RG, at, power, vm_body, vm_id

from flexvmss.emulator import Emulator
from flexvmss.emulator.computeschedule import knobs
from flexvmss.emulator.core import Clock


def _execution(**retry: int) -> m.ExecutionParameters:
    policy = m.RetryPolicy(**retry) if retry else None
    return m.ExecutionParameters(optimization_preference="Availability", retry_policy=policy)


def _cid() -> str:
    return str(uuid.uuid4())


def _op_ids(answer: object) -> list[str]:
    return [r.operation.operation_id for r in answer.results]  # type: ignore[attr-defined]


def _status(sdk: SdkCall, op_ids: list[str]) -> m.GetOperationStatusResponse:
    body = m.GetOperationStatusRequest(operation_ids=op_ids, correlationid=_cid())
    answer: m.GetOperationStatusResponse = sdk("virtual_machines_get_operation_status", LOC, body)
    return answer


def _states(sdk: SdkCall, op_ids: list[str]) -> list[str]:
    return [r.operation.state for r in _status(sdk, op_ids).results]


@pytest.mark.parametrize(
    ("method", "request_type", "answer_type", "op_type"),
    [
        (
            "execute_deallocate",
            m.ExecuteDeallocateRequest,
            m.DeallocateResourceOperationResponse,
            "Deallocate",
        ),
        ("execute_hibernate", m.ExecuteHibernateRequest, m.HibernateResourceOperationResponse, "Hibernate"),
    ],
)
def test_execute_power_off(
    sdk: SdkCall,
    emu: Emulator,
    vms: list[str],
    method: str,
    request_type: type,
    answer_type: type,
    op_type: str,
) -> None:
    body = request_type(
        execution_parameters=_execution(), resources=m.Resources(ids=vms), correlationid=_cid()
    )
    answer = sdk(f"virtual_machines_{method}", LOC, body)
    assert isinstance(answer, answer_type)
    assert answer.location == LOC and answer.description == f"{op_type} Resource Request"
    assert [r.resource_id for r in answer.results] == vms
    first = answer.results[0].operation
    assert first.op_type == op_type and first.state == "PendingScheduling"
    assert first.deadline_type == "InitiateAt" and first.subscription_id == emu.subscription_id
    assert answer.results[0].error_code is None
    emu.advance(120)
    assert _states(sdk, _op_ids(answer)) == ["Succeeded"] * 3
    assert [power(emu, v) for v in vms] == ["deallocated"] * 3


def test_execute_start(sdk: SdkCall, emu: Emulator, vms: list[str]) -> None:
    off = m.ExecuteDeallocateRequest(
        execution_parameters=_execution(), resources=m.Resources(ids=vms), correlationid=_cid()
    )
    sdk("virtual_machines_execute_deallocate", LOC, off)
    emu.advance(120)
    body = m.ExecuteStartRequest(
        execution_parameters=_execution(), resources=m.Resources(ids=vms), correlationid=_cid()
    )
    answer = sdk("virtual_machines_execute_start", LOC, body)
    assert isinstance(answer, m.StartResourceOperationResponse)
    assert {r.operation.op_type for r in answer.results} == {"Start"}
    emu.advance(120)
    assert _states(sdk, _op_ids(answer)) == ["Succeeded"] * 3
    assert [power(emu, v) for v in vms] == ["running"] * 3


def test_execute_delete_removes_the_vms(sdk: SdkCall, emu: Emulator, vms: list[str]) -> None:
    body = m.ExecuteDeleteRequest(
        execution_parameters=_execution(),
        resources=m.Resources(ids=vms[:2]),
        correlationid=_cid(),
        force_deletion=True,
    )
    answer = sdk("virtual_machines_execute_delete", LOC, body)
    assert isinstance(answer, m.DeleteResourceOperationResponse)
    assert {r.operation.op_type for r in answer.results} == {"Delete"}
    emu.advance(120)
    assert _states(sdk, _op_ids(answer)) == ["Succeeded"] * 2
    h = emu.test_client()
    assert [h.request("GET", v).status for v in vms] == [404, 404, 200]


def test_execute_create_makes_vms_from_a_base_profile(sdk: SdkCall, emu: Emulator, vms: list[str]) -> None:
    profile = vm_body(emu, "new")
    profile["resourcegroupName"] = RG
    profile["computeApiVersion"] = "2024-11-01"
    overrides = [
        {
            "name": "alpha",
            "properties": {"networkProfile": vm_body(emu, "alpha")["properties"]["networkProfile"]},
        }
    ]
    body = m.ExecuteCreateRequest(
        resource_config_parameters=m.ResourceProvisionPayload(
            resource_count=2, base_profile=profile, resource_overrides=overrides, resource_prefix="batch"
        ),
        execution_parameters=_execution(),
        correlationid=_cid(),
    )
    answer = sdk("virtual_machines_execute_create", LOC, body)
    assert isinstance(answer, m.CreateResourceOperationResponse)
    assert [r.resource_id for r in answer.results] == [vm_id(emu, "alpha"), vm_id(emu, "batch-1")]
    emu.advance(200)
    assert _states(sdk, _op_ids(answer)) == ["Succeeded"] * 2
    assert power(emu, vm_id(emu, "alpha")) == "running"
    assert power(emu, vm_id(emu, "batch-1")) == "running"


@pytest.mark.parametrize(
    ("method", "request_type", "answer_type"),
    [
        (
            "virtual_machines_submit_deallocate",
            m.SubmitDeallocateRequest,
            m.DeallocateResourceOperationResponse,
        ),
        ("virtual_machines_submit_hibernate", m.SubmitHibernateRequest, m.HibernateResourceOperationResponse),
        ("virtual_machines_submit_start", m.SubmitStartRequest, m.StartResourceOperationResponse),
    ],
)
def test_submit_waits_for_its_deadline(
    sdk: SdkCall, emu: Emulator, vms: list[str], method: str, request_type: type, answer_type: type
) -> None:
    deadline = Clock.EPOCH + dt.timedelta(seconds=emu.clock.now() + 600)
    body = request_type(
        schedule=m.Schedule(deadline=deadline, timezone="UTC", deadline_type="InitiateAt"),
        execution_parameters=_execution(retry_count=2, retry_window_in_minutes=30),
        resources=m.Resources(ids=vms[:1]),
        correlationid=_cid(),
    )
    answer = sdk(method, LOC, body)
    assert isinstance(answer, answer_type)
    op = answer.results[0].operation
    assert op.deadline == deadline and op.deadline_type == "InitiateAt" and op.timezone == "UTC"
    assert op.retry_policy.retry_count == 2 and op.retry_policy.retry_window_in_minutes == 30
    emu.advance(60)
    assert _states(sdk, _op_ids(answer)) == ["Scheduled"]
    emu.advance(560)
    assert _states(sdk, _op_ids(answer)) == ["Executing"]
    emu.advance(60)
    status = _status(sdk, _op_ids(answer)).results[0]
    assert status.operation.state == "Succeeded" and status.operation.completed_at > deadline


def test_cancel_and_errors(sdk: SdkCall, emu: Emulator, vms: list[str]) -> None:
    body = m.SubmitDeallocateRequest(
        schedule=m.Schedule(deadline=at(emu, 3600), timezone="UTC", deadline_type="InitiateAt"),
        execution_parameters=_execution(),
        resources=m.Resources(ids=vms),
        correlationid=_cid(),
    )
    op_ids = _op_ids(sdk("virtual_machines_submit_deallocate", LOC, body))
    cancelled = sdk(
        "virtual_machines_cancel_operations",
        LOC,
        m.CancelOperationsRequest(operation_ids=op_ids[:2], correlationid=_cid()),
    )
    assert isinstance(cancelled, m.CancelOperationsResponse)
    assert [r.operation.state for r in cancelled.results] == ["Cancelled", "Cancelled"]
    emu.advance(3700)
    assert _states(sdk, op_ids) == ["Cancelled", "Cancelled", "Succeeded"]
    assert [power(emu, v) for v in vms] == ["running", "running", "deallocated"]
    errors = sdk(
        "virtual_machines_get_operation_errors", LOC, m.GetOperationErrorsRequest(operation_ids=op_ids)
    )
    assert isinstance(errors, m.GetOperationErrorsResponse)
    assert [r.operation_id for r in errors.results] == op_ids
    assert all(r.operation_errors == [] for r in errors.results)
    assert errors.results[2].activation_time is not None and errors.results[0].activation_time is None


def test_unregistered_provider_surfaces_through_the_sdk(sdk: SdkCall, emu: Emulator, vms: list[str]) -> None:
    """The stock pipeline tries to register the provider (azure-mgmt-core's auto-registration
    policy); the emulator's caller may not, so the 409 reaches the caller at once."""
    knobs(emu).registered = False
    body = m.ExecuteDeallocateRequest(
        execution_parameters=_execution(), resources=m.Resources(ids=vms), correlationid=_cid()
    )
    with pytest.raises(HttpResponseError) as err:
        sdk("virtual_machines_execute_deallocate", LOC, body)
    assert err.value.status_code == 409
    assert err.value.error.code == "MissingSubscriptionRegistration"
    routes = emu.counters()["by_route"]
    assert routes["POST /subscriptions/{subscriptionId}/providers/Microsoft.ComputeSchedule/register"] == 1
    assert [power(emu, v) for v in vms] == ["running"] * 3


def test_too_many_vms_is_refused_whole(sdk: SdkCall, emu: Emulator, vms: list[str]) -> None:
    ids = [vm_id(emu, f"x{i}") for i in range(101)]
    body = m.ExecuteStartRequest(
        execution_parameters=_execution(), resources=m.Resources(ids=ids), correlationid=_cid()
    )
    with pytest.raises(HttpResponseError) as err:
        sdk("virtual_machines_execute_start", LOC, body)
    assert err.value.status_code == 400 and err.value.error.target == "resources.ids"
