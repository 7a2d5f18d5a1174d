"""Flow 6: saving UDFs with `udf.to_fused()`, which become folders of the first workspace folder."""

from __future__ import annotations

import json
from types import ModuleType

import pytest

from conftest import RUNTIME_CLIENT, Server


def _meta(server: Server, name: str) -> dict:
    meta: dict = json.loads((server.workspace / name / "meta.json").read_text())
    return meta


def _saved_id(server: Server, name: str) -> str:
    udf_id: str = _meta(server, name)["job_config"]["steps"][0]["udf"]["metadata"]["fused:id"]
    return udf_id


def test_whoami_is_the_local_account(fused: ModuleType) -> None:
    me = fused.api.whoami()
    assert me["email"] and me["handle"]
    assert fused.api.whoami() == me


def test_a_new_udf_is_saved_as_a_workspace_folder(fused: ModuleType, server: Server) -> None:
    @fused.udf
    def saved_new(a: int = 1):
        return a + 1

    returned = saved_new.to_fused()
    udf_id = saved_new.metadata["fused:id"]
    assert returned is saved_new
    assert _saved_id(server, "saved_new") == udf_id
    code = (server.workspace / "saved_new" / "saved_new.py").read_text()
    assert "return a + 1" in code
    loaded = fused.load("saved_new")
    assert loaded.metadata["fused:id"] == udf_id
    assert "return a + 1" in loaded.code
    assert loaded.collection_name == "default"


def test_a_saved_udf_runs_on_a_shared_token(fused: ModuleType, server: Server) -> None:
    @fused.udf
    def saved_and_shared(word: str = "x"):
        return word * 2

    saved_and_shared.to_fused()
    assert fused.run(server.create_token("saved_and_shared"), word="ab") == "abab"


def test_saving_again_updates_and_keeps_the_id(fused: ModuleType, server: Server) -> None:
    @fused.udf
    def saved_twice(a: int = 1):
        return a * 10

    saved_twice.to_fused()
    first_id = saved_twice.metadata["fused:id"]
    saved_twice.to_fused()
    assert saved_twice.metadata["fused:id"] == first_id
    assert _saved_id(server, "saved_twice") == first_id
    assert [p.name for p in server.workspace.iterdir() if p.name.startswith("saved_twice")] == [
        "saved_twice"
    ]


def test_another_udf_of_that_name_needs_overwrite(fused: ModuleType, server: Server) -> None:
    @fused.udf(name="saved_contested")
    def first(a: int = 1):
        return "first"

    @fused.udf(name="saved_contested")
    def second(a: int = 1):
        return "second"

    # The official client renames the entry point to `udf` with `ast`, which writes strings in
    # single quotes; the runtime's `fused` saves the code as it is written.
    quote = '"' if RUNTIME_CLIENT else "'"
    first.to_fused()
    first_id = first.metadata["fused:id"]
    with pytest.raises(ValueError, match="already exists") as refused:
        second.to_fused()
    assert "Use overwrite=True" in str(refused.value)
    assert f"-    return {quote}first{quote}" in str(refused.value)
    assert f"return {quote}first{quote}" in fused.load("saved_contested").code

    second.to_fused(overwrite=True)
    assert second.metadata["fused:id"] == first_id
    reloaded = fused.load("saved_contested")
    assert f"return {quote}second{quote}" in reloaded.code
    assert reloaded.metadata["fused:id"] == first_id


def test_a_loaded_udf_saves_back_in_place(fused: ModuleType, server: Server) -> None:
    udf = fused.load("Team_Greeting")
    udf.to_fused()
    assert udf.metadata["fused:id"] == fused.load("Team_Greeting").metadata["fused:id"]
    assert (server.workspace / "Team_Tools" / "Team_Greeting").is_dir()
    assert not (server.workspace / "Team_Greeting").exists()


def test_delete_saved_removes_the_folder(fused: ModuleType, server: Server) -> None:
    @fused.udf
    def saved_then_deleted():
        return 1

    saved_then_deleted.to_fused()
    assert (server.workspace / "saved_then_deleted").is_dir()
    saved_then_deleted.delete_saved()
    assert "fused:id" not in saved_then_deleted.metadata
    assert not (server.workspace / "saved_then_deleted").exists()
    with pytest.raises(Exception, match='no UDF named "saved_then_deleted"'):
        fused.load("saved_then_deleted")


def test_saving_into_a_collection(fused: ModuleType, server: Server) -> None:
    @fused.udf
    def saved_in_collection():
        return "collected"

    saved_in_collection.to_fused(collection_name="Team_Tools")
    assert (server.workspace / "Team_Tools" / "saved_in_collection" / "meta.json").is_file()
    loaded = fused.load("saved_in_collection", collection_name="Team_Tools")
    assert loaded.collection_name == "Team_Tools"
    with pytest.raises(ValueError, match="not found"):
        saved_in_collection.to_fused(collection_name="No_Such_Collection")


def test_create_collection_makes_a_collection_folder(fused: ModuleType, server: Server) -> None:
    @fused.udf
    def saved_in_new_collection():
        return "new"

    saved_in_new_collection.to_fused(collection_name="Fresh_Collection", create_collection=True)
    assert (server.workspace / "Fresh_Collection" / "collection.json").is_file()
    assert (server.workspace / "Fresh_Collection" / "saved_in_new_collection").is_dir()
    assert fused.load("saved_in_new_collection").collection_name == "Fresh_Collection"
