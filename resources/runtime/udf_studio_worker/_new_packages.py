"""Packages installed while the worker runs become importable without restarting it.

Python's import system caches each path entry's listing, so a package that `udf-studio install`
(or pip) adds to site-packages after the worker started is not found until the caches are dropped.
Adding a package changes its site-packages folder's modification time: one `stat` per request
tells when to drop them.
"""

from __future__ import annotations

import importlib
import sysconfig
from pathlib import Path

_SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
_seen: list[float] = []


def notice_new_packages() -> bool:
    """Drop the import caches when site-packages changed since the last call; True when it did."""
    try:
        changed = _SITE_PACKAGES.stat().st_mtime
    except OSError:
        return False
    if _seen and _seen[0] == changed:
        return False
    first = not _seen
    _seen[:] = [changed]
    if first:
        return False
    importlib.invalidate_caches()
    return True
