"""ARM's provider API for ``Microsoft.ComputeSchedule`` (Microsoft.Resources
``Providers_Get``, ``Providers_Register``, ``Providers_Unregister``): how a client learns
whether a subscription may use ScheduledActions and in which regions, and how it registers."""

from __future__ import annotations

from ...core import Context, Request, Response
from ..models.registration import provider_body, register, unregister

__all__ = ["get_provider", "register_provider", "unregister_provider"]


def get_provider(ctx: Context, req: Request) -> Response:
    return Response.json(provider_body(ctx, req.params["subscriptionId"]))


def register_provider(ctx: Context, req: Request) -> Response:
    return Response.json(register(ctx, req.params["subscriptionId"]))


def unregister_provider(ctx: Context, req: Request) -> Response:
    return Response.json(unregister(ctx, req.params["subscriptionId"]))
