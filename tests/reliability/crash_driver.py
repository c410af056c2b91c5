"""A small command the crash tests run in a subprocess and SIGKILL part way.

::

    python crash_driver.py --base-url URL --ca-file PEM --subscription ID --resource-group RG \\
        --name SET --time-scale 0.01 create --subnet SUBNET_ID --capacity 20
    python crash_driver.py ... deallocate
    python crash_driver.py ... teardown
    python crash_driver.py ... scale --capacity 30

It drives the synchronous :class:`flexvmss.FlexScaleSet` (the face scripts use) against an
emulator the test started, with the library's own waits scaled to the emulator's clock. It
prints ``begin`` once its clients are built (one GET) and the operation is about to start (the test
kills it only after that line), then one JSON line with the outcome, and exits 0 when the
operation fully succeeded, 3 when some VMs failed, 1 on a flexvmss error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crash_driver")
    p.add_argument("--base-url", required=True)
    p.add_argument("--ca-file", required=True)
    p.add_argument("--subscription", required=True)
    p.add_argument("--resource-group", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--time-scale", type=float, default=1.0)
    sub = p.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create")
    create.add_argument("--subnet", required=True)
    create.add_argument("--capacity", type=int, required=True)
    scale = sub.add_parser("scale")
    scale.add_argument("--capacity", type=int, required=True)
    for name in ("deallocate", "start", "teardown"):
        sub.add_parser(name)
    return p


def emulator_clients(subscription: str, base_url: str, ca_file: str, scale: float) -> Any:
    """flexvmss's own clients on the emulator's time: their waits, and those of the fan-outs they
    serve, take ``scale`` of their length (also used by apply_driver.py)."""
    from flexvmss._arm import ArmSettings, build_clients
    from flexvmss._pipeline import ThrottleConfig
    from flexvmss._runtime import Runtime
    from flexvmss.emulator import AsyncEmulatorCredential

    async def scaled(seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) * scale)

    return build_clients(
        ArmSettings(
            subscription,
            base_url=base_url,
            connection_verify=ca_file,
            credential=AsyncEmulatorCredential("00000000-0000-0000-0000-000000000000"),
            throttle=ThrottleConfig(time_scale=scale),
            runtime=Runtime(sleep=scaled),
        )
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    import flexvmss
    from flexvmss._sync import run_sync

    clients = emulator_clients(args.subscription, args.base_url, args.ca_file, args.time_scale)
    ss = flexvmss.FlexScaleSet(args.subscription, args.resource_group, args.name, clients=clients)
    out: dict[str, Any] = {"command": args.command}
    code = 0
    ss.exists()  # build the clients and import azure-mgmt first: kills then land in the work
    print("begin", flush=True)
    try:
        if args.command == "create":
            from flexvmss import ImageSpec, NetworkSpec, ScaleSetSpec

            spec = ScaleSetSpec(
                location="westeurope",
                vm_size="Standard_D2s_v5",
                capacity=args.capacity,
                image=ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
                network=NetworkSpec(subnet_id=args.subnet, outbound="nat_gateway"),
                ssh_public_keys=("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFlexvmssCrashDriverKey crash@test",),
            )
            info = ss.create(spec)
            # a re-run finds the set created by a killed run; the capacity converges either way
            info = ss.scale_to(args.capacity)
            out["capacity"] = info.capacity
        elif args.command in ("deallocate", "start"):
            result = getattr(ss, args.command)()
            out["summary"] = result.summary()
            out["results"] = {
                name: [r.outcome.value if r.outcome else None, getattr(r.error, "code", None)]
                for name, r in result.results.items()
            }
            code = 0 if result.ok else 3
        elif args.command == "scale":
            info = ss.scale_to(args.capacity)
            out["capacity"] = info.capacity
        else:
            teardown = ss.delete(cascade=True)
            out["scale_set_deleted"] = teardown.scale_set_deleted
            out["leftovers_deleted"] = len(teardown.leftovers_deleted)
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
