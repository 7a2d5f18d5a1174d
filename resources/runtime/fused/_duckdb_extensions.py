"""DuckDB's spatial and httpfs extensions, offline, as UDFs written for Fused load them.

UDFs run `INSTALL spatial; LOAD spatial;` (Fused's `common.duckdb_connect` first sets
`home_directory`), which downloads the extension from DuckDB's servers. The runtime instead has
them as packages from the index (`duckdb-extension-spatial`, `-httpfs`, built for the pinned
DuckDB). Every connection gets an `extension_directory` in the runtime where those files are
linked under DuckDB's own layout (`v1.4.4/linux_amd64/spatial.duckdb_extension`): `INSTALL` then
finds them installed and does nothing, `LOAD` loads them, and no network is needed. The directory
is set explicitly, so a later `SET home_directory` does not move it; a connection that sets its own
`extension_directory` keeps it. Other extensions still install from DuckDB's servers when online.
"""

from __future__ import annotations

import platform
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from ._import_hooks import after_import

EXTENSIONS_FOLDER = "duckdb-extensions"
PACKAGE_PREFIX = "duckdb_extension_"
# Python's names for machines -> DuckDB's platform names.
_MACHINES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
_SYSTEMS = {"linux": "linux", "darwin": "osx", "windows": "windows"}


def extension_directory() -> Path:
    """Where the runtime's connections keep their extensions (inside the runtime's venv)."""
    return Path(sys.prefix) / EXTENSIONS_FOLDER


def duckdb_platform() -> str:
    """DuckDB's name for this platform, such as `linux_amd64`."""
    system = _SYSTEMS.get(platform.system().lower(), platform.system().lower())
    machine = _MACHINES.get(platform.machine().lower(), platform.machine().lower())
    return f"{system}_{machine}"


def bundled_extensions(version: str) -> dict[str, Path]:
    """Extension name -> file, for the `duckdb-extension-*` packages built for `version`."""
    found: dict[str, Path] = {}
    for entry in sys.path:
        folder = Path(entry or ".")
        if not folder.is_dir():
            continue
        for file in folder.glob(f"{PACKAGE_PREFIX}*/extensions/v{version}/*.duckdb_extension"):
            found.setdefault(file.name.removesuffix(".duckdb_extension"), file)
    return found


def prepare_extension_directory(version: str) -> Path:
    """Links the bundled extensions into DuckDB's layout under the runtime; returns the folder."""
    root = extension_directory()
    target = root / f"v{version}" / duckdb_platform()
    for name, file in bundled_extensions(version).items():
        link = target / f"{name}.duckdb_extension"
        if link.exists():
            continue
        target.mkdir(parents=True, exist_ok=True)
        try:
            link.symlink_to(file)
        except FileExistsError:
            pass  # another worker linked it meanwhile
        except OSError:
            shutil.copyfile(file, link)  # no symlinks here (Windows without the right)
    return root


def configure(duckdb: ModuleType) -> None:
    """Points `duckdb.connect()` and the default connection at the runtime's extension folder."""
    try:
        folder = str(prepare_extension_directory(str(duckdb.__version__)))
    except OSError:
        return  # a read-only runtime: DuckDB keeps its own default folder
    connect: Callable[..., Any] = duckdb.connect

    def connect_with_extensions(
        database: Any = ":memory:", read_only: bool = False, config: Any = None, **kwargs: Any
    ) -> Any:
        settings = dict(config or {})
        settings.setdefault("extension_directory", folder)
        return connect(database, read_only, settings, **kwargs)

    connect_with_extensions.__doc__ = connect.__doc__
    duckdb.connect = connect_with_extensions  # type: ignore[attr-defined]
    quoted = folder.replace("'", "''")
    duckdb.default_connection().execute(f"SET extension_directory = '{quoted}'")


def install_hook() -> None:
    """Configures DuckDB when a UDF first imports it (or now, if it already has been)."""
    after_import("duckdb", configure)
