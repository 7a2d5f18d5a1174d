"""`fused.run`: run a UDF (object, name, path or code) and return its data.

Without an engine a run goes to the running UDF Studio engine when one answers (see
`_engine_client`), else it runs in this process; `engine="local"` always runs here. A shared
token runs the UDF it names on the local server (`_token_run`); `UDF_<name>` is the workspace
UDF `<name>`. `engine="remote"` (and Fused's other engine names) runs on the configured remote
engine (`_remote`): a `Udf` as code, a saved name or a token as the remote's own UDF.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FunctionType
from typing import Any, TypeGuard

from ._async_run import RunHandle
from ._binding import bind
from ._call import REMOTE_ENGINES, check_run_options, run_call, tile_from_call
from ._errors import UdfLoadError
from ._load import load, load_name
from ._remote import goes_remote, run_saved_on_remote
from ._tiles import make_tile
from ._token_run import run_token, udf_name_for_token
from ._udf import Udf

_HEX_TOKEN = re.compile(r"^[0-9a-f]{64}$")


def run(
    udf: Udf | str | os.PathLike[str] | Callable[..., Any],
    *args: Any,
    x: int | str | None = None,
    y: int | str | None = None,
    z: int | str | None = None,
    engine: str | None = None,
    cache_max_age: int | str | None = None,
    cache: bool = True,
    parameters: Mapping[str, Any] | None = None,
    sync: bool = True,
    **params: Any,
) -> Any:
    """Run a UDF and return its data.

    `udf` is a `Udf`, a plain function, or anything `fused.load` takes (a name resolves the
    same way). `x`, `y`, `z` together select tile mode: the first parameter receives the tile,
    converted by its annotation. `parameters` and keyword arguments are the UDF's arguments;
    strings are converted by annotation. With `engine=None` the run goes to the running UDF
    Studio engine when there is one (and the arguments can travel as JSON), else it runs in this
    process; `engine="local"` always runs here. Errors raise `UdfRuntimeError` (with `code`,
    `line`, `file`); `cache=False` with a `cache_max_age` is a `ValueError`; unknown engines
    and shared tokens without a remote raise `EngineUnavailableError`, as does an engine that
    fails mid-run. `engine="remote"` (or "realtime", "batch", ...) runs on the configured remote
    engine: a `Udf` as code, a name or token as the remote's own UDF.
    `sync=False` starts the run and returns a `RunHandle` at once: `await` it, or call
    `.result()`; its arguments are checked before it starts.
    """
    check_run_options(engine, cache, cache_max_age)
    merged = {**parameters, **params} if parameters else params
    if engine in REMOTE_ENGINES and _names_a_remote_udf(udf) and goes_remote(engine):
        saved, saved_params = udf, merged
        saved_tile = make_tile(x, y, z) if (x, y, z) != (None, None, None) else None

        def call_saved() -> Any:
            return run_saved_on_remote(
                saved, saved_params, saved_tile, cache=cache, cache_max_age=cache_max_age
            )

        return call_saved() if sync else RunHandle(call_saved)
    if isinstance(udf, str) and is_token(udf) and engine in (None, "local"):
        token, token_params = udf, merged
        tile = make_tile(x, y, z) if (x, y, z) != (None, None, None) else None

        def call_token() -> Any:
            return run_token(token, token_params, tile, cache=cache, cache_max_age=cache_max_age)

        return call_token() if sync else RunHandle(call_token)
    target = resolve_udf(udf)
    tile, merged = tile_from_call(target.prepared().plan, merged, x, y, z)

    def call() -> Any:
        return run_call(
            target,
            args,
            merged,
            tile,
            engine=engine if engine is not None else target.engine,
            cache=cache,
            cache_max_age=cache_max_age,
        )

    if sync:
        return call()
    # Bad arguments fail here, not when the handle is awaited.
    bind(target.prepared().plan, args, {**target.parameters, **merged}, tile)
    return RunHandle(call)


def resolve_udf(udf: Udf | str | os.PathLike[str] | Callable[..., Any]) -> Udf:
    """The `Udf` to run for `fused.run`'s first argument."""
    if isinstance(udf, Udf):
        return udf
    if isinstance(udf, FunctionType):
        return Udf(udf)
    if not isinstance(udf, str | os.PathLike):
        raise TypeError(f"fused.run needs a UDF, a name, a path or code, not {type(udf).__name__}")
    text = os.fspath(udf)
    if is_token(text):
        return load_name(udf_name_for_token(text))
    try:
        return load(text)
    except UdfLoadError:
        # `UDF_<name>` is a UDF's public name: the workspace UDF of that name.
        if text.startswith("UDF_") and len(text) > 4:
            return load_name(text[4:])
        raise


def _names_a_remote_udf(udf: object) -> TypeGuard[str]:
    """Whether a remote run's target is the remote's own UDF (a name or a token), not local code:
    a str that is no existing path, no code and no URL."""
    if not isinstance(udf, str) or "\n" in udf or "://" in udf:
        return False
    return not Path(udf).exists()


def is_token(text: str) -> bool:
    """Whether a string is a shared token (`fsh_...` or 64 hex characters)."""
    return text.startswith("fsh_") or bool(_HEX_TOKEN.match(text))
