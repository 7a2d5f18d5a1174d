"""Table and geotable formats (feather, html, excel, xml and the format table), read back with
real readers: pyarrow and geopandas, the standard library's HTML and XML parsers, openpyxl."""

from __future__ import annotations

import datetime
import io
import json
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pytest
import shapely
from shapely.geometry import Point, box

from fused import UdfResultError, encode_result
from fused._encoders.office import xml_names
from fused._results import FORMATS, KIND_FORMATS

TABLE_FORMATS = ("parquet", "json", "feather", "csv", "html", "excel", "xml")
GEOTABLE_FORMATS = ("parquet", "geojson", "json", "feather", "csv", "mvt", "html", "excel", "xml")


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["<b>bold</b> & co", "plain"],
            "value": [1.5, np.nan],
            "count": [1, 2],
            "when": pd.to_datetime(["2024-05-06T07:08:09Z", "2024-01-01T00:00:00Z"]),
            "tags": [["a", "b"], {"k": 1}],
        }
    )


@pytest.fixture
def geoframe() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["a", "b"], "n": [1, 2]},
        geometry=[Point(1, 2), box(0, 0, 1, 1)],
        crs="EPSG:4326",
    )


def test_the_format_table_lists_every_hosted_api_format_with_its_content_type():
    assert KIND_FORMATS["table"] == TABLE_FORMATS
    assert KIND_FORMATS["geotable"] == GEOTABLE_FORMATS
    expected = {
        "parquet": "application/vnd.apache.parquet",
        "geojson": "application/geo+json",
        "json": "application/json",
        "feather": "application/vnd.apache.arrow.file",
        "csv": "text/csv; charset=utf-8",
        "mvt": "application/vnd.mapbox-vector-tile",
        "html": "text/html; charset=utf-8",
        "excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xml": "application/xml",
    }
    assert {fmt: FORMATS[fmt] for fmt in expected} == expected


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
def test_every_table_format_is_encoded_with_its_content_type(frame: pd.DataFrame, fmt: str):
    encoded = encode_result(frame, [fmt])
    assert (encoded.kind, encoded.format, encoded.content_type) == ("table", fmt, FORMATS[fmt])
    assert encoded.payload and not encoded.empty


@pytest.mark.parametrize("fmt", [f for f in GEOTABLE_FORMATS if f != "mvt"])
def test_every_geotable_format_is_encoded_with_its_content_type(
    geoframe: gpd.GeoDataFrame, fmt: str
):
    encoded = encode_result(geoframe, [fmt])
    assert (encoded.kind, encoded.format, encoded.content_type) == ("geotable", fmt, FORMATS[fmt])
    assert encoded.payload


def test_columns_arrow_cannot_type_are_written_as_json_text(frame: pd.DataFrame):
    for fmt in ("parquet", "feather"):
        payload = encode_result(frame, [fmt]).payload
        read = (
            pd.read_parquet(io.BytesIO(payload))
            if fmt == "parquet"
            else pd.read_feather(io.BytesIO(payload))
        )
        assert read["tags"].tolist() == ['["a","b"]', '{"k":1}'], fmt
        assert read["count"].tolist() == [1, 2]
    mixed = gpd.GeoDataFrame({"v": [1, "one"]}, geometry=[Point(0, 0), Point(1, 1)], crs=4326)
    assert gpd.read_parquet(io.BytesIO(encode_result(mixed, ["parquet"]).payload))[
        "v"
    ].tolist() == ["1", "one"]


def test_feather_is_an_uncompressed_arrow_file():
    frame = pd.DataFrame({"a": [1, 2, 3], 7: ["x", "y", "z"]})
    payload = encode_result(frame, ["arrow"]).payload
    assert payload.startswith(b"ARROW1")
    table = feather.read_table(io.BytesIO(payload))
    assert table.to_pydict() == {"a": [1, 2, 3], "7": ["x", "y", "z"]}
    # Buffers are written as they are (Arrow's JavaScript reader cannot decompress them).
    repeated = pd.DataFrame({"text": ["abcdefgh" * 100] * 10})
    assert encode_result(repeated, ["feather"]).payload.count(b"abcdefgh") == 1000


def test_geotable_feather_has_wkb_geometries_geopandas_reads_back(geoframe: gpd.GeoDataFrame):
    payload = encode_result(geoframe, ["feather"]).payload
    table = feather.read_table(io.BytesIO(payload))
    assert pa.types.is_binary(table.schema.field("geometry").type)
    wkb = table.column("geometry").to_pylist()
    assert [shapely.from_wkb(value) for value in wkb] == list(geoframe.geometry)
    read = gpd.read_feather(io.BytesIO(payload))
    assert read.crs.to_epsg() == 4326
    assert read["name"].tolist() == ["a", "b"]
    assert read.geometry.iloc[1].equals(box(0, 0, 1, 1))


class TableCells(HTMLParser):
    """The text of each `<th>`/`<td>` cell, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tables = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables += 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_html_is_one_escaped_table(frame: pd.DataFrame):
    text = encode_result(frame, ["html"]).payload.decode("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in text
    assert "<b>" not in text
    cells = TableCells()
    cells.feed(text)
    assert cells.tables == 1
    assert cells.rows[0] == ["name", "value", "count", "when", "tags"]
    assert cells.rows[1][:3] == ["<b>bold</b> & co", "1.5", "1"]
    assert cells.rows[1][4] == '["a","b"]'
    assert cells.rows[2][1] == ""  # NaN is an empty cell


def test_html_of_a_geotable_has_wkt_and_a_named_index(geoframe: gpd.GeoDataFrame):
    named = geoframe.set_index(pd.Index(["p", "q"], name="key"))
    cells = TableCells()
    cells.feed(encode_result(named, ["htm"]).payload.decode("utf-8"))
    flat = [cell for row in cells.rows for cell in row]
    assert "POINT (1 2)" in flat
    assert "key" in flat and "p" in flat


def test_excel_is_an_xlsx_workbook_openpyxl_reads(frame: pd.DataFrame):
    frame.loc[1, "name"] = "bell\x07 rung"
    encoded = encode_result(frame, ["xlsx"])
    assert encoded.format == "excel"
    workbook = openpyxl.load_workbook(io.BytesIO(encoded.payload))
    assert workbook.sheetnames == ["udf"]
    rows = list(workbook["udf"].iter_rows(values_only=True))
    assert rows[0] == ("name", "value", "count", "when", "tags")
    assert rows[1][:4] == (
        "<b>bold</b> & co",
        1.5,
        1,
        datetime.datetime(2024, 5, 6, 7, 8, 9),  # a zoned time is written as UTC
    )
    assert rows[1][4] == '["a","b"]'
    assert rows[2][0] == "bell rung"  # control characters are dropped
    assert rows[2][1] is None
    assert rows[2][4] == '{"k":1}'


def test_excel_of_a_geotable_has_wkt_geometries(geoframe: gpd.GeoDataFrame):
    workbook = openpyxl.load_workbook(io.BytesIO(encode_result(geoframe, ["excel"]).payload))
    rows = list(workbook["udf"].iter_rows(values_only=True))
    assert rows[0] == ("name", "n", "geometry")
    assert rows[1] == ("a", 1, "POINT (1 2)")
    assert shapely.from_wkt(rows[2][2]).equals(box(0, 0, 1, 1))


def test_xml_is_rows_of_elements_etree_reads(frame: pd.DataFrame):
    frame.loc[0, "name"] = "tab\tok, nul\x00 dropped"
    payload = encode_result(frame, ["xml"]).payload
    root = ET.fromstring(payload)
    assert root.tag == "data"
    rows = root.findall("row")
    assert len(rows) == 2
    assert [child.tag for child in rows[0]] == ["name", "value", "count", "when", "tags"]
    assert rows[0].findtext("name") == "tab\tok, nul dropped"
    assert rows[0].findtext("count") == "1"
    assert rows[0].findtext("tags") == '["a","b"]'
    assert rows[1].findtext("value") == ""


def test_xml_element_names_are_made_safe_and_unique():
    frame = pd.DataFrame([[1, 2, 3, 4, 5, 6]], columns=["my col", 0, "xmlns", "a", "a", "é-ok"])
    root = ET.fromstring(encode_result(frame, ["xml"]).payload)
    names = [child.tag for child in root.find("row")]
    assert names == ["my_col", "_0", "_xmlns", "a", "a_2", "é-ok"]
    assert xml_names(["", "-x", ".y", "a<b"]) == ["_", "_-x", "_.y", "a_b"]


def test_xml_of_a_geotable_has_wkt_and_works_without_lxml(
    geoframe: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(sys.modules, "lxml", None)  # `import lxml` now fails
    monkeypatch.setitem(sys.modules, "lxml.etree", None)
    named = geoframe.rename_axis("id")
    root = ET.fromstring(encode_result(named, ["xml"]).payload)
    first = root.find("row")
    assert first is not None
    assert [child.tag for child in first] == ["id", "name", "n", "geometry"]
    assert first.findtext("geometry") == "POINT (1 2)"


def test_tables_without_rows_encode_in_every_format(frame: pd.DataFrame):
    for fmt in TABLE_FORMATS:
        encoded = encode_result(frame.iloc[:0], [fmt])
        assert encoded.empty is True and encoded.payload, fmt
    assert json.loads(encode_result(frame.iloc[:0], ["json"]).payload) == []


@pytest.mark.parametrize("fmt", ["geojson", "mvt", "png", "npy"])
def test_a_plain_table_does_not_take_geometry_or_raster_formats(frame: pd.DataFrame, fmt: str):
    with pytest.raises(UdfResultError) as caught:
        encode_result(frame, [fmt])
    assert caught.value.code == "UDF_ERR_FORMAT"
    assert "the result is a table" in caught.value.message


def test_a_geotable_does_not_take_raster_formats(geoframe: gpd.GeoDataFrame):
    with pytest.raises(UdfResultError) as caught:
        encode_result(geoframe, ["tif", "gif"])
    assert caught.value.code == "UDF_ERR_FORMAT"
    assert "(tiff, gif)" in caught.value.message
