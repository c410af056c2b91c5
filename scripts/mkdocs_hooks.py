"""mkdocs hooks for the flexvmss site.

The library's docstrings use Sphinx roles (``:class:`~flexvmss.PreflightError```), which
mkdocstrings renders literally. This hook turns each role into plain code, shortened the way
Sphinx shortens a ``~`` target (``PreflightError``).
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|meth|func|attr|mod|data|exc|obj|const):<code>(~?)([^<]+)</code>")


def _code(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_code, html)
