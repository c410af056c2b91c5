"""VM selection on the command line: ``--names`` and ``--where``."""

from __future__ import annotations

from dataclasses import dataclass, field

import click
import pytest

from flexvmss.cli._options import parse_key_values, parse_names, parse_where


@dataclass
class Vm:
    name: str
    power_state: str | None = "running"
    provisioning_state: str | None = "Succeeded"
    zone: str | None = "1"
    platform_fault_domain: int | None = 0
    size: str | None = "Standard_D2s_v5"
    priority: str = "Regular"
    tags: dict[str, str] = field(default_factory=dict)


VMS = [
    Vm("web-1"),
    Vm("web-2", power_state="deallocated", zone="2"),
    Vm("api-1", zone="2", priority="Spot", tags={"Role": "api"}),
]


def select(expr: str) -> list[str]:
    predicate = parse_where(expr)
    assert predicate is not None
    return [vm.name for vm in VMS if predicate(vm)]


def test_conditions_are_anded_and_case_insensitive() -> None:
    assert select("power_state=Running,zone=2") == ["api-1"]
    assert select("zone=2") == ["web-2", "api-1"]


def test_not_equal_wildcards_tags_and_fault_domain() -> None:
    assert select("name=web-*") == ["web-1", "web-2"]
    assert select("priority!=spot") == ["web-1", "web-2"]
    assert select("tag:role=API") == ["api-1"]
    assert select("fault_domain=0") == ["web-1", "web-2", "api-1"]


def test_unknown_keys_and_malformed_terms_are_usage_errors() -> None:
    with pytest.raises(click.BadParameter, match="unknown key 'colour'"):
        parse_where("colour=blue")
    with pytest.raises(click.BadParameter, match="KEY=VALUE"):
        parse_where("running")


def test_names_and_key_values() -> None:
    assert parse_names(" a, b,,c ") == ["a", "b", "c"]
    assert parse_names("") is None
    assert parse_key_values(("env=prod", "team=a=b"), option="--tag") == {"env": "prod", "team": "a=b"}
    with pytest.raises(click.BadParameter):
        parse_key_values(("novalue",), option="--tag")
