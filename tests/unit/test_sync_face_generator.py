"""scripts/gen_sync.py: the committed sync face is what it generates, and it refuses to guess."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import flexvmss
import flexvmss.aio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def gen() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("gen_sync", ROOT / "scripts" / "gen_sync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_sync"] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["gen_sync"]


def _sync_class(gen: ModuleType, async_path: str, name: str) -> Any:
    """Generate a face for ``async_path`` and execute it."""
    imports = gen._Imports()
    source = gen._face(async_path, name, imports)
    namespace: dict[str, Any] = {}
    exec(compile(imports.render() + "\n" + source, f"<sync face of {async_path}>", "exec"), namespace)
    return namespace[name]


def test_the_committed_face_is_up_to_date(gen, capsys):
    assert gen.main(["--check"]) == 0, capsys.readouterr()


def test_check_fails_with_a_diff_when_the_committed_face_drifts(gen, tmp_path, monkeypatch, capsys):
    stale = tmp_path / "_sync_face.py"
    text = gen.TARGET.read_text(encoding="utf-8")
    stale.write_text(text.replace("def deallocate(", "def dealocate("), encoding="utf-8")
    monkeypatch.setattr(gen, "TARGET", stale)
    assert gen.main(["--check"]) == 1
    out = capsys.readouterr()
    assert "-    def dealocate(" in out.out and "+    def deallocate(" in out.out
    assert "make sync-face" in out.err


def test_check_fails_when_the_face_is_missing(gen, tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "TARGET", tmp_path / "absent.py")
    assert gen.main(["--check"]) == 1


def test_every_public_coroutine_method_has_a_blocking_twin_with_its_signature_and_doc():
    core, face = flexvmss.aio.FlexScaleSet, flexvmss.FlexScaleSet
    public = [n for n, m in vars(core).items() if not n.startswith("_") and inspect.iscoroutinefunction(m)]
    assert "deallocate" in public and "close" in public
    for name in public:
        sync = getattr(face, name)
        assert not inspect.iscoroutinefunction(sync), name
        assert inspect.signature(sync) == inspect.signature(getattr(core, name)), name
        doc = getattr(core, name).__doc__
        assert sync.__doc__ and inspect.cleandoc(sync.__doc__) == inspect.cleandoc(doc), name
    assert inspect.signature(face.__init__) == inspect.signature(core.__init__)


def test_the_sync_face_module_does_not_import_azure_mgmt():
    # the face's annotation types are imported for type checkers only
    source = (ROOT / "src" / "flexvmss" / "_sync_face.py").read_text(encoding="utf-8")
    head, _, _ = source.partition("if TYPE_CHECKING:")
    assert "azure" not in head


def test_a_translated_class_runs_on_the_portal(gen):
    Counter = _sync_class(gen, "_sync_gen_samples.Counter", "Counter")
    assert inspect.signature(Counter.add).parameters["times"].kind is inspect.Parameter.KEYWORD_ONLY
    assert inspect.signature(Counter.add).parameters["b"].kind is inspect.Parameter.POSITIONAL_ONLY
    with Counter(10, step=5) as counter:
        assert counter.add(1, times=3) == 17
        assert list(counter.count(3)) == [10, 15, 20]  # async generator -> iterator
        assert list(counter.pages()) == ["a", "b"]  # coroutine returning an async iterator
        assert counter.label == "from 10" and counter.start == 10
        assert Counter.count.__doc__ == "Count ``n`` steps."
        with pytest.raises(AttributeError):
            counter.start = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("sample", "reason"),
    [
        ("PlainMethod", "now: a public function that is not a coroutine method"),
        ("AwaitableParameter", "is async-only"),
        ("ObjectDefault", "is not a literal"),
        ("Undocumented", "no docstring"),
        ("ReturnsItself", "refers to the async class itself"),
        ("UntypedAttribute", "no annotation"),
    ],
)
def test_what_it_cannot_translate_stops_it_with_the_member_named(gen, sample, reason):
    with pytest.raises(gen.Untranslatable, match=reason) as caught:
        _sync_class(gen, f"_sync_gen_samples.{sample}", sample)
    assert sample in str(caught.value)


def test_a_stop_exits_2_without_writing(gen, tmp_path, monkeypatch, capsys):
    target = tmp_path / "_sync_face.py"
    monkeypatch.setattr(gen, "TARGET", target)
    monkeypatch.setattr(gen, "FACES", [("_sync_gen_samples.PlainMethod", "PlainMethod")])
    assert gen.main([]) == 2
    assert not target.exists()
    assert "cannot translate PlainMethod.now" in capsys.readouterr().err
