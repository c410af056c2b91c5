"""What a VM looks like once its operation is done, judged from the VM's own JSON.

A look at the VM only *schedules*: it says whether this is a good moment to read the
operation's own status (``done``: the VM shows the end state; ``failed``: its provisioning
state is Failed, which only the status can explain), or whether to look again later
(``pending``: in transition; ``check``: settled in another state, most often a read that still
shows the VM as it was before the operation, so its status is read only once the operation
has been pending for long). The
outcome is Azure's operation status (see :mod:`flexvmss._fanout._observe`): a list read can be
stale (Azure's reads are eventually consistent; the throttling guide's advice is to "track the
async operation rather than polling provisioningState", SupportArticles-docs
troubleshooting-throttling-errors.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Expectation", "Verdict", "as_expectation", "hibernation_state", "power_state"]

#: What one look at a VM says: it shows the end state (read the status now), it shows a failed
#: provisioning state (read the status now), it is still in transition (look later), or it is
#: settled in another state (look later; read the status once the operation is old).
Verdict = Literal["done", "failed", "pending", "check"]

_SETTLING = frozenset({"creating", "updating", "deleting", "migrating"})
_TRANSITIONAL_POWER = frozenset({"starting", "stopping", "deallocating"})


def _status_value(vm: Mapping[str, Any], prefix: str) -> str | None:
    view = (vm.get("properties") or {}).get("instanceView") or vm.get("instanceView") or {}
    for status in view.get("statuses") or ():
        code = str(status.get("code") or "")
        if code.startswith(prefix):
            return code.split("/", 1)[1].lower()
    return None


def power_state(vm: Mapping[str, Any]) -> str | None:
    """The VM's power state (``running``, ``deallocated``...) from its instance view, if any."""
    return _status_value(vm, "PowerState/")


def hibernation_state(vm: Mapping[str, Any]) -> str | None:
    """The VM's hibernation state (``hibernated``...) from its instance view, if any: a VM
    hibernated by ``deallocate(hibernate=true)`` shows ``HibernationState/Hibernated`` beside
    ``PowerState/deallocated`` (MicrosoftDocs azure-docs hibernate-resume.md, "View the state of
    a hibernated VM"; the azure-sdk-for-java compute tests check the same code)."""
    return _status_value(vm, "HibernationState/")


@dataclass(frozen=True)
class Expectation:
    """What a VM looks like once the operation is done.

    ``Expectation.power("deallocated")`` for power actions, ``Expectation.gone()`` for deletes,
    ``Expectation.evicted()`` for simulated evictions (deallocated or gone, as the VM's eviction
    policy says), ``Expectation.provisioned()`` (optionally with a power state) for creates and
    updates. ``hibernated`` asks that, once Azure says the operation succeeded, the VM's instance
    view also shows ``HibernationState/Hibernated``.
    """

    power_state: str | None = None
    deleted: bool = False
    gone_ok: bool = False
    hibernated: bool = False

    @classmethod
    def power(cls, state: str, *, hibernated: bool = False) -> Expectation:
        return cls(power_state=state.lower(), hibernated=hibernated)

    @classmethod
    def gone(cls) -> Expectation:
        return cls(deleted=True)

    @classmethod
    def evicted(cls) -> Expectation:
        return cls(power_state="deallocated", gone_ok=True)

    @classmethod
    def provisioned(cls, power: str | None = None) -> Expectation:
        return cls(power_state=power.lower() if power else None)

    def evaluate(self, vm: Mapping[str, Any] | None) -> Verdict:
        """``done`` (the VM shows the end state), ``failed`` (its provisioning state is Failed),
        ``pending`` (still in transition) or ``check`` (settled in another state). ``vm`` None:
        the VM is not there."""
        if vm is None:
            return "done" if (self.deleted or self.gone_ok) else "check"
        state = str((vm.get("properties") or {}).get("provisioningState") or "").lower()
        if state in _SETTLING:
            return "pending"
        if state in ("failed", "canceled"):
            return "failed"
        if state != "succeeded" or self.deleted:
            return "check"
        if self.power_state is None:
            return "done"
        power = power_state(vm)
        if power == self.power_state:
            return "done"
        if power in _TRANSITIONAL_POWER:
            return "pending"
        return "check"

    def __str__(self) -> str:
        if self.deleted:
            return "deleted"
        if self.gone_ok:
            return "evicted (deallocated or deleted)"
        text = f"provisioned{f', {self.power_state}' if self.power_state else ''}"
        return text + (", hibernated" if self.hibernated else "")


def as_expectation(expect: Expectation | str | None) -> Expectation:
    """``"deleted"`` -> gone, ``"evicted"`` -> evicted, another string -> that power state,
    None -> provisioned."""
    if isinstance(expect, Expectation):
        return expect
    if expect is None:
        return Expectation.provisioned()
    if expect.lower() in ("deleted", "gone"):
        return Expectation.gone()
    if expect.lower() == "evicted":
        return Expectation.evicted()
    return Expectation.power(expect)
