"""`fused.run`: run a UDF (object, name, path or code) and return its data.

Without an engine a run goes to the running UDF Studio engine when one answers (see
`_engine_client`), else it runs in this process; `engine="local"` always runs here. A shared
token runs the UDF it names on the local server (`_token_run`); `UDF_<name>` is the workspace
UDF `<name>`. `engine="remote"` (and Fused's other engine names) runs on the configured remote
engine (`_remote`): a `Udf` as code, a saved name or a token as the remote's own UDF.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Literal, TypeGuard

from ._async_run import RunHandle
from ._binding import bind
from ._call import check_run_options, run_call
from ._errors import UdfLoadError, UdfParameterError, UdfRuntimeError
from ._invoke import REMOTE_ENGINES, tile_from_call
from ._load import resolve_udf
from ._options import default_engine
from ._remote import goes_remote, run_saved_on_remote
from ._shared_tokens import is_token
from ._tiles import TileCoord, make_tile
from ._token_run import run_token
from ._udf import Udf
from .warnings import FusedDeprecationWarning

RETRY_BASE_S: Final = 0.5
RETRY_MAX_S: Final = 10.0


def run(
    udf: Udf | str | os.PathLike[str] | Callable[..., Any] | None = None,
    *args: Any,
    x: int | str | None = None,
    y: int | str | None = None,
    z: int | str | None = None,
    sync: bool = True,
    engine: str | None = None,
    instance_type: str | None = None,
    type: Literal["tile", "file"] | None = None,
    max_retry: int = 0,
    cache_max_age: int | str | None = None,
    cache: bool = True,
    parameters: Mapping[str, Any] | None = None,
    disk_size_gb: int | None = None,
    **params: Any,
) -> Any:
    """Run a UDF and return its data.

    `udf` is a `Udf`, a plain function, or anything `fused.load` takes (a name resolves the
    same way). `x`, `y`, `z` together select tile mode: the first parameter receives the tile,
    converted by its annotation; `type="file"` passes them as plain parameters instead, and
    `type="tile"` requires them. `parameters` and keyword arguments are the UDF's arguments;
    strings are converted by annotation. With `engine=None` the run goes to the running UDF
    Studio engine when there is one (and the arguments can travel as JSON), else it runs in this
    process; `engine="local"` always runs here. Errors raise `UdfRuntimeError` (with `code`,
    `line`, `file`); `cache=False` with a `cache_max_age` is a `ValueError`; unknown engines
    and shared tokens without a remote raise `EngineUnavailableError`, as does an engine that
    fails mid-run. `engine="remote"` (or "realtime", "batch", ...) runs on the configured remote
    engine: a `Udf` as code, a name or token as the remote's own UDF. `max_retry` runs a UDF
    that raised again, up to that many times. `instance_type` (other than "realtime") runs the
    UDF as a batch job of the running engine, as the batch names do with no remote configured
    (`_batch_run`: shown in the Jobs view; the machine is this one whatever the type or
    `disk_size_gb` say).
    `sync=False` (deprecated, as in the official client: use `run_async`) starts the run and
    returns a `RunHandle` at once: `await` it, or call `.result()`; its arguments are checked
    before it starts.
    """
    if not sync:
        warnings.warn(
            "fused.run(sync=False) is deprecated: use fused.run_async() instead",
            FusedDeprecationWarning,
            stacklevel=2,
        )
    call = _checked_call(udf, args, x, y, z, engine, type, max_retry, cache_max_age, cache,
                         parameters, params, check_now=not sync, instance_type=instance_type)
    return call() if sync else RunHandle(call)


def _checked_call(
    udf: Udf | str | os.PathLike[str] | Callable[..., Any] | None,
    args: tuple[Any, ...],
    x: int | str | None,
    y: int | str | None,
    z: int | str | None,
    engine: str | None,
    type: Literal["tile", "file"] | None,
    max_retry: int,
    cache_max_age: int | str | None,
    cache: bool,
    parameters: Mapping[str, Any] | None,
    params: dict[str, Any],
    *,
    check_now: bool,
    instance_type: str | None,
) -> Callable[[], Any]:
    """`fused.run`'s options checked, and the run ready to call (with its retries)."""
    if udf is None:
        raise TypeError("fused.run needs the UDF to run: a Udf, a name, a path, a token or code")
    if isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0:
        raise ValueError(f"max_retry must be a whole number of 0 or more, got {max_retry!r}")
    if type not in (None, "tile", "file"):
        raise ValueError(f"type must be 'tile', 'file' or None, got {type!r}")
    if type == "tile" and None in (x, y, z):
        raise ValueError("type='tile' needs the tile: give x, y and z")
    if type == "file":
        # File mode: a UDF's own x, y or z are plain parameters.
        params = {**params, **{k: v for k, v in (("x", x), ("y", y), ("z", z)) if v is not None}}
        x = y = z = None
    return _retrying(
        _prepare_run(
            udf, args, x, y, z, engine, cache_max_age, cache, parameters, params,
            check_now=check_now, instance_type=instance_type,
        ),
        max_retry,
    )


async def run_async(
    udf: Udf | str | os.PathLike[str] | Callable[..., Any] | None = None,
    *args: Any,
    x: int | str | None = None,
    y: int | str | None = None,
    z: int | str | None = None,
    engine: str | None = None,
    instance_type: str | None = None,
    type: Literal["tile", "file"] | None = None,
    max_retry: int = 0,
    cache_max_age: int | str | None = None,
    cache: bool = True,
    parameters: Mapping[str, Any] | None = None,
    disk_size_gb: int | None = None,
    **params: Any,
) -> Any:
    """`fused.run` to `await`: the run goes on in a thread while the event loop carries on."""
    call = _checked_call(udf, args, x, y, z, engine, type, max_retry, cache_max_age, cache,
                         parameters, params, check_now=True, instance_type=instance_type)
    return await RunHandle(call)


def _prepare_run(
    udf: Udf | str | os.PathLike[str] | Callable[..., Any],
    args: tuple[Any, ...],
    x: int | str | None,
    y: int | str | None,
    z: int | str | None,
    engine: str | None,
    cache_max_age: int | str | None,
    cache: bool,
    parameters: Mapping[str, Any] | None,
    params: dict[str, Any],
    *,
    check_now: bool,
    instance_type: str | None,
) -> Callable[[], Any]:
    """The run, ready to call; with `check_now` its arguments are bound here, so bad ones fail
    before a run in the background starts (a run made at once binds them as it starts)."""
    check_run_options(engine, cache, cache_max_age)
    # A batch instance type on this machine's engine (a remote engine takes it as its own).
    batch = instance_type not in (None, "realtime") and not goes_remote(engine)
    if batch and engine == "local":
        raise ValueError(
            f"instance_type={instance_type!r} runs a batch job on the engine, and "
            "engine='local' runs in this process: give one or the other"
        )
    merged = {**parameters, **params} if parameters else params
    if engine in REMOTE_ENGINES and _names_a_remote_udf(udf) and goes_remote(engine):
        saved, saved_params = udf, merged
        saved_tile = _given_tile(x, y, z)

        def call_saved() -> Any:
            return run_saved_on_remote(
                saved, saved_params, saved_tile, cache=cache, cache_max_age=cache_max_age
            )

        return call_saved
    if isinstance(udf, str) and is_token(udf) and engine in (None, "local"):
        if batch:
            raise ValueError("shared tokens run only with the 'realtime' instance type")
        token, token_params = udf, merged
        tile = _given_tile(x, y, z)

        def call_token() -> Any:
            return run_token(token, token_params, tile, cache=cache, cache_max_age=cache_max_age)

        return call_token
    target = resolve_udf(udf)
    tile, merged = tile_from_call(target.prepared().plan, merged, x, y, z)
    if check_now:
        bind(target.prepared().plan, args, {**target.parameters, **merged}, tile)

    if batch:
        from ._batch_run import run_batch  # on first use: it imports the engine's client

        batch_type = str(instance_type)

        def call_batch() -> Any:
            return run_batch(
                target, args, merged, tile,
                instance_type=batch_type, cache=cache, cache_max_age=cache_max_age,
            )

        return call_batch

    def call() -> Any:
        return run_call(
            target,
            args,
            merged,
            tile,
            engine=engine if engine is not None else default_engine(target),
            cache=cache,
            cache_max_age=cache_max_age,
        )

    return call


def _retrying(call: Callable[[], Any], retries: int) -> Callable[[], Any]:
    """`call`, run again when the UDF raised, up to `retries` more times, waiting longer each
    time; errors that another attempt cannot change (arguments, code that does not load) are
    raised at once."""
    if retries == 0:
        return call

    def attempts() -> Any:
        for attempt in range(retries + 1):
            try:
                return call()
            except (UdfParameterError, UdfLoadError):
                raise
            except UdfRuntimeError:
                if attempt == retries:
                    raise
                time.sleep(min(RETRY_BASE_S * 2**attempt, RETRY_MAX_S))
        raise AssertionError("unreachable: the last attempt returns or raises")

    return attempts


def _given_tile(x: int | str | None, y: int | str | None, z: int | str | None) -> TileCoord | None:
    """The tile of a run whose UDF is not loaded here (a remote's saved UDF, a shared token):
    None when x, y and z are all missing, `make_tile`'s error when only some are given."""
    return make_tile(x, y, z) if (x, y, z) != (None, None, None) else None


def _names_a_remote_udf(udf: object) -> TypeGuard[str]:
    """Whether a remote run's target is the remote's own UDF (a name or a token), not local code:
    a str that is no existing path, no code and no URL."""
    if not isinstance(udf, str) or "\n" in udf or "://" in udf:
        return False
    return not Path(udf).exists()
