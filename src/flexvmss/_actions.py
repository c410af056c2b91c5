"""The per-VM actions, as one table: what the facade runs, the CLI offers and the docs list.

Each :class:`VmAction` says which azure-mgmt call acts on one VM, what the VM shows once the
action is done (which tells the fan-out when to read the operation's status), what the command
line calls it and whether it destroys something, and which yes/no parameters it takes.
:class:`flexvmss.aio.FlexScaleSet` has one typed method per row (whose body runs the row),
``flexvmss <command>`` is built from the rows, and ``scripts/gen_docs.py`` writes the table
into ``docs/cli.md``. Adding an action is a row here, its method on the facade, its behaviour
in the emulator and a test.

This module is plain data: the command line reads it while loading, before any Azure code.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ACTIONS", "DELETE_VMS", "PER_VM_ACTIONS", "ActionFlag", "VmAction"]


@dataclass(frozen=True)
class ActionFlag:
    """A yes/no parameter of an action: ``name`` on the facade method (``--name`` on the command
    line), ``sdk_name`` the keyword of the azure-mgmt call, ``query`` the query parameter of the
    request (``hibernate=true``; left out when off)."""

    name: str
    sdk_name: str
    query: str
    help: str

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class VmAction:
    """One action on a VM of the set.

    ``name`` is the operation's name in results and progress events; ``method`` the facade's
    method; ``sdk_method`` the method of ``ComputeManagementClient.virtual_machines`` whose
    request it sends; ``request`` that request's HTTP method and the path after the VM's
    resource id (``("POST", "/deallocate")``) and ``accepted`` the statuses by which Azure
    accepts it (any other is the action's error), as the Compute REST spec and azure-mgmt-compute
    39's generated operations have them (``VirtualMachines_Deallocate``: 200, 202);
    ``expect`` the power state (``"deleted"``, ``"evicted"``) the VM shows once Azure is done,
    when it differs from the state the VM starts in: the set's VM list then tells the fan-out
    *when* to read each operation's status, so a thousand operations cost about one status
    read each. It never decides the outcome: the operation's status does. None when the end
    state is the start state (restart, redeploy, reimage, maintenance): only Azure's poll hints
    schedule the status reads. ``long_running`` is False when Azure answers at once (204) and
    starts no operation to read: the VM itself is then watched until it shows ``expect``.
    ``scheduled`` is True when Azure's ScheduledActions runs the action too (spec 2025-05-01:
    ``virtualMachinesExecuteStart``, ``...Deallocate``, ``...Hibernate``, ``...Delete``): its
    facade method then takes ``backend``, ``options`` and ``checkpoint``.
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
    scheduled: bool = False
    request: tuple[str, str] = ("POST", "")
    accepted: tuple[int, ...] = (200, 202)

    @property
    def command(self) -> str:
        """The ``flexvmss`` command: ``perform-maintenance``."""
        return self.method.replace("_", "-")


# End states: MicrosoftDocs/azure-compute-docs virtual-machines/states-billing.md (start ends
# Running, power off Stopped, deallocate Deallocated; restart ends Running, as it started);
# redeploy "shuts down the virtual machine, moves it to a new node, and powers it back on" (REST
# reference, Virtual Machines - Redeploy): it too ends as it started. Reimage and maintenance
# end in the state the VM was in. A simulated eviction ends deallocated or deleted, as the VM's
# evictionPolicy says. SDK signatures, and the requests they build (method, path, query flags,
# accepting statuses): azure-mgmt-compute 39, ``build_virtual_machines_*_request`` and
# ``_*_initial`` (research/real-azure-review.md, "Local checks"); tests/unit/test_actions.py
# checks each row's request against the SDK's own builder.
PER_VM_ACTIONS: tuple[VmAction, ...] = (
    VmAction(
        "start",
        "start",
        "begin_start",
        "running",
        "Starting",
        "Start VMs.",
        scheduled=True,
        request=("POST", "/start"),
    ),
    VmAction(
        "stop",
        "stop",
        "begin_power_off",
        "stopped",
        "Stopping",
        "Power off VMs (they keep their compute allocation and billing).",
        destructive=True,
        flags=(ActionFlag("skip_shutdown", "skip_shutdown", "skipShutdown", "Skip the guest OS shutdown."),),
        request=("POST", "/powerOff"),
    ),
    VmAction(
        "deallocate",
        "deallocate",
        "begin_deallocate",
        "deallocated",
        "Deallocating",
        "Stop and deallocate VMs (compute billing stops).",
        destructive=True,
        flags=(
            ActionFlag("hibernate", "hibernate", "hibernate", "Hibernate: keep the VMs' memory on disk."),
        ),
        scheduled=True,
        request=("POST", "/deallocate"),
    ),
    VmAction(
        "restart",
        "restart",
        "begin_restart",
        None,
        "Restarting",
        "Restart VMs.",
        request=("POST", "/restart"),
    ),
    VmAction(
        "redeploy",
        "redeploy",
        "begin_redeploy",
        None,
        "Redeploying",
        "Move VMs to a new host.",
        request=("POST", "/redeploy"),
    ),
    VmAction(
        "reimage",
        "reimage",
        "begin_reimage",
        None,
        "Reimaging",
        "Reimage VMs (the OS disk is replaced: its data is lost).",
        destructive=True,
        request=("POST", "/reimage"),
    ),
    VmAction(
        "perform_maintenance",
        "perform_maintenance",
        "begin_perform_maintenance",
        None,
        "Maintaining",
        "Start the platform maintenance Azure has scheduled for the VMs.",
        request=("POST", "/performMaintenance"),
    ),
    VmAction(
        "simulate_eviction",
        "simulate_eviction",
        "simulate_eviction",
        "evicted",
        "Evicting",
        "Simulate the eviction of Spot VMs (Azure refuses it for regular VMs).",
        destructive=True,
        long_running=False,  # Azure answers 204 at once (SDK 39: simulate_eviction, no poller)
        request=("POST", "/simulateEviction"),
        accepted=(204,),
    ),
    VmAction(
        "delete",
        "delete_vms",
        "begin_delete",
        "deleted",
        "Deleting",
        "Delete VMs from the set (batch delete, per-VM fallback).",
        destructive=True,
        flags=(
            ActionFlag(
                "force", "force_deletion", "forceDeletion", "Force-delete VMs (skips graceful shutdown)."
            ),
        ),
        scheduled=True,
        request=("DELETE", ""),
        accepted=(200, 202, 204),  # a VM already gone answers 204 (VirtualMachines_Delete)
    ),
)

#: Actions by name.
ACTIONS: dict[str, VmAction] = {action.name: action for action in PER_VM_ACTIONS}

#: The per-VM deletion: ``delete_vms`` first deletes through the set's batch DeleteInstances and
#: runs this row only for the VMs the batch left.
DELETE_VMS = ACTIONS["delete"]
