"""The Resource SKU catalog of one region: pure queries over one ``Microsoft.Compute/skus`` read.

Resource SKUs say which VM sizes a subscription may use in a region and its zones, and what
they can do (capabilities are strings: ``"True"``, ``"False"``, ``"2"``). flexvmss reads them
once per (subscription, location) through :class:`SkuCache` and checks specs against them
locally, so most mistakes are found before any write reaches Azure.

This module imports no Azure code: the cache is given a loader coroutine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flexvmss._loops import PerLoop

__all__ = ["SkuCache", "SkuCatalog", "VmSize", "normalize_location", "shared_cache", "size_series"]


def normalize_location(location: str) -> str:
    """``"West US 2"`` -> ``"westus2"`` (ARM location names are case- and space-insensitive)."""
    return location.replace(" ", "").lower()


def size_series(name: str) -> str:
    """The series letters of a size name: ``Standard_D2s_v5`` -> ``"D"``, ``Standard_DC2as_v5`` ->
    ``"DC"``, ``Standard_NC6`` -> ``"NC"``. Upper-cased; empty when the name has no letters."""
    base = name.split("_", 1)[1] if "_" in name else name
    match = re.match(r"[A-Za-z]+?(?=\d)", base)
    return (match.group(0) if match else re.sub(r"[^A-Za-z]", "", base)).upper()


def _plain(value: Any) -> Any:
    """Deep-copy Mappings (including azure-mgmt models, which are Mappings of wire keys) to dicts."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


@dataclass(frozen=True)
class VmSize:
    """One VM size as the Resource SKUs API describes it for one location and subscription."""

    name: str
    family: str | None
    tier: str | None
    capabilities: Mapping[str, str]
    zones: frozenset[str]
    restricted_in_location: bool = False
    restricted_zones: frozenset[str] = frozenset()
    zone_capabilities: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def capability(self, name: str) -> str | None:
        """A capability's string value (case-insensitive name), None when absent."""
        if name in self.capabilities:
            return self.capabilities[name]
        lowered = name.lower()
        for key, value in self.capabilities.items():
            if key.lower() == lowered:
                return value
        return None

    def capability_number(self, name: str) -> float | None:
        raw = self.capability(name)
        try:
            return float(raw) if raw is not None else None
        except ValueError:
            return None

    @property
    def series(self) -> str:
        return size_series(self.name)

    @property
    def supports_spot(self) -> bool:
        """``LowPriorityCapable`` is True: the size can run as Spot."""
        return _truthy(self.capability("LowPriorityCapable"))

    @property
    def accelerated_networking(self) -> bool:
        return _truthy(self.capability("AcceleratedNetworkingEnabled"))

    @property
    def ephemeral_os_disk(self) -> bool:
        return _truthy(self.capability("EphemeralOSDiskSupported"))

    @property
    def memory_preserving(self) -> bool:
        """``MemoryPreservingMaintenanceSupported`` is True. False when absent: Flex then limits
        sets with more than one fault domain (200 VMs, no Spot mix, no per-VM fault domain)."""
        return _truthy(self.capability("MemoryPreservingMaintenanceSupported"))

    @property
    def premium_io(self) -> bool:
        return _truthy(self.capability("PremiumIO"))

    @property
    def vcpus(self) -> int | None:
        number = self.capability_number("vCPUs")
        return int(number) if number is not None else None

    @property
    def memory_gb(self) -> float | None:
        return self.capability_number("MemoryGB")

    @property
    def available_zones(self) -> frozenset[str]:
        """Zones where the size exists and is not restricted for the subscription."""
        return self.zones - self.restricted_zones

    def available_in_zone(self, zone: str) -> bool:
        return str(zone) in self.available_zones


class SkuCatalog:
    """The VM sizes (and the regional fault-domain maximum) of one location.

    Build it with :meth:`from_wire` from Resource SKU items (wire dicts or azure-mgmt
    ``ResourceSku`` models). Size lookups are case-insensitive.
    """

    def __init__(
        self, location: str, sizes: Mapping[str, VmSize], max_fault_domain_count: int | None
    ) -> None:
        self.location = normalize_location(location)
        self._sizes = {name.lower(): size for name, size in sizes.items()}
        self.max_fault_domain_count = max_fault_domain_count

    @classmethod
    def from_wire(cls, items: Iterable[Mapping[str, Any]], location: str) -> SkuCatalog:
        """Parse Resource SKU items; items for other locations are ignored.

        Restrictions count only with reason ``NotAvailableForSubscription`` (``QuotaId``
        restrictions concern offer types, not availability).
        """
        where = normalize_location(location)
        sizes: dict[str, VmSize] = {}
        max_fd: int | None = None
        for item in items:
            locations = [normalize_location(str(loc)) for loc in item.get("locations") or ()]
            if where not in locations:
                continue
            resource_type = str(item.get("resourceType") or "").lower()
            name = str(item.get("name") or "")
            capabilities = {
                str(c.get("name")): str(c.get("value"))
                for c in item.get("capabilities") or ()
                if c.get("name") is not None
            }
            if resource_type == "availabilitysets" and name.lower() == "aligned":
                raw = next(
                    (v for k, v in capabilities.items() if k.lower() == "maximumplatformfaultdomaincount"),
                    None,
                )
                if raw is not None and raw.isdigit():
                    max_fd = int(raw)
                continue
            if resource_type != "virtualmachines" or not name:
                continue
            zones: set[str] = set()
            zone_caps: dict[str, dict[str, str]] = {}
            for info in item.get("locationInfo") or ():
                if normalize_location(str(info.get("location") or "")) != where:
                    continue
                zones.update(str(z) for z in info.get("zones") or ())
                for detail in info.get("zoneDetails") or ():
                    names = detail.get("Name") or detail.get("name") or ()
                    caps = {str(c.get("name")): str(c.get("value")) for c in detail.get("capabilities") or ()}
                    for zone in names:
                        zone_caps.setdefault(str(zone), {}).update(caps)
            restricted_location = False
            restricted_zones: set[str] = set()
            for restriction in item.get("restrictions") or ():
                if str(restriction.get("reasonCode") or "") != "NotAvailableForSubscription":
                    continue
                info = restriction.get("restrictionInfo") or {}
                kind = str(restriction.get("type") or "").lower()
                restricted_locations = {
                    normalize_location(str(v))
                    for v in list(info.get("locations") or ()) + list(restriction.get("values") or ())
                }
                if kind == "location" and where in restricted_locations:
                    restricted_location = True
                elif kind == "zone" and (where in restricted_locations or not restricted_locations):
                    restricted_zones.update(str(z) for z in info.get("zones") or ())
            sizes[name] = VmSize(
                name=name,
                family=item.get("family"),
                tier=item.get("tier"),
                capabilities=capabilities,
                zones=frozenset(zones),
                restricted_in_location=restricted_location,
                restricted_zones=frozenset(restricted_zones),
                zone_capabilities=zone_caps,
            )
        return cls(where, sizes, max_fd)

    def vm_size(self, name: str) -> VmSize | None:
        """The size called ``name`` (case-insensitive), None when the location does not offer it."""
        return self._sizes.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._sizes

    def __len__(self) -> int:
        return len(self._sizes)

    @property
    def sizes(self) -> list[VmSize]:
        return sorted(self._sizes.values(), key=lambda s: s.name.lower())

    def available_sizes(self, *, zone: str | None = None) -> list[VmSize]:
        """Sizes the subscription may use here (and in ``zone``, when given)."""
        return [
            s
            for s in self.sizes
            if not s.restricted_in_location and (zone is None or s.available_in_zone(zone))
        ]

    def __repr__(self) -> str:
        return (
            f"SkuCatalog(location={self.location!r}, sizes={len(self._sizes)}, "
            f"max_fault_domain_count={self.max_fault_domain_count})"
        )


Loader = Callable[[str], Awaitable[list[Mapping[str, Any]]]]


class SkuCache:
    """Resource SKU catalogs by (subscription, location): one read each, shared by callers.

    In memory always; on disk too when ``directory`` is given (one JSON file per key, written
    atomically). Entries older than ``ttl`` seconds (wall clock) are read again. Concurrent
    :meth:`get` calls for the same key wait for one read.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        ttl: float = 24 * 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.ttl = ttl
        self._clock = clock
        self._memory: dict[tuple[str, str], tuple[float, SkuCatalog]] = {}
        # one set of locks per event loop: an asyncio.Lock binds to the loop it first waits on
        self._locks: PerLoop[dict[tuple[str, str], asyncio.Lock]] = PerLoop(dict)
        self.loads = 0
        """How many times the loader was called (reads of the Resource SKUs API)."""

    def _key(self, subscription_id: str, location: str) -> tuple[str, str]:
        return (subscription_id.lower(), normalize_location(location))

    def _path(self, key: tuple[str, str]) -> Path | None:
        if self.directory is None:
            return None
        safe = re.sub(r"[^a-z0-9-]", "_", f"{key[0]}-{key[1]}")
        return self.directory / f"skus-{safe}.json"

    def _fresh(self, fetched_at: float) -> bool:
        return self._clock() - fetched_at < self.ttl

    async def get(self, subscription_id: str, location: str, loader: Loader) -> SkuCatalog:
        """The catalog for ``location``; calls ``loader(location)`` only when no fresh copy exists."""
        key = self._key(subscription_id, location)
        cached = self._memory.get(key)
        if cached and self._fresh(cached[0]):
            return cached[1]
        lock = self._locks.get().setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._memory.get(key)
            if cached and self._fresh(cached[0]):
                return cached[1]
            from_disk = self._read_disk(key)
            if from_disk is not None:
                self._memory[key] = from_disk
                return from_disk[1]
            items = [
                _plain(item)
                for item in await loader(key[1])
                if key[1] in {normalize_location(str(loc)) for loc in item.get("locations") or ()}
            ]
            self.loads += 1
            fetched_at = self._clock()
            catalog = SkuCatalog.from_wire(items, key[1])
            self._memory[key] = (fetched_at, catalog)
            self._write_disk(key, fetched_at, items)
            return catalog

    def invalidate(self, subscription_id: str | None = None, location: str | None = None) -> None:
        """Forget cached catalogs (all, one subscription's, or one key), in memory and on disk."""

        def matches(key: tuple[str, str]) -> bool:
            return (subscription_id is None or key[0] == subscription_id.lower()) and (
                location is None or key[1] == normalize_location(location)
            )

        for key in [k for k in self._memory if matches(k)]:
            del self._memory[key]
        if self.directory is None or not self.directory.exists():
            return
        for path in self.directory.glob("skus-*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                key = (str(data["subscription"]), str(data["location"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if matches(key):
                path.unlink(missing_ok=True)

    def _read_disk(self, key: tuple[str, str]) -> tuple[float, SkuCatalog] | None:
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            fetched_at = float(data["fetched_at"])
            items = data["items"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not self._fresh(fetched_at):
            return None
        return fetched_at, SkuCatalog.from_wire(items, key[1])

    def _write_disk(self, key: tuple[str, str], fetched_at: float, items: list[Any]) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"subscription": key[0], "location": key[1], "fetched_at": fetched_at, "items": items}
        fd, tmp = tempfile.mkstemp(prefix=".skus-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


_SHARED_SKU_CACHE: SkuCache | None = None


def shared_cache() -> SkuCache:
    """The process-wide cache every scale set uses unless given its own: one Resource SKUs read
    per (subscription, location) for the whole process."""
    global _SHARED_SKU_CACHE
    if _SHARED_SKU_CACHE is None:
        _SHARED_SKU_CACHE = SkuCache()
    return _SHARED_SKU_CACHE
