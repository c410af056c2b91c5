"""Azure errors become typed flexvmss errors that keep Azure's code, message and ids, say what
to do, and never repeat request bodies or headers."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from flexvmss._errors import (
    AzureOperationError,
    ConflictError,
    CredentialError,
    DeadlineExceededError,
    FaultDomainCountError,
    FlexError,
    InvalidInputError,
    MalformedResponseError,
    NotFoundError,
    OutboundConnectivityError,
    PreconditionFailedError,
    PreflightError,
    ScaleSetNotEmptyError,
    SinglePlacementGroupError,
    ThrottledError,
    TlsError,
    TransportError,
    credential_error,
    from_azure_error,
    from_error_body,
    retry_after_seconds,
    sent_once_error,
    tls_failure,
)
from flexvmss._rules import Finding

CORRELATION = "6f1c7f1e-0000-4000-8000-00000000c0de"
REQUEST_ID = "a1b2c3d4-0000-4000-8000-0000000000aa"
SECRET = "P@ssw0rd-in-request-body"


class FakeRequest:
    def __init__(self, method: str = "PUT") -> None:
        self.method = method
        self.url = "https://management.azure.com/subscriptions/0000/resourceGroups/rg?api-version=2026-04-01"
        self.headers = {"Authorization": "Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi-secret-token"}
        self.body = json.dumps({"properties": {"osProfile": {"adminPassword": SECRET}}})

    def __str__(self) -> str:  # azure-core may str() the request; make any leak visible
        return f"<FakeRequest {self.method} {self.url} {self.headers} {self.body}>"


class FakeResponse:
    def __init__(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None, method: str = "PUT"
    ) -> None:
        self.status_code = status
        self.reason = {
            404: "Not Found",
            409: "Conflict",
            412: "Precondition Failed",
            429: "Too Many Requests",
        }.get(status, "Error")
        self.headers = {
            "x-ms-correlation-request-id": CORRELATION,
            "x-ms-request-id": REQUEST_ID,
            **(headers or {}),
        }
        self._text = body if isinstance(body, str) else json.dumps(body) if body is not None else ""
        self.request = FakeRequest(method)
        self.content_type = "application/json"

    def text(self, encoding: str | None = None) -> str:
        return self._text


def arm(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def http_error(status: int, body: Any = None, *, cls: type[HttpResponseError] = HttpResponseError, **kw: Any):
    return cls(response=FakeResponse(status, body, **kw))


def assert_no_secrets(error: BaseException) -> None:
    text = str(error) + repr(error)
    assert SECRET not in text
    assert "secret-token" not in text
    assert "Authorization" not in text


def test_throttled_with_retry_after_seconds_on_a_write() -> None:
    exc = http_error(
        429,
        arm("SubscriptionRequestsThrottled", "Number of write requests exceeded the limit."),
        headers={"Retry-After": "17"},
    )
    error = from_azure_error(exc, operation="create vm web_1")
    assert isinstance(error, ThrottledError)
    assert error.retry_after == 17.0
    assert error.scope == "write"
    assert error.status == 429
    assert error.code == "SubscriptionRequestsThrottled"
    assert error.correlation_id == CORRELATION
    assert error.original is exc
    assert_no_secrets(error)


def test_throttled_read_uses_retry_after_ms_first() -> None:
    exc = http_error(
        429,
        arm("TooManyRequests", "Too many requests."),
        headers={"retry-after-ms": "1500", "Retry-After": "9"},
        method="GET",
    )
    error = from_azure_error(exc, operation="list vms")
    assert isinstance(error, ThrottledError)
    assert error.retry_after == 1.5
    assert error.scope == "read"


def test_retry_after_reads_http_dates_and_ignores_garbage() -> None:
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({"x-ms-retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize(
    ("status", "body", "azure_cls", "expected"),
    [
        (
            404,
            arm("ResourceNotFound", "The Resource 'x' was not found."),
            ResourceNotFoundError,
            NotFoundError,
        ),
        (
            404,
            arm("ResourceGroupNotFound", "Resource group 'rg' could not be found."),
            HttpResponseError,
            NotFoundError,
        ),
        (409, arm("Conflict", "Another operation is in progress."), ResourceExistsError, ConflictError),
        (
            412,
            arm("PreconditionFailed", "The ETag does not match."),
            HttpResponseError,
            PreconditionFailedError,
        ),
    ],
)
def test_status_codes_map_to_types(status: int, body: Any, azure_cls: type, expected: type) -> None:
    exc = http_error(status, body, cls=azure_cls)
    error = from_azure_error(exc, operation="get scale set web")
    assert type(error) is expected
    assert error.status == status
    assert error.code == body["error"]["code"]
    assert error.azure_message == body["error"]["message"]
    assert error.request_id == REQUEST_ID
    assert error.original is exc
    assert error.remedy


def test_resource_group_not_found_gets_its_own_remedy() -> None:
    error = from_azure_error(http_error(404, arm("ResourceGroupNotFound", "no rg")), operation="get web")
    assert "resource group" in error.remedy.lower()


def test_fault_domain_count_error() -> None:
    exc = http_error(
        400,
        arm(
            "InvalidParameter",
            "The specified fault domain count 3 must fall in the range 1 to 2.",
            target="platformFaultDomainCount",
        ),
    )
    error = from_azure_error(exc, operation="create scale set web")
    assert isinstance(error, FaultDomainCountError)
    assert "platform_fault_domain_count=1" in error.remedy
    assert str(error).startswith(
        "create scale set web failed: InvalidParameter: The specified fault domain count 3 must fall in "
        f"the range 1 to 2. (correlation id {CORRELATION}, request id {REQUEST_ID})."
    )
    assert str(error).endswith(f"Fix: {error.remedy}")


def test_single_placement_group_error() -> None:
    exc = http_error(
        400,
        arm(
            "InvalidParameter",
            "The value 'True' of parameter 'singlePlacementGroup' is not allowed. Allowed values are: False.",
            target="singlePlacementGroup",
        ),
    )
    error = from_azure_error(exc, operation="create scale set web")
    assert isinstance(error, SinglePlacementGroupError)
    assert "single_placement_group=False" in error.remedy


def test_attaching_with_spg_maps_to_single_placement_group_error() -> None:
    error = from_error_body(
        {"code": "VmssDoesNotSupportAttachingWithSpg", "message": "..."}, operation="create vm web_1"
    )
    assert isinstance(error, SinglePlacementGroupError)


def test_outbound_connectivity_error_from_a_failed_lro() -> None:
    error = from_error_body(
        {
            "code": "OutboundConnectivityNotEnabledOnVM",
            "message": "No outbound connectivity configured for virtual machine.",
        },
        operation="create vm web_1",
        correlation_id=CORRELATION,
    )
    assert isinstance(error, OutboundConnectivityError)
    assert "nat_gateway" in error.remedy
    assert error.status is None
    assert error.correlation_id == CORRELATION


def test_scale_set_not_empty_wins_over_conflict() -> None:
    exc = http_error(
        409,
        arm(
            "OperationNotAllowed",
            "Deletion of Virtual Machine Scale Set isn't allowed as it contains one or more "
            "VMs. Please delete or detach the VM(s) before deleting the Virtual Machine Scale Set.",
        ),
    )
    error = from_azure_error(exc, operation="delete scale set web")
    assert isinstance(error, ScaleSetNotEmptyError)
    assert error.status == 409
    assert "VMs first" in error.remedy


def test_the_2021_spelling_of_the_not_empty_message_maps_too() -> None:
    error = from_error_body(
        {
            "code": "OperationNotAllowed",
            "message": "Deletion of Virtual Machine Scale Set is not allowed as it contains one or more VMs.",
        },
        operation="delete scale set web",
    )
    assert isinstance(error, ScaleSetNotEmptyError)


def test_flex_errors_are_found_in_nested_details() -> None:
    body = {
        "error": {
            "code": "DeploymentFailed",
            "message": "At least one resource deployment operation failed.",
            "details": [
                {
                    "code": "InvalidParameter",
                    "message": "The specified fault domain count 3 must fall in the range 1 to 2.",
                }
            ],
        }
    }
    error = from_error_body(body, operation="create scale set web")
    assert isinstance(error, FaultDomainCountError)
    assert error.code == "DeploymentFailed"


def test_allocation_failure_reads_like_the_design() -> None:
    error = from_error_body(
        {"code": "AllocationFailed", "message": "Allocation failed. We do not have sufficient capacity."},
        operation="deallocate vm web_1a2b3c4d",
        correlation_id=CORRELATION,
    )
    assert type(error) is AzureOperationError
    assert str(error) == (
        "deallocate vm web_1a2b3c4d failed: AllocationFailed: Allocation failed. We do not have sufficient "
        f"capacity. (correlation id {CORRELATION}). Fix: {error.remedy}"
    )
    assert "capacity" in error.remedy


def test_connection_failures_are_transport_errors() -> None:
    for exc in (
        ServiceRequestError("Cannot connect to host management.azure.com:443"),
        ServiceResponseError("Connection reset by peer"),
    ):
        error = from_azure_error(exc, operation="list vms")
        assert isinstance(error, TransportError)
        assert error.original is exc
        assert error.status is None
        assert "idempotent" in error.remedy


def test_secret_query_parameters_are_scrubbed_from_transport_messages() -> None:
    exc = ServiceRequestError(
        "Cannot connect to https://acct.blob.core.windows.net/c?sv=1&sig=AbCdSecret==&se=2"
    )
    error = from_azure_error(exc, operation="upload")
    assert "AbCdSecret" not in str(error)
    assert "sig=REDACTED" in str(error)


def test_undecodable_bodies_are_malformed_response_errors() -> None:
    exc = DecodeError("bad json", response=FakeResponse(200, "<html>proxy says hi</html>"))
    error = from_azure_error(exc, operation="get scale set web")
    assert isinstance(error, MalformedResponseError)
    assert error.original is exc
    assert "proxy says hi" not in str(error)


def test_non_json_error_bodies_are_not_copied_into_messages() -> None:
    exc = http_error(502, f"<html>Bad gateway; echoed request: {SECRET}</html>")
    error = from_azure_error(exc, operation="get scale set web")
    assert type(error) is AzureOperationError
    assert error.status == 502
    assert "HTTP 502" in str(error)
    assert_no_secrets(error)


def test_authentication_failures_say_what_to_check() -> None:
    exc = http_error(
        401, arm("InvalidAuthenticationToken", "The access token is invalid."), cls=ClientAuthenticationError
    )
    error = from_azure_error(exc, operation="list vms")
    assert type(error) is CredentialError and isinstance(error, AzureOperationError)
    assert error.status == 401
    assert "tenant" in error.remedy
    assert_no_secrets(error)


CHAIN_FAILURE = (
    "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
    "Attempted credentials:\n"
    "\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment variables "
    "are not fully configured.\n"
    "Visit https://aka.ms/azsdk/python/identity/environmentcredential/troubleshoot to troubleshoot.\n"
    "\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable, no response from "
    "the IMDS endpoint.\n"
    "\tAzureCliCredential: Azure CLI not found on path\n"
    "\tClientSecretCredential: AADSTS7000215: Invalid client secret provided. "
    "https://login.microsoftonline.com/t/oauth2/v2.0/token?client_secret=hunter2-secret&code=abc\n"
    "To mitigate this issue, please refer to the troubleshooting guidelines here at "
    "https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot."
)


def test_a_credential_that_gets_no_token_is_a_credential_error_naming_each_reason() -> None:
    from azure.identity import CredentialUnavailableError

    for exc in (
        ClientAuthenticationError(message=CHAIN_FAILURE),
        CredentialUnavailableError(message=CHAIN_FAILURE),
    ):
        error = from_azure_error(exc, operation="get scale set web")
        assert type(error) is CredentialError
        assert error.status is None and error.code == type(exc).__name__
        text = str(error)
        assert text.startswith("get scale set web failed: ")
        for reason in (
            "Environment variables are not fully configured",
            "no response from the IMDS endpoint",
            "Azure CLI not found on path",
            "AADSTS7000215",
        ):
            assert reason in text
        assert "\n" not in text and "troubleshooting guidelines" not in text
        assert "hunter2" not in text and "code=abc" not in text  # secret-looking query values masked
        assert "az login" in error.remedy and "AZURE_CLIENT_ID" in error.remedy
        assert "managed identity" in error.remedy and "support" not in error.remedy
        assert error.original is exc


def test_credential_error_keeps_a_given_remedy_and_masks_bearer_tokens() -> None:
    exc = ClientAuthenticationError(message="token refused: Bearer eyJ0eXAiOiJKV1Qi.secret-token.sig")
    error = credential_error(exc, operation="get an access token", remedy="Sign in to AzureChinaCloud.")
    assert error.remedy == "Sign in to AzureChinaCloud."
    assert "secret-token" not in str(error) and "Bearer REDACTED" in str(error)


def _cert_failure() -> ServiceRequestError:
    import ssl

    cert = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    cert.reason = "CERTIFICATE_VERIFY_FAILED"
    cert.verify_message = "self-signed certificate in certificate chain"
    try:
        try:
            raise cert
        except ssl.SSLError as inner:
            raise ConnectionError("Cannot connect to host 127.0.0.1:8443 ssl:True") from inner
    except ConnectionError as wrapped:
        return ServiceRequestError(wrapped, error=wrapped)


def test_tls_failures_are_typed_not_transient_and_say_how_to_trust_the_ca() -> None:
    import ssl

    from flexvmss._pipeline._retry import is_transient_exception

    exc = _cert_failure()
    assert tls_failure(exc) is not None
    error = from_azure_error(exc, operation="get scale set web")
    assert type(error) is TlsError and isinstance(error, TransportError)
    assert error.code == "CERTIFICATE_VERIFY_FAILED"
    assert "self-signed certificate" in str(error)
    assert "connection_verify" in error.remedy and "idempotent" not in error.remedy
    assert not is_transient_exception(exc)  # never retried: a retry meets the same certificate

    plain = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    plain.reason = "WRONG_VERSION_NUMBER"
    wrong = ServiceRequestError(plain, error=plain)
    error = from_azure_error(wrong, operation="get scale set web")
    assert type(error) is TlsError and "does not answer TLS" in error.remedy

    cut = ServiceRequestError(ssl.SSLEOFError(8, "EOF occurred in violation of protocol"))
    assert tls_failure(cut) is None and is_transient_exception(cut)  # a cut handshake is retried
    assert type(from_azure_error(cut, operation="x")) is TransportError


@pytest.mark.parametrize(
    ("exc", "unknown"),
    [
        (ServiceResponseError("connection dropped after the request was sent"), True),
        (http_error(500, arm("InternalServerError", "boom"), method="POST"), True),
        (http_error(408, arm("RequestTimeout", "timeout"), method="POST"), True),
        (http_error(409, arm("OperationNotAllowed", "The VM is deallocated."), method="POST"), False),
        (http_error(404, arm("ResourceNotFound", "no VM"), method="POST"), False),
        (http_error(429, arm("TooManyRequests", "slow down"), method="POST"), False),
    ],
)
def test_a_request_sent_once_reports_an_unknown_outcome_unless_azure_refused_it(
    exc: BaseException, unknown: bool
) -> None:
    error = sent_once_error(exc, operation="run_command vm web_1", what="the command")
    if unknown:
        assert type(error) is AzureOperationError and error.code == "OutcomeUnknown"
        assert "may or may not have run" in str(error) and "does not send it again" in str(error)
        assert "names=[...]" in error.remedy
    else:
        assert error.code != "OutcomeUnknown"
        assert error.status in (404, 409, 429)
    assert_no_secrets(error)


def test_a_failed_command_operation_is_an_unknown_outcome_that_is_never_re_issued() -> None:
    from flexvmss._pipeline import is_retryable_lro_error

    failed = from_error_body({"code": "RetryableError", "message": "try again"}, operation="run_command vm a")
    assert is_retryable_lro_error(failed)
    error = sent_once_error(failed, operation="run_command vm a", what="the command")
    assert error.code == "OutcomeUnknown" and "RetryableError: try again" in str(error)
    assert not is_retryable_lro_error(error)


def test_an_already_mapped_error_passes_through() -> None:
    error = NotFoundError("get web", status=404)
    assert from_azure_error(error, operation="other") is error


def test_invalid_input_error_is_a_value_error_naming_field_value_and_fix() -> None:
    error = InvalidInputError("network.subnet_id", "", "give the subnet's resource id")
    assert isinstance(error, ValueError) and isinstance(error, FlexError)
    assert (error.field, error.value, error.fix) == ("network.subnet_id", "", "give the subnet's resource id")
    assert str(error) == "invalid network.subnet_id=''. Fix: give the subnet's resource id"


def test_preflight_error_lists_every_error_finding() -> None:
    findings = [
        Finding(
            "FLEX001",
            "error",
            "platform_fault_domain_count",
            4,
            "platform_fault_domain_count=4: bad.",
            "use 1",
            "src",
        ),
        Finding(
            "FLEX010",
            "warning",
            "dedicated_host_group_id",
            "hg",
            "dedicated_host_group_id='hg': hmm.",
            "x",
            "src",
        ),
        Finding("FLEX014", "error", "capacity", 1200, "capacity=1200: too many.", "use 1000", "src"),
    ]
    error = PreflightError(findings)
    assert error.findings == findings
    text = str(error)
    assert "2 Flex rule error(s)" in text
    assert "[FLEX001]" in text and "[FLEX014]" in text and "FLEX010" not in text
    assert "waive" in error.remedy


def test_deadline_exceeded_has_a_remedy() -> None:
    assert "deadline" in str(DeadlineExceededError("waited 600 s for 12 VMs")).lower()


def test_errors_survive_pickling_without_their_original() -> None:
    exc = http_error(409, arm("Conflict", "busy"))
    error = from_azure_error(exc, operation="scale web")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ConflictError
    assert (copy.code, copy.status, copy.correlation_id, str(copy)) == (
        "Conflict",
        409,
        CORRELATION,
        str(error),
    )
    assert copy.original is None
    invalid = pickle.loads(pickle.dumps(InvalidInputError("capacity", -1, "use 0 or more")))
    assert (invalid.field, invalid.value, str(invalid)) == (
        "capacity",
        -1,
        "invalid capacity=-1. Fix: use 0 or more",
    )


def test_a_failed_long_running_operation_maps_by_its_error_code() -> None:
    # azure-core polling raises HttpResponseError on the 200 status poll whose body says Failed
    status_body = {
        "status": "Failed",
        "error": {
            "code": "OutboundConnectivityNotEnabledOnVM",
            "message": "No outbound connectivity configured.",
        },
    }
    exc = http_error(200, status_body, method="GET")
    error = from_azure_error(exc, operation="create vm web_1")
    assert isinstance(error, OutboundConnectivityError)
    assert error.status is None
    assert error.code == "OutboundConnectivityNotEnabledOnVM"
    assert error.correlation_id == CORRELATION


def test_a_canceled_long_running_operation_without_error_says_so() -> None:
    error = from_azure_error(
        http_error(200, {"status": "Canceled"}, method="GET"), operation="create vm web_1"
    )
    assert type(error) is AzureOperationError
    assert error.code == "Canceled"


def test_a_success_status_with_an_unreadable_body_is_malformed() -> None:
    error = from_azure_error(
        http_error(200, "<html>captive portal</html>", method="GET"), operation="get web"
    )
    assert isinstance(error, MalformedResponseError)
    assert error.status == 200
