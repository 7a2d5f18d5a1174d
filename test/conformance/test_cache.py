"""Flow 7: invalidating a UDF's cached results, which the next run then computes again."""

from __future__ import annotations

import urllib.request
from types import ModuleType

import pytest

from conftest import FUSED_API_CLASS, Server, official_only


@pytest.fixture(scope="module")
def clock(server: Server) -> str:
    return server.create_token("Clock_Value")


@pytest.fixture(scope="module")
def clock_tile(server: Server) -> str:
    return server.create_token("Clock_Tile")


def _stamp(fused: ModuleType, token: str, **tile: int) -> int:
    result = fused.run(token, **tile)
    return int(result["stamp"].iloc[0]) if tile else int(result)


def test_invalidate_cache_recomputes(fused: ModuleType, clock: str) -> None:
    first = _stamp(fused, clock)
    assert _stamp(fused, clock) == first  # a cached answer
    fused.load("Clock_Value").invalidate_cache()
    again = _stamp(fused, clock)
    assert again != first
    assert _stamp(fused, clock) == again


@official_only(
    "the official client discovers realtime_client_id from the server's realtime instances; "
    "the runtime's fused has one engine, whose instance it calls \"local\""
)
def test_the_client_found_the_realtime_instance(fused: ModuleType, clock: str) -> None:
    fused.load("Clock_Value").invalidate_cache()
    # As with the hosted API, the client asked the server for its instance; none was set by hand.
    assert fused.options.realtime_client_id == "udf-studio-local"


def test_invalidate_one_tile(fused: ModuleType, clock_tile: str) -> None:
    kept = {"x": 1, "y": 1, "z": 2}
    dropped = {"x": 2, "y": 1, "z": 2}
    kept_stamp = _stamp(fused, clock_tile, **kept)
    dropped_stamp = _stamp(fused, clock_tile, **dropped)
    fused.load("Clock_Tile").invalidate_cache(**dropped)
    assert _stamp(fused, clock_tile, **kept) == kept_stamp
    assert _stamp(fused, clock_tile, **dropped) != dropped_stamp


@official_only(FUSED_API_CLASS)
def test_fused_api_invalidate_cache(fused: ModuleType, clock: str) -> None:
    from fused.api import FusedAPI

    first = _stamp(fused, clock)
    FusedAPI().invalidate_cache(fused.load("Clock_Value").metadata["fused:id"])
    assert _stamp(fused, clock) != first


def test_half_a_tile_is_refused_by_the_client(fused: ModuleType) -> None:
    with pytest.raises(ValueError, match="z, x, y"):
        fused.load("Clock_Tile").invalidate_cache(z=2, x=1)


def test_the_service_token_route(fused: ModuleType, server: Server, clock: str) -> None:
    udf_id = fused.load("Clock_Value").metadata["fused:id"]
    first = _stamp(fused, clock)
    request = urllib.request.Request(
        f"{server.url}/server/v1/realtime-shared/udf-studio-local/udf-cache/by-id/{udf_id}/delete",
        headers={"Authorization": f"fused-service-token {server.private_token}"},
        method="DELETE",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert _stamp(fused, clock) != first


def test_a_code_run_is_recomputed_after_invalidation(fused: ModuleType) -> None:
    # `fused.run("Name")` is a code run (`.../run/udf/start`), cached under the UDF's id.
    first = fused.run("Clock_Value")
    assert fused.run("Clock_Value") == first
    fused.load("Clock_Value").invalidate_cache()
    assert fused.run("Clock_Value") != first
