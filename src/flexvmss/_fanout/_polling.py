"""The azure-core polling method through which a ``begin_*`` call hands its operation to the
fan-out's :class:`~flexvmss._fanout._observe.ObservationHub` (which confirms how it ended)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from azure.core.polling import AsyncPollingMethod

from flexvmss._errors import AzureOperationError, from_error_body, retry_after_seconds
from flexvmss._fanout._expect import Expectation
from flexvmss._fanout._observe import ObservationHub, PendingOperation
from flexvmss._headers import lower_headers
from flexvmss._pipeline import bounded_wait

__all__ = ["HubPolling"]


class HubPolling(AsyncPollingMethod[Any]):
    """An azure-core async polling method that hands its operation to an :class:`ObservationHub`.

    Pass it as ``polling=`` to a ``begin_*`` call. ``initialize`` reads the initial response
    (Azure-AsyncOperation, Location, Retry-After, the body's provisioning state) and registers
    the operation; ``run`` waits for the hub to resolve it and raises the operation's
    :class:`~flexvmss.AzureOperationError` if it failed. ``resource()`` is the final status
    body (or the VM's JSON, for an operation confirmed by a fact), or None — not a deserialized
    model. ``on_accepted`` is called once the initial response arrived (the fan-out releases
    its concurrency slot then). For an action Azure answers without an operation (a simulated
    eviction's 204), call :meth:`watch` after the call returned.
    """

    def __init__(
        self,
        hub: ObservationHub,
        *,
        vm: str,
        operation: str,
        resource_group: str,
        scale_set_id: str | None,
        expect: Expectation,
        scheduled_by_list: bool = True,
        leftovers: Sequence[str] = (),
        kind: str = "",
        on_accepted: Callable[[], None] | None = None,
    ) -> None:
        self._hub = hub
        self._vm = vm
        self._operation = operation
        self._resource_group = resource_group
        self._scale_set_id = scale_set_id
        self._expect = expect
        self._scheduled_by_list = scheduled_by_list
        self._leftovers = tuple(leftovers)
        self._kind = kind
        self._on_accepted = on_accepted
        self._op: PendingOperation | None = None
        self._status = "InProgress"
        self._resource: Any = None
        self._error: AzureOperationError | None = None

    @property
    def status_url(self) -> str | None:
        """The operation's ``Azure-AsyncOperation`` URL once Azure accepted it (None before, or
        when Azure gave none): what a checkpoint records so another process can read it."""
        return None if self._op is None else self._op.status_url

    def _register(self, async_url: str | None, location_url: str | None, hint: float | None) -> None:
        now = self._hub.now()
        loop = asyncio.get_running_loop()
        self._op = PendingOperation(
            vm=self._vm,
            operation=self._operation,
            resource_group=self._resource_group,
            scale_set_id=self._scale_set_id,
            expect=self._expect,
            status_url=async_url,
            location_url=location_url,
            accepted_at=now,
            retry_after=bounded_wait(hint, cap=self._hub.hint_cap),
            due_at=now,
            future=loop.create_future(),
            kind=self._kind,
            leftovers=self._leftovers,
            scheduled_by_list=self._scheduled_by_list,
        )
        self._hub.register(self._op)

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Any) -> None:
        http_response = initial_response.http_response

        def body() -> Any:
            try:
                return http_response.json() if http_response.text() else None
            except Exception:
                return None

        self.accept(http_response.status_code, lower_headers(http_response.headers), body)

    def accept(self, status: int, headers: Mapping[str, str], body: Any) -> None:
        """Take Azure's answer to the request that started the operation: its status, its
        headers (lower-case names) and its JSON body (or a callable returning it, read only
        when the answer carries no operation to follow). What :meth:`initialize` does with an
        azure-core response, for a request flexvmss sent itself."""
        if self._on_accepted is not None:
            self._on_accepted()
        async_url = headers.get("azure-asyncoperation")
        location_url = headers.get("location")
        if status in (200, 201, 202) and (async_url or location_url):
            self._register(async_url, location_url, retry_after_seconds(headers))
            return
        if callable(body):
            body = body()
        provisioning = ""
        if isinstance(body, Mapping):
            provisioning = str((body.get("properties") or {}).get("provisioningState") or "").lower()
        if provisioning in ("failed", "canceled"):
            self._status = "Failed"
            self._error = from_error_body(
                {"code": "ProvisioningFailed", "message": f"provisioningState is {provisioning}"},
                operation=self._operation,
            )
        elif self._expect.deleted and status == 204 and self._leftovers:
            # Azure answers a DELETE of a VM that no longer exists with 204: a fact; what its
            # deletion takes with it is checked before it counts as deleted.
            self._register(None, None, None)
            assert self._op is not None
            self._op.status_due = "fact"
            self._op.due_at = self._hub.now()
        else:
            # Azure finished at once and said so (a synchronous 200/201/204 answer).
            self._status = "Succeeded"
            self._resource = body

    async def watch(self) -> Any:
        """Watch an action Azure accepted without an operation to read (a 204): the VM's own
        state is the only confirmation. Returns what :meth:`run` would."""
        if self._on_accepted is not None:
            self._on_accepted()
        self._register(None, None, None)
        await self.run()
        return self._resource

    async def run(self) -> None:
        if self._op is not None:
            try:
                self._resource = await self._op.future
                self._status = "Succeeded"
            except AzureOperationError:
                self._status = "Failed"
                raise
        elif self._error is not None:
            raise self._error

    def status(self) -> str:
        return self._status

    def finished(self) -> bool:
        return self._status in ("Succeeded", "Failed")

    def resource(self) -> Any:
        return self._resource
