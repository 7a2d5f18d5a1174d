"""Argument conversion by annotation (fused-compat.md section 2), one rule at a time."""

from __future__ import annotations

import json
import typing
import uuid
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

import fused
from fused import UdfParameterError
from fused._load import load_code

FEATURES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "a"},
            "geometry": {"type": "Point", "coordinates": [1.0, 2.0]},
        },
        {
            "type": "Feature",
            "properties": {"name": "b"},
            "geometry": {"type": "Point", "coordinates": [3.0, -4.0]},
        },
    ],
}


def echo(annotation: object) -> fused.Udf:
    """A UDF `udf(v: <annotation>)` that returns v."""

    def udf(v):  # type: ignore[no-untyped-def]
        return v

    udf.__annotations__["v"] = annotation
    return fused.udf(udf)


def convert(annotation: object, text: object) -> Any:
    return echo(annotation)(v=text)


@pytest.mark.parametrize(
    ("annotation", "text", "expected"),
    [
        (str, "abc", "abc"),
        (int, "42", 42),
        (int, "-7", -7),
        (float, "2.5", 2.5),
        (float, "1e3", 1000.0),
        (list, "[1, 2]", [1, 2]),
        (typing.List[int], "[1, 2]", [1, 2]),  # noqa: UP006 - the typing form must work too
        (list[str], '["a"]', ["a"]),
        (dict, '{"a": 1}', {"a": 1}),
        (typing.Dict[str, int], '{"a": 1}', {"a": 1}),  # noqa: UP006
        (tuple, "[1, 2]", (1, 2)),
        (
            uuid.UUID,
            "12345678-1234-5678-1234-567812345678",
            uuid.UUID(int=0x12345678123456781234567812345678),
        ),
        (typing.Optional[int], "5", 5),  # noqa: UP045 - the typing form must work too
        (int | None, "6", 6),
        (typing.Literal["a", "b"], "b", "b"),
        (fused.types.Bounds, "[0, 1, 2.5, 3]", [0.0, 1.0, 2.5, 3.0]),
        (fused.types.Bounds, json.dumps(FEATURES), [1.0, -4.0, 3.0, 2.0]),
        (typing.Optional[fused.types.Bounds], "[0, 1, 2, 3]", [0.0, 1.0, 2.0, 3.0]),  # noqa: UP045
    ],
)
def test_strings_convert_by_annotation(annotation: object, text: str, expected: object):
    result = convert(annotation, text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("text", ["false", "False", "FALSE", " false "])
def test_bool_is_false_only_for_false(text: str):
    assert convert(bool, text) is False


@pytest.mark.parametrize("text", ["true", "0", "no", "", "off", "1"])
def test_bool_is_true_for_anything_else(text: str):
    assert convert(bool, text) is True


def test_no_annotation_passes_the_string_as_is():
    @fused.udf
    def udf(v):  # type: ignore[no-untyped-def]
        return v

    assert udf(v="42") == "42"


def test_non_string_values_pass_through_unchanged():
    marker = object()
    assert convert(int, marker) is marker
    assert convert(str, 3) == 3
    assert convert(fused.types.Bounds, [1, 2, 3, 4]) == [1, 2, 3, 4]


def test_bbox_is_a_shapely_box():
    box = convert(fused.types.Bbox, "[0, 1, 2, 3]")
    assert isinstance(box, Polygon)
    assert box.bounds == (0.0, 1.0, 2.0, 3.0)


def test_geodataframe_from_geojson_keeps_properties_in_epsg_4326():
    frame = convert(gpd.GeoDataFrame, json.dumps(FEATURES))
    assert isinstance(frame, gpd.GeoDataFrame)
    assert frame.crs.to_epsg() == 4326
    assert list(frame["name"]) == ["a", "b"]
    assert frame.geometry.iloc[1].equals(Point(3, -4))


def test_geodataframe_from_a_json_list_is_a_box():
    frame = convert(gpd.GeoDataFrame, "[0, 0, 1, 1]")
    assert len(frame) == 1
    assert frame.total_bounds.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_dataframe_from_json_records():
    frame = convert(pd.DataFrame, '[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]')
    assert isinstance(frame, pd.DataFrame)
    assert frame.to_dict("records") == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


@pytest.mark.parametrize("annotation", [Polygon, BaseGeometry, shapely.Geometry])
def test_shapely_geometry_from_wkt(annotation: type):
    geometry = convert(annotation, "POLYGON ((0 0, 1 0, 1 1, 0 0))")
    assert isinstance(geometry, Polygon)
    assert geometry.area == 0.5


@pytest.mark.parametrize(
    ("annotation", "text", "expected"),
    [
        (int, "4.2", "int"),
        (int, "0x10", "int"),
        (int, "", "int"),
        (float, "abc", "float"),
        (list, '{"a": 1}', "a JSON list"),
        (list, "not json", "a JSON list"),
        (dict, "[1]", "a JSON object"),
        (tuple, "3", "a JSON list (tuple)"),
        (uuid.UUID, "nope", "a UUID"),
        (fused.types.Bounds, "[1, 2, 3]", "fused.types.Bounds"),
        (fused.types.Bounds, '{"type": "Nope"}', "fused.types.Bounds"),
        (fused.types.Bbox, "x", "fused.types.Bbox"),
        (gpd.GeoDataFrame, "3", "a GeoDataFrame"),
        (pd.DataFrame, "[1, 2]", "a DataFrame"),
        (Polygon, "POINT (1 2)", "WKT of a Polygon"),
        (Polygon, "nonsense", "WKT of a Polygon"),
        (typing.Literal["a", "b"], "c", "one of 'a', 'b'"),
        (int | None, "x", "int"),
    ],
)
def test_failing_conversion_names_the_parameter_and_type(
    annotation: object, text: str, expected: str
):
    with pytest.raises(UdfParameterError) as caught:
        convert(annotation, text)
    error = caught.value
    assert error.code == "UDF_ERR_PARAM"
    assert "parameter 'v'" in str(error)
    assert f"expects {expected}" in str(error)
    assert isinstance(error, TypeError)


def test_string_annotations_are_resolved_even_for_names_imported_inside_the_udf():
    udf = load_code(
        "from __future__ import annotations\n"
        "import typing\n"
        "@fused.udf\n"
        "def udf(n: int, gdf: gpd.GeoDataFrame, b: fused.types.Bounds,\n"
        "        o: typing.Optional[float] = None, t: Unknown = None):\n"
        "    import geopandas as gpd\n"
        "    return n, type(gdf).__name__, b, o, t\n",
        name="string_annotations",
    )
    assert udf(n="3", gdf="[0, 0, 1, 1]", b="[0, 0, 1, 1]", o="1.5", t="as is") == (
        3,
        "GeoDataFrame",
        [0.0, 0.0, 1.0, 1.0],
        1.5,
        "as is",
    )
    annotations = [spec.annotation for spec in udf.prepared().plan.parameters]
    assert annotations == [
        "int",
        "gpd.GeoDataFrame",
        "fused.types.Bounds",
        "typing.Optional[float]",
        "Unknown",
    ]


def test_described_annotations_of_evaluated_annotations_are_readable():
    udf = load_code(
        "import geopandas as gpd\n"
        "@fused.udf\n"
        "def udf(b: fused.types.Bounds, gdf: gpd.GeoDataFrame, n: int = 1,\n"
        "        o: float | None = None, free=None):\n"
        "    return None\n",
        name="evaluated_annotations",
    )
    assert [spec.annotation for spec in udf.prepared().plan.parameters] == [
        "fused.types.Bounds",
        "geopandas.GeoDataFrame",
        "int",
        "float | None",
        None,
    ]
