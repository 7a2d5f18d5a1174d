"""The shared disk (`/mnt/cache` in UDF code) and the bucket (`fd://`), as real local folders.

The shared disk is `$UDF_STUDIO_HOME/mnt/cache` and the bucket `$UDF_STUDIO_HOME/fd`
(`UDF_STUDIO_HOME` defaults to `~/.udf-studio`). Every process that runs UDFs (the worker pool, a
plain script) sees the same folders, so files written there are shared and persist.

UDF code names them literally (`open('/mnt/cache/.env', 'w')`): `map_paths_in_tree` rewrites such
string constants in a UDF's syntax tree before it is compiled, so third-party libraries receive
real paths. An `.env` file on the shared disk is loaded into the environment of each run.
"""

from __future__ import annotations

import ast
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Final

HOME_ENV: Final = "UDF_STUDIO_HOME"
MOUNT: Final = "/mnt/cache"
BUCKET_PREFIX: Final = "fd://"
ENV_FILE: Final = ".env"

_home_memo: tuple[str | None, Path] | None = None
_env_signature: tuple[str, int, int, int] | None = None


def studio_home() -> Path:
    """The home folder: `$UDF_STUDIO_HOME`, else `~/.udf-studio` (absolute)."""
    global _home_memo
    configured = os.environ.get(HOME_ENV) or None
    memo = _home_memo
    if memo is not None and memo[0] == configured:
        return memo[1]
    home = Path(configured).expanduser() if configured else Path.home() / ".udf-studio"
    home = home.absolute()
    _home_memo = (configured, home)
    return home


def shared_disk(*, create: bool = False) -> Path:
    """The shared disk's folder (`/mnt/cache` in UDF code), created when `create`."""
    folder = studio_home() / "mnt" / "cache"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def bucket(*, create: bool = False) -> Path:
    """The bucket's folder (`fd://` in UDF code), created when `create`."""
    folder = studio_home() / "fd"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def is_mount_path(text: str) -> bool:
    """True for `/mnt/cache` and paths under it (not `/mnt/cachex`)."""
    return text.startswith(MOUNT) and (len(text) == len(MOUNT) or text[len(MOUNT)] == "/")


def map_path(text: str) -> str:
    """`/mnt/cache[/...]` and `fd://...` as real local paths; any other text as it is."""
    if is_mount_path(text):
        return str(_existing(shared_disk())) + text[len(MOUNT) :]
    if text.startswith(BUCKET_PREFIX):
        return str(_existing(bucket())) + "/" + text[len(BUCKET_PREFIX) :].lstrip("/")
    return text


def _existing(folder: Path) -> Path:
    """The folder, created if possible (code writing under it then just works)."""
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    return folder


STORAGES: Final = ("auto", "mount", "local", "object")


def storage_folder(storage: str = "auto") -> Path:
    """Where `fused.file_path` and `fused.download` keep files for the SDK's `storage` choices:
    "auto" and "mount" the shared disk, "local" this machine's temporary folder (not shared with
    runs elsewhere, as on Fused), "object" the bucket (`fd://`)."""
    if storage in ("auto", "mount"):
        return shared_disk()
    if storage == "local":
        return Path(tempfile.gettempdir())
    if storage == "object":
        return bucket()
    raise ValueError(f"storage must be one of {', '.join(STORAGES)}: {storage!r}")


def on_shared_disk(path: str | os.PathLike[str], storage: str = "auto") -> Path:
    """A path in the storage's folder (the shared disk by default): relative paths are under it,
    `/mnt/cache/...` and `fd://...` are mapped.

    An absolute path must already be in that folder (as a mapped literal is); anything else, or
    a relative path that climbs out with `..`, is a `ValueError`.
    """
    text = map_path(os.fspath(path))
    root = storage_folder(storage)
    candidate = Path(text)
    if not candidate.is_absolute():
        candidate = root / candidate
    resolved = Path(os.path.normpath(candidate))
    if resolved != root and root not in resolved.parents:
        where = "on the shared disk" if storage in ("auto", "mount") else f"in {root}"
        raise ValueError(
            f"{os.fspath(path)!r} is not {where}: give a relative path or one under "
            f"{MOUNT if storage in ('auto', 'mount') else root} (it lands in {root})"
        )
    return resolved


def file_path(file_path: str | os.PathLike[str], mkdir: bool = True, storage: str = "auto") -> str:
    """`fused.file_path`: a path under the shared disk (`/mnt/cache/...` mapped too), or under the
    folder of another `storage` (see `storage_folder`).

    A path whose last part has no suffix names a folder (`"tiles"`, `"out/"`); with `mkdir` the
    folder is created, and for a file (`"out/data.parquet"`) its parent. An absolute path
    elsewhere is returned as it is (with the same folder creation).
    """
    text = map_path(os.fspath(file_path))
    result = Path(text) if Path(text).is_absolute() else storage_folder(storage) / text
    if mkdir:
        is_folder = text.endswith(("/", os.sep)) or not result.suffix
        (result if is_folder else result.parent).mkdir(parents=True, exist_ok=True)
    return str(result)


def mentions_mapped_paths(code: str) -> bool:
    """A cheap test for whether `map_paths_in_tree` could change anything in this source."""
    return MOUNT in code or BUCKET_PREFIX in code


def map_paths_in_tree(tree: ast.Module) -> ast.Module:
    """Rewrite `/mnt/cache` and `fd://` string literals (and f-strings starting with them).

    Only constant values change, in place: every node keeps its position, so line numbers in
    tracebacks stay those of the source.
    """
    _PathLiterals().visit(tree)
    return tree


class _PathLiterals(ast.NodeVisitor):
    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            node.value = map_path(node.value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        # Only the leading literal part is a path prefix; later literal parts stay as written.
        for index, part in enumerate(node.values):
            if isinstance(part, ast.Constant):
                if index == 0 and isinstance(part.value, str):
                    part.value = map_path(part.value)
            else:
                self.visit(part)


def load_env_file() -> bool:
    """Load the shared disk's `.env` into `os.environ` (override=True) when it has changed.

    Called before each run by the worker: one `stat` when nothing changed. True when it was read.
    """
    global _env_signature
    path = shared_disk() / ENV_FILE
    try:
        stat = path.stat()
    except OSError:
        _env_signature = None
        return False
    signature = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    if signature == _env_signature:
        return False
    _env_signature = signature
    try:
        from dotenv import load_dotenv
    except ImportError:
        print(
            "fused: python-dotenv is not installed; the shared .env is not loaded",
            file=sys.__stderr__,
        )
        return False
    load_dotenv(path, override=True)
    return True
