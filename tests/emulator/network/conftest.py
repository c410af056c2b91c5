"""Fixtures for the network provider tests (the harness lives in net_harness.py)."""

from net_harness import h, vnet

__all__ = ["h", "vnet"]
