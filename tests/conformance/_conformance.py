"""Load the conformance cases and replay one against an emulator.

A case (``cases/*.json``) holds facts taken from a real Azure recording (or, where marked, a
REST spec example or a documented error): the request's method, path template, api-version
and a body of our own with the recorded request's shape; Azure's status, LRO headers,
response key set and JSON types, a few key values, and the error code and text. It cites
its source (repository, path, commit, recording date, api-version) and rates the evidence.

:func:`run_case` sets up the case's preconditions over HTTPS, sends the request and returns
the divergences (an empty list means the emulator answers as Azure did) plus notes on keys
the emulator adds that Azure's model declares at today's api-version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _conformance_setup import prepare, set_body, vm_body
from _conformance_wire import Arm, Reply, compare_shape, declared, fill, lookup

CASES_DIR = Path(__file__).parent / "cases"

REQUIRED = ("id", "area", "title", "evidence", "request", "expect")
EVIDENCE_REQUIRED = ("kind", "repo", "path", "commit", "recorded", "api_version", "strength")
STRENGTHS = ("strong", "medium", "weak")


@dataclass
class Outcome:
    """What one replay found."""

    problems: list[str] = field(default_factory=list)
    #: Keys the emulator adds that Azure's recorded body lacks but today's model declares.
    allowed_extras: list[str] = field(default_factory=list)
    status: int | None = None


def load_cases(directory: Path = CASES_DIR) -> list[dict[str, Any]]:
    """Every case of every ``cases/*.json``, checked for the fields the runner needs.
    A missing or empty directory is an error, not an empty suite."""
    files = sorted(directory.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no conformance case files in {directory}")
    cases: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            missing = [k for k in REQUIRED if k not in case]
            missing += [f"evidence.{k}" for k in EVIDENCE_REQUIRED if k not in case.get("evidence", {})]
            if missing:
                raise ValueError(f"{path.name}: case {case.get('id')!r} lacks {missing}")
            if case["evidence"]["strength"] not in STRENGTHS:
                raise ValueError(
                    f"{path.name}: case {case['id']!r} has strength {case['evidence']['strength']!r}"
                )
            if case["id"] in seen:
                raise ValueError(f"duplicate case id {case['id']!r}")
            seen.add(case["id"])
            case["_file"] = path.name
            cases.append(case)
    return cases


def _body(request: dict[str, Any], names: dict[str, str]) -> Any:
    if "body_from" in request:
        spec = dict(request["body_from"])
        kind = spec.pop("kind")
        body = set_body(names, spec) if kind == "scale_set" else vm_body(names, spec)
        for dotted, value in request.get("body_set", {}).items():
            _assign(body, dotted, fill(value, names))
        for dotted in request.get("body_drop", []):
            _drop(body, dotted)
        return body
    return fill(request.get("body"), names)


def _assign(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    cur = body
    for part in parents:
        cur = cur.setdefault(part, {})
    cur[last] = value


def _drop(body: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    cur: Any = body
    for part in parents:
        cur = cur.get(part, {})
    cur.pop(last, None)


def send(arm: Arm, case: dict[str, Any]) -> tuple[Reply, Reply | None, dict[str, str]]:
    """Set the case up, send its request and (if it says so) follow the LRO header.
    Returns (initial reply, followed reply or None, names)."""
    names = prepare(arm, case.get("setup", []), case.get("names"))
    request = case["request"]
    path = arm.expand(fill(request["path"], names), names)
    initial = arm.call(
        request["method"],
        path,
        api_version=request.get("api_version"),
        body=_body(request, names),
        query=fill(request.get("query"), names),
        headers=fill(request.get("headers"), names),
    )
    follow = case.get("then")
    if not follow:
        return initial, None, names
    url = initial.header(follow["follow"])
    if url is None:
        raise AssertionError(f"no {follow['follow']} header to follow (status {initial.status})")
    if follow.get("complete"):
        arm.emu.complete_all()
    return initial, arm.absolute(url), names


def check(case: dict[str, Any], reply: Reply, names: dict[str, str], out: Outcome) -> None:
    """Compare one reply with the case's expectations (Azure's answer)."""
    expect = case["expect"]
    out.status = reply.status
    want = expect.get("status")
    allowed = want if isinstance(want, list) else [want]
    if want is not None and reply.status not in allowed:
        shown = " or ".join(str(s) for s in allowed)
        err = reply.body.get("error") if isinstance(reply.body, dict) else None
        said = f" ({err.get('code')}: {str(err.get('message'))[:140]})" if isinstance(err, dict) else ""
        out.problems.append(f"status: Azure {shown}, emulator {reply.status}{said}")
    for header in expect.get("headers", {}).get("present", []):
        if reply.header(header) is None:
            out.problems.append(f"header {header}: Azure sends it, emulator does not")
    for header in expect.get("headers", {}).get("absent", []):
        if reply.header(header) is not None:
            out.problems.append(f"header {header}: Azure does not send it, emulator does")
    if "empty_body" in expect:
        empty = reply.raw.strip() in (b"", b"null")
        if expect["empty_body"] and not empty:
            out.problems.append("body: Azure sends none, emulator sends one")
    error = expect.get("error")
    if error is not None:
        _check_error(error, reply, names, out)
    shape = expect.get("shape")
    if shape is not None:
        _check_shape(case, shape, reply, out)
    for dotted, value in fill(expect.get("values", {}), names).items():
        try:
            got = lookup(reply.body, dotted)
        except KeyError:
            out.problems.append(f"value {dotted}: Azure {value!r}, emulator has no such key")
            continue
        if got != value:
            out.problems.append(f"value {dotted}: Azure {value!r}, emulator {got!r}")
    for want_item in fill(expect.get("contains", []), names):
        try:
            items = lookup(reply.body, want_item["in"])
        except KeyError:
            items = None
        if not isinstance(items, list) or not any(_subset(want_item["match"], item) for item in items):
            out.problems.append(
                f"list {want_item['in']}: Azure has an item like {want_item['match']}, emulator does not"
            )
    for dotted in expect.get("keys_absent", []):
        try:
            lookup(reply.body, dotted)
        except KeyError:
            continue
        out.problems.append(f"key {dotted}: Azure leaves it out, emulator sends it")


def _subset(want: Any, got: Any) -> bool:
    """``want`` is contained in ``got``: dict keys recursively, each list item somewhere."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and _subset(v, got[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and all(any(_subset(w, g) for g in got) for w in want)
    return bool(want == got)


def _check_error(error: dict[str, Any], reply: Reply, names: dict[str, str], out: Outcome) -> None:
    body: dict[str, Any] = reply.body if isinstance(reply.body, dict) else {}
    got: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else {}
    if "code" in error and got.get("code") != error["code"]:
        out.problems.append(f"error.code: Azure {error['code']!r}, emulator {got.get('code')!r}")
    if "message" in error:
        want = fill(error["message"], names)
        message = got.get("message") or ""
        ok = message.startswith(want) if error.get("match") == "prefix" else message == want
        if not ok:
            out.problems.append(f"error.message: Azure {want!r}, emulator {message!r}")
    if "target" in error and got.get("target") != fill(error["target"], names):
        out.problems.append(f"error.target: Azure {error['target']!r}, emulator {got.get('target')!r}")


def _check_shape(case: dict[str, Any], shape: Any, reply: Reply, out: Outcome) -> None:
    diff = compare_shape(shape, reply.body)
    for where in diff.missing:
        out.problems.append(f"key {where}: Azure sends it, emulator does not")
    out.problems.extend(f"type {w}" for w in diff.wrong_type)
    for where in diff.empty_list:
        out.problems.append(f"list {where}: Azure's has items, emulator's is empty")
    model = case["expect"].get("model")
    for where in diff.extra:
        if model and declared(model, where):
            out.allowed_extras.append(where)
        else:
            out.problems.append(
                f"key {where}: emulator adds it; Azure's body and today's model ({model}) lack it"
            )


def run_case(arm: Arm, case: dict[str, Any]) -> Outcome:
    """Replay one case on a reset emulator."""
    arm.emu.clear_faults()
    arm.emu.reset()
    out = Outcome()
    initial, followed, names = send(arm, case)
    if followed is None:
        check(case, initial, names, out)
        return out
    want_initial = case["then"].get("initial_status")
    if want_initial is not None and initial.status != want_initial:
        out.problems.append(f"status (initial): Azure {want_initial}, emulator {initial.status}")
    check(case, followed, names, out)
    return out
