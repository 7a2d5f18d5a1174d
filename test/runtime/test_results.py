"""Result kinds and formats, each payload decoded with a real reader."""

from __future__ import annotations

import datetime
import io
import json
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import xarray as xr
from PIL import Image
from shapely.geometry import Point, box

from fused import UdfResultError, encode_result
from fused._results import KIND_FORMATS, classify


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"name": ["a", "b"], "value": [1.5, 2.5]})


@pytest.fixture
def geoframe() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[Point(1, 2), box(0, 0, 1, 1)], crs="EPSG:4326"
    )


def test_dataframe_as_csv_parquet_and_json_records(frame: pd.DataFrame):
    csv = encode_result(frame, ["csv"])
    assert (csv.kind, csv.format, csv.content_type) == ("table", "csv", "text/csv; charset=utf-8")
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(csv.payload)), frame)

    parquet = encode_result(frame, ["parquet"])
    assert parquet.content_type == "application/vnd.apache.parquet"
    assert pq.read_table(io.BytesIO(parquet.payload)).to_pydict() == frame.to_dict("list")

    records = encode_result(frame, ["json"])
    assert records.content_type == "application/json"
    assert json.loads(records.payload) == frame.to_dict("records")


def test_series_is_a_one_column_table():
    encoded = encode_result(pd.Series([1, 2], name="count"), ["csv"])
    assert encoded.kind == "table"
    assert pd.read_csv(io.BytesIO(encoded.payload))["count"].tolist() == [1, 2]


def test_named_index_is_kept_and_integer_columns_become_strings():
    frame = pd.DataFrame({0: [1, 2]}, index=pd.Index(["x", "y"], name="key"))
    table = pq.read_table(io.BytesIO(encode_result(frame, ["parquet"]).payload)).to_pandas()
    assert table.index.tolist() == ["x", "y"]
    assert table.columns.tolist() == ["0"]


def test_geodataframe_as_geojson_parquet_json_and_csv(geoframe: gpd.GeoDataFrame):
    geojson = encode_result(geoframe, ["geojson"])
    assert (geojson.kind, geojson.content_type) == ("geotable", "application/geo+json")
    read = gpd.read_file(io.BytesIO(geojson.payload))
    assert read["name"].tolist() == ["a", "b"]
    assert read.geometry.iloc[0].equals(Point(1, 2))

    parquet = gpd.read_parquet(io.BytesIO(encode_result(geoframe, ["parquet"]).payload))
    assert parquet.crs.to_epsg() == 4326
    assert parquet.geometry.iloc[1].equals(box(0, 0, 1, 1))

    as_json = json.loads(encode_result(geoframe, ["json"]).payload)
    assert as_json["type"] == "FeatureCollection"
    assert len(as_json["features"]) == 2

    csv = pd.read_csv(io.BytesIO(encode_result(geoframe, ["csv"]).payload))
    assert csv["geometry"].tolist()[0] == "POINT (1 2)"


def test_geojson_is_reprojected_to_epsg_4326(geoframe: gpd.GeoDataFrame):
    mercator = geoframe.to_crs(3857)
    read = json.loads(encode_result(mercator, ["geojson"]).payload)
    assert read["features"][0]["geometry"]["coordinates"] == pytest.approx([1.0, 2.0])


def test_default_formats_by_kind_and_from_the_request(
    frame: pd.DataFrame, geoframe: gpd.GeoDataFrame
):
    assert encode_result(frame).format == "csv"
    assert encode_result(geoframe).format == "geojson"
    assert encode_result(frame, [], {"table": "parquet"}).format == "parquet"


def test_the_first_requested_format_the_kind_supports_wins(frame: pd.DataFrame):
    assert encode_result(frame, ["png", "parquet", "csv"]).format == "parquet"
    assert encode_result(np.zeros((2, 2), np.uint8), ["parquet", "png"]).format == "png"


def test_aliases_and_case_are_accepted():
    assert encode_result(np.zeros((2, 2), np.uint8), ["JPG", "png"]).format == "jpeg"
    assert encode_result(np.zeros((2, 2), np.uint8), ["Tif"]).format == "tiff"
    assert encode_result("plain", ["txt"]).format == "text"
    assert encode_result("<p>hi</p>", ["htm"]).format == "html"


def test_no_fitting_format_is_udf_err_format_naming_kind_and_formats(frame: pd.DataFrame):
    with pytest.raises(UdfResultError) as caught:
        encode_result(frame, ["png", "jpg"])
    error = caught.value
    assert error.code == "UDF_ERR_FORMAT"
    assert (
        "the result is a table, which can be encoded as "
        "parquet, json, feather, csv, html, excel, xml;" in error.message
    )
    assert "png, jpeg" in error.message


def png_pixels(payload: bytes) -> tuple[str, np.ndarray]:
    image = Image.open(io.BytesIO(payload))
    return image.mode, np.asarray(image)


def test_uint8_arrays_are_written_as_they_are():
    array = np.array([[0, 7], [128, 255]], dtype=np.uint8)
    encoded = encode_result(array, ["png"])
    assert (encoded.kind, encoded.content_type) == ("raster", "image/png")
    mode, pixels = png_pixels(encoded.payload)
    assert mode == "L"
    assert pixels.tolist() == array.tolist()


def test_other_dtypes_are_scaled_from_min_max_and_nan_is_transparent():
    array = np.array([[10.0, 20.0], [30.0, np.nan]])
    mode, pixels = png_pixels(encode_result(array).payload)
    assert mode == "LA"
    assert pixels[..., 0].tolist() == [[0, 128], [255, 0]]
    assert pixels[..., 1].tolist() == [[255, 255], [255, 0]]


def test_band_counts_give_grey_rgb_and_rgba():
    rgb = np.stack([np.full((2, 3), value, np.uint8) for value in (10, 20, 30)])
    mode, pixels = png_pixels(encode_result(rgb).payload)
    assert mode == "RGB" and pixels.shape == (2, 3, 3)
    assert pixels[0, 0].tolist() == [10, 20, 30]
    rgba = np.concatenate([rgb, np.full((1, 2, 3), 200, np.uint8)])
    assert png_pixels(encode_result(rgba).payload)[0] == "RGBA"
    single = np.zeros((1, 4, 4), np.int16)
    assert png_pixels(encode_result(single).payload)[0] == "L"


def test_array_with_bounds_tuple_is_a_raster_with_its_bounds():
    array = np.arange(6, dtype=np.uint16).reshape(2, 3)
    classified = classify((array, [0, 0, 1, 1]))
    assert classified.kind == "raster"
    assert classified.bounds == [0.0, 0.0, 1.0, 1.0]
    _, pixels = png_pixels(encode_result((array, (0, 0, 1, 1))).payload)
    assert pixels.tolist() == [[0, 51, 102], [153, 204, 255]]


def test_pil_images_and_xarray_are_rasters():
    image = Image.new("RGB", (3, 2), (1, 2, 3))
    assert png_pixels(encode_result(image).payload)[1][0, 0].tolist() == [1, 2, 3]
    data_array = xr.DataArray(np.ones((2, 2), np.uint8) * 9)
    assert png_pixels(encode_result(data_array).payload)[1].tolist() == [[9, 9], [9, 9]]


def test_too_many_bands_cannot_be_drawn():
    with pytest.raises(UdfResultError, match="1 to 4 bands") as caught:
        encode_result(np.zeros((5, 6, 7)))
    assert caught.value.code == "UDF_ERR_RESULT"


def test_json_of_dicts_and_lists_handles_numpy_dates_and_nan():
    value = {
        "count": np.int64(3),
        "ratio": np.float32(0.5),
        "flag": np.bool_(True),
        "when": datetime.datetime(2024, 5, 6, 7, 8, 9),
        "day": datetime.date(2024, 5, 6),
        "stamp": pd.Timestamp("2024-01-02T03:04:05"),
        "missing": math.nan,
        "array": np.array([1, 2]),
        "point": Point(1, 2),
        1: "integer key",
    }
    encoded = encode_result(value)
    assert (encoded.kind, encoded.format) == ("json", "json")
    assert json.loads(encoded.payload) == {
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "when": "2024-05-06T07:08:09",
        "day": "2024-05-06",
        "stamp": "2024-01-02T03:04:05",
        "missing": None,
        "array": [1, 2],
        "point": {"type": "Point", "coordinates": [1.0, 2.0]},
        "1": "integer key",
    }
    assert json.loads(encode_result([1, "a", None]).payload) == [1, "a", None]
    assert json.loads(encode_result(np.float64(2.5)).payload) == 2.5
    assert json.loads(encode_result(True).payload) is True


def test_strings_are_text_or_html():
    text = encode_result("just words")
    assert (text.kind, text.content_type, text.payload) == (
        "text",
        "text/plain; charset=utf-8",
        b"just words",
    )
    html = encode_result("  <html><body>hi</body></html>")
    assert (html.kind, html.content_type) == ("html", "text/html; charset=utf-8")


def test_bytes_get_a_content_type_from_their_magic_number():
    png = io.BytesIO()
    Image.new("L", (1, 1)).save(png, format="PNG")
    encoded = encode_result(png.getvalue())
    assert (encoded.kind, encoded.format, encoded.content_type) == ("bytes", "bytes", "image/png")
    assert encode_result(b"%PDF-1.7 ...").content_type == "application/pdf"
    assert encode_result(b"\x00\x01unknown").content_type == "application/octet-stream"


@dataclass
class WebResponse:
    body: bytes
    media_type: str


def test_web_responses_use_their_body_and_media_type():
    encoded = encode_result(WebResponse(b"<svg/>", "image/svg+xml"))
    assert (encoded.kind, encoded.content_type, encoded.payload) == (
        "bytes",
        "image/svg+xml",
        b"<svg/>",
    )


def test_none_is_empty_in_any_requested_format():
    empty = encode_result(None)
    assert (empty.kind, empty.format, empty.payload, empty.empty) == ("empty", "json", b"", True)
    as_png = encode_result(None, ["png"])
    assert (as_png.format, as_png.content_type, as_png.payload) == ("png", "image/png", b"")


def test_tables_without_rows_are_flagged_empty(frame: pd.DataFrame):
    assert encode_result(frame.iloc[:0], ["csv"]).empty is True
    assert encode_result(frame, ["csv"]).empty is False


def test_shapely_geometries_are_one_row_geotables():
    encoded = encode_result(Point(3, 4), ["geojson"])
    assert encoded.kind == "geotable"
    assert json.loads(encoded.payload)["features"][0]["geometry"]["coordinates"] == [3.0, 4.0]


def test_values_of_unknown_types_are_udf_err_result():
    with pytest.raises(UdfResultError, match="cannot encode a result of type") as caught:
        encode_result(object())
    assert caught.value.code == "UDF_ERR_RESULT"


def test_every_kind_lists_only_formats_with_a_content_type():
    from fused._results import FORMATS

    for formats in KIND_FORMATS.values():
        assert set(formats) <= set(FORMATS)


def test_geojson_has_the_features_geopandas_writes_for_every_kind_of_column():
    # The encoder writes features itself (GEOS for geometries); geopandas' to_json is the reference.
    from shapely.geometry import LineString, MultiPolygon, Point

    from fused._encoders.document import json_default

    frame = gpd.GeoDataFrame(
        {
            "count": np.array([1, 2, 3, 4], dtype=np.int64),
            "ratio": [0.1 + 0.2, math.nan, 1 / 3, -2.5e-12],
            "label": ["é", None, 'a"b', "x"],
            "flag": [True, False, True, False],
            "when": pd.to_datetime(
                ["2024-01-02", None, "2024-03-04 05:06:07", "2025-12-31"], format="ISO8601"
            ),
            "tags": [[1, 2], [], ["a"], [math.pi]],
            "nullable": pd.array([1, None, 3, None], dtype="Int64"),
        },
        geometry=[
            Point(2.1234567890123456, 48.8),
            LineString([(0, 0), (1e-9, 1e9)]),
            MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)]),
            None,
        ],
        index=pd.Index(["a", "b", 7, "d"], name=None),
        crs="EPSG:4326",
    )
    encoded = json.loads(encode_result(frame, ["geojson"]).payload)
    reference = json.loads(frame.to_json(default=json_default, ensure_ascii=False))
    assert encoded == reference


def test_geojson_keeps_z_coordinates():
    from shapely.geometry import Point

    with_z = gpd.GeoDataFrame({"v": [1]}, geometry=[Point(1, 2, 3)], crs="EPSG:4326")
    encoded = json.loads(encode_result(with_z, ["geojson"]).payload)
    assert encoded["features"][0]["geometry"]["coordinates"] == [1.0, 2.0, 3.0]
