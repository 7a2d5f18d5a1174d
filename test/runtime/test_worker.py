"""The worker as a real subprocess: fds 3, 4 and 5, framing, run, describe, shutdown, errors as
data."""

from __future__ import annotations

import io
import json
import math
import os
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from conftest import RUNTIME, WorkerProcess, udf_request

COUNTED = """\
import sys
sys.udf_studio_worker_execs = getattr(sys, "udf_studio_worker_execs", 0) + 1
calls = []

@fused.udf
def udf(name: str = "world", n: int = 1):
    calls.append(name)
    print("hello", name)
    return {"name": name, "n": n, "calls": len(calls), "execs": sys.udf_studio_worker_execs}
"""


def run_request(udf: dict[str, Any], request_id: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "op": "run",
        "id": request_id,
        "udf": udf,
        "params": fields.pop("params", {}),
        "tile": fields.pop("tile", None),
        "formats": fields.pop("formats", []),
        "defaults": fields.pop("defaults", {}),
        **fields,
    }


@pytest.mark.parametrize("new_session", [False, True])
def test_ready_frame_comes_first(new_session: bool):
    # Only a worker leading a session of its own, as the engine starts it, becomes a subreaper.
    process = WorkerProcess(new_session=new_session)
    try:
        ready, payload = process.receive()
        assert ready == {
            "op": "ready",
            "pid": process.process.pid,
            "python": ready["python"],
            "fused": "0.1.0",
            "subreaper": new_session and sys.platform == "linux",
        }
        assert ready["python"].startswith("3.")
        assert payload == b""
    finally:
        process.close()


def test_run_answers_with_the_encoded_result_and_captured_output(worker: WorkerProcess):
    header, payload = worker.request(
        run_request(udf_request(COUNTED), 7, params={"name": "x", "n": "3"})
    )
    assert header["id"] == 7
    assert header["ok"] is True
    assert (header["kind"], header["format"], header["contentType"]) == (
        "json",
        "json",
        "application/json",
    )
    assert header["empty"] is False
    assert header["stdout"] == "hello x\n"
    assert header["stderr"] == ""
    assert isinstance(header["durationMs"], float) and header["durationMs"] >= 0
    assert json.loads(payload) == {"name": "x", "n": 3, "calls": 1, "execs": 1}


def test_same_key_reuses_the_module_and_a_new_key_executes_again(worker: WorkerProcess):
    first = udf_request(COUNTED)
    results = [json.loads(worker.request(run_request(first, number))[1]) for number in range(3)]
    assert [(result["calls"], result["execs"]) for result in results] == [(1, 1), (2, 1), (3, 1)]
    changed = udf_request(COUNTED + "\n# changed\n")
    assert changed["key"] != first["key"]
    result = json.loads(worker.request(run_request(changed, 9))[1])
    assert (result["calls"], result["execs"]) == (1, 2)
    result = json.loads(worker.request(run_request(first, 10))[1])
    assert (result["calls"], result["execs"]) == (4, 2)


def test_stdout_and_stderr_are_captured_per_run(worker: WorkerProcess):
    code = (
        "import sys\n"
        "@fused.udf\n"
        "def udf(n: int):\n"
        "    print('out', n)\n"
        "    print('err', n, file=sys.stderr)\n"
    )
    udf = udf_request(code)
    for n in (1, 2):
        header, payload = worker.request(run_request(udf, n, params={"n": n}))
        assert (header["stdout"], header["stderr"]) == (f"out {n}\n", f"err {n}\n")
        assert (header["kind"], header["empty"], payload) == ("empty", True, b"")


def test_formats_defaults_and_format_errors(worker: WorkerProcess):
    code = "import pandas as pd\n@fused.udf\ndef udf():\n    return pd.DataFrame({'a': [1, 2]})\n"
    udf = udf_request(code)
    header, payload = worker.request(run_request(udf, 1, defaults={"table": "csv"}))
    assert (header["format"], header["contentType"]) == ("csv", "text/csv; charset=utf-8")
    assert pd.read_csv(io.BytesIO(payload))["a"].tolist() == [1, 2]
    header, payload = worker.request(run_request(udf, 2, formats=["png", "parquet"]))
    assert header["format"] == "parquet"
    assert pd.read_parquet(io.BytesIO(payload))["a"].tolist() == [1, 2]
    header, payload = worker.request(run_request(udf, 3, formats=["png"]))
    assert header["ok"] is False and payload == b""
    assert header["error"]["code"] == "UDF_ERR_FORMAT"
    assert "table" in header["error"]["message"]


def test_tile_runs_give_the_first_parameter_the_tile(worker: WorkerProcess):
    code = (
        "@fused.udf\n"
        "def udf(bounds: fused.types.Bounds = None, z: int = -1):\n"
        "    return [bounds, z]\n"
    )
    header, payload = worker.request(
        run_request(udf_request(code), 1, tile={"x": 1, "y": 0, "z": 1})
    )
    bounds, z = json.loads(payload)
    assert bounds == pytest.approx([0.0, 0.0, 180.0, 85.0511287798066])
    assert z == 1
    header, _ = worker.request(run_request(udf_request(code), 2, tile={"x": 5, "y": 0, "z": 1}))
    assert header["error"]["code"] == "UDF_ERR_PARAM"
    assert "out of range" in header["error"]["message"]


VECTOR_TILE_UDF = """\
import geopandas as gpd
from shapely.geometry import Point, box

@fused.udf
def udf(bounds: fused.types.Bounds = None, label: str = "x"):
    west, south, east, north = bounds
    return gpd.GeoDataFrame(
        {"label": [label, "far"]},
        geometry=[Point(west, north), box(west - 20, south - 20, west - 10, south - 10)],
        crs="EPSG:4326",
    )
"""


def test_mvt_runs_are_cut_for_the_requests_tile(worker: WorkerProcess):
    import mapbox_vector_tile

    udf = udf_request(VECTOR_TILE_UDF)
    header, payload = worker.request(
        run_request(
            udf, 1, params={"label": "corner"}, tile={"x": 300, "y": 400, "z": 10}, formats=["mvt"]
        )
    )
    assert header["ok"] is True, header.get("error")
    assert (header["kind"], header["format"], header["contentType"]) == (
        "geotable",
        "mvt",
        "application/vnd.mapbox-vector-tile",
    )
    layers = mapbox_vector_tile.decode(payload, default_options={"y_coord_down": True})
    (feature,) = layers["udf"]["features"]
    assert feature["properties"] == {"label": "corner"}
    assert feature["geometry"]["coordinates"] == [0, 0]
    header, payload = worker.request(
        run_request(udf, 2, params={"bounds": "[0, 0, 1, 1]"}, formats=["mvt"])
    )
    assert (header["ok"], payload) == (False, b"")
    assert header["error"]["code"] == "UDF_ERR_FORMAT"
    assert "mvt needs a tile URL" in header["error"]["message"]


def test_tiff_runs_of_array_and_bounds_are_georeferenced_tiles(worker: WorkerProcess):
    from rasterio.io import MemoryFile

    code = (
        "import numpy as np\n"
        "@fused.udf\n"
        "def udf(bounds: fused.types.Bounds = None):\n"
        "    return np.linspace(0.0, 1.0, 16).reshape(4, 4), bounds\n"
    )
    header, payload = worker.request(
        run_request(udf_request(code), 1, tile={"x": 1, "y": 1, "z": 2}, formats=["tif", "png"])
    )
    assert header["ok"] is True, header.get("error")
    assert (header["kind"], header["format"], header["contentType"]) == (
        "raster",
        "tiff",
        "image/tiff",
    )
    with MemoryFile(payload) as memory, memory.open() as dataset:
        assert (dataset.width, dataset.height, dataset.count) == (256, 256, 2)
        assert dataset.crs.to_epsg() == 3857
        quarter = math.pi * 6378137.0 / 2
        assert tuple(dataset.bounds) == pytest.approx((-quarter, 0.0, 0.0, quarter))
        alpha = dataset.read(2)
    assert alpha.min() == 255  # the bounds are the tile's: the array covers all of it


def test_sigint_does_not_stop_the_worker(worker: WorkerProcess):
    worker.process.send_signal(signal.SIGINT)
    header, payload = worker.request(
        run_request(udf_request("@fused.udf\ndef udf():\n    return 'alive'\n"), 1)
    )
    assert (header["ok"], payload) == (True, b"alive")
    assert worker.process.poll() is None


def test_parameter_errors_have_their_codes(worker: WorkerProcess):
    udf = udf_request("@fused.udf\ndef udf(n: int):\n    return n\n")
    cases = [
        ({"n": "abc"}, "UDF_ERR_PARAM", "parameter 'n' expects int"),
        ({"n": 1, "other": 2}, "UDF_ERR_UNKNOWN_PARAM", "'other'"),
        ({}, "UDF_ERR_MISSING_PARAM", "'n'"),
    ]
    for number, (params, code, text) in enumerate(cases):
        header, _ = worker.request(run_request(udf, number, params=params))
        assert header["ok"] is False
        assert header["error"]["code"] == code
        assert text in header["error"]["message"]


def test_header_modules_are_per_udf(worker: WorkerProcess, tmp_path: Path):
    code = (
        "import utils\n"
        "@fused.udf\n"
        "def udf():\n"
        "    from utils import NAME\n"
        "    return [NAME, utils.NAME]\n"
    )
    answers = []
    for name in ("first", "second", "first"):
        header_code = f"NAME = {name!r}\n"
        udf = udf_request(
            code,
            name=name,
            headers=[
                {
                    "module_name": "utils",
                    "path": str(tmp_path / name / "utils.py"),
                    "code": header_code,
                }
            ],
        )
        answers.append(json.loads(worker.request(run_request(udf))[1]))
    assert answers == [["first", "first"], ["second", "second"], ["first", "first"]]


def test_describe_reports_the_signature(worker: WorkerProcess):
    code = (
        "import datetime\n"
        "@fused.udf(cache_max_age='10m', default_parameters={'label': 'preset'})\n"
        "def udf(bounds: fused.types.Bounds, n: int = 3, when=datetime.date(2024, 1, 2),\n"
        "        label: str = 'x', **rest):\n"
        "    return None\n"
    )
    header, payload = worker.request({"op": "describe", "id": 8, "udf": udf_request(code)})
    assert payload == b""
    assert header == {
        "id": 8,
        "ok": True,
        "entrypoint": "udf",
        "takesKwargs": True,
        "tileParam": "bounds",
        "parameters": [
            {
                "name": "bounds",
                "annotation": "fused.types.Bounds",
                "default": None,
                "required": True,
            },
            {"name": "n", "annotation": "int", "default": 3, "required": False},
            {
                "name": "when",
                "annotation": None,
                "default": "datetime.date(2024, 1, 2)",
                "required": False,
            },
            {"name": "label", "annotation": "str", "default": "preset", "required": False},
        ],
        "cacheMaxAge": "10m",
    }


def test_syntax_errors_are_reported_with_file_and_line(worker: WorkerProcess, tmp_path: Path):
    path = str(tmp_path / "Broken.py")
    udf = udf_request("@fused.udf\ndef udf():\n    return (\n", path=path)
    for request in (run_request(udf), {"op": "describe", "id": 1, "udf": udf}):
        header, payload = worker.request(request)
        assert header["ok"] is False and payload == b""
        error = header["error"]
        assert (error["code"], error["file"], error["line"]) == ("UDF_ERR_SYNTAX", path, 3)
        assert error["exceptionClass"] == "SyntaxError"


def test_import_errors_and_missing_entry_points(worker: WorkerProcess):
    header, _ = worker.request(
        {"op": "describe", "id": 1, "udf": udf_request("x = 1\nimport not_a_module_anywhere\n")}
    )
    assert (header["error"]["code"], header["error"]["line"]) == ("UDF_ERR_MISSING_PACKAGE", 2)
    assert header["error"]["exceptionClass"] == "ModuleNotFoundError"
    assert header["error"]["missingPackage"]["module"] == "not_a_module_anywhere"
    # Not in Fused's published list is not proof Fused lacks it: its servers have private modules.
    assert "published package list does not name it" in header["error"]["message"]
    assert "only on Fused's own servers" in header["error"]["message"]
    # job2 is Fused's server module: said so, with no package to install.
    header, _ = worker.request(
        {"op": "describe", "id": 2, "udf": udf_request("x = 1\nfrom job2.ai import AiModel\n")}
    )
    error = header["error"]
    assert (error["code"], error["line"]) == ("UDF_ERR_MISSING_PACKAGE", 2)
    assert "job2 is a module of Fused's own servers" in error["message"]
    assert "missingPackage" not in error
    header, _ = worker.request(
        {"op": "describe", "id": 3, "udf": udf_request("x = 1\nraise ImportError('no luck')\n")}
    )
    assert (header["error"]["code"], header["error"]["line"]) == ("UDF_ERR_IMPORT", 2)
    header, _ = worker.request(run_request(udf_request("def helper():\n    return 1\n"), 2))
    assert header["error"]["code"] == "UDF_ERR_NO_ENTRYPOINT"


def test_runtime_errors_have_the_line_and_a_traceback_of_the_udfs_own_files(
    worker: WorkerProcess, tmp_path: Path
):
    path = str(tmp_path / "Fails.py")
    header_path = str(tmp_path / "utils.py")
    code = (
        "import json\n"
        "@fused.udf\n"
        "def udf(text: str = '{'):\n"
        "    from utils import parse\n"
        "    print('before')\n"
        "    return parse(text)\n"
    )
    udf = udf_request(
        code,
        path=path,
        headers=[
            {
                "module_name": "utils",
                "path": header_path,
                "code": "import json\n\ndef parse(text):\n    return json.loads(text)\n",
            }
        ],
    )
    header, payload = worker.request(run_request(udf, 5))
    assert header["ok"] is False and payload == b""
    assert header["stdout"] == "before\n"
    assert header["durationMs"] >= 0
    error = header["error"]
    assert error["code"] == "UDF_ERR_RUNTIME"
    assert error["exceptionClass"] == "JSONDecodeError"
    assert (error["file"], error["line"]) == (header_path, 4)
    traceback = error["traceback"]
    assert f'File "{path}", line 6, in udf' in traceback
    assert f'File "{header_path}", line 4, in parse' in traceback
    assert "json/decoder.py" not in traceback
    assert "udf_studio_worker" not in traceback
    assert "fused/_call.py" not in traceback


def test_memory_errors_and_system_exit_are_answered(worker: WorkerProcess):
    header, _ = worker.request(
        run_request(udf_request("@fused.udf\ndef udf():\n    raise MemoryError()\n"), 1)
    )
    assert header["error"]["code"] == "UDF_ERR_MEMORY"
    header, _ = worker.request(
        run_request(udf_request("@fused.udf\ndef udf():\n    raise SystemExit(3)\n"), 2)
    )
    assert header["error"]["code"] == "UDF_ERR_RUNTIME"
    header, _ = worker.request(
        run_request(udf_request("@fused.udf\ndef udf():\n    return 1\n"), 3)
    )
    assert header["ok"] is True


def test_malformed_frames_and_requests_are_answered_and_the_worker_keeps_serving(
    worker: WorkerProcess,
):
    good = run_request(udf_request("@fused.udf\ndef udf():\n    return 'fine'\n"), 100)
    worker.send(b'{"op": "run", "id": 11, broken')
    header, _ = worker.receive()
    assert (header["id"], header["ok"], header["error"]["code"]) == (11, False, "UDF_ERR_PROTOCOL")
    worker.send({"op": "dance", "id": 12})
    assert worker.receive()[0]["error"]["message"] == "unknown op 'dance'"
    worker.send({"op": "run", "id": 13})
    assert worker.receive()[0]["error"]["code"] == "UDF_ERR_PROTOCOL"
    worker.send({"op": "run", "id": 14, "udf": {"key": "k"}})
    assert "udf.code" in worker.receive()[0]["error"]["message"]
    worker.send({"op": "run", "id": 15, "udf": udf_request("x = 1\n"), "params": [1]})
    assert worker.receive()[0]["error"]["message"] == "params must be a JSON object"
    worker.send(b"[1, 2]")  # no id: nothing to answer
    worker.send(b"\xff\xfe not utf-8")
    worker.send({"op": "run", "udf": good["udf"]})
    header, payload = worker.request(good)
    assert (header["id"], header["ok"], header["kind"], payload) == (100, True, "text", b"fine")


def test_payloads_in_requests_are_ignored(worker: WorkerProcess):
    worker.send(run_request(udf_request("@fused.udf\ndef udf():\n    return 2\n"), 1), b"ignored")
    header, payload = worker.receive()
    assert (header["id"], header["ok"], payload) == (1, True, b"2")


def test_shutdown_exits_with_status_0_without_answering(worker: WorkerProcess):
    worker.send({"op": "shutdown"})
    assert worker.wait() == 0
    assert worker.process.stdout is not None


@pytest.mark.parametrize(("main", "side"), [(True, True), (True, False), (False, True)])
def test_end_of_file_on_either_request_pipe_exits_with_status_0(
    worker: WorkerProcess, main: bool, side: bool
):
    worker.close_requests(main=main, side=side)
    assert worker.wait() == 0


@pytest.mark.parametrize("side", [False, True])
def test_a_frame_cut_short_on_either_request_pipe_ends_the_worker(
    worker: WorkerProcess, side: bool
):
    worker.send_raw(struct.pack(">II", 100, 0) + b"{}", side=side)
    worker.close_requests(main=not side, side=side)
    assert worker.wait() == 1


def test_a_worker_started_without_its_side_pipe_says_so_and_exits():
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    launcher = (
        "import os, sys\n"
        "os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4)\n"
        "os.execv(sys.executable, [sys.executable, '-u', '-m', 'udf_studio_worker'])\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", launcher, str(request_read), str(response_write)],
        pass_fds=(request_read, response_write),
        env={**os.environ, "PYTHONPATH": str(RUNTIME)},
        stderr=subprocess.PIPE,
    )
    try:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 2
        assert b"the side request pipe (fd 5) is not open" in stderr
    finally:
        for fd in (request_read, request_write, response_read, response_write):
            os.close(fd)


def test_preload_imports_modules_after_ready_and_survives_missing_ones():
    process = WorkerProcess({"UDF_STUDIO_PRELOAD": "colorsys, not_a_module_anywhere ,"})
    try:
        assert process.receive()[0]["op"] == "ready"
        code = "import sys\n@fused.udf\ndef udf():\n    return 'colorsys' in sys.modules\n"
        _, payload = process.request(run_request(udf_request(code)))
        assert payload == b"true"
        process.close_requests()
        assert process.wait() == 0
        _, stderr = process.process.communicate(timeout=30)
        assert b"preload of not_a_module_anywhere failed" in stderr
    finally:
        process.close()
