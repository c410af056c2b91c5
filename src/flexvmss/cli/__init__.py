"""The ``flexvmss`` command line: a thin click + rich layer over :class:`flexvmss.FlexScaleSet`.

The root group holds the global options (each with an environment variable) and builds the
:class:`~flexvmss.cli._app.Application` every command receives; each command lives in its own
module. Errors from flexvmss are shown as one red message with the fix and exit code 1; any
other exception is shown as a rich traceback (with local variables when ``FLEXVMSS_DEBUG`` is
set; messages and locals redacted, :mod:`flexvmss.cli._traceback`) and exit code 1.

Exit codes: 0 success, 1 error, 2 usage error, 3 some VMs of a batch operation failed,
130 a batch interrupted by Ctrl-C (after reporting what was done).
"""

from __future__ import annotations

import os
from typing import Any

import click

from flexvmss import __version__
from flexvmss.cli._app import CREDENTIAL_CHOICES, Application, Settings
from flexvmss.cli._render import render_flex_error
from flexvmss.cli._terminal import Terminal

__all__ = ["flexvmss", "main"]


class _FlexGroup(click.Group):
    """A group that turns flexvmss errors into a clean message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from flexvmss import FlexError

        try:
            return super().invoke(ctx)
        except FlexError as exc:
            render_flex_error(ctx.obj if isinstance(ctx.obj, Application) else Terminal(), exc)
            ctx.exit(1)


@click.group(
    cls=_FlexGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--subscription",
    envvar="AZURE_SUBSCRIPTION_ID",
    show_envvar=True,
    metavar="ID",
    help="Azure subscription id (--emulator uses the emulator's).",
)
@click.option(
    "-g",
    "--resource-group",
    envvar="FLEXVMSS_RESOURCE_GROUP",
    show_envvar=True,
    metavar="NAME",
    help="Resource group of the scale set.",
)
@click.option(
    "--credential",
    type=click.Choice(CREDENTIAL_CHOICES),
    default="default",
    envvar="FLEXVMSS_CREDENTIAL",
    show_envvar=True,
    show_default=True,
    help="How to authenticate: DefaultAzureCredential, the Azure CLI login, a managed identity, "
    "AZURE_CLIENT_* environment variables, or the emulator's fake token.",
)
@click.option(
    "--emulator",
    "use_emulator",
    is_flag=True,
    envvar="FLEXVMSS_EMULATOR",
    show_envvar=True,
    help="Run this command against an emulator started just for it (state ends with the command).",
)
@click.option(
    "--base-url",
    envvar="FLEXVMSS_BASE_URL",
    show_envvar=True,
    metavar="URL",
    help="Azure Resource Manager endpoint, e.g. a running `flexvmss emulator serve`.",
)
@click.option(
    "--ca-file",
    envvar="FLEXVMSS_CA_FILE",
    show_envvar=True,
    type=click.Path(exists=True, dir_okay=False),
    help="CA bundle that signs --base-url's certificate (the emulator prints its path).",
)
@click.option(
    "-v", "--verbose", count=True, envvar="FLEXVMSS_VERBOSE", show_envvar=True, help="More detail (repeat)."
)
@click.option(
    "-y",
    "--yes",
    "assume_yes",
    is_flag=True,
    envvar="FLEXVMSS_YES",
    show_envvar=True,
    help="Do not ask before destructive changes (stop, deallocate, reimage, eviction, deleting VMs or the "
    "set, scaling down).",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(("table", "json")),
    default="table",
    envvar="FLEXVMSS_OUTPUT",
    show_envvar=True,
    show_default=True,
    help="Data format on stdout.",
)
@click.version_option(__version__, prog_name="flexvmss")
@click.pass_context
def flexvmss(
    ctx: click.Context,
    *,
    subscription: str | None,
    resource_group: str | None,
    credential: str,
    use_emulator: bool,
    base_url: str | None,
    ca_file: str | None,
    verbose: int,
    assume_yes: bool,
    output: str,
) -> None:
    """Automate Azure Virtual Machine Scale Sets in Flexible orchestration mode."""
    app = Application(
        Settings(
            subscription_id=subscription,
            resource_group=resource_group,
            credential=credential,
            use_emulator=use_emulator,
            base_url=base_url,
            ca_file=ca_file,
            verbosity=verbose,
            assume_yes=assume_yes,
            output=output,
        )
    )
    ctx.obj = app
    ctx.call_on_close(app.close)


def _register() -> None:
    from flexvmss.cli.add_vm import add_vm
    from flexvmss.cli.create import create
    from flexvmss.cli.delete import delete
    from flexvmss.cli.demo import demo
    from flexvmss.cli.emulator import emulator
    from flexvmss.cli.ls import ls
    from flexvmss.cli.ops import OPERATION_COMMANDS
    from flexvmss.cli.plan import plan
    from flexvmss.cli.scale import scale
    from flexvmss.cli.skus import skus

    for command in (create, plan, add_vm, ls, *OPERATION_COMMANDS, scale, delete, skus, emulator, demo):
        flexvmss.add_command(command)


_register()


def main() -> int:
    """Console entry point (``flexvmss``)."""
    try:
        return int(flexvmss(prog_name="flexvmss", standalone_mode=True) or 0)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except Exception:
        from flexvmss.cli._traceback import print_exception

        # redacted: the frames of a failed create hold its password and custom data
        print_exception(show_locals=bool(os.environ.get("FLEXVMSS_DEBUG")), suppress=(click,))
        return 1
