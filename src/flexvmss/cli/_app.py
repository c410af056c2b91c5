"""The object every command receives: settings from the global options, output, and the
one place the command line turns those settings into an endpoint, a credential and a
:class:`flexvmss.FlexScaleSet`.

Commands never build clients or credentials themselves; they ask the application. That keeps
azure-identity (and the embedded emulator) out of the command modules and out of the import
path of ``flexvmss --help``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flexvmss.cli._terminal import Terminal

if TYPE_CHECKING:
    from flexvmss import Fleet, FlexScaleSet, SkuCatalog

__all__ = ["CREDENTIAL_CHOICES", "Application", "Endpoint", "Settings"]

#: ``--credential`` values. ``emulator`` sends a fixed fake token that only the flexvmss
#: emulator accepts; it is chosen automatically with ``--emulator``.
CREDENTIAL_CHOICES = ("default", "cli", "managed-identity", "environment", "emulator")

#: Time scale of the emulator that ``--emulator`` starts for one command.
EMBEDDED_TIME_SCALE = 0.01


@dataclass(frozen=True)
class Settings:
    """The global options, as given (after environment variables were applied)."""

    subscription_id: str | None = None
    resource_group: str | None = None
    credential: str = "default"
    use_emulator: bool = False
    base_url: str | None = None
    ca_file: str | None = None
    verbosity: int = 0
    assume_yes: bool = False
    output: str = "table"
    time_scale: float | None = None


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and who they are sent as."""

    subscription_id: str
    base_url: str | None
    connection_verify: str | bool | None
    credential: Any
    #: Real seconds per second of the endpoint's clock: 1.0 for Azure, less for an emulator.
    time_scale: float = 1.0

    def throttle(self) -> Any:
        """The library's ThrottleConfig on this endpoint's clock, or None (Azure's defaults)."""
        if self.time_scale == 1.0:
            return None
        from flexvmss import ThrottleConfig

        return ThrottleConfig(time_scale=self.time_scale)


class Application(Terminal):
    """Settings plus terminal plus the resources a command opened (closed at exit)."""

    def __init__(self, settings: Settings, *, interactive: bool | None = None) -> None:
        super().__init__(verbosity=settings.verbosity, interactive=interactive)
        self.settings = settings
        self._emulator: Any = None
        self._endpoint: Endpoint | None = None
        self._closers: list[Callable[[], None]] = []
        self._log_to_stderr(settings.verbosity)

    def _log_to_stderr(self, verbosity: int) -> None:
        """Show the library's log on stderr while the command runs: warnings (such as a spec's
        warning findings), with ``-v`` INFO too, with ``-vv`` DEBUG. Never secrets: the
        library does not log them."""
        import logging

        from rich.logging import RichHandler

        from flexvmss.cli._terminal import make_console

        logger = logging.getLogger("flexvmss")
        handler = RichHandler(console=make_console(stderr=True), show_time=False, show_path=False)
        previous_level = logger.level
        logger.addHandler(handler)
        self._log_handler = handler
        self._set_log_level(verbosity)

        def restore() -> None:
            logger.removeHandler(handler)
            logger.setLevel(previous_level)

        self._closers.append(restore)

    def _set_log_level(self, verbosity: int) -> None:
        import logging

        logger = logging.getLogger("flexvmss")
        level = logging.DEBUG if verbosity > 1 else logging.INFO if verbosity else logging.WARNING
        self._log_handler.setLevel(level)
        logger.setLevel(min(level, logger.getEffectiveLevel()))

    def override(self, **changes: Any) -> None:
        """Apply global options typed after the command (``flexvmss ls web -o json``): they
        win over the same options given before it or by environment variable."""
        import dataclasses

        self.settings = dataclasses.replace(self.settings, **changes)
        if "verbosity" in changes:
            self.verbosity = self.settings.verbosity
            self._set_log_level(self.verbosity)

    # -- settings -------------------------------------------------------------------
    @property
    def json_output(self) -> bool:
        return self.settings.output == "json"

    @property
    def assume_yes(self) -> bool:
        return self.settings.assume_yes

    def require_resource_group(self) -> str:
        if not self.settings.resource_group:
            self.abort("No resource group: pass -g/--resource-group or set FLEXVMSS_RESOURCE_GROUP.", code=2)
        return self.settings.resource_group

    # -- endpoint -------------------------------------------------------------------
    def endpoint(self) -> Endpoint:
        """Resolve the endpoint once: the embedded emulator, a base URL, or Azure."""
        if self._endpoint is None:
            self._endpoint = self._resolve_endpoint()
        return self._endpoint

    def _resolve_endpoint(self) -> Endpoint:
        s = self.settings
        if s.use_emulator:
            if s.base_url:
                self.abort("--emulator and --base-url exclude each other: pick one endpoint.", code=2)
            emu = self.embedded_emulator()
            return Endpoint(
                subscription_id=emu.subscription_id,
                base_url=emu.base_url,
                connection_verify=emu.ca_file,
                credential=emu.async_credential,
                time_scale=EMBEDDED_TIME_SCALE,
            )
        if not s.subscription_id:
            self.abort("No subscription: pass --subscription or set AZURE_SUBSCRIPTION_ID.", code=2)
        verify: str | bool | None = s.ca_file if s.ca_file else None
        return Endpoint(
            subscription_id=s.subscription_id,
            base_url=s.base_url,
            connection_verify=verify,
            credential=make_credential(s.credential),
            time_scale=self._time_scale(),
        )

    def time_scale(self) -> float:
        """The endpoint's clock without resolving the endpoint: the embedded emulator's with
        ``--emulator``, else ``--time-scale`` (checked as :meth:`endpoint` checks it)."""
        return EMBEDDED_TIME_SCALE if self.settings.use_emulator else self._time_scale()

    def _time_scale(self) -> float:
        """``--time-scale``: only for a local endpoint (an emulator on a scaled clock). Against
        Azure it would only shorten waits Azure's own clock sets, drawing 429s, so it is refused."""
        scale = self.settings.time_scale
        if scale is None or scale == 1.0:
            return 1.0
        from flexvmss._scaleset._clients import is_local_endpoint

        if not is_local_endpoint(self.settings.base_url):
            self.abort(
                f"--time-scale {scale} is for a local emulator (--base-url https://127.0.0.1:...), "
                "not for Azure: leave it out (or unset FLEXVMSS_TIME_SCALE).",
                code=2,
            )
        if not 0.0 < scale <= 1.0:
            self.abort(
                f"--time-scale {scale} must be in (0, 1]: the emulator's real seconds per second.", code=2
            )
        return scale

    def embedded_emulator(self) -> Any:
        """Start (once) an emulator that lives as long as this command.

        Its state starts empty and ends with the command; the resource group named by
        ``-g`` is created in it so commands have somewhere to work.
        """
        if self._emulator is None:
            try:
                from flexvmss.emulator import Emulator
            except ImportError as exc:  # pragma: no cover - depends on the installed extras
                self.abort(f"The emulator is not available ({exc}): pip install 'flexvmss[emulator]'.")
            emu = Emulator(time_scale=EMBEDDED_TIME_SCALE)
            emu.start()
            self._emulator = emu
            self._closers.append(emu.stop)
            self.display_debug(f"embedded emulator at {emu.base_url}")
            if self.settings.resource_group:
                clients = emu.clients()
                clients.resource.resource_groups.create_or_update(
                    self.settings.resource_group, {"location": "eastus"}
                )
        return self._emulator

    # -- the facade -----------------------------------------------------------------
    def scale_set(
        self,
        name: str,
        *,
        on_event: Callable[[Any], None] | None = None,
        waive: Sequence[str] = (),
    ) -> FlexScaleSet:
        """A sync :class:`flexvmss.FlexScaleSet` for ``name`` in the resource group, closed at exit."""
        from flexvmss import FlexScaleSet

        rg = self.require_resource_group()
        ep = self.endpoint()
        ss: FlexScaleSet = FlexScaleSet(
            ep.subscription_id,
            rg,
            name,
            credential=ep.credential,
            base_url=ep.base_url,
            connection_verify=ep.connection_verify,
            throttle=ep.throttle(),
            on_event=on_event,
            waive=tuple(waive),
        )
        self._closers.append(ss.close)
        return ss

    def fleet(self, *, tag: str | None, sets: Sequence[str] | None) -> Fleet:
        """A sync :class:`flexvmss.Fleet` of the sets of the resource group (if given), those
        with ``tag``, or ``sets``; closed at exit."""
        from flexvmss import Fleet

        ep = self.endpoint()
        made: Fleet = Fleet(
            ep.subscription_id,
            resource_group=self.settings.resource_group,
            tag=tag,
            sets=sets,
            credential=ep.credential,
            base_url=ep.base_url,
            connection_verify=ep.connection_verify,
            throttle=ep.throttle(),
        )
        self._closers.append(made.close)
        return made

    def sku_catalog(self, location: str) -> SkuCatalog:
        """The region's Resource SKUs catalog: the facade's one read (with its guard against a
        malformed answer), through the library's ARM pipeline."""
        import asyncio

        from flexvmss.aio import sku_catalog

        ep = self.endpoint()
        return asyncio.run(
            sku_catalog(
                ep.subscription_id,
                location,
                credential=ep.credential,
                base_url=ep.base_url,
                connection_verify=ep.connection_verify,
                throttle=ep.throttle(),
            )
        )

    def close(self) -> None:
        """Close what the command opened, newest first."""
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception as exc:  # closing must not hide the command's own outcome
                self.display_debug(f"while closing: {exc!r}")


def make_credential(choice: str) -> Any:
    """An async credential for ``--credential`` (``None`` lets the library use DefaultAzureCredential)."""
    if choice == "default":
        return None
    if choice == "emulator":
        from flexvmss.emulator import AsyncEmulatorCredential

        return AsyncEmulatorCredential(tenant_id="00000000-0000-0000-0000-000000000000")
    from azure.identity import aio as identity

    factories: dict[str, Callable[[], Any]] = {
        "cli": identity.AzureCliCredential,
        "managed-identity": identity.ManagedIdentityCredential,
        "environment": identity.EnvironmentCredential,
    }
    try:
        return factories[choice]()
    except ValueError as exc:  # e.g. AZURE_CLIENT_ID set but empty: azure-identity refuses it here
        from flexvmss import CredentialError

        raise CredentialError(
            f"build the {choice} credential", code=type(exc).__name__, message=str(exc).splitlines()[0]
        ) from exc
