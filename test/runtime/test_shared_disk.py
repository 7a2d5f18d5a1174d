"""The shared disk: `/mnt/cache` and `fd://` literals, `.env` per run, `file_path`, options."""

from __future__ import annotations

import json
import os
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

import fused
from conftest import WorkerProcess, udf_request, write_udf_folder
from fused import UdfRuntimeError
from fused._shared_disk import PathEscapeError, map_path
from fused.api._paths import place_of


def home() -> Path:
    return Path(os.environ["UDF_STUDIO_HOME"])


def disk() -> Path:
    return home() / "mnt" / "cache"


def run(worker: WorkerProcess, code: str, request_id: int, **fields: Any) -> dict[str, Any]:
    header, payload = worker.request(
        {"op": "run", "id": request_id, "udf": udf_request(code, name=f"u{request_id}"), **fields}
    )
    if header["ok"]:
        header["result"] = json.loads(payload) if header["kind"] == "json" else payload.decode()
    return header


PATHS = '''\
@fused.udf
def udf(name: str = "data"):
    """/mnt/cache is where it goes."""
    nested = f"{'/mnt/cache/inner'}|{name}"
    return {
        "plain": "/mnt/cache/file.txt",
        "root": "/mnt/cache",
        "slash": "/mnt/cache/",
        "fstring": f"/mnt/cache/{name}.parquet",
        "fstring_root": f"/mnt/cache{'/' + name}",
        "bucket": "fd://team/x.parquet",
        "bucket_f": f"fd://{name}/y.parquet",
        "nested": nested,
        "lookalike": "/mnt/cachex/a",
        "later": f"prefix/mnt/cache/{name}",
        "middle": "see /mnt/cache/a",
        "bytes": str(b"/mnt/cache/raw"),
        "doc": udf.__doc__,
    }
'''


def test_literal_paths_are_mapped_at_compile_time():
    result = fused.load(PATHS)()
    shared, bucket = str(disk()), str(home() / "fd")
    assert result == {
        "plain": f"{shared}/file.txt",
        "root": shared,
        "slash": f"{shared}/",
        "fstring": f"{shared}/data.parquet",
        "fstring_root": shared + "/data",
        "bucket": f"{bucket}/team/x.parquet",
        "bucket_f": f"{bucket}/data/y.parquet",
        "nested": f"{shared}/inner|data",
        "lookalike": "/mnt/cachex/a",
        "later": "prefix/mnt/cache/data",
        "middle": "see /mnt/cache/a",
        "bytes": "b'/mnt/cache/raw'",
        "doc": "/mnt/cache is where it goes.",
    }
    # Mapping made the folders, so code can write there at once.
    assert disk().is_dir() and (home() / "fd").is_dir()


def test_header_modules_are_mapped_too(tmp_path: Path):
    folder = write_udf_folder(
        tmp_path,
        "WithHeader",
        "import utils\n@fused.udf\ndef udf():\n    return utils.where()\n",
        headers={"utils": "def where():\n    return f'/mnt/cache/{1 + 1}.txt'\n"},
    )
    assert fused.load(folder)() == f"{disk()}/2.txt"


def test_line_numbers_stay_those_of_the_source(tmp_path: Path, worker: WorkerProcess):
    code = textwrap.dedent(
        """\
        import os

        @fused.udf
        def udf(name: str = "missing"):
            path = f"/mnt/cache/{name}.csv"
            other = '/mnt/cache/other'
            return open(path).read()
        """
    )
    folder = write_udf_folder(tmp_path, "Reader", code)
    with pytest.raises(UdfRuntimeError) as raised:
        fused.load(folder)()
    assert raised.value.line == 7
    assert raised.value.exception_class == "FileNotFoundError"
    assert f"{disk()}/missing.csv" in raised.value.message
    path = str(folder / "Reader.py")
    header = run(
        worker, code, 1, udf=udf_request(code, name="Reader", path=path), params={"name": "x"}
    )
    error = header["error"]
    assert (error["line"], error["file"]) == (7, path)
    assert f'File "{path}", line 7, in udf' in error["traceback"]
    assert "return open(path).read()" in error["traceback"]  # the line as written


def test_the_seed_env_example_across_two_udf_runs(worker: WorkerProcess):
    writer = textwrap.dedent(
        '''\
        @fused.udf
        def udf(value: str = "hello"):
            env_vars = f"""
        MY_ENV_VAR={value}
        OTHER_VAR=2
        """

            # Path to .env file in disk file system
            env_file_path = '/mnt/cache/.env'

            # Write the environment variables to the .env file
            with open(env_file_path, 'w') as file:
                file.write(env_vars)
            return env_file_path
        '''
    )
    loader = textwrap.dedent(
        """\
        import os

        @fused.udf
        def udf():
            from dotenv import load_dotenv

            # Load environment variable
            env_file_path = '/mnt/cache/.env'
            load_dotenv(env_file_path, override=True)
            print(f"Updated MY_ENV_VAR: {os.getenv('MY_ENV_VAR')}")
            return os.getenv("MY_ENV_VAR")
        """
    )
    reader = textwrap.dedent(
        """\
        import os

        @fused.udf
        def udf():
            return [os.environ.get("MY_ENV_VAR"), os.environ.get("OTHER_VAR")]
        """
    )
    before = run(worker, reader, 1)
    assert before["result"] == [None, None]
    written = run(worker, writer, 2)
    assert written["result"] == str(disk() / ".env")
    assert "MY_ENV_VAR=hello" in (disk() / ".env").read_text()
    loaded = run(worker, loader, 3)
    assert loaded["result"] == "hello"
    assert loaded["stdout"] == "Updated MY_ENV_VAR: hello\n"
    # The worker loads the shared .env before each run: code that never calls load_dotenv sees it.
    assert run(worker, reader, 4)["result"] == ["hello", "2"]
    # Changing the file (a new mtime) is picked up by the next run.
    run(worker, writer, 5, params={"value": "changed"})
    assert run(worker, reader, 6)["result"] == ["changed", "2"]


def test_the_env_file_is_read_only_when_it_changes(monkeypatch: pytest.MonkeyPatch):
    from fused._shared_disk import load_env_file

    monkeypatch.delenv("SHARED_DISK_TEST_VAR", raising=False)
    assert load_env_file() is False  # no file
    disk().mkdir(parents=True)
    env_file = disk() / ".env"
    env_file.write_text("SHARED_DISK_TEST_VAR=one\n")
    assert load_env_file() is True
    assert os.environ["SHARED_DISK_TEST_VAR"] == "one"
    monkeypatch.setenv("SHARED_DISK_TEST_VAR", "set by a run")
    assert load_env_file() is False  # unchanged: not read again
    assert os.environ["SHARED_DISK_TEST_VAR"] == "set by a run"
    env_file.write_text("SHARED_DISK_TEST_VAR=two\n")
    os.utime(env_file, ns=(1, 1))
    assert load_env_file() is True
    assert os.environ["SHARED_DISK_TEST_VAR"] == "two"


def test_file_path_is_under_the_shared_disk():
    path = fused.file_path("folder/sub/data.parquet")
    assert path == str(disk() / "folder" / "sub" / "data.parquet")
    assert (disk() / "folder" / "sub").is_dir() and not Path(path).exists()
    assert fused.file_path("/mnt/cache/abs/x.txt") == str(disk() / "abs" / "x.txt")
    assert (disk() / "abs").is_dir()
    assert fused.file_path("later/y.txt", mkdir=False) == str(disk() / "later" / "y.txt")
    assert not (disk() / "later").exists()
    assert fused.file_path("made/") == str(disk() / "made")
    assert (disk() / "made").is_dir()
    Path(fused.file_path("note.txt")).write_text("kept")
    assert (disk() / "note.txt").read_text() == "kept"


def test_file_path_creates_a_path_without_a_suffix_as_a_folder(tmp_path: Path):
    # The SDK's folder semantics: `fused.file_path("folder")` is a folder to write files into.
    folder = fused.file_path("tiles")
    assert folder == str(disk() / "tiles") and Path(folder).is_dir()
    nested = fused.file_path("runs/2024/output")
    assert Path(nested).is_dir()
    file = fused.file_path("runs/2024/output/data.parquet")
    assert not Path(file).exists() and Path(file).parent.is_dir()
    assert not Path(fused.file_path("later", mkdir=False)).exists()
    local = fused.file_path("scratch-folder", storage="local")
    assert Path(local).parent == Path(tempfile.gettempdir()) and Path(local).is_dir()
    Path(local).rmdir()
    bucket = fused.file_path("tables", storage="object")
    assert bucket == str(Path(os.environ["UDF_STUDIO_HOME"]) / "fd" / "tables")
    with pytest.raises(ValueError, match="storage must be one of"):
        fused.file_path("x", storage="cloud")


def test_options():
    assert fused.options.cache_directory == disk()
    assert fused.options.realtime_client_id == "local"
    assert fused.options.base_url.endswith("/server/v1")
    with pytest.raises(AttributeError, match="cannot be set"):
        fused.options.realtime_client_id = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="no option 'made_up'"):
        fused.options.made_up = 1
    assert "realtime_client_id" in dir(fused.options)
    assert "local" in repr(fused.options)


# Issue 16, point 10: `/mnt/cache/../..` is the home, which holds the private token.

SECRET = "the-private-token-value"


def _plant_credentials() -> None:
    home().mkdir(parents=True, exist_ok=True)
    (home() / "credentials").write_text(SECRET)


@pytest.mark.parametrize(
    "text",
    ["/mnt/cache/../../credentials", "/mnt/cache/..", "/mnt/cache/a/../../b", "fd://../x", "fd://a/../../x"],
)
def test_16_10_a_mapped_path_that_climbs_out_is_refused(text: str):
    with pytest.raises(PathEscapeError, match="climbs out of"):
        map_path(text)


def test_16_10_mapped_paths_are_normalised_and_stay_inside():
    assert map_path("/mnt/cache/a/./b/../c.txt") == f"{disk()}/a/c.txt"
    assert map_path("/mnt/cache/a/../") == f"{disk()}/"
    assert map_path("/mnt/cache//x") == f"{disk()}/x"
    assert map_path("/mnt/cache/..x") == f"{disk()}/..x"
    assert map_path("fd://team/./x") == f"{home() / 'fd'}/team/x"


@pytest.mark.parametrize(
    "expression",
    [
        'f"/mnt/cache/{name}"',
        '"/mnt/cache/" + name',
        'os.path.join("/mnt/cache", name)',
        'f"fd://{name}"',
    ],
)
def test_16_10_a_parameter_joined_into_a_mount_path_cannot_reach_the_token(expression: str):
    _plant_credentials()
    code = (
        f"import os\n@fused.udf\ndef udf(name: str = 'x'):\n    return open({expression}).read()\n"
    )
    disk().mkdir(parents=True, exist_ok=True)
    (disk() / "note.txt").write_text("shared")
    (home() / "fd").mkdir(parents=True, exist_ok=True)
    (home() / "fd" / "note.txt").write_text("shared")
    assert fused.load(code)(name="note.txt") == "shared"
    with pytest.raises(UdfRuntimeError) as raised:
        fused.load(code)(name="../../credentials")
    assert raised.value.exception_class == "PathEscapeError"
    assert "climbs out of" in raised.value.message
    assert raised.value.line == 4
    assert SECRET not in str(raised.value)


def test_16_10_a_literal_that_climbs_out_is_a_syntax_error_at_its_line():
    code = "@fused.udf\ndef udf():\n    x = 1\n    return open('/mnt/cache/../../credentials')\n"
    with pytest.raises(UdfRuntimeError) as raised:
        fused.load(code)()
    assert raised.value.code == "UDF_ERR_SYNTAX"
    assert raised.value.line == 4
    assert "climbs out of /mnt/cache" in raised.value.message


def test_16_10_file_path_and_the_api_refuse_paths_that_climb_out():
    _plant_credentials()
    for climbing in ("/mnt/cache/../../credentials", "../../credentials"):
        with pytest.raises(PathEscapeError):
            fused.file_path(climbing)
    with pytest.raises(ValueError, match="climbs out of"):
        place_of("/mnt/cache/../../credentials", "fused.api.list")
    assert place_of("/mnt/cache/a/../b", "fused.api.list").path == disk() / "b"
