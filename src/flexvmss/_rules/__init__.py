"""Flex rules as data, each beside its check.

Each rule has a stable id (``FLEX001``...), a severity, what the 2021 Flex documentation said
and what holds today, the sources it comes from, and a check that turns a spec into
:class:`Finding` s; all of it stands in one place, the check function and its :func:`rule`
decorator, in the module of its topic:

* :mod:`~flexvmss._rules.scale_set`: the set's mode and shape, disks, identity, capacity,
  instance mix, Spot, health, a complete VM profile;
* :mod:`~flexvmss._rules.placement`: fault domains and zones;
* :mod:`~flexvmss._rules.members`: VMs created into an existing set;
* :mod:`~flexvmss._rules.sizes`: VM sizes against the region's Resource SKUs;
* :mod:`~flexvmss._rules.network`: NAT pools, load balancers, probes, outbound access;
* :mod:`~flexvmss._rules.names`: resource and computer names, tags;
* :mod:`~flexvmss._rules.limits`: the sizes of custom data and user data;
* :mod:`~flexvmss._rules.lifecycle`: what outlives a VM (``deleteOption: Detach``), Spot restore;
* :mod:`~flexvmss._rules.resilience`: resilient create and delete, zone rebalancing, automatic
  zone placement and zone allocation;
* :mod:`~flexvmss._rules.lifted`: restrictions of 2021 that Azure has lifted since.

:func:`evaluate` runs every rule and returns all findings (not only the first). The default
profile (``"today"``) enforces Azure's current documented behaviour; the lifted rules stay in
the table and fire only with ``profile="2021"``. Waive any rule by id when you know Azure
accepts it for you. Checks are pure: what they need from Azure (the SKU catalog, the existing
set, a subnet, a load balancer) is read beforehand and handed in as :class:`Facts`.
"""

from __future__ import annotations

# each topic module registers its rules on import
from flexvmss._rules import (  # noqa: F401
    lifecycle,
    lifted,
    limits,
    members,
    names,
    network,
    placement,
    resilience,
    scale_set,
    sizes,
)
from flexvmss._rules._engine import (
    Facts,
    Finding,
    Issue,
    Rule,
    RuleContext,
    ScaleSetFacts,
    check_change,
    evaluate,
    registered_rules,
    rule,
    rules_table,
    to_invalid_input,
)
from flexvmss._rules.names import check_address, check_vm_names, check_vm_tags
from flexvmss._rules.network import KNOWN_NETWORK_API_VERSIONS, reads
from flexvmss._rules.scale_set import capacity_needs_catalog
from flexvmss._rules.sizes import FLEX_REFUSED_SIZES

__all__ = [
    "FLEX_REFUSED_SIZES",
    "KNOWN_NETWORK_API_VERSIONS",
    "RULES",
    "Facts",
    "Finding",
    "Issue",
    "Rule",
    "RuleContext",
    "ScaleSetFacts",
    "capacity_needs_catalog",
    "check_address",
    "check_change",
    "check_vm_names",
    "check_vm_tags",
    "evaluate",
    "reads",
    "rule",
    "rules_table",
    "to_invalid_input",
]

#: Every rule, in id order.
RULES: tuple[Rule, ...] = registered_rules()

