"""The global options, where people type them: before the command (``flexvmss -o json ls web``)
or after it (``flexvmss ls web -o json``).

Each global option is declared once, in :data:`GLOBAL_OPTIONS`. The root group gets them with
their environment variables; every command gets a hidden twin without one, whose value (only
when typed on the command line) overrides the group's: the rightmost wins, as in most CLIs.
Commands that pass their arguments through untouched (``emulator serve``) get none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click
from click.core import ParameterSource

from flexvmss.cli._app import CREDENTIAL_CHOICES, Application

__all__ = ["GLOBAL_OPTIONS", "add_late_globals", "group_options"]


@dataclass(frozen=True)
class GlobalOption:
    """One global option: its flags, the :class:`~flexvmss.cli._app.Settings` field it sets,
    its environment variable and the rest of its click declaration."""

    decls: tuple[str, ...]
    setting: str
    envvar: str
    kwargs: dict[str, Any]

    def for_group(self) -> click.Option:
        return click.Option(
            [*self.decls, self.setting], envvar=self.envvar, show_envvar=True, **self.kwargs
        )

    def for_command(self) -> click.Option:
        """The hidden twin a command carries: no default, no environment variable."""
        kwargs = {k: v for k, v in self.kwargs.items() if k not in ("default", "show_default")}
        if kwargs.get("is_flag"):
            kwargs["default"] = None
        return click.Option(
            [*self.decls, f"late_{self.setting}"],
            hidden=True,
            expose_value=False,
            callback=self._apply,
            **kwargs,
        )

    def _apply(self, ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if ctx.get_parameter_source(param.name or "") is not ParameterSource.COMMANDLINE:
            return
        app = ctx.find_object(Application)
        if app is None:  # pragma: no cover - the root group always makes one
            return
        if self.setting == "verbosity":
            value = app.settings.verbosity + int(value or 0)
        app.override(**{self.setting: value})


GLOBAL_OPTIONS: tuple[GlobalOption, ...] = (
    GlobalOption(
        ("--subscription",),
        "subscription_id",
        "AZURE_SUBSCRIPTION_ID",
        {"metavar": "ID", "help": "Azure subscription id (--emulator uses the emulator's)."},
    ),
    GlobalOption(
        ("-g", "--resource-group"),
        "resource_group",
        "FLEXVMSS_RESOURCE_GROUP",
        {"metavar": "NAME", "help": "Resource group of the scale set."},
    ),
    GlobalOption(
        ("--credential",),
        "credential",
        "FLEXVMSS_CREDENTIAL",
        {
            "type": click.Choice(CREDENTIAL_CHOICES),
            "default": "default",
            "show_default": True,
            "help": "How to authenticate: DefaultAzureCredential (for a local --base-url, the "
            "emulator's token), the Azure CLI login, a managed identity, AZURE_CLIENT_* environment "
            "variables, or the emulator's token.",
        },
    ),
    GlobalOption(
        ("--emulator",),
        "use_emulator",
        "FLEXVMSS_EMULATOR",
        {
            "is_flag": True,
            "help": "Run this command against an emulator started just for it (state ends with the command).",
        },
    ),
    GlobalOption(
        ("--base-url",),
        "base_url",
        "FLEXVMSS_BASE_URL",
        {
            "metavar": "URL",
            "help": "Azure Resource Manager endpoint, e.g. a running `flexvmss emulator serve`.",
        },
    ),
    GlobalOption(
        ("--ca-file",),
        "ca_file",
        "FLEXVMSS_CA_FILE",
        {
            "type": click.Path(exists=True, dir_okay=False),
            "help": "CA bundle that signs --base-url's certificate (the emulator prints its path).",
        },
    ),
    GlobalOption(
        ("--time-scale",),
        "time_scale",
        "FLEXVMSS_TIME_SCALE",
        {
            "type": float,
            "metavar": "SECONDS",
            "help": "Real seconds per second of a local emulator's clock (`flexvmss emulator serve` "
            "prints it), so waits counted in Azure seconds pass as fast; refused for Azure.",
        },
    ),
    GlobalOption(
        ("-v", "--verbose"),
        "verbosity",
        "FLEXVMSS_VERBOSE",
        {"count": True, "help": "More detail (repeat)."},
    ),
    GlobalOption(
        ("-y", "--yes"),
        "assume_yes",
        "FLEXVMSS_YES",
        {
            "is_flag": True,
            "help": "Do not ask before destructive changes (stop, deallocate, reimage, eviction, deleting "
            "VMs or the set, scaling down).",
        },
    ),
    GlobalOption(
        ("-o", "--output"),
        "output",
        "FLEXVMSS_OUTPUT",
        {
            "type": click.Choice(("table", "json")),
            "default": "table",
            "show_default": True,
            "help": "Data format on stdout.",
        },
    ),
)


def group_options() -> list[click.Option]:
    """The root group's global options, in :data:`GLOBAL_OPTIONS` order."""
    return [option.for_group() for option in GLOBAL_OPTIONS]


def add_late_globals(command: click.Command) -> None:
    """Give ``command`` (and, for a group, its commands) the hidden twins of the global options,
    unless it passes its arguments through untouched."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_late_globals(sub)
        return
    if command.context_settings.get("ignore_unknown_options"):
        return
    taken = {opt for param in command.params for opt in getattr(param, "opts", ())}
    for option in GLOBAL_OPTIONS:
        if taken.isdisjoint(option.decls):
            command.params.append(option.for_command())
