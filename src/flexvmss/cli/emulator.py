"""``flexvmss emulator serve``: run the local Azure Resource Manager emulator."""

from __future__ import annotations

import click

__all__ = ["emulator"]


@click.group(short_help="The local Azure Resource Manager emulator.")
def emulator() -> None:
    """The local Azure Resource Manager emulator (HTTPS, stock azure-mgmt clients work)."""


@emulator.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def serve(args: tuple[str, ...]) -> None:
    """Serve the emulator until Ctrl-C (options: see `flexvmss emulator serve --help`).

    Prints `export` lines (subscription, base URL, CA file; with --with-network also the
    resource group and the subnet behind a NAT gateway it creates) that point every flexvmss
    command and script at it. Same as `python -m flexvmss.emulator serve`.
    """
    from flexvmss.emulator._serve import serve as serve_main

    raise SystemExit(serve_main(["serve", *args]))
