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
        ("os.close(5)", b"the side request pipe (fd 5) was closed by a UDF"),
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


def test_16_19_end_of_file_on_the_request_pipes_ends_the_worker_in_the_middle_of_a_run(
    tmp_path: Path,
) -> None:
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


# Starts a child in a session of its own and a daemon (double fork: own session, parent gone);
# says who they are; then sleeps, or returns at once with `wait=False`.
ESCAPER = """\
import json, os, subprocess, time
@fused.udf
def udf(out: str, wait: bool = True, daemon_sleeps: float = 600):
    own_session = subprocess.Popen(["sleep", "600"], start_new_session=True)
    read, write = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write, str(os.getpid()).encode())
            time.sleep(daemon_sleeps)
            os._exit(0)
        os._exit(0)
    os.close(write)
    daemon = int(os.read(read, 32))
    os.waitpid(middle, 0)
    with open(out + ".tmp", "w") as f:
        json.dump([own_session.pid, daemon], f)
    os.rename(out + ".tmp", out)
    if wait:
        time.sleep(600)
    return "started"
"""


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError):
        return None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="sessions are read from /proc")
def test_16_8_a_worker_that_ends_takes_the_processes_that_left_its_session(
    tmp_path: Path,
) -> None:
    process = started(new_session=True)
    children: list[int] = []
    try:
        out = tmp_path / "pids.json"
        process.send(run_request(ESCAPER, out=str(out)))
        children = children_of_run(out)
        # A subreaper: the daemon, whose parent is gone, is the worker's child, not init's.
        assert parent_of(children[1]) == process.process.pid
        process.close_requests()
        assert process.wait() == 0
        wait_until(
            lambda: not any(running(pid) for pid in children), "the children ended", DEADLINE_S
        )
    finally:
        end(children)
        process.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="sessions are read from /proc")
def test_16_8_orphans_the_worker_adopts_are_reaped_once_no_run_is_in_progress(
    tmp_path: Path,
) -> None:
    process = started(new_session=True)
    children: list[int] = []
    try:
        out = tmp_path / "pids.json"
        header, _ = process.request(run_request(ESCAPER, out=str(out), wait=False, daemon_sleeps=0))
        assert header["ok"] is True
        children = children_of_run(out)
        daemon = children[1]
        # The daemon ends as the run does: the worker adopted it, and reaps it once no run is in
        # progress (at the latest when the next run ends), so no zombie stays behind. A guard:
        # without the subreaper, init reaps it.
        wait_until(lambda: not running(daemon), "the daemon ended", DEADLINE_S)
        assert process.request(run_request("@fused.udf\ndef udf():\n    return 1\n"))[0]["ok"]
        wait_until(lambda: not Path(f"/proc/{daemon}").exists(), "the daemon reaped", DEADLINE_S)
    finally:
        end(children)
        process.close()
