"""``python -m flexvmss.emulator serve``: run the emulator in a terminal until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from ._emulator import Emulator, is_loopback
from ._inputs import ADMIN_TOKEN_HEADER
from .core import PAGE_SIZE, REALISM_ENV, REALISM_LEVELS

__all__ = ["serve", "snippet"]


def snippet(emu: Emulator) -> str:
    """Python that points the stock clients at a running emulator."""
    return (
        "from azure.mgmt.compute import ComputeManagementClient\n"
        "from flexvmss.emulator import EmulatorCredential\n"
        "compute = ComputeManagementClient(\n"
        f"    EmulatorCredential({emu.tenant_id!r}),\n"
        f"    {emu.subscription_id!r},\n"
        f"    base_url={emu.base_url!r},\n"
        f"    connection_verify={emu.ca_file!r},\n"
        '    credential_scopes=["https://management.azure.com/.default"],\n'
        ")\n"
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m flexvmss.emulator", description="A local Azure Resource Manager."
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve until Ctrl-C")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    s.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host: the emulator then takes requests from the network "
        "(any bearer token passes; only the admin API needs its token)",
    )
    s.add_argument("--port", type=int, default=0, help="0 picks a free port (the default)")
    s.add_argument("--time-scale", type=float, default=1.0, help="real seconds per emulated second")
    s.add_argument("--throttle", choices=["azure", "off"], default="off")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--page-size", type=int, default=PAGE_SIZE, help="items per list page (Azure's 50)")
    s.add_argument(
        "--realism",
        choices=sorted(REALISM_LEVELS),
        default=None,
        help=f"eventual consistency: 'azure' or 'off' (default: ${REALISM_ENV}, else off)",
    )
    s.add_argument(
        "--throttle-refusals-cost",
        action="store_true",
        help="a throttled request spends its tokens too (unknown for Azure; off by default)",
    )
    return p


def serve(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (``serve [--port N] [--time-scale X] [--throttle azure] [--seed N]
    [--realism azure|off]``),
    start an emulator, print how to reach it and serve until interrupted. Returns the exit code."""
    args = _parser().parse_args(argv)
    remote = not is_loopback(args.host)
    if remote and not args.allow_remote:
        print(
            f"flexvmss emulator: --host {args.host} is not a loopback address; the emulator would take "
            "requests from the network (any bearer token passes, its CA is throwaway). Bind 127.0.0.1, "
            "or add --allow-remote if that is what you want.",
            file=sys.stderr,
        )
        return 2
    if remote:
        print(
            f"WARNING: flexvmss emulator listening on {args.host}, reachable from the network: anyone who "
            "can reach it can use its ARM routes. The admin API needs the token below.",
            file=sys.stderr,
            flush=True,
        )
    emu = Emulator(
        host=args.host,
        allow_remote=remote,
        port=args.port,
        time_scale=args.time_scale,
        throttle=args.throttle,
        seed=args.seed,
        page_size=args.page_size,
        realism=args.realism,
        throttle_refusals_cost=args.throttle_refusals_cost,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _on_signal)
    with emu:
        print(f"flexvmss emulator serving at {emu.base_url}")
        if remote:
            where = "every interface" if args.host in ("0.0.0.0", "::") else "reachable from the network"
            print(f"  listening on:    {args.host}:{emu.port} ({where})")
        print(f"  CA certificate:  {emu.ca_file}")
        print(f"  subscription id: {emu.subscription_id}")
        print(f"  tenant id:       {emu.tenant_id}")
        print(f"  admin API:       {emu.base_url}/_emulator/counters")
        print(f"  realism:         {emu.realism.level}")
        print(f"  admin token:     {emu.admin_token}  (header {ADMIN_TOKEN_HEADER})")
        if emu.missing_providers:
            print(f"  missing providers: {', '.join(emu.missing_providers)}")
        print("\n" + snippet(emu))
        print("Ctrl-C stops it.", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    signal.signal(signal.SIGTERM, previous)
    return 0
