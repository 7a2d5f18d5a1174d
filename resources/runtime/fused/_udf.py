"""The `Udf` object and the `@fused.udf` decorator."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any, BinaryIO, overload
from urllib.parse import quote

from ._binding import plan_call
from ._errors import UDF_ERR_FETCH, UDF_ERR_NO_ENTRYPOINT, UdfLoadError, public_file
from ._headers import Header, HeaderSet, headers_from_arguments, restore
from ._invoke import check_cache_max_age, tile_from_call
from ._module import CURRENT_SOURCE, UdfModule, function_source, load_headers
from ._not_local import not_local_function
from ._options import default_engine
from ._udf_like import Prepared

if TYPE_CHECKING:
    from ._access_tokens import AccessToken

DEFAULT_ENTRYPOINT = "udf"
UDF_TYPE = "geopandas_v2"


@dataclass(frozen=True)
class Actions:
    """What a `Udf` does through the layers above the model: check a call's options and run it
    where it belongs (`_call`), run it over many arguments (`_submit`), load code (`_load`).

    Those layers import this module, so they are passed in once (`fused._wiring`, imported by
    `fused/__init__`, sets them) instead of imported from here.
    """

    check_run_options: Callable[[str | None, bool, int | str | None], None]
    run_call: Callable[..., Any]
    submit: Callable[..., Any]
    load_code: Callable[..., Udf]


_actions: Actions | None = None


def set_actions(actions: Actions) -> None:
    """Give the `Udf` model the run, submit and load functions of the layers above it."""
    global _actions
    _actions = actions


def _wired() -> Actions:
    if _actions is None:
        raise RuntimeError("fused._udf is used before `import fused` finished (fused._wiring)")
    return _actions


class Udf:
    """A UDF: its code, headers and metadata, callable in this process.

    Attributes follow Fused: `name`, `type`, `code`, `entrypoint`, `headers` (list of `Header`),
    `metadata` (meta.json's `udf.metadata`), `parameters` (default argument values),
    `cache_max_age`, `engine`, `import_globals`, `collection_id` and `collection_name` (set
    by `to_fused`), `disk_size_gb`, `region`. A UDF read from a folder also keeps `meta` (the
    whole meta.json as read, so unknown keys are written back), `path` (its code file),
    `directory` and `readme`.

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
        disk_size_gb: int | None = None,
        region: str | None = None,
    ) -> None:
        self.name: str = name or str(getattr(fn, "__name__", DEFAULT_ENTRYPOINT))
        self.type: str = UDF_TYPE
        self.code: str = code
        self.entrypoint: str = getattr(fn, "__name__", DEFAULT_ENTRYPOINT)
        self.headers: list[Header] = list(headers)
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.parameters: dict[str, Any] = dict(parameters or {})
        self.cache_max_age: int | str | None = check_cache_max_age(cache_max_age)
        self.engine: str | None = engine
        # Where Fused would run it (batch disk, cloud region): kept for the SDK's callers; one
        # machine runs everything here.
        self.disk_size_gb: int | None = disk_size_gb
        self.region: str | None = region
        # The saved UDF's collection (`to_fused`), as the engine names it: its folder's name.
        self.collection_id: str | None = None
        self.collection_name: str | None = None
        self.original_headers: str | None = None
        self.meta: dict[str, Any] | None = None
        self.path: str | None = None
        self.directory: str | None = None
        self.readme: str | None = None
        self.readme_name: str | None = None
        self._fn = fn
        self._module: UdfModule | None = None
        self._import_globals = True
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
        actions = _wired()
        engine = engine or default_engine(self)
        actions.check_run_options(engine, cache, cache_max_age)
        x, y, z = params.pop("x", None), params.pop("y", None), params.pop("z", None)
        tile, params = tile_from_call(self.prepared().plan, params, x, y, z)
        return actions.run_call(
            self, args, params, tile, engine=engine, cache=cache, cache_max_age=cache_max_age
        )

    def map(
        self,
        arg_list: Any,
        *,
        engine: str | None = None,
        max_workers: int | None = None,
        worker_concurrency: int | None = None,
        max_retry: int = 2,
        debug_mode: bool = False,
        cache_max_age: int | str | None = None,
        run_cache_max_age: int | str | None = None,
        cache: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Run the UDF once per item of `arg_list` in parallel; a JobPool (see `fused.submit`,
        whose options it takes; `collect=True` waits and returns a DataFrame instead).
        `worker_concurrency` and `run_cache_max_age` tune Fused's machines: no effect here."""
        kwargs.setdefault("collect", False)
        return _wired().submit(
            self,
            arg_list,
            engine=engine,
            max_workers=max_workers,
            max_retry=max_retry,
            debug_mode=debug_mode,
            cache_max_age=cache_max_age,
            cache=cache,
            **kwargs,
        )

    async def map_async(
        self,
        arg_list: Any,
        *,
        engine: str | None = None,
        max_workers: int | None = None,
        cache_max_age: int | str | None = None,
        cache: bool = True,
        max_retry: int = 2,
    ) -> Any:
        """`map` from async code: the runs start and the JobPool comes back at once."""
        return self.map(
            arg_list,
            engine=engine,
            max_workers=max_workers,
            cache_max_age=cache_max_age,
            cache=cache,
            max_retry=max_retry,
        )

    def run_local(self, *, inplace: bool = False, **kwargs: Any) -> Any:
        """Run the UDF in this process (`engine="local"`) and return its data."""
        return self(engine="local", **kwargs)

    def set_parameters(
        self,
        parameters: dict[str, Any],
        replace_parameters: bool = False,
        inplace: bool = False,
    ) -> Udf:
        """Default arguments for later runs, added to (or, with `replace_parameters`, instead
        of) the current ones; on this object with `inplace`, else on a copy."""
        if not isinstance(parameters, Mapping):
            raise TypeError(f"parameters must be a dict, not {type(parameters).__name__}")
        target = self if inplace else self._copy()
        merged = {} if replace_parameters else dict(target.parameters)
        merged.update(parameters)
        target.parameters = merged
        return target

    def eval_schema(self, inplace: bool = False) -> Udf:
        """The UDF with its parameter list read again from its signature (nothing needs
        evaluating here: a run binds arguments from the signature); a copy unless `inplace`."""
        target = self if inplace else self._copy()
        target._prepared_state = None
        target.prepared()
        return target

    def do_import_globals(self) -> None:
        """Expose the module's top-level names as attributes (what `import_globals` does)."""
        self._import_globals = True

    @property
    def import_globals(self) -> bool:
        """Whether the module's top-level names are attributes of this object."""
        return self._import_globals

    @import_globals.setter
    def import_globals(self, value: bool) -> None:
        self._import_globals = bool(value)

    @property
    def utils(self) -> ModuleType:
        """The header module named utils, else the only header module."""
        return self._utils_module()

    @property
    def catalog_url(self) -> str | None:
        """This UDF's page in the UDF Studio window, for a saved (workspace) UDF; else None."""
        from ._saved_udfs import is_saved

        if not is_saved(self):
            return None
        from ._account import engine_url

        return f"{engine_url()}/#/udf/{quote(self.name, safe='')}"

    @classmethod
    def from_gist(cls, gist_id: str) -> Udf:
        """A UDF from a GitHub gist (its `code.py`, and `parameters.json` for its fields)."""
        from ._github import gist_files

        files = gist_files(gist_id.rstrip("/").rsplit("/", 1)[-1])
        if "code.py" not in files:
            raise UdfLoadError(f"gist {gist_id} has no code.py", code=UDF_ERR_FETCH)
        try:
            fields = json.loads(files.get("parameters.json") or "{}")
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            raise UdfLoadError(
                f"gist {gist_id}'s parameters.json is not a JSON object", code=UDF_ERR_FETCH
            )
        name = fields.get("name")
        udf = _wired().load_code(files["code.py"], name=name if isinstance(name, str) else None)
        if isinstance(fields.get("parameters"), dict):
            udf.parameters = {**udf.parameters, **fields["parameters"]}
        if isinstance(fields.get("metadata"), dict):
            udf.metadata = {**udf.metadata, **fields["metadata"]}
        return udf

    # --- saved UDFs and shared tokens: through the running engine ---------------------------

    def to_fused(
        self,
        *,
        overwrite: bool | None = None,
        collection_name: str | None = None,
        create_collection: bool = False,
        **kwargs: Any,
    ) -> Udf:
        """Save this UDF into the workspace (a collection's folder with `collection_name`),
        through the running engine; it gets its id as `fused:id`. A different saved UDF of the
        same name is replaced only with `overwrite=True`. The SDK's older keywords (`slug`,
        `over_id`, `as_new`, `inplace`) are refused with the reason."""
        if kwargs:
            raise TypeError(
                f"udf.to_fused() takes overwrite, collection_name and create_collection; the "
                f"SDK's older {', '.join(sorted(kwargs))} are not supported (rename the UDF to "
                "save it under another name)"
            )
        from ._saved_udfs import save_udf

        return save_udf(
            self,
            overwrite=overwrite,
            collection_name=collection_name,
            create_collection=create_collection,
        )

    def delete_saved(self, inplace: bool = True) -> Udf:
        """Remove the saved UDF this one is from the workspace (through the running engine);
        the returned UDF (this one with `inplace`, else a copy) no longer has a `fused:id`."""
        from ._saved_udfs import ID_KEY, delete_saved_udf

        delete_saved_udf(self)
        target = self if inplace else self._copy()
        target.metadata = {k: v for k, v in target.metadata.items() if k != ID_KEY}
        return target

    def create_access_token(
        self,
        *,
        client_id: Any = ...,
        public_read: bool | None = None,
        access_scope: str | None = None,
        cache: bool = True,
        metadata_json: dict[str, Any] | None = None,
        enabled: bool = True,
    ) -> AccessToken:
        """A shared token (`fsh_...`) that runs this saved UDF for anyone who has it, on this
        machine's server; `client_id` is the engine's own unless given. A UDF never saved (no
        id, not read from a workspace folder) is a `ValueError`, as in the official client."""
        from ._access_tokens import create_access_token
        from ._saved_udfs import is_saved

        if not is_saved(self):
            raise ValueError(
                f"No saved UDF ID found in metadata of {self.name!r}: save it with "
                "udf.to_fused() first, then create its access token"
            )
        return create_access_token(
            self,
            client_id=None if client_id is ... else client_id,
            public_read=public_read,
            access_scope=access_scope,
            cache=cache,
            metadata_json=metadata_json,
            enabled=enabled,
        )

    def get_access_tokens(self) -> list[AccessToken]:
        """Every shared token of this UDF, newest first."""
        from ._access_tokens import access_tokens

        return access_tokens(self)

    def get_access_token(self) -> AccessToken | None:
        """This UDF's newest shared token, or None."""
        tokens = self.get_access_tokens()
        return tokens[0] if tokens else None

    def shared_url(self, format: str | None = None) -> str | None:
        """The URL of this UDF's newest shared token (None without one)."""
        token = self.get_access_token()
        return token.get_file_url(format=format) if token is not None else None

    schedule = not_local_function("Udf.schedule")
    get_schedule = not_local_function("Udf.get_schedule")
    get_canvas_share_token = not_local_function("Udf.get_canvas_share_token")

    def __repr__(self) -> str:
        return f"<Udf {self.name!r} entrypoint={self.entrypoint!r}>"

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the object does not have: header modules and module globals.
        if name.startswith("__"):
            raise AttributeError(name)
        state = self.__dict__
        if name == "utils":
            return self._utils_module()
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

    def to_directory(self, where: str | Path | None = None, *, overwrite: bool = False) -> Path:
        """Write the UDF folder (meta.json, `<name>.py`, header files, README.md); returns it.

        `where` defaults to `./<name>`. An existing non-empty folder needs `overwrite=True`.
        """
        from ._folder import write_udf_folder

        return write_udf_folder(self, Path(where) if where is not None else None, overwrite)

    def to_file(self, where: str | Path | BinaryIO, *, overwrite: bool = False) -> Path | None:
        """Write the UDF folder as a zip file (files at the archive's root): to a path (an
        existing file needs `overwrite=True`; returns the path) or a binary file object."""
        from ._folder import zip_udf_folder

        if not isinstance(where, str | Path):
            return zip_udf_folder(self, where)
        path = Path(where)
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
        return zip_udf_folder(self, path)

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

    def _copy(self) -> Udf:
        """A copy whose mutable fields (parameters, metadata, headers) are its own."""
        made = copy.copy(self)
        made.parameters = dict(self.parameters)
        made.metadata = dict(self.metadata)
        made.headers = list(self.headers)
        return made

    def _utils_module(self) -> ModuleType:
        header_set = self.prepared().headers
        modules = header_set.modules if header_set is not None else {}
        if "utils" not in modules and len(modules) == 1:
            return next(iter(modules.values()))
        return self._header_module("utils")

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
def udf(fn: Callable[..., Any]) -> Udf: ...


@overload
def udf(
    fn: None = None,
    *,
    name: str | None = None,
    cache_max_age: int | str | None = None,
    engine: str | None = None,
    instance_type: str | None = None,
    disk_size_gb: int | None = None,
    region: str | None = None,
    default_parameters: Mapping[str, Any] | None = None,
    headers: Sequence[object] | None = None,
) -> Callable[[Callable[..., Any]], Udf]: ...


def udf(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    cache_max_age: int | str | None = None,
    engine: str | None = None,
    instance_type: str | None = None,
    disk_size_gb: int | None = None,
    region: str | None = None,
    default_parameters: Mapping[str, Any] | None = None,
    headers: Sequence[object] | None = None,
) -> Udf | Callable[[Callable[..., Any]], Udf]:
    """Mark a function as a UDF: `@fused.udf` or `@fused.udf(cache_max_age="1h", ...)`.

    `headers` are file paths, `(module_name, path)` pairs or dicts; `default_parameters` become
    the UDF's `parameters`; `engine` (or the SDK's older `instance_type`) is where its runs go
    when a call names none. The `Udf` records the code it was defined in: the whole file when
    the code runs through `fused.load` or the worker, else the function's own source.
    """

    def decorate(function: Callable[..., Any]) -> Udf:
        context = CURRENT_SOURCE.get()
        if context is not None:
            code, directory = context.code, context.directory
            recorded: list[Header] = list(context.headers)
        else:
            code, directory, recorded = function_source(function), _defining_dir(function), []
        if headers and not recorded:
            recorded = headers_from_arguments(headers, directory)
        made = Udf(
            function,
            name=name,
            code=code,
            headers=recorded,
            parameters=default_parameters,
            cache_max_age=cache_max_age,
            engine=engine or instance_type,
            disk_size_gb=disk_size_gb,
            region=region,
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


def _defining_dir(function: Callable[..., Any]) -> str | None:
    code = getattr(function, "__code__", None)
    if code is None or public_file(code.co_filename) is None:
        return None
    return str(Path(code.co_filename).parent)
