"""Flow 5: shared-token management through `fused.api.FusedAPI()` and `Udf`.

Tokens are made, read, listed, changed and deleted with the official client, and the URLs the
client builds from a token run the UDF over plain HTTP.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from datetime import datetime
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from requests.exceptions import HTTPError

from conftest import FUSED_API_CLASS, Server, official_only

FAKE_TOKEN = "fsh_" + "Q" * 32


@pytest.fixture(scope="module")
def api(fused: ModuleType) -> Any:
    from fused.api import FusedAPI

    return FusedAPI()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """A plain HTTP GET: the status and the body, errors included."""
    return send("GET", url, headers=headers)


def send(method: str, url: str, *, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def udf_id_of(server: Server, name: str) -> str:
    """The id the engine keeps for a workspace UDF, as its storage route tells it."""
    status, body = get(f"{server.url}/server/v1/udf/exec-env/self/by-slug/{name}",
                       {"Authorization": f"Bearer {server.private_token}"})
    assert status == 200
    udf_id: str = json.loads(body)["id"]
    return udf_id


def status_of(raised: pytest.ExceptionInfo[HTTPError]) -> int:
    response = raised.value.response
    assert response is not None
    return int(response.status_code)


# Create


@official_only(FUSED_API_CLASS)
def test_a_bare_name_makes_a_token_owned_by_whoami(fused: ModuleType, api: Any) -> None:
    from fused.models.api.udf_access_token import UdfAccessToken

    token = api.create_udf_access_token("Greeting_Table")
    assert isinstance(token, UdfAccessToken)
    assert token.token.startswith("fsh_") and len(token.token) == 36
    assert token.udf_slug == "Greeting_Table"
    # The client asked /user/self for the owner and /realtime-instance for the client id.
    whoami = api._whoami()
    assert token.udf_email == whoami["email"] and token.owning_user_id == whoami["id"]
    assert token.owning_execution_environment_id is None
    assert token.client_id == "udf-studio-local"
    assert token.enabled is True and token.cache is True
    assert token.metadata_json == {}
    assert isinstance(token.last_updated, datetime)


@official_only(FUSED_API_CLASS)
def test_a_token_by_udf_name_email_slash_name_handle_and_team(api: Any) -> None:
    whoami = api._whoami()
    for made in [
        api.create_udf_access_token(udf_name="Plain_Values"),
        api.create_udf_access_token(f"{whoami['email']}/Plain_Values"),
        api.create_udf_access_token(whoami["email"], "Plain_Values"),
        api.create_udf_access_token(f"{whoami['handle']}/Plain_Values"),
        api.create_udf_access_token("team/Plain_Values"),
    ]:
        assert made.udf_slug == "Plain_Values"
        assert made.udf_email == whoami["email"]


@official_only(FUSED_API_CLASS)
def test_a_token_by_udf_id_keeps_the_engines_id(server: Server, api: Any) -> None:
    udf_id = udf_id_of(server, "Raster_Ramp")
    by_keyword = api.create_udf_access_token(udf_id=udf_id)
    by_first_argument = api.create_udf_access_token(udf_id)
    for made in (by_keyword, by_first_argument):
        assert made.udf_slug == "Raster_Ramp"
        assert made.udf_id == udf_id
    # A token made by name carries the same id.
    assert api.create_udf_access_token("Raster_Ramp").udf_id == udf_id


@official_only(FUSED_API_CLASS)
def test_every_field_the_client_sends_is_kept(api: Any) -> None:
    token = api.create_udf_access_token(
        "Greeting_Table", client_id="elsewhere", cache=False, public_read=True,
        access_scope="team", metadata_json={"purpose": "qgis", "n": [1, 2]}, enabled=False,
    )
    assert token.client_id == "elsewhere"
    assert token.cache is False and token.public_read is True and token.enabled is False
    assert token.access_scope == "team"
    assert token.metadata_json == {"purpose": "qgis", "n": [1, 2]}


@official_only(FUSED_API_CLASS)
@pytest.mark.parametrize(
    "target",
    [
        {"udf_email_or_name_or_id": "someone@example.com/Greeting_Table"},
        {"udf_email_or_name_or_id": "No_Such_Udf"},
        {"udf_email_or_name_or_id": "00000000-0000-4000-8000-000000000000"},
        {"udf_id": "not-an-id-here"},
    ],
    ids=["unknown owner", "unknown name", "unknown uuid", "unknown udf_id"],
)
def test_an_unknown_owner_or_udf_is_404(api: Any, target: dict[str, str]) -> None:
    first = target.pop("udf_email_or_name_or_id", None)
    with pytest.raises(HTTPError) as raised:
        if first is None:
            api.create_udf_access_token(**target)
        else:
            api.create_udf_access_token(first)
    assert status_of(raised) == 404


def test_a_loaded_udf_makes_its_own_token(fused: ModuleType, server: Server) -> None:
    udf_id = udf_id_of(server, "Tile_Cells")
    udf = fused.load(udf_id)
    token = udf.create_access_token(metadata_json={"from": "udf"})
    assert token.udf_slug == "Tile_Cells" and token.udf_id == udf_id
    assert token.metadata_json == {"from": "udf"}


def test_an_unsaved_udf_is_refused_by_the_client_itself(fused: ModuleType) -> None:
    @fused.udf
    def Never_Saved(x: int = 1) -> int:
        return x

    with pytest.raises(ValueError, match="No saved UDF ID"):
        Never_Saved.create_access_token()


def test_a_udf_saved_with_to_fused_makes_its_own_token(fused: ModuleType) -> None:
    @fused.udf
    def Saved_For_Token(x: int = 1) -> int:
        return x

    Saved_For_Token.to_fused(overwrite=True)
    token = Saved_For_Token.create_access_token()
    assert token.udf_slug == "Saved_For_Token"


# Read, list, update, delete


@official_only(FUSED_API_CLASS)
def test_get_and_refresh_read_the_token_back(api: Any) -> None:
    made = api.create_udf_access_token("Greeting_Table", metadata_json={"k": "v"})
    read = api.get_udf_access_token(made.token)
    assert read.token == made.token and read.metadata_json == {"k": "v"}
    assert api.get_udf_access_token(made).udf_slug == "Greeting_Table"
    assert made.refresh().last_updated == made.last_updated
    with pytest.raises(HTTPError) as raised:
        api.get_udf_access_token(FAKE_TOKEN)
    assert status_of(raised) == 404


@official_only(FUSED_API_CLASS)
def test_the_listing_shows_full_tokens_and_its_paging_ends(api: Any) -> None:
    made = [api.create_udf_access_token("Plain_Values").token for _ in range(3)]
    everything = api.get_udf_access_tokens()
    tokens = [t.token for t in everything]
    assert set(made) <= set(tokens)
    assert len(tokens) == len(set(tokens))
    # Newest first, one request a page, until a page is empty.
    assert tokens[:3] == made[::-1]
    def listed(*args: int | None, **kwargs: int | None) -> list[str]:
        return [t.token for t in api.get_udf_access_tokens(*args, **kwargs)]

    # (Each request costs the client ~90 ms, so pages of a few keep this quick.)
    assert listed(per_request=4) == tokens
    assert listed(per_request=3, skip=1) == tokens[1:]
    assert listed(2, per_request=1, max_requests=None) == tokens[:2]
    assert listed(5, per_request=1, max_requests=1) == tokens[:1]
    assert listed(per_request=0) == []
    assert listed(per_request=10**30) == tokens
    assert listed(skip=10**30) == []


@official_only(FUSED_API_CLASS)
def test_a_negative_skip_is_refused(api: Any) -> None:
    with pytest.raises(HTTPError) as raised:
        api.get_udf_access_tokens(skip=-1)
    assert status_of(raised) == 400


@official_only(FUSED_API_CLASS)
def test_an_update_changes_only_what_it_names(api: Any) -> None:
    made = api.create_udf_access_token("Greeting_Table", cache=False, metadata_json={"keep": 1},
                                       access_scope="team")
    disabled = api.update_udf_access_token(made.token, enabled=False)
    assert disabled.enabled is False
    assert disabled.cache is False and disabled.metadata_json == {"keep": 1}
    assert disabled.access_scope == "team" and disabled.client_id == "udf-studio-local"
    assert disabled.last_updated >= made.last_updated
    assert get(made.get_file_url())[0] == 403

    changed = made.update(enabled=True, cache=True, metadata_json={"new": 2}, public_read=True,
                          client_id="other")
    assert changed.token == made.token
    assert (changed.enabled, changed.cache, changed.public_read) == (True, True, True)
    assert changed.metadata_json == {"new": 2} and changed.client_id == "other"
    # The client's `inplace=True` still answers a copy and leaves `made` as it was.
    assert made.update(inplace=True, access_scope="world").access_scope == "world"
    assert get(made.get_file_url())[0] == 200
    with pytest.raises(HTTPError) as raised:
        api.update_udf_access_token(FAKE_TOKEN, enabled=True)
    assert status_of(raised) == 404


@official_only(FUSED_API_CLASS)
def test_delete_answers_the_deleted_token(api: Any) -> None:
    made = api.create_udf_access_token("Greeting_Table")
    deleted = made.delete()
    assert deleted.token == made.token and deleted.udf_slug == "Greeting_Table"
    assert made.token not in [t.token for t in api.get_udf_access_tokens()]
    assert get(made.get_file_url())[0] == 404
    with pytest.raises(HTTPError) as raised:
        api.delete_udf_access_token(made.token)
    assert status_of(raised) == 404


# The URLs a token gives


@official_only(FUSED_API_CLASS)
def test_the_file_url_runs_the_udf(fused: ModuleType, server: Server, api: Any) -> None:
    token = api.create_udf_access_token("Greeting_Table")
    url = token.get_file_url()
    assert url == f"{server.url}/server/v1/realtime-shared/{token.token}/run"
    status, body = get(url)
    assert status == 200
    frame = pd.read_parquet(io.BytesIO(body))
    assert list(frame["greeting"]) == ["Hello, world!"] * 3
    status, body = get(token.get_file_url(format="json"))
    assert status == 200
    assert [row["greeting"] for row in json.loads(body)] == ["Hello, world!"] * 3
    status, body = get(token.get_file_url(format="csv") + "&name=Ada&n=1")
    assert status == 200 and b"Hello, Ada!" in body


@official_only(FUSED_API_CLASS)
def test_the_tile_url_runs_the_udf_for_a_tile(server: Server, api: Any) -> None:
    token = api.create_udf_access_token("Tile_Cells")
    template = token.get_tile_url()
    shared = f"{server.url}/server/v1/realtime-shared/{token.token}"
    assert template == f"{shared}/run/tiles/{{z}}/{{x}}/{{y}}"
    status, body = get(template.format(z=12, x=2074, y=1409) + "?format=geojson&label=here")
    assert status == 200
    features = json.loads(body)["features"]
    assert [feature["properties"]["label"] for feature in features] == ["here"]
    status, body = get(token.get_tile_url(x=2074, y=1409, z=12, format="geojson"))
    assert status == 200
    assert json.loads(body)["features"][0]["properties"]["label"] == "cell"


# Authorisation


@official_only(FUSED_API_CLASS)
def test_every_token_route_needs_the_private_token(server: Server, api: Any) -> None:
    token = api.create_udf_access_token("Greeting_Table").token
    base = f"{server.url}/server/v1/udf-access-token"
    routes = [
        ("POST", f"{base}/new", b'{"udf_slug": "Greeting_Table"}'),
        ("GET", f"{base}/self", None),
        ("GET", f"{base}/self?skip=0&limit=5", None),
        ("GET", f"{base}/by-token/{token}", None),
        ("POST", f"{base}/by-token/{token}", b'{"enabled": false}'),
        ("DELETE", f"{base}/by-token/{token}", None),
    ]
    for headers in ({}, {"Authorization": "Bearer " + "0" * 64},
                    {"Authorization": f"Bearer {token}"},
                    {"Authorization": f"Fused-Env-Bearer {server.private_token}x"}):
        for method, url, body in routes:
            status, _ = send(method, url, headers={**headers, "Content-Type": "application/json"},
                             body=body)
            assert status == 401, (method, url, headers)
    # Nothing was changed by the refused requests.
    assert api.get_udf_access_token(token).enabled is True
