"""Calling a UDF in this process, and the run options every caller checks the same way.

`invoke` binds a call's arguments and runs the UDF here; `_call.run_call` decides where a call
runs and ends here for local runs, as the worker and the in-process job backends do directly.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from ._binding import CallPlan, bind
from ._errors import (
    UDF_ERR_MEMORY,
    UDF_ERR_RECURSION,
    UDF_ERR_RUNTIME,
    UdfRuntimeError,
    error_from_exception,
)
from ._headers import restore
from ._run_context import running_udf
from ._tiles import TileCoord, make_tile

if TYPE_CHECKING:
    from ._udf_like import UdfLike

LOCAL_ENGINES: Final = (None, "local")
# Fused's serverless and batch engines and its instance names: the configured remote engine (the
# local engine, or a batch job of it, when none is configured; see `_remote.goes_remote`).
REMOTE_ENGINES: Final = ("remote", "realtime", "batch", "small", "medium", "large")
# Set by the engine for its workers: no notes about a missing engine there, no progress bars.
WORKER_ENV: Final = "UDF_STUDIO_WORKER"
_MAX_AGE = re.compile(r"^\d+[smhd]$")
_TILE_NAMES: Final = ("x", "y", "z")


def check_cache_max_age(value: int | str | None) -> int | str | None:
    """Check a `cache_max_age`: seconds as an int, or a string like "30s", "10m", "24h", "7d"."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(
            f"cache_max_age must be an int of seconds or a string like '24h': {value!r}"
        )
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"cache_max_age must not be negative: {value}")
        return value
    if not _MAX_AGE.match(value):
        raise ValueError(f"cache_max_age must look like 30s, 10m, 24h or 7d: {value!r}")
    return value


def tile_from_call(
    plan: CallPlan, params: dict[str, Any], x: object, y: object, z: object
) -> tuple[TileCoord | None, dict[str, Any]]:
    """Tile mode from `x`, `y`, `z` keyword arguments.

    All three select tile mode. Some of them are plain parameters when the UDF declares all of
    those given (a UDF may take its own `x`); otherwise a partial set is a `UdfTileError`.
    """
    given = {
        name: value for name, value in zip(_TILE_NAMES, (x, y, z), strict=True) if value is not None
    }
    if not given:
        return None, params
    if len(given) < len(_TILE_NAMES) and all(name in plan.by_name for name in given):
        return None, {**params, **given}
    return make_tile(x, y, z), params


def in_worker() -> bool:
    """Whether this process is a UDF Studio worker: `UDF_STUDIO_WORKER` is set (not "0"), or
    the worker package is loaded (workers of engines that do not set it yet)."""
    return os.environ.get(WORKER_ENV, "0") != "0" or "udf_studio_worker" in sys.modules


def invoke(
    udf: UdfLike, args: Sequence[object], params: Mapping[str, object], tile: TileCoord | None
) -> Any:
    """Bind the arguments and call the UDF with its header modules installed (and as
    `fused.context.this_udf()` for the code it runs).

    An exception from the UDF is raised as `UdfRuntimeError` (`UDF_ERR_MEMORY` for
    `MemoryError`) located at the deepest frame in the UDF's own files, chained to the original.
    """
    prepared = udf.prepared()
    if udf.parameters:
        params = {**udf.parameters, **params}
    call_args, call_kwargs = bind(prepared.plan, args, params, tile)
    header_set = prepared.headers
    saved = header_set.activate() if header_set is not None else None
    try:
        with running_udf(udf):
            return prepared.fn(*call_args, **call_kwargs)
    except Exception as exc:
        code = UDF_ERR_MEMORY if isinstance(exc, MemoryError) else UDF_ERR_RUNTIME
        if isinstance(exc, UdfRuntimeError) and exc.code == UDF_ERR_RECURSION:
            # Too deep anywhere below: the whole chain says so with the deepest level's message,
            # not one wrapping per level (a loop through remote engines would grow it each hop).
            raise UdfRuntimeError(
                exc.message, code=UDF_ERR_RECURSION, exception_class=exc.exception_class
            ) from exc
        raise error_from_exception(exc, prepared.files, code=code) from exc
    finally:
        if saved is not None:
            restore(saved)
