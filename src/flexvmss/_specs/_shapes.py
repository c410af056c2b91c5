"""Bodies checked against the shapes azure-mgmt declares, before anything is sent.

A spec's escape hatches (``extra_properties``, deep-merged into the rendered body, and ``raw``,
which replaces it) are plain data a user writes by hand. A string where an object belongs, a
number where a list belongs, would otherwise travel to the rules (which read the body and
crash on it) or to Azure. :func:`check_body` walks such a body against the shapes of the
azure-mgmt-compute model it becomes (``VirtualMachineScaleSet``, ``VirtualMachine``), read from
the models themselves: each field's wire name and its declared type. A value of the wrong type
raises :class:`~flexvmss.InvalidInputError` naming its path, its type and the type expected,
never the value (it may be a secret). Keys the models do not know are passed through (they may
be newer than the SDK) but must be JSON; so must every ``Any`` field (extension ``settings``).

The models are imported on first use, not with flexvmss. If their metadata cannot be read (an
SDK that changed its internals), the check falls back to "plain JSON" rather than refuse
valid input.
"""

from __future__ import annotations

import datetime
import enum
import functools
import importlib
import logging
import math
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, Union

from flexvmss._errors import InvalidInputError

__all__ = ["MAX_DEPTH", "check_body"]

logger = logging.getLogger("flexvmss")

#: Deepest nesting accepted in a hand-written body (ARM bodies are about ten levels deep).
MAX_DEPTH = 32

_MODELS = "azure.mgmt.compute.models"


def _type_label(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a value of type {type(value).__name__}"


@functools.cache
def _fields(model: type) -> dict[str, Any]:
    """Wire name -> declared type of a model's fields (empty when they cannot be read)."""
    try:
        module = sys.modules[model.__module__]
        package = importlib.import_module(model.__module__.rsplit(".", 1)[0])
        hints = typing.get_type_hints(model, globalns={**vars(module), "_models": package})
        fields: dict[str, Any] = {}
        for klass in reversed(model.__mro__):
            for attr, descriptor in vars(klass).items():
                if attr.startswith("_") or not hasattr(descriptor, "_rest_name_input"):
                    continue
                name = getattr(descriptor, "_rest_name_input", None) or attr
                fields[str(name)] = hints.get(attr, Any)
        return fields
    except Exception as exc:  # pragma: no cover - an SDK whose models changed shape
        logger.debug("flexvmss: cannot read the fields of %s (%s); checking it as plain JSON", model, exc)
        return {}


def _is_model(tp: Any) -> bool:
    """Whether ``tp`` is an azure-mgmt model (a mapping class with REST fields)."""
    return isinstance(tp, type) and issubclass(tp, Mapping) and bool(_fields(tp))


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        names = [_describe(arg) for arg in typing.get_args(tp) if arg is not type(None)]
        return " or ".join(dict.fromkeys(names))
    if origin in (list, tuple):
        return "a list"
    if origin is dict or tp is dict:
        return "an object"
    if tp is bool:
        return "a boolean"
    if tp in (int, float):
        return "a number" if tp is float else "a whole number"
    if tp is str or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        return "a string"
    if isinstance(tp, type) and issubclass(tp, (datetime.datetime, datetime.date, datetime.timedelta)):
        return "a string (a date or duration)"
    if _is_model(tp):
        return f"an object ({tp.__name__})"
    return "a JSON value"


class _Check:
    def __init__(self, field: str, model: str) -> None:
        self.field = field
        self.model = model

    def fail(self, path: str, value: object, expected: str) -> InvalidInputError:
        where = f"{self.field}.{path}" if path else self.field
        return InvalidInputError(
            where,
            _type_label(value),
            f"give {expected} there, or remove it",
            message=f"{where} is {_type_label(value)}; azure-mgmt's {self.model} declares {expected} there.",
        )

    def deep(self, path: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            where = f"{self.field}.{path}" if path else self.field
            raise InvalidInputError(
                where,
                f"nested deeper than {MAX_DEPTH} levels",
                f"flatten it: ARM bodies are about ten levels deep (at most {MAX_DEPTH} are accepted)",
                message=f"{where} is nested deeper than {MAX_DEPTH} levels.",
            )

    def json(self, value: Any, path: str, depth: int) -> None:
        """``value`` must be plain JSON (finite numbers, string keys)."""
        self.deep(path, depth)
        if value is None or isinstance(value, (str, bool, int)):
            return
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail(path, value, "a finite number (JSON has no NaN or infinity)")
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise self.fail(f"{path}[{key!r}]", key, "string keys")
                self.json(item, f"{path}.{key}" if path else key, depth + 1)
            return
        if isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                self.json(item, f"{path}[{index}]", depth + 1)
            return
        raise self.fail(path, value, "a JSON value")

    def value(self, tp: Any, value: Any, path: str, depth: int) -> None:
        """``value`` must have the declared type ``tp``."""
        self.deep(path, depth)
        origin = typing.get_origin(tp)
        if origin in (Union, types.UnionType):
            options = [arg for arg in typing.get_args(tp) if arg is not type(None)]
            if value is None:
                return
            errors: list[InvalidInputError] = []
            for option in options:
                try:
                    self.value(option, value, path, depth)
                    return
                except InvalidInputError as exc:
                    errors.append(exc)
            if len(options) == 1:
                raise errors[0]
            raise self.fail(path, value, _describe(tp))
        if value is None:
            return  # null clears a field; Azure decides whether it may
        if tp is Any or tp is object:
            self.json(value, path, depth)
        elif origin in (list, tuple):
            if not isinstance(value, (list, tuple)):
                raise self.fail(path, value, "a list")
            (item_type, *_) = typing.get_args(tp) or (Any,)
            for index, item in enumerate(value):
                self.value(item_type, item, f"{path}[{index}]", depth + 1)
        elif origin is dict or tp is dict:
            if not isinstance(value, Mapping):
                raise self.fail(path, value, "an object")
            args = typing.get_args(tp)
            item_type = args[1] if len(args) == 2 else Any
            for key, item in value.items():
                if not isinstance(key, str):
                    raise self.fail(f"{path}[{key!r}]", key, "string keys")
                self.value(item_type, item, f"{path}.{key}" if path else key, depth + 1)
        elif tp is bool:
            if not isinstance(value, bool):
                raise self.fail(path, value, "a boolean")
        elif tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(path, value, "a whole number")
        elif tp is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise self.fail(path, value, "a finite number")
        elif tp is str or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
            if not isinstance(value, str):
                raise self.fail(path, value, "a string")
        elif isinstance(tp, type) and issubclass(tp, (datetime.datetime, datetime.date, datetime.timedelta)):
            if not isinstance(value, (str, tp)):
                raise self.fail(path, value, _describe(tp))
        elif tp in (bytes, bytearray):
            if not isinstance(value, (str, bytes, bytearray)):
                raise self.fail(path, value, "a string (base64)")
        elif _is_model(tp):
            self.model_value(tp, value, path, depth)
        else:
            self.json(value, path, depth)

    def model_value(self, model: type, value: Any, path: str, depth: int) -> None:
        if not isinstance(value, Mapping):
            raise self.fail(path, value, _describe(model))
        fields = _fields(model)
        for key, item in value.items():
            if not isinstance(key, str):
                raise self.fail(f"{path}[{key!r}]", key, "string keys")
            where = f"{path}.{key}" if path else key
            if key in fields:
                self.value(fields[key], item, where, depth + 1)
            else:
                self.json(item, where, depth + 1)  # a property newer than the SDK: JSON, as is


def check_body(body: Any, model: str, *, field: str) -> None:
    """Raise :class:`~flexvmss.InvalidInputError` for the first value of ``body`` (a partial
    or whole ARM wire body) whose type is not what azure-mgmt-compute's ``model`` declares at
    its path; ``field`` names the body (``extra_properties``, ``raw``) in the error."""
    check = _Check(field, model)
    if not isinstance(body, Mapping):
        raise check.fail("", body, f"an object ({model})")
    try:
        cls = getattr(importlib.import_module(_MODELS), model)
    except (ImportError, AttributeError):  # pragma: no cover - azure-mgmt-compute is a dependency
        check.json(body, "", 0)
        return
    check.model_value(cls, body, "", 0)
