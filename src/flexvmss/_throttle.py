"""TEMPORARY alias (issue 10): the throttle policy lives in :mod:`flexvmss._pipeline` now.

The facade on this branch (``_scaleset.py``, split on another branch) still imports
``ThrottleConfig`` from here. Delete this module once the facade imports
``flexvmss._pipeline`` instead; nothing else uses it.
"""

from __future__ import annotations

from flexvmss._pipeline._throttle import ThrottleConfig

__all__ = ["ThrottleConfig"]
