"""`fused.run` and `udf()` through a running engine: a real `udf-studio serve`, real HTTP.

One engine (one worker) serves the whole module. A run that must go through it is made with the
in-process path disabled, so a test cannot pass by running the UDF here by mistake.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import fused
from conftest import RunningEngine, write_udf_folder
from fused import EngineUnavailableError, UdfParameterError, UdfRuntimeError, _call, _engine_client
from fused._engine_client import forget_engine
from fused._nesting import at_depth

NO_ENGINE_NOTE = "no UDF Studio engine is running"


def _no_local_run(*args: object, **kwargs: object) -> Any:
    raise AssertionError("this call was meant to run through the engine, not in this process")


def remote(call: Callable[[], Any]) -> Any:
    """`call()`, failing if the UDF would run in this process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_call, "invoke", _no_local_run)
        return call()


def parent_pid(pid: int) -> int | None:
    """The parent of a process, where /proc tells (Linux)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    return int(stat.read_text().rsplit(")", 1)[1].split()[1])


# --- UDFs defined in this file, as a script defines them -------------------------------------


@fused.udf
def where(n: int = 0):
    import os

    return {"pid": os.getpid(), "n": n}


@fused.udf
def table_udf():
    import pandas as pd

    return pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, 1.5, None]})


@fused.udf
def geotable_udf():
    import geopandas as gpd
    from shapely.geometry import Point, box

    return gpd.GeoDataFrame(
        {"name": ["tower", "cell"], "rank": [1, 2]},
        geometry=[Point(2.2945, 48.8584), box(2.0, 48.0, 3.0, 49.0)],
        crs="EPSG:4326",
    )


@fused.udf
def array_udf(dtype: str = "float32"):
    import numpy as np

    if dtype == "uint8":
        return np.arange(16, dtype="uint8").reshape(4, 4)
    return np.linspace(0.0, 1.0, 24, dtype=dtype).reshape(2, 3, 4)


@fused.udf
def value_udf(kind: str = "dict"):
    values = {
        "dict": {"hello": "world", "n": [1, 2.5, None], "ok": True},
        "list": [1, "two", {"three": 3}],
        "int": 7,
        "text": "plain text, ünïcode",
        "html": "<h1>Report</h1><p>ok</p>",
        "empty_text": "",
        "none": None,
        "bytes": b"\x00\x01binary\xff",
        "png_bytes": b"\x89PNG\r\n\x1a\n" + bytes(range(16)),
        "empty_bytes": b"",
    }
    return values[kind]


@fused.udf
def tile_udf(bounds: fused.types.Bounds, z: int = 0, label: str = ""):
    import os

    return {"bounds": bounds, "z": z, "label": label, "pid": os.getpid()}


@fused.udf
def empty_tile_udf(bounds: fused.types.Bounds):
    return None


@fused.udf
def failing(n: int = 0):
    value = n + 1
    raise ValueError(f"bad value {value}")


@fused.udf
def chatty(name: str = "x"):
    import sys

    print(f"out {name}")
    print(f"err {name}", file=sys.stderr)
    if name == "fail":
        raise ValueError("failing on purpose")
    return name


@fused.udf(default_parameters={"b": 10})
def adder(a: int, b: int = 1, c: int = 0):
    import os

    return {"sum": a + b + c, "pid": os.getpid()}


@fused.udf
def takes_anything(value=None):
    import os

    return {"type": type(value).__name__, "pid": os.getpid()}


@fused.udf
def nested():
    import os

    @fused.udf
    def inner():
        import os

        return os.getpid()

    return {"outer": os.getpid(), "inner": inner()}


# --- through the engine --------------------------------------------------------------------


def test_runs_go_to_the_engines_worker(engine: RunningEngine):
    result = remote(lambda: where(n=2))
    assert result["n"] == 2
    assert result["pid"] != os.getpid()
    if parent_pid(result["pid"]) is not None:
        assert parent_pid(result["pid"]) == engine.pid
    # fused.run takes the same path; strings are converted by annotation in the worker.
    again = remote(lambda: fused.run(where, n="3"))
    assert again["n"] == 3 and again["pid"] != os.getpid()


def test_tables_and_geotables_round_trip(engine: RunningEngine):
    import geopandas as gpd
    import pandas as pd
    from geopandas.testing import assert_geodataframe_equal

    table = remote(table_udf)
    assert type(table) is pd.DataFrame
    pd.testing.assert_frame_equal(table, table_udf(engine="local"))

    geotable = remote(geotable_udf)
    local = geotable_udf(engine="local")
    assert isinstance(geotable, gpd.GeoDataFrame)
    assert geotable.crs == local.crs
    assert_geodataframe_equal(geotable, local)


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8"])
def test_arrays_round_trip_with_their_dtype_and_shape(engine: RunningEngine, dtype: str):
    import numpy as np

    array = remote(lambda: array_udf(dtype=dtype))
    local = array_udf(dtype=dtype, engine="local")
    assert isinstance(array, np.ndarray)
    assert array.dtype == local.dtype and array.shape == local.shape
    np.testing.assert_array_equal(array, local)


@pytest.mark.parametrize(
    "kind",
    [
        "dict",
        "list",
        "int",
        "text",
        "html",
        "empty_text",
        "none",
        "bytes",
        "png_bytes",
        "empty_bytes",
    ],
)
def test_plain_values_round_trip(engine: RunningEngine, kind: str):
    value = remote(lambda: fused.run(value_udf, kind=kind))
    local = value_udf(kind=kind, engine="local")
    assert value == local
    assert type(value) is type(local)


def test_tile_mode_sends_the_tile_in_the_path(engine: RunningEngine):
    result = remote(lambda: fused.run(tile_udf, x=2074, y=1409, z=12, label="t"))
    local = fused.run(tile_udf, x=2074, y=1409, z=12, label="t", engine="local")
    assert result["pid"] != os.getpid()
    assert {**result, "pid": None} == {**local, "pid": None}
    assert result["z"] == 12 and result["bounds"] == pytest.approx(local["bounds"])
    # The Udf's own call form, and an empty tile (the engine answers 204).
    assert remote(lambda: tile_udf(x=1, y=1, z=2))["bounds"] == local_bounds(1, 1, 2)
    assert remote(lambda: empty_tile_udf(x=0, y=0, z=0)) is None


def local_bounds(x: int, y: int, z: int) -> list[float]:
    return list(fused.run(tile_udf, x=x, y=y, z=z, engine="local")["bounds"])


def test_positional_arguments_and_default_parameters_travel_by_name(engine: RunningEngine):
    result = remote(lambda: fused.run(adder, 1, c=2))
    assert result["sum"] == 13 and result["pid"] != os.getpid()
    assert remote(lambda: adder(5, b=0))["sum"] == 5


def test_json_parameters_go_to_the_engine(engine: RunningEngine):
    import numpy as np

    for value, type_name in [
        ([2.0, 48.0, 3.0, 49.0], "list"),
        ({"a": [1, None]}, "dict"),
        (np.int64(4), "int"),
        (None, "NoneType"),
    ]:
        result = remote(lambda value=value: takes_anything(value=value))
        assert result["type"] == type_name and result["pid"] != os.getpid()


def test_a_udf_error_is_the_same_error_as_in_process(engine: RunningEngine):
    with pytest.raises(UdfRuntimeError) as through_engine:
        remote(lambda: failing(n=1))
    with pytest.raises(UdfRuntimeError) as in_process:
        failing(n=1, engine="local")
    error, expected = through_engine.value, in_process.value
    raise_line = inspect.getsourcelines(failing._fn)[1] + 3
    assert (error.code, error.message, error.exception_class) == (
        "UDF_ERR_RUNTIME",
        "bad value 2",
        "ValueError",
    )
    assert (error.file, error.line) == (__file__, raise_line)
    assert (error.file, error.line, str(error)) == (expected.file, expected.line, str(expected))
    assert f'File "{__file__}", line {raise_line}' in error.traceback_text


def test_parameter_errors_are_parameter_errors(engine: RunningEngine):
    with pytest.raises(UdfParameterError) as unknown:
        remote(lambda: failing(m=1))
    assert unknown.value.code == "UDF_ERR_UNKNOWN_PARAM"
    assert isinstance(unknown.value, TypeError)
    with pytest.raises(UdfParameterError) as bad:
        remote(lambda: failing(n="many"))
    assert bad.value.code == "UDF_ERR_PARAM" and "'n'" in bad.value.message


def test_folder_udfs_report_their_own_files_and_header_modules(
    engine: RunningEngine, tmp_path: Path
):
    folder = write_udf_folder(
        tmp_path,
        "With_Helper",
        "import helper\n\n@fused.udf\ndef udf(n: int = 1):\n    return helper.scaled(n)\n",
        headers={
            "helper": "def scaled(n):\n    if n < 0:\n        raise ValueError('negative')\n"
            "    return {'scaled': n * 10}\n"
        },
    )
    assert remote(lambda: fused.run(str(folder), n=4)) == {"scaled": 40}
    with pytest.raises(UdfRuntimeError) as header_error:
        remote(lambda: fused.run(str(folder), n=-1))
    assert header_error.value.file == str(folder / "helper.py")
    assert header_error.value.line == 3
    with pytest.raises(UdfRuntimeError) as local_header_error:
        fused.run(str(folder), n=-1, engine="local")
    assert str(header_error.value) == str(local_header_error.value)

    broken = write_udf_folder(
        tmp_path, "Broken", "@fused.udf\ndef udf():\n    x = 1\n    return x / 0\n"
    )
    with pytest.raises(UdfRuntimeError) as main_error:
        remote(lambda: fused.run(broken))
    assert (main_error.value.file, main_error.value.line) == (str(broken / "Broken.py"), 4)
    assert main_error.value.exception_class == "ZeroDivisionError"
    with pytest.raises(UdfRuntimeError) as local_main_error:
        fused.run(broken, engine="local")
    assert str(main_error.value) == str(local_main_error.value)


def test_the_udfs_output_is_echoed_when_verbose_or_failing(
    engine: RunningEngine, capsys: pytest.CaptureFixture[str]
):
    # As the official client shows it: with verbose=True (or the option), or when the run fails.
    assert remote(lambda: chatty(name="hush", cache=False)) == "hush"
    assert capsys.readouterr() == ("", "")
    assert remote(lambda: chatty(name="ada", cache=False, verbose=True)) == "ada"
    assert capsys.readouterr() == ("out ada\n", "err ada\n")
    fused.options.verbose_udf_runs = True
    try:
        assert remote(lambda: fused.run(chatty, name="bob", cache=False)) == "bob"
    finally:
        fused.options.verbose_udf_runs = False
    assert capsys.readouterr().out == "out bob\n"
    with pytest.raises(UdfRuntimeError, match="failing on purpose"):
        remote(lambda: chatty(name="fail", cache=False))
    assert capsys.readouterr() == ("out fail\n", "err fail\n")
    with pytest.raises(UdfRuntimeError):
        remote(lambda: chatty(name="ada", unknown=1))


def test_a_udf_that_calls_another_runs_it_inside_its_worker(engine: RunningEngine):
    result = remote(nested)
    assert result["outer"] == result["inner"] != os.getpid()


def test_cache_options_reach_the_engine(engine: RunningEngine):
    assert remote(lambda: where(n=9, cache=False))["n"] == 9
    assert remote(lambda: fused.run(where, n=9, cache_max_age="10m"))["n"] == 9


# --- in this process -----------------------------------------------------------------------


def test_engine_local_runs_here_silently(engine: RunningEngine, capsys: pytest.CaptureFixture[str]):
    assert where(n=1, engine="local")["pid"] == os.getpid()
    assert fused.run(where, n=1, engine="local")["pid"] == os.getpid()
    assert capsys.readouterr().err == ""


@fused.udf
def depth_udf(n: int = 0):
    import os

    from fused._nesting import current_depth

    return {"pid": os.getpid(), "depth": current_depth(), "n": n}


def test_calls_made_inside_a_run_go_to_the_engine_one_level_deeper(engine: RunningEngine):
    with at_depth(0):  # as a worker sets it for a top-level run
        answer = depth_udf(n=1)
    assert answer["pid"] != os.getpid()
    assert answer["depth"] == 1
    with at_depth(3):
        assert depth_udf(n=2)["depth"] == 4
    assert depth_udf(n=3)["depth"] == 0  # a top-level call from a script


def test_a_call_past_five_levels_fails_before_it_is_sent(engine: RunningEngine):
    with at_depth(5), pytest.raises(UdfRuntimeError) as caught:
        fused.run(depth_udf, n=1)
    assert caught.value.code == "UDF_ERR_RECURSION"
    assert "limit is 5" in str(caught.value)


def test_inside_a_worker_without_an_engine_runs_here_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("UDF_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("UDF_STUDIO_WORKER", "1")
    forget_engine()
    with at_depth(1):
        answer = depth_udf(n=1)
    assert answer == {"pid": os.getpid(), "depth": 2, "n": 1}
    assert capsys.readouterr().err == ""


def test_without_an_engine_runs_here_with_one_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("UDF_STUDIO_HOME", str(tmp_path / "empty-home"))
    assert where(n=1)["pid"] == os.getpid()
    assert fused.run(where, n=2)["pid"] == os.getpid()
    err = capsys.readouterr().err
    assert err.count(NO_ENGINE_NOTE) == 1
    assert err.startswith("fused: ") and "running in this process" in err


def test_a_stale_engine_json_runs_here_with_the_note(
    engine_server: RunningEngine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    home = tmp_path / "stale-home"
    home.mkdir()
    # The URL is the live engine's: only the dead pid says that this file is stale.
    port = int(engine_server.url.rsplit(":", 1)[1])
    info = {"url": engine_server.url, "port": port, "pid": dead.pid, "startedAt": "x"}
    (home / "engine.json").write_text(json.dumps(info))
    shutil.copy(engine_server.home / "credentials", home / "credentials")
    monkeypatch.setenv("UDF_STUDIO_HOME", str(home))
    assert where(n=1)["pid"] == os.getpid()
    assert where(n=2)["pid"] == os.getpid()
    err = capsys.readouterr().err
    assert err.count(NO_ENGINE_NOTE) == 1 and f"process {dead.pid}" in err


def test_arguments_that_are_not_json_run_here_with_a_note(
    engine: RunningEngine, capsys: pytest.CaptureFixture[str]
):
    import pandas as pd
    from shapely.geometry import Point

    assert takes_anything(value=pd.DataFrame({"a": [1]})) == {
        "type": "DataFrame",
        "pid": os.getpid(),
    }
    assert takes_anything(value=Point(0, 0))["pid"] == os.getpid()
    assert takes_anything(value=float("nan"))["pid"] == os.getpid()
    err = capsys.readouterr().err
    assert "parameter 'value' (pandas.DataFrame) cannot be sent to the engine as JSON" in err
    assert "parameter 'value' (nan) cannot be sent" in err
    assert "running 'takes_anything' in this process" in err


def test_a_body_over_the_engines_limit_runs_here(
    engine: RunningEngine, capsys: pytest.CaptureFixture[str]
):
    big = list(range(1_000_000))
    assert takes_anything(value=big)["pid"] == os.getpid()
    assert "request limit" in capsys.readouterr().err


def test_a_rejected_token_is_a_clear_engine_error(
    engine_server: RunningEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    home = tmp_path / "wrong-token-home"
    home.mkdir()
    shutil.copy(engine_server.home / "engine.json", home / "engine.json")
    (home / "credentials").write_text(json.dumps({"access_token": "0" * 64}))
    monkeypatch.setenv("UDF_STUDIO_HOME", str(home))
    with pytest.raises(EngineUnavailableError, match=engine_server.url) as refused:
        where(n=1)
    assert "UDF_ERR_AUTH_REQUIRED" in str(refused.value)
    assert str(home / "credentials") in str(refused.value)


# --- an engine that misbehaves (a stand-in server on loopback) -------------------------------


class StandIn(BaseHTTPRequestHandler):
    """Answers /healthz; a run gets what the server's `mode` says."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = b'{"status": "ok", "workers": 1}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        mode = getattr(self.server, "mode", "answer")
        if mode == "hang":
            time.sleep(2)  # answers after the client's time limit: the scenario under test
            return
        if mode == "drop":
            return  # closes the connection without an answer
        body = b'{"answered": "by the stand-in"}'
        metadata = json.dumps({"stdout": "stand-in says hi\n", "stderr": ""})
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("x-fused-metadata", metadata)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    home = tmp_path / "stand-in-home"
    home.mkdir()
    port = server.server_address[1]
    info = {"url": f"http://127.0.0.1:{port}", "port": port, "pid": os.getpid(), "startedAt": "x"}
    (home / "engine.json").write_text(json.dumps(info))
    (home / "credentials").write_text(json.dumps({"access_token": "a" * 64}))
    monkeypatch.setenv("UDF_STUDIO_HOME", str(home))
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_an_engine_that_stops_is_found_gone_and_the_run_happens_here(
    stand_in: ThreadingHTTPServer, capsys: pytest.CaptureFixture[str]
):
    assert remote(lambda: where(n=1, verbose=True)) == {"answered": "by the stand-in"}
    assert capsys.readouterr().out == "stand-in says hi\n"
    stand_in.shutdown()
    stand_in.server_close()
    assert where(n=1)["pid"] == os.getpid()
    assert "does not answer; running in this process" in capsys.readouterr().err


def test_a_dropped_connection_names_the_engine(stand_in: ThreadingHTTPServer):
    stand_in.mode = "drop"  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{stand_in.server_address[1]}"
    with pytest.raises(EngineUnavailableError, match=f"lost the connection .* at {url}"):
        where(n=1)


def test_a_run_that_outlasts_the_timeout_names_the_engine(
    stand_in: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
):
    stand_in.mode = "hang"  # type: ignore[attr-defined]
    monkeypatch.setenv("UDF_STUDIO_TIME_LIMIT_S", "0.2")
    monkeypatch.setattr(_engine_client, "QUEUE_MARGIN_S", 0.1)
    url = f"http://127.0.0.1:{stand_in.server_address[1]}"
    with pytest.raises(
        EngineUnavailableError,
        match=rf"engine at {url} did not answer within 0\.3 s \(the UDF time limit is 0\.2 s\)",
    ):
        where(n=1)


@pytest.mark.parametrize(("given", "limit"), [(None, 120.0), ("300", 300.0), ("soon", 120.0),
                                              ("-1", 120.0), ("nan", 120.0), ("inf", 120.0)])
def test_the_time_limit_is_the_engines_and_falls_back_to_fuseds(
    monkeypatch: pytest.MonkeyPatch, given: str | None, limit: float
):
    if given is None:
        monkeypatch.delenv("UDF_STUDIO_TIME_LIMIT_S", raising=False)
    else:
        monkeypatch.setenv("UDF_STUDIO_TIME_LIMIT_S", given)
    assert _engine_client.time_limit_s() == limit


# --- decoding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "payload", "expected"),
    [
        ("application/json", b'{"a": [1, null]}', {"a": [1, None]}),
        ("application/geo+json", b'{"type": "FeatureCollection"}', {"type": "FeatureCollection"}),
        ("text/plain; charset=utf-8", "é".encode(), "é"),
        ("text/html; charset=latin-1", "é".encode("latin-1"), "é"),
        ("application/vnd.apache.parquet", b"", None),
        ("application/octet-stream", b"", b""),
        ("image/png", b"\x89PNG\r\n\x1a\nrest", b"\x89PNG\r\n\x1a\nrest"),
    ],
)
def test_decode_result_by_content_type(content_type: str, payload: bytes, expected: object):
    assert _engine_client.decode_result(content_type, payload) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"error": {"code": "UDF_ERR_AUTH_REQUIRED"}}', {"code": "UDF_ERR_AUTH_REQUIRED"}),
        (b'{"error": "a sentence, not an object"}', None),
        (b'{"message": "no error key"}', None),
        (b"[1, 2]", None),
        (b"<html>bad gateway</html>", None),
        (b"\xff\xfe", None),
        (b"", None),
    ],
)
def test_error_object_is_the_error_body_or_none(payload: bytes, expected: object):
    assert _engine_client.error_object(payload) == expected
