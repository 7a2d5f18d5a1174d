"""The `fused.api.job_*` functions, on the running engine's jobs.

Every job of the engine (`fused.submit`, `udf-studio submit`, the window, the official client's
batch jobs) is answered by id. The status is the hosted API's `RunResponse`
(`GET /server/v1/run/by-id/{id}`), logs are `[{message, timestamp}]` (`GET /server/v1/logs/{id}`),
waiting follows the job's changes (`GET /api/jobs/{id}?since=...`), and results are each run's
result decoded as `fused.run` decodes one (`GET /api/jobs/{id}/runs/{index}/result`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import IO, Any, Final

from ._engine import call, call_json, segment

# The engine's longest long-poll (docs/http-api.md, "Submit jobs").
MAX_WAIT_S: Final = 30.0
MIN_WAIT_S: Final = 0.05
_ENDED: Final = frozenset({"succeeded", "failed", "cancelled"})


@dataclass
class RunResponse:
    """A job as the hosted API reports it; `status` is `running`, then `terminated`.

    `job_status` is `Running`, then `Done`, `Failed` or `Canceled`.
    """

    job_id: str
    job_name: str
    status: str
    terminal_status: bool
    total_tasks: int
    finished_tasks: int
    instance_id: str | None = None
    instance_type: str | None = None
    last_heartbeat: datetime | None = None
    job_status: str | None = None
    job_status_date: datetime | None = None
    finished_job_status: bool | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> RunResponse:
        known = {field.name for field in fields(cls)}
        values = {name: value for name, value in data.items() if name in known}
        for name in ("last_heartbeat", "job_status_date"):
            if isinstance(values.get(name), str):
                values[name] = datetime.fromisoformat(values[name].replace("Z", "+00:00"))
        return cls(**values)

    def get_status(self) -> RunResponse:
        return job_get_status(self)

    def get_logs(self, since_ms: int | None = None) -> list[Any]:
        return job_get_logs(self, since_ms)

    def print_logs(self, since_ms: int | None = None, file: IO[str] | None = None) -> None:
        job_print_logs(self, since_ms, file)

    def tail_logs(
        self, refresh_seconds: float = 1, sample_logs: bool = True, timeout: float | None = None
    ) -> None:
        job_tail_logs(self, refresh_seconds, sample_logs, timeout)

    def wait_for_job(
        self, poll_interval_seconds: float = 5, timeout: float | None = None
    ) -> RunResponse:
        return job_wait_for_job(self, poll_interval_seconds, timeout)

    def cancel(self) -> RunResponse:
        return job_cancel(self)

    def get_exec_time(self) -> timedelta:
        return job_get_exec_time(self)

    def get_results(self, arg_index: int = -1) -> Any:
        """Every ended run's result in run order, or the one at `arg_index`."""
        results = job_get_results(self)
        return results if arg_index < 0 else results[arg_index]


def job_get_status(job: Any) -> RunResponse:
    """The job's status (`job` is its id, or a `RunResponse`)."""
    data = call_json("fused.api.job_get_status", "GET", f"/server/v1/run/by-id/{_id(job)}")
    return RunResponse.from_data(data)


def job_cancel(job: Any) -> RunResponse:
    """Cancel the job's waiting and running runs; its status."""
    data = call_json("fused.api.job_cancel", "POST", f"/server/v1/run/by-id/{_id(job)}/cancel")
    return RunResponse.from_data(data)


def job_get_logs(job: Any, since_ms: int | None = None) -> list[Any]:
    """The job's log lines `{message, timestamp}` (ms since the epoch), those after `since_ms`
    when given."""
    query = None if since_ms is None else {"since_ms": str(int(since_ms))}
    lines = call_json("fused.api.job_get_logs", "GET", f"/server/v1/logs/{_id(job)}", query)
    return list(lines)


def job_print_logs(job: Any, since_ms: int | None = None, file: IO[str] | None = None) -> None:
    """Print the job's log lines (to `file`, else stdout)."""
    for line in job_get_logs(job, since_ms):
        print(str(line["message"]).strip(), file=file or sys.stdout)


def job_tail_logs(
    job: Any, refresh_seconds: float = 1, sample_logs: bool = True, timeout: float | None = None
) -> None:
    """Print the job's log lines as they come until it ends; with `sample_logs` only the latest
    line of each look. `TimeoutError` after `timeout` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    since: int | None = None
    while True:
        finished = job_get_status(job).terminal_status
        lines = job_get_logs(job, since)
        if lines:
            since = int(lines[-1]["timestamp"])
            for line in lines[-1:] if sample_logs and not finished else lines:
                print(str(line["message"]).rstrip())
        if finished:
            return
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"job {_id(job)} was still running after {timeout} s")
        time.sleep(refresh_seconds)


def job_get_exec_time(job: Any) -> timedelta:
    """From the job's first log line to its last (its start to its end once it has ended)."""
    lines = job_get_logs(job)
    if not lines:
        raise ValueError(f"job {_id(job)} has no log lines to time it by")
    return timedelta(milliseconds=int(lines[-1]["timestamp"]) - int(lines[0]["timestamp"]))


def job_wait_for_job(
    job: Any, poll_interval_seconds: float = 5, timeout: float | None = None
) -> RunResponse:
    """Wait until the job has ended; its status. The engine answers as soon as the job changes,
    so `poll_interval_seconds` only bounds each wait. `TimeoutError` after `timeout` seconds."""
    job_id = _id(job)
    what = "fused.api.job_wait_for_job"
    deadline = None if timeout is None else time.monotonic() + timeout
    detail = call_json(what, "GET", f"/api/jobs/{job_id}")
    while detail.get("finishedAt") is None:
        wait = min(max(poll_interval_seconds, MIN_WAIT_S), MAX_WAIT_S)
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"job {job_id} had not ended after {timeout} s")
            wait = min(wait, remaining)
        query = {"since": str(detail["version"]), "wait": str(int(wait * 1000))}
        detail = call_json(what, "GET", f"/api/jobs/{job_id}", query)
    return job_get_status(job_id)


def job_get_results(job: Any) -> list[Any]:
    """Each ended run's result, in run order, decoded as `fused.run` returns one. A run that
    failed raises its error."""
    from .._engine_client import Origin, decode_result, error_from_data

    job_id = _id(job)
    what = "fused.api.job_get_results"
    detail = call_json(what, "GET", f"/api/jobs/{job_id}")
    results: list[Any] = []
    for run in sorted(detail["runs"], key=lambda run: int(run["index"])):
        if run["status"] not in _ENDED:
            continue
        if run["status"] != "succeeded":
            raise error_from_data(run.get("error") or {}, Origin(None, 0, {}))
        answer = call(what, "GET", f"/api/jobs/{job_id}/runs/{int(run['index'])}/result")
        results.append(
            None if answer.status == 204 else decode_result(answer.content_type, answer.payload)
        )
    return results


def job_wait_for_results(
    job: Any, poll_interval_seconds: float = 5, timeout: float | None = None
) -> list[Any]:
    """Wait until the job has ended, then its results."""
    return job_get_results(job_wait_for_job(job, poll_interval_seconds, timeout))


def _id(job: Any) -> str:
    """A job's id, from the id itself or an object that carries one (`job_id`, or `id`)."""
    value = job if isinstance(job, str) else getattr(job, "job_id", getattr(job, "id", None))
    if not isinstance(value, str) or not value:
        raise TypeError(f"a job is its id (a str) or a RunResponse, not {type(job).__name__}")
    return segment(value)
