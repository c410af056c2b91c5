"""Where each rule comes from, abbreviated as in the project's research notes.

[OM] is MicrosoftDocs/azure-compute-docs ``virtual-machine-scale-sets-orchestration-modes.md``
(06/14/2024), [F21] the 2021 Flex page (``flexible-virtual-machine-scale-sets.md``,
10/13/2021), [SUP] the Flex troubleshooting articles in MicrosoftDocs/SupportArticles-docs
(01/31/2023), [AD] ``virtual-machine-scale-sets-attach-detach-vm.md`` (04/23/2025), [FD]
``virtual-machine-scale-sets-manage-fault-domains.md`` (09/02/2025). Each rule's ``source``
spells its sources out.
"""

from __future__ import annotations

__all__ = ["SOURCES", "sources"]

SOURCES: dict[str, str] = {
    "F21": "[F21] MicrosoftDocs/azure-docs flexible-virtual-machine-scale-sets.md (10/13/2021)",
    "OM": "[OM] MicrosoftDocs/azure-compute-docs "
    "virtual-machine-scale-sets-orchestration-modes.md (06/14/2024)",
    "SUP-FD": "[SUP] SupportArticles-docs vmss-invalid-parameter-fault-domain-count.md (01/31/2023)",
    "SUP-SPG": "[SUP] SupportArticles-docs vmss-invalid-parameter-single-placement-group.md (01/31/2023)",
    "SUP-OUT": "[SUP] SupportArticles-docs vmss-outbound-connectivity-not-enabled.md (01/31/2023)",
    "FD": "[FD] azure-compute-docs virtual-machine-scale-sets-manage-fault-domains.md (09/02/2025)",
    "AD": "[AD] azure-compute-docs virtual-machine-scale-sets-attach-detach-vm.md (04/23/2025)",
    "SPM": "[SPM] azure-compute-docs spot-priority-mix.md (05/19/2026)",
    "MIG": "[MIG] azure-compute-docs flexible-virtual-machine-scale-sets-migration-resources.md (05/19/2026)",
    "NAT": "[NAT] azure-docs load-balancer-nat-pool-migration.md (01/28/2025)",
    "BLB": "[BLB] azure-docs load-balancer-basic-upgrade-guidance.md (09/27/2023)",
    "ULTRA": "Azure/azure-rest-api-specs#37621 (2025-09-22); Azure/azure-cli#32487",
    "ID": "Azure/bicep-registry-modules#2671 (InvalidParameter 'SystemAssigned' ... not allowed)",
    "ADH": "[ADH] azure-compute-docs dedicated-hosts.md (1/25/2023), dedicated-hosts/how-to.md (09/25/2026)",
    "UP": "[UP] azure-compute-docs virtual-machine-scale-sets-upgrade-policy.md (05/19/2026)",
    "ROLL": "[ROLL] virtual-machine-scale-sets-configure-rolling-upgrades.md (05/19/2026)",
    "NET": "[NET] azure-compute-docs virtual-machine-scale-sets-networking.md (05/19/2026)",
    "DOA": "[DOA] azure-docs default-outbound-access.md (12/03/2025)",
    "NAV": "kubernetes-sigs/cloud-provider-azure#2697 "
    "(NetworkApiVersionMustBeSpecifiedWithNetworkInterfaceConfigurations)",
    "OV": "[OV] azure-compute-docs overview.md (05/19/2026)",
    "SP": "[SP] virtual-machine-scale-sets-scaling-profile.md (05/19/2026)",
    "NAMES": "Microsoft Learn 'Naming rules for Azure resources' (Microsoft.Compute); Terraform azurerm "
    "validate/virtual_machine_name.go",
    "CNAME": "Terraform azurerm orchestrated_virtual_machine_scale_set (computer_name_prefix: Windows <= 9, "
    "Linux <= 58); Windows NetBIOS 15-character limit",
    "CDATA": "Compute REST API reference, OSProfile.customData ('The maximum length of the binary array is "
    "65535 bytes'), learn.microsoft.com/rest/api/compute/virtual-machines/create-or-update; "
    "learn.microsoft.com/azure/virtual-machines/custom-data ('The size can't exceed 64 KB')",
    "UDATA": "learn.microsoft.com/azure/virtual-machines/user-data ('The contents should be base64 encoded "
    "before passed to the API. The size can't exceed 64 KB')",
    "IM": "[IM]/[IMC]/[IMF] azure-compute-docs instance-mix-overview.md, instance-mix-create.md, "
    "instance-mix-faq-troubleshooting.md (05/19/2026)",
    "TF-SPOT": "Terraform azurerm orchestrated VMSS validators "
    "(max_bid_price, eviction_policy, priority_mix)",
    "SKUS": "Resource SKUs API (Compute 2021-07-01 skus.json); az vm list-skus filtering "
    "(NotAvailableForSubscription; QuotaId ignored)",
    "B1LS": "MicrosoftDocs/azure-docs#102050 (2022-11): Flex 'cannot use VM Size Standard_B1ls'",
    "AZ": "[AZ] virtual-machine-scale-sets-use-availability-zones.md (05/19/2026); "
    "[ZB] virtual-machine-scale-sets-zone-balancing.md (12/15/2025)",
    "AIR": "[AIR] virtual-machine-scale-sets-automatic-instance-repairs.md (05/19/2026); "
    "Terraform validators",
    "SIP": "[SIP] virtual-machine-scale-sets-scale-in-policy.md (05/19/2026); Azure/azure-cli#27392",
    "IP": "[IP] virtual-machine-scale-sets-instance-protection.md (05/19/2026)",
    "UPGA": "[UPGA] Azure Compute Blog GA of upgrade policies on Flex (2024-11-19)",
    "CLI16346": "Azure/azure-cli#16346 (fault domains are 0-based)",
    "ZBAL": "ComputeRP zoneBalance: 'If there are no zones or only one zone specified, then zoneBalance "
    "property should not be set'; Azure/azure-rest-api-specs#11805 (InvalidParameter)",
    "TAGS": "Microsoft Learn azure-resource-manager/management/tag-resources (Limitations); "
    "InvalidTagValueLength in Azure-Samples/azure-search-openai-demo#1997",
    "DETACH": "REST spec VirtualMachineScaleSetNetworkConfiguration/OSDisk/DataDisk deleteOption; "
    "InUseSubnetCannotBeDeleted from NICs left behind (hashicorp/terraform-provider-azurerm "
    "PR #28549 CI log; gardener/machine-controller-manager#544)",
    "SPOT-USE": "[SPOT] azure-compute-docs use-spot.md (04/01/2025: Try & restore shown with "
    "--orchestration-mode Flexible; disabled with autoscale)",
    "SPOT-RESTORE": "Azure/azure-cli#29461 (open: spot restore 'does not work for flexible "
    "orchestration'); MicrosoftDocs/azure-docs-cli#4474 (InvalidParameter 'The value of parameter "
    "spotRestorePolicy is invalid.'); Azure/azure-cli#20576 ('Spot restoration feature is supported only "
    "for Azure Spot Virtual Machine Scale Sets'); hashicorp/terraform-provider-azurerm#28816",
    "RCD": "[RCD] azure-compute-docs resilient-vm-create-delete.md (01/06/2026)",
    "AZB": "[AZB] azure-compute-docs auto-zone-balance-overview.md (04/18/2025), "
    "auto-zone-balance-enable.md (12/10/2025)",
    "AZP": "[AZP] azure-compute-docs virtual-machine-scale-sets-automatic-zone-placement.md (08/11/2026)",
}


def sources(*keys: str) -> str:
    """The spelled-out sources for ``keys``, joined with ``; ``."""
    return "; ".join(SOURCES[k] for k in keys)
