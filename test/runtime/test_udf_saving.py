"""`Udf.to_fused`, `delete_saved`, `catalog_url` and shared tokens, against a real engine."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import fused
from conftest import RunningEngine, write_udf_folder
from test_context import private_token

CODE = "@fused.udf\ndef udf(n: int = 1):\n    return {'n': n, 'version': VERSION}\nVERSION = 1\n"


def workspace(engine: RunningEngine) -> Path:
    return engine.home / "udfs"


def test_a_new_udf_is_saved_into_the_workspace_and_updated_in_place(engine: RunningEngine):
    udf = fused.load(CODE.replace("def udf", "def Saved_Once"))
    udf.name = "Saved_Once"
    saved = udf.to_fused()
    assert saved is udf and udf.metadata["fused:id"]
    assert udf.collection_name == "default"
    folder = workspace(engine) / "Saved_Once"
    assert "VERSION = 1" in (folder / "Saved_Once.py").read_text()
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["job_config"]["steps"][0]["udf"]["metadata"]["fused:id"] == udf.metadata["fused:id"]
    changed = fused.load(CODE.replace("VERSION = 1", "VERSION = 2"))
    changed.name, changed.metadata = "Saved_Once", dict(udf.metadata)
    changed.to_fused()  # the same id: an update
    assert "VERSION = 2" in (folder / "Saved_Once.py").read_text()
    assert udf.catalog_url == f"{engine.url}/#/udf/Saved_Once"


def test_a_different_udf_of_the_same_name_needs_overwrite(engine: RunningEngine):
    first = fused.load(CODE)
    first.name = "Taken_Name"
    first.to_fused()
    other = fused.load(CODE.replace("VERSION = 1", "VERSION = 3"))
    other.name = "Taken_Name"
    with pytest.raises(ValueError, match="a different UDF named 'Taken_Name' already exists") as no:
        other.to_fused()
    assert "Use overwrite=True" in str(no.value)
    assert "-VERSION = 1\n+VERSION = 3\n" in str(no.value)  # the diff, saved to local
    other.to_fused(overwrite=True)
    assert "VERSION = 3" in (workspace(engine) / "Taken_Name" / "Taken_Name.py").read_text()


def test_a_udf_loaded_from_the_workspace_saves_over_its_folder(engine: RunningEngine):
    write_udf_folder(workspace(engine), "From_Disk", CODE)
    wait_for(engine, "From_Disk")
    loaded = fused.load(str(workspace(engine) / "From_Disk"))
    assert "fused:id" not in loaded.metadata and loaded.catalog_url is not None
    loaded.code = loaded.code.replace("VERSION = 1", "VERSION = 4")
    loaded.to_fused()
    assert "VERSION = 4" in (workspace(engine) / "From_Disk" / "From_Disk.py").read_text()


def test_collections_are_collection_folders(engine: RunningEngine):
    udf = fused.load(CODE)
    udf.name = "In_Collection"
    with pytest.raises(ValueError, match="collection 'Shelf' not found"):
        udf.to_fused(collection_name="Shelf")
    udf.to_fused(collection_name="Shelf", create_collection=True)
    assert (workspace(engine) / "Shelf" / "collection.json").is_file()
    assert (workspace(engine) / "Shelf" / "In_Collection" / "meta.json").is_file()
    assert udf.collection_name == "Shelf"


def test_delete_saved_removes_the_folder(engine: RunningEngine):
    udf = fused.load(CODE)
    udf.name = "Short_Lived"
    udf.to_fused()
    kept = udf.delete_saved(inplace=False)
    assert "fused:id" not in kept.metadata and "fused:id" in udf.metadata
    assert not (workspace(engine) / "Short_Lived").exists()
    with pytest.raises(fused._engine_api.EngineRequestError, match="Short_Lived") as caught:
        udf.delete_saved()
    assert caught.value.status == 404


def test_shared_tokens_of_a_saved_udf(engine: RunningEngine):
    udf = fused.load(CODE)
    udf.name = "Shared_One"
    assert udf.get_access_tokens() == [] and udf.get_access_token() is None
    udf.to_fused()
    token = udf.create_access_token(metadata_json={"title": "one"})
    assert token.token.startswith("fsh_") and token.udf_slug == "Shared_One"
    assert token.metadata_json == {"title": "one"}
    assert [found.token for found in udf.get_access_tokens()] == [token.token]
    assert udf.get_access_token() == token
    url = udf.shared_url(format="json")
    assert url == f"{engine.url}/server/v1/realtime-shared/{token.token}/run?format=json"
    with urllib.request.urlopen(url + "&n=5", timeout=60) as answer:
        assert json.loads(answer.read()) == {"n": 5, "version": 1}
    tile = token.get_tile_url()
    assert tile.endswith(f"/{token.token}/run/tiles/{{z}}/{{x}}/{{y}}")
    assert token.get_tile_url(x=1, y=2, z=3).endswith("/run/tiles/3/1/2")
    with pytest.raises(ValueError, match="give x, y and z together"):
        token.get_tile_url(x=1)
    assert fused.core.run_shared_file(token.token, n=2) == {"n": 2, "version": 1}


def wait_for(engine: RunningEngine, name: str) -> None:
    """Until the engine's watcher lists a UDF written straight into its workspace."""
    request = urllib.request.Request(
        f"{engine.url}/server/v1/udf/exec-env/self/by-slug/{name}",
        headers={"Authorization": f"Bearer {private_token(engine)}"},
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(request, timeout=10):
                return
        except urllib.error.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
