"""The soak's reconcile phase: plan, let "another actor" change the set, apply, count unsafe
actions.

Each round picks a seeded desired state for a Flex set (VM counts per zone, a tag, sometimes a
size or a power state), plans it, then another actor changes some of the set's VMs through the
stock SDK before the apply: it retags, resizes, deallocates, starts or deletes them. Then the
plan is applied, and every VM the actor touched is checked:

* an **unsafe action** is a write of the apply that landed on a VM after the actor changed it
  (its ETag moved past the one the actor left, or the VM is gone and the actor did not delete
  it): the apply acted on a picture that was no longer true. There must be none;
* the apply's ``changed`` outcomes (actions its ETag fences stopped) and its refused plans
  (a round whose plan read was throttled on purpose) are counted;
* after the apply, the set converges: the fresh plan is applied with the actor quiet, and the
  set must then plan empty.

    python bench/_soak_reconcile.py [--vms 30] [--rounds 12] [--seed 20261127]

Run from ``bench/soak.py`` (``make soak``) as its ``reconcile`` section.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from typing import Any

from flexvmss import (
    DesiredState,
    ImageSpec,
    NetworkSpec,
    PlanRefusedError,
    ScaleSetSpec,
    VmGroup,
)
from flexvmss.emulator import Emulator

RG = "rg-reconcile"
NAME = "recon"
ZONES = ("1", "2", "3")
DRIFTS = ("tags", "size", "deallocate", "start", "delete")


def _spec(subnet_id: str, vms: int) -> ScaleSetSpec:
    return ScaleSetSpec(
        location="westeurope",
        vm_size="Standard_D2s_v5",
        capacity=vms,
        zones=ZONES,
        platform_fault_domain_count=1,
        image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        network=NetworkSpec(subnet_id=subnet_id, outbound="nat_gateway"),
        ssh_public_keys=("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFlexvmssReconcileSoakKey soak@bench",),
    )


def _desired(rng: random.Random, spec: ScaleSetSpec, per_zone: int, round_no: int) -> DesiredState:
    groups = tuple(VmGroup(max(1, per_zone + rng.randint(-2, 2)), zone=z) for z in ZONES)
    return DesiredState(
        spec,
        vms=groups,
        tags={"round": str(round_no)},
        size=rng.choice((None, None, "Standard_D4s_v5")),
        power_state=rng.choice((None, "running")),
    )


def _actor(emu: Emulator, rng: random.Random, names: list[str], touches: int) -> dict[str, dict[str, Any]]:
    """Another actor changes ``touches`` VMs (stock SDK, waits for each change); returns what it
    left per VM: ``{"etag": ..., "deleted": bool, "drift": kind}``."""
    compute = emu.clients().compute.virtual_machines
    touched: dict[str, dict[str, Any]] = {}
    for name in rng.sample(names, min(touches, len(names))):
        drift = rng.choice(DRIFTS)
        try:
            if drift == "tags":
                compute.begin_update(RG, name, {"tags": {"owner": "someone-else"}}).result()
            elif drift == "size":
                compute.begin_update(RG, name, {"hardwareProfile": {"vmSize": "Standard_D8s_v5"}}).result()
            elif drift == "deallocate":
                compute.begin_deallocate(RG, name).result()
            elif drift == "start":
                compute.begin_start(RG, name).result()
            else:
                compute.begin_delete(RG, name).result()
        except Exception as exc:  # the actor's own failures are not the apply's business
            touched[name] = {"etag": None, "deleted": False, "drift": f"{drift} failed: {type(exc).__name__}"}
            continue
        if drift == "delete":
            touched[name] = {"etag": None, "deleted": True, "drift": drift}
        else:
            touched[name] = {"etag": compute.get(RG, name).etag, "deleted": False, "drift": drift}
    return touched


def _unsafe(emu: Emulator, touched: dict[str, dict[str, Any]]) -> list[str]:
    """The touched VMs the apply wrote to after the actor (see the module)."""
    from azure.core.exceptions import ResourceNotFoundError

    compute = emu.clients().compute.virtual_machines
    found = []
    for name, left in touched.items():
        if left["deleted"] or left["etag"] is None:
            continue
        # each VM's own GET: a list may be a round stale (the emulator's realism) and would show
        # an older ETag than the actor's, which is no write of the apply's
        try:
            etag = compute.get(RG, name).etag
        except ResourceNotFoundError:
            found.append(f"{name}: deleted by the apply after the actor's {left['drift']}")
            continue
        if etag != left["etag"]:
            found.append(f"{name}: written by the apply after the actor's {left['drift']}")
    return found


async def run_reconcile(
    *, vms: int = 30, rounds: int = 12, seed: int = 20261127, time_scale: float = 0.001
) -> dict[str, Any]:
    import flexvmss.aio

    rng = random.Random(seed)
    started = time.perf_counter()
    out: dict[str, Any] = {
        "vms": vms,
        "rounds": rounds,
        "actions_planned": 0,
        "actions_done": 0,
        "stopped_by_etag": 0,
        "refused_plans": 0,
        "vms_touched_by_actor": 0,
        "unsafe_actions": 0,
        "unsafe": [],
        "not_converged": [],
    }
    with Emulator(time_scale=time_scale, page_size=100, seed=seed) as emu:
        net = emu.create_network(RG)
        spec = _spec(net.subnet_id, vms)
        async with flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, NAME, emulator=emu) as ss:
            await ss.create(spec)
            for round_no in range(rounds):
                desired = _desired(rng, spec, vms // len(ZONES), round_no)
                throttled_round = round_no % 4 == 3
                if throttled_round:  # a read Azure throttles: the plan must be refused
                    emu.add_fault({"kind": "status", "method": "GET", "path": "virtualMachines$",
                                   "status": 429, "times": 1})  # fmt: skip
                plan = await ss.plan(desired)
                emu.clear_faults()
                # the actor goes for VMs the plan acts on (the case the guardrails are for), and others
                acted = sorted({a.vm for a in plan.actions if a.kind != "create"})
                others = sorted(vm.name for vm in await ss.vms() if vm.name not in acted)
                count = rng.randint(1, max(1, vms // 6))
                names = rng.sample(acted, min(len(acted), count)) + rng.sample(others, min(len(others), 1))
                touched = await asyncio.to_thread(_actor, emu, rng, names, len(names))
                out["vms_touched_by_actor"] += len(touched)
                out["actions_planned"] += len(plan.actions)
                try:
                    result = await ss.apply(plan, max_delete=vms)
                except PlanRefusedError:
                    out["refused_plans"] += 1
                    result = None
                found = await asyncio.to_thread(_unsafe, emu, touched)
                out["unsafe"] += [f"round {round_no}: {item}" for item in found]
                if result is not None:
                    out["actions_done"] += len(result.ended("done"))
                    out["stopped_by_etag"] += len(result.ended("changed"))
                # converge with the actor quiet
                for _ in range(3):
                    again = await ss.plan(desired)
                    if again.empty:
                        break
                    await ss.apply(again, max_delete=vms)
                else:
                    out["not_converged"].append(round_no)
    out["unsafe_actions"] = len(out["unsafe"])
    out["wall_seconds"] = round(time.perf_counter() - started, 1)
    out["ok"] = out["unsafe_actions"] == 0 and not out["not_converged"] and out["refused_plans"] > 0
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vms", type=int, default=30)
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--seed", type=int, default=20261127)
    args = p.parse_args(argv)
    result = asyncio.run(run_reconcile(vms=args.vms, rounds=args.rounds, seed=args.seed))
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
