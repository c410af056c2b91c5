"""What a VM looks like once its operation succeeded, judged from the VM's own JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Expectation", "Verdict", "as_expectation", "power_state"]

#: What one look at a VM says about its operation: done, still settling, or ask the
#: operation's own status (the only source that can tell a failure and say why).
Verdict = Literal["succeeded", "pending", "check"]

_SETTLING = frozenset({"creating", "updating", "deleting", "migrating"})
_TRANSITIONAL_POWER = frozenset({"starting", "stopping", "deallocating"})


def power_state(vm: Mapping[str, Any]) -> str | None:
    """The VM's power state (``running``, ``deallocated``...) from its instance view, if any."""
    view = (vm.get("properties") or {}).get("instanceView") or {}
    for status in view.get("statuses") or ():
        code = str(status.get("code") or "")
        if code.startswith("PowerState/"):
            return code.split("/", 1)[1].lower()
    return None


@dataclass(frozen=True)
class Expectation:
    """What a VM looks like once the operation succeeded.

    ``Expectation.power("deallocated")`` for power actions, ``Expectation.gone()`` for deletes,
    ``Expectation.provisioned()`` (optionally with a power state) for creates and updates.
    """

    power_state: str | None = None
    deleted: bool = False

    @classmethod
    def power(cls, state: str) -> Expectation:
        return cls(power_state=state.lower())

    @classmethod
    def gone(cls) -> Expectation:
        return cls(deleted=True)

    @classmethod
    def provisioned(cls, power: str | None = None) -> Expectation:
        return cls(power_state=power.lower() if power else None)

    def evaluate(self, vm: Mapping[str, Any] | None) -> Verdict:
        """``succeeded``, ``pending`` (still settling) or ``check`` (ask the operation status)."""
        if vm is None:
            return "succeeded" if self.deleted else "check"
        state = str((vm.get("properties") or {}).get("provisioningState") or "").lower()
        if state in _SETTLING:
            return "pending"
        if state != "succeeded" or self.deleted:
            return "check"
        if self.power_state is None:
            return "succeeded"
        power = power_state(vm)
        if power == self.power_state:
            return "succeeded"
        if power in _TRANSITIONAL_POWER:
            return "pending"
        return "check"

    def __str__(self) -> str:
        if self.deleted:
            return "deleted"
        return f"provisioned{f', {self.power_state}' if self.power_state else ''}"



def as_expectation(expect: Expectation | str | None) -> Expectation:
    """``"deleted"`` -> gone, another string -> that power state, None -> provisioned."""
    if isinstance(expect, Expectation):
        return expect
    if expect is None:
        return Expectation.provisioned()
    if expect.lower() in ("deleted", "gone"):
        return Expectation.gone()
    return Expectation.power(expect)

