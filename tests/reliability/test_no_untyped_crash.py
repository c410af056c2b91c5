"""Never an untyped crash, and no traceback shows a spec's secrets (issue 14, point 3).

Any value in any spec field (through the Python API, not only spec files), any JSON in
``extra_properties`` or ``raw``: a spec, or an :class:`~flexvmss.InvalidInputError`; a spec that
passes goes through the rules and the renderer with nothing but flexvmss errors. And when
something does break, the command line's traceback, with local variables under
``FLEXVMSS_DEBUG`` or without, shows ``Secret`` masks and redacted bodies only.
"""

from __future__ import annotations

import base64
import dataclasses
import sys
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from soak_scenario import LOCATION, RG, build_world

from flexvmss import FlexError, ImageSpec, InvalidInputError, NetworkSpec, ScaleSetSpec, Secret, VmSpec
from flexvmss._rules import evaluate
from flexvmss._specs import render_scale_set_body, render_vm_body

SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/vms"
IMAGE = ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest")
NETWORK = NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway")
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostileInputTestKey0000000000000000000 t@t"
SET_BASE: dict[str, Any] = {
    "location": "westeurope",
    "vm_size": "Standard_D2s_v5",
    "capacity": 2,
    "image": IMAGE,
    "network": NETWORK,
    "ssh_public_keys": (KEY,),
}
VM_BASE: dict[str, Any] = {"name": "vm1", "vm_size": "Standard_D2s_v5", "image": IMAGE, "network": NETWORK}

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["", "1", "Spot", "x" * 70, "../etc", "\n"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
#: Wire names azure-mgmt declares, so random bodies hit the typed paths, not only unknown keys.
WIRE_KEYS = st.sampled_from(
    [
        "properties", "virtualMachineProfile", "osProfile", "storageProfile", "networkProfile", "sku",
        "capacity", "name", "zones", "identity", "type", "userAssignedIdentities", "tags", "location",
        "extensionProfile", "extensions", "settings", "protectedSettings", "platformFaultDomainCount",
        "orchestrationMode", "imageReference", "osDisk", "dataDisks", "lun", "diskSizeGB",
        "networkInterfaceConfigurations", "ipConfigurations", "subnet", "id", "linuxConfiguration",
        "ssh", "publicKeys", "keyData", "priority", "billingProfile", "maxPrice", "hardwareProfile",
        "vmSize", "virtualMachineScaleSet", "platformFaultDomain", "skuProfile", "vmSizes",
        "singlePlacementGroup", "zoneBalance", "upgradePolicy", "mode", "scaleInPolicy", "rules",
    ]
)  # fmt: skip
BODIES = st.recursive(
    JSON,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(WIRE_KEYS | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _dataclass_fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name not in ("raw", "extra_properties")]


def _survives(spec: ScaleSetSpec | VmSpec) -> None:
    """The rules evaluate a spec; one without error findings renders."""
    if isinstance(spec, ScaleSetSpec):
        findings = evaluate(spec, catalog=None, name="web")
        if not any(f.severity == "error" for f in findings):
            assert isinstance(render_scale_set_body(spec, name="web"), dict)
    else:
        findings = evaluate(spec, catalog=None)
        if not any(f.severity == "error" for f in findings):
            assert isinstance(render_vm_body(spec, scale_set_id="/x", location="westeurope"), dict)


def _typed_or_fine(build: typing.Callable[[], ScaleSetSpec | VmSpec]) -> None:
    try:
        spec = build()
    except InvalidInputError:
        return
    try:
        _survives(spec)
    except FlexError:
        return


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(_dataclass_fields(ScaleSetSpec)), value=JSON)
@example(field="identity", value="x")
@example(field="zones", value=5)
@example(field="capacity", value="3")
@example(field="admin_password", value={"file": "/dev/zero"})
@example(field="spot", value=[1])
@example(field="tags", value={"a": None})
@example(field="os_disk", value="Premium_LRS")
def test_any_value_in_any_field_of_a_scale_set_spec_is_a_spec_or_a_typed_error(field, value):
    _typed_or_fine(lambda: ScaleSetSpec(**{**SET_BASE, field: value}))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(_dataclass_fields(VmSpec)), value=JSON)
@example(field="zone", value=5)
@example(field="platform_fault_domain", value="0")
@example(field="network", value="subnet")
def test_any_value_in_any_field_of_a_vm_spec_is_a_spec_or_a_typed_error(field, value):
    _typed_or_fine(lambda: VmSpec(**{**VM_BASE, field: value}))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, vm=st.booleans(), as_raw=st.booleans())
@example(body={"properties": "x"}, vm=False, as_raw=False)
@example(body={"properties": {"virtualMachineProfile": {"networkProfile": "x"}}}, vm=False, as_raw=False)
@example(body={"properties": {"virtualMachineProfile": {"storageProfile": {"dataDisks": [1]}}}}, vm=False,
         as_raw=False)  # fmt: skip
@example(body={"zones": 5, "identity": "x"}, vm=True, as_raw=False)
@example(body={"properties": {"hardwareProfile": None}}, vm=True, as_raw=True)
def test_any_json_in_extra_properties_or_raw_is_a_spec_or_a_typed_error(body, vm, as_raw):
    hatch = "raw" if as_raw else "extra_properties"
    if vm:
        _typed_or_fine(lambda: VmSpec(**VM_BASE, **{hatch: body}))
    else:
        _typed_or_fine(lambda: ScaleSetSpec(**SET_BASE, **{hatch: body}))


def test_the_probes_of_the_issue_are_typed():
    for build in (
        lambda: ScaleSetSpec(**{**SET_BASE, "identity": "x"}),
        lambda: ScaleSetSpec.from_mapping({"location": "westeurope", "identity": "x"}),
        lambda: ScaleSetSpec(**SET_BASE, extra_properties={"properties": "a string"}),
        lambda: ScaleSetSpec(**{**SET_BASE, "admin_password": 12345}),
    ):
        with pytest.raises(InvalidInputError):
            build()
    zones = ScaleSetSpec(**{**SET_BASE, "zones": 5})  # taken as ("5",): a zone the rules refuse
    assert zones.zones == ("5",) and "FLEX030" in {
        f.rule_id for f in evaluate(zones, catalog=None, name="web")
    }


def test_a_spec_repr_masks_secrets_from_extra_properties():
    spec = ScaleSetSpec(
        **SET_BASE,
        admin_password="Pw7!MARKERpassword-3f9a",  # a plain string is kept as a Secret
        extra_properties={"properties": {"virtualMachineProfile": {"extensionProfile": {"extensions": [
            {"name": "x", "properties": {"protectedSettings": {"commandToExecute": "MARKER-protected"},
                                         "settings": {"storageAccountKey": "MARKER-key"}}}]}}}},
    )  # fmt: skip
    assert isinstance(spec.admin_password, Secret)
    shown = repr(spec) + str(spec) + repr(dataclasses.asdict(spec)) + f"{spec}"
    assert "MARKER" not in shown
    assert "extensionProfile" in shown  # the structure is still shown


# ------------------------------------------------------------------------------- tracebacks

PASSWORD = "Pw7!MARKERpassword-3f9a"
CUSTOM_DATA = "#cloud-config MARKERcustomdata-81c2"


def _forms(secret: str) -> list[str]:
    return [secret, base64.b64encode(secret.encode()).decode()]


@pytest.mark.parametrize("debug", [True, False], ids=["FLEXVMSS_DEBUG", "plain"])
def test_a_crash_deep_in_create_prints_no_secret_in_its_traceback(emu, capsys, monkeypatch, tmp_path, debug):
    """A bug right after the body is rendered: the frames hold the rendered model (password,
    custom data) and its JSON; the traceback must show none of it, with locals or without."""
    import json

    from flexvmss._scaleset import _create

    world = build_world(emu)
    render = _create.render_scale_set

    def broken(spec: Any, **kwargs: Any) -> Any:
        model = render(spec, **kwargs)
        body = json.dumps(model.as_dict())  # what would be sent, in this frame's locals
        password = spec.admin_password.reveal()
        raise RuntimeError(f"a renderer bug after {len(body) + len(password)} characters")

    monkeypatch.setattr(_create, "render_scale_set", broken)
    spec = tmp_path / "web.json"
    spec.write_text(
        json.dumps(
            {
                "location": LOCATION,
                "vm_size": "Standard_D2s_v5",
                "capacity": 1,
                "image": "Canonical:ubuntu-24_04-lts:server:latest",
                "network": {"subnet_id": world.subnet_id, "outbound": "nat_gateway"},
                "admin_password": PASSWORD,
                "custom_data": CUSTOM_DATA,
            }
        )
    )
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    if debug:
        monkeypatch.setenv("FLEXVMSS_DEBUG", "1")
    else:
        monkeypatch.delenv("FLEXVMSS_DEBUG", raising=False)
    argv = ["flexvmss", "--base-url", emu.base_url, "--ca-file", emu.ca_file, "--credential", "emulator",
            "--subscription", emu.subscription_id, "-g", RG, "--yes"]  # fmt: skip
    argv += ["create", "web", "--spec", str(spec)]
    monkeypatch.setattr(sys, "argv", argv)
    from flexvmss.cli import main

    assert main() == 1
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "a renderer bug" in err
    if debug:
        assert "model" in err and "password" in err and "REDACTED" in err, "the locals were shown, redacted"
    for secret in (PASSWORD, CUSTOM_DATA):
        for form in _forms(secret):
            assert form not in err
