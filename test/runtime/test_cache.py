"""`@fused.cache`: hits and misses on the real shared disk, keys, options, cross-process locks."""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fused
from conftest import RUNTIME
from fused._cache import format_age, max_age_seconds
from fused._module import compile_source

HIT = re.compile(r"^'(\w+)' returned cached result: (\d+\.\ds|\d+[mhd]) old$")


def shared_disk() -> Path:
    return Path(os.environ["UDF_STUDIO_HOME"]) / "mnt" / "cache"


def stored(name: str) -> list[Path]:
    folder = shared_disk() / "cached_data" / name
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def hits(text: str) -> list[str]:
    return [line for line in text.splitlines() if HIT.match(line)]


def define(code: str, filename: str, name: str) -> Callable[..., Any]:
    """A function from source (kept in linecache, as UDF code is), decorated in that code."""
    namespace: dict[str, Any] = {"fused": fused, "calls": []}
    exec(compile_source(textwrap.dedent(code), filename), namespace)
    function: Callable[..., Any] = namespace[name]
    return function


def calls_of(function: Callable[..., Any]) -> list[Any]:
    calls: list[Any] = function.__wrapped__.__globals__["calls"]  # type: ignore[attr-defined]
    return calls


def test_a_hit_after_a_miss_returns_the_stored_value_and_says_so(
    capsys: pytest.CaptureFixture[str],
):
    calls: list[int] = []

    @fused.cache
    def add(x: int, y: int = 2) -> dict[str, int]:
        calls.append(x)
        return {"sum": x + y}

    assert add(1) == {"sum": 3}
    assert capsys.readouterr().out == ""
    assert add(1) == {"sum": 3}
    out = capsys.readouterr().out
    assert HIT.match(out.rstrip("\n")), out
    assert out.startswith("'add' returned cached result: 0.")
    # Positional, keyword and defaulted forms of one call share the key.
    assert add(x=1) == add(1, 2) == add(1, y=2) == {"sum": 3}
    assert calls == [1]
    files = stored("add")
    assert len(files) == 1
    assert re.fullmatch(r"[0-9a-f]{64}\.pickle", files[0].name)
    assert pickle.loads(files[0].read_bytes()) == {"sum": 3}
    assert not list(files[0].parent.glob("*.lock")) and not list(files[0].parent.glob(".*"))


def test_called_form_and_wrapping_an_existing_function():
    calls: list[int] = []

    def double(x: int) -> int:
        calls.append(x)
        return 2 * x

    @fused.cache()
    def triple(x: int) -> int:
        calls.append(x)
        return 3 * x

    cached = fused.cache(double)
    assert cached.__name__ == "double" and cached.__wrapped__ is double  # type: ignore[attr-defined]
    assert [cached(4), cached(4), triple(4), triple(4)] == [8, 8, 12, 12]
    assert calls == [4, 4]


def test_the_key_follows_the_arguments():
    calls: list[object] = []

    @fused.cache
    def echo(value: object, *rest: object, **options: object) -> int:
        calls.append(value)
        return len(calls)

    first = echo(1)
    assert echo(1) == first
    assert len({echo(1), echo(1.0), echo("1"), echo(True), echo(None)}) == 5
    assert echo([1, 2]) == echo([1, 2]) != echo((1, 2))
    assert echo({"a": 1, "b": 2}) == echo({"b": 2, "a": 1}) != echo({"a": 1, "b": 3})
    assert echo({1, 2, 3}) == echo({3, 2, 1})
    assert echo(1, 2) != echo(1, 3)
    assert echo(1, a=1, b=2) == echo(1, b=2, a=1) != echo(1, a=2, b=2)
    assert len(calls) == 14


def test_dataframes_series_and_arrays_are_hashed_by_content():
    calls: list[int] = []

    @fused.cache
    def rows(data: Any) -> int:
        calls.append(1)
        return len(calls)

    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    first = rows(frame)
    assert rows(frame.copy()) == first  # another object, same content
    assert rows(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})) == first
    changed = [
        pd.DataFrame({"a": [1, 2, 4], "b": ["x", "y", "z"]}),  # a value
        pd.DataFrame({"a": [1, 2, 3], "c": ["x", "y", "z"]}),  # a column name
        pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}),  # a dtype
        pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}, index=[5, 6, 7]),  # the index
        pd.DataFrame({"a": [[1], [2], [3]], "b": ["x", "y", "z"]}),  # lists in cells
    ]
    assert len({rows(other) for other in changed} | {first}) == 6
    assert rows(pd.DataFrame({"a": [[1], [2], [3]], "b": ["x", "y", "z"]})) == 6
    series = pd.Series([1.5, 2.5], name="s")
    assert rows(series) == rows(series.copy()) != rows(series.rename("t"))
    array = np.arange(6, dtype="int32")
    assert rows(array) == rows(array.copy())
    assert len({rows(array), rows(array.astype("int64")), rows(array.reshape(2, 3))}) == 3
    assert rows(np.arange(6, dtype="int32")[::2]) == rows(np.array([0, 2, 4], dtype="int32"))
    assert len(calls) == 12


def test_geodataframes_and_geometries_are_hashed_by_geometry():
    gpd = pytest.importorskip("geopandas")
    shapely_geometry = pytest.importorskip("shapely.geometry")
    calls: list[int] = []

    @fused.cache
    def area(data: Any) -> int:
        calls.append(1)
        return len(calls)

    def frame(x: float, crs: str = "EPSG:4326") -> Any:
        return gpd.GeoDataFrame({"name": ["p"]}, geometry=[shapely_geometry.Point(x, 1.0)], crs=crs)

    first = area(frame(0.0))
    assert area(frame(0.0)) == first
    assert area(frame(0.5)) != first
    assert area(frame(0.0, "EPSG:3857")) == 3  # the CRS is part of the content
    assert area(shapely_geometry.box(0, 0, 1, 1)) == area(shapely_geometry.box(0, 0, 1, 1))
    assert area(shapely_geometry.box(0, 0, 1, 2)) == 5
    assert len(calls) == 5


def test_the_key_follows_the_source_and_the_max_age():
    source = """\
    @fused.cache
    def work(x):
        calls.append(x)
        return x + {step}
    """
    one = define(source.format(step=1), "<test:one>", "work")
    same = define(source.format(step=1), "<test:same>", "work")
    two = define(source.format(step=2), "<test:two>", "work")
    assert (one(1), one(1), same(1), two(1), two(1)) == (2, 2, 2, 3, 3)
    assert (len(calls_of(one)), len(calls_of(same)), len(calls_of(two))) == (1, 0, 1)
    assert len(stored("work")) == 2
    # The max age is part of the key, measured in seconds ("1h" and "60m" are one key).
    assert one(1, cache_max_age="1h") == 2
    assert one(1, cache_max_age="60m") == 2
    assert one(1, cache_max_age=3600) == 2
    assert len(calls_of(one)) == 2
    assert len(stored("work")) == 3


def test_cache_id_is_part_of_the_key_and_not_passed_on():
    calls: list[str] = []

    @fused.cache
    def greet(name: str, company: str = "Fused") -> str:
        calls.append(name)
        return f"{name}, at {company}, cached this function's output."

    bbox_a, bbox_b = "[0, 0, 1, 1]", "[1, 1, 2, 2]"
    assert (
        greet("Plinio", company="", _cache_id=bbox_a)
        == "Plinio, at , cached this function's output."
    )
    greet("Plinio", company="", _cache_id=bbox_a)
    greet("Plinio", company="", _cache_id=bbox_b)
    greet("Plinio", company="")
    assert calls == ["Plinio"] * 3


def test_cache_key_exclude_leaves_arguments_out_of_the_key():
    calls: list[int] = []

    @fused.cache(cache_key_exclude=["verbose", "token"])
    def fetch(x: int, verbose: bool = False, **options: object) -> int:
        calls.append(x)
        return x * 10

    assert fetch(1) == fetch(1, verbose=True) == fetch(1, token="a") == fetch(1, token="b") == 10
    assert fetch(1, other=1) == 10
    assert calls == [1, 1]
    assert fetch(2, cache_key_exclude=["x"]) == fetch(3, cache_key_exclude=["x"]) == 20


def test_options_per_call_and_their_older_names(capsys: pytest.CaptureFixture[str]):
    calls: list[int] = []

    @fused.cache
    def count(x: int) -> int:
        calls.append(x)
        return len(calls)

    assert count(1) == 1
    assert count(1, cache_reset=True) == 2  # recomputed and overwritten
    assert count(1) == 2
    assert count(1, reset=True) == 3  # older name
    capsys.readouterr()
    assert count(1, cache_verbose=False) == 3
    assert capsys.readouterr().out == ""
    assert count(1, cache_folder_path="mine") == 4
    assert count(1, path="mine") == 4  # older name of cache_folder_path
    assert len(list((shared_disk() / "mine").glob("*.pickle"))) == 1
    assert count(1, cache_folder_path="/mnt/cache/elsewhere") == 5  # mapped to the shared disk
    assert len(list((shared_disk() / "elsewhere").glob("*.pickle"))) == 1
    assert count(1, cache_storage="local") == count(1, storage="mount") == count(1) == 3
    assert count(1, concurrent_lock_timeout=5) == 3
    with pytest.raises(ValueError, match="cache_storage"):
        count(1, cache_storage="s3")
    with pytest.raises(ValueError, match="cache_max_age"):
        count(1, cache_max_age="soon")
    with pytest.raises(ValueError, match="concurrent_lock_timeout"):
        count(1, concurrent_lock_timeout=0)
    with pytest.raises(ValueError, match="cache_max_age"):
        fused.cache(cache_max_age="12 hours")
    assert len(calls) == 5


def test_decorator_options_and_a_function_that_has_a_parameter_named_like_one(tmp_path: Path):
    calls: list[str] = []

    @fused.cache(path="old-style", reset=False, storage="local", cache_max_age="7d")
    def read(path: str) -> str:  # its own `path` parameter is passed, not taken as an option
        calls.append(path)
        return path.upper()

    assert read("a") == read("a") == "A"
    assert read(path="b") == "B"
    assert calls == ["a", "b"]
    assert len(list((shared_disk() / "old-style").glob("*.pickle"))) == 2


def test_errors_are_not_cached():
    attempts: list[int] = []

    @fused.cache
    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) == 1:
            raise RuntimeError("first try fails")
        return x

    with pytest.raises(RuntimeError, match="first try fails"):
        flaky(7)
    assert stored("flaky") == []
    assert not list((shared_disk() / "cached_data" / "flaky").iterdir())  # no lock left either
    assert flaky(7) == flaky(7) == 7
    assert attempts == [7, 7]
    with pytest.raises(TypeError):
        flaky(1, 2)  # arguments that do not fit raise as the function would


def test_results_expire_after_the_max_age(capsys: pytest.CaptureFixture[str]):
    calls: list[int] = []

    @fused.cache(cache_max_age="1h")
    def value(x: int) -> int:
        calls.append(x)
        return len(calls)

    assert value(1) == 1
    [path] = stored("value")
    old = time.time() - 300
    os.utime(path, (old, old))
    capsys.readouterr()
    assert value(1) == 1
    assert capsys.readouterr().out == "'value' returned cached result: 5m old\n"
    expired = time.time() - 3601
    os.utime(path, (expired, expired))
    assert value(1) == 2  # computed again and stored again
    assert value(1) == 2
    assert calls == [1, 1]


def test_max_age_zero_does_not_cache():
    calls: list[int] = []

    @fused.cache(cache_max_age=0)
    def value(x: int) -> int:
        calls.append(x)
        return len(calls)

    assert (value(1), value(1)) == (1, 2)
    assert stored("value") == []


def test_results_that_cannot_be_pickled_are_returned_but_not_stored(
    capsys: pytest.CaptureFixture[str],
):
    @fused.cache
    def make(x: int) -> Any:
        return lambda: x

    assert make(1)() == 1
    assert "cannot be pickled" in capsys.readouterr().err
    assert stored("make") == []


def test_a_damaged_file_is_computed_again():
    calls: list[int] = []

    @fused.cache
    def value(x: int) -> int:
        calls.append(x)
        return 5

    value(1)
    [path] = stored("value")
    path.write_bytes(b"not a pickle")
    assert value(1) == 5 and value(1) == 5
    assert calls == [1, 1]


def test_age_and_max_age_texts():
    assert [format_age(s) for s in (0.04, 3.2, 59.9, 300, 7300, 3 * 86400)] == [
        "0.0s",
        "3.2s",
        "59.9s",
        "5m",
        "2h",
        "3d",
    ]
    assert [max_age_seconds(v) for v in (0, 90, "30s", "10m", "24h", "7d")] == [
        0,
        90,
        30,
        600,
        86400,
        604800,
    ]
    for bad in ("10", "1w", "-1s", True, -5, [1]):
        with pytest.raises(ValueError):
            max_age_seconds(bad)


# --- across threads and processes --------------------------------------------------------------

SLOW_SCRIPT = """\
import os, sys, time
import fused

@fused.cache(concurrent_lock_timeout=float(os.environ.get("LOCK_TIMEOUT", "120")))
def slow(n):
    with open(os.environ["COUNT_FILE"], "a") as counter:
        counter.write(f"{os.getpid()}\\n")
    if os.environ.get("HANG"):
        time.sleep(600)
    time.sleep(float(os.environ.get("WORK_S", "0")))
    return n * 2

print("result", slow(21), flush=True)
"""


def script_env(count_file: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(RUNTIME),
        "COUNT_FILE": str(count_file),
        **extra,
    }


def computations(count_file: Path) -> list[str]:
    return count_file.read_text().split() if count_file.exists() else []


def test_processes_asking_for_one_slow_key_compute_it_once(tmp_path: Path):
    script = tmp_path / "slow.py"
    script.write_text(SLOW_SCRIPT)
    count_file = tmp_path / "count.txt"
    env = script_env(count_file, WORK_S="1.0")
    processes = [
        subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=60)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0]
    assert all(out.rstrip().endswith("result 42") for out in outputs), outputs
    assert len(computations(count_file)) == 1
    assert sum(len(hits(out)) for out in outputs) == 2
    # A later run (another process) is a hit too.
    again = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, check=True
    )
    assert hits(again.stdout) and len(computations(count_file)) == 1


def test_threads_asking_for_one_slow_key_compute_it_once():
    calls: list[int] = []
    results: list[int] = []

    @fused.cache
    def slow(n: int) -> int:
        calls.append(n)
        time.sleep(0.3)  # slow on purpose: the other threads ask while it computes
        return n * 2

    threads = [threading.Thread(target=lambda: results.append(slow(5))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [10] * 5
    assert calls == [5]


def test_a_lock_left_by_a_killed_process_is_broken(tmp_path: Path):
    script = tmp_path / "slow.py"
    script.write_text(SLOW_SCRIPT)
    count_file = tmp_path / "count.txt"
    holder = subprocess.Popen(
        [sys.executable, str(script)],
        env=script_env(count_file, HANG="1"),
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not computations(count_file) and time.monotonic() < deadline:
            time.sleep(0.02)
        locks = list((shared_disk() / "cached_data" / "slow").glob("*.lock"))
        assert len(locks) == 1
        assert json.loads(locks[0].read_text())["pid"] == holder.pid
        os.kill(holder.pid, signal.SIGKILL)
        if not Path("/proc").is_dir():
            holder.wait(30)  # without /proc a zombie cannot be told from a live process
        # Not reaped yet: a zombie counts as dead too. The lock timeout is long, so only the
        # dead pid can explain a quick takeover.
        started = time.monotonic()
        taker = subprocess.run(
            [sys.executable, str(script)],
            env=script_env(count_file, LOCK_TIMEOUT="300"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert time.monotonic() - started < 20
        assert taker.returncode == 0, taker.stderr
        assert taker.stdout.strip() == "result 42"
        assert len(computations(count_file)) == 2
        assert not list((shared_disk() / "cached_data" / "slow").glob("*.lock"))
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(30)


def test_a_lock_older_than_the_timeout_is_taken_over():
    calls: list[int] = []

    @fused.cache(concurrent_lock_timeout=0.5)
    def value(x: int) -> int:
        calls.append(x)
        return x

    value(0)  # creates the folder
    folder = shared_disk() / "cached_data" / "value"
    key_file = next(folder.glob("*.pickle"))
    key_file.unlink()
    # A lock held by a live process (this one) that never finishes: waited for, then broken.
    lock = key_file.with_suffix(".lock")
    lock.write_text(json.dumps({"pid": os.getpid(), "time": time.time()}))
    started = time.monotonic()
    assert value(0) == 0
    assert 0.4 <= time.monotonic() - started < 10
    assert not lock.exists()
    assert calls == [0, 0]


def test_a_cached_function_in_a_udf_is_shared_by_worker_processes():
    from conftest import WorkerProcess, udf_request

    code = textwrap.dedent(
        """\
        @fused.cache
        def expensive(n):
            print("computing", n)
            return {"n": n}

        @fused.udf
        def udf(n: int = 3):
            return expensive(n)
        """
    )
    outputs = []
    for request_id in (1, 2):
        worker = WorkerProcess()
        try:
            assert worker.receive()[0]["op"] == "ready"
            header, payload = worker.request(
                {"op": "run", "id": request_id, "udf": udf_request(code), "params": {"n": "4"}}
            )
        finally:
            worker.close()
        assert header["ok"] is True, header
        assert json.loads(payload) == {"n": 4}
        outputs.append(header["stdout"])
    assert outputs[0] == "computing 4\n"
    assert HIT.match(outputs[1].rstrip("\n")) and outputs[1].startswith("'expensive'")


def test_a_cache_hit_takes_microseconds(capsys: pytest.CaptureFixture[str]):
    @fused.cache
    def small(x: int, label: str = "a") -> dict[str, int]:
        return {"x": x}

    small(1)
    timings = []
    for _ in range(1000):
        started = time.perf_counter()
        small(1)
        timings.append(time.perf_counter() - started)
    capsys.readouterr()
    median_us = statistics.median(timings) * 1e6
    with capsys.disabled():
        print(f"\n@fused.cache hit: median {median_us:.1f} µs over 1,000 calls")
    assert median_us < 2000
