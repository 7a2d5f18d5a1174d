"""`@fused.cache`: a function's return values kept on the shared disk, keyed by code and arguments.

The key hashes the function's source (or, without source, its code object), its arguments bound
to its signature (defaults applied, `cache_key_exclude` left out, pandas, numpy and shapely values
hashed by content) and the max age. A value is stored with pickle in
`<shared disk>/cached_data/<function name>/<key>.pickle` (or in `cache_folder_path`), written to a
temporary file and moved into place, so readers never see half a file. While one caller computes
a key, callers in other threads and processes wait on the key's lock file (see `_cache_lock`).
Failed calls store nothing.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import pickle
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from types import CodeType
from typing import Any, Final, TypeVar, overload

from ._cache_lock import FileLock
from ._shared_disk import map_path, shared_disk

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

DEFAULT_LOCK_TIMEOUT_S: Final = 120
# The SDK's default `cache_folder_path`: here, a folder per function under `cached_data`.
DEFAULT_FOLDER: Final = "tmp"
PICKLE_PROTOCOL: Final = 5
_KEY_VERSION: Final = b"udf-studio-cache-1\0"
_MAX_AGE = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_STORAGES: Final = (None, "local", "mount", "auto")

# Option names (new, then the older alias that means the same).
_ALIASES: Final = {"path": "cache_folder_path", "reset": "cache_reset", "storage": "cache_storage"}
OPTION_NAMES: Final = frozenset(
    {
        "cache_max_age",
        "cache_folder_path",
        "concurrent_lock_timeout",
        "cache_reset",
        "cache_storage",
        "cache_key_exclude",
        "cache_verbose",
        *_ALIASES,
    }
)
CACHE_ID: Final = "_cache_id"


@dataclass(frozen=True)
class CacheSettings:
    """The options of one call, checked and with defaults filled in."""

    max_age_s: float
    folder: str | None
    lock_timeout_s: float
    reset: bool
    verbose: bool | None
    key_exclude: frozenset[str]


def max_age_seconds(value: object) -> float:
    """`cache_max_age` in seconds: an int (seconds) or a string like "30s", "10m", "24h", "7d"."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(
            f"cache_max_age must be an int of seconds or a string like '24h': {value!r}"
        )
    if isinstance(value, str):
        found = _MAX_AGE.match(value)
        if found is None:
            raise ValueError(f"cache_max_age must look like 30s, 10m, 24h or 7d: {value!r}")
        return float(int(found.group(1)) * _UNIT_SECONDS[found.group(2)])
    if value < 0:
        raise ValueError(f"cache_max_age must not be negative: {value!r}")
    return float(value)


def sent_max_age(cache: bool, cache_max_age: int | str | None) -> int | None:
    """A call's cache age as a request sends it: whole seconds, 0 for `cache=False`, else None."""
    if not cache:
        return 0
    if cache_max_age is None:
        return None
    return int(max_age_seconds(cache_max_age))


def settings_from(options: Mapping[str, Any]) -> CacheSettings:
    """Check options (new names or their older aliases, None meaning not given)."""
    merged = dict(options)
    for old, new in _ALIASES.items():
        if merged.get(new) is None and merged.get(old) is not None:
            merged[new] = merged[old]
    max_age = merged.get("cache_max_age")
    timeout = merged.get("concurrent_lock_timeout")
    if timeout is None:
        timeout = DEFAULT_LOCK_TIMEOUT_S
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError(
            f"concurrent_lock_timeout must be a positive number of seconds: {timeout!r}"
        )
    storage = merged.get("cache_storage")
    if storage not in _STORAGES:
        raise ValueError(
            f"cache_storage must be 'local', 'mount' or None (both: the shared disk): {storage!r}"
        )
    folder = merged.get("cache_folder_path")
    if folder is not None and not isinstance(folder, str | os.PathLike):
        raise ValueError(f"cache_folder_path must be a path: {folder!r}")
    exclude = merged.get("cache_key_exclude")
    if isinstance(exclude, str):
        exclude = [exclude]
    if exclude is not None and not (
        isinstance(exclude, Iterable) and all(isinstance(name, str) for name in exclude)
    ):
        raise ValueError(f"cache_key_exclude must be a list of argument names: {exclude!r}")
    verbose = merged.get("cache_verbose")
    return CacheSettings(
        max_age_s=max_age_seconds(_default_max_age() if max_age is None else max_age),
        folder=os.fspath(folder) if folder is not None else None,
        lock_timeout_s=float(timeout),
        reset=bool(merged.get("cache_reset")),
        verbose=None if verbose is None else bool(verbose),
        key_exclude=frozenset(exclude or ()),
    )


@overload
def cache(func: F, /) -> F: ...


@overload
def cache(
    func: None = None,
    cache_max_age: int | str | None = None,
    cache_folder_path: str | os.PathLike[str] | None = DEFAULT_FOLDER,
    concurrent_lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT_S,
    cache_reset: bool | None = None,
    cache_storage: str | None = None,
    cache_key_exclude: Iterable[str] | None = None,
    cache_verbose: bool | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    reset: bool | None = None,
    storage: str | None = None,
) -> Callable[[F], F]: ...


def cache(
    func: F | None = None,
    cache_max_age: int | str | None = None,
    cache_folder_path: str | os.PathLike[str] | None = DEFAULT_FOLDER,
    concurrent_lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT_S,
    cache_reset: bool | None = None,
    cache_storage: str | None = None,
    cache_key_exclude: Iterable[str] | None = None,
    cache_verbose: bool | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    reset: bool | None = None,
    storage: str | None = None,
) -> F | Callable[[F], F]:
    """Cache a function's return values on the shared disk: `@fused.cache` or `@fused.cache(...)`.

    Every option can also be given to a call as a keyword argument; it is then used for that call
    and not passed on (unless the function has a parameter of that name). `_cache_id=` is part
    of the key and not passed on either. `cache_max_age=0` calls the function without caching.
    """
    given = {
        "cache_max_age": cache_max_age,
        # The default folder is no choice: `path=` (the older name) may still give one.
        "cache_folder_path": None if cache_folder_path == DEFAULT_FOLDER else cache_folder_path,
        "concurrent_lock_timeout": concurrent_lock_timeout,
        "cache_reset": cache_reset,
        "cache_storage": cache_storage,
        "cache_key_exclude": list(cache_key_exclude) if cache_key_exclude is not None else None,
        "cache_verbose": cache_verbose,
        "path": path,
        "reset": reset,
        "storage": storage,
    }
    options = {name: value for name, value in given.items() if value is not None}
    settings = settings_from(options)  # checked once, at decoration

    def decorate(function: F) -> F:
        return _CachedFunction(function, options, settings).wrapper()  # type: ignore[return-value]

    if func is not None:
        return decorate(func)
    return decorate


def cache_call(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call `func` through the cache, as `@fused.cache` would: `kwargs` may hold the cache's
    options (`cache_max_age=`, `cache_reset=`, ...), which are not passed on."""
    result: T = cache(func)(*args, **kwargs)
    return result


async def cache_call_async(func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """`cache_call` for a coroutine function: awaits it on a miss, and caches its value."""
    cached = _CachedFunction(func, {}, settings_from({}))
    settings, cache_id = cached.call_settings(kwargs)
    result: T = await cached.call_async(settings, args, kwargs, cache_id)
    return result


class _CachedFunction:
    """The state behind one decorated function: its identity, signature and options."""

    def __init__(
        self, function: Callable[..., Any], options: dict[str, Any], settings: CacheSettings
    ) -> None:
        self.function = function
        self.name = str(getattr(function, "__name__", "function"))
        self.options = options
        self.settings = settings
        self._identity: bytes | None = None
        self._signature: inspect.Signature | None = None
        self._own_parameters: frozenset[str] = frozenset()
        try:
            self._signature = inspect.signature(function)
            self._own_parameters = frozenset(self._signature.parameters)
        except (TypeError, ValueError):
            pass
        self._taken = (OPTION_NAMES | {CACHE_ID}) - self._own_parameters
        self._folders: dict[tuple[Path, str | None], Path] = {}

    def wrapper(self) -> Callable[..., Any]:
        function = self.function
        taken = self._taken

        @functools.wraps(function)
        def cached(*args: Any, **kwargs: Any) -> Any:
            if kwargs and not taken.isdisjoint(kwargs):
                settings, cache_id = self.call_settings(kwargs)
                return self.call(settings, args, kwargs, cache_id)
            return self.call(self.settings, args, kwargs, None)

        return cached

    def call_settings(self, kwargs: dict[str, Any]) -> tuple[CacheSettings, object]:
        """The settings and `_cache_id` of one call, taking the cache's options out of its
        keyword arguments (those the function does not take itself)."""
        call_options = {name: kwargs.pop(name) for name in self._taken & kwargs.keys()}
        cache_id = call_options.pop(CACHE_ID, None)
        settings = self.settings
        if any(value is not None for value in call_options.values()):
            settings = settings_from({**self.options, **_non_none(call_options)})
        return settings, cache_id

    def call(
        self,
        settings: CacheSettings,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        cache_id: object,
    ) -> Any:
        target = self._target(settings, args, kwargs, cache_id)
        if target is None:
            return self.function(*args, **kwargs)
        if not settings.reset and (hit := _read_hit(target, settings.max_age_s)) is not None:
            return self._hit(settings, hit)
        lock = self._lock(settings, target)
        started = time.time()
        lock.acquire()
        try:
            hit = self._computed_meanwhile(settings, lock, target, started)
            if hit is not None:
                return self._hit(settings, hit)
            self._note_computing(settings)
            result = self.function(*args, **kwargs)
            _write(target, result, self.name)
            return result
        finally:
            lock.release()

    async def call_async(
        self,
        settings: CacheSettings,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        cache_id: object,
    ) -> Any:
        """`call` for a coroutine function: its awaited value is what is cached. Waiting for
        another caller's lock happens in a thread, so the event loop keeps running."""
        import asyncio

        target = self._target(settings, args, kwargs, cache_id)
        if target is None:
            return await self.function(*args, **kwargs)
        if not settings.reset and (hit := _read_hit(target, settings.max_age_s)) is not None:
            return self._hit(settings, hit)
        lock = self._lock(settings, target)
        started = time.time()
        await asyncio.to_thread(lock.acquire)
        try:
            hit = self._computed_meanwhile(settings, lock, target, started)
            if hit is not None:
                return self._hit(settings, hit)
            self._note_computing(settings)
            result = await self.function(*args, **kwargs)
            _write(target, result, self.name)
            return result
        finally:
            lock.release()

    def _target(
        self,
        settings: CacheSettings,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        cache_id: object,
    ) -> Path | None:
        """The file a call's value is kept in; None when the call is not cached (max age 0,
        or arguments that do not fit, which the call itself then reports)."""
        if settings.max_age_s <= 0:
            return None
        arguments = self._arguments(args, kwargs)
        if arguments is None:
            return None
        return self._folder(settings) / f"{self.key(settings, arguments, cache_id)}.pickle"

    def _lock(self, settings: CacheSettings, target: Path) -> FileLock:
        target.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(target.with_suffix(".lock"), stale_after=settings.lock_timeout_s)

    def _computed_meanwhile(
        self, settings: CacheSettings, lock: FileLock, target: Path, started: float
    ) -> tuple[Any, float] | None:
        if not lock.waited and settings.reset:
            return None
        # With reset, only a result written after this call started counts (and only when
        # another caller held the lock).
        return _read_hit(target, settings.max_age_s, started if settings.reset else None)

    def _note_computing(self, settings: CacheSettings) -> None:
        if settings.verbose:
            print(f"'{self.name}' computing (not cached)")

    def key(self, settings: CacheSettings, arguments: Mapping[str, Any], cache_id: object) -> str:
        """The cache key of a call: hex sha256 of code, arguments and max age."""
        digest = hashlib.sha256(_KEY_VERSION)
        digest.update(self.identity())
        digest.update(b"\0max_age=%r\0" % settings.max_age_s)
        exclude = settings.key_exclude
        for name, value in arguments.items():
            if name in exclude:
                continue
            if isinstance(value, dict) and self._is_var_keyword(name):
                value = {key: item for key, item in value.items() if key not in exclude}
            feed_value(digest, name)
            feed_value(digest, value)
        if cache_id is not None:
            digest.update(b"\0_cache_id\0")
            feed_value(digest, cache_id)
        return digest.hexdigest()

    def identity(self) -> bytes:
        """A digest of the function's source, else of its code object."""
        identity = self._identity
        if identity is None:
            try:
                text = inspect.getsource(self.function).encode("utf-8", "surrogatepass")
            except (OSError, TypeError):
                code = getattr(self.function, "__code__", None)
                text = (
                    _code_bytes(code)
                    if isinstance(code, CodeType)
                    else repr(self.function).encode()
                )
            identity = self._identity = hashlib.sha256(text).digest()
        return identity

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Mapping[str, Any] | None:
        signature = self._signature
        if signature is None:
            return {"*args": args, "**kwargs": kwargs}
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return None
        bound.apply_defaults()
        return bound.arguments

    def _is_var_keyword(self, name: str) -> bool:
        signature = self._signature
        if signature is None:
            return name == "**kwargs"
        parameter = signature.parameters.get(name)
        return parameter is not None and parameter.kind is inspect.Parameter.VAR_KEYWORD

    def _folder(self, settings: CacheSettings) -> Path:
        disk = shared_disk()
        memo_key = (disk, settings.folder)
        folder = self._folders.get(memo_key)
        if folder is None:
            if settings.folder is None or settings.folder == DEFAULT_FOLDER:
                folder = disk / "cached_data" / (_UNSAFE.sub("_", self.name) or "function")
            else:
                folder = Path(map_path(settings.folder))
                if not folder.is_absolute():
                    folder = disk / folder
            self._folders[memo_key] = folder
        return folder

    def _hit(self, settings: CacheSettings, hit: tuple[Any, float]) -> Any:
        value, age = hit
        if _verbose(settings):
            print(f"'{self.name}' returned cached result: {format_age(age)} old")
        return value


def _default_max_age() -> int | str:
    from ._options import options  # on first use: options reads the home's files

    value: int | str = options.cache_decorator_max_age
    return value


def _verbose(settings: CacheSettings) -> bool:
    if settings.verbose is not None:
        return settings.verbose
    from ._options import options

    return bool(options.verbose_cached_functions)


def format_age(seconds: float) -> str:
    """An age for the hit message: `3.2s`, `5m`, `2h`, `3d`."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def _non_none(options: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in options.items() if value is not None}


def _read_hit(
    target: Path, max_age_s: float, newer_than: float | None = None
) -> tuple[Any, float] | None:
    """The stored value and its age, or None when missing, too old or unreadable."""
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        stat = os.fstat(fd)
        age = max(time.time() - stat.st_mtime, 0.0)
        if newer_than is not None:
            if stat.st_mtime < newer_than:
                return None
        elif age > max_age_s:
            return None
        data = os.read(fd, stat.st_size + 1)
        if len(data) != stat.st_size:  # reads are capped for huge files: read to the end
            chunks = [data]
            while chunk := os.read(fd, 1 << 24):
                chunks.append(chunk)
            data = b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        value = pickle.loads(data)
    except Exception:  # a truncated file, or a class that no longer exists: compute again
        return None
    return value, age


def _write(target: Path, value: Any, name: str) -> bool:
    """Store a value atomically; on failure, say why on stderr and store nothing."""
    try:
        data = pickle.dumps(value, protocol=PICKLE_PROTOCOL)
    except Exception as exc:
        print(f"'{name}' result not cached: it cannot be pickled ({exc})", file=sys.stderr)
        return False
    temporary = target.with_name(f".{target.stem}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0))
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        print(f"'{name}' result not cached: {exc}", file=sys.stderr)
        return False
    return True


def _code_bytes(code: CodeType) -> bytes:
    parts = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for constant in code.co_consts:
        parts.append(
            _code_bytes(constant) if isinstance(constant, CodeType) else repr(constant).encode()
        )
    return b"\0".join(parts)


# --- hashing argument values by content -------------------------------------------------------


def feed_value(digest: Any, value: object) -> None:
    """Add a value to a hash by content (type-tagged, so 1, 1.0 and "1" differ)."""
    _feed(digest, value, set())


def _feed(digest: Any, value: object, active: set[int]) -> None:
    update = digest.update
    if value is None:
        update(b"N")
    elif isinstance(value, bool):
        update(b"T" if value else b"F")
    elif isinstance(value, int):
        update(b"i%d;" % value)
    elif isinstance(value, float):
        update(b"f" + repr(value).encode() + b";")
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        update(b"s%d:" % len(data))
        update(data)
    elif isinstance(value, bytes | bytearray):
        update(b"b%d:" % len(value))
        update(value)
    elif isinstance(value, tuple | list) and type(value) in (tuple, list):
        _feed_sequence(digest, b"t" if isinstance(value, tuple) else b"l", value, active)
    elif isinstance(value, dict):
        _feed_unordered(digest, b"d", value.items(), active)
    elif isinstance(value, set | frozenset):
        _feed_unordered(digest, b"S", ((item, None) for item in value), active)
    elif isinstance(value, PurePath):
        update(b"p" + os.fspath(value).encode("utf-8", "surrogateescape") + b";")
    elif not _feed_library_value(digest, value, active):
        _feed_pickled(digest, value)


def _feed_sequence(digest: Any, tag: bytes, items: Iterable[object], active: set[int]) -> None:
    marker = id(items)
    if marker in active:
        digest.update(b"<recursion>")
        return
    active.add(marker)
    values = list(items)
    digest.update(tag + b"%d(" % len(values))
    for item in values:
        _feed(digest, item, active)
    digest.update(b")")
    active.discard(marker)


def _feed_unordered(
    digest: Any, tag: bytes, pairs: Iterable[tuple[object, object]], active: set[int]
) -> None:
    # Equal dicts and sets hash alike whatever their order: each pair is hashed on its own.
    parts = []
    for key, item in pairs:
        part = hashlib.sha256()
        _feed(part, key, active)
        _feed(part, item, active)
        parts.append(part.digest())
    parts.sort()
    digest.update(tag + b"%d{" % len(parts))
    for part_digest in parts:
        digest.update(part_digest)
    digest.update(b"}")


def _feed_library_value(digest: Any, value: object, active: set[int]) -> bool:
    """pandas, numpy and shapely values by content; False for other types."""
    module = type(value).__module__.partition(".")[0]
    if module in ("pandas", "geopandas"):
        pandas = sys.modules.get("pandas")
        if pandas is not None:
            if isinstance(value, pandas.DataFrame):
                _feed_frame(digest, value, pandas, active)
                return True
            if isinstance(value, pandas.Series):
                _feed_series(digest, value, pandas, active)
                return True
            if isinstance(value, pandas.Index):
                digest.update(b"I" + repr((value.name, str(value.dtype))).encode())
                _feed_column(digest, value, pandas, active)
                return True
    elif module == "numpy":
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            if isinstance(value, numpy.ndarray):
                _feed_array(digest, value, numpy, active)
                return True
            if isinstance(value, numpy.generic) and value.dtype.kind != "O":
                digest.update(b"g" + value.dtype.str.encode() + b":")
                digest.update(value.tobytes())
                return True
    elif module == "shapely":
        wkb = getattr(value, "wkb", None)
        if isinstance(wkb, bytes):
            digest.update(b"G%d:" % len(wkb))
            digest.update(wkb)
            return True
    return False


def _feed_array(digest: Any, array: Any, numpy: Any, active: set[int]) -> None:
    digest.update(b"A" + repr((array.dtype.str, array.shape)).encode())
    if array.dtype.kind == "O":
        _feed(digest, array.tolist(), active)
        return
    if isinstance(array, numpy.ma.MaskedArray):
        digest.update(numpy.ascontiguousarray(numpy.ma.getmaskarray(array)).tobytes())
        array = numpy.ma.getdata(array)
    digest.update(numpy.ascontiguousarray(array).tobytes())


def _feed_frame(digest: Any, frame: Any, pandas: Any, active: set[int]) -> None:
    digest.update(b"DF" + type(frame).__name__.encode())
    digest.update(repr([str(column) for column in frame.columns]).encode())
    digest.update(repr([str(dtype) for dtype in frame.dtypes]).encode())
    _feed_column(digest, frame.index, pandas, active)
    for position in range(frame.shape[1]):
        _feed_column(digest, frame.iloc[:, position], pandas, active)
    crs = getattr(frame, "crs", None) if "geometry" in {str(d) for d in frame.dtypes} else None
    if crs is not None:
        digest.update(b"crs:" + str(crs.to_wkt()).encode())


def _feed_series(digest: Any, series: Any, pandas: Any, active: set[int]) -> None:
    digest.update(b"SR" + repr((str(series.name), str(series.dtype))).encode())
    _feed_column(digest, series.index, pandas, active)
    _feed_column(digest, series, pandas, active)
    crs = getattr(series, "crs", None) if str(series.dtype) == "geometry" else None
    if crs is not None:
        digest.update(b"crs:" + str(crs.to_wkt()).encode())


def _feed_column(digest: Any, values: Any, pandas: Any, active: set[int]) -> None:
    """One column (or an index) by content: geometries as WKB, cells pandas cannot hash one
    by one."""
    if str(values.dtype) == "geometry":
        digest.update(b"wkb")
        for item in (
            values.to_wkb() if hasattr(values, "to_wkb") else pandas.Series(values).to_wkb()
        ):
            _feed(digest, item, active)
        return
    try:
        hashed = pandas.util.hash_pandas_object(values, index=False)
    except (TypeError, ValueError):
        _feed(digest, list(values), active)
        return
    digest.update(b"h%d:" % len(hashed))
    digest.update(hashed.to_numpy().tobytes())


def _feed_pickled(digest: Any, value: object) -> None:
    kind = type(value)
    digest.update(f"o{kind.__module__}.{kind.__qualname__}:".encode())
    try:
        data = pickle.dumps(value, protocol=PICKLE_PROTOCOL)
    except Exception:
        data = b"repr:" + repr(value).encode("utf-8", "surrogatepass")
    digest.update(b"%d:" % len(data))
    digest.update(data)
