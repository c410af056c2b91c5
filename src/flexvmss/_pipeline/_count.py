"""Counting every request flexvmss sends, by class, for the client and for the current batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from azure.core.pipeline.policies import AsyncHTTPPolicy

from flexvmss._progress import current_tally, request_class

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.pipeline import PipelineRequest, PipelineResponse

__all__ = ["RequestCounterPolicy"]


class RequestCounterPolicy(AsyncHTTPPolicy):  # type: ignore[type-arg]
    """Counts every request actually sent (each retry, each 429) into the current batch's
    :class:`~flexvmss._progress.RequestTally`, by class (write, delete, action, read, list,
    poll). Outside a batch it only counts into ``totals`` (``ArmClients.requests``)."""

    def __init__(self, totals: dict[str, int]) -> None:
        super().__init__()
        self._totals = totals

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        klass = request_class(request.http_request.method, request.http_request.url)
        self._totals[klass] = self._totals.get(klass, 0) + 1
        tally = current_tally.get()
        try:
            response = await self.next.send(request)
        except BaseException:
            if tally is not None:
                tally.count(klass)
            raise
        if tally is not None:
            tally.count(klass, status=response.http_response.status_code)
        return response
