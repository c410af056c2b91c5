"""Where the observation hub's readings come from: an operation's status URL and the set's VM list.

:class:`ArmObserver` reads them through :class:`~flexvmss._arm.ArmClients` (the same pipeline as
every other request: same throttling, retries and counting); tests give the hub fakes that
follow the :class:`Observer` protocol (and :class:`PagedObserver`, to be read page by page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable
from urllib.parse import quote

from flexvmss._errors import from_error_body, retry_after_seconds

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._arm import ArmClients

__all__ = [
    "COMPUTE_API_VERSION",
    "ArmObserver",
    "ListPage",
    "Observer",
    "OperationStatus",
    "PagedObserver",
]

#: The Compute API version azure-mgmt-compute 39 speaks (its operations' default).
COMPUTE_API_VERSION = "2026-04-01"


@dataclass(frozen=True)
class OperationStatus:
    """One reading of an operation status URL."""

    state: Literal["InProgress", "Succeeded", "Failed", "Canceled"]
    error: Mapping[str, Any] | None = None
    retry_after: float | None = None
    correlation_id: str | None = None
    resource: Any = None


class Observer(Protocol):
    """Where the hub's observations come from (ARM in production, fakes in tests)."""

    async def list_vms(self, resource_group: str, scale_set_id: str) -> dict[str, Mapping[str, Any]]:
        """The scale set's VMs (lower-cased name -> VM JSON with instance view), all pages."""
        ...

    async def operation_status(self, url: str, *, location: bool) -> OperationStatus:
        """Read one operation status URL (``location``: a Location URL, not Azure-AsyncOperation)."""
        ...


@dataclass(frozen=True)
class ListPage:
    """One page of a scale set's VM list: lower-cased name -> VM JSON, and the next page's link."""

    vms: Mapping[str, Mapping[str, Any]]
    next_link: str | None = None


@runtime_checkable
class PagedObserver(Observer, Protocol):
    """An observer that can read the list one page at a time, and read a page again by its link.

    With it the hub settles operations page by page as the pages arrive, and later reads only
    the pages that hold operations due for a look."""

    async def list_page(self, resource_group: str, scale_set_id: str, link: str | None) -> ListPage:
        """The first page (``link`` None) or the page a previous ``nextLink`` named."""
        ...


def _status_from_response(
    status: int, headers: Mapping[str, str], body: Any, *, location: bool
) -> OperationStatus:
    lowered = {k.lower(): v for k, v in headers.items()}
    hint = retry_after_seconds(headers)
    correlation = lowered.get("x-ms-correlation-request-id")
    if status >= 400:
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping):
            error = {"code": f"HTTP{status}", "message": f"operation status answered HTTP {status}"}
        return OperationStatus("Failed", error=error, retry_after=hint, correlation_id=correlation)
    if location:
        if status == 202:
            return OperationStatus("InProgress", retry_after=hint, correlation_id=correlation)
        return OperationStatus("Succeeded", correlation_id=correlation, resource=body)
    raw = str(body.get("status") if isinstance(body, Mapping) else "").lower()
    if raw == "succeeded":
        return OperationStatus("Succeeded", correlation_id=correlation, resource=body)
    if raw in ("failed", "canceled", "cancelled"):
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping):
            error = {"code": "OperationFailed" if raw == "failed" else "OperationCanceled", "message": raw}
        state: Literal["Failed", "Canceled"] = "Failed" if raw == "failed" else "Canceled"
        return OperationStatus(state, error=error, correlation_id=correlation)
    return OperationStatus("InProgress", retry_after=hint, correlation_id=correlation)


class ArmObserver:
    """Observes through :class:`~flexvmss._arm.ArmClients` (same pipeline, same throttling)."""

    def __init__(self, clients: ArmClients) -> None:
        self._clients = clients

    async def list_vms(self, resource_group: str, scale_set_id: str) -> dict[str, Mapping[str, Any]]:
        """The filtered list with instance view, every page, as raw JSON (no model
        deserialization: a 1,000-VM set would cost seconds of CPU per round)."""
        found: dict[str, Mapping[str, Any]] = {}
        link: str | None = None
        while True:
            page = await self.list_page(resource_group, scale_set_id, link)
            found.update(page.vms)
            link = page.next_link
            if not link:
                return found

    async def list_page(self, resource_group: str, scale_set_id: str, link: str | None) -> ListPage:
        """One page of the filtered list: the first one (``link`` None) or a ``nextLink``."""
        url = link
        if url is None:
            subscription = self._clients.settings.subscription_id
            api_version = getattr(self._clients, "compute_api_version", COMPUTE_API_VERSION)
            filter_ = quote(f"'virtualMachineScaleSet/id' eq '{scale_set_id}'", safe="")
            url = (
                f"/subscriptions/{subscription}/resourceGroups/{quote(resource_group)}/providers/Microsoft.Compute"
                f"/virtualMachines?api-version={api_version}&$filter={filter_}&$expand=instanceView"
            )
        raw = await self._clients.request("GET", url)
        if raw.status != 200 or not isinstance(raw.json, Mapping):
            raise from_error_body(
                (raw.json or {}).get("error") or {} if isinstance(raw.json, Mapping) else {},
                operation=f"list VMs of {scale_set_id}",
                status=raw.status,
            )
        values = raw.json.get("value") or ()
        vms = {str(vm.get("name", "")).lower(): vm for vm in values if isinstance(vm, Mapping)}
        return ListPage(vms, raw.json.get("nextLink") or None)

    async def operation_status(self, url: str, *, location: bool) -> OperationStatus:
        raw = await self._clients.request("GET", url)
        return _status_from_response(raw.status, raw.headers, raw.json, location=location)

