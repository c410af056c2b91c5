"""A batch's progress, kept where another process can pick it up (issue 15, point 4).

A :class:`Checkpoint` records, per VM, what was sent and how it ended: for the ScheduledActions
backend the operation id Azure gave the VM (and its region), for the per-VM backend the URL of
the operation's status (``Azure-AsyncOperation``). It is written through a
:class:`CheckpointStore`: a JSON file (:class:`FileStore`, replaced atomically so a kill never
leaves half a file) or anything with ``load``/``save`` (a blob, a table row, a Durable
Functions entity). A batch given a checkpoint that holds progress of the same operation
resumes: VMs recorded done keep their outcome, VMs recorded in flight are watched through
their recorded operation (never sent again), and only the VMs never sent are sent.

The window a kill can still lose is the time between Azure's answer and the write that records
it (one synchronous file replace): VMs of that one request are sent again on resume, which
Azure answers as for any repeated power action (a conflict refusal, or the same end state).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from flexvmss._errors import InvalidInputError

__all__ = ["Checkpoint", "CheckpointStore", "FileStore", "MemoryStore", "as_store"]

#: The format's version: a checkpoint of another version is refused, never guessed at.
VERSION = 1


@runtime_checkable
class CheckpointStore(Protocol):
    """Where a checkpoint lives: ``load()`` returns what ``save()`` last stored (None: nothing)."""

    def load(self) -> dict[str, Any] | None: ...

    def save(self, data: dict[str, Any]) -> None: ...


class FileStore:
    """A checkpoint in a JSON file, replaced atomically on every save (write a temporary file in
    the same directory, fsync, ``os.replace``)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"FileStore({str(self.path)!r})"

    def load(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInputError(
                "checkpoint", str(self.path), "give a checkpoint file flexvmss wrote, or a new path"
            ) from exc
        if not isinstance(data, dict):
            raise InvalidInputError("checkpoint", str(self.path), "give a checkpoint file flexvmss wrote")
        return data

    def save(self, data: dict[str, Any]) -> None:
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, separators=(",", ":"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise


class MemoryStore:
    """A checkpoint held in memory (tests, or a caller that persists ``data`` itself)."""

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self.data: dict[str, Any] | None = None if data is None else json.loads(json.dumps(data))
        self.saves = 0

    def load(self) -> dict[str, Any] | None:
        return None if self.data is None else json.loads(json.dumps(self.data))

    def save(self, data: dict[str, Any]) -> None:
        self.data = json.loads(json.dumps(data))
        self.saves += 1


def as_store(checkpoint: str | os.PathLike[str] | CheckpointStore) -> CheckpointStore:
    """A store for what a caller passed as ``checkpoint=``: a path, or a store."""
    if isinstance(checkpoint, (str, os.PathLike)):
        return FileStore(checkpoint)
    if isinstance(checkpoint, CheckpointStore):
        return checkpoint
    raise InvalidInputError(
        "checkpoint", type(checkpoint).__name__, "give a file path or an object with load() and save()"
    )


class Checkpoint:
    """The per-VM progress of one batch (see the module docstring).

    Each VM's entry: ``state`` (``"sent"`` or ``"done"``), ``backend`` (``"scheduled"`` or
    ``"per_vm"``), and what it needs: ``operation_id`` and ``location`` (ScheduledActions),
    ``status_url`` (per VM), ``outcome``, ``code`` and ``detail`` once done.
    """

    def __init__(self, store: CheckpointStore, operation: str) -> None:
        self.store = store
        self.operation = operation
        data = store.load()
        self.vms: dict[str, dict[str, Any]] = {}
        if data:
            if data.get("version") != VERSION or not isinstance(data.get("vms"), dict):
                raise InvalidInputError(
                    "checkpoint",
                    repr(store),
                    f"give a checkpoint of format version {VERSION} (flexvmss wrote it)",
                )
            if data.get("operation") != operation:
                raise InvalidInputError(
                    "checkpoint",
                    f"{store!r} holds {data.get('operation')!r}",
                    f"resume it with the same operation, or give a new checkpoint for {operation!r}",
                )
            self.vms = {str(name): dict(entry) for name, entry in data["vms"].items()}

    @property
    def resumed(self) -> bool:
        """Whether the store held progress of this operation."""
        return bool(self.vms)

    def entry(self, name: str) -> dict[str, Any] | None:
        return self.vms.get(name)

    def sent(self, name: str, backend: str, **info: Any) -> None:
        self.vms[name] = {
            "state": "sent",
            "backend": backend,
            **{k: v for k, v in info.items() if v is not None},
        }

    def done(self, name: str, outcome: str, *, code: str | None = None, detail: str = "") -> None:
        entry = self.vms.setdefault(name, {})
        entry.update(state="done", outcome=outcome, detail=detail[:500])
        if code:
            entry["code"] = code

    def in_flight(self, backend: str) -> dict[str, dict[str, Any]]:
        return {n: e for n, e in self.vms.items() if e.get("state") == "sent" and e.get("backend") == backend}

    def finished(self) -> dict[str, dict[str, Any]]:
        return {n: e for n, e in self.vms.items() if e.get("state") == "done"}

    def flush(self) -> None:
        self.store.save({"version": VERSION, "operation": self.operation, "vms": self.vms})
