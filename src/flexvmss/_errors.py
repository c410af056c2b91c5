"""The flexvmss exception hierarchy, and the mapping from Azure's errors onto it.

Every exception carries a ``remedy``: what the caller can do about it. Errors that come from
Azure keep Azure's ``code``, ``message``, ``target``, the correlation and request ids and the
``original`` azure-core exception, so nothing is lost by catching a flexvmss type.

Messages never contain request bodies or headers (they can hold passwords, custom data and
tokens): only Azure's error code and message, the HTTP status and the ids Azure returns.

::

    FlexError
    ├── InvalidInputError            (also a ValueError)
    ├── PreflightError               (local Flex rules failed; nothing was sent)
    ├── DeadlineExceededError
    └── AzureOperationError
        ├── NotFoundError            404
        ├── ConflictError            409
        ├── PreconditionFailedError  412 (ETag If-Match / If-None-Match)
        ├── ThrottledError           429
        ├── CredentialError          no token (the credential chain failed), or 401
        ├── TransportError           no response / dropped connection
        │   └── TlsError             the TLS handshake failed (certificate, not TLS)
        ├── MalformedResponseError   a response that could not be decoded
        ├── FaultDomainCountError    InvalidParameter on the fault domain count
        ├── SinglePlacementGroupError
        ├── OutboundConnectivityError
        └── ScaleSetNotEmptyError
"""

from __future__ import annotations

import email.utils
import json
import re
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from flexvmss._headers import case_insensitive
from flexvmss._redact import redact_url

if TYPE_CHECKING:  # pragma: no cover
    from flexvmss._rules import Finding

__all__ = [
    "AzureOperationError",
    "ConflictError",
    "CredentialError",
    "DeadlineExceededError",
    "FaultDomainCountError",
    "FlexError",
    "InvalidInputError",
    "MalformedResponseError",
    "NotFoundError",
    "OutboundConnectivityError",
    "PlanRefusedError",
    "PreconditionFailedError",
    "PreflightError",
    "ScaleSetNotEmptyError",
    "SinglePlacementGroupError",
    "ThrottledError",
    "TlsError",
    "TransportError",
    "credential_error",
    "from_azure_error",
    "from_error_body",
    "retry_after_seconds",
    "sent_once_error",
    "tls_failure",
]


def _sentence(text: str) -> str:
    """``text`` ending in exactly one full stop (Azure's messages and the rules' often end in one
    already: no "my-rg.." in what flexvmss adds around them)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


class FlexError(Exception):
    """Base class of every error flexvmss raises on purpose.

    ``remedy`` says what to do about it; ``str(error)`` ends with ``Fix: <remedy>`` when there
    is one.
    """

    default_remedy: ClassVar[str] = ""

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy: str = remedy if remedy is not None else self.default_remedy

    def __str__(self) -> str:
        if self.remedy:
            return f"{_sentence(self.message)} Fix: {self.remedy}"
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable across processes; the azure-core ``original`` (holding a live response) is dropped.
        state = {k: v for k, v in self.__dict__.items() if k != "original"}
        return (_rebuild, (type(self), self.message, state))


def _rebuild(cls: type[FlexError], message: str, state: dict[str, Any]) -> FlexError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    if isinstance(error, AzureOperationError):
        error.original = None
    return error


class InvalidInputError(FlexError, ValueError):
    """A value given to flexvmss (a spec field, a spec-file key, an argument) is not valid.

    Raised before anything is sent to Azure. ``field`` is the attribute path or key
    (``network.subnet_id``), ``value`` the offending value (secrets are masked by
    :class:`~flexvmss.Secret` itself), ``fix`` what to change.
    """

    default_remedy = "Correct the value and try again."

    def __init__(self, field: str, value: object, fix: str, *, message: str | None = None) -> None:
        self.field = field
        self.value = value
        self.fix = fix
        super().__init__(message or f"invalid {field}={value!r}.", remedy=fix)


class PreflightError(FlexError):
    """The local Flex rules found errors in a spec; nothing was sent to Azure.

    ``findings`` holds every finding (errors and warnings), not only the first one. Waive a
    rule by its id (``waive=["FLEX012"]``) when you know Azure accepts it for you.
    """

    default_remedy = "Fix the fields named above, or waive a rule by its id if Azure accepts it for you."

    def __init__(self, findings: Sequence[Finding], *, remedy: str | None = None) -> None:
        self.findings: list[Finding] = list(findings)
        errors = [f for f in self.findings if f.severity == "error"]
        lines = [f"[{f.rule_id}] {f.message.rstrip().rstrip('.')}" for f in errors] or ["no error findings"]
        super().__init__(f"{len(errors)} Flex rule error(s): " + " | ".join(lines) + ".", remedy=remedy)


class PlanRefusedError(FlexError):
    """:meth:`FlexScaleSet.apply` refused a plan before sending anything: its read was
    throttled, failed or partial, it is for another set, or it deletes or replaces more VMs
    than the apply's cap allows. ``reason`` is a short code (``read_throttled``,
    ``read_failed``, ``read_partial``, ``wrong_set``, ``delete_cap``)."""

    default_remedy = "Plan again from a clean read (FlexScaleSet.plan), or raise max_delete if you mean it."

    def __init__(self, reason: str, message: str, *, remedy: str | None = None) -> None:
        self.reason = reason
        super().__init__(message, remedy=remedy)


class DeadlineExceededError(FlexError):
    """An operation (or a batch of them) did not finish before the caller's deadline.

    Work already started on Azure keeps running there; results so far are attached by the
    caller that raises it.
    """

    default_remedy = "Raise the deadline, or re-run: operations are idempotent and converge."


class AzureOperationError(FlexError):
    """Azure refused or failed an operation.

    Attributes: ``operation`` (what flexvmss was doing, e.g. ``"deallocate vm web_1a2b"``),
    ``status`` (HTTP status, None for a failed long-running operation without one), ``code``
    and ``message`` (Azure's), ``target``, ``correlation_id``, ``request_id``, ``remedy`` and
    ``original`` (the azure-core exception, when there was one).
    """

    default_remedy = "Check Azure's message; the correlation id identifies the request for Azure support."

    def __init__(
        self,
        operation: str,
        *,
        status: int | None = None,
        code: str | None = None,
        message: str | None = None,
        target: str | None = None,
        correlation_id: str | None = None,
        request_id: str | None = None,
        remedy: str | None = None,
        original: BaseException | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.code = code
        self.azure_message = message
        self.target = target
        self.correlation_id = correlation_id
        self.request_id = request_id
        self.original = original
        super().__init__(self._compose(), remedy=remedy)

    def _compose(self) -> str:
        what = ": ".join(part for part in (self.code, self.azure_message) if part)
        if not what:
            what = f"HTTP {self.status}" if self.status is not None else "unknown error"
        ids = []
        if self.correlation_id:
            ids.append(f"correlation id {self.correlation_id}")
        if self.request_id:
            ids.append(f"request id {self.request_id}")
        if ids:
            return f"{self.operation} failed: {what} ({', '.join(ids)})."
        return f"{self.operation} failed: {_sentence(what)}"


class NotFoundError(AzureOperationError):
    """Azure answered 404: the resource (or its resource group) does not exist."""

    default_remedy = "Check the subscription, resource group and name; the resource may already be deleted."


class ConflictError(AzureOperationError):
    """Azure answered 409: another operation holds the resource, or its state forbids this one."""

    default_remedy = "Wait for the operation in progress on the resource to finish, then retry."


class PreconditionFailedError(AzureOperationError):
    """Azure answered 412: the ETag sent with If-Match/If-None-Match no longer matches."""

    default_remedy = "Someone changed the resource since it was read: read it again and re-apply the change."


class ThrottledError(AzureOperationError):
    """Azure answered 429: a read or write quota of the subscription or resource is used up.

    ``retry_after`` is Azure's wait in seconds (from ``retry-after-ms``, ``x-ms-retry-after-ms``
    or ``Retry-After``), ``scope`` is ``"read"`` or ``"write"`` (the HTTP method's class).
    """

    default_remedy = "Wait retry_after seconds and retry; lower the concurrency if it keeps happening."

    def __init__(
        self,
        operation: str,
        *,
        retry_after: float | None = None,
        scope: Literal["read", "write"] = "read",
        **kwargs: Any,
    ) -> None:
        self.retry_after = retry_after
        self.scope: Literal["read", "write"] = scope
        super().__init__(operation, **kwargs)


class TransportError(AzureOperationError):
    """No response arrived: the connection failed, timed out or was dropped mid-response.

    A write may or may not have reached Azure; flexvmss operations are idempotent, so re-run.
    """

    default_remedy = "Check network access to Azure Resource Manager and retry; the operation is idempotent."


class CredentialError(AzureOperationError):
    """No access token could be had for Azure Resource Manager, or ARM refused the one sent.

    Raised when the credential (by default ``DefaultAzureCredential``, a chain) fails to get a
    token: ``code`` is the credential's exception type, ``message`` its reasons (one per
    credential of the chain: which were tried and why each failed). Also raised for ARM's 401
    (``InvalidAuthenticationToken``...): ``status`` is 401 and ``code`` ARM's. Nothing was sent
    to the resource. Never holds a secret: credentials' reasons name what is missing, not values.
    """

    default_remedy = (
        "Sign in: run `az login` (then `az account set --subscription <id>`); or set AZURE_TENANT_ID, "
        "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) for a service "
        "principal; or run where a managed identity is assigned (AZURE_CLIENT_ID names a user-assigned "
        "one); or pass credential= yourself."
    )


class TlsError(TransportError):
    """The TLS handshake with the endpoint failed: its certificate did not verify against the
    trusted CAs, or the endpoint does not speak TLS. Not retried: a retry meets the same
    certificate. ``code`` is the TLS library's reason (``CERTIFICATE_VERIFY_FAILED``...)."""

    default_remedy = (
        "Trust the CA that signed the endpoint's certificate: pass connection_verify=<CA bundle file> "
        "(the flexvmss emulator prints its CA file), or set REQUESTS_CA_BUNDLE / SSL_CERT_FILE; behind a "
        "TLS-inspecting proxy, trust the proxy's CA."
    )


class MalformedResponseError(AzureOperationError):
    """Azure (or a proxy in between) sent a response body that could not be decoded."""

    default_remedy = "Retry; if it persists, a proxy may be rewriting responses (check HTTPS_PROXY)."


class FaultDomainCountError(AzureOperationError):
    """Azure refused ``platformFaultDomainCount`` (``InvalidParameter`` "The specified fault
    domain count 3 must fall in the range 1 to 2.")."""

    default_remedy = (
        "Use platform_fault_domain_count=1 (max spreading, the default), or a value up to the region's "
        "maximum (Resource SKUs availabilitySets/Aligned MaximumPlatformFaultDomainCount); "
        "zonal sets take only 1."
    )


class SinglePlacementGroupError(AzureOperationError):
    """Azure refused ``singlePlacementGroup`` ("The value 'True' of parameter 'singlePlacementGroup'
    is not allowed", or ``VmssDoesNotSupportAttachingWithSpg``)."""

    default_remedy = (
        "Set single_placement_group=False on the scale set "
        "(required to attach VMs and for Spot priority mix)."
    )


class OutboundConnectivityError(AzureOperationError):
    """Azure refused a VM without explicit outbound access (``OutboundConnectivityNotEnabledOnVM``)."""

    default_remedy = (
        "Declare outbound access: a NAT gateway on the subnet (network.outbound='nat_gateway'), a Standard "
        "load balancer backend pool with an outbound rule, or network.public_ip_per_vm=True."
    )


class ScaleSetNotEmptyError(AzureOperationError):
    """Azure refused to delete a scale set that still has VMs (``OperationNotAllowed``
    "Deletion of Virtual Machine Scale Set isn't allowed as it contains one or more VMs")."""

    default_remedy = "Delete or detach the scale set's VMs first, then delete the scale set."


# ---------------------------------------------------------------------------------------------
# Mapping Azure errors

_REMEDIES: dict[str, str] = {
    "allocationfailed": "Azure has no capacity for this size here now: retry later, or use another size, "
    "zone or region (instance mix with several sizes helps).",
    "zonalallocationfailed": "No capacity in that zone for this size: retry later, or use another "
    "zone or size.",
    "overconstrainedallocationrequest": "Remove placement constraints (zone, proximity placement group, "
    "fault domain) or use another size.",
    "skunotavailable": "The size is not offered to this subscription in this location or zone: pick another "
    "size or region (see `az vm list-skus`).",
    "quotaexceeded": "Raise the vCPU quota for the size family in this region, or use fewer/smaller VMs.",
    "operationnotallowed": "Azure forbids this operation in the resource's current state or configuration; "
    "see its message.",
    "authorizationfailed": "Grant the identity a role that allows this action on the scope (e.g. "
    "Virtual Machine Contributor).",
    "authenticationfailed": "Check the credential (tenant, client id, secret or certificate) and that it "
    "has not expired.",
    "invalidauthenticationtoken": "Check the credential's tenant and the token audience "
    "(https://management.azure.com/ for the public cloud; name another cloud with cloud=...).",
    "invalidauthenticationtokenaudience": "The token was issued for another cloud's Resource Manager: "
    "name the cloud (cloud='AzureChinaCloud' or 'AzureUSGovernment') so the token's audience matches.",
    "invalidauthenticationtokentenant": "The token's tenant does not own the subscription: sign in to "
    "the subscription's tenant (az login --tenant <id>, or AZURE_TENANT_ID).",
    "missingsubscriptionregistration": "Register the resource provider on the subscription "
    "(az provider register --namespace Microsoft.Compute).",
    "resourcegroupnotfound": "Create the resource group first, or check its name and the subscription.",
    "retryableerror": "A transient platform error: retry the operation.",
    "operationpreempted": "Another operation on the same resource superseded this one: retry it.",
    "nicreservedforanothervm": "The NIC is still reserved by a deleted VM for up to 180 s: retry after that, "
    "or use a new NIC.",
    "invalidparameter": "Correct the parameter named in the target.",
    "propertychangenotallowed": "This property cannot change after creation: recreate the resource instead.",
    "networkapiversionmustbespecifiedwithnetworkinterfaceconfigurations": "Set "
    "networkProfile.networkApiVersion (e.g. 2020-11-01) when using NIC configurations.",
    "vmssdoesnotsupportattachingwithspg": SinglePlacementGroupError.default_remedy,
    "outboundconnectivitynotenabledonvm": OutboundConnectivityError.default_remedy,
}

#: Credential parameters a sign-in error may quote (``client_secret=...`` is missed by
#: :func:`~flexvmss._redact.redact_url`'s word-boundary match, as ``_`` is a word character).
_CREDENTIAL_PARAMS = re.compile(
    r"(?i)\b(client_secret|client_assertion|refresh_token|id_token|assertion|password)=[^&\s'\"]+"
)


def _scrub(text: str) -> str:
    """Remove secret-looking query parameters from text that may quote a URL."""
    return _CREDENTIAL_PARAMS.sub(lambda m: f"{m.group(1)}=REDACTED", redact_url(text))


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    value = headers.get(lowered)
    if value is not None or case_insensitive(headers):
        return value
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Azure's requested wait, in seconds: ``retry-after-ms``, ``x-ms-retry-after-ms``, then
    ``Retry-After`` (seconds or an HTTP date). None when absent or unreadable."""
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        raw = _header(headers, name)
        if raw:
            try:
                return max(0.0, float(raw) / 1000.0)
            except ValueError:
                pass
    raw = _header(headers, "Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_nodes(error: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """The error and its nested ``details`` (depth-first)."""
    yield error
    for detail in error.get("details") or ():
        if isinstance(detail, Mapping):
            yield from _error_nodes(detail)


def _flex_class(error: Mapping[str, Any]) -> type[AzureOperationError] | None:
    """Which of the Flex troubleshooting errors (if any) an ARM error object describes."""
    for node in _error_nodes(error):
        code = str(node.get("code") or "").lower()
        message = str(node.get("message") or "").lower()
        target = str(node.get("target") or "").lower()
        if code == "outboundconnectivitynotenabledonvm":
            return OutboundConnectivityError
        if code == "vmssdoesnotsupportattachingwithspg":
            return SinglePlacementGroupError
        if code == "invalidparameter":
            if "fault domain count" in message or "faultdomaincount" in target:
                return FaultDomainCountError
            if "singleplacementgroup" in message or "singleplacementgroup" in target:
                return SinglePlacementGroupError
        if (
            code == "operationnotallowed"
            and "deletion of virtual machine scale set" in message
            and ("one or more vm" in message)
        ):
            return ScaleSetNotEmptyError
    return None


def _status_class(status: int | None) -> type[AzureOperationError]:
    return {
        401: CredentialError,
        404: NotFoundError,
        409: ConflictError,
        412: PreconditionFailedError,
        429: ThrottledError,
    }.get(status or 0, AzureOperationError)


_FLEX_FOUR = (
    FaultDomainCountError,
    SinglePlacementGroupError,
    OutboundConnectivityError,
    ScaleSetNotEmptyError,
)


def _remedy_for(error: Mapping[str, Any], cls: type[AzureOperationError]) -> str:
    """The Flex troubleshooting remedy, else the one for Azure's code, else the class default."""
    if cls in _FLEX_FOUR:
        return cls.default_remedy
    for node in _error_nodes(error):
        remedy = _REMEDIES.get(str(node.get("code") or "").lower())
        if remedy:
            return remedy
    return cls.default_remedy


def _unwrap(error: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = error.get("error")
    if isinstance(inner, Mapping):
        return inner
    return error


def _build(
    error: Mapping[str, Any],
    *,
    operation: str,
    status: int | None,
    correlation_id: str | None,
    request_id: str | None,
    original: BaseException | None,
    headers: Mapping[str, str] | None = None,
    method: str | None = None,
) -> AzureOperationError:
    error = _unwrap(error)
    cls = _flex_class(error) or _status_class(status)
    code = error.get("code")
    message = error.get("message")
    kwargs: dict[str, Any] = {
        "status": status,
        "code": str(code) if code else None,
        "message": _scrub(str(message)) if message else None,
        "target": str(error["target"]) if error.get("target") else None,
        "correlation_id": correlation_id,
        "request_id": request_id,
        "remedy": _remedy_for(error, cls),
        "original": original,
    }
    if cls is ThrottledError:
        write = (method or "GET").upper() not in ("GET", "HEAD", "OPTIONS")
        return ThrottledError(
            operation, retry_after=retry_after_seconds(headers), scope="write" if write else "read", **kwargs
        )
    return cls(operation, **kwargs)


def from_error_body(
    error: Mapping[str, Any],
    *,
    operation: str,
    status: int | None = None,
    correlation_id: str | None = None,
) -> AzureOperationError:
    """Map an ARM error object (a failed long-running operation's ``error``, or a response body
    ``{"error": {...}}``) onto the flexvmss type that describes it."""
    return _build(
        error,
        operation=operation,
        status=status,
        correlation_id=correlation_id,
        request_id=None,
        original=None,
    )


def _chain(exc: BaseException) -> Iterable[BaseException]:
    """``exc`` and what it wraps: azure-core's ``inner_exception``, ``__cause__``, ``__context__``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        inner = getattr(current, "inner_exception", None)
        current = inner if isinstance(inner, BaseException) else (current.__cause__ or current.__context__)


#: TLS errors that are a connection cut mid-handshake (worth a retry), not a refusal.
_TLS_INTERRUPTIONS = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


def tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error under ``exc`` when the handshake was refused (a certificate that does not
    verify, an endpoint that does not speak TLS): retrying meets the same refusal. None for
    anything else, including a connection cut during the handshake."""
    found: ssl.SSLError | None = None
    for link in _chain(exc):
        if isinstance(link, ssl.SSLError):
            # the innermost one is the TLS library's own (aiohttp wraps it in an SSLError too)
            found = None if isinstance(link, _TLS_INTERRUPTIONS) else link
    return found


def _tls_error(exc: BaseException, cause: ssl.SSLError, operation: str) -> TlsError:
    reason = str(getattr(cause, "reason", None) or type(cause).__name__)
    detail = getattr(cause, "verify_message", None) or getattr(cause, "strerror", None) or str(cause)
    remedy = None
    if reason.upper() in (
        "WRONG_VERSION_NUMBER",
        "RECORD_LAYER_FAILURE",
        "HTTP_REQUEST",
        "PACKET_LENGTH_TOO_LONG",
    ):
        remedy = (
            "The endpoint does not answer TLS: check base_url's host and port (an HTTPS endpoint, "
            "e.g. the one `flexvmss emulator serve` prints)."
        )
    return TlsError(
        operation,
        code=reason,
        message=_scrub(f"the TLS handshake failed: {detail}").splitlines()[0],
        remedy=remedy,
        original=exc,
    )


#: A bearer token quoted in free text.
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
#: How many of a credential chain's reasons a message keeps, and how long each may be.
_MAX_REASONS = 10
_MAX_REASON_CHARS = 240


def _credential_reasons(exc: BaseException) -> str:
    """A credential failure's text on one line: its first line, then each credential of the
    chain and why it failed (azure-identity lists them one per tab-indented line), without the
    troubleshooting links. Secret-looking values are masked."""
    text = str(getattr(exc, "message", None) or exc or type(exc).__name__)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    head = lines[0].strip()
    reasons = [
        line.strip()[:_MAX_REASON_CHARS]
        for line in lines[1:]
        if line.startswith(("\t", " ")) and ":" in line and not line.strip().startswith("Visit ")
    ][:_MAX_REASONS]
    joined = head + (" " + "; ".join(reasons) if reasons else "")
    return _scrub(_BEARER.sub("Bearer REDACTED", joined))


def credential_error(
    exc: BaseException, *, operation: str = "get an access token", remedy: str | None = None
) -> CredentialError:
    """The :class:`CredentialError` for a credential that could not get a token (azure-core's
    ``ClientAuthenticationError`` from ``get_token``): its type as ``code``, its reasons as the
    message, and ``remedy`` (by default, how to sign in)."""
    return CredentialError(
        operation,
        code=type(exc).__name__,
        message=_credential_reasons(exc),
        remedy=remedy,
        original=exc,
    )


def sent_once_error(exc: BaseException, *, operation: str, what: str) -> AzureOperationError:
    """The error for a request flexvmss never re-sends (a ``runCommand``: a second request runs
    the script again) that failed. Azure's refusals (4xx but 408: nothing ran) keep their own
    type. Anything else (no response, a 408 or 5xx, an operation that ended Failed or Canceled)
    leaves unknown whether ``what`` ran: an :class:`AzureOperationError` with code
    ``OutcomeUnknown`` says so, keeps Azure's code in its message, and is never re-issued."""
    error = from_azure_error(exc, operation=operation)
    refused = error.status is not None and 400 <= error.status < 500 and error.status != 408
    if refused or isinstance(error, CredentialError):
        return error
    cause = ": ".join(part for part in (error.code, error.azure_message) if part) or "no answer"
    return AzureOperationError(
        operation,
        status=error.status,
        code="OutcomeUnknown",
        message=f"{what} may or may not have run ({cause}); flexvmss does not send it again, "
        "because a second request would run it a second time",
        correlation_id=error.correlation_id,
        request_id=error.request_id,
        remedy=f"Check on the VM whether {what} ran (its output, logs or effects) before running it "
        "again on that VM only (names=[...]).",
        original=error.original,
    )


def from_azure_error(exc: BaseException, *, operation: str) -> AzureOperationError:
    """Map an azure-core exception onto the flexvmss type that describes it.

    HTTP errors map by ARM error code first (the Flex troubleshooting errors), then by
    status (404, 409, 412, 429); connection failures become :class:`TransportError`;
    undecodable bodies :class:`MalformedResponseError`. ``original`` keeps ``exc``. Request
    bodies and headers are never copied into the message.
    """
    from azure.core.exceptions import (
        ClientAuthenticationError,
        DecodeError,
        DeserializationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, AzureOperationError):
        return exc
    if isinstance(exc, ClientAuthenticationError) and exc.response is None:
        # raised by the credential while getting a token: nothing reached ARM
        return credential_error(exc, operation=operation)
    if isinstance(exc, HttpResponseError):
        response = exc.response
        status = exc.status_code
        headers: Mapping[str, str] | None = None
        method: str | None = None
        body: Any = None
        if response is not None:
            headers = getattr(response, "headers", None)
            method = getattr(getattr(response, "request", None), "method", None)
            try:
                body = json.loads(response.text())
            except Exception:
                body = None
        correlation_id = _header(headers, "x-ms-correlation-request-id")
        request_id = _header(headers, "x-ms-request-id")
        arm_error = _unwrap(body) if isinstance(body, Mapping) else None
        has_error = isinstance(arm_error, Mapping) and bool(arm_error.get("code") or arm_error.get("message"))
        if status is not None and status < 400:
            # A 2xx/3xx response raised as an error: a failed or canceled long-running operation
            # (azure-core polling: the status body holds ``error``), or a body it could not read.
            lro_status = str(body.get("status") or "") if isinstance(body, Mapping) else ""
            if has_error or lro_status.lower() in ("failed", "canceled", "cancelled"):
                status = None  # the HTTP status of a status poll says nothing about the failure
                if not has_error:
                    arm_error = {
                        "code": lro_status,
                        "message": "the long-running operation ended without an error",
                    }
                    has_error = True
        if isinstance(exc, DecodeError) or (status is not None and status < 400):
            return MalformedResponseError(
                operation,
                status=status,
                message=f"the response could not be decoded ({type(exc).__name__})",
                correlation_id=correlation_id,
                request_id=request_id,
                original=exc,
            )
        if isinstance(arm_error, Mapping) and has_error:
            error: Mapping[str, Any] = arm_error
        elif exc.error is not None:
            error = {"code": exc.error.code, "message": exc.error.message, "target": exc.error.target}
        else:
            reason = exc.reason or ""
            error = {"message": f"HTTP {status} {reason}".strip() if status else None}
        return _build(
            error,
            operation=operation,
            status=status,
            correlation_id=correlation_id,
            request_id=request_id,
            original=exc,
            headers=headers,
            method=method,
        )
    if isinstance(exc, DeserializationError):
        return MalformedResponseError(
            operation, message="the response could not be deserialized", original=exc
        )
    tls = tls_failure(exc)
    if tls is not None:
        return _tls_error(exc, tls, operation)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError, ConnectionError, TimeoutError)):
        detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return TransportError(
            operation, code=type(exc).__name__, message=_scrub(str(detail)).splitlines()[0], original=exc
        )
    return AzureOperationError(
        operation,
        code=type(exc).__name__,
        message=_scrub(str(exc)).splitlines()[0] if str(exc) else None,
        original=exc,
    )
