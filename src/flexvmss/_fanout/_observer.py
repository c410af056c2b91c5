"""Where the observation hub's readings come from: an operation's status URL, the set's VM list,
one VM, and the resources a deleted VM leaves behind.

:class:`ArmObserver` reads them through :class:`~flexvmss._arm.ArmClients` (the same pipeline as
every other request: same throttling, retries and counting); tests give the hub fakes that
follow the :class:`Observer` protocol (and :class:`PagedObserver`, to be read page by page).

**A status read is not an outcome until Azure's status says so.** An operation status URL that
answers an error (a 5xx that outlasted the transient retries, a 404, a body that is not a
status) raises :class:`StatusUnreadable`: the hub reads again later or through the other URL,
it never reports the operation failed because its status could not be read. Only a status body
that says ``Failed``/``Canceled`` (Azure-AsyncOperation), or a Location URL answering the
operation's own 4xx error (Azure/azure-resource-manager-rpc async-api-reference.md: "the
Location URL returns the appropriate error status code with error body" for a failed
operation), is a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable
from urllib.parse import quote

from flexvmss._arm import COMPUTE_API_VERSION, compute_api_version, vms_path
from flexvmss._errors import AzureOperationError, from_error_body, retry_after_seconds
from flexvmss._headers import lower_headers

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._arm import ArmClients

__all__ = [
    "COMPUTE_API_VERSION",
    "ArmObserver",
    "ListPage",
    "Observer",
    "OperationStatus",
    "PagedObserver",
    "StatusUnreadable",
]


@dataclass(frozen=True)
class OperationStatus:
    """One reading of an operation status URL."""

    state: Literal["InProgress", "Succeeded", "Failed", "Canceled"]
    error: Mapping[str, Any] | None = None
    retry_after: float | None = None
    correlation_id: str | None = None
    resource: Any = None


class StatusUnreadable(AzureOperationError):
    """An operation status URL answered something that is not the operation's status (an
    error status, an unknown operation, a body without ``status``): says nothing about the
    operation itself. ``gone`` is True for 404/410 (the URL no longer knows the operation)."""

    default_remedy = "flexvmss reads the status again, or through the operation's other URL."

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)


class Observer(Protocol):
    """Where the hub's observations come from (ARM in production, fakes in tests)."""

    async def list_vms(self, resource_group: str, scale_set_id: str) -> dict[str, Mapping[str, Any]]:
        """The scale set's VMs (lower-cased name -> VM JSON with instance view), all pages."""
        ...

    async def operation_status(self, url: str, *, location: bool) -> OperationStatus:
        """Read one operation status URL (``location``: a Location URL, not Azure-AsyncOperation);
        raise :class:`StatusUnreadable` when the answer is not the operation's status."""
        ...

    async def read_vm(self, resource_group: str, name: str) -> Mapping[str, Any] | None:
        """One VM with its instance view; None when Azure answers 404 (it does not exist)."""
        ...

    async def exists(self, resource_id: str) -> bool:
        """Whether a disk, NIC or public IP exists (a 404 is False; other errors raise)."""
        ...


@dataclass(frozen=True)
class ListPage:
    """One page of a scale set's VM list: lower-cased name -> VM JSON, and the next page's link."""

    vms: Mapping[str, Mapping[str, Any]]
    next_link: str | None = None


@runtime_checkable
class PagedObserver(Observer, Protocol):
    """An observer that can read the list one page at a time, and read a page again by its link.

    With it the hub reads only the pages that hold operations due for a look."""

    async def list_page(self, resource_group: str, scale_set_id: str, link: str | None) -> ListPage:
        """The first page (``link`` None) or the page a previous ``nextLink`` named."""
        ...


def _unreadable(status: int, body: Any, correlation: str | None, what: str) -> StatusUnreadable:
    error = body.get("error") if isinstance(body, Mapping) else None
    code = str(error.get("code") or "") if isinstance(error, Mapping) else ""
    message = str(error.get("message") or "") if isinstance(error, Mapping) else ""
    return StatusUnreadable(
        "read operation status",
        status=status,
        code=code or f"HTTP{status}",
        message=message or what,
        correlation_id=correlation,
    )


def status_from_response(
    status: int, headers: Mapping[str, str], body: Any, *, location: bool
) -> OperationStatus:
    """The operation's status from one answer of its status URL (ARM's async-operation
    protocol, async-api-reference.md); raises :class:`StatusUnreadable` for an answer that is
    not a status."""
    lowered = lower_headers(headers)
    hint = retry_after_seconds(lowered)
    correlation = lowered.get("x-ms-correlation-request-id")
    if location:
        if status == 202:
            return OperationStatus("InProgress", retry_after=hint, correlation_id=correlation)
        if status in (200, 201, 204):
            return OperationStatus("Succeeded", correlation_id=correlation, resource=body)
        error = body.get("error") if isinstance(body, Mapping) else None
        if 400 <= status < 500 and status not in (404, 408, 410, 429) and isinstance(error, Mapping):
            return OperationStatus("Failed", error=error, correlation_id=correlation)
        raise _unreadable(status, body, correlation, f"the Location URL answered HTTP {status}")
    if status != 200:
        raise _unreadable(status, body, correlation, f"the operation status answered HTTP {status}")
    raw = str(body.get("status") or "").lower() if isinstance(body, Mapping) else ""
    if raw == "succeeded":
        return OperationStatus("Succeeded", correlation_id=correlation, resource=body)
    if raw in ("failed", "canceled", "cancelled"):
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping):
            error = {"code": "OperationFailed" if raw == "failed" else "OperationCanceled", "message": raw}
        state: Literal["Failed", "Canceled"] = "Failed" if raw == "failed" else "Canceled"
        return OperationStatus(state, error=error, correlation_id=correlation)
    if not raw:
        raise _unreadable(status, body, correlation, "the operation status body has no 'status'")
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
            filter_ = quote(f"'virtualMachineScaleSet/id' eq '{scale_set_id}'", safe="")
            url = (
                f"{vms_path(subscription, resource_group)}?api-version={compute_api_version(self._clients)}"
                f"&$filter={filter_}&$expand=instanceView"
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
        return status_from_response(raw.status, raw.headers, raw.json, location=location)

    async def read_vm(self, resource_group: str, name: str) -> Mapping[str, Any] | None:
        subscription = self._clients.settings.subscription_id
        url = (
            f"{vms_path(subscription, resource_group, name)}?api-version={compute_api_version(self._clients)}"
            "&$expand=instanceView"
        )
        raw = await self._clients.request("GET", url)
        if raw.status == 404:
            return None
        if raw.status != 200 or not isinstance(raw.json, Mapping):
            raise from_error_body(
                (raw.json or {}).get("error") or {} if isinstance(raw.json, Mapping) else {},
                operation=f"get vm {name}",
                status=raw.status,
            )
        return raw.json

    async def exists(self, resource_id: str) -> bool:
        """A GET of the resource through its azure-mgmt client (the SDK picks the api-version)."""
        from azure.core.exceptions import ResourceNotFoundError

        parts = resource_id.strip("/").split("/")
        lowered = [p.lower() for p in parts]
        try:
            rg = parts[lowered.index("resourcegroups") + 1]
            kind, name = lowered[-2], parts[-1]
        except (ValueError, IndexError):
            return False
        operations = {
            "disks": self._clients.compute.disks,
            "networkinterfaces": self._clients.network.network_interfaces,
            "publicipaddresses": self._clients.network.public_ip_addresses,
        }.get(kind)
        if operations is None:
            return False
        try:
            await operations.get(rg, name)
        except ResourceNotFoundError:
            return False
        return True
