"""The `fused.api.job_*` functions on a real engine's jobs, and `get_udfs`/`get_apps` on its
workspace (the bundled examples), over real HTTP.

Jobs are started the way `udf-studio submit` and the window start them (`POST /api/jobs`).
"""

from __future__ import annotations

import io
import json
import urllib.request
from datetime import timedelta
from typing import Any

import pytest

import fused
from conftest import RunningEngine
from fused import UdfRuntimeError
from fused._errors import NotLocalError

SQUARE = """@fused.udf
def square(n: int = 0):
    print("squaring", n)
    return {"n": n * n}
"""
PICKY = """@fused.udf
def picky(n: int = 0):
    if n == 2:
        raise ValueError(f"not {n}")
    return n
"""
NAP = """@fused.udf
def nap(seconds: float = 30.0):
    import time
    time.sleep(seconds)
    return seconds
"""


def start_job(engine: RunningEngine, name: str, code: str, args: list[Any]) -> str:
    token = json.loads((engine.home / "credentials").read_text())["access_token"]
    body = {"udf": {"name": name, "code": code, "entrypoint": name}, "argList": args, "maxRetry": 0}
    request = urllib.request.Request(
        f"{engine.url}/api/jobs",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["id"])


def test_a_job_is_waited_for_and_read_back(engine: RunningEngine):
    job_id = start_job(engine, "square", SQUARE, [{"n": 2}, {"n": 3}])
    status = fused.api.job_wait_for_job(job_id, poll_interval_seconds=1, timeout=60)
    assert (status.job_id, status.job_status, status.terminal_status) == (job_id, "Done", True)
    assert (status.total_tasks, status.finished_tasks) == (2, 2)
    # The public `common.get_jobs_status` helper waits for `terminated`.
    assert fused.api.job_get_status(job_id).status == "terminated"
    assert fused.api.job_get_results(job_id) == [{"n": 4}, {"n": 9}]
    assert status.get_results(1) == {"n": 9}
    messages = [line["message"] for line in fused.api.job_get_logs(job_id)]
    assert messages[0].startswith(f"Job {job_id} started: 2 run(s)")
    assert "[run 0] squaring 2" in messages and messages[-1].startswith(f"Job {job_id} Done")
    printed = io.StringIO()
    fused.api.job_print_logs(status, file=printed)
    assert printed.getvalue().splitlines() == [message.strip() for message in messages]
    last = int(fused.api.job_get_logs(job_id)[-1]["timestamp"])
    assert fused.api.job_get_logs(job_id, since_ms=last) == []
    assert timedelta(0) <= fused.api.job_get_exec_time(job_id) < timedelta(minutes=1)


def test_wait_for_results_and_tail_logs(engine: RunningEngine, capsys: pytest.CaptureFixture[str]):
    job_id = start_job(engine, "square", SQUARE, [{"n": 5}])
    assert fused.api.job_wait_for_results(job_id, poll_interval_seconds=1, timeout=60) == [
        {"n": 25}
    ]
    fused.api.job_tail_logs(job_id, refresh_seconds=0.1, timeout=30)
    assert "squaring 5" in capsys.readouterr().out


def test_a_failed_run_raises_its_error(engine: RunningEngine):
    job_id = start_job(engine, "picky", PICKY, [{"n": 1}, {"n": 2}])
    status = fused.api.job_wait_for_job(job_id, timeout=60)
    assert status.job_status == "Failed"
    with pytest.raises(UdfRuntimeError, match="not 2") as raised:
        fused.api.job_get_results(job_id)
    assert raised.value.exception_class == "ValueError"


def test_a_running_job_is_cancelled_and_waiting_times_out(engine: RunningEngine):
    job_id = start_job(engine, "nap", NAP, [{"seconds": 30}])
    with pytest.raises(TimeoutError, match=r"had not ended after 0\.3 s"):
        fused.api.job_wait_for_job(job_id, poll_interval_seconds=0.1, timeout=0.3)
    assert fused.api.job_get_status(job_id).status == "running"
    fused.api.job_cancel(job_id)
    ended = fused.api.job_wait_for_job(job_id, timeout=30)
    assert (ended.job_status, ended.status) == ("Canceled", "terminated")


def test_unknown_jobs_and_bad_arguments_are_clear_errors(engine: RunningEngine):
    with pytest.raises(LookupError, match="no-such-job"):
        fused.api.job_get_status("no-such-job")
    with pytest.raises(TypeError, match="a job is its id"):
        fused.api.job_get_status(42)


def test_get_udfs_lists_the_workspace_and_loads_on_demand(engine: RunningEngine):
    udfs = fused.api.get_udfs()
    assert {"default/Hello_World", "default/Tile_Grid", "default/With_Utils"} <= set(udfs)
    hello = udfs["default/Hello_World"]
    assert hello.name == "Hello_World" and callable(hello)
    assert udfs["default/With_Utils"].headers  # header modules come with the code
    assert len(fused.api.get_udfs(n=2)) == 2
    assert list(fused.api.get_udfs(n=1, skip=1)) == list(udfs)[1:2]
    by_id = fused.api.get_udfs(by="id")
    assert all(key.startswith("default/") for key in by_id) and len(by_id) == len(udfs)
    assert fused.api.get_udfs(collection_name="no-such-collection") == {}
    assert isinstance(fused.api.get_apps(), fused.api.UdfRegistry)
    with pytest.raises(NotLocalError, match=r"whose='public'.*GitHub"):
        fused.api.get_udfs(whose="public")
    with pytest.raises(ValueError, match="by must be one of"):
        fused.api.get_udfs(by="colour")  # type: ignore[arg-type]
