"""`fused.core`: caching calls, paths, loading each kind of source, shared token runs, JSON."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fused
from conftest import RunningEngine, write_udf_folder
from fused.warnings import FusedDeprecationWarning
from test_context import create_token

CODE = "@fused.udf\ndef udf(n: int = 2):\n    return {'double': 2 * n}\n"


def disk() -> Path:
    return Path(os.environ["UDF_STUDIO_HOME"]) / "mnt" / "cache"


def test_cache_call_caches_and_takes_the_cache_options(capsys: pytest.CaptureFixture[str]):
    calls: list[int] = []

    def double(n: int) -> int:
        calls.append(n)
        return 2 * n

    assert fused.core.cache_call(double, 3) == fused.core.cache_call(double, n=3) == 6
    assert calls == [3]
    assert "returned cached result" in capsys.readouterr().out
    assert fused.core.cache_call(double, 3, cache_reset=True) == 6 and calls == [3, 3]
    assert fused.core.cache_call(double, 3, cache_max_age=0) == 6 and calls == [3, 3, 3]


def test_cache_call_async_awaits_on_a_miss_only():
    calls: list[int] = []

    async def slow_double(n: int) -> int:
        calls.append(n)
        await asyncio.sleep(0.01)  # suspends for real, as an awaited fetch would
        return 2 * n

    async def main() -> list[int]:
        first = await fused.core.cache_call_async(slow_double, 4)
        second = await fused.core.cache_call_async(slow_double, 4, cache_verbose=False)
        return [first, second]

    assert asyncio.run(main()) == [8, 8] and calls == [4]


def test_create_path_is_file_path_under_its_older_name():
    with pytest.warns(FusedDeprecationWarning, match="older name of fused.file_path"):
        path = fused.core.create_path("older/name")
    assert path == str(disk() / "older" / "name") and Path(path).is_dir()
    assert fused.core.file_path is fused.file_path and fused.core.download is fused.download


def test_the_json_encoder_writes_what_json_results_write():
    value = {
        "int": np.int64(3),
        "float": np.float32(0.5),
        "array": np.arange(3),
        "when": datetime.date(2024, 5, 1),
        "stamp": pd.Timestamp("2024-05-01T12:00:00"),
        "set": {1},
    }
    text = json.dumps(value, cls=fused.core.FusedJSONEncoder)
    assert json.loads(text) == {
        "int": 3,
        "float": 0.5,
        "array": [0, 1, 2],
        "when": "2024-05-01",
        "stamp": "2024-05-01T12:00:00",
        "set": [1],
    }
    assert fused.core.fused_json_default_handler(np.int64(7)) == 7
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps(object(), cls=fused.core.FusedJSONEncoder)


def test_each_loader_loads_its_kind_of_source(tmp_path: Path):
    core = fused.core
    assert core.load_udf_from_code(CODE, "Doubler").name == "Doubler"
    file = tmp_path / "doubler.py"
    file.write_text(CODE)
    assert core.load_udf_from_file(file)(n=4, engine="local") == {"double": 8}
    folder = write_udf_folder(tmp_path, "Doubling", CODE)
    loaded = core.load_udf_from_directory(folder, import_globals=False)
    assert loaded.name == "Doubling" and not loaded.import_globals
    archive = loaded.to_file(tmp_path / "Doubling.zip")
    assert archive is not None
    from_zip = core.load_udf_from_zip(archive)
    assert from_zip.name == "Doubling" and from_zip(n=5, engine="local") == {"double": 10}
    assert fused.load(str(archive)).name == "Doubling"
    with pytest.raises(ValueError, match="not a GitHub URL"):
        core.load_udf_from_github("https://example.com/x/")


def test_a_zip_is_unpacked_once_and_unsafe_ones_are_refused(tmp_path: Path):
    import zipfile

    archive = tmp_path / "Evil.zip"
    with zipfile.ZipFile(archive, "w") as evil:
        evil.writestr("../escape.py", "x = 1\n")
    with pytest.raises(fused.UdfLoadError, match="unsafe path"):
        fused.load(str(archive))
    (tmp_path / "Broken.zip").write_bytes(b"not a zip")
    with pytest.raises(fused.UdfLoadError, match="is not a zip file"):
        fused.load(str(tmp_path / "Broken.zip"))
    with pytest.raises(fused.UdfLoadError, match="no such file"):
        fused.load(str(tmp_path / "Absent.zip"))


def test_loading_from_fused_is_loading_from_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    workspace = tmp_path / "workspace"
    write_udf_folder(workspace, "Doubling", CODE)
    collection = workspace / "Tools"
    write_udf_folder(collection, "Doubling", CODE.replace("2 * n", "3 * n"))
    (collection / "collection.json").write_text('{"name": "Tools"}')
    monkeypatch.setenv("UDF_STUDIO_WORKSPACES", str(workspace))
    core = fused.core
    assert core.load_udf_from_fused("Doubling")(n=1, engine="local") == {"double": 2}
    assert core.load_udf_from_fused("me@example.com", "Doubling").name == "Doubling"
    tools = core.load_udf_from_fused("Doubling", collection_name="Tools")
    assert tools(n=1, engine="local") == {"double": 3}
    assert fused.load("Doubling", collection_name="default")(n=1, engine="local") == {"double": 2}
    with pytest.raises(fused.UdfLoadError, match="in the collection 'Nope'"):
        fused.load("Doubling", collection_name="Nope")
    found = asyncio.run(core.load_udf_from_fused_async("team", "Doubling"))
    assert found.name == "Doubling"
    assert asyncio.run(fused.load_async("Doubling")).name == "Doubling"


def test_threading_utils_capture_a_threads_prints():
    outputs: dict[str, str] = {}

    def work(name: str) -> None:
        with fused.core.threading_utils.capture_current_thread_output() as (out, _err):
            print("from", name)
        outputs[name] = out.getvalue()

    with fused.core.threading_utils.isolate_streams_per_thread():
        threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert outputs == {"a": "from a\n", "b": "from b\n"}


# --- shared tokens on a real engine -----------------------------------------------------------


def test_shared_token_runs_and_loads(engine: RunningEngine):
    write_udf_folder(engine.home / "udfs", "Core_Doubling", CODE)
    token = create_token(engine, "Core_Doubling")
    core = fused.core
    assert core.run_shared_file(token, n=21) == {"double": 42}
    assert asyncio.run(core.run_shared_file_async(token, n=4)) == {"double": 8}
    assert core.load_udf_from_shared_token(token).name == "Core_Doubling"
    assert fused.load(token).name == "Core_Doubling"


def test_shared_tile_runs(engine: RunningEngine):
    code = (
        "@fused.udf\n"
        "def udf(bounds: fused.types.Bounds = None, label: str = ''):\n"
        "    return {'west': round(bounds[0], 3), 'label': label}\n"
    )
    write_udf_folder(engine.home / "udfs", "Core_Tile", code)
    token = create_token(engine, "Core_Tile")
    assert fused.core.run_shared_tile(token, x=0, y=0, z=1, label="a") == {
        "west": -180.0,
        "label": "a",
    }
    tile = asyncio.run(fused.core.run_shared_tile_async(token, x=1, y=0, z=1))
    assert tile == {"west": 0.0, "label": ""}
