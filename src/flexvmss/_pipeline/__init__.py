"""flexvmss's HTTP behaviour, as azure-core pipeline policies and named tenacity policies.

Every client :mod:`flexvmss._arm` builds carries the same stack in front of azure-core's own
policies::

    TransientRetryPolicy   re-sends 408/5xx/dropped connections      (_retry: transient_http)
    ThrottlePolicy         gates scoped to the throttled policy, pacing
                           from Azure's remaining counts; every 429 once (_throttle)
    RequestCounterPolicy   counts each request sent, by class         (_count)
    RedactingTracePolicy   an HTTP trace with secrets masked, opt-in  (_trace)
    HeaderStampPolicy      the fixed headers (User-Agent) of the lean pipeline that
                           flexvmss's own requests take                (_stamp)
    LeanTransport          that pipeline's transport: aiohttp, answers read whole
                                                                       (_transport)

:data:`retryable_lro` is the operation-level policy the fan-out re-issues failed long-running
operations with. Every policy that waits takes the runtime's ``sleep`` (and the throttle state
its ``clock``) as a parameter; nothing here reads time from a module global.
"""

from __future__ import annotations

from flexvmss._pipeline._count import RequestCounterPolicy
from flexvmss._pipeline._deadline import deadline_scope, time_left
from flexvmss._pipeline._limits import (
    ARM_BUCKETS,
    BLIND_BURST,
    COMPUTE_POLICIES,
    LEGACY_POLICIES,
    MAX_RETRY_AFTER,
    MAX_SPEEDUP,
    Bucket,
    PolicyName,
    parse_policy,
)
from flexvmss._pipeline._pacing import Gate, Pacer, PageBudget
from flexvmss._pipeline._retry import (
    RETRYABLE_LRO_CODES,
    TRANSIENT_STATUSES,
    NamedRetry,
    TransientRetryPolicy,
    is_retryable_lro_error,
    is_transient_exception,
    is_transient_response,
    retryable_lro,
    stop_when,
    transient_http,
    wait_for_code,
)
from flexvmss._pipeline._signals import (
    Remaining,
    arm_class,
    bounded_wait,
    family_key,
    gate_scope,
    parse_remaining,
    resource_key,
    throttled_policies,
)
from flexvmss._pipeline._stamp import HeaderStampPolicy
from flexvmss._pipeline._throttle import (
    LOWERED_HEADERS,
    ThrottleConfig,
    ThrottlePolicy,
    ThrottleState,
    shared_throttle_state,
)
from flexvmss._pipeline._trace import RedactingTracePolicy

__all__ = [
    "ARM_BUCKETS",
    "BLIND_BURST",
    "COMPUTE_POLICIES",
    "LEGACY_POLICIES",
    "LOWERED_HEADERS",
    "MAX_RETRY_AFTER",
    "MAX_SPEEDUP",
    "RETRYABLE_LRO_CODES",
    "TRANSIENT_STATUSES",
    "Bucket",
    "Gate",
    "HeaderStampPolicy",
    "NamedRetry",
    "Pacer",
    "PageBudget",
    "PolicyName",
    "RedactingTracePolicy",
    "Remaining",
    "RequestCounterPolicy",
    "ThrottleConfig",
    "ThrottlePolicy",
    "ThrottleState",
    "TransientRetryPolicy",
    "arm_class",
    "bounded_wait",
    "deadline_scope",
    "family_key",
    "gate_scope",
    "is_retryable_lro_error",
    "is_transient_exception",
    "is_transient_response",
    "parse_policy",
    "parse_remaining",
    "resource_key",
    "retryable_lro",
    "shared_throttle_state",
    "stop_when",
    "throttled_policies",
    "time_left",
    "transient_http",
    "wait_for_code",
]
