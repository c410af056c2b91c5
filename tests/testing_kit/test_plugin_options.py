"""How the plugin resolves targets and record modes, including next to pytest-recording."""

from __future__ import annotations

import pytest

from flexvmss.testing import RECORD_MODES, plugin


class Parser:
    """Records the option names the plugin declares."""

    def __init__(self):
        self.names: list[str] = []

    def getgroup(self, *args, **kwargs):
        return self

    def addoption(self, *names, **kwargs):
        self.names.extend(names)

    def addini(self, *args, **kwargs):
        pass


class Config:
    def __init__(self, **options):
        self.options = options

    def getoption(self, name, default=None):
        return self.options.get(name, default)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ("replay", "none")),
        ({"flexvmss_record_mode": "once"}, ("emulator", "once")),
        ({"flexvmss_target": "emulator"}, ("emulator", "rewrite")),
        ({"flexvmss_target": "azure", "flexvmss_record_mode": "all"}, ("azure", "all")),
        ({"flexvmss_target": "replay", "flexvmss_record_mode": "none"}, ("replay", "none")),
    ],
)
def test_targets_and_record_modes_resolve(options, expected):
    assert plugin._resolve_modes(Config(**options)) == expected


def test_the_replay_target_refuses_to_record():
    with pytest.raises(pytest.UsageError, match="needs a live target"):
        plugin._resolve_modes(Config(flexvmss_target="replay", flexvmss_record_mode="new_episodes"))


def test_next_to_pytest_recording_the_kit_reads_its_record_mode_and_leaves_the_option_to_it(monkeypatch):
    monkeypatch.setattr(plugin, "_pytest_recording_present", lambda: True)
    assert plugin._resolve_modes(Config(record_mode="once")) == ("emulator", "once")
    assert plugin._resolve_modes(Config(record_mode="once", flexvmss_record_mode="none")) == (
        "replay",
        "none",
    )
    parser = Parser()
    plugin.pytest_addoption(parser)
    names = parser.names
    assert "--record-mode" not in names and "--flexvmss-record-mode" in names


def test_alone_the_kit_offers_record_mode_too(monkeypatch):
    monkeypatch.setattr(plugin, "_pytest_recording_present", lambda: False)
    parser = Parser()
    plugin.pytest_addoption(parser)
    names = parser.names
    assert {"--record-mode", "--flexvmss-record-mode", "--flexvmss-target"} <= set(names)


def test_the_plugin_and_the_kit_agree_on_record_modes():
    assert plugin._RECORD_MODES == RECORD_MODES


def test_cassette_names_are_safe_and_bounded():
    assert plugin._sanitise('test_x[a/b:c "d"]') == "test_x[a-b-c--d-]"
    long = plugin._sanitise("test_" + "x" * 400)
    assert len(long) == 150 and long != plugin._sanitise("test_" + "x" * 401)


def test_every_public_name_resolves():
    import flexvmss.testing as kit

    assert kit.__all__ == sorted(kit.__all__)
    for name in kit.__all__:
        assert getattr(kit, name) is not None


def test_loading_the_plugin_imports_neither_vcrpy_nor_azure_sdk():
    import subprocess
    import sys

    code = (
        "import sys, flexvmss.testing.plugin; "
        "print(sorted(m for m in sys.modules if m == 'vcr' or m.startswith(('azure.mgmt', 'azure.core'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
