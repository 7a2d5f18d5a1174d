"""What runs a JobPool's runs: the running engine's job API, or threads in this process.

`EngineJobs` starts a job with `POST /api/jobs` (the UDF's code travels, as for a code run),
follows it by long-polling `GET /api/jobs/{id}?since=VERSION`, and fetches results one run at a
time. `LocalJobs` runs the UDF in a pool of threads here, with the same retries and statuses;
runs that wait (I/O, sleep) overlap, CPU-bound Python ones take turns.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from . import _thread_output
from ._engine_client import (
    RESULT_FORMATS,
    EngineEndpoint,
    Origin,
    Refused,
    Response,
    decode_result,
    error_from_data,
    error_object,
    json_object,
    request,
    step_udf,
)
from ._errors import (
    RETRYABLE_CODES,
    UDF_ERR_CANCELLED,
    UDF_ERR_REMOTE_FAILED,
    EngineUnavailableError,
    UdfRuntimeError,
)
from ._interrupt import RunCancelled, interrupt_thread
from ._invoke import invoke
from ._job_pool import FINISHED, RunRecord
from ._nesting import at_depth, child_depth

if TYPE_CHECKING:
    from ._udf import Udf
    from ._udf_like import UdfLike

RETRY_BASE_S: Final = 0.2
# Status polls closer together than this reuse the last answer.
FRESH_S: Final = 0.05


class EngineJobs:
    """A job on the running engine."""

    def __init__(self, endpoint: EngineEndpoint, body: Mapping[str, Any], origin: Origin) -> None:
        self._endpoint = endpoint
        self._origin = origin
        answer = self._call("POST", "/api/jobs", json.dumps(body, allow_nan=False).encode())
        if answer.status != 201:
            raise _refusal(endpoint, answer, origin)
        self._detail: dict[str, Any] = json.loads(answer.payload)
        self._id = str(self._detail["id"])
        self._fetched = time.monotonic()
        self._errors: dict[int, UdfRuntimeError] = {}
        self._logs: dict[int, str] = {}
        self._lock = threading.Lock()

    @property
    def job_id(self) -> str:
        return self._id

    def records(self) -> list[RunRecord]:
        if not self._finished() and time.monotonic() - self._fetched > FRESH_S:
            self._refresh("")
        return [self._record(run) for run in self._detail["runs"]]

    def wait_for_change(self, timeout: float) -> None:
        if not self._finished():
            self._refresh(f"?since={self._detail['version']}&wait={int(timeout * 1000)}")

    def result(self, index: int) -> Any:
        answer = self._call("GET", f"/api/jobs/{self._id}/runs/{index}/result")
        self._keep_logs(index, answer)
        if answer.status == 204:
            return None
        if 200 <= answer.status < 300:
            return decode_result(answer.content_type, answer.payload)
        raise _refusal(self._endpoint, answer, self._origin)

    def logs(self, index: int) -> str:
        if index not in self._logs:
            self._keep_logs(index, self._call("GET", f"/api/jobs/{self._id}/runs/{index}/result"))
        return self._logs.get(index, "")

    def cancel(self) -> None:
        self._call("POST", f"/api/jobs/{self._id}/cancel", b"{}")
        self._refresh("")

    def _finished(self) -> bool:
        return self._detail.get("finishedAt") is not None

    def _refresh(self, query: str) -> None:
        answer = self._call("GET", f"/api/jobs/{self._id}{query}")
        if answer.status != 200:
            raise _refusal(self._endpoint, answer, self._origin)
        with self._lock:
            self._detail = json.loads(answer.payload)
            self._fetched = time.monotonic()

    def _record(self, run: Mapping[str, Any]) -> RunRecord:
        index = int(run["index"])
        error = None
        if run.get("error") and run["status"] in ("failed", "cancelled"):
            if index not in self._errors:
                self._errors[index] = error_from_data(run["error"], self._origin)
            error = self._errors[index]
        duration = run.get("durationMs")
        return RunRecord(
            index,
            run.get("args") or {},
            str(run["status"]),
            int(run.get("attempts") or 0),
            None if duration is None else float(duration) / 1000.0,
            error,
        )

    def _keep_logs(self, index: int, answer: Response) -> None:
        stdout, stderr = answer.metadata.get("stdout"), answer.metadata.get("stderr")
        self._logs[index] = (stdout if isinstance(stdout, str) else "") + (
            stderr if isinstance(stderr, str) else ""
        )

    def _call(self, method: str, target: str, body: bytes | None = None) -> Response:
        try:
            return request(self._endpoint, method, target, body)
        except Refused:
            raise EngineUnavailableError(
                f"the UDF Studio engine at {self._endpoint.url} went away during the job"
            ) from None


def engine_job_body(
    udf: UdfLike,
    code: str,
    items: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    max_workers: int,
    max_retry: int,
    cache: bool,
    cache_max_age: int | str | None,
) -> dict[str, Any]:
    """The body of `POST /api/jobs` for a UDF's code and its runs' arguments, as JSON;
    `RunHere` when one cannot travel."""
    body: dict[str, Any] = {
        "udf": step_udf(udf, code, json_object(udf.parameters, "parameter")),
        "argList": [json_object(item, "argument") for item in items],
        "params": json_object(params, "parameter"),
        "maxWorkers": max_workers,
        "maxRetry": max_retry,
        "format": RESULT_FORMATS,
        "cache": cache,
    }
    if cache_max_age is not None:
        body["cacheMaxAge"] = cache_max_age
    return body


def _refusal(endpoint: EngineEndpoint, answer: Response, origin: Origin) -> Exception:
    error = error_object(answer.payload)
    if error is None:
        return EngineUnavailableError(
            f"the UDF Studio engine at {endpoint.url} answered {answer.status} without an error"
        )
    if answer.status in (400, 401, 403, 404, 409, 503) and not error.get("line"):
        return EngineUnavailableError(
            f"the UDF Studio engine at {endpoint.url} refused the job "
            f"({answer.status} {error.get('code')}): {error.get('message')}"
        )
    return error_from_data(error, origin)


@dataclass
class _LocalRun:
    args: Mapping[str, Any]
    status: str = "pending"
    attempts: int = 0
    duration_s: float | None = None
    error: UdfRuntimeError | None = None
    value: Any = None
    logs: str = ""
    thread: int | None = None
    future: Future[None] | None = field(default=None, repr=False)


class LocalJobs:
    """Runs in threads of this process: the UDF itself, or (with `call`) each run sent elsewhere,
    such as a remote engine, which is why an error that is not the UDF's fails the run too."""

    def __init__(
        self,
        udf: Udf,
        items: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        *,
        max_workers: int,
        max_retry: int,
        call: Callable[[Mapping[str, Any]], Any] | None = None,
    ) -> None:

        self._call = call or (lambda params: invoke(udf, (), params, None))
        self._udf = udf
        self._params = dict(params)
        self._max_retry = max_retry
        self._depth = child_depth()
        self._runs = [_LocalRun(args) for args in items]
        self._changed = threading.Condition()
        self._cancelled = False
        _thread_output.install()
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, min(max_workers, len(items))), thread_name_prefix="fused-submit"
        )
        for index, run in enumerate(self._runs):
            run.future = self._executor.submit(self._run, index)
        self._executor.shutdown(wait=False)

    def records(self) -> list[RunRecord]:
        with self._changed:
            return [
                RunRecord(i, run.args, run.status, run.attempts, run.duration_s, run.error)
                for i, run in enumerate(self._runs)
            ]

    def wait_for_change(self, timeout: float) -> None:
        with self._changed:
            if all(run.status in FINISHED for run in self._runs):
                return
            self._changed.wait(timeout)

    def result(self, index: int) -> Any:
        return self._runs[index].value

    def logs(self, index: int) -> str:
        return self._runs[index].logs

    def cancel(self) -> None:
        with self._changed:
            self._cancelled = True
            for run in self._runs:
                if run.status == "pending" and run.future is not None and run.future.cancel():
                    run.status = "cancelled"
                elif run.status == "running" and run.thread is not None:
                    interrupt_thread(run.thread)
            self._changed.notify_all()

    def _run(self, index: int) -> None:
        run = self._runs[index]
        with self._changed:
            if self._cancelled:
                run.status = "cancelled"
                self._changed.notify_all()
                return
            run.status = "running"
            run.thread = threading.get_ident()
            self._changed.notify_all()
        params = {**self._params, **run.args}
        try:
            while True:
                run.attempts += 1
                started = time.perf_counter()
                with _thread_output.captured() as (out, err), at_depth(self._depth):
                    try:
                        value = self._call(params)
                        error = None
                    except UdfRuntimeError as exc:
                        value, error = None, exc
                    except Exception as exc:  # the remote, not the UDF: the run fails all the same
                        value = None
                        error = UdfRuntimeError(
                            str(exc), code=UDF_ERR_REMOTE_FAILED, exception_class=type(exc).__name__
                        )
                    finally:
                        run.duration_s = time.perf_counter() - started
                run.logs = out.getvalue() + err.getvalue()
                if error is None:
                    self._end(run, "succeeded", value=value)
                    return
                if error.code in RETRYABLE_CODES and run.attempts <= self._max_retry:
                    time.sleep(RETRY_BASE_S * 2 ** (run.attempts - 1))
                    if not self._cancelled:
                        continue
                self._end(run, "failed", error=error)
                return
        except RunCancelled:
            self._end(run, "cancelled", error=UdfRuntimeError("cancelled", code=UDF_ERR_CANCELLED))

    def _end(self, run: _LocalRun, status: str, *, value: Any = None, error: Any = None) -> None:
        with self._changed:
            run.thread = None
            run.status = status
            run.value = value
            run.error = error
            self._changed.notify_all()
