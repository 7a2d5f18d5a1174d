"""mvt: geotables cut for one tile, decoded with mapbox_vector_tile (and GDAL when it has MVT)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPoint, Point, Polygon, box
from shapely.geometry.polygon import orient

from fused import UdfResultError, encode_result
from fused._encoders.vector_tile import property_value
from fused._tiles import TileCoord, make_tile, tile_bounds

TILE = make_tile(300, 400, 10)
WEST, SOUTH, EAST, NORTH = tile_bounds(300, 400, 10)
HALF_WORLD = math.pi * 6378137.0


def lonlat_at(tile: TileCoord, fx: float, fy: float) -> tuple[float, float]:
    """The longitude/latitude at a fraction of the tile's width (from the west) and height
    (from the north), on the Web Mercator grid."""
    size = 2 * HALF_WORLD / (1 << tile.z)
    x = -HALF_WORLD + (tile.x + fx) * size
    y = HALF_WORLD - (tile.y + fy) * size
    return x / HALF_WORLD * 180.0, math.degrees(math.atan(math.sinh(y / 6378137.0)))


def decode(payload: bytes, y_down: bool = True) -> dict[str, Any]:
    layers: dict[str, Any] = mapbox_vector_tile.decode(
        payload, default_options={"y_coord_down": y_down}
    )
    return layers


def frame_of(geometries: list[Any], **columns: list[Any]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geometries, crs="EPSG:4326")


def test_one_layer_named_udf_with_extent_4096():
    encoded = encode_result(frame_of([Point(*lonlat_at(TILE, 0.5, 0.5))]), ["pbf"], tile=TILE)
    assert (encoded.kind, encoded.format, encoded.content_type) == (
        "geotable",
        "mvt",
        "application/vnd.mapbox-vector-tile",
    )
    layers = decode(encoded.payload)
    assert list(layers) == ["udf"]
    assert layers["udf"]["extent"] == 4096
    assert layers["udf"]["version"] == 2


def test_known_points_land_at_their_tile_coordinates_with_y_down():
    points = [
        Point(WEST, NORTH),
        Point(*lonlat_at(TILE, 0.5, 0.5)),
        Point(*lonlat_at(TILE, 0.25, 0.75)),
        Point(EAST, SOUTH),
    ]
    payload = encode_result(frame_of(points, n=[0, 1, 2, 3]), ["mvt"], tile=TILE).payload
    features = sorted(decode(payload)["udf"]["features"], key=lambda f: f["properties"]["n"])
    coordinates = [feature["geometry"]["coordinates"] for feature in features]
    assert coordinates == [[0, 0], [2048, 2048], [1024, 3072], [4096, 4096]]
    # The library's default decoding flips y back up: the same north-west corner at (0, 4096).
    flipped = decode(payload, y_down=False)["udf"]["features"]
    north_west = next(f for f in flipped if f["properties"]["n"] == 0)
    assert north_west["geometry"]["coordinates"] == [0, 4096]


def test_a_polygon_covering_the_tile_is_clipped_to_the_buffer():
    world = box(-179, -85, 179, 85)
    payload = encode_result(frame_of([world], name=["world"]), ["mvt"], tile=TILE).payload
    (feature,) = decode(payload)["udf"]["features"]
    assert feature["geometry"]["type"] == "Polygon"
    ring = np.array(feature["geometry"]["coordinates"][0])
    assert ring.min(axis=0).tolist() == [-64, -64]
    assert ring.max(axis=0).tolist() == [4160, 4160]
    assert feature["properties"] == {"name": "world"}


def test_features_outside_the_buffered_tile_and_empty_geometries_are_dropped():
    step_lon = (EAST - WEST) / 4096
    middle = lonlat_at(TILE, 0.0, 0.5)[1]
    inside_buffer = Point(WEST - 32 * step_lon, middle)
    outside_buffer = Point(WEST - 100 * step_lon, middle)
    frame = frame_of(
        [
            Point(*lonlat_at(TILE, 0.5, 0.5)),
            Point(WEST - 1.0, NORTH),
            outside_buffer,
            inside_buffer,
            Polygon(),
            None,
            box(EAST + 0.5, SOUTH, EAST + 1.0, NORTH),
        ],
        name=["in", "far", "outside", "buffer", "empty", "none", "east"],
    )
    features = decode(encode_result(frame, ["mvt"], tile=TILE).payload)["udf"]["features"]
    assert sorted(f["properties"]["name"] for f in features) == ["buffer", "in"]
    buffered = next(f for f in features if f["properties"]["name"] == "buffer")
    assert buffered["geometry"]["coordinates"] == [-32, 2048]


def test_lines_and_multipoints_are_clipped_to_the_buffer():
    step_lon = (EAST - WEST) / 4096
    middle = lonlat_at(TILE, 0.0, 0.5)[1]
    line = LineString([(WEST - 1.0, middle), (EAST + 1.0, middle)])
    points = MultiPoint([(EAST + 63 * step_lon, middle), (EAST + 65 * step_lon, middle)])
    frame = frame_of([line, points], name=["line", "points"])
    features = decode(encode_result(frame, ["mvt"], tile=TILE).payload)["udf"]["features"]
    by_name = {f["properties"]["name"]: f["geometry"] for f in features}
    assert by_name["line"]["type"] == "LineString"
    assert by_name["line"]["coordinates"] == [[-64, 2048], [4160, 2048]]
    assert by_name["points"] == {"type": "Point", "coordinates": [4159, 2048]}


def test_properties_are_plain_values_and_missing_ones_are_left_out():
    frame = frame_of(
        [Point(*lonlat_at(TILE, 0.5, 0.5))] * 2,
        name=["a", None],
        count=[3, 4],
        ratio=[0.5, np.nan],
        flag=[True, False],
        when=pd.to_datetime(["2024-05-06T07:08:09", None]),
        nullable=pd.array([7, None], dtype="Int64"),
        mixed=[np.int64(5), {"k": [1, 2]}],
        big=np.array([2**63 + 1, 1], dtype=np.uint64),
    )
    features = decode(encode_result(frame, ["mvt"], tile=TILE).payload)["udf"]["features"]
    assert features[0]["properties"] == {
        "name": "a",
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "when": "2024-05-06T07:08:09",
        "nullable": 7,
        "mixed": 5,
        "big": float(2**63 + 1),
    }
    assert features[1]["properties"] == {
        "count": 4,
        "flag": False,
        "mixed": '{"k":[1,2]}',
        "big": 1,
    }


def test_property_values_convert_numpy_scalars_dates_and_missing_values():
    assert property_value(np.float32(0.5)) == 0.5
    assert property_value(np.bool_(True)) is True
    assert property_value(np.datetime64("2024-01-02T03:04")) == "2024-01-02T03:04"
    assert property_value(np.datetime64("NaT")) is None
    assert property_value(pd.NaT) is None
    assert property_value(pd.NA) is None
    assert property_value(float("inf")) is None
    assert property_value(Point(1, 2)) == "POINT (1 2)"


def test_other_crs_and_no_crs_give_the_same_tile():
    geometries = [box(*lonlat_at(TILE, 0.1, 0.9), *lonlat_at(TILE, 0.6, 0.2))]
    in_degrees = frame_of(geometries, name=["a"])
    expected = encode_result(in_degrees, ["mvt"], tile=TILE).payload
    assert encode_result(in_degrees.to_crs(3857), ["mvt"], tile=TILE).payload == expected
    no_crs = gpd.GeoDataFrame({"name": ["a"]}, geometry=geometries)
    assert encode_result(no_crs, ["mvt"], tile=TILE).payload == expected


def test_polygon_rings_follow_the_spec_winding_in_y_down_tile_coordinates():
    outer = box(*lonlat_at(TILE, 0.1, 0.9), *lonlat_at(TILE, 0.9, 0.1))
    hole = box(*lonlat_at(TILE, 0.4, 0.6), *lonlat_at(TILE, 0.6, 0.4))
    polygon = Polygon(outer.exterior.coords, [hole.exterior.coords[::-1]])
    payload = encode_result(frame_of([orient(polygon)]), ["mvt"], tile=TILE)
    (feature,) = decode(payload.payload)["udf"]["features"]
    exterior, interior = feature["geometry"]["coordinates"]
    # The surveyor's formula in tile coordinates: exterior rings positive, holes negative.
    assert shapely.Polygon(exterior).area > 0
    assert signed_area(exterior) > 0 > signed_area(interior)


def signed_area(ring: list[list[int]]) -> float:
    points = np.array(ring, dtype=float)
    x, y = points[:, 0], points[:, 1]
    return float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) / 2)


def test_geometry_collections_become_one_feature_per_family():
    centre = lonlat_at(TILE, 0.5, 0.5)
    collection = GeometryCollection(
        [
            Point(centre),
            box(*lonlat_at(TILE, 0.1, 0.3), *lonlat_at(TILE, 0.3, 0.1)),
            LineString([lonlat_at(TILE, 0.7, 0.7), lonlat_at(TILE, 0.9, 0.9)]),
            Point(lonlat_at(TILE, 0.2, 0.8)),
        ]
    )
    features = decode(
        encode_result(frame_of([collection], name=["c"]), ["mvt"], tile=TILE).payload
    )["udf"]["features"]
    assert sorted(f["geometry"]["type"] for f in features) == [
        "LineString",
        "MultiPoint",
        "Polygon",
    ]
    assert all(f["properties"] == {"name": "c"} for f in features)


def test_an_empty_geotable_is_a_tile_with_an_empty_layer():
    frame = frame_of([], name=[])
    encoded = encode_result(frame, ["mvt"], tile=TILE)
    assert encoded.empty is True
    assert decode(encoded.payload).get("udf", {"features": []})["features"] == []


def test_mvt_without_a_tile_is_udf_err_format():
    with pytest.raises(UdfResultError) as caught:
        encode_result(frame_of([Point(0, 0)]), ["mvt"])
    assert caught.value.code == "UDF_ERR_FORMAT"
    assert "mvt needs a tile URL" in caught.value.message


def test_gdal_reads_the_tile_at_the_right_place(tmp_path: Path):
    pyogrio = pytest.importorskip("pyogrio")
    if "MVT" not in pyogrio.list_drivers():
        pytest.skip("this GDAL has no MVT driver")
    outer = box(*lonlat_at(TILE, 0.1, 0.9), *lonlat_at(TILE, 0.9, 0.1))
    hole = box(*lonlat_at(TILE, 0.4, 0.6), *lonlat_at(TILE, 0.6, 0.4))
    frame = frame_of(
        [Point(WEST, NORTH), outer.difference(hole)], name=["corner", "ring"], n=[1, 2]
    )
    # GDAL georeferences a single tile from its z/x/y path.
    path = tmp_path / "10" / "300" / "400.pbf"
    path.parent.mkdir(parents=True)
    path.write_bytes(encode_result(frame, ["mvt"], tile=TILE).payload)
    read = pyogrio.read_dataframe(path).to_crs(4326).set_index("name")
    corner = read.geometry["corner"]
    assert (corner.x, corner.y) == pytest.approx((WEST, NORTH), abs=1e-6)
    ring = read.geometry["ring"]
    assert ring.is_valid and len(ring.interiors) == 1
    assert ring.area == pytest.approx(outer.difference(hole).area, rel=0.01)
    assert ring.contains(Point(lonlat_at(TILE, 0.2, 0.2)))
    assert not ring.contains(Point(lonlat_at(TILE, 0.5, 0.5)))


def test_polygons_turned_all_at_once_match_turning_each_one():
    # Polygons without holes are oriented in one vectorized pass; the others one by one. Both
    # must give what orienting every polygon on its own gives.
    from fused._encoders.vector_tile import _orient_counterclockwise

    clockwise = Polygon([(0, 0), (0, 2), (2, 2), (2, 0)])
    holed = Polygon([(0, 0), (0, 9), (9, 9), (9, 0)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    geometries = np.array(
        [
            clockwise,
            orient(clockwise, sign=1.0),
            holed,
            shapely.MultiPolygon([clockwise, box(5, 5, 6, 6)]),
            GeometryCollection([clockwise, Point(1, 1)]),
            LineString([(0, 0), (1, 1)]),
            Point(3, 3),
        ],
        dtype=object,
    )
    turned = _orient_counterclockwise(geometries)
    assert shapely.is_ccw(shapely.get_exterior_ring(turned[0]))
    assert [geometry.wkt for geometry in turned] == [
        orient(clockwise, sign=1.0).wkt,
        orient(clockwise, sign=1.0).wkt,
        orient(holed, sign=1.0).wkt,
        shapely.MultiPolygon([orient(clockwise, sign=1.0), orient(box(5, 5, 6, 6), sign=1.0)]).wkt,
        GeometryCollection([orient(clockwise, sign=1.0), Point(1, 1)]).wkt,
        "LINESTRING (0 0, 1 1)",
        "POINT (3 3)",
    ]
