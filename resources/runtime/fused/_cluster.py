"""Runs on a configured Dask cluster: `engine="<cluster name>"` in `fused.run`, `fused.submit`
and `Udf.map`.

Clusters are configured with `udf-studio cluster add NAME tcp://HOST:PORT`, kept in
`$UDF_STUDIO_HOME/clusters.json`. With the UDF Studio engine running, a submit goes to it as a
job naming the cluster (its result cache in front, progress in the window), and so does a
`fused.run` outside tile mode, as a job of one run. Without an engine (or for a tile), this process
connects to the scheduler itself with `distributed.Client` and sends each run as one task
(`udf_studio_cluster.task.run_task`, the same task the engine's bridge sends); nothing is cached
then. Errors come back as for local runs; a scheduler that does not answer within
`CONNECT_TIMEOUT_S` raises `EngineUnavailableError` naming the cluster.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from ._errors import (
    UDF_ERR_CLUSTER_FAILED,
    UDF_ERR_CLUSTER_LOST,
    UDF_ERR_WORKER_CRASHED,
    EngineUnavailableError,
    UdfRuntimeError,
)
from ._shared_disk import studio_home

if TYPE_CHECKING:
    from ._tiles import TileCoord
    from ._udf import Udf

CONNECT_TIMEOUT_S: Final = 5.0
# Engine names with a meaning of their own: never a cluster's.
_ENGINE_NAMES: Final = frozenset(
    {"local", "remote", "realtime", "batch", "small", "medium", "large"}
)
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def read_clusters() -> dict[str, str]:
    """The configured clusters: name → scheduler address (empty when none, or unreadable)."""
    path = studio_home() / "clusters.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get("clusters") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return {}
    return {
        entry["name"]: entry["address"]
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("address"), str)
    }


def is_cluster(engine: str | None) -> bool:
    """Whether `engine` names a configured Dask cluster."""
    return engine is not None and engine not in _ENGINE_NAMES and engine in read_clusters()


def cluster_address(name: str) -> str:
    """The scheduler address of cluster `name`; `EngineUnavailableError` for an unknown one."""
    clusters = read_clusters()
    if name not in clusters:
        known = ", ".join(sorted(clusters)) or "none"
        raise EngineUnavailableError(f"no Dask cluster named {name!r} (configured: {known})")
    return clusters[name]


def client_for(name: str) -> Any:
    """This process's `distributed.Client` for cluster `name`, connected on first use."""
    address = cluster_address(name)
    with _clients_lock:
        client = _clients.get(address)
        if client is not None and client.status == "running":
            return client
        try:
            from distributed import Client
        except ImportError:
            raise EngineUnavailableError(
                "running on a Dask cluster without the engine needs the distributed package "
                "(pip install distributed), or start the engine: udf-studio serve"
            ) from None
        try:
            client = _client_class(Client)(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except Exception as exc:
            raise EngineUnavailableError(
                f"the Dask scheduler of cluster {name!r} ({address}) did not answer within "
                f"{CONNECT_TIMEOUT_S:g} s: {type(exc).__name__}: {exc}"
            ) from None
        _clients[address] = client
        return client


def _client_class(cls: Any) -> Any:
    """`distributed.Client` as an untyped callable (the library has no annotations there)."""
    return cls


def task_request(
    udf: Udf, code: str, params: Mapping[str, object], tile: TileCoord | None, formats: str
) -> dict[str, Any]:
    """The worker protocol's `run` request for one run of `udf` (what a cluster task takes)."""
    headers = [
        {"module_name": header.module_name, "path": None, "code": header.source_code}
        for header in udf.headers
    ]
    digest = hashlib.sha256()
    for part in (
        code,
        udf.entrypoint or "",
        *(f"{h['module_name']}\0{h['code']}" for h in headers),
    ):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return {
        "op": "run",
        "udf": {
            "key": digest.hexdigest(),
            "name": udf.name,
            "path": None,
            "dir": None,
            "code": code,
            "entrypoint": udf.entrypoint,
            "headers": headers,
            "metadata": {},
        },
        "params": {**udf.parameters, **params},
        "tile": None if tile is None else {"x": tile.x, "y": tile.y, "z": tile.z},
        "formats": formats.split(","),
        "defaults": {},
    }


def run_direct(
    name: str,
    udf: Udf,
    args: Sequence[object],
    params: Mapping[str, object],
    tile: TileCoord | None,
) -> Any:
    """One run of `udf` as a task on cluster `name`, from this process; its data."""
    from ._engine_client import (
        RESULT_FORMATS,
        _named_arguments,
        decode_result,
        echo_output,
        error_from_data,
        origin_of,
        udf_code,
    )

    client = client_for(name)
    code = udf_code(udf)
    named = _named_arguments(udf.prepared().plan, args, params, tile)
    request = task_request(udf, code, named, tile, RESULT_FORMATS)
    from udf_studio_cluster.task import run_task

    future = client.submit(run_task, request, pure=False)
    try:
        header, payload = future.result()
    except Exception as exc:
        raise _task_error(name, exc) from None
    echo_output(header, params, failed=not header.get("ok"))
    if not header.get("ok"):
        raise error_from_data(header.get("error") or {}, origin_of(udf, code))
    return decode_result(str(header.get("contentType") or ""), payload)


def run_on_cluster(
    name: str,
    udf: Udf,
    args: Sequence[object],
    params: Mapping[str, object],
    tile: TileCoord | None,
    *,
    cache: bool = True,
    cache_max_age: int | str | None = None,
) -> Any:
    """`fused.run(udf, engine=NAME)`: through the running engine as a job of one run (cached
    there), else (and for a tile) straight to the cluster from this process."""
    from ._engine_client import (
        RunHere,
        _named_arguments,
        find_engine,
        origin_of,
        udf_code,
    )
    from ._job_backends import EngineJobs, engine_job_body

    cluster_address(name)  # an unknown name fails here, wherever the run would go
    endpoint, _ = find_engine() if tile is None else (None, "")
    if endpoint is not None:
        try:
            code = udf_code(udf)
            named = _named_arguments(udf.prepared().plan, args, params, tile)
            body = engine_job_body(
                udf,
                code,
                [named],
                {},
                max_workers=1,
                max_retry=0,
                cache=cache,
                cache_max_age=cache_max_age,
            )
        except RunHere:
            endpoint = None
        else:
            body["cluster"] = name
            job = EngineJobs(endpoint, body, origin_of(udf, code))
            while job.records()[0].status not in ("succeeded", "failed", "cancelled"):
                job.wait_for_change(30.0)
            record = job.records()[0]
            value = job.result(0) if record.error is None else None
            sys.stdout.write(job.logs(0))  # what the UDF printed, as a run here would show it
            if record.error is not None:
                raise record.error
            return value
    return run_direct(name, udf, args, params, tile)


def _task_error(name: str, exc: Exception) -> UdfRuntimeError:
    kind = type(exc).__name__
    if kind == "KilledWorker":
        return UdfRuntimeError(
            f"the Dask workers running this task kept dying: {exc}", code=UDF_ERR_WORKER_CRASHED
        )
    if "Cancelled" in kind:
        return UdfRuntimeError(
            f"lost the Dask scheduler of cluster {name!r} during the run", code=UDF_ERR_CLUSTER_LOST
        )
    return UdfRuntimeError(
        f"the task failed on cluster {name!r}: {kind}: {exc}", code=UDF_ERR_CLUSTER_FAILED
    )
