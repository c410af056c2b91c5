"""Handlers of the batch actions: ``virtualMachinesExecute{Start,Deallocate,Hibernate,Create,
Delete}`` and ``virtualMachinesSubmit{Start,Deallocate,Hibernate}`` (spec paths under
``/subscriptions/{sub}/providers/Microsoft.ComputeSchedule/locations/{locationparameter}/``).

ARM answers first (registration, region), then the request is read whole (400s), then each VM
is accepted or refused; the answer is always a synchronous 200 (spec: no long-running
operation, every response is ``200``)."""

from __future__ import annotations

from collections.abc import Callable

from ...core import Context, Request, Response
from ..models.accept import accept
from ..models.registration import check_region, check_registered
from ..models.requests import ACTIONS, parse_batch
from ..models.state import settings
from .render import batch_answer

__all__ = ["batch_action", "located"]


def located(ctx: Context, req: Request) -> str:
    """ARM's checks for every ScheduledActions request: the provider is registered, and runs
    in the request's region (returned normalised)."""
    check_registered(ctx)
    return check_region(ctx, req.params["locationparameter"], req.api_version)


def batch_action(action: str, *, submit: bool) -> Callable[[Context, Request], Response]:
    """The handler of Execute<action> (or Submit<action> with ``submit``)."""

    def handler(ctx: Context, req: Request) -> Response:
        location = located(ctx, req)
        sub = req.params["subscriptionId"]
        batch = parse_batch(
            req.json(),
            action,
            submit=submit,
            now=ctx.clock.now(),
            subscription_id=sub,
            location=location,
            limit=int(settings(ctx)["max_resources"]),
        )
        outcomes = accept(ctx, batch, subscription_id=sub, location=location)
        return Response.json(batch_answer(ctx, ACTIONS[action], location, outcomes))

    handler.__name__ = f"{'submit' if submit else 'execute'}_{action}"
    return handler
