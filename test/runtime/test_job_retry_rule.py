"""#21: the runtime's jobs retry exactly what the engine's do, the codes docs/errors.md lists
(test/engine/jobs/retry-rule.integration.test.ts checks the engine's side)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fused
from fused import EngineUnavailableError, UdfRuntimeError
from fused._errors import RETRYABLE_CODES
from fused._job_backends import LocalJobs
from fused._job_pool import FINISHED, RunRecord

ERRORS_DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


@fused.udf
def double(n: int = 0):
    return n * 2


def documented_retries() -> set[str]:
    section = ERRORS_DOC.read_text().split("## Retried by jobs", 1)[1]
    bullets = [line for line in section.splitlines() if line.startswith("- ")]
    names = [line.split(":")[0] for line in bullets]
    return {code for name in names for code in re.findall(r"`(UDF_ERR_[A-Z_]+)`", name)}


class FailsFirst:
    """A job's call that fails once with `error`, then answers: a remote that recovers."""

    def __init__(self, error: Exception) -> None:
        self._error = error
        self._lock = threading.Lock()
        self.calls = 0

    def __call__(self, params: Mapping[str, Any]) -> Any:
        with self._lock:
            self.calls += 1
            if self.calls == 1:
                raise self._error
        return params["n"] * 2


def finished_record(jobs: LocalJobs, timeout: float = 30.0) -> RunRecord:
    deadline = time.monotonic() + timeout
    while True:
        [record] = jobs.records()
        if record.status in FINISHED:
            return record
        assert time.monotonic() < deadline, f"the job did not end: {record}"
        jobs.wait_for_change(deadline - time.monotonic())


def test_16_21_the_runtime_retries_exactly_the_documented_codes():
    documented = documented_retries()
    assert documented
    assert set(RETRYABLE_CODES) == documented


def test_16_21_a_run_whose_remote_engine_was_out_of_reach_is_tried_again():
    call = FailsFirst(EngineUnavailableError("the remote engine cannot be reached"))
    jobs = LocalJobs(double, [{"n": 4}], {}, max_workers=1, max_retry=2, call=call)
    record = finished_record(jobs)
    assert (record.status, record.attempts) == ("succeeded", 2)
    assert jobs.result(0) == 8


def test_16_21_a_wrong_request_is_not_tried_again():
    call = FailsFirst(UdfRuntimeError("n must be a number", code="UDF_ERR_PARAM"))
    jobs = LocalJobs(double, [{"n": 4}], {}, max_workers=1, max_retry=2, call=call)
    record = finished_record(jobs)
    assert (record.status, record.attempts) == ("failed", 1)
    assert call.calls == 1
