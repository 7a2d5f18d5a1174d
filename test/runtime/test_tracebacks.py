"""Tracebacks through code `fused.load` executed, and errors of nested runs, with real workers
(and a real engine for runs nested across workers)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import fused
from conftest import RunningEngine, WorkerProcess, udf_request, write_udf_folder
from fused import UdfRuntimeError, _github

HELPER = (
    "@fused.udf\n"
    "def udf():\n"
    "    return 1\n"
    "\n"
    "def parse(text):\n"
    "    import json\n"
    "    return json.loads(text)\n"
)
INNER = (
    "@fused.udf\n"
    "def udf(n: int = 1):\n"
    "    return helper(n)\n"
    "\n"
    "def helper(n):\n"
    "    return 10 / (n - 1)\n"
)


def run(worker: WorkerProcess, code: str, path: Path, **params: Any) -> dict[str, Any]:
    """Run the UDF `code` (kept at `path`) in the worker; its error object."""
    path.write_text(code)
    request = {"op": "run", "id": 1, "udf": udf_request(code, path=str(path)), "params": params}
    header, _ = worker.request(request)
    assert header["ok"] is False, "the run was meant to fail"
    error: dict[str, Any] = header["error"]
    return error


def caller(load: str, call: str) -> str:
    return f"@fused.udf\ndef udf(n: int = 1):\n    lib = fused.load({load!r})\n    return {call}\n"


def test_frames_of_a_loaded_helper_file_are_shown(worker: WorkerProcess, tmp_path: Path):
    helper = tmp_path / "lib.py"
    helper.write_text(HELPER)
    error = run(worker, caller(str(helper), "lib.parse('{')"), tmp_path / "Caller.py")
    assert error["exceptionClass"] == "JSONDecodeError"
    # The location stays in the UDF's own file (the window marks it there); the traceback goes on.
    assert (error["file"], error["line"]) == (str(tmp_path / "Caller.py"), 4)
    traceback = error["traceback"]
    assert f'File "{tmp_path / "Caller.py"}", line 4, in udf' in traceback
    assert f'File "{helper}", line 7, in parse\n    return json.loads(text)' in traceback
    assert "json/decoder.py" not in traceback and "fused/_" not in traceback


def test_frames_of_a_loaded_folders_header_module_are_shown(worker: WorkerProcess, tmp_path: Path):
    folder = write_udf_folder(
        tmp_path,
        "Helpers",
        "@fused.udf\ndef udf():\n    return 1\n",
        headers={"utils": "def area(w, h):\n    if w < 0:\n        raise ValueError('negative')\n"},
    )
    error = run(
        worker,
        caller(str(folder), "lib.utils.area(-1, 2)"),
        tmp_path / "Caller.py",
    )
    assert (error["exceptionClass"], error["message"]) == ("ValueError", "negative")
    assert f'File "{folder / "utils.py"}", line 3, in area' in error["traceback"]


def test_frames_of_a_github_module_show_its_url(
    worker: WorkerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    clone = tmp_path / "udfs"
    write_udf_folder(clone / "public", "Lib", HELPER)
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "lib"],
    ):
        subprocess.run(["git", "-C", str(clone), *args], check=True, capture_output=True)
    commit = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    home = Path(os.environ["UDF_STUDIO_HOME"])  # the worker's: it started with this environment
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"githubClones": {"fusedio/udfs": str(clone)}}))
    monkeypatch.setenv(_github.API_ENV, "http://127.0.0.1:9")
    url = f"https://github.com/fusedio/udfs/tree/{commit[:7]}/public/Lib"
    error = run(worker, caller(url, "lib.parse('[')"), tmp_path / "Caller.py")
    blob = f"https://github.com/fusedio/udfs/blob/{commit}/public/Lib/Lib.py"
    assert f'File "{blob}", line 7, in parse' in error["traceback"]
    assert str(home) not in error["traceback"]


def test_a_nested_runs_error_is_wrapped_once_and_names_the_inner_udf(
    worker: WorkerProcess, tmp_path: Path
):
    (tmp_path / "Inner.py").write_text(INNER)
    middle = caller(str(tmp_path / "Inner.py"), "fused.run(lib, n=n, engine='local')")
    (tmp_path / "Middle.py").write_text(middle)
    top = caller(str(tmp_path / "Middle.py"), "fused.run(lib, engine='local')")
    error = run(worker, top, tmp_path / "Top.py")
    assert error["code"] == "UDF_ERR_RUNTIME"
    assert error["exceptionClass"] == "ZeroDivisionError"
    assert error["message"] == "division by zero (in the UDF 'Inner')"
    assert (error["file"], error["line"]) == (str(tmp_path / "Top.py"), 4)
    traceback: str = error["traceback"]
    order = [
        f'File "{tmp_path / "Top.py"}", line 4, in udf',
        "In the UDF 'Middle':",
        f'File "{tmp_path / "Middle.py"}", line 4, in udf',
        "In the UDF 'Inner':",
        f'File "{tmp_path / "Inner.py"}", line 3, in udf',
        f'File "{tmp_path / "Inner.py"}", line 6, in helper',
        "ZeroDivisionError: division by zero",
    ]
    positions = [traceback.index(part) for part in order]
    assert positions == sorted(positions)
    assert traceback.count("Traceback (most recent call last)") == 1
    assert traceback.count("ZeroDivisionError") == 1
    assert "UdfRuntimeError" not in traceback


def test_a_nested_calls_parameter_error_is_the_callers_runtime_error(
    worker: WorkerProcess, tmp_path: Path
):
    (tmp_path / "Inner.py").write_text(INNER)
    code = caller(str(tmp_path / "Inner.py"), "fused.run(lib, n='many', engine='local')")
    error = run(worker, code, tmp_path / "Top.py")
    assert error["code"] == "UDF_ERR_RUNTIME"  # not UDF_ERR_PARAM: the Top UDF's own call is bad
    assert error["message"].endswith("(in the UDF 'Inner')")
    assert (error["file"], error["line"]) == (str(tmp_path / "Top.py"), 4)


def test_a_nested_loads_error_keeps_its_code(worker: WorkerProcess, tmp_path: Path):
    broken = tmp_path / "Broken.py"
    broken.write_text("@fused.udf\ndef udf(:\n    pass\n")
    error = run(worker, caller(str(broken), "lib()"), tmp_path / "Top.py")
    assert (error["code"], error["exceptionClass"]) == ("UDF_ERR_SYNTAX", "SyntaxError")
    assert (error["file"], error["line"]) == (str(tmp_path / "Top.py"), 3)
    assert f'File "{tmp_path / "Top.py"}", line 3, in udf' in error["traceback"]


def test_a_nested_run_through_the_engine_is_wrapped_once(
    engine_server: RunningEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Each level runs in the engine's worker pool; the error crosses the engine twice."""
    monkeypatch.setenv("UDF_STUDIO_HOME", str(engine_server.home))
    (tmp_path / "Inner.py").write_text(INNER)
    (tmp_path / "Middle.py").write_text(caller(str(tmp_path / "Inner.py"), "fused.run(lib)"))
    (tmp_path / "Top.py").write_text(caller(str(tmp_path / "Middle.py"), "fused.run(lib)"))
    with pytest.raises(UdfRuntimeError) as caught:
        fused.run(str(tmp_path / "Top.py"))
    error = caught.value
    assert (error.exception_class, error.message) == (
        "ZeroDivisionError",
        "division by zero (in the UDF 'Inner')",
    )
    assert (error.file, error.line, error.udf_name) == (str(tmp_path / "Top.py"), 4, "Top")
    text = error.traceback_text
    assert text.count("In the UDF 'Middle':") == 1 and text.count("In the UDF 'Inner':") == 1
    assert f'File "{tmp_path / "Inner.py"}", line 6, in helper' in text
    assert text.index("'Middle'") < text.index("'Inner'")
