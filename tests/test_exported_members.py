"""The public surface of flexvmss: a curated, sorted ``__all__`` whose every name resolves."""

from __future__ import annotations

import importlib
import inspect

import pytest

import flexvmss

EXPECTED = {
    "Runtime",
    "ScheduledOptions",
    "FileStore",
    "Fleet",
    "FleetResult",
    "MemoryStore",
    "AzureOperationError",
    "BatchResult",
    "Cloud",
    "ConflictError",
    "CredentialError",
    "DataDiskSpec",
    "DeadlineExceededError",
    "FaultDomainCountError",
    "Finding",
    "FlexError",
    "FlexScaleSet",
    "HealthSpec",
    "IdentitySpec",
    "ImageSpec",
    "InvalidInputError",
    "Interrupted",
    "MalformedResponseError",
    "NetworkSpec",
    "NotFoundError",
    "OsDiskSpec",
    "Outcome",
    "OutboundConnectivityError",
    "PreconditionFailedError",
    "PreflightError",
    "PriorityMixSpec",
    "ProgressEvent",
    "ReentrantCallError",
    "ScaleSetInfo",
    "ScaleSetNotEmptyError",
    "ScaleSetSpec",
    "Secret",
    "SinglePlacementGroupError",
    "SkuCache",
    "SkuCatalog",
    "SkuProfileSpec",
    "SpotSpec",
    "TeardownResult",
    "ThrottleConfig",
    "ThrottledError",
    "TlsError",
    "TransportError",
    "VmInfo",
    "VmResult",
    "VmSpec",
    "AuditResult",
    "Leftover",
    "ResiliencySpec",
    "SpotRestoreSpec",
    "SpotReplacement",
    "SpotStatus",
    "ZonePlacementSpec",
    "PlacementReport",
    "ScaleResult",
    "rules_table",
}


def test_all_is_sorted_and_exactly_the_curated_names() -> None:
    assert flexvmss.__all__ == sorted(flexvmss.__all__)
    assert set(flexvmss.__all__) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_exported_name_resolves_and_says_where_it_lives(name: str) -> None:
    value = getattr(flexvmss, name)
    assert value is not None
    # the object really comes from a private implementation module of flexvmss
    module = getattr(value, "__module__", "")
    assert module.startswith("flexvmss._"), (name, module)
    assert name in dir(flexvmss)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError):
        flexvmss.NoSuchThing  # noqa: B018


def test_errors_share_one_base_with_a_remedy() -> None:
    for name in EXPECTED:
        value = getattr(flexvmss, name)
        if inspect.isclass(value) and issubclass(value, Exception) and value is not flexvmss.Interrupted:
            assert issubclass(value, flexvmss.FlexError), name


def test_both_faces_offer_the_same_operations_with_the_same_signatures() -> None:
    aio = importlib.import_module("flexvmss.aio")
    async_cls, sync_cls = aio.FlexScaleSet, flexvmss.FlexScaleSet
    public = [
        name
        for name, member in vars(async_cls).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    ]
    assert {"create", "plan_create", "vms", "vm", "get", "add_vm", "add_vms", "scale_to", "start", "stop",
            "deallocate", "restart", "redeploy", "reimage", "perform_maintenance", "simulate_eviction",
            "update", "run_command", "delete_vms", "delete", "close"} <= set(public)
    for name in public:
        sync_method = getattr(sync_cls, name)
        assert not inspect.iscoroutinefunction(sync_method), name
        assert inspect.signature(sync_method) == inspect.signature(getattr(async_cls, name)), name
        assert sync_method.__doc__ == getattr(async_cls, name).__doc__, name
