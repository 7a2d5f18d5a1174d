"""The bundled example UDFs (resources/udfs/) load, run and round-trip through the `fused` package.

Every folder under resources/udfs that holds a meta.json is a test case, so a new example is
picked up without touching this file. Examples listed in CHECKS get content checks of their own;
any other example is at least run with its defaults and round-tripped.

Run: PYTHONPATH=resources/runtime python -m pytest test/runtime/test_examples.py -q
"""

from __future__ import annotations

import ast
import importlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

EXAMPLES_ROOT = Path(__file__).resolve().parents[2] / "resources" / "udfs"
EXAMPLE_FOLDERS = sorted(meta.parent for meta in EXAMPLES_ROOT.rglob("meta.json"))
REQUIRED_EXAMPLES = {
    "Hello_World",
    "Tile_Grid",
    "Raster_Gradient",
    "With_Utils",
    "Typed_Parameters",
    "Html_Report",
    "Eiffel_Tower",
}
UDF_TYPES = {
    "auto",
    "vector_tile",
    "vector_single",
    "vector_single_none",
    "raster",
    "app",
}
TILE_UDF_TYPES = {"vector_tile", "raster"}
METADATA_KEYS = {
    "fused:name",
    "fused:slug",
    "fused:udfType",
    "fused:description",
    "fused:defaultViewState",
    "fused:defaultParameters",
    "fused:tags",
    "fused:id",
}
# Examples import these inside the UDF function, as Fused UDFs do, so loading stays cheap.
HEAVY_MODULES = {
    "pandas",
    "geopandas",
    "numpy",
    "shapely",
    "jinja2",
    "pyarrow",
    "xarray",
    "rasterio",
}

WORLD_TILE = (1, 1, 2)  # x, y, z: lon -90..0, lat 0..66.5
WORLD_TILE_EAST = (2, 1, 2)  # its eastern neighbour
PARIS_TILE = (2074, 1409, 12)  # holds the Eiffel Tower


def tile_bounds(x: int, y: int, z: int) -> list[float]:
    """[xmin, ymin, xmax, ymax] in degrees of a Web Mercator (XYZ) tile."""
    n = 2**z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return [x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)]


def folder_id(folder: Path) -> str:
    return folder.relative_to(EXAMPLES_ROOT).as_posix()


def read_udf_step(folder: Path) -> dict[str, Any]:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return meta["job_config"]["steps"][0]["udf"]


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """(module_name, source code) for each header, whether headers are objects or dicts."""
    pairs = []
    for header in headers or []:
        if isinstance(header, dict):
            name = header.get("module_name")
            code = header.get("source_code", header.get("code"))
        else:
            name = getattr(header, "module_name", None)
            code = getattr(header, "source_code", getattr(header, "code", None))
        pairs.append((name, code))
    return pairs


def run_tile(fused: Any, udf: Any, tile: tuple[int, int, int], **params: Any) -> Any:
    x, y, z = tile
    return fused.run(udf, x=x, y=y, z=z, engine="local", **params)


@pytest.fixture(scope="module")
def fused() -> Any:
    return importlib.import_module("fused")


# --- checks for each named example ---------------------------------------------------------------


def check_hello_world(fused: Any, udf: Any) -> None:
    import pandas as pd

    df = udf()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["i", "greeting", "name_length"]
    assert len(df) == 3
    assert df["i"].tolist() == [1, 2, 3]
    assert df["greeting"].iloc[0] == "Hello, world! (1 of 3)"

    df = udf(name="Ada", n=5)
    assert len(df) == 5
    assert all(g.startswith("Hello, Ada!") for g in df["greeting"])
    assert set(df["name_length"]) == {3}

    assert len(udf(n=0)) == 0
    assert fused.run(udf, name="Ada", n=2, engine="local")["greeting"].tolist() == [
        "Hello, Ada! (1 of 2)",
        "Hello, Ada! (2 of 2)",
    ]


def check_tile_grid(fused: Any, udf: Any) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    for tile in (WORLD_TILE, PARIS_TILE):
        xmin, ymin, xmax, ymax = tile_bounds(*tile)
        gdf = run_tile(fused, udf, tile)
        assert isinstance(gdf, gpd.GeoDataFrame), tile
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
        assert {"kind", "row", "col", "value", "geometry"} <= set(gdf.columns)
        assert len(gdf) == 32  # 4 x 4 cells and their centres
        assert gdf.geom_type.value_counts().to_dict() == {"Polygon": 16, "Point": 16}
        assert gdf["value"].dtype.kind == "f"
        assert (gdf["value"] >= 0).all()

        # Inside the tile, and spanning nearly all of it: the runtime passed this tile's bounds.
        tolerance = 1e-9 * max(1.0, xmax - xmin)
        tile_box = box(xmin, ymin, xmax, ymax).buffer(tolerance)
        assert gdf.geometry.within(tile_box).all(), tile
        gx0, gy0, gx1, gy1 = gdf.total_bounds
        assert gx1 - gx0 > 0.9 * (xmax - xmin)
        assert gy1 - gy0 > 0.9 * (ymax - ymin)

    # Over Paris, the cell nearest the Eiffel Tower is a few km away at most.
    paris = run_tile(fused, udf, PARIS_TILE)
    assert paris["value"].min() < 3

    assert len(run_tile(fused, udf, PARIS_TILE, cells=2)) == 8
    # Called directly: with explicit bounds, or without any, when it falls back to central Paris.
    direct = udf(bounds=[2.25, 48.83, 2.40, 48.90])
    assert len(direct) == 32
    assert direct.total_bounds[0] >= 2.25 and direct.total_bounds[2] <= 2.40
    assert udf().geometry.equals(direct.geometry)


def check_raster_gradient(fused: Any, udf: Any) -> None:
    import numpy as np

    west = run_tile(fused, udf, WORLD_TILE)
    assert isinstance(west, np.ndarray)
    assert west.dtype == np.uint8
    assert west.shape == (3, 256, 256)

    east = run_tile(fused, udf, WORLD_TILE_EAST)
    assert east.shape == (3, 256, 256)
    assert not np.array_equal(west, east)
    assert west[0].mean() < east[0].mean()  # red grows eastwards
    assert west[2].mean() < 128 < east[2].mean()  # the stripe pattern alternates per tile

    # Within a tile, green (latitude) decreases from the top row to the bottom row.
    assert west[1, 0].mean() > west[1, -1].mean()

    paris = run_tile(fused, udf, PARIS_TILE)
    assert paris.dtype == np.uint8 and paris.shape == (3, 256, 256)

    grey = run_tile(fused, udf, PARIS_TILE, palette="grey")
    assert grey.dtype == np.uint8 and grey.shape == (256, 256)


def check_with_utils(fused: Any, udf: Any) -> None:
    import pandas as pd

    df = udf()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == [
        "rank",
        "from",
        "to",
        "country",
        "distance_km",
        "population_m",
    ]
    assert df["rank"].tolist() == [1, 2, 3]
    assert set(df["from"]) == {"Paris"}
    assert df["to"].iloc[0] == "Brussels"
    assert df["distance_km"].is_monotonic_increasing
    assert 250 < df["distance_km"].iloc[0] < 280

    berlin = udf(city="berlin", k=5)
    assert len(berlin) == 5 and "Berlin" not in set(berlin["to"])

    with pytest.raises(Exception, match="unknown city"):
        udf(city="Atlantis")

    # The header module is reachable from the loaded UDF, as with Fused.
    assert 870 < udf.utils.haversine_km(2.3522, 48.8566, 13.4050, 52.52) < 890


def check_typed_parameters(fused: Any, udf: Any) -> None:
    import pandas as pd

    df = udf()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 1
    row = df.iloc[0]
    assert {
        name: row[f"{name}_type"]
        for name in ("count", "ratio", "enabled", "label", "tags", "options", "limit")
    } == {
        "count": "int",
        "ratio": "float",
        "enabled": "bool",
        "label": "str",
        "tags": "list",
        "options": "dict",
        "limit": "NoneType",
    }
    assert row["count"] == 3 and row["ratio"] == 0.25 and bool(row["enabled"]) is True
    assert json.loads(row["tags"]) == ["alpha", "beta"]
    assert json.loads(row["options"]) == {"mode": "fast", "retries": 2}
    assert row["limit"] is None or pd.isna(row["limit"])

    row = udf(count=42, enabled=False, tags=["x"], options={"a": 1}, limit=10).iloc[0]
    assert row["count"] == 42
    assert bool(row["enabled"]) is False and row["enabled_type"] == "bool"
    assert json.loads(row["tags"]) == ["x"]
    assert json.loads(row["options"]) == {"a": 1}
    assert row["limit"] == 10 and row["limit_type"] == "int"

    # Strings, as from a URL query or `--param`, are converted by each parameter's annotation.
    row = fused.run(
        udf,
        engine="local",
        count="42",
        ratio="0.5",
        enabled="FALSE",
        label="7",
        tags='["x", "y"]',
        options='{"mode": "slow"}',
        limit="10",
    ).iloc[0]
    assert {
        name: row[f"{name}_type"]
        for name in ("count", "ratio", "enabled", "label", "tags", "options", "limit")
    } == {
        "count": "int",
        "ratio": "float",
        "enabled": "bool",
        "label": "str",
        "tags": "list",
        "options": "dict",
        "limit": "int",
    }
    assert row["count"] == 42 and row["ratio"] == 0.5 and bool(row["enabled"]) is False
    assert row["label"] == "7" and row["limit"] == 10
    assert json.loads(row["tags"]) == ["x", "y"] and json.loads(row["options"]) == {"mode": "slow"}
    assert bool(fused.run(udf, engine="local", enabled="yes").iloc[0]["enabled"]) is True


def check_html_report(fused: Any, udf: Any) -> None:
    html = udf()
    assert isinstance(html, str)
    assert html.lstrip().startswith("<")  # served as the html kind
    assert "<html" in html and "</html>" in html
    assert "<table>" in html and "<style>" in html
    assert "<title>Weather report</title>" in html
    assert html.count("<tr") == 1 + 7  # header row + one per day
    assert udf() == html  # seeded: the same arguments give the same page

    longer = udf(days=14, title="<b>Week</b>")
    assert longer.count("<tr") == 1 + 14
    assert "&lt;b&gt;Week&lt;/b&gt;" in longer and "<b>Week</b>" not in longer


def check_eiffel_tower(fused: Any, udf: Any) -> None:
    import geopandas as gpd

    gdf = udf()
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert len(gdf) == 1
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
    point = gdf.geometry.iloc[0]
    assert point.geom_type == "Point"
    assert point.x == pytest.approx(2.2945) and point.y == pytest.approx(48.8584)
    assert gdf["name"].iloc[0] == "Eiffel Tower"
    assert fused.run(udf, engine="local").geometry.iloc[0].equals(point)


CHECKS: dict[str, Callable[[Any, Any], None]] = {
    "Hello_World": check_hello_world,
    "Tile_Grid": check_tile_grid,
    "Raster_Gradient": check_raster_gradient,
    "With_Utils": check_with_utils,
    "Typed_Parameters": check_typed_parameters,
    "Html_Report": check_html_report,
    "Eiffel_Tower": check_eiffel_tower,
}


# --- tests ---------------------------------------------------------------------------------------


def test_required_examples_exist() -> None:
    assert REQUIRED_EXAMPLES <= {folder.name for folder in EXAMPLE_FOLDERS}


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS, ids=folder_id)
def test_folder_shape(folder: Path) -> None:
    """meta.json has the 0.0.3 shape, and its files, README and code agree with it."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["version"] == "0.0.3"
    job = meta["job_config"]
    assert job["version"] == "0.0.3"
    assert len(job["steps"]) == 1 and job["steps"][0]["type"] == "udf"
    step = job["steps"][0]["udf"]
    assert step["type"] == "geopandas_v2"
    assert step["name"] == folder.name
    assert step["entrypoint"] == "udf"
    assert step["source"] == f"{folder.name}.py"
    assert "code" not in step  # the code lives in the source file

    metadata = step["metadata"]
    assert METADATA_KEYS <= set(metadata)
    assert metadata["fused:name"] == metadata["fused:slug"] == folder.name
    assert metadata["fused:udfType"] in UDF_TYPES
    assert metadata["fused:id"] is None
    assert metadata["fused:description"].strip()
    view = metadata["fused:defaultViewState"]
    assert set(view) == {"enable", "latitude", "longitude", "zoom", "pitch", "bearing"}
    assert -90 <= view["latitude"] <= 90 and -180 <= view["longitude"] <= 180
    assert metadata["fused:tags"] and all(
        set(tag) == {"id", "label"} for tag in metadata["fused:tags"]
    )

    code = (folder / step["source"]).read_text(encoding="utf-8")
    tree = ast.parse(code)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    entry = functions["udf"]
    assert any("fused.udf" in ast.unparse(decorator) for decorator in entry.decorator_list)
    top_level_imports = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level_imports.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_level_imports.add(node.module.split(".")[0])
    assert not top_level_imports & HEAVY_MODULES, "heavy imports belong inside the UDF function"

    arguments = entry.args.args + entry.args.kwonlyargs
    defaults = dict(
        zip([a.arg for a in entry.args.args][::-1], entry.args.defaults[::-1], strict=False)
    )
    defaults.update(
        {
            a.arg: d
            for a, d in zip(entry.args.kwonlyargs, entry.args.kw_defaults, strict=True)
            if d is not None
        }
    )
    names = [a.arg for a in arguments]
    for parameter in metadata["fused:defaultParameters"]:
        assert set(parameter) == {"parameter", "value", "type", "suggestedValues"}
        assert parameter["parameter"] in names
        assert parameter["value"] == ast.literal_eval(defaults[parameter["parameter"]])
        assert (
            parameter["value"] in parameter["suggestedValues"] or not parameter["suggestedValues"]
        )
    if metadata["fused:udfType"] in TILE_UDF_TYPES:
        assert names and names[0] == "bounds"
        assert ast.unparse(arguments[0].annotation) == "fused.types.Bounds"

    for header in step["headers"]:
        assert set(header) == {"module_name", "source_file"}
        assert (folder / header["source_file"]).is_file()
        ast.parse((folder / header["source_file"]).read_text(encoding="utf-8"))

    readme = (folder / "README.MD").read_text(encoding="utf-8")
    assert readme.startswith(f"# {folder.name}\n")
    # As in Fused's catalogue, the description is the README's markdown, so writing the folder
    # back (which writes README.MD from the description) keeps it.
    assert metadata["fused:description"] == readme
    assert f"udf-studio run {folder.name}" in readme
    if metadata["fused:udfType"] in TILE_UDF_TYPES:
        assert "/run/tiles/{z}/{x}/{y}" in readme


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS, ids=folder_id)
def test_load_matches_folder(fused: Any, folder: Path) -> None:
    step = read_udf_step(folder)
    udf = fused.load(str(folder))
    assert udf.name == folder.name
    assert udf.code == (folder / step["source"]).read_text(encoding="utf-8")
    assert udf.metadata == step["metadata"]
    assert header_pairs(udf.headers) == [
        (
            header["module_name"],
            (folder / header["source_file"]).read_text(encoding="utf-8"),
        )
        for header in step["headers"]
    ]


@pytest.mark.parametrize(
    "folder", [f for f in EXAMPLE_FOLDERS if f.parent == EXAMPLES_ROOT], ids=folder_id
)
def test_load_by_name(fused: Any, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the examples as a workspace, the name in the README's `udf-studio run NAME` resolves."""
    monkeypatch.setenv("UDF_STUDIO_WORKSPACES", str(EXAMPLES_ROOT))
    by_name = fused.load(folder.name)
    assert by_name.name == folder.name
    assert by_name.code == fused.load(str(folder)).code
    assert by_name.metadata == read_udf_step(folder)["metadata"]


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS, ids=folder_id)
def test_runs(fused: Any, folder: Path) -> None:
    udf = fused.load(str(folder))
    check = CHECKS.get(folder.name)
    if check is not None:
        check(fused, udf)
        return
    # An example without checks of its own: it must at least run with its defaults.
    if udf.metadata.get("fused:udfType") in TILE_UDF_TYPES:
        result = run_tile(fused, udf, PARIS_TILE)
    else:
        result = udf()
    assert result is not None


# What each example's default result is served as (worker protocol, "Result kinds and formats").
EXPECTED_KINDS = {
    "Hello_World": "table",
    "Tile_Grid": "geotable",
    "Raster_Gradient": "raster",
    "With_Utils": "table",
    "Typed_Parameters": "table",
    "Html_Report": "html",
    "Eiffel_Tower": "geotable",
}
KIND_FORMATS = {
    "table": ["parquet", "csv", "json"],
    "geotable": ["parquet", "geojson", "json", "csv"],
    "raster": ["png"],
    "html": ["html"],
}


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS, ids=folder_id)
def test_result_encodes(fused: Any, folder: Path) -> None:
    """The default result is of the expected kind and encodes to every format of that kind."""
    import io

    import pandas as pd
    from PIL import Image

    udf = fused.load(str(folder))
    tile_mode = udf.metadata.get("fused:udfType") in TILE_UDF_TYPES
    result = run_tile(fused, udf, PARIS_TILE) if tile_mode else udf()
    usual = fused.encode_result(result)
    assert usual.payload
    expected_kind = EXPECTED_KINDS.get(folder.name)
    if expected_kind is None:
        return
    assert usual.kind == expected_kind
    for fmt in KIND_FORMATS[expected_kind]:
        encoded = fused.encode_result(result, [fmt])
        assert encoded.format == fmt and encoded.payload, fmt
        if fmt == "parquet":
            assert len(pd.read_parquet(io.BytesIO(encoded.payload))) == len(result)
        elif fmt == "csv":
            assert len(pd.read_csv(io.BytesIO(encoded.payload))) == len(result)
        elif fmt == "geojson":
            assert len(json.loads(encoded.payload)["features"]) == len(result)
        elif fmt == "png":
            image = Image.open(io.BytesIO(encoded.payload))
            assert image.size == (256, 256) and image.mode == "RGB"
        elif fmt == "html":
            assert encoded.payload.decode("utf-8") == result


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS, ids=folder_id)
def test_default_parameters_run(fused: Any, folder: Path) -> None:
    """Every value that meta.json suggests is accepted by the UDF."""
    udf = fused.load(str(folder))
    tile_mode = udf.metadata.get("fused:udfType") in TILE_UDF_TYPES
    for parameter in udf.metadata["fused:defaultParameters"]:
        for value in [parameter["value"], *parameter["suggestedValues"]]:
            params = {parameter["parameter"]: value}
            result = run_tile(fused, udf, WORLD_TILE, **params) if tile_mode else udf(**params)
            assert result is not None, params


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS, ids=folder_id)
def test_round_trip(fused: Any, folder: Path, tmp_path: Path) -> None:
    udf = fused.load(str(folder))
    target = tmp_path / folder.name
    udf.to_directory(str(target))

    written = json.loads((target / "meta.json").read_text(encoding="utf-8"))
    assert written["version"] == "0.0.3"
    step = written["job_config"]["steps"][0]["udf"]
    assert (target / step["source"]).is_file()

    assert (target / "README.MD").read_text(encoding="utf-8") == (folder / "README.MD").read_text(
        encoding="utf-8"
    )
    for header in step["headers"]:
        assert (target / header["source_file"]).read_text(encoding="utf-8") == (
            folder / header["source_file"]
        ).read_text(encoding="utf-8")

    again = fused.load(str(target))
    assert again.name == udf.name
    assert again.code == udf.code
    assert header_pairs(again.headers) == header_pairs(udf.headers)
    assert again.metadata == udf.metadata
