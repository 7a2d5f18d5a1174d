"""A worker serving several runs at once: threads, per-run output, load, cancel and depth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import WorkerProcess, udf_request
from test_worker import run_request
from waiting import wait_until

WAITER = """\
import time

@fused.udf
def udf(label: str = "a", seconds: float = 0.5, marker: str = ""):
    print("start", label)
    began = time.time()
    if marker:
        open(marker, "w").close()
    time.sleep(seconds)
    print("end", label)
    return {"label": label, "began": began, "ended": time.time()}
"""


def receive_all(worker: WorkerProcess, count: int) -> dict[int, tuple[dict[str, Any], bytes]]:
    answers: dict[int, tuple[dict[str, Any], bytes]] = {}
    while len(answers) < count:
        header, payload = worker.receive()
        answers[header["id"]] = (header, payload)
    return answers


def test_runs_sent_together_run_at_the_same_time_with_their_own_output(worker: WorkerProcess):
    udf = udf_request(WAITER)
    for index, label in enumerate(["a", "b", "c"], start=1):
        worker.send(run_request(udf, index, params={"label": label}, formats=["json"]))
    answers = receive_all(worker, 3)
    results = {i: json.loads(payload) for i, (_, payload) in answers.items()}
    # Each run's interval overlaps the others': they did not wait for each other.
    latest_start = max(result["began"] for result in results.values())
    earliest_end = min(result["ended"] for result in results.values())
    assert latest_start < earliest_end
    for index, label in enumerate(["a", "b", "c"], start=1):
        header, _ = answers[index]
        assert header["ok"] is True
        assert header["stdout"] == f"start {label}\nend {label}\n"
        assert results[index]["label"] == label


def test_load_is_answered_while_runs_are_in_progress(worker: WorkerProcess, tmp_path: Path):
    asleep = tmp_path / "asleep"
    worker.send(run_request(udf_request(WAITER), 1, params={"seconds": 2, "marker": str(asleep)}))
    wait_until(asleep.exists, "the run is about to sleep")
    header, _ = worker.request({"op": "load", "id": 2})
    assert header["id"] == 2 and header["ok"] is True
    assert isinstance(header["cpuSeconds"], float) and header["cpuSeconds"] > 0
    assert header["runnableThreads"] == 0  # the run sleeps; the answering thread is not counted
    header, _ = worker.receive()
    assert header["id"] == 1 and header["ok"] is True


def test_cancel_stops_a_run_on_the_main_thread_and_one_on_another_thread(
    worker: WorkerProcess, tmp_path: Path
):
    started = "import time\n@fused.udf\ndef udf(marker: str):\n    open(marker, 'w').close()\n"
    sleeper = udf_request(started + "    time.sleep(60)\n")
    looper = udf_request(started + "    while True:\n        time.sleep(0.01)\n")
    markers = [tmp_path / "sleeper", tmp_path / "looper"]
    worker.send(run_request(sleeper, 1, params={"marker": str(markers[0])}))
    worker.send(run_request(looper, 2, params={"marker": str(markers[1])}))
    wait_until(lambda: all(marker.exists() for marker in markers), "both runs have started")
    worker.send({"op": "cancel", "target": 1})
    worker.send({"op": "cancel", "target": 2})
    answers = receive_all(worker, 2)
    for request_id in (1, 2):
        header, _ = answers[request_id]
        assert header["ok"] is False
        assert header["error"]["code"] == "UDF_ERR_CANCELLED"
    # The worker goes on serving.
    header, payload = worker.request(run_request(sleeper_free(), 3, formats=["json"]))
    assert header["ok"] is True and json.loads(payload) == 7


def sleeper_free() -> dict[str, Any]:
    return udf_request("@fused.udf\ndef udf():\n    return 7\n")


def test_cancel_of_an_unknown_run_and_malformed_cancels_are_ignored(worker: WorkerProcess):
    worker.send({"op": "cancel", "target": 99})
    worker.send({"op": "cancel"})
    worker.send({"op": "cancel", "target": [1]})
    header, payload = worker.request(run_request(sleeper_free(), 1, formats=["json"]))
    assert header["ok"] is True and json.loads(payload) == 7


def test_depth_is_set_for_the_run_and_limits_nesting(worker: WorkerProcess):
    udf = udf_request(
        "from fused._nesting import current_depth, child_depth\n"
        "@fused.udf\ndef udf():\n    return [current_depth(), child_depth()]\n"
    )
    header, payload = worker.request(run_request(udf, 1, depth=2, formats=["json"]))
    assert json.loads(payload) == [2, 3]
    header, _ = worker.request(run_request(udf, 2, depth=5))
    assert header["ok"] is False
    assert header["error"]["code"] == "UDF_ERR_RECURSION"
    assert "limit is 5" in header["error"]["message"]
    for bad in (-1, "2", True):
        header, _ = worker.request(run_request(udf, 3, depth=bad))
        assert header["error"]["code"] == "UDF_ERR_PROTOCOL"
        assert "depth" in header["error"]["message"]


def test_load_without_an_id_is_logged_not_answered(worker: WorkerProcess):
    worker.send({"op": "load"})
    header, _ = worker.request({"op": "load", "id": 5})
    assert header["id"] == 5


def test_load_counts_threads_that_compute(worker: WorkerProcess, tmp_path: Path):
    spinner = udf_request(
        "import time\n@fused.udf\ndef udf(marker: str):\n    end = time.time() + 2\n"
        "    open(marker, 'w').close()\n"
        "    while time.time() < end:\n        pass\n    return 1\n"
    )
    computing = tmp_path / "computing"
    worker.send(run_request(spinner, 1, params={"marker": str(computing)}))
    wait_until(computing.exists, "the run computes")
    header, _ = worker.request({"op": "load", "id": 2})
    assert header["runnableThreads"] == 1
    assert worker.receive()[0]["ok"] is True


def test_a_cancel_during_an_import_waits_for_the_import_so_later_runs_find_whole_modules(
    worker: WorkerProcess, tmp_path: Path
):
    # A package whose submodule keeps its parent, and whose import blocks until the test says so:
    # cut short, it would leave `slow_pkg.part` holding a parent that never got WHOLE.
    package = tmp_path / "slow_pkg"
    package.mkdir()
    (package / "part.py").write_text(
        "import slow_pkg as parent\n\ndef whole():\n    return parent.WHOLE\n"
    )
    (package / "__init__.py").write_text(
        "import os, time\n"
        "from slow_pkg import part\n"
        f"open({str(tmp_path / 'importing')!r}, 'w').close()\n"
        f"while not os.path.exists({str(tmp_path / 'go')!r}):\n"
        "    time.sleep(0.01)\n"
        "WHOLE = True\n"
    )
    importer = udf_request(
        "@fused.udf\ndef udf(path: str):\n    import sys, time\n    sys.path.insert(0, path)\n"
        "    import slow_pkg\n    while True:\n        time.sleep(0.01)\n"
    )
    for request_id, main_busy in ((1, False), (3, True)):
        if main_busy:  # the second round runs on another thread: the main one is taken
            worker.send(run_request(udf_request(WAITER), 2, params={"seconds": 30}))
        for stale in ("importing", "go"):
            (tmp_path / stale).unlink(missing_ok=True)
        sys_modules_clean = udf_request(
            "@fused.udf\ndef udf():\n    import sys\n"
            "    for name in [n for n in sys.modules if n.startswith('slow_pkg')]:\n"
            "        del sys.modules[name]\n    return 0\n"
        )
        header, _ = worker.request(run_request(sys_modules_clean, 10 + request_id))
        assert header["ok"] is True
        worker.send(run_request(importer, request_id, params={"path": str(tmp_path)}))
        wait_until((tmp_path / "importing").exists, "the run is inside the import")
        worker.send({"op": "cancel", "target": request_id})
        (tmp_path / "go").touch()
        header, _ = worker.receive()
        assert (header["id"], header["error"]["code"]) == (request_id, "UDF_ERR_CANCELLED")
        whole = udf_request(
            f"@fused.udf\ndef udf():\n    import sys\n    sys.path.insert(0, {str(tmp_path)!r})\n"
            "    import slow_pkg.part\n    return slow_pkg.part.whole()\n"
        )
        header, payload = worker.request(run_request(whole, 20 + request_id, formats=["json"]))
        assert header["ok"] is True, header.get("error")
        assert json.loads(payload) is True
    worker.send({"op": "cancel", "target": 2})
    assert worker.receive()[0]["id"] == 2


ON_MAIN = """\
import threading

@fused.udf
def udf(n: int = 0):
    return {"main": threading.current_thread() is threading.main_thread()}
"""


def test_runs_sent_one_after_another_all_run_on_the_main_thread(worker: WorkerProcess):
    # The engine sends the next run on fd 3 as soon as an answer arrives: the main thread reads
    # and serves it, with no thread started or handed to.
    udf = udf_request(ON_MAIN)
    on_main = []
    for index in range(1, 41):
        header, payload = worker.request(run_request(udf, index, params={"n": index}))
        assert header["ok"] is True
        on_main.append(json.loads(payload)["main"])
    assert on_main == [True] * 40


def test_a_run_sent_right_after_an_answer_never_queues_behind_a_long_run_on_the_main_thread(
    worker: WorkerProcess,
):
    # A run sent while a long one holds the main thread comes on fd 5 and gets a thread of its
    # own; on fd 3 it would wait until the long run ended.
    quick = udf_request(ON_MAIN)
    for round_ in range(10):
        base = 100 * (round_ + 1)
        assert worker.request(run_request(quick, base))[0]["ok"] is True
        worker.send(run_request(udf_request(WAITER), base + 1, params={"seconds": 20}))
        header, _ = worker.request(run_request(quick, base + 2))
        assert header["id"] == base + 2
        worker.send({"op": "cancel", "target": base + 1})
        assert worker.receive()[0]["id"] == base + 1


def test_a_cancel_that_overtakes_its_run_cancels_it_as_it_starts(worker: WorkerProcess):
    # The engine sends runs to an idle worker on fd 3 and cancels on fd 5: read by two threads,
    # the cancel can come first. Forgotten, it would leave the run to sleep its 30 s.
    worker.send({"op": "cancel", "target": 7})
    header, _ = worker.request(run_request(udf_request(WAITER), 7, params={"seconds": 30}))
    assert (header["id"], header["ok"], header["error"]["code"]) == (7, False, "UDF_ERR_CANCELLED")
    assert worker.request(run_request(udf_request(WAITER), 8, params={"seconds": 0}))[0]["ok"]


def test_a_run_queued_behind_the_main_threads_run_starts_when_it_ends(
    worker: WorkerProcess, tmp_path: Path
):
    # The engine may queue a quick UDF's next run on fd 3 behind the one in progress: the main
    # thread takes it the moment it has answered, with no round trip through the engine.
    asleep = tmp_path / "asleep"
    waiter = udf_request(WAITER)
    first = {"label": "a", "seconds": 0.3, "marker": str(asleep)}
    worker.send(run_request(waiter, 1, params=first))
    wait_until(asleep.exists, "the first run is under way")
    worker.send(run_request(udf_request(ON_MAIN), 2), behind=True)
    worker.send(run_request(waiter, 3, params={"label": "c", "seconds": 0}), behind=True)
    answers = [worker.receive() for _ in range(3)]
    assert [header["id"] for header, _ in answers] == [1, 2, 3]
    assert all(header["ok"] for header, _ in answers)
    assert json.loads(answers[1][1]) == {"main": True}
    assert json.loads(answers[2][1])["began"] >= json.loads(answers[0][1])["ended"]


def test_a_run_queued_behind_another_and_cancelled_never_runs(
    worker: WorkerProcess, tmp_path: Path
):
    asleep, ran = tmp_path / "asleep", tmp_path / "ran"
    waiter = udf_request(WAITER)
    worker.send(run_request(waiter, 1, params={"seconds": 0.3, "marker": str(asleep)}))
    wait_until(asleep.exists, "the first run is under way")
    worker.send(run_request(waiter, 2, params={"seconds": 0, "marker": str(ran)}), behind=True)
    worker.send({"op": "cancel", "target": 2})
    first, second = worker.receive(), worker.receive()
    assert (first[0]["id"], first[0]["ok"]) == (1, True)
    assert (second[0]["id"], second[0]["error"]["code"]) == (2, "UDF_ERR_CANCELLED")
    assert not ran.exists()
