"""HTTP handlers of resource groups."""
