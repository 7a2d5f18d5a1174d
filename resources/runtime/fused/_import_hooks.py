"""Running code right after a library is first imported, without importing it before a UDF does.

The runtime adjusts a few libraries the way Fused's image has them set up (DuckDB's extension
folder); importing them eagerly would slow every worker's start for UDFs that never use them.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType

_lock = threading.Lock()


class _Loader(importlib.abc.Loader):
    """The module's own loader, then the callback."""

    def __init__(self, inner: importlib.abc.Loader, callback: Callable[[ModuleType], None]):
        self._inner = inner
        self._callback = callback

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        _call_safely(self._callback, module)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds `name` once with the other finders and wraps its loader."""

    def __init__(self, name: str, callback: Callable[[ModuleType], None]):
        self.name = name
        self.callback = callback

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        with _lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader, self.callback)
        return spec


def after_import(name: str, callback: Callable[[ModuleType], None]) -> None:
    """Calls `callback(module)` once `name` is imported (at once when it already is).

    A callback that fails is reported on stderr and otherwise ignored: the library still works
    as it would without the adjustment.
    """
    module = sys.modules.get(name)
    if module is not None:
        _call_safely(callback, module)
        return
    with _lock:
        sys.meta_path.insert(0, _Finder(name, callback))


def _call_safely(callback: Callable[[ModuleType], None], module: ModuleType) -> None:
    try:
        callback(module)
    except Exception as exc:  # never break the library's import
        if sys.__stderr__ is not None:
            sys.__stderr__.write(f"udf-studio: setting up {module.__name__} failed: {exc!r}\n")
