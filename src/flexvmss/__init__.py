"""flexvmss: Azure Virtual Machine Scale Sets in Flexible orchestration mode, safely and fast.

Importing this package is cheap: the public names are loaded on first use (PEP 562), and no
azure-mgmt package is imported until a client is needed.
"""

# ruff: noqa: F401  (names imported under TYPE_CHECKING are re-exported lazily by __getattr__)
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> private module that defines it
_EXPORTS: dict[str, str] = {
    # the facade (sync face; the async one is flexvmss.aio.FlexScaleSet)
    "FlexScaleSet": "._sync",
    "Interrupted": "._sync",
    "ScaleSetInfo": "._scaleset",
    "TeardownResult": "._scaleset",
    "VmInfo": "._scaleset",
    # specs
    "DataDiskSpec": "._specs",
    "HealthSpec": "._specs",
    "IdentitySpec": "._specs",
    "ImageSpec": "._specs",
    "NetworkSpec": "._specs",
    "OsDiskSpec": "._specs",
    "PriorityMixSpec": "._specs",
    "ScaleSetSpec": "._specs",
    "Secret": "._specs",
    "SkuProfileSpec": "._specs",
    "SpotSpec": "._specs",
    "VmSpec": "._specs",
    # rules and the SKU catalog
    "Finding": "._rules",
    "rules_table": "._rules",
    "SkuCache": "._skus",
    "SkuCatalog": "._skus",
    # batches and progress
    "BatchResult": "._fanout",
    "Outcome": "._fanout",
    "VmResult": "._fanout",
    "ProgressEvent": "._progress",
    "ThrottleConfig": "._throttle",
    # errors
    "AzureOperationError": "._errors",
    "ConflictError": "._errors",
    "DeadlineExceededError": "._errors",
    "FaultDomainCountError": "._errors",
    "FlexError": "._errors",
    "InvalidInputError": "._errors",
    "MalformedResponseError": "._errors",
    "NotFoundError": "._errors",
    "OutboundConnectivityError": "._errors",
    "PreconditionFailedError": "._errors",
    "PreflightError": "._errors",
    "ScaleSetNotEmptyError": "._errors",
    "SinglePlacementGroupError": "._errors",
    "ThrottledError": "._errors",
    "TransportError": "._errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flexvmss' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover  (the lazy exports, for type checkers and IDEs)
    from flexvmss._errors import (
        AzureOperationError,
        ConflictError,
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
        TransportError,
    )
    from flexvmss._fanout import (
        BatchResult,
        Outcome,
        VmResult,
    )
    from flexvmss._progress import ProgressEvent
    from flexvmss._rules import (
        Finding,
        rules_table,
    )
    from flexvmss._scaleset import (
        ScaleSetInfo,
        TeardownResult,
        VmInfo,
    )
    from flexvmss._skus import (
        SkuCache,
        SkuCatalog,
    )
    from flexvmss._specs import (
        DataDiskSpec,
        HealthSpec,
        IdentitySpec,
        ImageSpec,
        NetworkSpec,
        OsDiskSpec,
        PriorityMixSpec,
        ScaleSetSpec,
        Secret,
        SkuProfileSpec,
        SpotSpec,
        VmSpec,
    )
    from flexvmss._sync import (
        FlexScaleSet,
        Interrupted,
    )
    from flexvmss._throttle import ThrottleConfig
