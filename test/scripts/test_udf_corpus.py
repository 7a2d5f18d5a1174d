"""scripts/udf_corpus.py: runs a folder of UDFs through a real engine and reports each one's cause.

The end-to-end test runs the script as a user does, on corpus_udfs/ (one UDF per kind of outcome),
with a real `udf-studio serve`; the others check how errors are sorted and tiles picked.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "udf_corpus.py"
CORPUS = Path(__file__).resolve().parent / "corpus_udfs"
sys.path.insert(0, str(SCRIPT.parent))

from udf_corpus import (  # noqa: E402
    Answer,
    Kind,
    RunError,
    _epoch,
    classify,
    file_opener_path,
    network_host,
    quiet_failure,
    tile_for,
)

KINDS = "|".join(re.escape(kind.value) for kind in Kind)
LINE = re.compile(rf"^(?P<kind>{KINDS}) +(?P<label>\S+)  ?(?P<text>.*)$")


def run_script(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT,
    )


@pytest.fixture(scope="module")
def corpus_run() -> tuple[subprocess.CompletedProcess[str], float]:
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH, so no engine can be started")
    if not (ROOT / "dist" / "src-main" / "cli.js").exists():
        pytest.skip("the engine is not built: run npm run build")
    started = time.monotonic()
    result = run_script(str(CORPUS), "--timeout", "3", "--jobs", "2")
    return result, time.monotonic() - started


def test_prints_one_line_per_udf_with_its_cause(
    corpus_run: tuple[subprocess.CompletedProcess[str], float],
) -> None:
    result, _ = corpus_run
    assert result.returncode == 0, result.stderr
    lines = {}
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        if match:
            lines[match["label"]] = (match["kind"], match["text"])
    demo = "corpus_udfs/Demo_Collection"
    assert lines == {
        "corpus_udfs/File_Opener": ("ok", lines["corpus_udfs/File_Opener"][1]),
        "corpus_udfs/Hangs": ("timeout", lines["corpus_udfs/Hangs"][1]),
        "corpus_udfs/Needs_Network": ("needs network", lines["corpus_udfs/Needs_Network"][1]),
        "corpus_udfs/Ok_Table": ("ok", lines["corpus_udfs/Ok_Table"][1]),
        "corpus_udfs/Raises": ("UDF error", lines["corpus_udfs/Raises"][1]),
        "corpus_udfs/Sql_Query": ("skipped", "not Python: query.sql"),
        f"{demo}/Cloud_Connect": ("needs network", lines[f"{demo}/Cloud_Connect"][1]),
        f"{demo}/Fused_Server_Module": (
            "needs Fused's servers", lines[f"{demo}/Fused_Server_Module"][1]
        ),
        f"{demo}/Loads_Network": ("needs network", lines[f"{demo}/Loads_Network"][1]),
        f"{demo}/Maps_Network": ("needs network", lines[f"{demo}/Maps_Network"][1]),
        f"{demo}/Missing_Package": ("missing package", lines[f"{demo}/Missing_Package"][1]),
        f"{demo}/Missing_Sdk_Name": ("missing SDK name", lines[f"{demo}/Missing_Sdk_Name"][1]),
        f"{demo}/Needs_Parameter": ("needs parameter", lines[f"{demo}/Needs_Parameter"][1]),
        f"{demo}/Needs_Secret": ("needs secret", lines[f"{demo}/Needs_Secret"][1]),
        f"{demo}/Note": ("skipped", "node template"),
        f"{demo}/Opens_Unknown": ("needs parameter", lines[f"{demo}/Opens_Unknown"][1]),
        f"{demo}/Quiet_Network": ("needs network", lines[f"{demo}/Quiet_Network"][1]),
        f"{demo}/Secret_Then_Network": ("needs network", lines[f"{demo}/Secret_Then_Network"][1]),
        f"{demo}/Tile_View": ("ok", lines[f"{demo}/Tile_View"][1]),
        f"{demo}/Top_Level_Import": ("missing package", lines[f"{demo}/Top_Level_Import"][1]),
    }
    assert lines["corpus_udfs/Needs_Network"][1].startswith("no-such-host.invalid: ")
    assert lines["corpus_udfs/Raises"][1] == "ValueError: boom on purpose (line 6)"
    assert lines[f"{demo}/Missing_Package"][1].startswith("no_such_package_for_corpus_test: ")
    assert lines[f"{demo}/Top_Level_Import"][1].startswith(
        "another_missing_package_for_corpus_test: "
    )
    assert lines[f"{demo}/Missing_Sdk_Name"][1].startswith(
        "fused.no_such_sdk_name_for_corpus_test: "
    )
    assert lines[f"{demo}/Needs_Parameter"][1].startswith("count: ")
    assert lines[f"{demo}/Needs_Secret"][1].startswith("CORPUS_TEST_SECRET: ")
    # A UDF that runs with a placeholder for its secret keeps needing the secret itself.
    assert "placeholder" not in lines[f"{demo}/Needs_Secret"][1]
    # What each line gives as the evidence of the network it needs.
    assert re.match(
        r"api-host\.invalid: .*\(run again with a placeholder for the secret CORPUS_API_TOKEN: "
        r"SecretNotFoundError: no secret named 'CORPUS_API_TOKEN'",
        lines[f"{demo}/Secret_Then_Network"][1],
    )
    assert re.match(
        # Its error names no host: the one its code names is the likely guess (`?`).
        r"quiet-host\.invalid\?: it returned a table of errors, saying URLError: .*Name or "
        r"service not known",
        lines[f"{demo}/Quiet_Network"][1],
    )
    assert re.match(
        r"no-such-host\.invalid: it loads Needs_Network, whose outcome is needs network "
        r"\(no-such-host\.invalid\); its own error: ValueError: No objects to concatenate",
        lines[f"{demo}/Loads_Network"][1],
    )
    assert lines[f"{demo}/Cloud_Connect"][1].startswith(
        "airtable: fused.api.airtable_connect reaches the airtable service through a Fused account"
    )
    # A file opener runs on a sample of the first type its README names, as Fused opens it on
    # a user's file; one of a type no sample is written for needs its path.
    assert re.fullmatch(r"opened on sample\.csv, \d+\.\d s", lines["corpus_udfs/File_Opener"][1])
    assert lines[f"{demo}/Opens_Unknown"][1].startswith(
        "path: a file opener (README: fused:filePreview) that Fused runs on the file a user opens, "
        "of a type no sample is written for; its default path '' names no file: FileNotFoundError"
    )
    # Its own error names no host; the runs of the job it started, which the engine keeps, do.
    assert re.match(
        r"no-such-host\.invalid: 3 of 3 runs of the job of Needs_Network that Maps_Network "
        r"started failed reaching no-such-host\.invalid: URLError: .*; its own run: UDF error: "
        r"RuntimeError: 3 of 3 runs failed",
        lines[f"{demo}/Maps_Network"][1],
    )
    assert lines[f"{demo}/Fused_Server_Module"][1].startswith(
        "job2: ModuleNotFoundError: No module named 'job2': job2 is a module of Fused's own servers"
    )
    # The view is New York at zoom 10.4: the tile under its centre at z10.
    assert re.fullmatch(r"tile 10/301/385, \d+\.\d s", lines[f"{demo}/Tile_View"][1])
    assert re.fullmatch(r"\d+\.\d s", lines["corpus_udfs/Ok_Table"][1])


def test_prints_the_totals(corpus_run: tuple[subprocess.CompletedProcess[str], float]) -> None:
    result, _ = corpus_run
    tail = result.stdout.split("\n\n", 1)[1].splitlines()
    assert tail[:6] == [
        "total: 18 Python UDFs run, 2 skipped (node template: 1, not Python: 1)",
        "needs network: 6",
        "needs Fused's servers: 1",
        "offline-capable: 11, ok: 3 (27.3%)",
        "offline-capable with a default for every parameter: 9, ok: 3 (33.3%)",
        "file openers opened on a sample file: 1, ok: 1",
    ]
    causes = {line.split()[0] + " " + line.split()[1]: line for line in tail[6:]}
    assert re.search(r"missing package +2 +(another_missing|no_such)", causes["missing package"])
    assert re.search(r" 1 +fused.no_such_sdk_name_for_corpus_test 1$", causes["missing SDK"])
    assert re.search(r"needs network +6 +no-such-host.invalid 3, ", causes["needs network"])
    assert re.search(r"needs Fused's servers +1 +job2 1$", causes["needs Fused's"])


def test_a_hung_udf_is_stopped_at_the_limit_and_does_not_stall_the_rest(
    corpus_run: tuple[subprocess.CompletedProcess[str], float],
) -> None:
    result, seconds = corpus_run
    assert re.search(r"^timeout +corpus_udfs/Hangs +.*3 ?s", result.stdout, re.MULTILINE)
    # Hangs sleeps 600 s; the engine's --timeout 3 stops it and the run goes on.
    assert seconds < 120


def test_seed_files_are_in_the_engine_home(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH, so no engine can be started")
    folder = tmp_path / "udfs"
    shutil.copytree(CORPUS / "Demo_Collection" / "Needs_Secret", folder / "Needs_Secret")
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "secrets.json").write_text(json.dumps({"secrets": {"CORPUS_TEST_SECRET": "abcdef"}}))
    result = run_script(str(folder), "--seed", str(seed))
    assert result.returncode == 0, result.stderr
    assert re.search(r"^ok +udfs/Needs_Secret  \d+\.\d s$", result.stdout, re.MULTILINE)
    assert "offline-capable: 1, ok: 1 (100.0%)" in result.stdout
    assert (seed / "secrets.json").exists()  # copied, never moved


def test_github_loads_are_answered_by_a_clone(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("git") is None:
        pytest.skip("node and git are needed")
    clone = tmp_path / "clone"
    shutil.copytree(CORPUS / "Ok_Table", clone / "public" / "Ok_Table")
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "udf"],
    ):
        subprocess.run(["git", "-C", str(clone), *args], check=True, capture_output=True)
    commit = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    folder = tmp_path / "udfs" / "Loads_Github"
    folder.mkdir(parents=True)
    (folder / "Loads_Github.py").write_text(
        "@fused.udf\ndef udf():\n"
        f"    table = fused.load('https://github.com/o/r/tree/{commit}/public/Ok_Table/')\n"
        "    return table()\n"
    )
    result = run_script(str(tmp_path / "udfs"), "--github-clone", f"o/r={clone}")
    assert result.returncode == 0, result.stderr
    assert re.search(r"^ok +udfs/Loads_Github  ", result.stdout, re.MULTILINE), result.stdout


def test_given_parameters_replace_the_defaults(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH, so no engine can be started")
    shutil.copytree(CORPUS / "File_Opener", tmp_path / "udfs" / "File_Opener")
    sample = tmp_path / "sample.csv"
    sample.write_text("a,b\n1,x\n2,y\n")
    result = run_script(
        str(tmp_path / "udfs"), "--param", f"File_Opener:path={sample}",
        "--param", "No_Such_Udf:n=1",
    )
    assert result.returncode == 0, result.stderr
    assert re.search(
        rf"^ok +udfs/File_Opener  path={re.escape(str(sample))}, \d+\.\d s$",
        result.stdout, re.MULTILINE,
    ), result.stdout
    assert "--param names No_Such_Udf, which no folder has" in result.stderr
    missing = tmp_path / "missing.csv"
    failed = run_script(str(tmp_path / "udfs"), "--param", f"File_Opener:path={missing}")
    assert re.search(
        rf"^UDF error +udfs/File_Opener  FileNotFoundError: "
        rf"\(given path={re.escape(str(missing))}\) ",
        failed.stdout, re.MULTILINE,
    ), failed.stdout


def test_a_timeout_beside_another_udfs_job_runs_again_once_the_job_has_ended(
    tmp_path: Path,
) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH, so no engine can be started")
    udfs = {
        # Starts a job of C_Nap that runs beside B_Slow's first run, and returns. Its runs stay
        # under the limit: a run of the job timing out first on B_Slow's worker would have the
        # pool run B_Slow again there (through no fault of its own) and hide its timeout.
        "A_Hands_Off": 'fused.load("C_Nap").map([{"seconds": 1.5}] * 6)\n'
                       '    return {"started": True}',
        # Hangs the first time only: the marker file remembers it ran.
        "B_Slow": "import os, time\n"
                  "    if not os.path.exists(marker):\n"
                  "        open(marker, 'w').close()\n"
                  "        time.sleep(600)\n"
                  "    return {'ok': True}",
        "C_Nap": "import time\n    time.sleep(seconds)\n    return {'slept': seconds}",
    }
    signatures = {"A_Hands_Off": "", "B_Slow": 'marker: str = ""', "C_Nap": "seconds: float = 0"}
    for name, body in udfs.items():
        folder = tmp_path / "udfs" / name
        folder.mkdir(parents=True)
        (folder / f"{name}.py").write_text(
            f"@fused.udf\ndef udf({signatures[name]}):\n    {body}\n"
        )
    marker = tmp_path / "marker"
    result = run_script(
        str(tmp_path / "udfs"), "--jobs", "1", "--timeout", "3",
        "--param", f"B_Slow:marker={marker}",
    )
    assert result.returncode == 0, result.stderr
    assert re.search(
        rf"^ok +udfs/B_Slow  marker={re.escape(str(marker))}, \d+\.\d s \(run again: it timed "
        r"out while 1 job\(s\) of other UDFs ran, C_Nap \(started by A_Hands_Off\): the run "
        r"took longer than 3 s and was stopped\)$",
        result.stdout, re.MULTILINE,
    ), result.stdout
    # The UDF that handed its job off is ok, and its job went on.
    assert re.search(r"^ok +udfs/A_Hands_Off  \d+\.\d s$", result.stdout, re.MULTILINE)
    assert "offline-capable: 3, ok: 3 (100.0%)" in result.stdout


@pytest.mark.parametrize("value", ["File_Opener", "File_Opener:path", ":path=x", "U:1x=2", "U:=2"])
def test_refuses_a_malformed_param(value: str) -> None:
    result = run_script(str(CORPUS), "--param", value)
    assert result.returncode == 2
    assert f"--param takes UDF:NAME=VALUE, got {value}" in result.stderr


@pytest.mark.parametrize("value", ["o/r", "o=/tmp", "o/r/x=/tmp", "o/r=/nonexistent/clone"])
def test_refuses_a_malformed_github_clone(value: str) -> None:
    result = run_script(str(CORPUS), "--github-clone", value)
    assert result.returncode == 2
    assert f"--github-clone takes ORG/REPO=FOLDER (an existing clone), got {value}" in result.stderr


def test_refuses_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    result = run_script(str(tmp_path / "missing"))
    assert result.returncode == 2
    assert f"{tmp_path / 'missing'} is not a folder" in result.stderr
    seeded = run_script(str(CORPUS), "--seed", str(tmp_path / "no-seed"))
    assert seeded.returncode == 2
    assert f"{tmp_path / 'no-seed'} is not a folder (--seed)" in seeded.stderr


@pytest.mark.parametrize("args", [["--jobs", "0"], ["--timeout", "-1"], ["--timeout", "soon"], []])
def test_refuses_bad_arguments(args: list[str]) -> None:
    result = run_script(*args, str(CORPUS)) if args else run_script()
    assert result.returncode == 2
    assert "udf_corpus.py: error:" in result.stderr


@pytest.mark.parametrize(
    ("body", "kind", "which"),
    [
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "ModuleNotFoundError",
          "message": "No module named 'fused._optional_deps'"}, Kind.MISSING_SDK_NAME,
         "fused._optional_deps"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "ImportError",
          "message": "cannot import name 'get_chunk_from_table' from 'fused.core' (x.py)"},
         Kind.MISSING_SDK_NAME, "fused.core.get_chunk_from_table"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "AttributeError",
          "message": "module 'fused.api' has no attribute 'sign_url'"},
         Kind.MISSING_SDK_NAME, "fused.api.sign_url"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "AttributeError",
          "message": "'JobPool' object has no attribute 'tail'"},
         Kind.MISSING_SDK_NAME, "JobPool.tail"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "AttributeError",
          "message": "fused.options has no option 'base_web_url' in UDF Studio (it has: ...)"},
         Kind.MISSING_SDK_NAME, "fused.options.base_web_url"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "TypeError",
          "message": "JobPool.results() got an unexpected keyword argument 'return_exceptions'"},
         Kind.MISSING_SDK_NAME, "JobPool.results(return_exceptions=)"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "TypeError",
          "message": "run() got an unexpected keyword argument 'max_retry'",
          "traceback": '  File "x.py", line 4, in udf\n    fused.run(udf, max_retry=2)\n'},
         Kind.MISSING_SDK_NAME, "fused.run(max_retry=)"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "TypeError",
          "message": "helper() got an unexpected keyword argument 'size'",
          "traceback": '  File "x.py", line 4, in udf\n    helper(size=2)\n'},
         Kind.UDF_ERROR, "TypeError"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "ModuleNotFoundError",
          "message": "No module named 'duckdb.typing'"}, Kind.MISSING_PACKAGE, "duckdb"),
        ({"code": "UDF_ERR_MISSING_PACKAGE", "exceptionClass": "ModuleNotFoundError",
          "message": "No module named 'job2': job2 is a module of Fused's own servers, not a "
                     "package that can be installed"}, Kind.NEEDS_FUSED, "job2"),
        # The runtime's sentence for any unknown module mentions job2 too: still a package.
        ({"code": "UDF_ERR_MISSING_PACKAGE", "exceptionClass": "ModuleNotFoundError",
          "message": "No module named 'zzz': the runtime has no package zzz, and Fused's "
                     "published package list does not name it either. If a package provides "
                     "it, install that; some modules (such as job2) exist only on Fused's own "
                     "servers."}, Kind.MISSING_PACKAGE, "zzz"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "ImportError",
          "message": "Install s3fs to access S3"}, Kind.MISSING_PACKAGE, "s3fs"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "UdfRuntimeError",
          "message": "ModuleNotFoundError: fused.api.list on s3:// paths needs the s3fs package, "
                     "which is not installed in this Python runtime (UDF code, line 10)"},
         Kind.MISSING_PACKAGE, "s3fs"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "ImportError",
          "message": "Missing optional dependency 'openpyxl'.  Use pip or conda to install "
                     "openpyxl."}, Kind.MISSING_PACKAGE, "openpyxl"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "ConnectionError",
          "message": "HTTPSConnectionPool(host='api.example.com', port=443): Max retries exceeded"
                     " with url: /x (Caused by NameResolutionError(...))"},
         Kind.NEEDS_NETWORK, "api.example.com"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "UdfLoadError",
          "message": "cannot fetch https://github.com/fusedio/udfs/tree/abc/public/common/ "
                     "([Errno -2] Name or service not known) and no copy was fetched before"},
         Kind.NEEDS_NETWORK, "github.com"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "EndpointConnectionError",
          "message": 'Could not connect to the endpoint URL: "https://b.s3.amazonaws.com/k"'},
         Kind.NEEDS_NETWORK, "b.s3.amazonaws.com"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "OperationalError",
          "message": "250001: Could not connect to Snowflake backend after 2 attempt(s).Aborting "
                     "(the host abc-123.snowflakecomputing.com could not be reached: is this "
                     "machine offline, or is the name wrong?)"},
         Kind.NEEDS_NETWORK, "abc-123.snowflakecomputing.com"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "KeyError",
          "message": "no secret named 'SLACK_TOKEN'; set it with: udf-studio secret set ..."},
         Kind.NEEDS_SECRET, "SLACK_TOKEN"),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "NotLocalError",
          "message": "fused.api.team_info has no local meaning in UDF Studio: a cloud service"},
         Kind.NOT_LOCAL, "fused.api.team_info"),
        ({"code": "UDF_ERR_TIMEOUT", "message": "the run took longer than 3 s and was stopped"},
         Kind.TIMEOUT, ""),
        ({"code": "UDF_ERR_WORKER_CRASHED", "message": "the worker exited"}, Kind.CRASHED, ""),
        ({"code": "UDF_ERR_SYNTAX", "message": "invalid syntax", "line": 3},
         Kind.DOES_NOT_LOAD, ""),
        ({"code": "UDF_ERR_RUNTIME", "exceptionClass": "ValueError", "message": "bad value"},
         Kind.UDF_ERROR, "ValueError"),
        ({"code": "UDF_ERR_RESULT", "message": "a generator is not a result"},
         Kind.ENGINE_ERROR, "UDF_ERR_RESULT"),
    ],
)
def test_sorts_an_error_into_its_cause(body: dict[str, object], kind: Kind, which: str) -> None:
    cause = classify(RunError.from_body(body))
    assert (cause.kind, cause.which) == (kind, which)


def test_takes_a_network_error_host_from_the_source_line_then_the_code() -> None:
    message = "<urlopen error [Errno -2] Name or service not known>"
    line = '  File "x.py", line 6, in udf\n    pd.read_csv("https://data.example.org/a.csv")\n'
    code = 'URL = "https://docs.example.net/sheet"\n'
    assert network_host(message, line, code) == "data.example.org"
    assert network_host(message, "", code) == "docs.example.net?"
    assert network_host(message) == "unknown host"


def test_does_not_guess_a_nested_udf_error_host_from_the_calling_udf_code() -> None:
    error = RunError("UDF_ERR_RUNTIME", "URLError: <urlopen error [Errno -2] Name or service "
                     "not known> (UDF code, line 9)", "UdfRuntimeError", 4)
    assert classify(error, 'fused.load("https://github.com/o/r/tree/c/x/")').which == "unknown host"
    named = RunError("UDF_ERR_RUNTIME", "<urlopen error [Errno -2] Name or service not known> "
                     "(in the UDF 'Inner')", "URLError", 4)
    assert classify(named, 'fused.load("https://github.com/o/r/tree/c/x/")').which == "unknown host"
    plain = RunError("UDF_ERR_RUNTIME", "<urlopen error [Errno -2] Name or service not known>",
                     "URLError", 9)
    assert classify(plain, 'URL = "https://docs.example.net/x"').which == "docs.example.net?"


@pytest.mark.parametrize(
    ("view", "tile"),
    [
        ({"latitude": 40.7128, "longitude": -74.006, "zoom": 10.4}, (10, 301, 385)),
        ({"latitude": 48.8584, "longitude": 2.2945, "zoom": 12}, (12, 2074, 1409)),
        ({"latitude": 0, "longitude": 0, "zoom": 0}, (0, 0, 0)),
        ({"latitude": 89.9, "longitude": 180.0, "zoom": 30}, (22, 0, 0)),
        (None, (12, 2074, 1409)),
        ({"latitude": "north", "longitude": 0, "zoom": 3}, (12, 2074, 1409)),
    ],
)
def test_picks_the_tile_under_the_default_view(view: object, tile: tuple[int, int, int]) -> None:
    assert tile_for(view) == tile


def _answer(body: bytes, kind: str | None = "table", printed: str | None = None) -> Answer:
    headers = {"x-udf-studio-kind": kind} if kind else {}
    if printed is not None:
        headers["x-fused-metadata"] = printed
    return Answer(200, body, headers)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (_answer(b'[{"error": "ConnectionError: host=\'a.example\'"}]'),
         "ConnectionError: host='a.example'"),
        (_answer(b"", None, json.dumps({"stdout": "Could not read: Name or service not known\n",
                                        "stderr": "warn"})),
         "Could not read: Name or service not known\n warn"),
        (_answer(b'[{"error": "x"}, {"error": "y"}]'), None),  # data that has an error column
        (_answer(b'[{"hello": "world"}]'), None),
        (_answer(b'{"error": "x"}', "json"), None),
        (_answer(b"<html>Error</html>", "html"), None),
        (_answer(b"[{not json"), None),
        (_answer(b"", None, "{not json"), None),
        (_answer(b"", None, "[1]"), None),
        (_answer(b"", None, json.dumps({"stdout": "", "stderr": ""})), None),
        (_answer(b""), None),
    ],
)
def test_reads_a_quiet_failure_from_an_error_table_or_what_an_empty_run_printed(
    answer: Answer, message: str | None
) -> None:
    found = quiet_failure(answer)
    assert (found.message if found else None) == message


MARK = "<!--fused:filePreview-->\n"


@pytest.mark.parametrize(
    ("readme", "parameters", "lacks"),
    [
        (MARK, [{"name": "path", "required": True}], "`path` has no default"),
        (MARK, [{"name": "path", "required": False, "default": ""}],
         "its default path '' names no file"),
        (MARK, [{"name": "path", "required": False, "default": "s3://b/k.csv"}], None),
        (MARK, [{"name": "file", "required": True}], None),
        ("A CSV reader.", [{"name": "path", "required": True}], None),
        (None, None, None),
    ],
)
def test_tells_a_file_opener_run_without_a_file(
    readme: str | None, parameters: list[dict[str, object]] | None, lacks: str | None
) -> None:
    detail = {"readme": readme, "description": {"parameters": parameters}}
    assert file_opener_path(detail) == lacks


@pytest.mark.parametrize(
    ("stamp", "seconds"),
    [
        ("2026-12-06T15:43:56.703Z", 1796571836.703),
        ("2026-12-06T15:43:56+00:00", 1796571836.0),
        ("yesterday", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_reads_the_engine_job_times(stamp: object, seconds: float | None) -> None:
    assert _epoch(stamp) == (pytest.approx(seconds) if seconds is not None else None)
