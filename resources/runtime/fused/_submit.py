"""`fused.submit` and `Udf.map`: one UDF run over many arguments, in parallel.

With no engine named, the runs go to the running UDF Studio engine as one job (its workers, its
cache; progress shows in the window too), else to threads in this process with a one-line
note; `engine="local"` always uses threads here. A remote engine name ("remote", "batch", or
"realtime" when a remote is configured) sends each run to the configured remote engine, many at
once from threads here. A Dask cluster's name (`udf-studio cluster add`) sends the job to the
running engine naming the cluster, or without an engine each run as a task straight to the
cluster from threads here (`_cluster`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from ._call import check_run_options
from ._cluster import client_for, is_cluster, run_direct
from ._engine_client import (
    RunHere,
    find_engine,
    note_once,
    origin_of,
    udf_code,
)
from ._invoke import check_cache_max_age, in_worker
from ._job_backends import EngineJobs, LocalJobs, engine_job_body
from ._job_pool import JobBackend, JobPool
from ._load import resolve_udf
from ._options import default_engine, options
from ._remote import configured_remote, goes_remote, run_remote_call

if TYPE_CHECKING:
    import pandas as pd

    from ._udf import Udf

DEFAULT_MAX_WORKERS: Final = 32
EXECUTION_TYPES: Final = ("thread_pool", "async_loop")


def submit(
    udf: Udf | str | os.PathLike[str] | Callable[..., Any],
    arg_list: Any,
    *,
    engine: str | None = None,
    instance_type: str | None = None,
    max_workers: int | None = None,
    n_processes_per_worker: int | None = None,
    max_retry: int = 2,
    debug_mode: bool = False,
    collect: bool = True,
    execution_type: str = "thread_pool",
    cache_max_age: int | str | None = None,
    run_cache_max_age: int | str | None = None,
    cache: bool = True,
    ignore_exceptions: bool = False,
    flatten: bool = True,
    drop_index: bool = False,
    show_progress: bool | None = None,
    **params: Any,
) -> pd.DataFrame | JobPool:
    """Run `udf` once per item of `arg_list`, in parallel.

    `arg_list` is a list of values (each bound to the UDF's first parameter), a list of dicts
    of parameters, or a DataFrame (one run a row). Keyword arguments are parameters every run
    gets. `collect=True` waits (with a progress bar) and returns one DataFrame (see
    `JobPool.collect`, which `flatten` and `drop_index` go to); `collect=False` returns the
    JobPool at once. `debug_mode=True` runs the first item only. Failures the UDF raised are
    retried `max_retry` times with back-off. The SDK's choices of Fused's machines
    (`instance_type`, `n_processes_per_worker`, `execution_type`: threads or an event loop)
    and its per-run cache of batch jobs (`run_cache_max_age`) mean nothing on one machine: the
    runs go where `engine` says and the engine caches each (`cache_max_age`).
    """
    if execution_type not in EXECUTION_TYPES:
        raise ValueError(
            f"execution_type must be one of {', '.join(EXECUTION_TYPES)}, got {execution_type!r}"
        )
    target = resolve_udf(udf)
    if not cache and cache_max_age is not None:
        raise ValueError("cache=False already means cache_max_age=0; give one or the other")
    check_cache_max_age(cache_max_age)
    workers = DEFAULT_MAX_WORKERS if max_workers is None else max_workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"max_workers must be a whole number of at least 1, got {max_workers!r}")
    if isinstance(max_retry, bool) or not isinstance(max_retry, int) or not 0 <= max_retry <= 10:
        raise ValueError(f"max_retry must be a whole number from 0 to 10, got {max_retry!r}")
    items = bind_arg_list(target, arg_list)
    if debug_mode:
        items = items[:1]
    check_names(target, items, params)
    show = show_progress
    if show is None:
        show = bool(options.show.enable_tqdm) and not in_worker()
    engine_name = engine if engine is not None else default_engine(target)
    check_run_options(engine_name, cache, cache_max_age)
    if goes_remote(engine_name):
        configured_remote()  # no remote configured: say so now, not once per run

        def call_remote(run_params: Mapping[str, Any]) -> Any:
            return run_remote_call(target, run_params, cache=cache, cache_max_age=cache_max_age)

    cluster = engine_name if is_cluster(engine_name) else None
    if cluster is not None and engine_name is not None:
        cluster_endpoint, _ = find_engine()
        if cluster_endpoint is None:
            client_for(cluster)  # an unreachable scheduler: say so now, not once per run

            def call_cluster(run_params: Mapping[str, Any]) -> Any:
                return run_direct(cluster, target, (), run_params, None)

    def start(part: Sequence[Mapping[str, Any]]) -> JobBackend:
        if cluster is not None:
            if cluster_endpoint is not None:
                backend = _engine_jobs(
                    target, part, params, workers, max_retry, cache, cache_max_age, cluster
                )
                if backend is not None:
                    return backend
            return LocalJobs(
                target, part, params, max_workers=workers, max_retry=max_retry, call=call_cluster
            )
        if goes_remote(engine_name):
            return LocalJobs(
                target, part, params, max_workers=workers, max_retry=max_retry, call=call_remote
            )
        if engine_name != "local":
            backend = _engine_jobs(target, part, params, workers, max_retry, cache, cache_max_age)
            if backend is not None:
                return backend
        return LocalJobs(target, part, params, max_workers=workers, max_retry=max_retry)

    pool = JobPool(target.name, items, start(items), resubmit=start, show_progress=show)
    if not collect:
        return pool
    return pool.collect(
        ignore_exceptions=ignore_exceptions, flatten=flatten, drop_index=drop_index
    )


def bind_arg_list(udf: Udf, arg_list: Any) -> list[dict[str, Any]]:
    """The runs' parameters: dicts as they are, a DataFrame's rows, other values bound to the
    UDF's first parameter."""
    pd = sys.modules.get("pandas")  # a DataFrame means pandas is loaded; do not load it here
    if pd is not None and isinstance(arg_list, pd.DataFrame):
        items: list[Any] = arg_list.to_dict("records")
    elif isinstance(arg_list, str | bytes | Mapping) or not isinstance(arg_list, Iterable):
        raise TypeError(
            "arg_list must be a list of values, a list of dicts or a DataFrame, "
            f"not {type(arg_list).__name__}"
        )
    else:
        items = list(arg_list)
    if not items:
        raise ValueError("arg_list is empty: nothing to run")
    if all(isinstance(item, Mapping) for item in items):
        return [{str(key): value for key, value in item.items()} for item in items]
    parameters = udf.prepared().plan.parameters
    if not parameters:
        raise TypeError(f"{udf.name} takes no parameters, so arg_list items must be dicts")
    first = parameters[0].name
    return [dict(item) if isinstance(item, Mapping) else {first: item} for item in items]


def check_names(udf: Udf, items: list[dict[str, Any]], params: Mapping[str, Any]) -> None:
    """`TypeError` for a parameter the UDF does not take (before anything runs)."""
    plan = udf.prepared().plan
    if plan.takes_kwargs:
        return
    for names in (params.keys(), *(item.keys() for item in items)):
        unknown = [name for name in names if name not in plan.by_name]
        if unknown:
            raise TypeError(f"{udf.name} has no parameter {unknown[0]!r}")


def _engine_jobs(
    udf: Udf,
    items: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    max_workers: int,
    max_retry: int,
    cache: bool,
    cache_max_age: int | str | None,
    cluster: str | None = None,
) -> EngineJobs | None:
    """The job on the running engine (its runs on `cluster` when named), or None (with a note)
    to run it here."""
    endpoint, reason = find_engine()
    quiet = in_worker()
    if endpoint is None:
        if not quiet:
            note_once("no-engine", f"fused: {reason}; running the submit in this process")
        return None
    try:
        code = udf_code(udf)
        body = engine_job_body(
            udf,
            code,
            items,
            params,
            max_workers=max_workers,
            max_retry=max_retry,
            cache=cache,
            cache_max_age=cache_max_age,
        )
    except RunHere as why:
        if not quiet:
            note_once(str(why), f"fused: {why}; running the submit in this process")
        return None
    if cluster is not None:
        body["cluster"] = cluster
    return EngineJobs(endpoint, body, origin_of(udf, code))
