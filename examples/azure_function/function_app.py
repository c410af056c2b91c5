"""Azure Functions (Python v2 programming model) that keep a Flex scale set tidy.

* ``deallocate_out_of_hours`` (timer): deallocates the set's VMs out of hours, so compute
  billing stops overnight. VMs tagged ``flexvmss-keep-running=true`` are left alone.
* ``list_vms`` (HTTP GET ``/api/vms``): the set's VMs and their power states, as JSON.

Both use the async API (:class:`flexvmss.aio.FlexScaleSet`), so hundreds of VM operations
wait as coroutines on the worker's event loop, not as threads. Configuration comes from app
settings (environment variables, see ``local.settings.json.example``); the identity is the
Function App's managed identity, except against another Resource Manager endpoint
(``FLEXVMSS_BASE_URL``, such as the flexvmss emulator in a local run), where flexvmss picks the
credential: the emulator's token for a local endpoint, ``DefaultAzureCredential`` otherwise.

The work lives in plain async functions (:func:`deallocate_out_of_hours_job`,
:func:`list_vms_payload`) that take their settings and credential as arguments, so they can
be tested and reused without the Functions host.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func

from flexvmss.aio import FlexScaleSet

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

log = logging.getLogger("flexvmss.functions")

#: VMs with this tag set to "true" are not deallocated out of hours.
KEEP_RUNNING_TAG = "flexvmss-keep-running"


@dataclass(frozen=True)
class Settings:
    """The app settings the functions read.

    ``AZURE_SUBSCRIPTION_ID``, ``FLEXVMSS_RESOURCE_GROUP`` and ``FLEXVMSS_SCALE_SET`` are
    required. ``AZURE_CLIENT_ID`` picks a user-assigned managed identity (unset: the
    system-assigned one). ``FLEXVMSS_BASE_URL`` and ``FLEXVMSS_CA_FILE`` point the functions
    at another Resource Manager endpoint, such as the flexvmss emulator in local runs.
    """

    subscription_id: str
    resource_group: str
    scale_set: str
    managed_identity_client_id: str | None = None
    base_url: str | None = None
    ca_file: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        missing = [
            k
            for k in ("AZURE_SUBSCRIPTION_ID", "FLEXVMSS_RESOURCE_GROUP", "FLEXVMSS_SCALE_SET")
            if not env.get(k)
        ]
        if missing:
            raise RuntimeError(f"missing app setting(s): {', '.join(missing)}")
        return cls(
            subscription_id=env["AZURE_SUBSCRIPTION_ID"],
            resource_group=env["FLEXVMSS_RESOURCE_GROUP"],
            scale_set=env["FLEXVMSS_SCALE_SET"],
            managed_identity_client_id=env.get("AZURE_CLIENT_ID") or None,
            base_url=env.get("FLEXVMSS_BASE_URL") or None,
            ca_file=env.get("FLEXVMSS_CA_FILE") or None,
        )


def _managed_identity(settings: Settings) -> Any:
    from azure.identity.aio import ManagedIdentityCredential

    if settings.managed_identity_client_id:
        return ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
    return ManagedIdentityCredential()


def _credential(settings: Settings) -> Any:
    """The Function App's managed identity; None (flexvmss decides) for another endpoint: a
    local run against the emulator has no managed identity, and gets the emulator's token."""
    if settings.base_url:
        return None
    return _managed_identity(settings)


def _scale_set(settings: Settings, credential: Any) -> FlexScaleSet:
    return FlexScaleSet(
        settings.subscription_id,
        settings.resource_group,
        settings.scale_set,
        credential=credential,
        base_url=settings.base_url,
        connection_verify=settings.ca_file,
    )


def _keeps_running(vm: Any) -> bool:
    tags = getattr(vm, "tags", None) or {}
    return str(tags.get(KEEP_RUNNING_TAG, "")).lower() == "true"


def _is_deallocated(vm: Any) -> bool:
    return "deallocated" in str(getattr(vm, "power_state", "") or "").lower()


async def deallocate_out_of_hours_job(settings: Settings, *, credential: Any = None) -> dict[str, Any]:
    """Deallocate every VM of the set that runs and is not tagged to keep running.

    Returns a summary (names by outcome, requests, 429s). Raises
    ``BatchFailedError`` (a :class:`flexvmss.FlexError`, via ``raise_for_failures``) when any VM failed, so
    the Functions host records the run as failed and its retry policy can act.
    """
    owned = credential is None
    credential = credential or _credential(settings)
    try:
        async with _scale_set(settings, credential) as ss:
            batch = await ss.deallocate(where=lambda vm: not _is_deallocated(vm) and not _keeps_running(vm))
    finally:
        if owned and credential is not None:
            await credential.close()
    summary = {
        "scale_set": settings.scale_set,
        "deallocated": sorted(batch.succeeded),
        "failed": sorted(batch.failed),
        "requests": dict(batch.requests),
        "throttled": batch.throttled,
    }
    log.info("out-of-hours deallocation: %s", json.dumps(summary))
    batch.raise_for_failures()
    return summary


async def list_vms_payload(settings: Settings, *, credential: Any = None) -> list[dict[str, Any]]:
    """The set's VMs with their power and provisioning states, zone, size and priority."""
    owned = credential is None
    credential = credential or _credential(settings)
    try:
        async with _scale_set(settings, credential) as ss:
            vms = await ss.vms(instance_view=True)
    finally:
        if owned and credential is not None:
            await credential.close()
    return [
        {
            "name": vm.name,
            "power_state": vm.power_state,
            "provisioning_state": vm.provisioning_state,
            "zone": vm.zone,
            "platform_fault_domain": vm.platform_fault_domain,
            "size": vm.size,
            "priority": vm.priority,
        }
        for vm in sorted(vms, key=lambda vm: vm.name)
    ]


@app.timer_trigger(
    arg_name="timer", schedule="%FLEXVMSS_OFF_HOURS_SCHEDULE%", run_on_startup=False, use_monitor=True
)
async def deallocate_out_of_hours(timer: func.TimerRequest) -> None:
    """Timer: deallocate the set's VMs on the FLEXVMSS_OFF_HOURS_SCHEDULE (NCRONTAB) schedule."""
    if timer.past_due:
        log.warning("the out-of-hours run is late; deallocating now")
    await deallocate_out_of_hours_job(Settings.from_env())


@app.route(route="vms", methods=["GET"])
async def list_vms(req: func.HttpRequest) -> func.HttpResponse:
    """HTTP GET /api/vms: the set's VMs and their power states as JSON."""
    from flexvmss import FlexError

    try:
        payload = await list_vms_payload(Settings.from_env())
    except FlexError as exc:
        log.error("listing VMs failed: %s", exc)
        return func.HttpResponse(
            json.dumps({"error": type(exc).__name__, "message": str(exc)}),
            status_code=502,
            mimetype="application/json",
        )
    return func.HttpResponse(json.dumps(payload), status_code=200, mimetype="application/json")
