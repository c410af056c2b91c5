"""The doc tests' fixtures live in ``docsupport.py`` (a module of its own name: several test
folders have a ``conftest``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from docsupport import fresh_served, served

__all__ = ["fresh_served", "served"]
