"""`fused.load` of a saved UDF's name or id with an engine running: the engine's saved UDF, by the
official client's lookup routes, with its id and collection (a real `udf-studio serve`)."""

from __future__ import annotations

import os
import re
import uuid

import pytest

import fused
from conftest import RunningEngine

CODE = "@fused.udf\ndef udf(n: int = 1):\n    return {'n': n, 'times': TIMES * n}\nTIMES = 2\n"


def saved(name: str, *, collection: str | None = None, code: str = CODE) -> fused.Udf:
    udf = fused.load(code)
    udf.name = name
    if collection is None:
        return udf.to_fused(overwrite=True)
    return udf.to_fused(overwrite=True, collection_name=collection, create_collection=True)


def test_a_name_is_the_engines_saved_udf_with_its_id(engine: RunningEngine):
    made = saved("Looked_Up")
    loaded = fused.load("Looked_Up")
    assert loaded.metadata["fused:id"] == made.metadata["fused:id"]
    assert loaded.collection_name == "default"
    # This process sees the workspace folder with the engine's code: the folder is loaded.
    assert loaded.directory == str(engine.home / "udfs" / "Looked_Up")
    assert loaded(n=3, engine="local") == {"n": 3, "times": 6}


def test_a_process_that_cannot_see_the_folder_runs_the_engines_code(
    engine: RunningEngine, monkeypatch: pytest.MonkeyPatch
):
    made = saved("Seen_Elsewhere", code=CODE.replace("TIMES = 2", "TIMES = 5"))
    monkeypatch.setattr("fused._load.search_folders", list)  # sees no folder
    loaded = fused.load("Seen_Elsewhere")
    assert loaded.directory is None
    assert loaded.metadata["fused:id"] == made.metadata["fused:id"]
    assert loaded(n=1, engine="local") == {"n": 1, "times": 5}


@fused.udf
def loads_a_helper(name: str = "Helper_Udf"):
    import os

    helper = fused.load(name)
    return {
        "id": helper.metadata["fused:id"],
        "directory": helper.directory,
        "value": helper(n=2, engine="local"),
        "pid": os.getpid(),
    }


def test_a_udf_on_the_engine_loads_the_saved_udf_from_its_folder(engine: RunningEngine):
    made = saved("Helper_Udf")
    answer = fused.run(loads_a_helper)
    assert answer["pid"] != os.getpid()  # it ran in a worker of the engine
    assert answer["id"] == made.metadata["fused:id"]
    assert answer["directory"] == str(engine.home / "udfs" / "Helper_Udf")
    assert answer["value"] == {"n": 2, "times": 4}


def test_owner_forms_and_the_id_name_the_same_udf(engine: RunningEngine):
    udf_id = saved("Owned_Once").metadata["fused:id"]
    me = fused.api.whoami()
    forms = ["Owned_Once", f"{me['email']}/Owned_Once", f"{me['handle']}/Owned_Once",
             "team/Owned_Once", udf_id]
    assert {fused.load(form).metadata["fused:id"] for form in forms} == {udf_id}
    assert fused.core.load_udf_from_fused(me["email"], "Owned_Once").name == "Owned_Once"
    assert fused.load("UDF_Owned_Once").metadata["fused:id"] == udf_id  # its public name


def test_unknown_owners_names_and_ids_are_sentences(engine: RunningEngine):
    another_owner = re.escape('"someone@example.com" has no UDFs here')
    with pytest.raises(fused.UdfLoadError, match=another_owner):
        fused.load("someone@example.com/Anything")
    with pytest.raises(fused.UdfLoadError, match='no UDF named "No_Such_Udf"'):
        fused.load("No_Such_Udf")
    with pytest.raises(fused.UdfLoadError, match="no UDF with id"):
        fused.load(str(uuid.uuid4()))
    with pytest.raises(fused.UdfLoadError, match='there is no collection "Nowhere"'):
        fused.load("Owned_Twice", collection_name="Nowhere")


def test_collections_come_with_the_udf(engine: RunningEngine):
    saved("Shelved", collection="Shelf")
    shelved = fused.load("Shelved", collection_name="Shelf")
    assert shelved.collection_name == "Shelf"
    assert fused.load("Shelved").metadata["fused:id"] == shelved.metadata["fused:id"]
    listed = fused.api.get_udfs()
    assert listed["Shelf/Shelved"].metadata["fused:id"] == shelved.metadata["fused:id"]
    assert listed["Shelf/Shelved"].collection_name == "Shelf"


def test_without_an_engine_names_are_the_local_folders(tmp_path, monkeypatch):
    folder = tmp_path / "studio-home" / "udfs" / "Offline_Udf"
    folder.mkdir(parents=True)
    (folder / "Offline_Udf.py").write_text(CODE)
    loaded = fused.load("Offline_Udf")
    assert "fused:id" not in loaded.metadata and loaded.directory == str(folder)
