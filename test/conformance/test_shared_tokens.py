"""Flow 1: shared-token runs with the client's defaults, results as the cloud returns them."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from conftest import Server


@pytest.fixture(scope="module")
def tokens(server: Server) -> dict[str, str]:
    names = ["Greeting_Table", "Tile_Cells", "Raster_Ramp", "Plain_Values", "Fails_On_Purpose"]
    return {name: server.create_token(name) for name in names}


def test_a_table_comes_back_as_a_dataframe(fused: ModuleType, tokens: dict[str, str]) -> None:
    df = fused.run(tokens["Greeting_Table"], name="Ada", n=2)
    assert isinstance(df, pd.DataFrame)
    assert list(df["greeting"]) == ["Hello, Ada!", "Hello, Ada!"]


def test_a_vector_tile_comes_back_as_a_geodataframe_in_4326(
    fused: ModuleType, tokens: dict[str, str]
) -> None:
    import geopandas as gpd

    gdf = fused.run(tokens["Tile_Cells"], x=2074, y=1409, z=12, label="here")
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["label"]) == ["here"]
    west, south, east, north = gdf.total_bounds
    assert 2.2 < west < east < 2.4 and 48.8 < south < north < 48.9


def test_a_raster_comes_back_as_an_array(fused: ModuleType, tokens: dict[str, str]) -> None:
    data = fused.run(tokens["Raster_Ramp"], x=4, y=2, z=3, size=8)
    values = np.asarray(data)
    assert values.shape[-2:] == (8, 8)
    assert int(values.min()) == 0 and int(values.max()) == 255


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("str", "hello"),
        ("dict", {"a": 1, "b": [1, 2]}),
        ("int", 42),
        ("none", None),
        ("list", [1, 2, 3]),
    ],
)
def test_simple_values_come_back_as_python_values(
    fused: ModuleType, tokens: dict[str, str], kind: str, expected: object
) -> None:
    assert fused.run(tokens["Plain_Values"], kind=kind) == expected


def test_run_shared_file_and_tile(fused: ModuleType, tokens: dict[str, str]) -> None:
    from fused.core import run_shared_file, run_shared_tile

    result = run_shared_file(tokens["Greeting_Table"], n=1)
    assert len(result.data if hasattr(result, "data") else result) == 1
    tile = run_shared_tile(tokens["Tile_Cells"], x=1, y=1, z=2)
    frame = tile.data if hasattr(tile, "data") else tile
    assert len(frame) == 1


def test_a_udf_error_raises_with_its_line(fused: ModuleType, tokens: dict[str, str]) -> None:
    with pytest.raises(Exception, match="line 8") as raised:
        fused.run(tokens["Fails_On_Purpose"], message="no luck")
    assert "no luck" in str(raised.value)


def test_a_parameter_the_udf_does_not_take_is_refused(
    fused: ModuleType, tokens: dict[str, str]
) -> None:
    with pytest.raises(Exception, match="colour"):
        fused.run(tokens["Greeting_Table"], colour="red")


def test_an_unknown_token_reads_as_a_sentence(fused: ModuleType) -> None:
    with pytest.raises(Exception, match="no such shared token"):
        fused.run("fsh_" + "x" * 32)
