"""The shared disk (`/mnt/cache` in UDF code) and the bucket (`fd://`), as real local folders.

The shared disk is `$UDF_STUDIO_HOME/mnt/cache` and the bucket `$UDF_STUDIO_HOME/fd`
(`UDF_STUDIO_HOME` defaults to `~/.udf-studio`). Every process that runs UDFs (the worker pool, a
plain script) sees the same folders, so files written there are shared and persist.

UDF code names them literally (`open('/mnt/cache/.env', 'w')`): `map_paths_in_tree` rewrites such
string constants in a UDF's syntax tree before it is compiled, so third-party libraries receive
real paths. An `.env` file on the shared disk is loaded into the environment of each run.

Mapped paths are normalised, and one whose `..` climbs above the shared disk or the bucket is
refused: the home above them holds the private token. Paths a UDF builds from its parameters with
an f-string, `+` or `os.path.join` on a literal `/mnt/cache` are mapped (and checked) when they
are built; a UDF's code itself runs with the user's rights and can open any file it names.
"""

from __future__ import annotations

import ast
import contextlib
import os
import posixpath
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
_env_file_memo: tuple[Path, Path] | None = None


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


class PathEscapeError(ValueError):
    """A `/mnt/cache` or `fd://` path whose `..` climbs out of the folder it names."""


def map_path(text: str) -> str:
    """`/mnt/cache[/...]` and `fd://...` as real local paths, normalised; any other text as it is.

    Raises `PathEscapeError` for one whose `..` leaves the shared disk or the bucket.
    """
    if is_mount_path(text):
        return _inside(_existing(shared_disk()), text[len(MOUNT) :], text, MOUNT)
    if text.startswith(BUCKET_PREFIX):
        return _inside(_existing(bucket()), text[len(BUCKET_PREFIX) :], text, BUCKET_PREFIX)
    return text


def _inside(root: Path, rest: str, text: str, name: str) -> str:
    """`rest` (what follows the prefix) under `root`, `.` and `..` resolved, a final `/` kept."""
    relative = posixpath.normpath(rest.lstrip("/") or ".")
    if relative == ".." or relative.startswith("../"):
        raise PathEscapeError(f"{text!r} climbs out of {name} with '..'")
    if relative == ".":
        return f"{root}/" if rest.endswith("/") else str(root)
    mapped = f"{root}/{relative}"
    return f"{mapped}/" if rest.endswith("/") else mapped


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
    elsewhere is returned as it is (with the same folder creation); a relative one or a
    `/mnt/cache` one that climbs out of its folder with `..` is a `PathEscapeError`.
    """
    text = map_path(os.fspath(file_path))
    if Path(text).is_absolute():
        result = Path(text)
    else:  # a relative path stays in the folder: `..` may not climb out of it
        result = Path(_inside(storage_folder(storage), text, text, str(storage_folder(storage))))
    if mkdir:
        is_folder = text.endswith(("/", os.sep)) or not result.suffix
        (result if is_folder else result.parent).mkdir(parents=True, exist_ok=True)
    return str(result)


def mentions_mapped_paths(code: str) -> bool:
    """A cheap test for whether `map_paths_in_tree` could change anything in this source."""
    return MOUNT in code or BUCKET_PREFIX in code


def map_paths_in_tree(tree: ast.Module, filename: str = "<udf>") -> ast.Module:
    """Rewrite `/mnt/cache` and `fd://` string literals; map paths built on one when they are built.

    A literal is mapped now. An f-string that starts with one, a `+` chain whose first operand is
    one and an `os.path.join` whose first argument is one are wrapped in a call to `map_path`, so
    what a parameter adds is checked too. Every node keeps its position, so line numbers in
    tracebacks stay those of the source. A literal that climbs out is a `SyntaxError` at its line.
    """
    _PathLiterals(filename).visit(tree)
    return tree


def _starts_with_prefix(node: ast.expr) -> bool:
    """Whether an expression is a string literal naming the shared disk or the bucket."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and (
        is_mount_path(node.value) or node.value.startswith(BUCKET_PREFIX)
    )


def _leftmost(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        node = node.left
    return node


def _is_path_join(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute):
        name = func.attr
    else:
        name = func.id if isinstance(func, ast.Name) else ""
    return name == "join" and bool(node.args) and _starts_with_prefix(node.args[0])


def _mapped_at_run_time(node: ast.expr) -> ast.Call:
    """`node` wrapped in `map_path(...)`, found through `__import__`: no name needed in scope."""
    runtime = ast.Call(
        func=ast.Name("__import__", ast.Load()),
        args=[ast.Constant("fused._shared_disk")],
        keywords=[ast.keyword("fromlist", ast.List([ast.Constant("map_path")], ast.Load()))],
    )
    call = ast.Call(func=ast.Attribute(runtime, "map_path", ast.Load()), args=[node], keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, node))


class _PathLiterals(ast.NodeTransformer):
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if isinstance(node.value, str):
            try:
                node.value = map_path(node.value)
            except PathEscapeError as exc:
                position = (self.filename, node.lineno, node.col_offset + 1, None)
                raise SyntaxError(str(exc), position) from None
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        # Literal parts stay as written (a leading prefix is mapped with the rest, at run time).
        for index, part in enumerate(node.values):
            if not isinstance(part, ast.Constant):
                node.values[index] = self.visit(part)
        if node.values and _starts_with_prefix(node.values[0]):
            return _mapped_at_run_time(node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        if isinstance(node.op, ast.Add) and _starts_with_prefix(_leftmost(node)):
            self._visit_operands(node)
            return _mapped_at_run_time(node)
        self.generic_visit(node)
        return node

    def _visit_operands(self, node: ast.BinOp) -> None:
        """Visits a `+` chain's operands but its leading literal (map_path maps it at run time)."""
        current: ast.expr = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
            current.right = self.visit(current.right)
            current = current.left

    def visit_Call(self, node: ast.Call) -> ast.expr:
        if _is_path_join(node):
            node.args[1:] = [self.visit(arg) for arg in node.args[1:]]
            node.keywords = [self.visit(keyword) for keyword in node.keywords]
            node.func = self.visit(node.func)
            return _mapped_at_run_time(node)
        self.generic_visit(node)
        return node


def _env_file() -> Path:
    """The shared disk's `.env`, built once per home: this runs before every request."""
    global _env_file_memo
    home = studio_home()
    memo = _env_file_memo
    if memo is None or memo[0] is not home:
        memo = _env_file_memo = (home, shared_disk() / ENV_FILE)
    return memo[1]


def load_env_file() -> bool:
    """Load the shared disk's `.env` into `os.environ` (override=True) when it has changed.

    Called before each run by the worker: one `stat` when nothing changed. True when it was read.
    """
    global _env_signature
    path = _env_file()
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
