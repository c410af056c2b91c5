"""The facade users hold: :class:`FlexScaleSet` and the values it returns."""

from __future__ import annotations

from flexvmss._scaleset._facade import SET_TAG, FlexScaleSet, ScaleSetInfo, TeardownResult, VmInfo

__all__ = ["SET_TAG", "FlexScaleSet", "ScaleSetInfo", "TeardownResult", "VmInfo"]
