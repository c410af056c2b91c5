"""The per-VM actions, as one table: what the facade runs, the CLI offers and the docs list.

Each :class:`VmAction` says which azure-mgmt call acts on one VM, how its success shows in
the set's VM list, what the command line calls it and whether it destroys something, and which
yes/no parameters it takes. :class:`flexvmss.aio.FlexScaleSet` has one typed method per row
(whose body runs the row), ``flexvmss <command>`` is built from the rows, and
``scripts/gen_docs.py`` writes the table into ``docs/cli.md``. Adding an action is a row here,
its method on the facade, its behaviour in the emulator and a test.

This module is plain data: the command line reads it while loading, before any Azure code.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACTIONS", "DELETE_VMS", "PER_VM_ACTIONS", "ActionFlag", "VmAction"]


@dataclass(frozen=True)
class ActionFlag:
    """A yes/no parameter of an action: ``name`` on the facade method (``--name`` on the command
    line), ``sdk_name`` the keyword of the azure-mgmt call (sent as True, or as None when off)."""

    name: str
    sdk_name: str
    help: str

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class VmAction:
    """One action on a VM of the set.

    ``name`` is the operation's name in results and progress events; ``method`` the facade's
    method; ``sdk_method`` the method of ``ComputeManagementClient.virtual_machines``;
    ``expect`` the power state (or ``"deleted"``) the VM list shows once Azure is done, which
    lets the fan-out watch many VMs through one list (None: only each operation's own status
    tells); ``long_running`` is False when Azure answers at once instead of starting a
    long-running operation.
    """

    name: str
    method: str
    sdk_method: str
    expect: str | None
    verb: str
    help: str
    destructive: bool = False
    flags: tuple[ActionFlag, ...] = ()
    long_running: bool = True

    @property
    def command(self) -> str:
        """The ``flexvmss`` command: ``perform-maintenance``."""
        return self.method.replace("_", "-")


# End states: MicrosoftDocs/azure-compute-docs virtual-machines/states-billing.md (start and
# restart end Running, power off Stopped, deallocate Deallocated); redeploy "shuts down the
# virtual machine, moves it to a new node, and powers it back on" (REST reference,
# Virtual Machines - Redeploy). Reimage, maintenance and eviction end in a state that depends
# on the VM: their own operation status decides. SDK signatures: azure-mgmt-compute 39
# (research/real-azure-review.md, "Local checks").
PER_VM_ACTIONS: tuple[VmAction, ...] = (
    VmAction("start", "start", "begin_start", "running", "Starting", "Start VMs."),
    VmAction(
        "stop",
        "stop",
        "begin_power_off",
        "stopped",
        "Stopping",
        "Power off VMs (they keep their compute allocation and billing).",
        destructive=True,
        flags=(ActionFlag("skip_shutdown", "skip_shutdown", "Skip the guest OS shutdown."),),
    ),
    VmAction(
        "deallocate",
        "deallocate",
        "begin_deallocate",
        "deallocated",
        "Deallocating",
        "Stop and deallocate VMs (compute billing stops).",
        destructive=True,
        flags=(ActionFlag("hibernate", "hibernate", "Hibernate: keep the VMs' memory on disk."),),
    ),
    VmAction("restart", "restart", "begin_restart", "running", "Restarting", "Restart VMs."),
    VmAction("redeploy", "redeploy", "begin_redeploy", "running", "Redeploying", "Move VMs to a new host."),
    VmAction(
        "reimage",
        "reimage",
        "begin_reimage",
        None,
        "Reimaging",
        "Reimage VMs (the OS disk is replaced: its data is lost).",
        destructive=True,
    ),
    VmAction(
        "perform_maintenance",
        "perform_maintenance",
        "begin_perform_maintenance",
        None,
        "Maintaining",
        "Start the platform maintenance Azure has scheduled for the VMs.",
    ),
    VmAction(
        "simulate_eviction",
        "simulate_eviction",
        "simulate_eviction",
        None,
        "Evicting",
        "Simulate the eviction of Spot VMs (Azure refuses it for regular VMs).",
        destructive=True,
        long_running=False,  # Azure answers 204 at once (SDK 39: simulate_eviction, no poller)
    ),
    VmAction(
        "delete",
        "delete_vms",
        "begin_delete",
        "deleted",
        "Deleting",
        "Delete VMs from the set (batch delete, per-VM fallback).",
        destructive=True,
        flags=(ActionFlag("force", "force_deletion", "Force-delete VMs (skips graceful shutdown)."),),
    ),
)

#: Actions by name.
ACTIONS: dict[str, VmAction] = {action.name: action for action in PER_VM_ACTIONS}

#: The per-VM deletion: ``delete_vms`` first deletes through the set's batch DeleteInstances and
#: runs this row only for the VMs the batch left.
DELETE_VMS = ACTIONS["delete"]
