"""Plain HTTPS to an emulator and the SDK-model check used by the conformance runner; the shape
comparison itself lives in the library (:mod:`flexvmss.testing._shapes`), where
``flexvmss conformance`` uses it too, and is re-exported here.

Only the emulator's public API is used (``Emulator``, ``base_url``, ``ca_file``,
``subscription_id``, ``reset``, ``complete_all``); everything else goes over HTTPS with
``requests``, exactly as a client of Azure would talk to ARM.
"""

from __future__ import annotations

import functools
import importlib
import json
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from flexvmss.testing._shapes import (
    OPAQUE_KEYS,
    TYPE_NAMES,
    ShapeDiff,
    compare_shape,
    lookup,
    merge_items,
    shape_of,
)

__all__ = [
    "OPAQUE_KEYS",
    "TYPE_NAMES",
    "Arm",
    "Reply",
    "ShapeDiff",
    "compare_shape",
    "declared",
    "fill",
    "lookup",
    "merge_items",
    "model_class",
    "shape_of",
    "walk_pairs",
]


@dataclass
class Reply:
    """One HTTP answer: status, headers (case-insensitive look-ups) and the parsed body."""

    status: int
    headers: Mapping[str, str]
    body: Any
    raw: bytes = b""

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class Arm:
    """A bearer-authenticated ``requests`` session against one emulator (it trusts only the
    emulator's CA). Paths carry ``{sub}``; :meth:`call` fills it in."""

    def __init__(self, emu: Any) -> None:
        self.emu = emu
        self.session = requests.Session()
        self.session.verify = emu.ca_file
        self.session.headers["Authorization"] = "Bearer conformance-runner"
        self.session.trust_env = False

    def close(self) -> None:
        self.session.close()

    def expand(self, path: str, names: Mapping[str, str]) -> str:
        return path.format_map({**names, "sub": self.emu.subscription_id})

    def call(
        self,
        method: str,
        path: str,
        *,
        api_version: str | None,
        body: Any = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        params = dict(query or {})
        if api_version:
            params["api-version"] = api_version
        url = path if path.startswith("https://") else self.emu.base_url + path
        data = None if body is None else json.dumps(body)
        send_headers = {"Content-Type": "application/json"} if data is not None else {}
        send_headers.update(headers or {})
        resp = self.session.request(method, url, params=params, data=data, headers=send_headers, timeout=30)
        parsed: Any = None
        if resp.content:
            try:
                parsed = resp.json()
            except ValueError:
                parsed = resp.text
        return Reply(resp.status_code, dict(resp.headers), parsed, resp.content)

    def absolute(self, url: str) -> Reply:
        """GET an absolute URL the emulator handed out (an operation or monitor URL)."""
        resp = self.session.get(url, timeout=30)
        parsed: Any = None
        if resp.content:
            try:
                parsed = resp.json()
            except ValueError:
                parsed = resp.text
        return Reply(resp.status_code, dict(resp.headers), parsed, resp.content)


def fill(value: Any, names: Mapping[str, str]) -> Any:
    """Put the names the setup made into a template (strings with ``{rg}`` ...)."""
    if isinstance(value, str):
        return value.format_map(_Names(names))
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    return value


class _Names(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"template needs {{{key}}}, which no setup step made")


# ---------------------------------------------------------------------------- SDK models


_PACKAGES = {
    "compute": "azure.mgmt.compute.models",
    "network": "azure.mgmt.network.models",
    "resource": "azure.mgmt.resource.resources.models",
}


@functools.cache
def _model_fields(cls: type) -> dict[str, Any]:
    """REST name -> resolved annotation of one azure-mgmt (TypeSpec ``model_base``) model."""
    cls({})  # model_base names its rest fields on the first construction
    attr_to_rest = cls._attr_to_rest_field  # type: ignore[attr-defined]
    package = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for attr, hint in vars(klass).get("__annotations__", {}).items():
            rest = attr_to_rest.get(attr)
            if rest is None:
                continue
            ref = typing.ForwardRef(hint) if isinstance(hint, str) else hint
            module_ns = vars(importlib.import_module(klass.__module__))
            out[rest._rest_name] = typing._eval_type(ref, module_ns, {"_models": package})  # type: ignore[attr-defined]
    return out


def _unwrap(hint: Any) -> Any:
    """The model class (or None) behind Optional[...], list[...], dict[str, ...]."""
    while True:
        origin = typing.get_origin(hint)
        if origin is None:
            return hint if _is_model(hint) else None
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if origin in (list, dict):
            hint = args[-1]
        elif args:
            hint = args[0]
        else:
            return None


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and any(base.__name__ == "Model" for base in hint.__mro__)


def model_class(spec: str) -> type:
    """``"compute:VirtualMachineScaleSet"`` -> the azure-mgmt model class (a trailing
    ``[]`` names a list of them)."""
    package, _, name = spec.removesuffix("[]").partition(":")
    return getattr(importlib.import_module(_PACKAGES[package]), name)  # type: ignore[no-any-return]


def declared(spec: str, dotted: str) -> bool:
    """Whether the key at ``dotted`` (``properties.osProfile.secrets``; ``[]`` steps into
    arrays) is declared by the azure-mgmt model ``spec`` (``"compute:VirtualMachine[]"`` for
    a list page) — i.e. Azure has it at the API
    version the installed SDK targets (compute 2026-04-01, network 2026-03-01, resources
    2025-04-01)."""
    cls: Any = model_class(spec)
    parts = [p for p in dotted.replace("[]", "").split(".") if p]
    if spec.endswith("[]"):  # a list page: {"value": [item], "nextLink": ...}
        if parts in (["value"], ["nextLink"]):
            return True
        if not parts or parts[0] != "value":
            return False
        parts = parts[1:]
    for i, part in enumerate(parts):
        if cls is None:
            return False
        fields = _model_fields(cls)
        if part not in fields:
            return False
        if i < len(parts) - 1:
            cls = _unwrap(fields[part])
    return True


def walk_pairs(data: Any, prefix: str = "") -> Iterator[str]:
    """Every dotted key path in ``data`` (arrays as ``[]``), for reports."""
    if isinstance(data, dict):
        for k, v in data.items():
            where = f"{prefix}.{k}" if prefix else k
            yield where
            yield from walk_pairs(v, where)
    elif isinstance(data, list) and data:
        yield from walk_pairs(data[0], prefix + "[]")
