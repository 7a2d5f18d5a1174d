"""Issue 16, points 6, 8 and 19, on the worker's side: broken pipes end it, and when it ends, at
once and whatever its runs are doing, the processes they started end with it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path

import pytest

from conftest import WorkerProcess, udf_request
from waiting import wait_until

PIPES_BROKEN_STATUS = 86
DEADLINE_S = 20.0


def run_request(code: str, **params: object) -> dict[str, object]:
    return {"op": "run", "id": 1, "udf": udf_request(code), "params": params}


def started(new_session: bool = False) -> WorkerProcess:
    process = WorkerProcess(new_session=new_session)
    assert process.receive()[0]["op"] == "ready"
    return process


def running(pid: int) -> bool:
    """Whether `pid` runs (a zombie, ended but not reaped, counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# Starts two children (one in a process group of its own), says who they are, then sleeps.
PARENT = """\
import json, os, subprocess, time
@fused.udf
def udf(out: str, wait: bool = True):
    plain = subprocess.Popen(["sleep", "600"])
    regrouped = subprocess.Popen(["sleep", "600"], process_group=0)
    with open(out + ".tmp", "w") as f:
        json.dump([plain.pid, regrouped.pid], f)
    os.rename(out + ".tmp", out)
    if wait:
        time.sleep(600)
    return "started"
"""


def end(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def children_of_run(out: Path) -> list[int]:
    wait_until(out.exists, f"the UDF wrote {out}", DEADLINE_S)
    pids: list[int] = json.loads(out.read_text())
    return pids


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("os.close(3)", b"the request pipe (fd 3) was closed by a UDF"),
        ("os.dup2(os.open(os.devnull, os.O_RDONLY), 3)", b"the request pipe (fd 3) was replaced"),
        ("os.dup2(os.open(os.devnull, os.O_WRONLY), 4)", b"the answer pipe (fd 4) was replaced"),
    ],
)
def test_16_6_a_run_that_breaks_the_pipes_ends_the_worker_with_its_own_status(
    statement: str, message: bytes
) -> None:
    process = started()
    try:
        code = f"import os\n@fused.udf\ndef udf():\n    {statement}\n    return 1\n"
        process.send(run_request(code))
        assert process.wait() == PIPES_BROKEN_STATUS
        _, stderr = process.process.communicate(timeout=30)
        assert message in stderr
    finally:
        process.close()


def test_16_19_end_of_file_on_fd_3_ends_the_worker_in_the_middle_of_a_run(tmp_path: Path) -> None:
    process = started()
    children: list[int] = []
    try:
        out = tmp_path / "pids.json"
        process.send(run_request(PARENT, out=str(out)))
        children = children_of_run(out)
        process.close_requests()
        assert process.wait() == 0
    finally:
        end(children)  # first: they hold the worker's stdout and stderr open
        process.close()


def test_16_19_a_thread_a_udf_left_running_does_not_keep_the_worker_alive() -> None:
    process = started()
    try:
        code = (
            "import threading, time\n@fused.udf\ndef udf():\n"
            "    threading.Thread(target=time.sleep, args=(600,)).start()\n    return 1\n"
        )
        header, _ = process.request(run_request(code))
        assert header["ok"] is True
        process.close_requests()
        assert process.wait() == 0
    finally:
        process.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="sessions are read from /proc")
def test_16_8_a_session_leading_worker_ends_what_its_runs_started_when_it_ends(
    tmp_path: Path,
) -> None:
    process = started(new_session=True)
    try:
        out = tmp_path / "pids.json"
        process.send(run_request(PARENT, out=str(out)))
        children = children_of_run(out)
        process.close_requests()
        assert process.wait() == 0
        wait_until(
            lambda: not any(running(pid) for pid in children), "the children ended", DEADLINE_S
        )
    finally:
        process.close()


def test_16_8_a_worker_that_leads_no_session_leaves_its_session_alone(tmp_path: Path) -> None:
    # Started by hand (or by this test), the worker shares a session with its starter: ending
    # that session would end the starter, so the worker leaves it to whoever started it.
    process = started()
    children: list[int] = []
    try:
        out = tmp_path / "pids.json"
        header, _ = process.request(run_request(PARENT, out=str(out), wait=False))
        assert header["ok"] is True
        children = children_of_run(out)
        process.close_requests()
        assert process.wait() == 0
        assert all(running(pid) for pid in children)
    finally:
        end(children)  # first: they hold the worker's stdout and stderr open
        process.close()
