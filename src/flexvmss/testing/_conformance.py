"""Replay a recording of real Azure on a fresh emulator and say how the answers differ.

:func:`compare_with_emulator` reads a cassette recorded with the kit (scrubbed, its endpoint
and subscription normalised to ``https://management.azure.com`` and the zero GUID), sends
each recorded request, in order and with its recorded body, to a fresh
:class:`flexvmss.emulator.Emulator`, and compares each answer with the recorded one:

* the status code;
* the presence of the long-running-operation headers (``Azure-AsyncOperation``,
  ``Location``, ``Operation-Location``) and of a poll hint (``Retry-After``, or the
  emulator's ``retry-after-ms`` on a scaled clock: the same hint in other units);
* the body's shape: recursive key sets and JSON types (:mod:`flexvmss.testing._shapes`);
  ``tags`` content is never compared;
* the error code (``error.code``);
* the status a finished operation reports (``Succeeded``, ``Failed``, ``Canceled``).

Values are not compared: ids, names, times, GUIDs, ETags and every other value differ from
run to run. Neither are error texts (they name ETags and ids); the report shows them beside a
differing code.

The emulator runs on a manual clock, so the recording's timeline decides what it shows: an
operation stays in progress while the recording's does and finishes (``complete_all``) when a
recorded poll sees Azure's finish; before a request sent while Azure had nothing in flight,
everything pending finishes. Operation and next-page URLs are not replayed verbatim (their ids
are Azure's): each recorded URL is mapped to the one the emulator handed out in its answer to
the same request; so is a name Azure generated (a profile's VM, its NIC and disk), learnt from
the two answers that first show it, in the URLs and bodies of later requests. What cannot be
compared is listed with the reason: an answer Azure refused for throttling (``429``) or a
server error the client retried, a poll of an operation the emulator never started, a poll
Azure saw in progress after the emulator had finished.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ._match import VOLATILE_QUERY_PARAMETERS, normalise_url
from ._scrub import ZERO_GUID
from ._shapes import OPAQUE_KEYS, compare_shape, json_kind, shape_of
from ._target import ARM_ENDPOINT

__all__ = [
    "LRO_HEADERS",
    "POLL_HINTS",
    "Answer",
    "ConformanceReport",
    "Difference",
    "Exchange",
    "ExchangeResult",
    "RecordedStep",
    "compare_answers",
    "compare_with_emulator",
    "load_recording",
]

#: Headers that start or lead a long-running operation: compared by presence.
LRO_HEADERS = ("Azure-AsyncOperation", "Location", "Operation-Location")
#: One poll hint in any of its spellings (azure-core reads them in this order).
POLL_HINTS = ("Retry-After", "retry-after-ms", "x-ms-retry-after-ms")
#: What the report calls a poll hint, whatever its spelling.
POLL_HINT = "Retry-After (poll hint)"
#: Operation states after which nothing changes (ARM's async-operation contract).
TERMINAL_STATES = frozenset({"succeeded", "failed", "canceled", "cancelled"})
#: Headers of a recorded request sent again to the emulator (the rest is transport detail).
_FORWARDED = ("content-type", "if-match", "if-none-match", "accept")
_SUBSCRIPTION = re.compile(r"/subscriptions/[^/?]+", re.I)
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


# --------------------------------------------------------------------------- the recording

@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, headers (names lower-cased, first value) and raw body."""

    status: int
    headers: Mapping[str, str]
    raw: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def empty(self) -> bool:
        return self.raw.strip() in (b"", b"null")

    @functools.cached_property
    def json(self) -> Any:
        """The parsed body; None when it is empty or not JSON (parsed once)."""
        if self.empty:
            return None
        try:
            return json.loads(self.raw)
        except ValueError:
            return None

    @property
    def error_code(self) -> str | None:
        body = self.json
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        return str(code) if code is not None else None

    @property
    def error_message(self) -> str | None:
        body = self.json
        error = body.get("error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        return str(message) if message is not None else None


@dataclass(frozen=True)
class Exchange:
    """One recorded request and Azure's answer to it; ``index`` is its place in the cassette."""

    index: int
    method: str
    uri: str
    headers: Mapping[str, str]
    body: bytes | None
    answer: Answer


def _first(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return value.decode() if isinstance(value, bytes) else str(value)


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return value if isinstance(value, bytes) else str(value).encode()


def load_recording(path: str | Path) -> list[Exchange]:
    """The interactions of the cassette at ``path``, in recorded order."""
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    loaded = FilesystemPersister.load_cassette(str(path), serializer=yamlserializer)
    requests, responses = loaded[0], loaded[1]
    out: list[Exchange] = []
    for index, (request, response) in enumerate(zip(requests, responses, strict=True)):
        headers = {str(k).lower(): _first(v) for k, v in (response.get("headers") or {}).items()}
        body = (response.get("body") or {}).get("string")
        answer = Answer(int((response.get("status") or {}).get("code") or 0), headers, _bytes(body))
        sent = {str(k).lower(): _first(v) for k, v in dict(request.headers).items()}
        out.append(
            Exchange(
                index=index,
                method=request.method.upper(),
                uri=request.uri,
                headers=sent,
                body=_bytes(request.body) if request.body is not None else None,
                answer=answer,
            )
        )
    return out


# --------------------------------------------------------------------------- differences


@dataclass(frozen=True)
class Difference:
    """One way the emulator answered differently from Azure.

    ``kind``: ``status``, ``header`` (an LRO header or the poll hint, present on one side
    only), ``body`` (a body on one side only), ``missing_key`` (Azure sends it, the emulator
    does not), ``extra_key`` (the emulator adds it), ``type`` (another JSON type),
    ``empty_list`` (Azure's has items, the emulator's none), ``error_code`` or
    ``operation_status``. ``where`` is the header name or the dotted key path; ``azure`` and
    ``emulator`` what each side showed; ``detail`` context (error texts)."""

    kind: str
    where: str
    azure: Any
    emulator: Any
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "where": self.where, "azure": self.azure, "emulator": self.emulator}
        if self.detail:
            out["detail"] = self.detail
        return out


def _presence(flag: bool) -> str:
    return "present" if flag else "absent"


def _body_kind(answer: Answer) -> str:
    if answer.empty:
        return "none"
    body = answer.json
    return json_kind(body) if body is not None else "text"


def compare_answers(azure: Answer, emulator: Answer, *, poll: bool = False) -> list[Difference]:
    """How ``emulator`` differs from ``azure`` (an empty list when it answers alike); ``poll``
    says the answers are an operation's status, whose final ``status`` is compared too."""
    out: list[Difference] = []
    if azure.status != emulator.status:
        out.append(Difference("status", "status", azure.status, emulator.status))
    for name in LRO_HEADERS:
        ours, theirs = azure.header(name) is not None, emulator.header(name) is not None
        if ours != theirs:
            out.append(Difference("header", name, _presence(ours), _presence(theirs)))
    ours = any(azure.header(h) is not None for h in POLL_HINTS)
    theirs = any(emulator.header(h) is not None for h in POLL_HINTS)
    if ours != theirs:
        out.append(Difference("header", POLL_HINT, _presence(ours), _presence(theirs)))
    recorded, got = _body_kind(azure), _body_kind(emulator)
    if (recorded == "none") != (got == "none"):
        out.append(Difference("body", "<body>", recorded, got))
    elif azure.json is not None and emulator.json is not None:
        diff = compare_shape(shape_of(azure.json, merge=True), emulator.json)
        out += [Difference("missing_key", w, "present", "absent") for w in diff.missing]
        out += [Difference("extra_key", w, "absent", "present") for w in diff.extra]
        out += [Difference("type", w, a, e) for w, a, e in diff.types]
        out += [Difference("empty_list", w, "items", "empty") for w in diff.empty_list]
    if azure.error_code != emulator.error_code:
        texts = (("Azure", azure.error_message), ("emulator", emulator.error_message))
        said = " | ".join(f"{side}: {text}" for side, text in texts if text)
        out.append(Difference("error_code", "error.code", azure.error_code, emulator.error_code, said))
    a, e = azure.json, emulator.json
    said_a = a.get("status") if poll and isinstance(a, dict) else None
    said_e = e.get("status") if poll and isinstance(e, dict) else None
    if said_a is not None and said_e is not None and str(said_a).lower() != str(said_e).lower():
        out.append(Difference("operation_status", "status", said_a, said_e))
    return out


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class RecordedStep:
    """A named part of the recorded run: interactions ``start`` (included) to ``end``
    (excluded)."""

    name: str
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "start": self.start, "end": self.end}


@dataclass
class ExchangeResult:
    """One recorded request, what the emulator answered to it and how the answers differ
    (``skipped`` says why it was not compared, when it was not)."""

    index: int
    method: str
    path: str
    query: dict[str, str]
    step: str | None
    azure_status: int
    emulator_status: int | None = None
    differences: list[Difference] = field(default_factory=list)
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def request(self) -> str:
        return f"{self.method} {self.path}"

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "step": self.step,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "azure_status": self.azure_status,
            "emulator_status": self.emulator_status,
            "skipped": self.skipped,
            "differences": [d.to_json() for d in self.differences],
            "notes": list(self.notes),
        }


@dataclass
class ConformanceReport:
    """Every recorded request with the differences found; render it with
    :meth:`to_markdown` / :meth:`to_json`, or :meth:`write` both next to the recording."""

    recording: str
    results: list[ExchangeResult]
    steps: list[RecordedStep] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def differences(self) -> list[tuple[ExchangeResult, Difference]]:
        return [(r, d) for r in self.results for d in r.differences]

    @property
    def compared(self) -> int:
        return sum(1 for r in self.results if r.skipped is None)

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for _, diff in self.differences:
            kinds[diff.kind] = kinds.get(diff.kind, 0) + 1
        return {
            "requests": len(self.results),
            "compared": self.compared,
            "not_compared": len(self.results) - self.compared,
            "differences": len(self.differences),
            "requests_with_differences": sum(1 for r in self.results if r.differences),
            "notes": sum(len(r.notes) for r in self.results),
            "by_kind": dict(sorted(kinds.items())),
        }

    def by_step(self) -> list[dict[str, Any]]:
        """Requests, compared requests and differences per step, in run order."""
        rows: dict[str, dict[str, Any]] = {}
        for result in self.results:
            name = result.step or "-"
            row = rows.setdefault(name, {"step": name, "requests": 0, "compared": 0, "differences": 0})
            row["requests"] += 1
            row["compared"] += result.skipped is None
            row["differences"] += len(result.differences)
        return list(rows.values())

    def to_json(self) -> dict[str, Any]:
        from ._conformance_report import COMPARED, IGNORED, REPORT_FORMAT

        return {
            "format": REPORT_FORMAT,
            "recording": self.recording,
            "meta": self.meta,
            "summary": self.summary(),
            "steps": self.by_step(),
            "compared": list(COMPARED),
            "ignored": list(IGNORED),
            "results": [r.to_json() for r in self.results],
        }

    def to_markdown(self) -> str:
        from ._conformance_report import markdown

        return markdown(self)

    def write(self, directory: str | Path, stem: str = "report") -> tuple[Path, Path]:
        """Write ``<stem>.md`` and ``<stem>.json`` into ``directory``; returns both paths."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        md, js = folder / f"{stem}.md", folder / f"{stem}.json"
        md.write_text(self.to_markdown(), encoding="utf-8")
        js.write_text(json.dumps(self.to_json(), indent=1, default=str) + "\n", encoding="utf-8")
        return md, js


def display(uri: str) -> tuple[str, dict[str, str]]:
    """A recorded URL as the report shows it: the path with the subscription and GUIDs as
    placeholders, and the query without ARM's signatures (a page token as ``...``)."""
    parts = urlsplit(uri)
    path = _SUBSCRIPTION.sub("/subscriptions/{subscription}", parts.path)
    path = _GUID.sub("{guid}", path)
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in VOLATILE_QUERY_PARAMETERS:
            continue
        query[key] = "..." if key.lower() in ("$skiptoken", "skiptoken") else _GUID.sub("{guid}", value)
    return path, query


# --------------------------------------------------------------------------- the replay


def _terminal(answer: Answer) -> bool:
    """Whether a poll answer is final: not a 202, and no ``status`` still running."""
    if answer.status == 202:
        return False
    body = answer.json
    if isinstance(body, dict) and isinstance(body.get("status"), str):
        return body["status"].lower() in TERMINAL_STATES
    return True


@dataclass
class _Timeline:
    """What the recording shows about its operations: where each operation URL was handed
    out and which interaction first saw it finished."""

    handed_out: dict[str, int] = field(default_factory=dict)
    finished: dict[str, int] = field(default_factory=dict)
    lro: set[str] = field(default_factory=set)
    next_pages: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, exchanges: Sequence[Exchange]) -> _Timeline:
        line = cls()
        for ex in exchanges:
            key = normalise_url(ex.uri)
            if ex.method == "GET" and key in line.lro and key not in line.finished and _terminal(ex.answer):
                line.finished[key] = ex.index
            for name in LRO_HEADERS:
                value = ex.answer.header(name)
                if value:
                    url = normalise_url(value)
                    line.lro.add(url)
                    line.handed_out.setdefault(url, ex.index)
            body = ex.answer.json
            if isinstance(body, dict) and isinstance(body.get("nextLink"), str):
                line.next_pages.add(normalise_url(body["nextLink"]))
        return line

    def in_flight(self, index: int) -> bool:
        """Whether Azure had an operation running at interaction ``index`` (one handed out
        before it whose finish the recording sees after it)."""
        return any(self.handed_out.get(url, index) < index < done for url, done in self.finished.items())


def _transient(exchanges: Sequence[Exchange], ex: Exchange) -> str | None:
    """Why Azure's answer is not a behaviour to compare, or None."""
    if ex.answer.status == 429:
        return "Azure throttled it (429); the client retried"
    if ex.answer.status >= 500:
        nxt = exchanges[ex.index + 1] if ex.index + 1 < len(exchanges) else None
        if nxt and nxt.method == ex.method and normalise_url(nxt.uri) == normalise_url(ex.uri):
            return f"a server error ({ex.answer.status}) the client retried"
    return None


_RUN = re.compile(r"[0-9A-Za-z]+")


def _masked(name: str) -> str:
    """``name`` with its generated parts masked: every run of five or more letters and digits
    holding a digit (``conf_42af9fc3``, a disk's hash) becomes ``#``."""
    return _RUN.sub(
        lambda m: "#" if len(m[0]) >= 5 and any(c.isdigit() for c in m[0]) else m[0].lower(), name
    )


class _Names:
    """The names Azure generated in a recording (a profile's VMs, their NICs and disks) and the
    emulator's for the same resources, learnt by walking both answers to one request side by
    side. Two names pair only when they differ in generated parts alone, so a pairing is never
    a guess between two of the run's own names."""

    def __init__(self) -> None:
        self.pairs: dict[str, str] = {}

    def _pair(self, ours: str, theirs: str) -> None:
        if ours != theirs and "#" in _masked(ours) and _masked(ours) == _masked(theirs):
            self.pairs[ours] = theirs

    def learn(self, ours: Any, theirs: Any, key: str | None = None) -> None:
        if isinstance(ours, dict) and isinstance(theirs, dict):
            for k in ours.keys() & theirs.keys():
                if k not in OPAQUE_KEYS:
                    self.learn(ours[k], theirs[k], k)
        elif isinstance(ours, list) and isinstance(theirs, list):
            for a, b in self._items(ours, theirs):
                self.learn(a, b, key)
        elif isinstance(ours, str) and isinstance(theirs, str) and ours != theirs:
            if ours.startswith("/subscriptions/") and theirs.startswith("/subscriptions/"):
                a, b = ours.split("/"), theirs.split("/")
                if len(a) == len(b):
                    for x, y in zip(a, b, strict=True):
                        self._pair(x, y)
            elif key == "name":
                self._pair(ours, theirs)

    @staticmethod
    def _items(ours: list[Any], theirs: list[Any]) -> list[tuple[Any, Any]]:
        """Items of two lists that describe the same thing: same name, else the one item whose
        name differs only in generated parts, else (items without names) by position."""

        def name(item: Any) -> str | None:
            value = item.get("name") if isinstance(item, dict) else None
            return value if isinstance(value, str) else None

        if not all(name(i) for i in [*ours, *theirs]):
            return list(zip(ours, theirs, strict=False))
        pairs: list[tuple[Any, Any]] = []
        left = list(theirs)
        for item in ours:
            same = [t for t in left if name(t) == name(item)]
            alike = same or [t for t in left if _masked(name(t) or "") == _masked(name(item) or "")]
            if len(alike) == 1 or same:
                pairs.append((item, alike[0]))
                left.remove(alike[0])
        return pairs

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if not self.pairs:
            return url
        lowered = {k.lower(): v for k, v in self.pairs.items()}
        path = "/".join(lowered.get(seg.lower(), seg) for seg in parts.path.split("/"))
        return parts._replace(path=path).geturl()

    def body(self, body: bytes | None) -> bytes | None:
        if not body or not self.pairs:
            return body
        for ours in sorted(self.pairs, key=len, reverse=True):
            body = body.replace(ours.encode(), self.pairs[ours].encode())
        return body


class _Replay:
    """Sends a recording's requests to one emulator and compares the answers."""

    def __init__(self, emulator: Any, exchanges: Sequence[Exchange]) -> None:
        import requests

        self.emu = emulator
        self.exchanges = exchanges
        self.timeline = _Timeline.of(exchanges)
        self.links: dict[str, str] = {}
        self.names = _Names()
        self.session = requests.Session()
        self.session.verify = str(emulator.ca_file)
        self.session.trust_env = False
        self.session.headers["Authorization"] = "Bearer flexvmss-conformance"

    def close(self) -> None:
        self.session.close()

    def _send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Answer:
        sent = {k: v for k, v in headers.items() if k in _FORWARDED}
        resp = self.session.request(method, url, headers=sent, data=body or None, timeout=120)
        return Answer(resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.content)

    def learn(self, recorded: Answer, got: Answer) -> None:
        """Map the operation and next-page URLs of a recorded answer to the ones the emulator
        handed out in its answer to the same request."""
        for name in LRO_HEADERS:
            url, theirs = recorded.header(name), got.header(name)
            if url and theirs:
                self.links[normalise_url(url)] = theirs
        a, e = recorded.json, got.json
        ours = a.get("nextLink") if isinstance(a, dict) else None
        theirs = e.get("nextLink") if isinstance(e, dict) else None
        if isinstance(ours, str) and isinstance(theirs, str):
            self.links[normalise_url(ours)] = theirs
        self.names.learn(a, e)

    def run(self, ex: Exchange) -> tuple[Answer | None, str | None, bool]:
        """Replay one exchange: (the emulator's answer, why it was not compared, poll)."""
        parts = urlsplit(ex.uri)
        if f"{parts.scheme}://{parts.netloc}".lower() != ARM_ENDPOINT:
            return None, f"not an Azure Resource Manager request ({parts.netloc})", False
        why = _transient(self.exchanges, ex)
        if why:
            return None, why, False
        key = normalise_url(ex.uri)
        if key in self.timeline.lro:
            target = self.links.get(key)
            if target is None:
                return None, "the emulator started no such operation (see the request that started it)", True
            if _terminal(ex.answer):
                self.emu.complete_all()
            got = self._send(ex.method, target, ex.headers, ex.body)
            if not _terminal(ex.answer) and _terminal(got):
                return got, "Azure still ran the operation; the emulator had finished it (timing)", True
            return got, None, True
        if not self.timeline.in_flight(ex.index):
            self.emu.complete_all()
        url = self.links.get(key)
        if url is None:
            if key in self.timeline.next_pages:
                return None, "the emulator's list had no such next page", False
            url = self.names.url(str(self.emu.base_url).rstrip("/") + ex.uri[len(ARM_ENDPOINT) :])
        return self._send(ex.method, url, ex.headers, self.names.body(ex.body)), None, False


def _settle(result: ExchangeResult, differences: list[Difference]) -> None:
    """Keep the differences, except what is timing: a list Azure read with items where the
    emulator's is empty (Azure serves list reads from caches that may still show what was just
    deleted: docs/emulator.md, Realism) becomes a note."""
    for diff in differences:
        if diff.kind == "empty_list" and diff.where == "value" and result.method == "GET":
            result.notes.append(
                "Azure's list still had items where the emulator's is empty: list reads are eventually "
                "consistent (timing, not compared)"
            )
        else:
            result.differences.append(diff)


def _step_of(steps: Sequence[RecordedStep], index: int) -> str | None:
    return next((s.name for s in steps if s.start <= index < s.end), None)


def compare_with_emulator(
    recording: str | Path,
    *,
    steps: Sequence[RecordedStep] = (),
    meta: Mapping[str, Any] | None = None,
) -> ConformanceReport:
    """Replay the cassette ``recording`` on a fresh emulator and compare every answer (see the
    module docstring). ``steps`` name parts of the recording in the report; ``meta`` goes into
    the report as it is (location, sizes, when it was recorded)."""
    from flexvmss.emulator import Emulator

    exchanges = load_recording(recording)
    results: list[ExchangeResult] = []
    # realism off: each recorded step is replayed and its answer's shape compared; a lag
    # would change what a step reads back, not the wire shapes this compares
    with Emulator(manual_clock=True, realism="off", subscription_id=ZERO_GUID) as emu:
        replay = _Replay(emu, exchanges)
        try:
            for ex in exchanges:
                path, query = display(ex.uri)
                result = ExchangeResult(
                    index=ex.index,
                    method=ex.method,
                    path=path,
                    query=query,
                    step=_step_of(steps, ex.index),
                    azure_status=ex.answer.status,
                )
                got, why, poll = replay.run(ex)
                if got is not None:
                    result.emulator_status = got.status
                    replay.learn(ex.answer, got)
                if why is not None:
                    result.skipped = why
                elif got is not None:
                    _settle(result, compare_answers(ex.answer, got, poll=poll))
                results.append(result)
        finally:
            replay.close()
    info = dict(meta or {})
    versions = sorted({r.query["api-version"] for r in results if r.query.get("api-version")})
    info.setdefault("api_versions", ", ".join(versions))
    # the file's name only: its folder may name the user's home
    return ConformanceReport(Path(recording).name, results, list(steps), info)
