"""Call the functions as the Functions host would, without the host: for a local run against the
flexvmss emulator (``flexvmss emulator serve --with-network``, then its ``export`` lines).

    python run_local.py list_vms                  # GET /api/vms, prints the JSON it returns
    python run_local.py deallocate_out_of_hours   # the timer's run, now

The app settings come from the environment, as the host passes them (``local.settings.json``
holds them for ``func start``).
"""

from __future__ import annotations

import asyncio
import sys

import azure.functions as func
from function_app import app


class _Timer:
    """What the timer trigger hands the function: this run is on time."""

    past_due = False


async def _run(name: str) -> int:
    functions = {f.get_function_name(): f.get_user_function() for f in app.get_functions()}
    if name == "list_vms":
        response = await functions["list_vms"](func.HttpRequest(method="GET", url="/api/vms", body=b""))
        print(response.get_body().decode())
        return 0 if response.status_code == 200 else 1
    if name == "deallocate_out_of_hours":
        await functions["deallocate_out_of_hours"](_Timer())
        print("deallocate_out_of_hours: done")
        return 0
    print(f"unknown function {name!r}: use one of {', '.join(sorted(functions))}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(asyncio.run(_run(sys.argv[1] if len(sys.argv) > 1 else "list_vms")))
