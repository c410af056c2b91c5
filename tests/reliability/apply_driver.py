"""Apply a saved plan with a journal, in a subprocess the resume test SIGKILLs part way.

::

    python apply_driver.py --base-url URL --ca-file PEM --subscription ID --resource-group RG \\
        --name SET --time-scale 0.01 PLAN_JSON JOURNAL

It drives the synchronous :class:`flexvmss.FlexScaleSet` against an emulator the test started,
prints ``begin`` once its clients are built, then one JSON line: each action's outcome and
detail. Exits 0 when every action is done, 3 otherwise, 1 on a flexvmss error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from crash_driver import emulator_clients  # beside this script


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="apply_driver")
    for flag in ("--base-url", "--ca-file", "--subscription", "--resource-group", "--name"):
        p.add_argument(flag, required=True)
    p.add_argument("--time-scale", type=float, default=1.0)
    p.add_argument("plan")
    p.add_argument("journal")
    args = p.parse_args(argv)

    import flexvmss
    from flexvmss._sync import run_sync

    clients = emulator_clients(args.subscription, args.base_url, args.ca_file, args.time_scale)
    ss = flexvmss.FlexScaleSet(args.subscription, args.resource_group, args.name, clients=clients)
    plan = flexvmss.Plan.from_json(Path(args.plan).read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    code = 0
    ss.exists()  # clients built and azure-mgmt imported: a kill then lands in the apply
    print("begin", flush=True)
    try:
        result = ss.apply(plan, journal=args.journal, concurrency=1)
        out["results"] = {r.action.id: [r.outcome, r.detail] for r in result.results}
        code = 0 if result.ok else 3
    except flexvmss.FlexError as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        code = 1
    finally:
        ss.close()
        run_sync(clients.close)
    print(json.dumps(out), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
