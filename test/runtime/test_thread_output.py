"""#17: lines printed from threads a UDF starts reach the run's output, or the worker's log once
the run has ended, never nowhere and never another run's output."""

from __future__ import annotations

import select
import time

from conftest import WorkerProcess, udf_request
from test_worker import run_request

THREADS = """
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

@fused.udf
def udf():
    thread = threading.Thread(target=lambda: print("from a thread"))
    thread.start()
    thread.join()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda i: print(f"from pool task {i}"), range(2)))
    errors = threading.Thread(target=lambda: print("a thread's error", file=sys.stderr))
    errors.start()
    errors.join()
    return 1
"""

# The first run leaves a thread that prints once the second run lets it (and joins it).
LEAVES_A_THREAD = """
import builtins
import threading

@fused.udf
def udf():
    builtins.go = threading.Event()
    def late():
        builtins.go.wait(30)
        print("printed after its run ended")
    builtins.late = threading.Thread(target=late)
    builtins.late.start()
    print("the first run's own line")
    return 1
"""

RELEASES_IT = """
import builtins

@fused.udf
def udf():
    builtins.go.set()
    builtins.late.join(30)
    return 2
"""


def test_16_17_prints_from_threads_a_udf_starts_are_in_its_output(worker: WorkerProcess):
    header, _ = worker.request(run_request(udf_request(THREADS), 1, formats=["json"]))
    assert header["ok"] is True
    stdout = header["stdout"].splitlines()
    assert "from a thread" in stdout
    assert {"from pool task 0", "from pool task 1"} <= set(stdout)
    assert header["stderr"].splitlines() == ["a thread's error"]


def test_16_17_a_thread_printing_after_its_run_ended_goes_to_the_worker_log(
    worker: WorkerProcess,
):
    first, _ = worker.request(run_request(udf_request(LEAVES_A_THREAD), 1, formats=["json"]))
    assert first["ok"] is True and first["stdout"] == "the first run's own line\n"
    second, _ = worker.request(run_request(udf_request(RELEASES_IT, name="other"), 2))
    assert second["ok"] is True
    assert "printed after its run ended" not in second["stdout"]
    assert "printed after its run ended" in _worker_stdout_until(worker, "printed after")


def _worker_stdout_until(worker: WorkerProcess, text: str, timeout: float = 30.0) -> str:
    """What the worker wrote to its own stdout (its log), read until `text` shows."""
    stream = worker.process.stdout
    assert stream is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"the worker's stdout never showed {text!r}: {seen!r}"
        ready, _, _ = select.select([stream], [], [], left)
        if ready:
            chunk = stream.read1(4096)  # type: ignore[attr-defined]
            assert chunk, f"the worker's stdout ended without {text!r}: {seen!r}"
            seen += chunk
    return seen.decode()
