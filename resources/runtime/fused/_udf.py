"""The `Udf` object and the `@fused.udf` decorator."""

from __future__ import annotations

import functools
import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any, overload

from ._binding import CallPlan, plan_call
from ._call import check_cache_max_age, check_run_options, run_call, tile_from_call
from ._errors import UDF_ERR_NO_ENTRYPOINT, UdfLoadError, public_file
from ._headers import Header, HeaderSet, headers_from_arguments, restore
from ._module import CURRENT_SOURCE, UdfModule, load_headers

DEFAULT_ENTRYPOINT = "udf"


@dataclass(frozen=True)
class Prepared:
    """What a call needs, worked out once per `Udf`: function, call plan, header modules, files."""

    fn: Callable[..., Any]
    plan: CallPlan
    headers: HeaderSet | None
    files: frozenset[str]


class Udf:
    """A UDF: its code, headers and metadata, callable in this process.

    Attributes follow Fused: `name`, `code`, `entrypoint`, `headers` (list of `Header`),
    `metadata` (meta.json's `udf.metadata`), `parameters` (default argument values),
    `cache_max_age`, `engine`. A UDF read from a folder also keeps `meta` (the whole meta.json as
    read, so unknown keys are written back), `path` (its code file), `directory` and `readme`.

    With `fused.load(..., import_globals=True)` the module's top-level names are attributes too,
    and `.utils` is the header module named utils.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        code: str = "",
        headers: Sequence[Header] = (),
        metadata: Mapping[str, Any] | None = None,
        parameters: Mapping[str, Any] | None = None,
        cache_max_age: int | str | None = None,
        engine: str | None = None,
    ) -> None:
        self.name: str = name or str(getattr(fn, "__name__", DEFAULT_ENTRYPOINT))
        self.code: str = code
        self.entrypoint: str = getattr(fn, "__name__", DEFAULT_ENTRYPOINT)
        self.headers: list[Header] = list(headers)
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.parameters: dict[str, Any] = dict(parameters or {})
        self.cache_max_age: int | str | None = check_cache_max_age(cache_max_age)
        self.engine: str | None = engine
        self.meta: dict[str, Any] | None = None
        self.path: str | None = None
        self.directory: str | None = None
        self.readme: str | None = None
        self.readme_name: str | None = None
        self._fn = fn
        self._module: UdfModule | None = None
        self._import_globals = False
        self._prepared_state: Prepared | None = None
        functools.update_wrapper(self, fn)

    def __call__(
        self,
        *args: Any,
        engine: str | None = None,
        cache_max_age: int | str | None = None,
        cache: bool = True,
        **params: Any,
    ) -> Any:
        """Run the UDF and return its data.

        `x`, `y`, `z` together select tile mode. With no engine (here or on the `Udf`) the run
        goes to the running UDF Studio engine when there is one, else it runs in this process;
        `engine="local"` always runs here. `cache=False` with a `cache_max_age` is a
        `ValueError`; engines other than local raise `EngineUnavailableError` for now.
        """
        engine = engine or self.engine
        check_run_options(engine, cache, cache_max_age)
        x, y, z = params.pop("x", None), params.pop("y", None), params.pop("z", None)
        tile, params = tile_from_call(self.prepared().plan, params, x, y, z)
        return run_call(
            self, args, params, tile, engine=engine, cache=cache, cache_max_age=cache_max_age
        )

    def map(self, arg_list: Any, **kwargs: Any) -> Any:
        """Run the UDF once per item of `arg_list` in parallel; a JobPool (see `fused.submit`,
        whose options it takes; `collect=True` waits and returns a DataFrame instead)."""
        from ._submit import submit

        kwargs.setdefault("collect", False)
        return submit(self, arg_list, **kwargs)

    def __repr__(self) -> str:
        return f"<Udf {self.name!r} entrypoint={self.entrypoint!r}>"

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the object does not have: header modules and module globals.
        if name.startswith("__"):
            raise AttributeError(name)
        state = self.__dict__
        if name == "utils":
            return self._header_module("utils")
        module: UdfModule | None = state.get("_module")
        if module is not None and state.get("_import_globals") and name in module.namespace:
            value = module.namespace[name]
            if not isinstance(value, ModuleType):
                return self._with_headers(value)
        raise AttributeError(f"UDF {state.get('name')!r} has no attribute {name!r}")

    def prepared(self) -> Prepared:
        """The function, call plan, header modules and own files, computed on first use."""
        state = self._prepared_state
        if state is None:
            state = self._prepared_state = self._prepare()
        return state

    def to_directory(self, where: str | Path | None = None, overwrite: bool = False) -> Path:
        """Write the UDF folder (meta.json, `<name>.py`, header files, README.md); returns it.

        `where` defaults to `./<name>`. An existing non-empty folder needs `overwrite=True`.
        """
        from ._folder import write_udf_folder

        return write_udf_folder(self, Path(where) if where is not None else None, overwrite)

    def to_file(self, path: str | Path) -> Path:
        """Write the UDF folder as a zip file (files at the archive's root); returns its path."""
        from ._folder import zip_udf_folder

        return zip_udf_folder(self, Path(path))

    def invalidate_cache(
        self, z: int | None = None, x: int | None = None, y: int | None = None
    ) -> dict[str, Any] | None:
        """Ask the running engine to drop this UDF's cached results (one tile's with z, x, y).

        z, x and y come together or not at all (`ValueError`). With no engine running nothing
        is cached: returns None. Else the engine's answer (`{"udf_id", "deleted"}`).
        """
        from ._cache_invalidation import invalidate_udf_cache

        return invalidate_udf_cache(self, z=z, x=x, y=y)

    def _prepare(self) -> Prepared:
        module = self._module
        header_set: HeaderSet | None = None
        files: frozenset[str]
        if module is not None and module.headers.modules:
            header_set = module.headers
        elif self.headers:
            header_set = load_headers(self.headers, self.name)
        code = getattr(self._fn, "__code__", None)
        own = {code.co_filename} if code is not None else set()
        files = module.files | own if module is not None else frozenset(own)
        if header_set is not None:
            files = files | header_set.filenames
        return Prepared(self._fn, plan_call(self._fn), header_set, files)

    def _header_module(self, name: str) -> ModuleType:
        header_set = self.prepared().headers
        if header_set is not None and name in header_set.modules:
            return header_set.modules[name]
        names = ", ".join(header.module_name for header in self.headers) or "none"
        raise AttributeError(
            f"UDF {self.name!r} has no header module named {name!r} (its headers: {names})"
        )

    def _with_headers(self, value: Any) -> Any:
        # Functions of a UDF with headers may `import utils` when called: install them around.
        module = self._module
        header_set = self.prepared().headers
        if (
            header_set is None
            or module is None
            or not isinstance(value, FunctionType)
            or value.__module__ != module.name
        ):
            return value

        @functools.wraps(value)
        def with_headers(*args: Any, **kwargs: Any) -> Any:
            saved = header_set.activate()
            try:
                return value(*args, **kwargs)
            finally:
                restore(saved)

        return with_headers


@overload
def udf(fn: Callable[..., Any], /) -> Udf: ...


@overload
def udf(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    cache_max_age: int | str | None = None,
    headers: Sequence[object] | None = None,
    default_parameters: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Udf]: ...


def udf(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    cache_max_age: int | str | None = None,
    headers: Sequence[object] | None = None,
    default_parameters: Mapping[str, Any] | None = None,
) -> Udf | Callable[[Callable[..., Any]], Udf]:
    """Mark a function as a UDF: `@fused.udf` or `@fused.udf(cache_max_age="1h", ...)`.

    `headers` are file paths, `(module_name, path)` pairs or dicts; `default_parameters` become
    the UDF's `parameters`. The `Udf` records the code it was defined in: the whole file when
    the code runs through `fused.load` or the worker, else the function's own source.
    """

    def decorate(function: Callable[..., Any]) -> Udf:
        context = CURRENT_SOURCE.get()
        if context is not None:
            code, directory = context.code, context.directory
            recorded: list[Header] = list(context.headers)
        else:
            code, directory, recorded = _function_source(function), _defining_dir(function), []
        if headers and not recorded:
            recorded = headers_from_arguments(headers, directory)
        made = Udf(
            function,
            name=name,
            code=code,
            headers=recorded,
            parameters=default_parameters,
            cache_max_age=cache_max_age,
        )
        if context is not None:
            made.path = public_file(context.filename)
            made.directory = directory
        return made

    if fn is not None:
        return decorate(fn)
    return decorate


def find_entry(module: UdfModule, entrypoint: str | None, filename: str | None = None) -> Udf:
    """The UDF a module defines: `entrypoint` if given, else its first `@fused.udf`, else `udf`.

    A missing `udf` entry point (meta.json's default) also falls back to the first `@fused.udf`.
    Raises `UdfLoadError` with `UDF_ERR_NO_ENTRYPOINT` when there is none.
    """
    namespace = module.namespace
    if entrypoint:
        found = namespace.get(entrypoint)
        if found is not None and callable(found):
            return found if isinstance(found, Udf) else Udf(found)
        if entrypoint != DEFAULT_ENTRYPOINT:
            raise _no_entry(f"no function named {entrypoint!r} (the entry point)", filename)
    for value in namespace.values():
        if isinstance(value, Udf) and getattr(value._fn, "__module__", None) == module.name:
            return value
    found = namespace.get(DEFAULT_ENTRYPOINT)
    if isinstance(found, FunctionType):
        return Udf(found)
    raise _no_entry("no entry point: decorate a function with @fused.udf or name it udf", filename)


def _no_entry(message: str, filename: str | None) -> UdfLoadError:
    return UdfLoadError(message, code=UDF_ERR_NO_ENTRYPOINT, file=public_file(filename))


def _function_source(function: Callable[..., Any]) -> str:
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return ""


def _defining_dir(function: Callable[..., Any]) -> str | None:
    code = getattr(function, "__code__", None)
    if code is None or public_file(code.co_filename) is None:
        return None
    return str(Path(code.co_filename).parent)
