"""Where a call runs: the running engine, this process, a remote engine, a batch job, a cluster.

Shared by `Udf.__call__`, `fused.run` and `fused.submit`, so a UDF behaves the same everywhere.
`run_call` sends a call without an engine to the running UDF Studio engine (`_engine_client`)
and runs it in this process otherwise (`_invoke.invoke`, the in-process call).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._errors import EngineUnavailableError, UdfRuntimeError
from ._invoke import LOCAL_ENGINES, REMOTE_ENGINES, check_cache_max_age, in_worker, invoke
from ._nesting import at_depth, child_depth

if TYPE_CHECKING:
    from ._tiles import TileCoord
    from ._udf import Udf


def check_run_options(engine: str | None, cache: bool, cache_max_age: int | str | None) -> None:
    """Check a run's `engine` and cache options before anything runs.

    Raises `ValueError` for `cache=False` together with a `cache_max_age` (they say the same
    thing twice), and `EngineUnavailableError` for an engine name that is neither local nor
    remote.
    """
    if not cache and cache_max_age is not None:
        raise ValueError("cache=False already means cache_max_age=0; give one or the other")
    check_cache_max_age(cache_max_age)
    if engine not in LOCAL_ENGINES and engine not in REMOTE_ENGINES:
        from ._cluster import is_cluster, read_clusters

        if is_cluster(engine):
            return
        clusters = ", ".join(sorted(read_clusters())) or "none configured"
        raise EngineUnavailableError(
            f"engine={engine!r} is not an engine: use 'local', 'remote' (also 'realtime', "
            "'batch', 'small', 'medium', 'large') for the configured remote engine (else this "
            f"machine's), or a Dask cluster's name (udf-studio cluster add; clusters: {clusters})"
        )


def run_call(
    udf: Udf,
    args: Sequence[object],
    params: Mapping[str, object],
    tile: TileCoord | None,
    *,
    engine: str | None,
    cache: bool = True,
    cache_max_age: int | str | None = None,
) -> Any:
    """Run a checked call where it belongs and return its data.

    With no engine named, the call goes to the running UDF Studio engine when one answers (from
    a UDF in a worker too: the engine starts nested runs at once, so a busy pool cannot
    deadlock); otherwise (and always for `engine="local"`) it runs in this process. Either way
    it is one level deeper than the run it is made from, and fails past five levels. Remote
    engine names send it to the configured remote engine (`_remote`); with none configured,
    "realtime" is the local engine and a batch name a batch job of it (`_batch_run`). A Dask
    cluster's name sends it to that cluster (`_cluster`). Its error names the UDF (`udf_name`),
    so a run it is nested in can say which UDF failed.
    """
    try:
        return _run_where(
            udf, args, params, tile, engine=engine, cache=cache, cache_max_age=cache_max_age
        )
    except UdfRuntimeError as exc:
        exc.udf_name = udf.name
        raise


def _run_where(
    udf: Udf,
    args: Sequence[object],
    params: Mapping[str, object],
    tile: TileCoord | None,
    *,
    engine: str | None,
    cache: bool,
    cache_max_age: int | str | None,
) -> Any:
    if engine not in LOCAL_ENGINES and engine not in REMOTE_ENGINES:
        from ._cluster import run_on_cluster

        return run_on_cluster(
            str(engine), udf, args, params, tile, cache=cache, cache_max_age=cache_max_age
        )
    if engine in REMOTE_ENGINES:
        from ._remote import goes_remote, run_on_remote

        if goes_remote(engine):
            return run_on_remote(udf, args, params, tile, cache=cache, cache_max_age=cache_max_age)
        if engine != "realtime":
            from ._batch_run import run_batch

            return run_batch(
                udf, args, params, tile,
                instance_type=str(engine), cache=cache, cache_max_age=cache_max_age,
            )
        engine = None  # "realtime" with no remote configured: the local engine
    if engine is None:
        from ._engine_client import run_on_engine  # on first use

        # A UDF in a worker calls the engine only when it runs (the Engine API alone has none).
        sent, result = run_on_engine(
            udf, args, params, tile, cache=cache, cache_max_age=cache_max_age, quiet=in_worker()
        )
        if sent:
            return result
    with at_depth(child_depth()):
        return invoke(udf, args, params, tile)
