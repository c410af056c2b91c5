"""The flexvmss pytest plugin (entry point ``pytest11: flexvmss``).

Options (group ``flexvmss``):

``--record-mode`` / ``--flexvmss-record-mode``
    ``none`` (replay only), ``once``, ``new_episodes``, ``all`` or ``rewrite``, as in
    pytest-recording. When pytest-recording is installed it owns ``--record-mode`` and
    the kit reads it; ``--flexvmss-record-mode`` always works.
``--flexvmss-target``
    ``replay`` (default), ``emulator`` or ``azure``. Recording needs a live target, so
    a record mode alone picks ``emulator``, and a live target alone records with
    ``rewrite``.

Ini option ``flexvmss_cassette_dir``: the cassette root (relative to the ini file), by
default ``cassettes/`` next to each test file. Cassettes live at
``<root>/<test module>/<Class.test>.yaml``.

Fixtures: ``flexvmss_target`` (a :class:`~flexvmss.testing.Target`), ``flexvmss_vcr``
(the active cassette), ``flexvmss_vcr_config`` (override it to pass vcrpy options or
``scrub_rules``), ``flexvmss_cassette_path``, and the emulator's ``flexvmss_emulator``
and ``flexvmss_emulator_server`` when the emulator extra is installed. Marker:
``@pytest.mark.flexvmss_cassette(name=None, **overrides)``. Hook:
``pytest_flexvmss_scrub_rules(config)`` returns extra scrub rules.

A test that uses the kit replays with the network blocked and every sleep instant;
tests that do not use it are left alone. The kit is strict: a request the cassette does not
hold fails the test and names it, even when the code under test caught vcrpy's error (inside
a fan-out batch, in a background task). ``lenient=True`` (in the marker or
``flexvmss_vcr_config``) leaves such a request to vcrpy's error alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "flexvmss_cassette_path",
    "flexvmss_target",
    "flexvmss_vcr",
    "flexvmss_vcr_config",
]

_RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")
_TARGETS = ("replay", "emulator", "azure")
_MARKER = "flexvmss_cassette"
_FORBIDDEN = re.compile(r"[<>?%*:|\"'/\\\s]")
_MAX_NAME = 150
_MODES = pytest.StashKey[tuple[str, str]]()
_CASSETTE = pytest.StashKey[Any]()


class _HookSpecs:
    @pytest.hookspec
    def pytest_flexvmss_scrub_rules(self, config: pytest.Config) -> Any:
        """Return extra :class:`~flexvmss.testing.ScrubRule` values for every cassette recorded."""


def _pytest_recording_present() -> bool:
    return importlib.util.find_spec("pytest_recording") is not None


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(_HookSpecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("flexvmss", "flexvmss cassette kit")
    names = ["--flexvmss-record-mode"]
    if not _pytest_recording_present():
        names.insert(0, "--record-mode")
    group.addoption(
        *names,
        dest="flexvmss_record_mode",
        choices=_RECORD_MODES,
        default=None,
        help="Cassette record mode: none (replay only, the default), once, new_episodes, all, rewrite.",
    )
    group.addoption(
        "--flexvmss-target",
        dest="flexvmss_target",
        choices=_TARGETS,
        default=None,
        help="Where cassette-backed tests send requests: replay (default), emulator (record against a "
        "fresh local emulator) or azure (record against AZURE_SUBSCRIPTION_ID).",
    )
    parser.addini(
        "flexvmss_cassette_dir",
        help="Cassette root, relative to the ini file (default: cassettes/ next to each test file).",
        default="",
    )


def _resolve_modes(config: pytest.Config) -> tuple[str, str]:
    record = config.getoption("flexvmss_record_mode", None)
    if record is None and _pytest_recording_present():
        record = config.getoption("record_mode", None)
    target = config.getoption("flexvmss_target", None)
    if target is None:
        target = "emulator" if record not in (None, "none") else "replay"
    if record is None:
        record = "rewrite" if target != "replay" else "none"
    if target == "replay" and record != "none":
        raise pytest.UsageError(
            f"flexvmss: --record-mode={record} needs a live target: add --flexvmss-target=emulator "
            "(or azure); the replay target only replays."
        )
    return target, record


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(name=None, **overrides): record/replay this test's Azure traffic in a cassette "
        "(overrides: vcrpy options, scrub_rules, scrubber, repeat, lenient, match_bodies).",
    )
    config.stash[_MODES] = _resolve_modes(config)
    try:
        fixtures = importlib.import_module("flexvmss.emulator._fixtures")
    except ImportError:
        return  # the emulator extra is not installed (or not built yet): no emulator fixtures
    if not config.pluginmanager.is_registered(fixtures):
        config.pluginmanager.register(fixtures, "flexvmss-emulator-fixtures")


def pytest_report_header(config: pytest.Config) -> str | None:
    target, record = config.stash.get(_MODES, ("replay", "none"))
    if (target, record) == ("replay", "none"):
        return None
    return f"flexvmss: target={target} record-mode={record}"


# --------------------------------------------------------------------------- naming


def _sanitise(name: str) -> str:
    name = _FORBIDDEN.sub("-", name)
    if len(name) > _MAX_NAME:
        digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:10]
        name = f"{name[: _MAX_NAME - 11]}-{digest}"
    return name


def _cassette_root(config: pytest.Config, test_path: Path) -> Path:
    configured = str(config.getini("flexvmss_cassette_dir") or "").strip()
    if not configured:
        return test_path.parent / "cassettes"
    root = Path(configured)
    if not root.is_absolute():
        base = config.inipath.parent if config.inipath else config.rootpath
        root = base / root
    return root


def _marker_settings(request: pytest.FixtureRequest) -> tuple[str | None, dict[str, Any]]:
    name: str | None = None
    overrides: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(_MARKER))):  # broadest first
        kwargs = dict(marker.kwargs)
        if marker.args:
            kwargs.setdefault("name", marker.args[0])
        name = kwargs.pop("name", None) or name
        overrides.update(kwargs)
    return name, overrides


@pytest.fixture
def flexvmss_cassette_path(request: pytest.FixtureRequest) -> Path:
    """``<cassette root>/<test module>/<Class.test>.yaml`` (or the marker's ``name``)."""
    test_path = Path(str(request.node.path))
    name, _ = _marker_settings(request)
    if name is None:
        cls = request.node.cls
        name = f"{cls.__name__}.{request.node.name}" if cls is not None else request.node.name
    filename = _sanitise(name)
    if not filename.endswith((".yaml", ".yml")):
        filename += ".yaml"
    return _cassette_root(request.config, test_path) / test_path.stem / filename


@pytest.fixture
def flexvmss_vcr_config() -> dict[str, Any]:
    """Override at any scope to pass options to every cassette: vcrpy keywords
    (``match_on``, ``before_record_response``...), ``scrub_rules`` (extra
    :class:`~flexvmss.testing.ScrubRule` values), ``scrubber`` (replaces the default
    one), ``repeat`` (``"polls"``, ``"gets"``, ``"none"``), ``lenient`` (True: a request
    the cassette does not hold does not fail the test by itself) or ``match_bodies`` (False: a
    write request's body is not compared with the recorded one)."""
    return {}


# --------------------------------------------------------------------------- cassette


def _live_target(request: pytest.FixtureRequest, mode: str) -> Any:
    from ._target import Target

    if mode == "emulator":
        try:
            emulator = request.getfixturevalue("flexvmss_emulator")
        except pytest.FixtureLookupError:
            pytest.fail(
                "flexvmss: --flexvmss-target=emulator needs the emulator "
                "(pip install 'flexvmss[emulator]'): fixture flexvmss_emulator not found",
                pytrace=False,
            )
        return Target.from_emulator(emulator)
    target = Target.from_environment()
    if target is None:
        pytest.skip("flexvmss: --flexvmss-target=azure needs AZURE_SUBSCRIPTION_ID (and a credential)")
    try:
        target.credential.get_token("https://management.azure.com/.default")
    except Exception as exc:  # azure-identity raises several types; none is worth a failure
        pytest.skip(f"flexvmss: --flexvmss-target=azure found no usable credential ({type(exc).__name__})")
    return target


@pytest.fixture
def _flexvmss_setup(
    request: pytest.FixtureRequest, flexvmss_cassette_path: Path, flexvmss_vcr_config: dict[str, Any]
) -> Iterator[tuple[Any, Any]]:
    from ._scrub import Scrubber, default_scrubber
    from ._target import Target
    from ._vcr import block_network, use_cassette

    target_mode, record_mode = request.config.stash.get(_MODES, ("replay", "none"))
    path = flexvmss_cassette_path
    if record_mode == "once" and path.exists():
        target_mode, record_mode = "replay", "none"  # nothing to record: replay it offline

    _, overrides = _marker_settings(request)
    options = {**flexvmss_vcr_config, **overrides}
    if "record_mode" in options:
        raise pytest.UsageError("flexvmss: set the record mode with --record-mode, not in a marker or config")
    extra_rules = list(options.pop("scrub_rules", ()))
    scrubber = options.pop("scrubber", None)
    repeat = options.pop("repeat", "polls")
    lenient = bool(options.pop("lenient", False))
    match_bodies = bool(options.pop("match_bodies", True))

    if target_mode == "replay":
        if not path.exists():
            pytest.fail(
                f"flexvmss: no cassette at {path}. Record it against the emulator with\n"
                f"    pytest --record-mode=once --flexvmss-target=emulator {request.node.nodeid}",
                pytrace=False,
            )
        target = Target.replay()
    else:
        target = _live_target(request, target_mode)

    for rules in request.config.hook.pytest_flexvmss_scrub_rules(config=request.config):
        extra_rules.extend(rules or ())
    base = scrubber if scrubber is not None else default_scrubber()
    rules = [*target.normaliser().rules, *extra_rules, *base.rules]
    hint = "Record missing cassettes with --record-mode=once --flexvmss-target=emulator."
    with (
        block_network(allow_loopback=target_mode == "emulator", hint=hint)
        if target_mode != "azure"
        else contextlib.nullcontext(),
        use_cassette(
            path,
            record_mode=record_mode,
            scrubber=Scrubber(rules),
            repeat=repeat,
            lenient=lenient,
            match_bodies=match_bodies,
            **options,
        ) as cassette,
    ):
        if not lenient:
            request.node.stash[_CASSETTE] = cassette
        yield target, cassette


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Fail the test itself (not its teardown) when its cassette met a request it does not
    hold, naming each one; the test's own error, if any, becomes the cause."""
    try:
        result = yield
    except BaseException as exc:
        cassette = item.stash.get(_CASSETTE, None)
        if cassette is not None and not isinstance(exc, KeyboardInterrupt):
            try:
                cassette.raise_unrecorded()
            except AssertionError as unrecorded:
                raise unrecorded from exc
        raise
    cassette = item.stash.get(_CASSETTE, None)
    if cassette is not None:
        cassette.raise_unrecorded()
    return result


@pytest.fixture
def flexvmss_vcr(_flexvmss_setup: tuple[Any, Any]) -> Any:
    """The active cassette (a :class:`~flexvmss.testing.FlexCassette`)."""
    return _flexvmss_setup[1]


@pytest.fixture
def flexvmss_target(_flexvmss_setup: tuple[Any, Any]) -> Any:
    """Where this test's requests go (a :class:`~flexvmss.testing.Target`); activates the cassette."""
    return _flexvmss_setup[0]


@pytest.fixture(autouse=True)
def _flexvmss_marker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker(_MARKER) is not None:
        request.getfixturevalue("_flexvmss_setup")
