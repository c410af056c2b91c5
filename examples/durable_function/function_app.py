"""Durable Functions (Python v2 programming model): one power operation over a fleet of many
thousands of VMs, in chunks with checkpoints, so the job outlives any one function's time limit.

* ``start_fleet_job`` (HTTP POST ``/api/fleet/{operation}``): starts the orchestration with a
  job (``{"resource_group": ...}``, ``{"tag": "k=v"}`` or ``{"sets": ["rg/name", ...]}``, and
  ``backend``) and answers with the Durable Functions status URLs;
* ``fleet_orchestrator`` (orchestrator): plans the chunks once (activity ``plan_job``), then runs
  them one by one (activity ``run_chunk``), calling a chunk again until every VM of it has an
  outcome Azure confirmed; every ``CHUNKS_PER_GENERATION`` chunks it continues as new, so its
  history stays short however many chunks there are;
* ``plan_job`` (activity): the fleet's sets and VMs, as chunks of at most ``CHUNK_SIZE`` VMs;
* ``run_chunk`` (activity): one chunk through flexvmss, for at most ``ACTIVITY_SECONDS``, with a
  checkpoint per chunk in ``FLEXVMSS_CHECKPOINT_DIR`` (mount an Azure Files share there, so every
  instance of the app sees the same files).

Why it survives restarts: Durable Functions replays the orchestrator from its history after
any restart, and the activities' results are in that history. An activity that was cut off
(the host recycled, the time limit hit) runs again with the same chunk: its checkpoint holds
the ScheduledActions operation id (or the status URL) of every VM it already sent, so the new
run reads how those ended and sends only the VMs never sent. Nothing is sent twice.

The orchestrator and activities are plain functions (``fleet_orchestrator`` is a generator
that yields ``context.call_activity(...)``, the durable API's shape), registered with the
Durable Functions decorators below, so they can be driven without the Functions host: see
``tests/examples/test_durable_function.py``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from flexvmss import FileStore, Outcome, ThrottleConfig
from flexvmss.aio import Fleet, FlexScaleSet

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
log = logging.getLogger("flexvmss.durable")

#: VMs per activity call: ten ScheduledActions requests, or 500 per-VM requests paced within
#: ARM's limits, fit well inside one activity's time.
CHUNK_SIZE = 500
#: Seconds one activity works before it returns what it has (the Consumption plan's default
#: function timeout is 5 minutes: learn.microsoft.com/azure/azure-functions/functions-scale).
ACTIVITY_SECONDS = 240.0
#: Chunks one orchestration generation runs before ``continue_as_new`` (keeps the history small).
CHUNKS_PER_GENERATION = 10
#: Calls of one chunk at most before the orchestrator reports its VMs as they stand.
MAX_CALLS_PER_CHUNK = 20
OPERATIONS = ("start", "deallocate", "delete_vms")


def _connection(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How flexvmss reaches ARM: ``DefaultAzureCredential`` (the app's managed identity) on
    Azure; ``FLEXVMSS_BASE_URL`` and ``FLEXVMSS_CA_FILE`` point it at another endpoint (the
    flexvmss emulator, locally), and ``FLEXVMSS_TIME_SCALE`` tells it that endpoint's clock
    (the emulator's ``time_scale``), so its waits are the emulator's seconds too."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    if env.get("FLEXVMSS_BASE_URL"):
        out["base_url"] = env["FLEXVMSS_BASE_URL"]
        if env.get("FLEXVMSS_CA_FILE"):
            out["connection_verify"] = env["FLEXVMSS_CA_FILE"]
    if env.get("FLEXVMSS_TIME_SCALE"):
        out["throttle"] = ThrottleConfig(time_scale=float(env["FLEXVMSS_TIME_SCALE"]))
    return out


def _checkpoint(chunk_id: str, environ: Mapping[str, str] | None = None) -> FileStore:
    env = os.environ if environ is None else environ
    root = Path(env.get("FLEXVMSS_CHECKPOINT_DIR") or "checkpoints")
    return FileStore(root / f"{chunk_id}.json")


async def plan_job(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's chunks: ``{"id", "set", "names"}``, at most :data:`CHUNK_SIZE` VMs each."""
    subscription = job["subscription_id"]
    select = {k: job[k] for k in ("resource_group", "tag", "sets") if job.get(k)}
    async with Fleet(subscription, **select, **_connection()) as fleet:
        sets = await fleet.scale_sets()
    chunks: list[dict[str, Any]] = []
    for key in sets:
        group, name = key.split("/")
        async with FlexScaleSet(subscription, group, name, **_connection()) as ss:
            names = sorted(vm.name for vm in await ss.vms())
        for start in range(0, len(names), CHUNK_SIZE):
            chunks.append(
                {
                    "id": f"{group}.{name}.{start // CHUNK_SIZE}",
                    "set": key,
                    "names": names[start : start + CHUNK_SIZE],
                }
            )
    log.info("job %s: %d sets, %d chunks", job.get("operation"), len(sets), len(chunks))
    return chunks


async def run_chunk(work: dict[str, Any]) -> dict[str, Any]:
    """One chunk for at most :data:`ACTIVITY_SECONDS`; what is confirmed, what is still open."""
    chunk, operation = work["chunk"], work["operation"]
    if operation not in OPERATIONS:
        raise ValueError(f"operation must be one of {OPERATIONS}, not {operation!r}")
    group, name = chunk["set"].split("/")
    async with FlexScaleSet(work["subscription_id"], group, name, **_connection()) as ss:
        result = await getattr(ss, operation)(
            chunk["names"],
            backend=work.get("backend", "auto"),
            deadline=work.get("activity_seconds", ACTIVITY_SECONDS),
            checkpoint=_checkpoint(chunk["id"]),
        )
    open_vms = [
        vm
        for vm, r in result.results.items()
        if r.outcome in (Outcome.NOT_STARTED, Outcome.CANCELLED)
        or (r.outcome is Outcome.FAILED and type(r.error).__name__ == "DeadlineExceededError")
    ]
    failed = {
        vm: getattr(r.error, "code", None)
        for vm, r in result.results.items()
        if vm not in open_vms and r.outcome is Outcome.FAILED
    }
    return {
        "id": chunk["id"],
        "succeeded": len(result.succeeded) + len(result.skipped),
        "failed": failed,
        "open": open_vms,
        "requests": result.total_requests,
    }


def fleet_orchestrator(context: Any) -> Generator[Any, Any, dict[str, Any] | None]:
    """Plan once, then run the chunks in order, each until every VM of it is confirmed; continue
    as new every :data:`CHUNKS_PER_GENERATION` chunks. Deterministic: only activities touch Azure."""
    job: dict[str, Any] = dict(context.get_input())
    chunks = job.get("chunks")
    if chunks is None:
        chunks = yield context.call_activity("plan_job", job)
    cursor: int = job.get("cursor", 0)
    totals: dict[str, Any] = job.get("totals") or {"succeeded": 0, "failed": {}, "open": [], "calls": 0}
    work = {k: v for k, v in job.items() if k not in ("chunks", "cursor", "totals")}
    stop = min(len(chunks), cursor + CHUNKS_PER_GENERATION)
    while cursor < stop:
        chunk = chunks[cursor]
        for _ in range(MAX_CALLS_PER_CHUNK):
            out = yield context.call_activity("run_chunk", {**work, "chunk": chunk})
            totals["calls"] += 1
            if not out["open"]:
                break
        totals["succeeded"] += out["succeeded"]
        totals["failed"].update(out["failed"])
        totals["open"] += out["open"]
        cursor += 1
        context.set_custom_status(
            {"chunks_done": cursor, "chunks": len(chunks), "succeeded": totals["succeeded"]}
        )
    if cursor < len(chunks):
        context.continue_as_new({**work, "chunks": chunks, "cursor": cursor, "totals": totals})
        return None
    return totals


# -- registration with the Functions host (the plain functions above stay callable) ----------

app.orchestration_trigger(context_name="context", orchestration="fleet_orchestrator")(fleet_orchestrator)
app.activity_trigger(input_name="job", activity="plan_job")(plan_job)
app.activity_trigger(input_name="work", activity="run_chunk")(run_chunk)


@app.route(route="fleet/{operation}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start_fleet_job(req: func.HttpRequest, client: Any) -> func.HttpResponse:
    """Start a fleet job: ``POST /api/fleet/deallocate`` with ``{"resource_group": "rg"}``."""
    operation = req.route_params.get("operation", "").replace("-", "_")
    if operation not in OPERATIONS:
        return func.HttpResponse(f"operation must be one of {', '.join(OPERATIONS)}", status_code=400)
    body = req.get_json() if req.get_body() else {}
    job = {
        "operation": operation,
        "subscription_id": body.get("subscription_id") or os.environ["AZURE_SUBSCRIPTION_ID"],
        **{k: body[k] for k in ("resource_group", "tag", "sets", "backend") if body.get(k)},
    }
    instance_id = await client.start_new("fleet_orchestrator", client_input=job)
    return client.create_check_status_response(req, instance_id)
