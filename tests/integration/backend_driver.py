"""A batch in a subprocess the backend tests interrupt: SIGINT (Ctrl-C) or SIGKILL.

::

    python backend_driver.py --base-url URL --ca-file PEM --subscription ID --resource-group RG \\
        --name SET --time-scale 0.002 --face sync|aio --backend scheduled \\
        [--checkpoint PATH] [--concurrency N] [--sigint-on-start] deallocate

It prints ``started <vm>`` for each VM the batch sent (the test kills it after enough of them),
then one JSON line: ``{"interrupted": ..., "results": {vm: [outcome, code]}}``; exit code 0
when every VM succeeded, 3 otherwise, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from typing import Any


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="backend_driver")
    for flag in ("--base-url", "--ca-file", "--subscription", "--resource-group", "--name"):
        p.add_argument(flag, required=True)
    p.add_argument("--time-scale", type=float, default=1.0)
    p.add_argument("--face", choices=("sync", "aio"), default="sync")
    p.add_argument("--backend", default="scheduled")
    p.add_argument("--checkpoint")
    p.add_argument("--concurrency", type=int)
    p.add_argument("--sigint-on-start", action="store_true")
    p.add_argument("--names", help="comma-separated VM names (default: all of the set's)")
    p.add_argument("action", choices=("deallocate", "start"))
    return p


def _report(result: Any) -> dict[str, Any]:
    return {
        "interrupted": result.interrupted,
        "results": {
            name: [r.outcome.value if r.outcome else None, getattr(r.error, "code", None), r.backend]
            for name, r in result.results.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    import flexvmss
    import flexvmss.aio
    from flexvmss._arm import ArmSettings, build_clients
    from flexvmss._pipeline import ThrottleConfig
    from flexvmss._sync import run_sync
    from flexvmss.emulator import AsyncEmulatorCredential

    def settings() -> Any:
        return ArmSettings(
            args.subscription,
            base_url=args.base_url,
            connection_verify=args.ca_file,
            credential=AsyncEmulatorCredential("00000000-0000-0000-0000-000000000000"),
            polling_interval=0.05,
            throttle=ThrottleConfig(time_scale=args.time_scale),
        )

    interrupted: list[str] = []

    def on_event(event: Any) -> None:
        if event.kind == "started":
            print(f"started {event.vm}", flush=True)
            if args.sigint_on_start and not interrupted:
                interrupted.append(str(event.vm))
                os.kill(os.getpid(), signal.SIGINT)

    kwargs: dict[str, Any] = {"backend": args.backend, "on_event": on_event, "deadline": 300}
    if args.checkpoint:
        kwargs["checkpoint"] = args.checkpoint
    if args.names:
        kwargs["names"] = args.names.split(",")
    if args.concurrency:
        kwargs["concurrency"] = args.concurrency

    if args.face == "sync":
        clients = build_clients(settings())
        ss = flexvmss.FlexScaleSet(args.subscription, args.resource_group, args.name, clients=clients)
        try:
            ss.exists()
            print("begin", flush=True)
            result = getattr(ss, args.action)(**kwargs)
        except flexvmss.Interrupted as exc:
            print(json.dumps(_report(exc.result)), flush=True)
            return 130
        finally:
            ss.close()
            run_sync(clients.close)
        print(json.dumps(_report(result)), flush=True)
        return 0 if result.ok else 3

    async def run() -> Any:
        clients = build_clients(settings())
        async with flexvmss.aio.FlexScaleSet(
            args.subscription, args.resource_group, args.name, clients=clients
        ) as ss:
            try:
                await ss.exists()
                print("begin", flush=True)
                return await getattr(ss, args.action)(**kwargs)
            finally:
                await clients.close()

    result = asyncio.run(run())
    print(json.dumps(_report(result)), flush=True)
    return 0 if result.ok else 3


if __name__ == "__main__":
    sys.exit(main())
