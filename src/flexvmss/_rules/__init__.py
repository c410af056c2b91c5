"""Flex rules as data (see :mod:`flexvmss._rules._engine`)."""

from __future__ import annotations

from flexvmss._rules._engine import (
    FLEX_REFUSED_SIZES,
    KNOWN_NETWORK_API_VERSIONS,
    RULES,
    Finding,
    Issue,
    Rule,
    RuleContext,
    ScaleSetInfo,
    evaluate,
    rules_table,
)

__all__ = [
    "FLEX_REFUSED_SIZES",
    "KNOWN_NETWORK_API_VERSIONS",
    "RULES",
    "Finding",
    "Issue",
    "Rule",
    "RuleContext",
    "ScaleSetInfo",
    "evaluate",
    "rules_table",
]
