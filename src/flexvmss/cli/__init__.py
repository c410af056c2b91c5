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
from flexvmss.cli._app import Application, Settings
from flexvmss.cli._globals import add_late_globals, group_options
from flexvmss.cli._render import render_flex_error
from flexvmss.cli._terminal import Terminal
from flexvmss.cli.ops import EXIT_INTERRUPTED

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
        except KeyboardInterrupt:
            # Ctrl-C outside a batch (a batch reports what it did first, see cli.ops.run_batch)
            (ctx.obj if isinstance(ctx.obj, Application) else Terminal()).display_warning("Interrupted.")
            ctx.exit(EXIT_INTERRUPTED)


@click.group(
    cls=_FlexGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Global options may also follow the command: `flexvmss ls web -o json`.",
)
@click.version_option(__version__, prog_name="flexvmss")
@click.pass_context
def flexvmss(ctx: click.Context, /, **options: Any) -> None:
    """Automate Azure Virtual Machine Scale Sets in Flexible orchestration mode."""
    app = Application(Settings(**options))
    ctx.obj = app
    ctx.call_on_close(app.close)


flexvmss.params[:0] = group_options()


def _register() -> None:
    from flexvmss.cli.add_vm import add_vm
    from flexvmss.cli.audit import audit
    from flexvmss.cli.conformance import conformance
    from flexvmss.cli.create import create
    from flexvmss.cli.delete import delete
    from flexvmss.cli.demo import demo
    from flexvmss.cli.emulator import emulator
    from flexvmss.cli.fleet import fleet
    from flexvmss.cli.ls import ls
    from flexvmss.cli.ops import OPERATION_COMMANDS
    from flexvmss.cli.plan import plan
    from flexvmss.cli.scale import scale
    from flexvmss.cli.skus import skus
    from flexvmss.cli.spot import spot

    for command in (
        create, plan, add_vm, ls, *OPERATION_COMMANDS, fleet, scale, delete, audit, spot, skus, emulator,
        demo, conformance,
    ):
        add_late_globals(command)
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
