"""Whether a subscription may use ScheduledActions, and where.

ARM answers for the provider before ScheduledActions sees a request: a subscription that has
not registered ``Microsoft.ComputeSchedule`` gets 409 ``MissingSubscriptionRegistration``, and a
region the provider does not run in gets 400 ``NoRegisteredProviderFound``
(learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-register-resource-provider;
the 409 body with its ``details[].target`` as recorded in public logs, e.g. the azure-cli and
azure-mgmt-core tests of ``MissingSubscriptionRegistration``). ARM's provider API
(``GET /subscriptions/{sub}/providers/{ns}``, ``POST .../register``, ``POST .../unregister``,
Microsoft.Resources ``Providers_Get/Register/Unregister``) reads and changes the registration.

azure-mgmt-core's ``ARMAutoResourceProviderRegistrationPolicy`` (in every stock client's
pipeline) answers a 409 ``MissingSubscriptionRegistration`` by POSTing ``register`` and
polling the provider every 10 real seconds. By default the emulator's caller may not register
the provider (403 ``AuthorizationFailed``, the answer a principal without
``Microsoft.ComputeSchedule/register/action`` gets), so the policy gives up at once and the 409
reaches the caller, as it does for most automation identities (inferred: registering is an
owner's or contributor's right at subscription scope).
"""

from __future__ import annotations

from typing import Any

from ...core import ArmError, Context, norm_location
from .limits import API_VERSIONS, NAMESPACE
from .state import settings

__all__ = [
    "check_region",
    "check_registered",
    "provider_body",
    "register",
    "supported_regions",
    "unregister",
]

#: The resource types the provider declares (bicep-types-az ``microsoft.computeschedule``:
#: the batch operations are functions of ``Microsoft.ComputeSchedule/locations``).
_RESOURCE_TYPES = ("locations", "operations")


def supported_regions(ctx: Context) -> list[str]:
    """The regions the service runs in: the knob's list, or every region the emulator's
    catalog knows (none at all: no catalog, every region is accepted)."""
    regions = settings(ctx)["regions"]
    if regions is not None:
        return sorted(regions)
    return sorted(norm_location(str(loc)) for loc in (ctx.catalog or {}))


def provider_body(ctx: Context, subscription_id: str) -> dict[str, Any]:
    """ARM's provider resource for ``Microsoft.ComputeSchedule`` in one subscription."""
    regions = supported_regions(ctx)
    return {
        "id": f"/subscriptions/{subscription_id}/providers/{NAMESPACE}",
        "namespace": NAMESPACE,
        "registrationState": settings(ctx)["registration"],
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [
            {"resourceType": rt, "locations": regions, "apiVersions": list(reversed(API_VERSIONS))}
            for rt in _RESOURCE_TYPES
        ],
    }


def check_registered(ctx: Context) -> None:
    """ARM's 409 when the subscription has not registered the provider."""
    if settings(ctx)["registration"] == "Registered":
        return
    message = (
        f"The subscription is not registered to use namespace '{NAMESPACE}'. "
        "See https://aka.ms/rps-not-found for how to register subscriptions."
    )
    raise ArmError(
        409,
        "MissingSubscriptionRegistration",
        message,
        details=[{"code": "MissingSubscriptionRegistration", "target": NAMESPACE, "message": message}],
    )


def check_region(ctx: Context, location: str, api_version: str | None) -> str:
    """The request's region, normalised; ARM's 400 when the provider does not run there
    (the message's wording follows ARM's, inferred for this provider)."""
    loc = norm_location(location)
    regions = supported_regions(ctx)
    if regions and loc not in regions:
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for location '{loc}' and API version "
            f"'{api_version or ''}' for type 'locations'. The supported api-versions are "
            f"'{', '.join(API_VERSIONS)}'. The supported locations are '{', '.join(sorted(regions))}'.",
        )
    return loc


def register(ctx: Context, subscription_id: str) -> dict[str, Any]:
    """``POST .../providers/Microsoft.ComputeSchedule/register``: registers the provider when
    the caller may (the knob ``can_register``), else ARM's 403."""
    s = settings(ctx)
    if not s["can_register"]:
        raise ArmError(
            403,
            "AuthorizationFailed",
            "The client does not have authorization to perform action "
            f"'{NAMESPACE}/register/action' over scope '/subscriptions/{subscription_id}' or the "
            "scope is invalid. If access was recently granted, please refresh your credentials.",
        )
    s["registration"] = "Registered"
    return provider_body(ctx, subscription_id)


def unregister(ctx: Context, subscription_id: str) -> dict[str, Any]:
    """``POST .../providers/Microsoft.ComputeSchedule/unregister``: the subscription stops
    using the provider (``Unregistered``)."""
    settings(ctx)["registration"] = "Unregistered"
    return provider_body(ctx, subscription_id)
