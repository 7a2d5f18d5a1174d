"""What to tell a user whose UDF imports a module the runtime lacks.

The error names the module, the package that provides it and, when Fused's image has that package,
the version Fused runs, with the command that installs it (`udf-studio install PACKAGE`, which pins
Fused's version). The facts come from the lists beside the runtime (`_package_lists`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ._package_lists import PackageListError, fused_image, module_map

# Modules of Fused's own servers, which no package provides: the official client (fused 2.9.5)
# imports `job2` only in code meant to run there, and its error says the module is typically
# available only in Fused's execution environment.
FUSED_SERVER_MODULES: Final = frozenset({"job2"})


@dataclass(frozen=True)
class MissingPackage:
    """A module that did not import, and what would provide it."""

    module: str
    package: str
    fused_version: str | None
    in_fused_image: bool

    @property
    def requirement(self) -> str:
        """What `udf-studio install` would install: Fused's version when known."""
        return f"{self.package}=={self.fused_version}" if self.fused_version else self.package

    def message(self) -> str:
        if self.in_fused_image:
            fused = f"{self.package}=={self.fused_version}" if self.fused_version else self.package
            return (
                f"No module named '{self.module}': the package {self.package} provides it and "
                f"Fused's image has {fused}, but this runtime does not. Install it with "
                f"`udf-studio install {self.package}` (or the window's Install button)."
            )
        return (
            f"No module named '{self.module}': the runtime has no package {self.package}, and "
            f"Fused's published package list does not name it either. If a package provides it, "
            f"install that with `udf-studio install PACKAGE`; some modules (such as job2) exist "
            f"only on Fused's own servers."
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "package": self.package,
            "fusedVersion": self.fused_version,
            "inFusedImage": self.in_fused_image,
            "requirement": self.requirement,
        }


def fused_server_module(exc: BaseException) -> str | None:
    """The module of Fused's own servers a ModuleNotFoundError names, or None."""
    found = _module_not_found(exc)
    name = (found.name or "").split(".")[0] if found is not None else ""
    return name if name in FUSED_SERVER_MODULES else None


def fused_server_message(module: str) -> str:
    """Why a UDF that imports a module of Fused's own servers cannot run here."""
    return (
        f"No module named '{module}': {module} is a module of Fused's own servers, not a package "
        f"that can be installed (the official client imports it only in code meant for Fused's "
        f"execution environment), so this UDF runs only on Fused."
    )


def missing_package(exc: BaseException) -> MissingPackage | None:
    """The package behind a ModuleNotFoundError (the exception or what it was raised from)."""
    found = _module_not_found(exc)
    if found is None or not found.name:
        return None
    try:
        package = module_map().package_for(found.name)
        image = fused_image()
    except (OSError, PackageListError):
        # The lists are a help for the message; a broken list must not hide the UDF's error.
        return None
    return MissingPackage(
        # Python names the first part of a dotted import that was not found (`sklearn`).
        module=found.name,
        package=package,
        fused_version=image.get(package),
        in_fused_image=package in image,
    )


def _module_not_found(exc: BaseException) -> ModuleNotFoundError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ModuleNotFoundError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
