"""Header modules: helper files a UDF imports as plain modules (`import utils`).

Every UDF gets its own header modules, even when two UDFs both have a `utils`. While a UDF's
code executes, and again around each call, its header modules are put in `sys.modules` under their
names; afterwards whatever was there before is put back. Header modules import each other through
a finder that knows only this UDF's headers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

from ._errors import UDF_ERR_BAD_FOLDER, UdfLoadError

Saved = list[tuple[str, ModuleType | None]]


@dataclass(frozen=True)
class Header:
    """One header module: its import name, its source, and the file it came from.

    `source_file` is the name written in meta.json (relative to the UDF folder); `path` is the
    file the code was read from (used as the filename in tracebacks), not part of equality.
    """

    module_name: str
    source_code: str
    source_file: str | None = None
    path: str | None = field(default=None, compare=False)


def headers_from_arguments(
    entries: Sequence[object], base_dir: str | os.PathLike[str] | None
) -> list[Header]:
    """Headers from `@fused.udf(headers=[...])`: file paths, `(module_name, path)` pairs, or dicts.

    Dicts use meta.json's keys (`module_name` with `source_file` or `source_code`). Relative paths
    are read from `base_dir` (the UDF's folder or the defining file's folder), else the cwd.
    """
    headers: list[Header] = []
    for entry in entries:
        if isinstance(entry, Header):
            headers.append(entry)
        elif isinstance(entry, str | os.PathLike):
            path = _locate(entry, base_dir)
            headers.append(_read_header(path.stem, path, Path(entry).name))
        elif isinstance(entry, tuple | list) and len(entry) == 2:
            name, location = entry
            path = _locate(location, base_dir)
            headers.append(_read_header(str(name), path, Path(location).name))
        elif isinstance(entry, Mapping):
            headers.append(_header_from_mapping(entry, base_dir))
        else:
            raise TypeError(
                "a header is a file path, a (module_name, path) pair or a dict with "
                f"module_name and source_file or source_code, not {entry!r}"
            )
    return headers


class HeaderSet:
    """A UDF's header modules, executed once, installed in `sys.modules` around each call."""

    def __init__(self, headers: Sequence[Header], compiled: Mapping[str, CodeType]) -> None:
        self._headers = {header.module_name: header for header in headers}
        self._compiled = compiled
        self.modules: dict[str, ModuleType] = {}

    def header(self, module_name: str) -> Header | None:
        """The header of that module name, if this UDF has one."""
        return self._headers.get(module_name)

    @property
    def filenames(self) -> frozenset[str]:
        """The filenames the headers were compiled with, for telling the UDF's own frames."""
        return frozenset(code.co_filename for code in self._compiled.values())

    @contextmanager
    def importing(self) -> Iterator[None]:
        """Make only this UDF's headers importable by their names, executing them on import."""
        saved = [(name, sys.modules.pop(name, None)) for name in self._headers]
        finder = _HeaderFinder(self)
        sys.meta_path.insert(0, finder)
        try:
            yield
        finally:
            sys.meta_path.remove(finder)
            restore(saved)

    def import_all(self) -> None:
        """Execute every header module now (inside `importing`), in their listed order."""
        for name in self._headers:
            if name not in self.modules:
                __import__(name)

    def activate(self) -> Saved:
        """Install the header modules; returns what to give `restore` afterwards."""
        modules = sys.modules
        saved = [(name, modules.get(name)) for name in self.modules]
        modules.update(self.modules)
        return saved

    def execute(self, module: ModuleType) -> None:
        """Execute one header's code in its module (called by the finder's loader)."""
        header = self._headers[module.__name__]
        module.__dict__.setdefault("fused", sys.modules["fused"])
        if header.path:
            module.__file__ = header.path
        self.modules[header.module_name] = module
        exec(self._compiled[header.module_name], module.__dict__)


def restore(saved: Saved) -> None:
    """Put back what `HeaderSet.activate` replaced in `sys.modules`."""
    modules = sys.modules
    for name, previous in saved:
        if previous is None:
            modules.pop(name, None)
        else:
            modules[name] = previous


class _HeaderFinder:
    """A meta path finder (and loader) for one UDF's header modules."""

    def __init__(self, headers: HeaderSet) -> None:
        self._headers = headers

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> ModuleSpec | None:
        header = self._headers.header(fullname) if path is None else None
        if header is None:
            return None
        spec = ModuleSpec(fullname, self, origin=header.path)  # type: ignore[arg-type]
        spec.has_location = header.path is not None
        return spec

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        self._headers.execute(module)


def _header_from_mapping(
    entry: Mapping[Any, Any], base_dir: str | os.PathLike[str] | None
) -> Header:
    name = entry.get("module_name")
    code = entry.get("source_code")
    source_file = entry.get("source_file")
    if isinstance(code, str):
        if not isinstance(name, str):
            raise TypeError(f"a header with source_code needs a module_name: {dict(entry)!r}")
        return Header(name, code, source_file if isinstance(source_file, str) else None)
    if not isinstance(source_file, str):
        raise TypeError(f"a header needs source_file or source_code: {dict(entry)!r}")
    path = _locate(source_file, base_dir)
    return _read_header(name if isinstance(name, str) else path.stem, path, source_file)


def _locate(location: object, base_dir: str | os.PathLike[str] | None) -> Path:
    path = Path(os.fspath(location))  # type: ignore[call-overload]
    if not path.is_absolute() and base_dir is not None and (Path(base_dir) / path).exists():
        path = Path(base_dir) / path
    return path.absolute()


def _read_header(module_name: str, path: Path, source_file: str) -> Header:
    try:
        code = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UdfLoadError(
            f"cannot read header module '{module_name}' from {path}: {exc.strerror or exc}",
            code=UDF_ERR_BAD_FOLDER,
            file=str(path),
        ) from exc
    return Header(module_name, code, source_file, str(path))
