"""The ScheduledActions backend's wire values (flexvmss._fanout._scheduled): limits checked
before anything is sent, bodies in the 2025-05-01 shapes, answers and states read."""

from __future__ import annotations

import datetime as dt

import pytest

from flexvmss._errors import InvalidInputError
from flexvmss._fanout import _scheduled as sa

VM = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm{}"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"retry_count": 8}, "retry_count"),
        ({"retry_count": -1}, "retry_count"),
        ({"retry_window_minutes": 121}, "retry_window_minutes"),
        ({"retry_window_minutes": True}, "retry_window_minutes"),
        ({"optimization": "Fastest"}, "optimization"),
    ],
)
def test_options_outside_the_services_limits_are_refused_here(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        sa.ScheduledOptions(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field and "Fix:" in str(err.value)


def test_execution_parameters() -> None:
    assert sa.ScheduledOptions().execution_parameters() == {}
    opts = sa.ScheduledOptions(optimization="Availability", retry_count=3, retry_window_minutes=45)
    assert opts.execution_parameters() == {
        "optimizationPreference": "Availability",
        "retryPolicy": {"retryCount": 3, "retryWindowInMinutes": 45},
    }


def test_execute_body() -> None:
    body = sa.execute_body("delete", [VM.format(1)], sa.ScheduledOptions(), "c-1", force=True)
    assert body == {
        "executionParameters": {},
        "resources": {"ids": [VM.format(1)]},
        "correlationid": "c-1",
        "forceDeletion": True,
    }
    assert "forceDeletion" not in sa.execute_body(
        "deallocate", [VM.format(1)], sa.ScheduledOptions(), "c", force=True
    )


def test_a_request_holds_at_most_100_vms() -> None:
    ids = [VM.format(i) for i in range(250)]
    with pytest.raises(InvalidInputError) as err:
        sa.execute_body("start", ids, sa.ScheduledOptions(), "c")
    assert err.value.field == "vm_ids" and "chunks()" in err.value.fix
    parts = list(sa.chunks(ids))
    assert [len(p) for p in parts] == [100, 100, 50] and [i for p in parts for i in p] == ids
    with pytest.raises(InvalidInputError):
        sa.execute_body("start", [], sa.ScheduledOptions(), "c")


def test_unknown_actions_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        sa.execute_body("restart", [VM.format(1)], sa.ScheduledOptions(), "c")
    with pytest.raises(InvalidInputError):
        sa.submit_body("delete", [VM.format(1)], sa.ScheduledOptions(), "c", deadline=NOW, now=NOW)


def test_submit_body_and_its_deadline_window() -> None:
    later = NOW + dt.timedelta(hours=2, milliseconds=250)
    body = sa.submit_body("hibernate", [VM.format(1)], sa.ScheduledOptions(), "c", deadline=later, now=NOW)
    assert body["schedule"] == {
        "deadline": "2026-03-01T14:00:00.250Z",
        "timezone": "UTC",
        "deadlineType": "InitiateAt",
    }
    by = sa.submit_body(
        "start", [VM.format(1)], sa.ScheduledOptions(), "c", deadline=later, now=NOW, complete_by=True
    )
    assert by["schedule"]["deadlineType"] == "CompleteBy"
    for bad in (NOW + dt.timedelta(days=15), NOW - dt.timedelta(minutes=6)):
        with pytest.raises(InvalidInputError) as err:
            sa.submit_body("start", [VM.format(1)], sa.ScheduledOptions(), "c", deadline=bad, now=NOW)
        assert err.value.field == "deadline"
    with pytest.raises(InvalidInputError):
        sa.submit_body(
            "start", [VM.format(1)], sa.ScheduledOptions(), "c", deadline=later.replace(tzinfo=None), now=NOW
        )


def test_operation_ids_body() -> None:
    assert sa.operation_ids_body(["a"], "c") == {"operationIds": ["a"], "correlationid": "c"}
    assert sa.operation_ids_body(["a"], None) == {"operationIds": ["a"]}
    with pytest.raises(InvalidInputError):
        sa.operation_ids_body([str(i) for i in range(101)], "c")


def test_read_batch_answer_splits_accepted_refused_and_blocked() -> None:
    answer = {
        "results": [
            {"resourceId": VM.format(1), "operation": {"operationId": "op1", "state": "PendingScheduling"}},
            {"resourceId": VM.format(2), "errorCode": "OperationConflict", "errorDetails": "busy"},
            {"resourceId": VM.format(3), "operation": {"operationId": "op3", "state": "Blocked"}},
            {"resourceId": VM.format(4), "errorCode": "X", "operation": {"operationId": "op4"}},
        ]
    }
    read = sa.read_batch_answer(answer)
    assert read.accepted == {VM.format(1): "op1", VM.format(3): "op3"}
    assert read.refused == {VM.format(2): ("OperationConflict", "busy"), VM.format(4): ("X", "")}
    assert read.blocked == [VM.format(3)]


@pytest.mark.parametrize(
    ("service", "state"),
    [
        ("PendingScheduling", sa.ScheduledState.WAITING),
        ("Scheduled", sa.ScheduledState.WAITING),
        ("PendingExecution", sa.ScheduledState.WAITING),
        ("Unknown", sa.ScheduledState.WAITING),
        ("Executing", sa.ScheduledState.EXECUTING),
        ("Blocked", sa.ScheduledState.BLOCKED),
        ("Succeeded", sa.ScheduledState.SUCCEEDED),
        ("Failed", sa.ScheduledState.FAILED),
        ("Cancelled", sa.ScheduledState.CANCELLED),
    ],
)
def test_states(service: str, state: sa.ScheduledState) -> None:
    [status] = sa.read_status({"results": [{"operation": {"operationId": "o", "state": service}}]})
    assert status.state is state and status.service_state == service
    assert status.state.terminal == (service in ("Succeeded", "Failed", "Cancelled"))


def test_read_status_carries_the_error() -> None:
    failed = {
        "operationId": "o1",
        "state": "Failed",
        "resourceOperationError": {"errorCode": "E", "errorDetails": "d"},
    }
    unknown = {"errorCode": "OperationNotFound", "errorDetails": "gone", "operation": {"operationId": "o2"}}
    one, two = sa.read_status({"results": [{"resourceId": VM.format(1), "operation": failed}, unknown]})
    assert (one.code, one.details, one.resource_id) == ("E", "d", VM.format(1))
    assert (two.code, two.state) == ("OperationNotFound", sa.ScheduledState.WAITING)


def test_unavailable_and_grouping() -> None:
    assert sa.unavailable("MissingSubscriptionRegistration") and sa.unavailable("NoRegisteredProviderFound")
    assert not sa.unavailable("InvalidParameter") and not sa.unavailable(None)
    pairs = [(VM.format(1), "East US"), (VM.format(2), "westeurope"), (VM.format(3), "eastus")]
    assert sa.by_location(pairs) == {"eastus": [VM.format(1), VM.format(3)], "westeurope": [VM.format(2)]}
