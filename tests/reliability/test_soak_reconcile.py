"""The soak's reconcile phase in its quick form (``make soak`` runs it longer, from
bench/soak.py): plans, another actor's drift between plan and apply, guarded applies. No apply
writes to a VM the actor changed after the plan; the ETag fences fire; a throttled read's plan
is refused; every round converges."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _soak_reconcile import run_reconcile


async def test_drift_between_plan_and_apply_causes_no_unsafe_action():
    report = await run_reconcile(vms=18, rounds=6, seed=20261127)

    assert report["unsafe"] == [] and report["unsafe_actions"] == 0
    assert report["stopped_by_etag"] > 0, "the actor must hit VMs the plan acts on"
    assert report["refused_plans"] >= 1
    assert report["not_converged"] == []
    assert report["actions_done"] > 0 and report["ok"]
