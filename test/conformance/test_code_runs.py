"""Flow 3: code runs of a local `@fused.udf` with the client's defaults.

The client sends the UDF's code to `.../run/udf/start` under a run id of its own and polls
`.../run/udf/get/{run_id}` while the answer is 202. Each UDF says where it ran, so a run that
quietly happened in the test process cannot pass for one on the server.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

from conftest import Server

# A UDF running in one of the engine's workers sees this variable; the test process does not.
ON_SERVER = "1"


@pytest.fixture(scope="module")
def udfs(fused: ModuleType) -> dict[str, Any]:
    @fused.udf
    def where(tag: str = "", n: int = 1):
        import os

        import pandas as pd

        place = os.environ.get("UDF_STUDIO_WORKER", "client")
        print(f"running {tag} in {place}")
        return pd.DataFrame({"where": [place] * n, "tag": [tag] * n})

    @fused.udf
    def fails(message: str = "boom"):
        print("about to fail")
        raise ValueError(message)

    @fused.udf
    def chatty(tag: str = ""):
        print("é" * 5000)
        return tag

    @fused.udf
    def cell(bounds: fused.types.Bounds = None, label: str = "cell"):
        import geopandas as gpd
        import shapely

        return gpd.GeoDataFrame({"label": [label]}, geometry=[shapely.box(*bounds)], crs=4326)

    return {"where": where, "fails": fails, "chatty": chatty, "cell": cell}


def fresh() -> str:
    """A parameter value no earlier run used, so the result cache cannot answer."""
    return uuid.uuid4().hex


def test_fused_run_sends_the_code_to_the_server(fused: ModuleType, udfs: dict[str, Any]) -> None:
    tag = fresh()
    df = fused.run(udfs["where"], tag=tag, n=2)
    assert isinstance(df, pd.DataFrame)
    assert list(df["where"]) == [ON_SERVER, ON_SERVER]
    assert list(df["tag"]) == [tag, tag]


def test_calling_the_udf_runs_it_on_the_server_too(udfs: dict[str, Any]) -> None:
    tag = fresh()
    df = udfs["where"](tag=tag)
    assert list(df["where"]) == [ON_SERVER]


def test_the_local_engine_needs_nothing_from_the_server(
    fused: ModuleType, udfs: dict[str, Any]
) -> None:
    df = fused.run(udfs["where"], tag=fresh(), engine="local")
    assert list(df["where"]) == ["client"]


def test_a_tile_run_comes_back_as_a_geodataframe(fused: ModuleType, udfs: dict[str, Any]) -> None:
    gdf = fused.run(udfs["cell"], x=2074, y=1409, z=12, label=fresh())
    assert gdf.crs.to_epsg() == 4326
    west, south, east, north = gdf.total_bounds
    assert 2.2 < west < east < 2.4 and 48.8 < south < north < 48.9


def test_a_run_longer_than_the_request_timeout_is_polled(fused: ModuleType, server: Server) -> None:
    assert fused.options.request_timeout == 5
    slow = fused.load(str(server.workspace / "Slow_Table" / "Slow_Table.py"))
    started = time.monotonic()
    df = fused.run(slow, seconds=6.0 + uuid.uuid4().int % 1000 / 10_000)
    assert time.monotonic() - started > 6
    assert 6 <= float(df["slept"][0]) < 6.1


def test_run_async_and_sync_false(fused: ModuleType, udfs: dict[str, Any]) -> None:
    tag = fresh()
    df = asyncio.run(fused.run_async(udfs["where"], tag=tag))
    assert list(df["tag"]) == [tag]
    with pytest.warns(fused.warnings.FusedDeprecationWarning):
        pending = fused.run(udfs["where"], tag=tag + "-old", sync=False)
    assert list(asyncio.run(pending)["tag"]) == [tag + "-old"]


def test_an_async_run_longer_than_the_request_timeout_is_polled(
    fused: ModuleType, server: Server
) -> None:
    slow = fused.load(str(server.workspace / "Slow_Table" / "Slow_Table.py"))
    seconds = 6.0 + uuid.uuid4().int % 1000 / 10_000
    df = asyncio.run(fused.run_async(slow, seconds=seconds))
    assert float(df["slept"][0]) == pytest.approx(seconds)


def test_an_async_run_of_a_udf_that_prints_a_lot(fused: ModuleType, udfs: dict[str, Any]) -> None:
    # The async reader refuses a header field over 12,000 bytes; the output goes in one, clipped.
    tag = fresh()
    assert asyncio.run(fused.run_async(udfs["chatty"], tag=tag)) == tag


def test_the_udf_output_shows_when_verbose(
    fused: ModuleType, udfs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = fresh()
    fused.run(udfs["where"], tag=quiet)
    assert quiet not in capsys.readouterr().out
    loud = fresh()
    fused.run(udfs["where"], tag=loud, verbose=True)
    assert f"running {loud} in {ON_SERVER}" in capsys.readouterr().out


def test_a_udf_error_raises_with_its_line_and_output(
    fused: ModuleType, udfs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from fused.types import UdfRuntimeError

    message = f"no luck {fresh()}"
    with pytest.raises(UdfRuntimeError, match="line 4") as raised:
        fused.run(udfs["fails"], message=message)
    assert message in str(raised.value)
    assert "about to fail" in capsys.readouterr().out
