"""An HTTP trace that is safe to turn on: method, URL, status and bodies, with secrets masked.

azure-core's own network trace (``logging_enable=True``) logs whole request bodies, so an
``adminPassword`` or ``customData`` would land in the log. flexvmss never turns it on; with
``ArmSettings(logging_enable=True)`` this policy logs the same exchange through
:mod:`flexvmss._redact` instead, on the ``flexvmss.http`` logger at DEBUG.
"""

from __future__ import annotations

import logging
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

from flexvmss._redact import redact_body, redact_headers, redact_url

__all__ = ["RedactingTracePolicy"]

logger = logging.getLogger("flexvmss.http")


class RedactingTracePolicy(SansIOHTTPPolicy[Any, Any]):
    """Logs each request and response at DEBUG with secret headers, query values and JSON
    keys (passwords, custom data, user data, protected settings, tokens) masked."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        http = request.http_request
        body = http.data if isinstance(http.data, (str, bytes)) else http.body
        logger.debug(
            "request %s %s headers=%s body=%s",
            http.method,
            redact_url(http.url),
            redact_headers(dict(http.headers)),
            redact_body(body),
        )

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        http = response.http_response
        try:
            body = http.body()
        except Exception:  # a streamed body that was not loaded: don't force it
            body = None
        logger.debug(
            "response %s %s status=%s headers=%s body=%s",
            request.http_request.method,
            redact_url(request.http_request.url),
            http.status_code,
            redact_headers(dict(http.headers)),
            redact_body(body),
        )
