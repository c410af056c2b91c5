"""Secrets never leak: the whole lifecycle with a password-based set and VM, custom data, user
data and a client-secret credential, with DEBUG logging on for every logger and the traffic
recorded through the cassette kit. No secret (nor its base64 form, which is how custom and
user data travel) appears in the logs, exception texts, the reprs of what the library returns,
progress events or the cassette."""

from __future__ import annotations

import base64
import dataclasses
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from soak_scenario import LOCATION, RG, build_world, profile_spec, scaled_runtime, vm_spec

import flexvmss.aio
from flexvmss import FlexError, ScaleSetSpec, Secret
from flexvmss.testing import use_cassette

PASSWORD = "Pw7!MARKERpassword-3f9a"
CUSTOM_DATA = "#cloud-config MARKERcustomdata-81c2"
USER_DATA = "MARKERuserdata-47d0 payload"
NEW_USER_DATA = "MARKERuserdata2-b6e1 payload"
CLIENT_SECRET = "cs~MARKERclientsecret-9e2d7"
SHORT_PASSWORD = "Zq7#MKR"  # too short for Azure: a preflight error must not echo it


def _forms(secret: str) -> set[str]:
    raw = secret.encode()
    return {secret, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")}


MARKERS = {
    form
    for s in (PASSWORD, CUSTOM_DATA, USER_DATA, NEW_USER_DATA, CLIENT_SECRET, SHORT_PASSWORD)
    for form in _forms(s)
}


def leaks(text: str) -> list[str]:
    return sorted(m for m in MARKERS if m in text)


class ClientSecretLikeCredential:
    """Holds a client secret the way azure-identity's ClientSecretCredential does, but gets its
    token from the emulator's credential (the secret never has to reach Entra ID here)."""

    def __init__(self, inner: Any) -> None:
        from azure.identity.aio import ClientSecretCredential

        self._real = ClientSecretCredential("00000000-0000-0000-0000-000000000001", "app-id", CLIENT_SECRET)
        self._inner = inner

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return await self._inner.get_token(*scopes, **kwargs)

    async def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        return await self._inner.get_token_info(*scopes, options=options)

    async def close(self) -> None:
        await self._real.close()


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Every logger at DEBUG, captured (root, azure, flexvmss, aiohttp)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    names = ["", "azure", "flexvmss", "aiohttp", "azure.core.pipeline.policies.http_logging_policy"]
    saved = {name: logging.getLogger(name).level for name in names}
    root = logging.getLogger()
    root.addHandler(handler)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _secret_spec(subnet: str, capacity: int) -> ScaleSetSpec:
    return profile_spec(
        subnet,
        capacity,
        ssh_public_keys=(),
        admin_password=Secret(PASSWORD),
        custom_data=Secret(CUSTOM_DATA),
        user_data=Secret(USER_DATA),
    )


async def _lifecycle(emu: Any, ss: Any, subnet: str, seen: list[str]) -> None:
    """Create, add a VM, run power operations, update user data, scale, delete a VM, fail on
    purpose twice, tear down. Everything returned, raised or emitted goes into ``seen``."""

    def keep(value: Any) -> Any:
        seen.append(repr(value))
        seen.append(str(value))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            seen.append(repr(dataclasses.asdict(value)) if not hasattr(value, "results") else "")
        return value

    spec = keep(_secret_spec(subnet, 2))
    info = keep(await ss.create(spec))
    seen.append(repr(dict(info.raw)))
    vm = keep(
        await ss.add_vm(
            vm_spec(
                subnet,
                "pw1",
                ssh_public_keys=(),
                admin_password=Secret(PASSWORD),
                custom_data=Secret(CUSTOM_DATA),
                user_data=Secret(USER_DATA),
            )
        )
    )
    seen.append(repr(dict(vm.raw)))
    for name in ("deallocate", "start", "restart"):
        batch = keep(await getattr(ss, name)())
        for result in batch.results.values():
            keep(result)
    keep(await ss.update(user_data=Secret(NEW_USER_DATA)))
    for listed in await ss.vms(instance_view=True):
        keep(listed)
        seen.append(repr(dict(listed.raw)))
    keep(await ss.scale_to(3))
    keep(await ss.delete_vms(["pw1"]))
    # errors on purpose: a conflicting re-create, and a password Azure would refuse
    for bad in (
        dataclasses.replace(spec, admin_password=Secret(PASSWORD + "x"), vm_size="Standard_D4s_v5"),
        dataclasses.replace(spec, admin_password=Secret(SHORT_PASSWORD)),
    ):
        try:
            await ss.create(bad)
        except FlexError as exc:
            seen.extend([str(exc), repr(exc), repr(getattr(exc, "findings", None))])
    scratch = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "scratch", clients=ss._arm())
    try:
        await scratch.create(dataclasses.replace(spec, admin_password=Secret(SHORT_PASSWORD)))
    except FlexError as exc:
        seen.extend([str(exc), repr(exc), repr(getattr(exc, "findings", None))])
    keep(await ss.delete(cascade=True))
    seen.append(repr(ss))


async def test_no_secret_in_logs_reprs_errors_events_or_cassette(emu, debug_log, tmp_path: Path):
    world = build_world(emu)
    events: list[str] = []
    seen: list[str] = []
    from flexvmss._arm import ArmSettings, build_clients
    from flexvmss._pipeline import ThrottleConfig

    credential = ClientSecretLikeCredential(emu.async_credential)
    settings = ArmSettings(
        emu.subscription_id,
        base_url=emu.base_url,
        credential=credential,
        connection_verify=emu.ca_file,
        polling_interval=0.05,
        throttle=ThrottleConfig(time_scale=emu.time_scale),
        runtime=scaled_runtime(emu.time_scale),
    )
    seen.append(repr(settings))
    cassette = tmp_path / "lifecycle.yaml"
    clients = build_clients(settings)
    ss = flexvmss.aio.FlexScaleSet(
        emu.subscription_id, RG, "secretive", clients=clients, on_event=lambda e: events.append(repr(e))
    )
    try:
        with use_cassette(cassette, record_mode="all"):
            await _lifecycle(emu, ss, world.subnet_id, seen)
    finally:
        await ss.close()
        await clients.close()
        await credential.close()

    assert events, "progress events were emitted"
    assert cassette.exists() and cassette.stat().st_size > 0
    assert "adminPassword" in cassette.read_text() or "REDACTED" in cassette.read_text()
    assert len(debug_log.getvalue()) > 0
    assert leaks(debug_log.getvalue()) == [], "secret in the DEBUG logs"
    assert leaks("\n".join(seen)) == [], "secret in a repr, str or exception text"
    assert leaks("\n".join(events)) == [], "secret in a progress event"
    assert leaks(cassette.read_text()) == [], "secret in the cassette"


async def test_azure_core_network_trace_does_not_show_secrets(emu, debug_log):
    """``ArmSettings(logging_enable=True)`` turns on azure-core's network trace, which logs
    request bodies: the password and custom data of a create must not be in it."""
    world = build_world(emu)
    from flexvmss._arm import ArmSettings, build_clients

    clients = build_clients(
        ArmSettings(
            emu.subscription_id,
            base_url=emu.base_url,
            credential=emu.async_credential,
            connection_verify=emu.ca_file,
            polling_interval=0.05,
            logging_enable=True,
            runtime=scaled_runtime(emu.time_scale),
        )
    )
    ss = flexvmss.aio.FlexScaleSet(emu.subscription_id, RG, "traced", clients=clients)
    try:
        await ss.create(_secret_spec(world.subnet_id, 1))
    finally:
        await ss.close()
        await clients.close()
    text = debug_log.getvalue()
    assert "request PUT" in text, "the network trace was on"
    assert leaks(text) == []


def test_secret_values_never_show_in_spec_reprs():
    spec = ScaleSetSpec(
        location=LOCATION,
        admin_password=Secret(PASSWORD),
        custom_data=Secret(CUSTOM_DATA),
        user_data=Secret(USER_DATA),
    )
    assert leaks(repr(spec) + str(spec) + f"{spec}" + repr(dataclasses.asdict(spec))) == []
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(spec)


def test_the_command_line_never_prints_secrets_from_a_spec_file(emu, tmp_path: Path):
    """A spec file with a password, custom data and user data; create it, create a conflicting
    variant (an error), list, deallocate and delete, at the highest verbosity."""
    import json as _json

    from click.testing import CliRunner

    from flexvmss.cli import flexvmss as cli

    world = build_world(emu)
    spec = {
        "location": LOCATION,
        "vm_size": "Standard_D2s_v5",
        "capacity": 2,
        "image": "Canonical:ubuntu-24_04-lts:server:latest",
        "network": {"subnet_id": world.subnet_id, "outbound": "nat_gateway"},
        "admin_password": PASSWORD,
        "custom_data": CUSTOM_DATA,
        "user_data": {"env": "FLEXVMSS_TEST_USER_DATA"},
    }
    good = tmp_path / "web.json"
    good.write_text(_json.dumps(spec))
    bad = tmp_path / "bad.json"
    bad.write_text(_json.dumps({**spec, "vm_size": "Standard_D4s_v5", "admin_password": SHORT_PASSWORD}))
    base = [
        "--base-url",
        emu.base_url,
        "--ca-file",
        emu.ca_file,
        "--credential",
        "emulator",
        "--subscription",
        emu.subscription_id,
        "-g",
        RG,
        "-vvv",
        "--yes",
    ]
    env = {"NO_COLOR": "1", "COLUMNS": "200", "FLEXVMSS_TEST_USER_DATA": USER_DATA, "FLEXVMSS_DEBUG": "1"}
    outputs = []
    for args in (
        ["create", "web", "--spec", str(good)],
        ["create", "web", "--spec", str(bad)],
        ["plan", "other", "--spec", str(bad)],
        ["-o", "json", "ls", "web"],
        ["deallocate", "web"],
        ["delete", "web", "--cascade"],
    ):
        result = CliRunner().invoke(cli, [*base, *args], env=env)
        outputs.append(f"{args} exit {result.exit_code}\n{result.output}\n{result.exception!r}")
    text = "\n".join(outputs)
    assert "exit 0" in outputs[0], outputs[0]
    assert leaks(text) == [], text[-3000:]
