"""The worker runs as batch work, so its wakeups never take the CPU from the engine (Linux)."""

from __future__ import annotations

import json
import os

import pytest

from conftest import WorkerProcess, udf_request
from test_worker import run_request

pytestmark = pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="Linux scheduling policy")

POLICIES = """\
import os, subprocess, sys, threading

@fused.udf
def udf(n: int = 0):
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.sched_getscheduler(0))"],
        capture_output=True, text=True, check=True,
    )
    return {
        "main": threading.current_thread() is threading.main_thread(),
        "run": os.sched_getscheduler(0),
        "child": int(child.stdout),
    }
"""


def test_runs_on_either_thread_and_what_they_start_are_batch_work(worker: WorkerProcess):
    udf = udf_request(POLICIES)
    worker.send(run_request(udf, 1, params={"n": 1}))
    # Sent while the first is in progress: served on a thread of its own.
    worker.send(run_request(udf, 2, params={"n": 2}))
    answers = {}
    for _ in range(2):
        header, payload = worker.receive()
        assert header["ok"] is True, header
        answers[header["id"]] = json.loads(payload)
    assert {answer["main"] for answer in answers.values()} == {True, False}
    for answer in answers.values():
        assert (answer["run"], answer["child"]) == (os.SCHED_BATCH, os.SCHED_BATCH)


def test_the_test_process_itself_is_left_alone() -> None:
    # Only the worker asks for the policy: importing its modules changes nothing.
    import udf_studio_worker.worker_main  # noqa: F401

    assert os.sched_getscheduler(0) == os.SCHED_OTHER
