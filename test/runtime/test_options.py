"""`fused.options`: this machine's values, the settings a script may change, and the four that act
here (the default engine, @fused.cache's max age and note, the submit progress bar)."""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest

import fused
from conftest import RunningEngine
from fused import EngineUnavailableError
from fused._errors import NotLocalError


def home() -> Path:
    return Path(os.environ["UDF_STUDIO_HOME"])


def test_without_an_engine_the_urls_are_the_ones_serve_would_listen_on():
    assert fused.options.base_url == "http://127.0.0.1:8765/server/v1"
    assert fused.options.base_web_url == "http://127.0.0.1:8765"
    assert fused.options.shared_udf_base_url == "http://127.0.0.1:8765/server/v1/realtime-shared"
    home().mkdir(parents=True, exist_ok=True)
    (home() / "settings.json").write_text(json.dumps({"port": 9911}))
    assert fused.options.base_url == "http://127.0.0.1:9911/server/v1"


def test_with_an_engine_they_are_the_engines(engine: RunningEngine):
    assert fused.options.base_url == f"{engine.url}/server/v1"
    assert fused.options.base_web_url == engine.url
    # As the public `common` helper builds a page URL from it.
    assert fused.options.base_url.rsplit("/server", 1)[0] == engine.url


def test_inside_a_udf_on_the_engine(engine: RunningEngine):
    # What the public `common` helper reads inside UDFs, from a real worker of a real engine.
    udf = fused.load(
        "@fused.udf\n"
        "def udf():\n"
        "    import os\n"
        "    from fused._optional_deps import HAS_GEOPANDAS, GPD_GEODATAFRAME\n"
        "    folder = fused.file_path('made-in-a-worker')\n"
        "    return {'base_url': fused.options.base_url, 'fd_prefix': fused.options.fd_prefix,\n"
        "            'folder': os.path.isdir(folder), 'pid': os.getpid(),\n"
        "            'geopandas': HAS_GEOPANDAS and GPD_GEODATAFRAME.__name__}\n"
    )
    answer = udf()
    assert answer["pid"] != os.getpid()  # it ran in the engine's worker
    assert answer["base_url"] == f"{engine.url}/server/v1"
    assert answer["fd_prefix"] == (engine.home / "fd").as_uri() + "/"
    assert answer["folder"] and (engine.home / "mnt" / "cache" / "made-in-a-worker").is_dir()
    assert answer["geopandas"] == "GeoDataFrame"


def test_the_folders_are_the_shared_disk_and_the_bucket():
    disk = home() / "mnt" / "cache"
    assert fused.options.cache_directory == disk and fused.options.data_directory == disk
    prefix = fused.options.fd_prefix
    assert prefix == (home() / "fd").as_uri() + "/"
    # As the public `common` helper uses it: a folder URL that files can be written under.
    folder = Path(urllib.parse.urlsplit(prefix.strip("/") + "/fused-tmp").path)
    folder.mkdir(parents=True)
    pd.DataFrame({"a": [1, 2]}).to_csv(folder / "t.csv", index=False)
    assert pd.read_csv(prefix + "fused-tmp/t.csv")["a"].tolist() == [1, 2]
    assert fused.options.temp_directory.is_dir()


def test_this_machines_values_cannot_be_set():
    fixed = ("base_url", "base_web_url", "fd_prefix", "cache_directory", "max_recursion_factor")
    for name in fixed:
        with pytest.raises(AttributeError, match=rf"fused\.options\.{name} is this machine's"):
            setattr(fused.options, name, "x")
    assert fused.options.max_recursion_factor == 5 and fused.options.job_id is None


def test_settings_can_be_changed_with_their_types_checked(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(fused.options, "request_timeout", 60)
    assert fused.options.request_timeout == 60
    monkeypatch.setattr(fused.options.show, "open_browser", False)
    assert fused.options.show.open_browser is False
    with pytest.raises(TypeError, match=r"fused.options.max_workers must be int: 'many'"):
        fused.options.max_workers = "many"  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"fused\.options\.verbose_udf_runs must be bool"):
        fused.options.verbose_udf_runs = 1  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"fused.options.run_timeout must be int or float: True"):
        fused.options.run_timeout = True  # type: ignore[assignment]
    with pytest.raises(AttributeError, match=r"fused\.options\.show has no option 'colour'"):
        fused.options.show.colour = True
    with pytest.raises(AttributeError, match=r"set the fields of fused\.options\.auth"):
        fused.options.auth = None  # type: ignore[assignment]
    with pytest.raises(AttributeError, match="no option 'made_up'"):
        _ = fused.options.made_up
    assert fused.options.auth.credentials_path == str(home() / "credentials")
    with pytest.raises(NotLocalError, match=r"^fused.options.save has no local meaning"):
        fused.options.save()


def test_the_default_engine_is_used_by_runs_that_name_none(monkeypatch: pytest.MonkeyPatch):
    udf = fused.load("@fused.udf\ndef udf(n: int = 1):\n    return n\n")
    monkeypatch.setattr(fused.options, "default_udf_run_engine", "far-away")
    for call in (udf, lambda: fused.run(udf), lambda: fused.submit(udf, [1, 2])):
        with pytest.raises(EngineUnavailableError, match="far-away"):
            call()
    assert udf(engine="local") == 1


def test_the_cache_decorators_default_max_age_and_note(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    calls: list[int] = []

    def counted(n: int) -> int:
        calls.append(n)
        return n

    monkeypatch.setattr(fused.options, "cache_decorator_max_age", 0)  # 0: no caching
    uncached = fused.cache(counted)
    assert uncached(1) == uncached(1) == 1 and calls == [1, 1]
    monkeypatch.setattr(fused.options, "cache_decorator_max_age", "1h")
    monkeypatch.setattr(fused.options, "verbose_cached_functions", False)
    quiet = fused.cache(counted)
    assert quiet(2) == quiet(2) == 2 and calls == [1, 1, 2]
    assert "returned cached result" not in capsys.readouterr().out
    monkeypatch.setattr(fused.options, "verbose_cached_functions", True)
    assert quiet(2) == 2
    assert "returned cached result" in capsys.readouterr().out


def test_the_submit_progress_bar_follows_show_enable_tqdm(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    udf = fused.load("@fused.udf\ndef udf(n: int = 0):\n    return {'n': n}\n")
    fused.submit(udf, [1, 2], engine="local")
    assert "2/2 done" in capsys.readouterr().err
    monkeypatch.setattr(fused.options.show, "enable_tqdm", False)
    fused.submit(udf, [1, 2], engine="local")
    assert "done" not in capsys.readouterr().err
