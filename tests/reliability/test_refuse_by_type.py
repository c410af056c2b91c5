"""Bad input is refused by type, before any request (issue 14, point 2).

``extra_properties`` and ``raw`` are checked against the shapes azure-mgmt-compute declares (the
error names the path, the value's type and the type expected, never the value); a private key
where a public key belongs is refused with the fix, and never shows in a repr; the sizes Azure
documents are rules; spec files and secret files are read with limits, so an alias bomb or
``/dev/zero`` fails at once and typed.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from flexvmss import ImageSpec, InvalidInputError, NetworkSpec, ScaleSetSpec, Secret, VmSpec
from flexvmss._rules import evaluate
from flexvmss._specs import load_spec_file, load_spec_text
from flexvmss._specs._shapes import check_body

ROOT = Path(__file__).resolve().parents[2]
SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/vms"
BASE: dict[str, Any] = {
    "location": "westeurope",
    "vm_size": "Standard_D2s_v5",
    "capacity": 2,
    "image": ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
    "network": NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway"),
}
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostileInputTestKey0000000000000000000 t@t"
PRIVATE_KEYS = {
    "openssh": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
    "-----END OPENSSH PRIVATE KEY-----\n",
    "pkcs8": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
    "rsa": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----",
    "putty": "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\n"
    "AAAAIHostileInputPuttyKey\nPrivate-MAC: 0123abcd",
}


# ------------------------------------------------------------------------------- SDK shapes

WRONG_TYPES = [
    ({"properties": "x"}, "extra_properties.properties", "a string", "VirtualMachineScaleSetProperties"),
    (
        {"properties": {"virtualMachineProfile": ["x"]}},
        "extra_properties.properties.virtualMachineProfile",
        "a list",
        "VirtualMachineScaleSetVMProfile",
    ),
    ({"zones": 5}, "extra_properties.zones", "a number", "a list"),
    ({"identity": "x"}, "extra_properties.identity", "a string", "VirtualMachineScaleSetIdentity"),
    ({"sku": {"capacity": "3"}}, "extra_properties.sku.capacity", "a string", "a whole number"),
    (
        {"properties": {"platformFaultDomainCount": True}},
        "extra_properties.properties.platformFaultDomainCount",
        "a boolean",
        "a whole number",
    ),
    ({"tags": {"team": ["web"]}}, "extra_properties.tags.team", "a list", "a string"),
    (
        {
            "properties": {
                "virtualMachineProfile": {
                    "extensionProfile": {
                        "extensions": [{"properties": {"settings": {"ratio": float("nan")}}}]
                    }
                }
            }
        },
        "extra_properties.properties.virtualMachineProfile.extensionProfile.extensions[0].properties"
        ".settings.ratio",
        "a number",
        "a finite number",
    ),
    (
        {"properties": {"brandNew": {"x": {1, 2}}}},
        "extra_properties.properties.brandNew.x",
        "a value of type set",
        "a JSON value",
    ),
]


@pytest.mark.parametrize(("extra", "path", "got", "expected"), WRONG_TYPES, ids=[w[1] for w in WRONG_TYPES])
def test_extra_properties_of_the_wrong_type_name_path_type_and_expected_type(extra, path, got, expected):
    with pytest.raises(InvalidInputError) as caught:
        ScaleSetSpec(**BASE, extra_properties=extra)
    error = caught.value
    assert error.field == path
    assert error.value == got
    assert expected in str(error) and got in str(error)


def test_a_secret_in_a_wrongly_typed_value_is_not_in_the_error():
    with pytest.raises(InvalidInputError) as caught:
        VmSpec(
            name="vm1",
            vm_size="x",
            image=BASE["image"],
            network=BASE["network"],
            extra_properties={"properties": {"osProfile": {"adminPassword": 123456789}}},
        )
    assert "123456789" not in str(caught.value) + repr(caught.value)
    assert caught.value.field == "extra_properties.properties.osProfile.adminPassword"


def test_raw_bodies_are_checked_too_and_keys_newer_than_the_sdk_pass():
    with pytest.raises(InvalidInputError, match=r"raw\.properties\.virtualMachineProfile"):
        ScaleSetSpec(location="westeurope", raw={"properties": {"virtualMachineProfile": 7}})
    spec = ScaleSetSpec(**BASE, extra_properties={"properties": {"aPropertyFromTomorrow": {"on": True}}})
    assert spec.extra_properties["properties"]["aPropertyFromTomorrow"] == {"on": True}


def test_every_body_the_library_ever_sent_fits_the_sdk_shapes():
    """No false refusals: each VM and scale set PUT body in the committed cassettes passes."""
    checked = 0
    for file in sorted((ROOT / "cassettes").rglob("*.yaml")):
        for request in deserialize(file.read_text(), yamlserializer)[0]:
            uri = request.uri.lower()
            if request.method != "PUT" or not request.body or "/extensions/" in uri:
                continue
            if "/virtualmachinescalesets/" in uri or "/virtualmachines/" in uri:
                model = "VirtualMachineScaleSet" if "/virtualmachinescalesets/" in uri else "VirtualMachine"
                check_body(json.loads(request.body), model, field="body")
                checked += 1
    assert checked >= 20


def test_the_spec_file_path_is_named_for_a_bad_value_in_extra_properties():
    with pytest.raises(InvalidInputError) as caught:
        ScaleSetSpec.from_mapping({"location": "westeurope", "extra_properties": {"properties": "x"}})
    assert caught.value.field == "extra_properties.properties"


# ------------------------------------------------------------------------------- private keys


@pytest.mark.parametrize("kind", sorted(PRIVATE_KEYS))
def test_a_private_key_in_ssh_public_keys_is_refused_with_the_fix_and_never_shown(kind):
    key = PRIVATE_KEYS[kind]
    for build in (
        lambda: ScaleSetSpec(**BASE, ssh_public_keys=(PUBLIC_KEY, key)),
        lambda: ScaleSetSpec.from_mapping({"location": "westeurope", "ssh_public_keys": [key]}),
        lambda: VmSpec(
            name="vm1", vm_size="x", image=BASE["image"], network=BASE["network"], ssh_public_keys=key
        ),
    ):
        with pytest.raises(InvalidInputError) as caught:
            build()
        text = str(caught.value) + repr(caught.value) + repr(caught.value.value)
        assert "ssh_public_keys[" in caught.value.field
        assert "ssh-keygen -y" in text and ".pub" in text
        assert "PRIVATE" not in text and "Private-MAC" not in text


def test_ssh_key_file_pointing_at_a_private_key_fails_before_any_request(tmp_path):
    from flexvmss.cli import flexvmss as cli

    key = tmp_path / "id_ed25519"
    key.write_text(PRIVATE_KEYS["openssh"])
    result = CliRunner().invoke(
        cli,
        [
            "--base-url",
            "https://127.0.0.1:9",
            "--credential",
            "emulator",
            "--subscription",
            "00000000-0000-0000-0000-000000000001",
            "-g",
            "rg",
            "plan",
            "web",
            "--location",
            "westeurope",
            "--vm-size",
            "Standard_D2s_v5",
            "--image",
            "Canonical:ubuntu-24_04-lts:server:latest",
            "--subnet",
            SUBNET,
            "--outbound",
            "nat_gateway",
            "--ssh-key-file",
            str(key),
        ],
        env={"NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert result.exit_code == 1, result.output
    assert "private key" in result.output and ".pub" in result.output
    assert "b3BlbnNzaC1rZXkt" not in result.output
    assert "Connection" not in result.output and "127.0.0.1:9" not in result.output  # nothing was sent


# ------------------------------------------------------------------------------- limits


def test_custom_and_user_data_over_64_kb_are_rules_that_never_show_the_data():
    big = "#cloud-config\n# MARKER-big " + "x" * 70_000
    spec = ScaleSetSpec(**BASE, ssh_public_keys=(PUBLIC_KEY,), custom_data=Secret(big), user_data=Secret(big))
    errors = {f.rule_id: f for f in evaluate(spec, catalog=None, name="web") if f.severity == "error"}
    assert {"FLEX040", "FLEX041"} <= set(errors)
    assert all("MARKER" not in f.message and "MARKER" not in repr(f) for f in errors.values())
    fine = ScaleSetSpec(**BASE, ssh_public_keys=(PUBLIC_KEY,), custom_data=Secret("x" * 65_000))
    assert not {f.rule_id for f in evaluate(fine, catalog=None, name="web")} & {"FLEX040", "FLEX041"}


def test_custom_data_from_dev_zero_fails_at_once_and_typed():
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInputError, match=r"secret\.file"):
            ScaleSetSpec.from_mapping({"location": "westeurope", "custom_data": {"file": "/dev/zero"}})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024


def test_a_binary_secret_file_is_refused_typed(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(b"\xff\xfe\x00secret")
    with pytest.raises(InvalidInputError, match="UTF-8"):
        Secret.from_file(path)


ALIAS_BOMB = """
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
location: westeurope
zones: *g
tags: {team: web}
"""


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (ALIAS_BOMB, "expand to more than"),
        ("location: westeurope\nzones: &z [*z]\n", "refers to the node"),
        ("x: &x 1\n" + "".join(f"k{i}: *x\n" for i in range(100)), "more than 64 YAML aliases"),
        ("[" * 3000 + "]" * 3000, "nested too deeply"),
    ],
    ids=["alias-bomb", "self-reference", "many-aliases", "deep"],
)
def test_spec_files_are_loaded_with_limits(tmp_path, text, says):
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInputError, match=says):
            load_spec_text(text, source="web.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


def test_a_spec_file_over_the_size_cap_or_a_device_is_refused_before_parsing(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_text("location: westeurope\n" + "# padding\n" * 200_000)
    for path in (huge, Path("/dev/zero")):
        with pytest.raises(InvalidInputError, match="larger than"):
            load_spec_file(path)
    assert load_spec_text("base: &b {team: web}\nlocation: westeurope\ntags: *b\n")["tags"] == {"team": "web"}


def test_the_command_line_refuses_an_alias_bomb_as_a_usage_error(tmp_path):
    from flexvmss.cli import flexvmss as cli

    spec = tmp_path / "bomb.yaml"
    spec.write_text(ALIAS_BOMB)
    result = CliRunner().invoke(
        cli,
        [
            "--base-url",
            "https://127.0.0.1:9",
            "--credential",
            "emulator",
            "--subscription",
            "00000000-0000-0000-0000-000000000001",
            "-g",
            "rg",
            "plan",
            "web",
            "--spec",
            str(spec),
        ],
        env={"NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert result.exit_code == 2, result.output
    assert "aliases expand" in result.output
