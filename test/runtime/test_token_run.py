"""fused.run with a shared token or a `UDF_<name>` public name, against a real engine's tokens."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

import fused
from conftest import RunningEngine
from fused import _shared_tokens, _token_run


def create_token(engine: RunningEngine, udf: str) -> str:
    token = json.loads((engine.home / "credentials").read_text())["access_token"]
    created = urllib.request.Request(
        f"{engine.url}/server/v1/udf-access-token/new",
        data=json.dumps({"udf_slug": udf}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(created, timeout=30) as answer:
        return str(json.loads(answer.read())["token"])


def test_a_shared_token_runs_its_udf_on_the_engine(engine: RunningEngine):
    token = create_token(engine, "Hello_World")
    frame = fused.run(token, name="Ada", n=2)
    assert isinstance(frame, pd.DataFrame)
    assert frame["greeting"].tolist() == ["Hello, Ada! (1 of 2)", "Hello, Ada! (2 of 2)"]
    tile_token = create_token(engine, "Tile_Grid")
    tile = fused.run(tile_token, x=2074, y=1409, z=12)
    assert len(tile) > 0
    with pytest.raises(fused.UdfRuntimeError) as caught:
        fused.run(token, n=-1)
    assert caught.value.exception_class == "ValueError"


def test_a_shared_token_runs_here_from_the_database_without_an_engine(
    engine: RunningEngine, monkeypatch: pytest.MonkeyPatch
):
    token = create_token(engine, "Hello_World")
    monkeypatch.setattr(_token_run, "find_engine", lambda: (None, "stopped"))
    frame = fused.run(token, name="Grace", n=1)
    assert frame["greeting"].tolist() == ["Hello, Grace! (1 of 1)"]
    with pytest.raises(fused.UdfLoadError, match="no shared token"):
        fused.run("fsh_" + "x" * 32)


def test_an_unknown_token_on_the_engine_is_a_clear_error(engine: RunningEngine):
    with pytest.raises(fused.UdfRuntimeError, match="no such shared token"):
        fused.run("fsh_" + "y" * 32)


def test_a_public_name_runs_the_workspace_udf(engine: RunningEngine):
    frame = fused.run("UDF_Hello_World", name="Linus", n=1)
    assert frame["greeting"].tolist() == ["Hello, Linus! (1 of 1)"]


def test_the_database_is_only_read(engine: RunningEngine, monkeypatch: pytest.MonkeyPatch):
    database = Path(engine.home) / _shared_tokens.DATABASE
    before = database.stat().st_mtime_ns
    monkeypatch.setattr(_token_run, "find_engine", lambda: (None, "stopped"))
    with pytest.raises(fused.UdfLoadError):
        fused.run("fsh_" + "z" * 32)
    assert database.stat().st_mtime_ns == before
