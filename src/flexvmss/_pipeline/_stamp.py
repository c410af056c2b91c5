"""The headers every request flexvmss builds itself carries, set once per request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from azure.core.pipeline.policies import AsyncHTTPPolicy

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.pipeline import PipelineRequest, PipelineResponse

__all__ = ["HeaderStampPolicy"]


class HeaderStampPolicy(AsyncHTTPPolicy):  # type: ignore[type-arg]
    """Sets fixed headers (the User-Agent composed when the clients were built) on each request
    that does not carry them yet.

    It stands in, on flexvmss's lean pipeline, for azure-core's HeadersPolicy and
    UserAgentPolicy: those are sans-I/O policies, each run through azure-core's async adapter
    (two awaits and two ``isinstance`` checks against ``typing.Awaitable`` per request) to set
    what never changes between requests."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__()
        self._headers = tuple(headers.items())

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        headers = request.http_request.headers
        for name, value in self._headers:
            if name not in headers:
                headers[name] = value
        return await self.next.send(request)
