"""``python -m flexvmss.emulator serve``: run the emulator in a terminal until Ctrl-C."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from types import FrameType

from ._emulator import Emulator, is_loopback
from ._inputs import ADMIN_TOKEN_HEADER
from ._network_setup import FlexNetwork
from .core import PAGE_SIZE, REALISM_ENV, REALISM_LEVELS

__all__ = ["exports", "serve", "snippet"]


def exports(emu: Emulator, network: FlexNetwork | None = None) -> list[str]:
    """``export`` lines that point flexvmss (library, CLI, Functions example) at ``emu``: the
    subscription, base URL and CA file, the admin API's token (for ``curl``), its clock's
    ``time_scale`` (the CLI's ``--time-scale``), and with
    ``network`` the resource group and subnet."""
    values = {
        "AZURE_SUBSCRIPTION_ID": emu.subscription_id,
        "FLEXVMSS_BASE_URL": emu.base_url,
        "FLEXVMSS_CA_FILE": emu.ca_file,
        "FLEXVMSS_EMULATOR_ADMIN_TOKEN": emu.admin_token,
        # the CLI's --time-scale: its waits (polls, settling) pass at the emulator's speed
        "FLEXVMSS_TIME_SCALE": repr(1.0 if emu.clock.manual else float(emu.time_scale)),
    }
    if network is not None:
        values["FLEXVMSS_RESOURCE_GROUP"] = network.resource_group
        values["FLEXVMSS_SUBNET_ID"] = network.subnet_id
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]


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
        help="eventual consistency: 'azure', or 'off' for exact, immediate reads "
        f"(default: ${REALISM_ENV}, else azure)",
    )
    s.add_argument(
        "--throttle-refusals-cost",
        action="store_true",
        help="a throttled request spends its tokens too (unknown for Azure; off by default)",
    )
    s.add_argument(
        "--with-network",
        action="store_true",
        help="also create a resource group, a VNet, a NAT gateway and a subnet behind it "
        "(what a Flex set needs) and export their names",
    )
    s.add_argument("--resource-group", default="my-rg", help="the resource group --with-network creates")
    s.add_argument("--location", default="westeurope", help="the region --with-network uses")
    return p


def serve(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (``serve [--port N] [--time-scale X] [--throttle azure] [--seed N]
    [--realism azure|off] [--with-network [--resource-group NAME] [--location REGION]]``), start
    an emulator (with the network a Flex set needs, when asked), print how to reach it as
    ``export`` lines and serve until interrupted. Returns the exit code."""
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
        network = emu.create_network(args.resource_group, args.location) if args.with_network else None
        lines = [f"# flexvmss emulator serving at {emu.base_url}"]
        if remote:
            where = "every interface" if args.host in ("0.0.0.0", "::") else "reachable from the network"
            lines.append(f"#   listening on:    {args.host}:{emu.port} ({where})")
        lines += [
            f"#   CA certificate:  {emu.ca_file}",
            f"#   subscription id: {emu.subscription_id}",
            f"#   tenant id:       {emu.tenant_id}",
            f"#   admin API:       {emu.base_url}/_emulator/counters",
            f"#   realism:         {emu.realism.level}",
            f"#   admin token:     {emu.admin_token}  (header {ADMIN_TOKEN_HEADER})",
        ]
        if network is not None:
            lines += [
                f"#   resource group:  {network.resource_group} ({args.location}), VNet {network.vnet_id}",
                f"#   subnet behind NAT gateway {network.nat_gateway_id}",
            ]
        if emu.missing_providers:
            lines.append(f"#   missing providers: {', '.join(emu.missing_providers)}")
        lines += ["#", "# Paste these lines into your shell (or `source` this output):"]
        lines += exports(emu, network)
        lines += ["#", "# Stock azure-mgmt clients:", *(f"#   {line}" for line in snippet(emu).splitlines())]
        lines.append("# Ctrl-C stops it.")
        print("\n".join(lines), flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    signal.signal(signal.SIGTERM, previous)
    return 0
