"""The flexvmss cassette kit: record Azure traffic once, replay it offline.

Record your automation against the local emulator (or real Azure) once; the kit scrubs
secrets and normalises endpoints and ids before anything is written, and replays the
cassettes offline with the network blocked and no sleeps (flexvmss's own waits run on the
:class:`VirtualClock` of the target's runtime). Use it through the pytest
plugin (installed with flexvmss: the ``flexvmss_target`` fixture and the
``flexvmss_cassette`` marker) or directly with :func:`use_cassette`. Check cassettes with
``python -m flexvmss.testing scan cassettes/``. :func:`compare_with_emulator` replays a
recording of real Azure on a fresh emulator and reports how its answers differ (what
``flexvmss conformance`` does). See ``docs/testing.md``.

Names are loaded on first use, so the pytest plugin costs nothing when it is not used
and works without the test extras installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flexvmss._lazy import lazy_exports

# public name -> private module that defines it
_EXPORTS: dict[str, str] = {
    "ARM_ENDPOINT": "._target",
    "ConformanceReport": "._conformance",
    "Difference": "._conformance",
    "FakeAsyncCredential": "._target",
    "FakeCredential": "._target",
    "Finding": "._scan",
    "FlexCassette": "._vcr",
    "NetworkBlockedError": "._vcr",
    "REDACTED": "._scrub",
    "RECORD_MODES": "._vcr",
    "ScrubRule": "._scrub",
    "Scrubber": "._scrub",
    "SleepLog": "._time",
    "Target": "._target",
    "UnrecordedRequestError": "._vcr",
    "VirtualClock": "._time",
    "RecordedStep": "._conformance",
    "ZERO_GUID": "._scrub",
    "block_network": "._vcr",
    "compare_with_emulator": "._conformance",
    "default_scrubber": "._scrub",
    "instant_sleep": "._time",
    "normalise_url": "._match",
    "scan_path": "._scan",
    "use_cassette": "._vcr",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from ._conformance import (
        ConformanceReport as ConformanceReport,
        Difference as Difference,
        RecordedStep as RecordedStep,
        compare_with_emulator as compare_with_emulator,
    )
    from ._match import normalise_url as normalise_url
    from ._scan import Finding as Finding, scan_path as scan_path
    from ._scrub import (
        REDACTED as REDACTED,
        ZERO_GUID as ZERO_GUID,
        Scrubber as Scrubber,
        ScrubRule as ScrubRule,
        default_scrubber as default_scrubber,
    )
    from ._target import (
        ARM_ENDPOINT as ARM_ENDPOINT,
        FakeAsyncCredential as FakeAsyncCredential,
        FakeCredential as FakeCredential,
        Target as Target,
    )
    from ._time import (
        SleepLog as SleepLog,
        VirtualClock as VirtualClock,
        instant_sleep as instant_sleep,
    )
    from ._vcr import (
        RECORD_MODES as RECORD_MODES,
        FlexCassette as FlexCassette,
        NetworkBlockedError as NetworkBlockedError,
        UnrecordedRequestError as UnrecordedRequestError,
        block_network as block_network,
        use_cassette as use_cassette,
    )
