"""Fixtures for the resource-group tests (the harness lives in rg_harness.py)."""

from rg_harness import h

__all__ = ["h"]
