"""Flow 2: saved UDFs by name (and id) with the private token, as `fused.load` finds them."""

from __future__ import annotations

import asyncio
import re
import uuid
from types import ModuleType
from typing import Any

import pytest


@pytest.fixture(scope="module")
def me(fused: ModuleType) -> dict[str, Any]:
    account: dict[str, Any] = fused.api.whoami()
    return account


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def test_a_bare_name_is_the_callers_udf(fused: ModuleType) -> None:
    udf = fused.load("Greeting_Table")
    assert udf.name == "Greeting_Table"
    assert udf.entrypoint == "udf"
    assert 'f"Hello, {name}!"' in udf.code
    assert _is_uuid(udf.metadata["fused:id"])
    assert udf.collection_name == "default"


def test_email_handle_and_team_name_the_same_udf(fused: ModuleType, me: dict[str, Any]) -> None:
    ids = {
        fused.load(f"{owner}/Greeting_Table").metadata["fused:id"]
        for owner in (me["email"], me["handle"], "team")
    }
    assert ids == {fused.load("Greeting_Table").metadata["fused:id"]}


def test_an_id_loads_the_udf_it_names(fused: ModuleType) -> None:
    udf_id = fused.load("Greeting_Table").metadata["fused:id"]
    assert fused.load(udf_id).name == "Greeting_Table"


def test_load_udf_from_fused(fused: ModuleType, me: dict[str, Any]) -> None:
    from fused.core import load_udf_from_fused

    assert load_udf_from_fused("Plain_Values").name == "Plain_Values"
    assert load_udf_from_fused(me["email"], "Plain_Values").name == "Plain_Values"


def test_the_async_forms(fused: ModuleType, me: dict[str, Any]) -> None:
    from fused.core import load_udf_from_fused_async

    async def load_all() -> list[Any]:
        by_name = await fused.load_async("Plain_Values")
        by_handle = await fused.load_async(f"{me['handle']}/Plain_Values")
        by_team = await load_udf_from_fused_async("team", "Plain_Values")
        by_id = await fused.load_async(by_name.metadata["fused:id"])
        return [by_name, by_handle, by_team, by_id]

    loaded = asyncio.run(load_all())
    assert {udf.name for udf in loaded} == {"Plain_Values"}
    assert len({udf.metadata["fused:id"] for udf in loaded}) == 1


def test_headers_and_saved_parameters_come_along(fused: ModuleType) -> None:
    udf = fused.load("With_Header")
    assert [header.module_name for header in udf.headers] == ["helpers"]
    assert "def shout" in udf.headers[0].source_code
    assert udf.parameters == {"word": "saved"}
    assert udf.metadata["fused:description"].startswith("A UDF with a header module")


def test_a_collection_folder_is_a_collection(fused: ModuleType) -> None:
    udf = fused.load("Team_Greeting", collection_name="Team_Tools")
    assert udf.collection_name == "Team_Tools"
    # No meta.json names the function: the record names the decorated one.
    assert udf.entrypoint == "team_greeting"
    # `default` is the whole workspace, collections included.
    assert fused.load("Team_Greeting").metadata["fused:id"] == udf.metadata["fused:id"]
    with pytest.raises(Exception, match='"Greeting_Table" in the collection "Team_Tools"'):
        fused.load("Greeting_Table", collection_name="Team_Tools")
    with pytest.raises(Exception, match='there is no collection "No_Such_Collection"'):
        fused.load("Greeting_Table", collection_name="No_Such_Collection")


def test_another_owner_is_a_sentence(fused: ModuleType) -> None:
    with pytest.raises(Exception, match=re.escape('"someone@example.com" has no UDFs here')):
        fused.load("someone@example.com/Greeting_Table")
    with pytest.raises(Exception, match='"somebody" has no UDFs here'):
        fused.load("somebody/Greeting_Table")


def test_an_unknown_name_or_id_is_a_sentence(fused: ModuleType) -> None:
    with pytest.raises(Exception, match='no UDF named "No_Such_Udf"'):
        fused.load("No_Such_Udf")
    with pytest.raises(Exception, match="no UDF with id"):
        fused.load(str(uuid.uuid4()))


def test_get_udfs_lists_the_workspace_by_collection(fused: ModuleType) -> None:
    udfs = fused.api.get_udfs()
    assert udfs["default/Greeting_Table"].metadata["fused:id"] == (
        fused.load("Greeting_Table").metadata["fused:id"]
    )
    assert udfs["Team_Tools/Team_Greeting"].collection_name == "Team_Tools"
    # The client pages by `skip` and `limit` and stops at a short page.
    assert len(fused.api.get_udfs(n=2)) == 2
    assert len(fused.api.get_udfs(whose="team")) == len(udfs)


# The runs below are code runs (`POST .../run/udf/start`, then polling `.../run/udf/get/{id}`).


def test_a_loaded_udf_runs_when_called(fused: ModuleType) -> None:
    udf = fused.load("Greeting_Table")
    df = udf(name="Grace", n=2)
    assert list(df["greeting"]) == ["Hello, Grace!", "Hello, Grace!"]


def test_a_loaded_udf_runs_with_its_header(fused: ModuleType) -> None:
    assert fused.run(fused.load("With_Header"), word="hey") == "HEY!"


def test_run_by_name(fused: ModuleType, me: dict[str, Any]) -> None:
    df = fused.run("Greeting_Table", name="Alan", n=1)
    assert list(df["greeting"]) == ["Hello, Alan!"]
    assert fused.run(f"{me['email']}/Team_Greeting", name="you") == "Hi from the collection, you"


def test_run_async_by_name(fused: ModuleType) -> None:
    df = asyncio.run(fused.run_async("Greeting_Table", name="Edsger", n=1))
    assert list(df["greeting"]) == ["Hello, Edsger!"]
