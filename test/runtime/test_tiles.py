"""Tile math and tile mode: the first parameter receives the tile, converted by its annotation."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

import fused
from fused import UdfParameterError, UdfTileError
from fused._load import load_code
from fused._tiles import make_tile, tile_bounds

WEB_MERCATOR_LIMIT = 85.0511287798066


def test_tile_bounds_of_the_world_and_a_quarter():
    assert tile_bounds(0, 0, 0) == pytest.approx(
        [-180.0, -WEB_MERCATOR_LIMIT, 180.0, WEB_MERCATOR_LIMIT]
    )
    assert tile_bounds(1, 0, 1) == pytest.approx([0.0, 0.0, 180.0, WEB_MERCATOR_LIMIT])
    west, south, east, north = tile_bounds(9647, 12320, 15)
    assert west < east and south < north
    assert east - west == pytest.approx(360 / 2**15)


def test_coordinates_may_be_strings_of_integers():
    assert make_tile("1", "2", "3") == make_tile(1, 2, 3)


@pytest.mark.parametrize(
    ("x", "y", "z", "message"),
    [
        (2, 0, 1, "x=2 is out of range 0..1 for zoom 1"),
        (0, -1, 1, "y=-1 is out of range 0..1 for zoom 1"),
        (0, 0, 31, "z=31 is out of range 0..30"),
        (0, 0, -1, "z=-1 is out of range"),
        ("a", 0, 0, "x must be an integer"),
        (0.5, 0, 0, "x must be an integer"),
        (True, 0, 0, "x must be an integer"),
    ],
)
def test_out_of_range_or_non_integer_coordinates_are_clear_errors(
    x: object, y: object, z: object, message: str
):
    with pytest.raises(UdfTileError, match=message) as caught:
        make_tile(x, y, z)
    assert caught.value.code == "UDF_ERR_PARAM"


def tile_udf(parameter: str) -> fused.Udf:
    """A UDF whose first parameter is `parameter` and which returns that parameter's value."""
    name = parameter.split(":")[0].split("=")[0].strip()
    code = f"@fused.udf\ndef udf({parameter}, n: int = 1):\n    return {name}\n"
    return load_code(code, name="tile_udf")


def test_bounds_annotation_gets_a_list_of_four_floats():
    value = tile_udf("bounds: fused.types.Bounds = None")(x=1, y=0, z=1)
    assert value == pytest.approx([0.0, 0.0, 180.0, WEB_MERCATOR_LIMIT])
    assert isinstance(value, list)


def test_bbox_annotation_gets_a_shapely_box():
    value = tile_udf("box: fused.types.Bbox = None")(x=1, y=0, z=1)
    assert isinstance(value, Polygon)
    assert value.bounds == pytest.approx((0.0, 0.0, 180.0, WEB_MERCATOR_LIMIT))


@pytest.mark.parametrize("tile_type", ["Tile", "TileGDF", "ViewportGDF"])
def test_tile_types_get_a_geodataframe_with_x_y_z_geometry(tile_type: str):
    value = tile_udf(f"tile: fused.types.{tile_type} = None")(x=3, y=2, z=4)
    assert isinstance(value, gpd.GeoDataFrame)
    assert list(value.columns) == ["x", "y", "z", "geometry"]
    assert value.iloc[0][["x", "y", "z"]].tolist() == [3, 2, 4]
    assert value.crs.to_epsg() == 4326
    assert value.total_bounds.tolist() == pytest.approx(tile_bounds(3, 2, 4))


def test_no_annotation_gets_the_bounds_list():
    assert tile_udf("area")(x=0, y=0, z=0) == pytest.approx(tile_bounds(0, 0, 0))


def test_a_parameter_named_bbox_is_treated_as_bounds():
    assert tile_udf("bbox")(x=0, y=0, z=0) == pytest.approx(tile_bounds(0, 0, 0))
    legacy = tile_udf("bbox: fused.types.TileGDF = None")(x=0, y=0, z=0)
    assert isinstance(legacy, gpd.GeoDataFrame)
    assert tile_udf("bbox = None")(bounds=[1, 2, 3, 4]) == [1, 2, 3, 4]


def test_fused_run_takes_x_y_z_too():
    udf = tile_udf("bounds: fused.types.Bounds = None")
    assert fused.run(udf, x=0, y=0, z=0) == pytest.approx(tile_bounds(0, 0, 0))
    assert fused.run(udf, x="1", y="1", z="1", n=2) == pytest.approx(tile_bounds(1, 1, 1))


def test_the_tile_wins_over_a_bounds_value_given_by_name():
    udf = tile_udf("bounds: fused.types.Bounds = None")
    assert udf(bounds=[9, 9, 9, 9], x=0, y=0, z=0) == pytest.approx(tile_bounds(0, 0, 0))


def test_declared_x_y_z_parameters_receive_the_coordinates():
    udf = load_code(
        "@fused.udf\n"
        "def udf(bounds: fused.types.Bounds = None, x: int = -1, y: int = -1, z: int = -1):\n"
        "    return x, y, z\n",
        name="declares_xyz",
    )
    assert udf(x=5, y=6, z=4) == (5, 6, 4)
    assert udf(x=5, y=6) == (5, 6, -1)  # all given names are the UDF's own: plain parameters


@pytest.mark.parametrize(("given", "missing"), [({"x": 1, "y": 1}, "z"), ({"z": 3}, "x, y")])
def test_partial_tile_coordinates_are_a_clear_error(given: dict[str, int], missing: str):
    udf = tile_udf("bounds: fused.types.Bounds = None")
    with pytest.raises(UdfTileError, match=f"must be given together .*missing: {missing}"):
        udf(**given)
    with pytest.raises(UdfTileError, match="must be given together"):
        fused.run(udf, **given)


def test_out_of_range_tiles_are_rejected_before_running():
    udf = tile_udf("bounds: fused.types.Bounds = None")
    with pytest.raises(UdfTileError, match="out of range"):
        udf(x=4, y=0, z=2)


def test_a_first_parameter_with_another_annotation_cannot_take_a_tile():
    with pytest.raises(UdfParameterError, match="tile mode: the first parameter 'name'") as caught:
        tile_udf("name: str = 'x'")(x=0, y=0, z=0)
    assert caught.value.code == "UDF_ERR_PARAM"


def test_a_udf_without_parameters_ignores_the_tile():
    udf = load_code("@fused.udf\ndef udf():\n    return 'same'\n", name="no_parameters")
    assert udf(x=0, y=0, z=0) == "same"


@pytest.mark.parametrize(
    ("parameter", "tile_param"),
    [
        ("bounds: fused.types.Bounds = None", "bounds"),
        ("area: fused.types.Bounds = None", "area"),
        ("b: fused.types.Bbox = None", "b"),
        ("t: fused.types.Tile = None", "t"),
        ("t: fused.types.TileGDF = None", "t"),
        ("t: fused.types.ViewportGDF = None", "t"),
        ("bbox", "bbox"),
        ("bounds: list = None", "bounds"),
        ("area", None),
        ("name: str = 'x'", None),
    ],
)
def test_tile_param_is_the_first_parameter_when_tile_typed_or_named_bounds(
    parameter: str, tile_param: str | None
):
    assert tile_udf(parameter).prepared().plan.tile_param == tile_param
