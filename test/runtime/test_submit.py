"""fused.submit, Udf.map and the JobPool: in this process (threads) and on a real engine."""

from __future__ import annotations

import os
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fused
from conftest import RunningEngine
from fused import EngineUnavailableError, JobPool, UdfRuntimeError
from fused._job_backends import EngineJobs, LocalJobs
from fused._progress import bar_text
from waiting import wait_until


@fused.udf
def square(n: int = 0):
    import pandas as pd

    print("squaring", n)
    return pd.DataFrame({"n": [n], "square": [n * n]})


@fused.udf
def as_dict(n: int = 0, offset: int = 0):
    return {"value": n + offset}


@fused.udf
def picky(n: int = 0):
    if n == 2:
        raise ValueError("two is not allowed")
    return {"n": n}


PICKY_RAISE_LINE = next(
    number
    for number, line in enumerate(Path(__file__).read_text().splitlines(), start=1)
    if 'raise ValueError("two is not allowed")' in line
)


@fused.udf
def nap(n: int = 0, seconds: float = 0.5):
    import time

    began = time.time()
    time.sleep(seconds)
    return {"n": n, "began": began, "ended": time.time()}


@fused.udf
def napper(n: int = 0, seconds: float = 30.0, started: str = ""):
    import pathlib
    import time

    if started:
        (pathlib.Path(started) / str(n)).touch()
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(0.01)
    return {"n": n}


@pytest.fixture
def no_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UDF_STUDIO_HOME", str(tmp_path))
    return tmp_path


def test_submit_collects_dataframes_into_one(no_engine: Path, capsys: pytest.CaptureFixture[str]):
    result = fused.submit(square, [1, 2, 3], show_progress=False)
    assert result.to_dict("records") == [
        {"n": 1, "square": 1},
        {"n": 2, "square": 4},
        {"n": 3, "square": 9},
    ]
    # Without an engine it says once where it runs; the runs' prints are kept per run.
    err = capsys.readouterr().err
    assert "running the submit in this process" in err
    assert "squaring" not in capsys.readouterr().out


def test_other_results_go_in_a_result_column_next_to_the_arguments(no_engine: Path):
    frame = fused.submit(as_dict, [{"n": 1}, {"n": 2}], offset=10, show_progress=False)
    assert list(frame.columns) == ["n", "result"]
    assert frame["result"].tolist() == [{"value": 11}, {"value": 12}]
    rows = fused.submit(as_dict, pd.DataFrame({"n": [5, 6], "offset": [1, 2]}), show_progress=False)
    assert rows["result"].tolist() == [{"value": 6}, {"value": 8}]
    nested = fused.submit(square, [1, 2], flatten=False, show_progress=False)
    assert list(nested.columns) == ["n", "result"]
    assert isinstance(nested["result"][0], pd.DataFrame)


def test_the_job_pool_reports_every_run(no_engine: Path):
    pool = square.map([1, 2, 3], show_progress=False)
    assert isinstance(pool, JobPool)
    assert pool.wait() is True
    assert repr(pool) == "<JobPool with 3 jobs [status: 3/3 done]>"
    assert pool.status().to_dict() == {
        "pending": 0,
        "running": 0,
        "succeeded": 3,
        "failed": 0,
        "cancelled": 0,
    }
    assert pool.done() and pool.all_succeeded() and not pool.any_failed()
    assert pool.pending() == {} and pool.running() == {} and pool.cancelled() == {}
    assert pool.arg_df().to_dict("records") == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert pool.logs() == ["squaring 1\n", "squaring 2\n", "squaring 3\n"]
    assert pool.first_log() == "squaring 1\n"
    assert all(taken is not None and taken >= timedelta(0) for taken in pool.times())
    assert pool.total_time() > timedelta(0)
    assert [frame["square"][0] for frame in pool.results()] == [1, 4, 9]
    assert [frame["square"][0] for frame in pool] == [1, 4, 9]
    assert sorted(pool.success()) == [0, 1, 2] and pool.any_succeeded()
    assert pool.collect_df().equals(pool.df())
    assert pool.errors() == {} and pool.first_error() is None


def test_failures_are_reported_retried_and_can_be_ignored(no_engine: Path):
    pool = fused.submit(picky, [1, 2, 3], collect=False, max_retry=1, show_progress=False)
    pool.wait()
    assert pool.any_failed() and not pool.all_succeeded()
    error = pool.first_error()
    assert isinstance(error, UdfRuntimeError)
    assert error.exception_class == "ValueError" and error.line == PICKY_RAISE_LINE
    assert list(pool.errors()) == [1]
    with pytest.raises(UdfRuntimeError, match="two is not allowed"):
        pool.collect()
    assert pool.collect(ignore_exceptions=True)["n"].tolist() == [1, 3]
    assert pool.results(ignore_exceptions=True)[1] is None  # the older name
    returned = pool.results(return_exceptions=True)
    assert returned[0] == {"n": 1} and returned[1] is error
    assert pool.results_now(return_exceptions=True) == {0: {"n": 1}, 1: error, 2: {"n": 3}}
    with pytest.raises(UdfRuntimeError, match="two is not allowed"):
        pool.results_now()
    assert pool.success() == {0: {"n": 1}, 2: {"n": 3}}
    with pytest.raises(UdfRuntimeError, match="two is not allowed"):
        fused.submit(picky, [2], show_progress=False, max_retry=0)
    assert fused.submit(picky, [1, 2], ignore_exceptions=True, show_progress=False)[
        "n"
    ].tolist() == [1]


def test_logs_df_shows_each_run_as_it_is(no_engine: Path):
    pool = picky.map([1, 2], max_retry=0, show_progress=False)
    pool.wait()
    frame = pool.logs_df(exception_column="exception")
    assert list(frame.columns) == ["n", "status", "result", "time", "logs", "exception"]
    assert frame["status"].tolist() == ["succeeded", "failed"]
    assert frame["result"][0] == {"n": 1} and frame["result"][1] is frame["exception"][1]
    assert isinstance(frame["exception"][1], UdfRuntimeError)
    bare = pool.logs_df(result_column=None, time_column=None, include_exceptions=False)
    assert list(bare.columns) == ["n", "status", "logs"]


def test_tail_prints_runs_and_stops_on_a_failure_when_asked(
    no_engine: Path, capsys: pytest.CaptureFixture[str]
):
    pool = picky.map([1, 2], max_retry=0, show_progress=False)
    with pytest.raises(UdfRuntimeError, match="two is not allowed"):
        pool.tail(stop_on_exception=True)
    pool.tail()
    printed = capsys.readouterr().out
    assert "[0] succeeded" in printed and "[1] failed" in printed


def test_a_tail_timeout_cancels_and_gives_the_arguments_back(no_engine: Path):
    pool = napper.map([1, 2], show_progress=False)
    with pytest.raises(fused.types.JobPoolTailTimeoutError) as caught:
        pool.tail(timeout=0.3)
    assert isinstance(caught.value, TimeoutError) and caught.value.timeout == 0.3
    assert caught.value.not_succeeded_args == [{"n": 1}, {"n": 2}]
    assert pool.wait(timeout=10) and sorted(pool.cancelled()) == [0, 1]
    with pytest.raises(fused.types.JobPoolTailTimeoutError):
        napper.map([3], show_progress=False).collect(log_timeout=0.2)


def test_cancel_can_wait_for_the_runs_to_end(no_engine: Path):
    pool = napper.map(list(range(3)), max_workers=1, show_progress=False)
    pool.cancel(wait=True)
    assert pool.done() and pool.status()["cancelled"] == 3


def test_collect_can_number_rows_from_zero(no_engine: Path):
    pool = picky.map([1, 2, 3], max_retry=0, show_progress=False)
    kept = pool.collect(ignore_exceptions=True, verbose=False)
    assert kept.index.tolist() == [0, 2]
    assert pool.collect(ignore_exceptions=True, drop_index=True).index.tolist() == [0, 1]
    assert fused.submit(
        picky, [1, 2, 3], ignore_exceptions=True, drop_index=True, show_progress=False
    ).index.tolist() == [0, 1]


def test_retry_runs_the_failed_runs_again(no_engine: Path, tmp_path: Path):
    marker = tmp_path / "tried"
    code = (
        "@fused.udf\n"
        "def udf(n: int = 0, marker: str = ''):\n"
        "    import os\n"
        "    if n == 1 and not os.path.exists(marker):\n"
        "        open(marker, 'w').close()\n"
        "        raise RuntimeError('first try fails')\n"
        "    return {'n': n}\n"
    )
    flaky = fused.load(code)
    pool = flaky.map([0, 1, 2], marker=str(marker), max_retry=0, show_progress=False)
    pool.wait()
    assert list(pool.errors()) == [1]
    pool.retry().wait()
    assert pool.all_succeeded()
    assert timedelta(0) < pool.total_time(since_retry=True) <= pool.total_time()
    assert pool.collect()["result"].tolist() == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_waiting_runs_overlap_far_past_the_cpu_count(no_engine: Path):
    results = fused.submit(nap, list(range(30)), seconds=1.0, show_progress=False)["result"]
    latest_start = max(result["began"] for result in results)
    earliest_end = min(result["ended"] for result in results)
    assert latest_start < earliest_end  # all 30 were sleeping at the same moment


def test_cancel_stops_pending_and_running_runs(no_engine: Path, tmp_path: Path):
    started = tmp_path / "started"
    started.mkdir()
    pool = napper.map(list(range(6)), max_workers=2, started=str(started), show_progress=False)
    wait_until(lambda: len(list(started.iterdir())) == 2, "two runs are under way")
    pool.cancel()
    assert pool.wait(timeout=10) is True
    assert pool.status()["cancelled"] == 6


def test_debug_mode_runs_the_first_item_only(no_engine: Path):
    assert fused.submit(as_dict, [1, 2, 3], debug_mode=True, show_progress=False)[
        "result"
    ].tolist() == [{"value": 1}]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: fused.submit(square, {"n": 1}), TypeError, "arg_list must be a list"),
        (lambda: fused.submit(square, "123"), TypeError, "arg_list must be a list"),
        (lambda: fused.submit(square, 5), TypeError, "arg_list must be a list"),
        (lambda: fused.submit(square, []), ValueError, "arg_list is empty"),
        (lambda: fused.submit(square, [1], colour="red"), TypeError, "no parameter 'colour'"),
        (lambda: fused.submit(square, [{"m": 1}]), TypeError, "no parameter 'm'"),
        (lambda: fused.submit(square, [1], max_workers=0), ValueError, "max_workers"),
        (lambda: fused.submit(square, [1], max_retry=-1), ValueError, "max_retry"),
        (lambda: fused.submit(square, [1], cache=False, cache_max_age="1h"), ValueError, "cache"),
        (lambda: fused.submit(square, [1], cache_max_age="soon"), ValueError, "cache_max_age"),
        (lambda: fused.submit(square, [1], engine="far-away"), EngineUnavailableError, "far-away"),
    ],
)
def test_bad_submits_are_refused_before_anything_runs(
    no_engine: Path, call: Any, error: type[Exception], message: str
):
    with pytest.raises(error, match=message):
        call()


def test_the_progress_bar_text():
    assert bar_text("square", 0, 4, 0, 0) == f"square [{'.' * 30}] 0/4 done"
    assert (
        bar_text("square", 2, 4, 1, 2)
        == f"square [{'#' * 15}{'.' * 15}] 2/4 done, 1 failed, 2 running"
    )


# --- on the running engine -------------------------------------------------------------------


def test_submit_goes_to_the_running_engine_with_a_progress_line(
    engine: RunningEngine, capsys: pytest.CaptureFixture[str]
):
    pool = square.map([1, 2, 3], show_progress=True)
    assert isinstance(pool._parts[0][0], EngineJobs)
    frame = pool.collect()
    assert frame["square"].tolist() == [1, 4, 9]
    assert pool.logs()[1] == "squaring 2\n"
    err = capsys.readouterr().err
    assert "square: 3 runs" in err
    assert "3/3 done" in err
    where = fused.submit(
        fused.load(
            "@fused.udf\ndef udf(n: int = 0):\n    import os\n    return {'pid': os.getpid()}\n"
        ),
        [1, 2],
        show_progress=False,
    )
    assert all(row["pid"] != os.getpid() for row in where["result"])


def test_engine_failures_keep_their_line_and_the_rest_succeed(engine: RunningEngine):
    pool = picky.map([1, 2, 3], max_retry=0, show_progress=False)
    pool.wait()
    error = pool.errors()[1]
    assert error.exception_class == "ValueError"
    assert error.line == PICKY_RAISE_LINE and error.file == __file__
    assert pool.collect(ignore_exceptions=True)["result"].tolist() == [{"n": 1}, {"n": 3}]


def test_a_udf_that_submits_another_does_not_deadlock_a_pool_of_one(engine: RunningEngine):
    outer = fused.load(
        "@fused.udf\n"
        "def udf(n: int = 4):\n"
        "    inner = fused.load(\n"
        "        '@fused.udf\\ndef udf(i: int = 0):\\n'\n"
        "        '    from fused._nesting import current_depth\\n'\n"
        '        \'    return {"i": i, "depth": current_depth()}\\n\'\n'
        "    )\n"
        "    frame = fused.submit(inner, list(range(n)))\n"
        "    frame['outer_pid'] = __import__('os').getpid()\n"
        "    return frame\n"
    )
    frame = fused.run(outer, n=4)
    assert [row["i"] for row in frame["result"]] == [0, 1, 2, 3]
    assert {row["depth"] for row in frame["result"]} == {1}


def test_cancel_on_the_engine(engine: RunningEngine, tmp_path: Path):
    started = tmp_path / "started"
    started.mkdir()
    pool = napper.map(
        list(range(4)), max_workers=2, cache=False, started=str(started), show_progress=False
    )
    assert isinstance(pool._parts[0][0], EngineJobs)
    wait_until(lambda: len(list(started.iterdir())) == 2, "two runs are under way")
    pool.cancel()
    assert pool.wait(timeout=30) is True
    assert pool.status()["cancelled"] == 4


def test_engine_local_uses_threads_even_with_an_engine(engine: RunningEngine):
    pool = square.map([1], engine="local", show_progress=False)
    assert isinstance(pool._parts[0][0], LocalJobs)


# --- fused.run(sync=False) -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::fused.warnings.FusedDeprecationWarning")
def test_sync_false_returns_an_awaitable_that_runs_at_once(no_engine: Path):
    import asyncio

    async def gather() -> list[Any]:
        handles = [fused.run(nap, n=n, seconds=0.5, sync=False) for n in range(4)]
        return list(await asyncio.gather(*handles))

    results = asyncio.run(gather())
    assert [result["n"] for result in results] == [0, 1, 2, 3]
    assert max(r["began"] for r in results) < min(r["ended"] for r in results)
    handle = fused.run(as_dict, n=2, sync=False)
    assert handle.result(timeout=30) == {"value": 2}
    assert handle.done()
    # A coroutine, as the official client's answer is: asyncio.run takes it.
    assert asyncio.run(fused.run(as_dict, n=3, sync=False)) == {"value": 3}


def test_sync_false_raises_the_udfs_error_when_awaited(no_engine: Path):
    import asyncio

    # Deprecated as in the official client; fused.run_async is the way now.
    with pytest.warns(fused.warnings.FusedDeprecationWarning, match="use fused.run_async"):
        handle = fused.run(picky, n=2, sync=False)
    with pytest.raises(UdfRuntimeError, match="two is not allowed"):
        asyncio.run(_await(handle))
    with pytest.raises(TypeError), pytest.warns(fused.warnings.FusedDeprecationWarning):
        fused.run(picky, colour="red", sync=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # run_async is not deprecated
        with pytest.raises(UdfRuntimeError, match="two is not allowed"):
            asyncio.run(fused.run_async(picky, n=2))


async def _await(handle: Any) -> Any:
    return await handle
