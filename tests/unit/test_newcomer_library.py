"""The library side of a newcomer's first hour (issue 13): one way to point a set at the
emulator, VMs shaped like their set, single full stops in error texts, and no unclosed
session at exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from typing import Any

import pytest
import trustme

from flexvmss import (
    FlexScaleSet,
    ImageSpec,
    InvalidInputError,
    NetworkSpec,
    NotFoundError,
    PreflightError,
    ScaleSetSpec,
    VmSpec,
)
from flexvmss._rules import evaluate
from flexvmss._scaleset._clients import LocalEndpointCredential, is_local_endpoint, resolve_endpoint
from flexvmss._specs import inherit_from_profile, render_scale_set_body

SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/vms"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICEH2JLy4VWrgBfyXBh37AX+c6p/M9qCzne0u3mcgd2k unit"


@dataclass
class FakeEmulator:
    base_url: str = "https://127.0.0.1:9443"
    ca_file: str = "/tmp/ca.pem"
    async_credential: Any = "the emulator's credential"


# -- one way to point at the emulator --------------------------------------------------------


def test_emulator_argument_gives_url_ca_and_its_credential() -> None:
    endpoint = resolve_endpoint(emulator=FakeEmulator())
    assert (endpoint.base_url, endpoint.connection_verify, endpoint.credential) == (
        "https://127.0.0.1:9443",
        "/tmp/ca.pem",
        "the emulator's credential",
    )
    mine = object()
    assert resolve_endpoint(emulator=FakeEmulator(), credential=mine).credential is mine


def test_emulator_argument_carries_its_clock_unless_a_throttle_is_given() -> None:
    from types import SimpleNamespace

    from flexvmss import ThrottleConfig

    scaled = resolve_endpoint(emulator=SimpleNamespace(**vars(FakeEmulator()), time_scale=0.01))
    assert scaled.time_scale == 0.01
    assert scaled.throttle(None) == ThrottleConfig(time_scale=0.01)
    mine = ThrottleConfig(mode="fail_fast")
    assert scaled.throttle(mine) is mine  # the caller's settings win, clock included
    # no clock, a manual clock (time moves only when the test moves it) and Azure: real seconds
    manual = SimpleNamespace(**vars(FakeEmulator()), time_scale=0.01, clock=SimpleNamespace(manual=True))
    for endpoint in (
        resolve_endpoint(emulator=FakeEmulator()),
        resolve_endpoint(emulator=manual),
        resolve_endpoint(base_url="https://127.0.0.1:1", environ={}),
    ):
        assert endpoint.time_scale == 1.0 and endpoint.throttle(None) is None


async def test_a_set_on_an_emulator_waits_on_its_clock() -> None:
    import flexvmss.aio
    from flexvmss.emulator import Emulator

    with Emulator(time_scale=0.02) as emu:
        async with flexvmss.aio.FlexScaleSet(emu.subscription_id, "rg", "web", emulator=emu) as ss:
            assert ss._arm().settings.throttle.time_scale == 0.02


def test_emulator_and_base_url_exclude_each_other() -> None:
    with pytest.raises(InvalidInputError, match="emulator"):
        resolve_endpoint(emulator=FakeEmulator(), base_url="https://127.0.0.1:1")
    with pytest.raises(InvalidInputError, match=r"started flexvmss\.emulator\.Emulator"):
        resolve_endpoint(emulator=object())


def test_environment_points_at_a_local_endpoint_with_its_token() -> None:
    env = {"FLEXVMSS_BASE_URL": "https://127.0.0.1:8443", "FLEXVMSS_CA_FILE": "/tmp/ca.pem"}
    endpoint = resolve_endpoint(environ=env)
    assert (endpoint.base_url, endpoint.connection_verify) == ("https://127.0.0.1:8443", "/tmp/ca.pem")
    assert isinstance(endpoint.credential, LocalEndpointCredential)
    explicit = resolve_endpoint(base_url="https://localhost:1", environ=env)
    assert explicit.base_url == "https://localhost:1" and explicit.connection_verify is None


def test_a_real_azure_url_never_gets_the_local_token() -> None:
    for url in ("https://management.azure.com", "https://management.usgovcloudapi.net", None):
        assert resolve_endpoint(base_url=url, environ={}).credential is None  # DefaultAzureCredential
    from_env = resolve_endpoint(environ={"FLEXVMSS_BASE_URL": "https://management.azure.com"})
    assert from_env.credential is None
    assert not is_local_endpoint("https://127.0.0.1.evil.example")
    assert is_local_endpoint("https://[::1]:8443") and is_local_endpoint("https://localhost:8443")


async def test_the_local_token_holds_no_secret() -> None:
    token = await LocalEndpointCredential().get_token("https://management.azure.com/.default")
    assert token.token == "flexvmss-local-endpoint" and token.expires_on > 0


def test_a_set_built_with_the_emulator_keeps_its_endpoint(tmp_path: Any) -> None:
    ca_file = tmp_path / "ca.pem"  # the CA file is checked when the set is built
    trustme.CA().cert_pem.write_to_path(str(ca_file))
    ss = FlexScaleSet("sub", "rg", "web", emulator=FakeEmulator(ca_file=str(ca_file))).aio
    assert (ss._base_url, ss._connection_verify, ss._credential) == (
        "https://127.0.0.1:9443",
        str(ca_file),
        "the emulator's credential",
    )


# -- a VM shaped like its set ----------------------------------------------------------------


def _set_body(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "location": "eastus",
        "vm_size": "Standard_D4s_v5",
        "capacity": 2,
        "image": ImageSpec.from_urn("Canonical:ubuntu-24_04-lts:server:latest"),
        "network": NetworkSpec(subnet_id=SUBNET, outbound="nat_gateway"),
        "admin_username": "ops",
        "ssh_public_keys": (KEY,),
    }
    spec = ScaleSetSpec(**{**fields, **changes})
    return render_scale_set_body(spec, name="web")


def test_a_vm_takes_what_it_leaves_unset_from_the_profile() -> None:
    vm = inherit_from_profile(VmSpec(name="extra", zone="1"), _set_body())
    assert vm.vm_size == "Standard_D4s_v5"
    assert vm.image is not None and str(vm.image) == "Canonical:ubuntu-24_04-lts:server:latest"
    assert vm.network is not None and (vm.network.subnet_id, vm.network.outbound) == (SUBNET, "nat_gateway")
    assert (vm.admin_username, vm.ssh_public_keys, vm.zone) == ("ops", (KEY,), "1")


def test_what_a_vm_says_wins_and_a_public_ip_profile_gives_its_outbound() -> None:
    own = VmSpec(name="big", vm_size="Standard_E8s_v5", network=NetworkSpec(subnet_id=SUBNET))
    vm = inherit_from_profile(own, _set_body(network=NetworkSpec(subnet_id=SUBNET, public_ip_per_vm=True)))
    assert vm.vm_size == "Standard_E8s_v5"
    assert vm.network is not None and vm.network.public_ip_per_vm and vm.network.outbound == "public_ip"
    unchanged = VmSpec(name="x")
    assert inherit_from_profile(unchanged, {"properties": {}}) is unchanged  # no profile to take from


def test_flex012_refuses_a_vm_without_outbound_as_it_refuses_a_set() -> None:
    from flexvmss import ScaleSetInfo

    info = ScaleSetInfo.from_wire({"id": "/subscriptions/s/resourceGroups/rg/providers/x/y", "name": "web",
                                   "location": "eastus", "properties": {"orchestrationMode": "Flexible",
                                                                        "singlePlacementGroup": False}})
    vm = VmSpec(name="x", vm_size="Standard_D2s_v5", image=ImageSpec.from_urn("a:b:c"),
                network=NetworkSpec(subnet_id=SUBNET), ssh_public_keys=(KEY,))
    findings = [f for f in evaluate(vm, catalog=None, scale_set=info) if f.rule_id == "FLEX012"]
    assert [f.severity for f in findings] == ["error"]


# -- error texts -----------------------------------------------------------------------------


def test_error_texts_end_their_sentences_once() -> None:
    text = "scale set web does not exist in resource group my-rg."
    missing = NotFoundError("get scale set web", message=text)
    assert ".." not in str(missing) and "my-rg. Fix:" in str(missing)
    vm = VmSpec(name="x", vm_size="Standard_NOPE", image=ImageSpec.from_urn("a:b:c"),
                network=NetworkSpec(subnet_id=SUBNET, outbound="public_ip", public_ip_per_vm=True),
                ssh_public_keys=(KEY,))
    from _flex_sku_data import synthetic_sku_items

    from flexvmss._skus import SkuCatalog

    findings = evaluate(vm, catalog=SkuCatalog.from_wire(synthetic_sku_items(), "eastus"))
    text = str(PreflightError(findings))
    assert findings and ".." not in text.replace("...", "")


# -- no unclosed session at exit -------------------------------------------------------------


def test_a_sync_set_left_open_is_closed_at_exit_with_a_warning_saying_how() -> None:
    script = textwrap.dedent(
        """
        from flexvmss import FlexScaleSet
        from flexvmss.emulator import Emulator

        emu = Emulator().start()
        emu.clients().resource.resource_groups.create_or_update("rg", {"location": "eastus"})
        ss = FlexScaleSet(emu.subscription_id, "rg", "web", emulator=emu)
        print(ss.exists())
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
    assert "UnclosedScaleSetWarning" in proc.stderr and "ss.close()" in proc.stderr
    assert "Unclosed client session" not in proc.stderr and "Unclosed connector" not in proc.stderr
