"""State and behaviour of resource groups (no HTTP)."""
