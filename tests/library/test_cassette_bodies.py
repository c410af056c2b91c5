"""A replay matches what the library sends, not only where it sends it (issue 17, point 4).

The committed cassette of the profile-set lifecycle (about 70 interactions, 11 of them write
requests with a body) is replayed through the same scenario, offline: as committed it passes;
with one recorded field changed, or with 11 write bodies replaced by garbage (the audit's probe),
the replay fails and the failure names the JSON path where the body differs (before, both
altered replays passed: bodies were not compared).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import test_lifecycle_replay as lifecycle
import yaml

from flexvmss.testing import Target, UnrecordedRequestError, block_network, use_cassette

CASSETTE = (
    Path(__file__).resolve().parents[2]
    / "cassettes"
    / "test_lifecycle_replay"
    / "test_lifecycle_of_a_profile_set[aio].yaml"
)
WRITES = ("PUT", "PATCH", "POST")


def _write_bodies(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The recorded write requests that carry a body."""
    return [
        i["request"]
        for i in data["interactions"]
        if i["request"]["method"] in WRITES and i["request"]["body"]
    ]


def _alter(data: dict[str, Any], how: str) -> None:
    if how == "capacity":  # the scale-out PATCH recorded with another capacity
        (patch,) = [r for r in _write_bodies(data) if '"capacity": 4' in r["body"]]
        body = json.loads(patch["body"])
        body["sku"]["capacity"] = 5
        patch["body"] = json.dumps(body)
    elif how == "garbage":  # the audit's probe: 11 write bodies replaced
        for request in _write_bodies(data)[:11]:
            request["body"] = json.dumps({"garbage": "x" * 8})


async def _replay(path: Path) -> None:
    target = Target.replay()
    with block_network(), use_cassette(path):
        await lifecycle.test_lifecycle_of_a_profile_set(target, "aio")


def test_the_cassette_holds_what_the_probe_expects() -> None:
    data = yaml.safe_load(CASSETTE.read_text())
    assert len(data["interactions"]) > 11
    assert len(_write_bodies(data)) >= 11


async def test_the_committed_cassette_replays(tmp_path: Path) -> None:
    path = tmp_path / "as-recorded.yaml"
    path.write_text(CASSETTE.read_text())
    await _replay(path)


@pytest.mark.parametrize(
    ("how", "named"),
    [
        ("capacity", "$.sku.capacity: recorded 5, sent 4"),
        ("garbage", '$.garbage: recorded "xxxxxxxx", not sent'),
    ],
)
async def test_a_replay_that_sends_other_bodies_fails_naming_the_field(
    tmp_path: Path, how: str, named: str
) -> None:
    data = yaml.safe_load(CASSETTE.read_text())
    _alter(data, how)
    path = tmp_path / f"{how}.yaml"
    path.write_text(yaml.safe_dump(data))

    with pytest.raises(UnrecordedRequestError) as caught:
        await _replay(path)

    message = str(caught.value)
    assert "its body differs from the recorded one at" in message
    assert named in message, message
