"""flexvmss: Azure Virtual Machine Scale Sets in Flexible orchestration mode, safely and fast.

Importing this package is cheap: the public names are loaded on first use (PEP 562), and no
azure-mgmt package is imported until a client is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flexvmss._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> private module that defines it
_EXPORTS: dict[str, str] = {
    # the facade (sync face; the async one is flexvmss.aio.FlexScaleSet)
    "FlexScaleSet": "._sync_face",
    "Fleet": "._sync_face",
    "FleetResult": "._scaleset._fleet",
    "Interrupted": "._sync",
    "ReentrantCallError": "._sync",
    "AuditResult": "._scaleset",
    "Leftover": "._scaleset",
    "PlacementReport": "._scaleset",
    "ScaleResult": "._scaleset",
    "ScaleSetInfo": "._scaleset",
    "SpotReplacement": "._scaleset",
    "SpotStatus": "._scaleset",
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
    "ResiliencySpec": "._specs",
    "ScaleSetSpec": "._specs",
    "Secret": "._specs",
    "SkuProfileSpec": "._specs",
    "SpotRestoreSpec": "._specs",
    "SpotSpec": "._specs",
    "VmSpec": "._specs",
    "ZonePlacementSpec": "._specs",
    # rules and the SKU catalog
    "Finding": "._rules",
    "rules_table": "._rules",
    "SkuCache": "._skus",
    "SkuCatalog": "._skus",
    # batches and progress
    "BatchResult": "._fanout",
    "Outcome": "._fanout",
    "VmResult": "._fanout",
    "ScheduledOptions": "._fanout._scheduled",
    "FileStore": "._fanout._checkpoint",
    "MemoryStore": "._fanout._checkpoint",
    "ProgressEvent": "._progress",
    "ThrottleConfig": "._pipeline",
    "Runtime": "._runtime",
    "Cloud": "._arm",
    # errors
    "AzureOperationError": "._errors",
    "ConflictError": "._errors",
    "CredentialError": "._errors",
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
    "TlsError": "._errors",
    "TransportError": "._errors",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover  (the lazy exports, for type checkers and IDEs; `X as X`
    # marks each as re-exported, since __all__ is computed)
    from flexvmss._arm import Cloud as Cloud
    from flexvmss._errors import (
        AzureOperationError as AzureOperationError,
        ConflictError as ConflictError,
        CredentialError as CredentialError,
        DeadlineExceededError as DeadlineExceededError,
        FaultDomainCountError as FaultDomainCountError,
        FlexError as FlexError,
        InvalidInputError as InvalidInputError,
        MalformedResponseError as MalformedResponseError,
        NotFoundError as NotFoundError,
        OutboundConnectivityError as OutboundConnectivityError,
        PreconditionFailedError as PreconditionFailedError,
        PreflightError as PreflightError,
        ScaleSetNotEmptyError as ScaleSetNotEmptyError,
        SinglePlacementGroupError as SinglePlacementGroupError,
        ThrottledError as ThrottledError,
        TlsError as TlsError,
        TransportError as TransportError,
    )
    from flexvmss._fanout import (
        BatchResult as BatchResult,
        Outcome as Outcome,
        VmResult as VmResult,
    )
    from flexvmss._fanout._checkpoint import (
        FileStore as FileStore,
        MemoryStore as MemoryStore,
    )
    from flexvmss._fanout._scheduled import ScheduledOptions as ScheduledOptions
    from flexvmss._pipeline import ThrottleConfig as ThrottleConfig
    from flexvmss._progress import ProgressEvent as ProgressEvent
    from flexvmss._rules import (
        Finding as Finding,
        rules_table as rules_table,
    )
    from flexvmss._runtime import Runtime as Runtime
    from flexvmss._scaleset import (
        AuditResult as AuditResult,
        Leftover as Leftover,
        PlacementReport as PlacementReport,
        ScaleResult as ScaleResult,
        ScaleSetInfo as ScaleSetInfo,
        SpotReplacement as SpotReplacement,
        SpotStatus as SpotStatus,
        TeardownResult as TeardownResult,
        VmInfo as VmInfo,
    )
    from flexvmss._scaleset._fleet import FleetResult as FleetResult
    from flexvmss._skus import (
        SkuCache as SkuCache,
        SkuCatalog as SkuCatalog,
    )
    from flexvmss._specs import (
        DataDiskSpec as DataDiskSpec,
        HealthSpec as HealthSpec,
        IdentitySpec as IdentitySpec,
        ImageSpec as ImageSpec,
        NetworkSpec as NetworkSpec,
        OsDiskSpec as OsDiskSpec,
        PriorityMixSpec as PriorityMixSpec,
        ResiliencySpec as ResiliencySpec,
        ScaleSetSpec as ScaleSetSpec,
        Secret as Secret,
        SkuProfileSpec as SkuProfileSpec,
        SpotRestoreSpec as SpotRestoreSpec,
        SpotSpec as SpotSpec,
        VmSpec as VmSpec,
        ZonePlacementSpec as ZonePlacementSpec,
    )
    from flexvmss._sync import (
        Interrupted as Interrupted,
        ReentrantCallError as ReentrantCallError,
    )
    from flexvmss._sync_face import Fleet as Fleet, FlexScaleSet as FlexScaleSet
