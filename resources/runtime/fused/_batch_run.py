"""Fused's batch instance types on this machine: `fused.run(udf, instance_type="medium")` and
`udf(engine="large")`, with no remote engine configured, run the UDF as a batch job of the running
engine.

The job starts with the official client's request (`POST /server/v1/run?instance_type=...` with
the UDF as a one-step job config), so it shows in the window's Jobs view and its run sees
`fused.context.in_batch()`. As the official client does, the call prints "Batch job started with
ID: ...", waits for the job and returns the run's data; a failed job prints the job's log and
raises `UdfRuntimeError` ("Batch job failed"), located at the UDF's line. The wait is the engine's
long-poll (`GET /api/jobs/{id}?since=&wait=`), not a fixed poll.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlencode

from ._cache import sent_max_age
from ._engine_client import (
    EngineEndpoint,
    Refused,
    Response,
    RunHere,
    call_step_udf,
    decode_result,
    echo_output,
    error_from_data,
    find_engine,
    origin_of,
    request,
)
from ._errors import EngineUnavailableError, UdfRuntimeError

if TYPE_CHECKING:
    from ._tiles import TileCoord
    from ._udf import Udf

# One long-poll's wait; the engine answers as soon as the job changes.
WAIT_SLICE_MS: Final = 30_000
_ENDED: Final = ("succeeded", "failed", "cancelled")


def run_batch(
    udf: Udf,
    args: Sequence[object],
    params: Mapping[str, object],
    tile: TileCoord | None,
    *,
    instance_type: str,
    cache: bool,
    cache_max_age: int | str | None,
) -> Any:
    """Run a checked call of `udf` as a batch job of the running engine; return its data."""
    what = f"instance_type={instance_type!r}"
    if tile is not None:
        raise ValueError(f"{what} runs the UDF once as a batch job, not for a tile: drop x, y, z")
    endpoint, reason = find_engine()
    if endpoint is None:
        raise EngineUnavailableError(
            f"{what} runs {udf.name!r} as a batch job of the UDF Studio engine, and {reason} "
            "(start it with `udf-studio serve` or the app, or run without an instance type)"
        )
    try:
        udf_step, code = call_step_udf(udf, args, params, None)
    except RunHere as why:
        raise EngineUnavailableError(f"cannot run {udf.name!r} as a batch job: {why}") from None
    step = {"type": "udf", "udf": udf_step, "input": None}
    body: dict[str, Any] = {"config": {"name": udf.name, "steps": [step]}}
    max_age = sent_max_age(cache, cache_max_age)
    if max_age is not None:
        body["cache_max_age"] = max_age
    query = urlencode({"instance_type": instance_type})
    started = _json(endpoint, "POST", f"/server/v1/run?{query}", json.dumps(body).encode())
    job_id = str(started["job_id"])
    print(f"Batch job started with ID: {job_id}", flush=True)
    job = _wait(endpoint, job_id)
    quoted = quote(job_id, safe="")
    if job["status"] == "succeeded":
        answer = _call(endpoint, "GET", f"/api/jobs/{quoted}/runs/0/result")
        echo_output(answer.metadata, params, failed=False)
        if answer.status == 204:
            return None
        if 200 <= answer.status < 300:
            return decode_result(answer.content_type, answer.payload)
        raise EngineUnavailableError(
            f"the UDF Studio engine at {endpoint.url} did not give batch job {job_id}'s result "
            f"(HTTP {answer.status})"
        )
    for line in _json(endpoint, "GET", f"/server/v1/logs/{quoted}", None):
        print(line.get("message", ""), flush=True)
    runs = job.get("runs") or [{}]
    located = error_from_data(runs[0].get("error") or {}, origin_of(udf, code))
    word = "cancelled" if job["status"] == "cancelled" else "failed"
    raise UdfRuntimeError(
        f"Batch job {word} (job {job_id}, its log is above): {located}",
        code=located.code,
        exception_class=located.exception_class,
        file=located.file,
        line=located.line,
        traceback_text=located.traceback_text,
    ) from located


def _wait(endpoint: EngineEndpoint, job_id: str) -> dict[str, Any]:
    """The job's detail once it has ended, waiting on the engine's long-poll."""
    path = f"/api/jobs/{quote(job_id, safe='')}"
    job: dict[str, Any] = _json(endpoint, "GET", path, None)
    while job.get("status") not in _ENDED:
        job = _json(
            endpoint, "GET", f"{path}?since={job['version']}&wait={WAIT_SLICE_MS}", None
        )
    return job


def _json(endpoint: EngineEndpoint, method: str, path: str, body: bytes | None) -> Any:
    answer = _call(endpoint, method, path, body)
    if not 200 <= answer.status < 300:
        from ._engine_api import error_detail

        code, message = error_detail(answer.payload)
        raise EngineUnavailableError(
            f"the UDF Studio engine at {endpoint.url} refused {method} {path.partition('?')[0]} "
            f"({answer.status} {code}): {message}"
        )
    return json.loads(answer.payload)


def _call(endpoint: EngineEndpoint, method: str, path: str, body: bytes | None = None) -> Response:
    try:
        return request(endpoint, method, path, body)
    except Refused:
        raise EngineUnavailableError(
            f"the UDF Studio engine at {endpoint.url} went away during the batch job"
        ) from None
