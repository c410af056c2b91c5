"""vcrpy, set up for Azure Resource Manager traffic.

:func:`use_cassette` is the one entry point (the pytest plugin uses it too). It gives
vcrpy:

* the :class:`~flexvmss.testing.Scrubber` as ``before_record_request`` and
  ``before_record_response``, so secrets are scrubbed in memory before a cassette is
  written, and live requests are scrubbed the same way before they are matched;
* the ``flexvmss`` matcher (method + normalised URL, see :mod:`flexvmss.testing._match`), and
  for write requests (``PUT``, ``PATCH``, ``POST``) the body as well: a request whose body
  differs from every recorded one at its URL is not answered, and the failure names the JSON
  path where it differs (scrubbed values, GUIDs and timestamps are not compared);
* :class:`FlexCassette`, which answers a status poll made more often than was recorded
  with the last recorded answer for that URL (``repeat="polls"``), and remembers every
  request it could not answer: strict by default, the block then fails with
  :class:`UnrecordedRequestError` naming each one, even when the code under test swallowed
  vcrpy's error (a fan-out turns it into one failed VM; a background task may drop it);
* a lock around the ``urllib3`` request path: vcrpy briefly unpatches the connection
  classes whenever it creates a connection and for every live request, so a second
  thread that opens a connection at that moment bypasses the cassette: it is not
  recorded (kevin1024/vcrpy#849), or on replay it goes to the network. The lock makes
  threads take turns; ``aiohttp`` runs on one event loop and needs none;
* on replay, :func:`~flexvmss.testing.instant_sleep` for the azure-mgmt clients a test builds
  itself: no poll interval, ``Retry-After`` or back-off of theirs sleeps for real (flexvmss's
  own waits follow the runtime the test hands it: :attr:`Target.runtime
  <flexvmss.testing.Target.runtime>`, instant on replay).

The cassette changes nothing of the library: what makes flexvmss's traffic replayable
(observation through each operation's own status URL, a SKU cache of the test's own) comes
with that same runtime.

Both transports azure-core ships are covered: ``requests`` (sync clients) through vcrpy's
``urllib3`` stubs and ``aiohttp`` (the ``.aio`` clients) through its ``aiohttp`` stubs.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, NoReturn

import vcr
from vcr.cassette import Cassette, CassetteContextDecorator
from vcr.errors import UnhandledHTTPRequestError

from ._match import (
    WRITE_METHODS,
    azure_request_matcher,
    is_poll_url,
    match_key,
    normalise_url,
    parse_body,
    parsed_body_difference,
)
from ._scrub import Scrubber, default_scrubber
from ._time import instant_sleep

__all__ = [
    "RECORD_MODES",
    "FlexCassette",
    "NetworkBlockedError",
    "UnrecordedRequestError",
    "block_network",
    "use_cassette",
]

RecordMode = Literal["none", "once", "new_episodes", "all", "rewrite"]
Repeat = Literal["polls", "gets", "none"]

#: Record modes, as in pytest-recording: ``rewrite`` deletes the cassette, then records.
RECORD_MODES: tuple[str, ...] = ("none", "once", "new_episodes", "all", "rewrite")

#: How often one recorded answer may be replayed beyond its recording before replay gives
#: up: a poll loop that never sees the state it waits for fails instead of spinning.
MAX_REPEATS = 1000

_POLL_HEADERS = ("azure-asyncoperation", "location", "operation-location")
_DELAY_HEADERS = ("retry-after", "retry-after-ms", "x-ms-retry-after-ms")


# --------------------------------------------------------------------------- cassette


class UnrecordedRequestError(AssertionError):
    """The code under test sent requests the cassette does not hold (or polled one far more
    often than it was recorded). ``requests`` lists them as ``"METHOD URL"`` (scrubbed, as
    they would be recorded); the cassette is ``path``."""

    def __init__(self, path: str, requests: list[str]) -> None:
        self.path = path
        self.requests = list(requests)
        shown = "\n".join(f"    {r}" for r in self.requests[:20])
        more = f"\n    ... and {len(self.requests) - 20} more" if len(self.requests) > 20 else ""
        super().__init__(
            f"{len(self.requests)} request(s) not in the cassette {path}:\n{shown}{more}\n"
            "The code changed since the cassette was recorded: re-record it (pytest --record-mode=rewrite "
            "--flexvmss-target=emulator <test>), or, if the test means to tolerate it, mark the test "
            "@pytest.mark.flexvmss_cassette(lenient=True)."
        )


class FlexCassette(Cassette):  # type: ignore[misc]
    """A vcrpy cassette that replays the last answer to a repeated status poll.

    ``repeat`` says which requests may be answered again once every recorded
    answer has been played: ``"polls"`` (GETs of ARM operation URLs, of any URL a
    recorded response named in ``Azure-AsyncOperation``, ``Location`` or
    ``Operation-Location``, and of any URL the recording itself requested more than once),
    ``"gets"`` (every GET) or ``"none"`` (vcrpy's strict behaviour). A replay that polls
    fewer times than recorded is fine.

    With ``match_bodies`` (the default) a write request (``PUT``, ``PATCH``, ``POST``) is
    answered only by a recording of the same method, URL and body
    (:func:`~flexvmss.testing._match.body_difference`): a change in what the code sends to
    Azure fails the replay, and :class:`UnrecordedRequestError` names the JSON path where the
    body differs from the one recorded at that URL.
    """

    def __init__(
        self, *args: Any, repeat: Repeat = "polls", match_bodies: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.match_bodies = match_bodies
        #: interaction index -> its recorded request body, decoded (see _match.parse_body)
        self._bodies: dict[int, Any] = {}
        if repeat not in ("polls", "gets", "none"):
            raise ValueError(f"repeat must be 'polls', 'gets' or 'none', not {repeat!r}")
        self.repeat: Repeat = repeat
        self._poll_urls: set[str] = set()
        self._poll_urls_seen = 0
        self._repeats: dict[int, int] = {}
        self._by_key: dict[tuple[str, str], list[int]] = {}
        self._indexed = 0
        self._play_lock = threading.RLock()
        self._loading = False
        #: Requests this cassette could not answer, as "METHOD URL" (scrubbed), in order.
        self.unrecorded: list[str] = []
        self._unrecorded_reported = False

    def _load(self) -> None:
        self._loading = True
        try:
            super()._load()
        finally:
            self._loading = False

    def append(self, request: Any, response: Any) -> None:
        """Record an interaction, scrubbed before anything else sees it (vcrpy's own ``append``
        logs the raw request and response at INFO first); loaded ones were scrubbed when
        recorded and go in as they are."""
        if self._loading:
            self.data.append((request, response))
            return
        request = self._before_record_request(request)
        if not request:
            return
        response = self._before_record_response(copy.deepcopy(response))
        if response is None:
            return
        self.data.append((request, response))
        self.dirty = True

    def filter_request(self, request: Any) -> Any:
        """vcrpy's last step before it refuses a request a write-protected cassette does not
        hold (``CannotOverwriteExistingCassetteException``): remembered here, so the refusal
        fails the test even when the code under test catches it."""
        filtered = super().filter_request(request)
        if filtered is not None and self.write_protected:
            self._miss(filtered)
        return filtered

    def _miss(self, request: Any) -> None:
        with self._play_lock:
            why = self._body_mismatch(request)
            self.unrecorded.append(
                f"{request.method.upper()} {request.uri}" + (f"\n      {why}" if why else "")
            )

    def _recorded_body(self, index: int) -> Any:
        if index not in self._bodies:
            self._bodies[index] = parse_body(self.data[index][0].body)
        return self._bodies[index]

    def _body_agrees(self, index: int, sent: Any) -> bool:
        return parsed_body_difference(self._recorded_body(index), sent) is None

    def _body_mismatch(self, request: Any) -> str | None:
        """Why a write request found no answer when its URL was recorded: where its body differs
        from the recording's (the first one at that URL not played yet, else the first)."""
        if not self.match_bodies or request.method.upper() not in WRITE_METHODS:
            return None
        self._index()
        candidates = self._by_key.get(match_key(request), [])
        if not candidates:
            return None
        index = next((i for i in candidates if not self.play_counts[i]), candidates[0])
        difference = parsed_body_difference(self._recorded_body(index), parse_body(request.body))
        if difference is None:
            return None
        return f"its body differs from the recorded one at {difference}"

    def _index(self) -> None:
        if self._indexed != len(self.data):
            for index in range(self._indexed, len(self.data)):
                self._by_key.setdefault(match_key(self.data[index][0]), []).append(index)
            self._indexed = len(self.data)

    def raise_unrecorded(self) -> None:
        """Raise :class:`UnrecordedRequestError` if a request found no answer (once)."""
        if self.unrecorded and not self._unrecorded_reported:
            self._unrecorded_reported = True
            raise UnrecordedRequestError(str(self._path), self.unrecorded)

    def _responses(self, request: Any) -> Iterator[tuple[int, Any]]:
        """Recorded answers matching ``request``, in recording order.

        With the default matcher this is a dictionary look-up on (method, normalised
        URL) instead of vcrpy's scan of every interaction per request, which made a
        1,200-interaction replay take half a minute; a write request's body is compared
        with each recording at its URL (``match_bodies``).
        """
        if list(self._match_on) != [azure_request_matcher]:
            yield from super()._responses(request)
            return
        request = self._before_record_request(request)
        if request is None:
            return
        self._index()
        indices = self._by_key.get(match_key(request), [])
        if self.match_bodies and indices and request.method.upper() in WRITE_METHODS:
            sent = parse_body(request.body)
            indices = [i for i in indices if self._body_agrees(i, sent)]
        for index in indices:
            yield index, self.data[index][1]

    def _known_poll_urls(self) -> set[str]:
        if self._poll_urls_seen != len(self.data):
            for _, response in self.data[self._poll_urls_seen :]:
                for name, values in (response.get("headers") or {}).items():
                    if name.lower() in _POLL_HEADERS:
                        for value in values if isinstance(values, list) else [values]:
                            self._poll_urls.add(normalise_url(value))
            self._poll_urls_seen = len(self.data)
        return self._poll_urls

    def repeatable(self, request: Any) -> bool:
        """Whether ``request`` may be answered again with its last recorded answer."""
        if self.repeat == "none" or request is None or request.method.upper() != "GET":
            return False
        if self.repeat == "gets":
            return True
        if is_poll_url(request.uri) or normalise_url(request.uri) in self._known_poll_urls():
            return True
        # a GET the recording made more than once was being polled (a list watched until
        # its VMs settle, a resource read until its state changes): it may be polled more
        return sum(1 for _ in self._responses(request)) >= 2

    def _last_match(self, request: Any) -> int | None:
        last = None
        for index, _ in self._responses(request):
            last = index
        return last

    def __contains__(self, request: Any) -> bool:
        if super().__contains__(request):
            return True
        return bool(self.rewound and self.repeatable(request) and self._last_match(request) is not None)

    def play_response(self, request: Any) -> Any:
        """The next unplayed answer to ``request`` (or the last one again, see ``repeat``).

        Finding and marking an answer is atomic, so threads replaying at once never get
        the same recorded answer twice.
        """
        with self._play_lock:
            return self._play(request)

    def _play(self, request: Any) -> Any:
        try:
            return super().play_response(request)
        except UnhandledHTTPRequestError:
            scrubbed = self._before_record_request(request)
            if not self.repeatable(scrubbed):
                raise
            index = self._last_match(scrubbed)
            if index is None:
                raise
            self._repeats[index] = self._repeats.get(index, 0) + 1
            if self._repeats[index] > MAX_REPEATS:
                self._miss(scrubbed)
                raise UnhandledHTTPRequestError(
                    f"The cassette ({self._path!r}) answered {request.method} {request.uri} "
                    f"{MAX_REPEATS} times more than it was recorded: the code under test is "
                    "waiting for a state the recording never reached. Re-record the cassette."
                ) from None
            self.play_counts[index] += 1
            return self.data[index][1]


# --------------------------------------------------------------------------- network


class NetworkBlockedError(RuntimeError):
    """A test tried to open a network connection while replaying cassettes."""


_LOOPBACK = ("127.", "::1", "localhost")


@contextlib.contextmanager
def block_network(*, allow_loopback: bool = False, hint: str = "") -> Iterator[None]:
    """Refuse TCP connections (``socket.connect`` / ``connect_ex``) and name look-ups
    (``socket.getaddrinfo``) inside the block, with :class:`NetworkBlockedError`.

    Unix sockets are allowed (the event loop's self-pipe is not a connection), looking up
    loopback names is allowed, and connecting to loopback is allowed when
    ``allow_loopback`` is true (recording against the local emulator).
    """
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what: str) -> NoReturn:
        raise NetworkBlockedError(
            f"Network is disabled while replaying cassettes (flexvmss): {what} was refused."
            f"{(' ' + hint) if hint else ''}"
        )

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        if allow_loopback and host.startswith(_LOOPBACK):
            return
        port = address[1] if isinstance(address, tuple) and len(address) > 1 else "?"
        refuse(f"a connection to {host}:{port}")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in (None, "") and not str(name).startswith(_LOOPBACK):
            refuse(f"looking up {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    setattr(socket.socket, "connect", connect)  # noqa: B010 - patching a method on purpose
    setattr(socket.socket, "connect_ex", connect_ex)  # noqa: B010
    setattr(socket, "getaddrinfo", getaddrinfo)  # noqa: B010
    try:
        yield
    finally:
        setattr(socket.socket, "connect", real_connect)  # noqa: B010
        setattr(socket.socket, "connect_ex", real_connect_ex)  # noqa: B010
        setattr(socket, "getaddrinfo", real_getaddrinfo)  # noqa: B010


# --------------------------------------------------------------------------- recording lock

_record_lock = threading.RLock()


@contextlib.contextmanager
def _serialised_urllib3() -> Iterator[None]:
    """Let one thread at a time through urllib3 while a cassette is active (vcrpy#849)."""
    try:
        from urllib3.connectionpool import HTTPConnectionPool
    except ImportError:  # pragma: no cover - requests (and so urllib3) ships with azure-core
        yield
        return
    real_urlopen = HTTPConnectionPool.urlopen

    @functools.wraps(real_urlopen)
    def urlopen(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _record_lock:
            return real_urlopen(self, *args, **kwargs)

    HTTPConnectionPool.urlopen = urlopen  # type: ignore[method-assign]
    try:
        yield
    finally:
        HTTPConnectionPool.urlopen = real_urlopen  # type: ignore[method-assign]


# --------------------------------------------------------------------------- logs

#: Loggers that print request URLs (and vcrpy's, whole interactions) while a cassette is active.
_HTTP_LOGGERS = (
    "vcr.cassette",
    "vcr.stubs",
    "vcr.stubs.aiohttp_stubs",
    "vcr.request",
    "vcr.matchers",
    "urllib3.connectionpool",
)


class _ScrubbedRecords(logging.Filter):
    """Passes each record of the HTTP loggers through the cassette's scrubber, so a log line
    never shows what the cassette may not hold."""

    def __init__(self, scrubber: Scrubber) -> None:
        super().__init__()
        self._scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: drop what it carries rather than log it raw
            message = str(record.msg)
        record.msg = self._scrubber.scrub_text(message)
        record.args = ()
        return True


@contextlib.contextmanager
def _scrubbed_http_logs(scrubber: Scrubber) -> Iterator[None]:
    log_filter = _ScrubbedRecords(scrubber)
    loggers = [logging.getLogger(name) for name in _HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(log_filter)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(log_filter)


# --------------------------------------------------------------------------- use_cassette


def _strip_poll_delays(request: Any, response: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """after_load hook: poll hints of non-throttling answers never make a replay wait."""
    status = int((response.get("status") or {}).get("code") or 0)
    headers = response.get("headers")
    if status not in (429, 503) and isinstance(headers, dict):
        for name in [n for n in headers if n.lower() in _DELAY_HEADERS]:
            del headers[name]
    return request, response


def _hooks(value: Any) -> list[Callable[..., Any]]:
    if value is None:
        return []
    if callable(value):
        return [value]
    return list(value)


def _chain(first: Iterable[Callable[[Any], Any]], last: Callable[[Any], Any]) -> Callable[[Any], Any]:
    hooks = [*first, last]

    def run(item: Any) -> Any:
        for hook in hooks:
            if item is None:
                return None
            item = hook(item)
        return item

    return run


@contextlib.contextmanager
def use_cassette(
    path: str | os.PathLike[str],
    *,
    record_mode: RecordMode | str = "none",
    scrubber: Scrubber | None = None,
    repeat: Repeat | str = "polls",
    instant: bool | None = None,
    lenient: bool = False,
    match_bodies: bool = True,
    **vcr_kwargs: Any,
) -> Iterator[Any]:
    """Record or replay Azure traffic in the cassette at ``path``; yields the cassette.

    ``record_mode`` is vcrpy's (``none`` replays only and is the default) plus
    ``rewrite``, which deletes the cassette and records it again. ``scrubber`` defaults
    to :func:`default_scrubber`. ``repeat`` is :class:`FlexCassette`'s. ``instant``
    (default: when replaying) wraps the block in
    :func:`~flexvmss.testing.instant_sleep` (azure-core's waits of the clients the test
    builds itself; flexvmss's own follow its runtime). Strict unless ``lenient``: a
    request the cassette does not hold makes the block raise :class:`UnrecordedRequestError`
    naming it, even if the code under test caught vcrpy's error (with the block's own error
    as its cause); ``lenient=True`` leaves it to vcrpy's error alone. ``match_bodies``
    (default on) is :class:`FlexCassette`'s: a write request must send its recorded body. Any other
    keyword goes to ``vcr.VCR`` (``match_on``, ``before_record_request``, ...); your
    ``before_record_*`` hooks run before the scrubber, so they see raw values and
    nothing they leave behind escapes it.

    A recording always leaves a cassette file behind, even one with no interactions,
    so the replay of a test that made no request finds its cassette.
    """
    if record_mode not in RECORD_MODES:
        raise ValueError(f"record_mode must be one of {RECORD_MODES}, not {record_mode!r}")
    scrubber = scrubber if scrubber is not None else default_scrubber()
    path = Path(path)
    mode = record_mode
    if mode == "rewrite":
        path.unlink(missing_ok=True)
        mode = "all"
    recording = mode != "none"
    if instant is None:
        instant = not recording

    kwargs = dict(vcr_kwargs)
    before_request = _chain(_hooks(kwargs.pop("before_record_request", None)), scrubber.scrub_request)
    before_response = _chain(_hooks(kwargs.pop("before_record_response", None)), scrubber.scrub_response)
    after_load = [*_hooks(kwargs.pop("after_load_interaction", None)), _strip_poll_delays]
    kwargs.setdefault("match_on", ("flexvmss",))
    kwargs.setdefault("decode_compressed_response", True)

    recorder = vcr.VCR(record_mode=mode)
    recorder.register_matcher("flexvmss", azure_request_matcher)
    args_getter = functools.partial(
        recorder.get_merged_config,
        path=str(path),
        before_record_request=before_request,
        before_record_response=before_response,
        after_load_interaction=after_load,
        **kwargs,
    )

    def cassette_args() -> dict[str, Any]:
        return {**args_getter(), "repeat": repeat, "match_bodies": match_bodies}

    with contextlib.ExitStack() as stack:
        stack.enter_context(_scrubbed_http_logs(scrubber))
        stack.enter_context(_serialised_urllib3())
        if instant:
            stack.enter_context(instant_sleep())
        with CassetteContextDecorator(FlexCassette, cassette_args) as cassette:
            try:
                yield cassette
            except BaseException as exc:
                if not lenient and not isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
                    try:
                        cassette.raise_unrecorded()
                    except UnrecordedRequestError as unrecorded:
                        raise unrecorded from exc
                raise
        if recording and not path.exists():
            cassette._save(force=True)
        if not lenient:
            cassette.raise_unrecorded()
