"""The emulated ``Microsoft.Resources`` resource groups.

``router`` serves create, get, HEAD (existence), PATCH, list and delete of resource groups,
plus ARM's ``/subscriptions/{sub}/operationresults/{token}`` endpoint that a group
deletion's ``Location`` header points at.
"""

from __future__ import annotations

from .models.groups import router

__all__ = ["router"]
