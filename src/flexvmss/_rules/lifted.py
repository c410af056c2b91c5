"""Restrictions of the 2021 Flex documentation that Azure has lifted since. They stay in the
table as history and run only with ``profile="2021"``."""

from __future__ import annotations

from collections.abc import Iterator

from flexvmss._rules._engine import Issue, RuleContext, rule
from flexvmss._rules._sources import sources
from flexvmss._skus import size_series
from flexvmss._specs import dig


@rule(
    "FLEX101",
    title="Upgrade policy must be empty (2021)",
    severity="error",
    status_2021="unsupported: upgradePolicy null",
    status_today="lifted: Automatic, Manual and Rolling supported (preview 2024-07, GA 2024-11)",
    source=sources("F21", "UP", "UPGA"),
    lifted=True,
)
def upgrade_policy(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is not None and ctx.has_vm_profile and ctx.set_spec.upgrade_mode != "Manual":
        yield Issue(
            "upgrade_mode",
            ctx.set_spec.upgrade_mode,
            "the 2021 Flex docs required no upgrade policy.",
            "use upgrade_mode='Manual', or the default profile (supported since 2024-11)",
        )


@rule(
    "FLEX102",
    title="No scale-in policy (2021)",
    severity="error",
    status_2021="unsupported",
    status_today="lifted: supported from API 2023-07-01",
    source=sources("F21", "SIP"),
    lifted=True,
)
def scale_in_policy(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.set_spec is not None and ctx.set_spec.scale_in_policy:
        yield Issue(
            "scale_in_policy",
            ctx.set_spec.scale_in_policy,
            "the 2021 Flex docs had no scale-in policy.",
            "remove scale_in_policy, or use the default profile (supported from API 2023-07-01)",
        )


@rule(
    "FLEX103",
    title="User data per VM only (2021)",
    severity="error",
    status_2021="partial (per VM)",
    status_today="lifted: supported",
    source=sources("F21", "OM"),
    lifted=True,
)
def user_data(ctx: RuleContext) -> Iterator[Issue]:
    if ctx.spec.user_data is not None:
        yield Issue(
            "user_data",
            ctx.spec.user_data,
            "the 2021 Flex docs supported user data only per VM.",
            "remove user_data, or use the default profile (supported today)",
        )


@rule(
    "FLEX104",
    title="No instance protection (2021)",
    severity="error",
    status_2021="unsupported (use locks)",
    status_today="lifted: supported from API 2023-09-01",
    source=sources("F21", "IP"),
    lifted=True,
)
def instance_protection(ctx: RuleContext) -> Iterator[Issue]:
    policy = ctx.props.get("protectionPolicy") or dig(ctx.vm_profile, "protectionPolicy")
    if policy:
        yield Issue(
            "protectionPolicy",
            policy,
            "the 2021 Flex docs had no instance protection (use locks).",
            "use a resource lock, or the default profile (supported from API 2023-09-01)",
        )


@rule(
    "FLEX105",
    title="No specialty sizes G/H/L/M/N (2021)",
    severity="error",
    status_2021="unsupported",
    status_today="lifted: all sizes, with limits for sizes without memory-preserving updates",
    source=sources("F21", "OM"),
    lifted=True,
)
def specialty_sizes(ctx: RuleContext) -> Iterator[Issue]:
    for where, name in ctx.vm_sizes():
        series = size_series(name)
        if series[:1] in ("G", "H", "L", "M", "N"):
            yield Issue(
                where,
                name,
                "the 2021 Flex docs did not support specialty sizes (G, H, L, M, N).",
                "pick a general-purpose size, or use the default profile (all sizes today)",
            )
