"""What ScheduledActions refuses: a whole request (ARM's registration and region answers,
malformed or oversized bodies) or single VMs within an accepted batch."""

from __future__ import annotations

from typing import Any

import pytest
from schedule_world import (
    LOC,
    RG,
    base,
    build_world,
    client,
    execute_body,
    ids_body,
    submit_body,
    vm_body,
    vm_id,
)

from flexvmss.emulator import Emulator
from flexvmss.emulator.computeschedule import knobs
from flexvmss.emulator.core import arm_id

ACTIONS = [
    "virtualMachinesExecuteStart",
    "virtualMachinesExecuteDeallocate",
    "virtualMachinesExecuteHibernate",
    "virtualMachinesExecuteDelete",
    "virtualMachinesSubmitStart",
    "virtualMachinesSubmitDeallocate",
    "virtualMachinesSubmitHibernate",
    "virtualMachinesGetOperationStatus",
    "virtualMachinesCancelOperations",
    "virtualMachinesGetOperationErrors",
]


def _error(emu: Emulator, route: str, body: Any, location: str = LOC) -> tuple[int, str, str]:
    path = base(emu).replace(f"/locations/{LOC}", f"/locations/{location}")
    return client(emu).error("POST", f"{path}/{route}", body)


def _provider(emu: Emulator) -> str:
    return f"/subscriptions/{emu.subscription_id}/providers/Microsoft.ComputeSchedule"


@pytest.mark.parametrize("route", ACTIONS)
def test_every_route_needs_the_provider_registered(emu: Emulator, vms: list[str], route: str) -> None:
    knobs(emu).registered = False
    resp = client(emu).request("POST", f"{base(emu)}/{route}", execute_body(vms))
    assert resp.status == 409
    err = resp.body["error"]
    assert err["code"] == "MissingSubscriptionRegistration"
    assert "'Microsoft.ComputeSchedule'" in err["message"]
    assert err["details"][0]["target"] == "Microsoft.ComputeSchedule"


def test_registration_through_arms_provider_routes(emu: Emulator, vms: list[str]) -> None:
    h = client(emu)
    assert h.get(_provider(emu))["registrationState"] == "Registered"
    assert h.ok("POST", _provider(emu) + "/unregister").body["registrationState"] == "Unregistered"
    assert (
        _error(emu, "virtualMachinesExecuteStart", execute_body(vms))[1] == "MissingSubscriptionRegistration"
    )
    status, code, message = h.error("POST", _provider(emu) + "/register")
    assert (status, code) == (
        403,
        "AuthorizationFailed",
    ) and "Microsoft.ComputeSchedule/register/action" in message
    knobs(emu).can_register = True
    assert h.ok("POST", _provider(emu) + "/register").body["registrationState"] == "Registered"
    h.ok("POST", f"{base(emu)}/virtualMachinesExecuteStart", execute_body(vms))


def test_a_region_without_the_service(emu: Emulator, vms: list[str]) -> None:
    knobs(emu).regions = ["West Europe"]
    status, code, message = _error(emu, "virtualMachinesExecuteDeallocate", execute_body(vms))
    assert (status, code) == (400, "NoRegisteredProviderFound") and "'eastus'" in message
    locations = client(emu).get(_provider(emu))["resourceTypes"][0]["locations"]
    assert locations == ["westeurope"]


def test_defaults_come_back_with_a_reset(emu: Emulator) -> None:
    k = knobs(emu)
    k.registered, k.regions, k.blocked = False, ["westus2"], True
    k.refuse(["/x"])
    emu.reset()
    assert (k.registered, k.regions, k.blocked, k.can_register) == (True, None, False, False)


@pytest.mark.parametrize(
    ("change", "target"),
    [
        (lambda b: b["resources"].update(ids=[]), "resources.ids"),
        (lambda b: b.pop("resources"), "resources"),
        (lambda b: b.pop("executionParameters"), "executionParameters"),
        (lambda b: b.pop("correlationid"), "correlationid"),
        (
            lambda b: b["executionParameters"].update(retryPolicy={"retryCount": 8}),
            "executionParameters.retryPolicy.retryCount",
        ),
        (
            lambda b: b["executionParameters"].update(retryPolicy={"retryWindowInMinutes": 121}),
            "executionParameters.retryPolicy.retryWindowInMinutes",
        ),
        (
            lambda b: b["executionParameters"].update(optimizationPreference="Fastest"),
            "executionParameters.optimizationPreference",
        ),
    ],
)
def test_a_malformed_execute_is_refused_whole(
    emu: Emulator, vms: list[str], change: Any, target: str
) -> None:
    body = execute_body(vms)
    change(body)
    resp = client(emu).request("POST", f"{base(emu)}/virtualMachinesExecuteDeallocate", body)
    assert resp.status == 400 and resp.body["error"]["target"] == target
    assert knobs(emu).operations() == []


@pytest.mark.parametrize(
    ("schedule", "target"),
    [
        ({"deadline": 15 * 24 * 3600.0}, "schedule.deadline"),
        ({"deadline": -600.0}, "schedule.deadline"),
        ({"timezone": "Pacific Standard Time"}, "schedule.timezone"),
        ({"deadlineType": "Unknown"}, "schedule.deadlineType"),
        ({"deadline": "tomorrow"}, "schedule.deadline"),
    ],
)
def test_a_submit_with_a_bad_schedule_is_refused(
    emu: Emulator, vms: list[str], schedule: Any, target: str
) -> None:
    body = submit_body(emu, vms, 60)
    if isinstance(schedule.get("deadline"), float):
        schedule = {"deadline": submit_body(emu, vms, schedule["deadline"])["schedule"]["deadline"]}
    body["schedule"].update(schedule)
    resp = client(emu).request("POST", f"{base(emu)}/virtualMachinesSubmitDeallocate", body)
    assert resp.status == 400 and resp.body["error"]["target"] == target


def test_the_vm_limit_is_a_knob(emu: Emulator, vms: list[str]) -> None:
    knobs(emu).set_limits(max_resources=2)
    status, _code, message = _error(emu, "virtualMachinesExecuteStart", execute_body(vms))
    assert status == 400 and "at most 2" in message


def test_too_many_operation_ids(emu: Emulator, vms: list[str]) -> None:
    status, _code, message = _error(
        emu, "virtualMachinesGetOperationStatus", ids_body([f"op{i}" for i in range(101)])
    )
    assert status == 400 and "at most 100" in message


def test_single_vms_are_refused_with_their_own_errors(emu: Emulator, vms: list[str]) -> None:
    h = client(emu)
    [elsewhere] = build_world(emu, 1, rg="west", location="westeurope")
    knobs(emu).refuse([vms[1].upper()], code="VMNotEligible", details="not today")
    ids = [
        vms[0],
        vms[1],
        vm_id(emu, "ghost"),
        elsewhere,
        vms[0],
        "/subscriptions/other/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/x",
        arm_id(emu.subscription_id, RG, "Microsoft.Network", "networkInterfaces", "nic"),
        vms[2],
    ]
    results = h.ok("POST", f"{base(emu)}/virtualMachinesExecuteDeallocate", execute_body(ids)).body["results"]
    assert [r["resourceId"] for r in results] == ids
    assert [r.get("errorCode") for r in results] == [
        None,
        "VMNotEligible",
        "ResourceNotFound",
        "ResourceNotFound",
        "DuplicateResourceId",
        "InvalidResourceId",
        "InvalidResourceId",
        None,
    ]
    assert results[1]["errorDetails"] == "not today"
    assert [("operation" in r) for r in results] == [r.get("errorCode") is None for r in results]
    assert len(knobs(emu).operations()) == 2


def test_a_seeded_share_of_vms_is_refused_the_same_way_every_time(emu: Emulator, vms: list[str]) -> None:
    ids = [vm_id(emu, f"vm{i}") for i in range(3)] + [vm_id(emu, f"ghost{i}") for i in range(97)]
    k = knobs(emu)
    k.refuse_share(0.3, seed=5, code="VMNotEligible")

    def refused(order: list[str]) -> list[str]:
        body = execute_body(order)
        results = client(emu).ok("POST", f"{base(emu)}/virtualMachinesExecuteHibernate", body).body["results"]
        return sorted(r["resourceId"] for r in results if r.get("errorCode") == "VMNotEligible")

    first = refused(list(reversed(ids)))
    assert 15 <= len(first) <= 45
    k.clear_refusals()
    k.refuse_share(0.3, seed=5, code="VMNotEligible")
    emu.advance(3600)  # the first batch has ended: no conflicts
    assert refused(ids) == first


def test_create_refuses_a_name_in_use(emu: Emulator, vms: list[str]) -> None:
    profile = {**vm_body(emu, "vm0"), "resourcegroupName": RG}
    body = {
        "resourceConfigParameters": {
            "resourceCount": 1,
            "baseProfile": profile,
            "resourceOverrides": [{"name": "vm0"}],
        },
        "executionParameters": {},
    }
    [result] = client(emu).ok("POST", f"{base(emu)}/virtualMachinesExecuteCreate", body).body["results"]
    assert result["errorCode"] == "Conflict" and result["resourceId"] == vms[0]


def test_unknown_operations_are_named_in_the_answer(emu: Emulator, vms: list[str]) -> None:
    [status] = (
        client(emu)
        .ok("POST", f"{base(emu)}/virtualMachinesGetOperationStatus", ids_body(["nope"]))
        .body["results"]
    )
    assert status["errorCode"] == "OperationNotFound" and status["operation"] == {
        "operationId": "nope",
        "state": "Unknown",
    }
    [errors] = (
        client(emu)
        .ok("POST", f"{base(emu)}/virtualMachinesGetOperationErrors", {"operationIds": ["nope"]})
        .body["results"]
    )
    assert errors["requestErrorCode"] == "OperationNotFound"


def test_operations_belong_to_their_region(emu: Emulator, vms: list[str]) -> None:
    answer = client(emu).ok("POST", f"{base(emu)}/virtualMachinesExecuteStart", execute_body(vms[:1])).body
    op_id = answer["results"][0]["operation"]["operationId"]
    west = base(emu).replace(f"/locations/{LOC}", "/locations/westeurope")
    [status] = (
        client(emu).ok("POST", f"{west}/virtualMachinesGetOperationStatus", ids_body([op_id])).body["results"]
    )
    assert status["errorCode"] == "OperationNotFound"
