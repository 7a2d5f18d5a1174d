"""The package lists kept beside the runtime: Fused's image, import names, requirements files.

- `fused-image-packages.txt`: every package of Fused's realtime image with its version (facts
  copied from Fused's published list), so a missing import can name the version Fused runs and
  `udf-studio install` can pin it.
- `module-packages.txt`: import names whose package is named otherwise (`sklearn scikit-learn`).
- `requirements*.txt`: the runtime's pins.

Only the standard library is imported here: the worker reads these lists when a UDF fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parents[1]
FUSED_IMAGE_FILE = RUNTIME_DIR / "fused-image-packages.txt"
MODULE_MAP_FILE = RUNTIME_DIR / "module-packages.txt"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==\s*([^\s;#]+))?")


class PackageListError(ValueError):
    """A package list file has a line that is not what its format says."""


def normalize(name: str) -> str:
    """A package name as the package index compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _lines(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            found.append((number, line))
    return found


def read_fused_image(path: Path = FUSED_IMAGE_FILE) -> dict[str, str | None]:
    """Package -> Fused's version (None for a package installed from git, with no version)."""
    packages: dict[str, str | None] = {}
    for number, line in _lines(path):
        match = _PIN.fullmatch(line)
        if match is None:
            raise PackageListError(f"{path}:{number}: expected `name==version`, got {line!r}")
        packages[normalize(match.group(1))] = match.group(2)
    return packages


def read_requirement_names(path: Path) -> set[str]:
    """The (normalized) package names a requirements file pins; empty when it does not exist."""
    if not path.exists():
        return set()
    names = set()
    for number, line in _lines(path):
        if line.startswith("-"):
            continue
        match = _PIN.match(line)
        if match is None:
            raise PackageListError(f"{path}:{number}: not a requirement: {line!r}")
        names.add(normalize(match.group(1)))
    return names


@dataclass(frozen=True)
class ModuleMap:
    """Import name -> package name, for the names that differ (the rest: `x_y` -> `x-y`)."""

    exceptions: dict[str, str]

    @classmethod
    def read(cls, path: Path = MODULE_MAP_FILE) -> ModuleMap:
        exceptions: dict[str, str] = {}
        for number, line in _lines(path):
            parts = line.split()
            if len(parts) != 2:
                raise PackageListError(f"{path}:{number}: expected `module package`, got {line!r}")
            exceptions[parts[0]] = normalize(parts[1])
        return cls(exceptions)

    def package_for(self, module: str) -> str:
        """The package that provides `module` (a dotted name: the longest listed prefix wins)."""
        parts = module.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in self.exceptions:
                return self.exceptions[prefix]
        return normalize(parts[0])


@lru_cache(maxsize=1)
def fused_image() -> dict[str, str | None]:
    """Fused's image, read once per process."""
    return read_fused_image()


@lru_cache(maxsize=1)
def module_map() -> ModuleMap:
    """The import-name table, read once per process."""
    return ModuleMap.read()
