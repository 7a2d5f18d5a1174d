"""String arguments read as spatial values: bounds, boxes, GeoDataFrames, DataFrames, geometries.

Each function takes the argument text and returns the value, or raises `ValueError` saying what
was wrong; `_arguments` turns that into a parameter error. Heavy libraries are imported here, on
first use, never when `fused` is imported (with `import_module`, which also types them as modules
whose attributes are Any: they ship no type information).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import import_module
from numbers import Real
from typing import Any

GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)


def bounds(text: str) -> list[float]:
    """`[xmin, ymin, xmax, ymax]` from a JSON list of 4 numbers, or the total bounds of GeoJSON."""
    return bounds_of(json.loads(text))


def bounds_of(data: object) -> list[float]:
    """Bounds from decoded JSON: a list of 4 numbers or a GeoJSON object."""
    if isinstance(data, list):
        if len(data) == 4 and all(_is_number(value) for value in data):
            return [float(value) for value in data]
        raise ValueError("a list of exactly 4 numbers is needed")
    if isinstance(data, dict):
        shape = import_module("shapely.geometry").shape
        boxes = [shape(feature["geometry"]).bounds for feature in _features(data)]
        boxes = [box for box in boxes if box]
        if not boxes:
            raise ValueError("the GeoJSON has no geometry")
        return [
            min(box[0] for box in boxes),
            min(box[1] for box in boxes),
            max(box[2] for box in boxes),
            max(box[3] for box in boxes),
        ]
    raise ValueError("a JSON list of 4 numbers or a GeoJSON object is needed")


def bbox(text: str) -> Any:
    """A shapely box from the same inputs as `bounds`."""
    return import_module("shapely.geometry").box(*bounds(text))


def geodataframe(text: str) -> Any:
    """A GeoDataFrame (EPSG:4326) from GeoJSON, or a one-row frame of a box from a JSON list."""
    gpd = import_module("geopandas")
    data = json.loads(text)
    if isinstance(data, list):
        box = import_module("shapely.geometry").box
        return gpd.GeoDataFrame(geometry=[box(*bounds_of(data))], crs="EPSG:4326")
    if isinstance(data, dict):
        return gpd.GeoDataFrame.from_features(_features(data), crs="EPSG:4326")
    raise ValueError("GeoJSON or a JSON list of 4 numbers is needed")


def tile_xyz(text: str) -> Any:
    """A tile address from a JSON list `[x, y, z]` or an object with x, y and z (checked)."""
    from ._tiles import make_tile, xyz_value

    data = json.loads(text)
    if isinstance(data, dict):
        data = [data.get("x"), data.get("y"), data.get("z")]
    if not isinstance(data, list) or len(data) != 3:
        raise ValueError("a JSON list [x, y, z] or an object with x, y and z is needed")
    return xyz_value(make_tile(*data))


def dataframe(text: str) -> Any:
    """A DataFrame from JSON records (a list of objects); an object of columns also works."""
    import pandas as pd

    data = json.loads(text)
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return pd.DataFrame.from_records(data)
    if isinstance(data, dict):
        return pd.DataFrame(data)
    raise ValueError("JSON records (a list of objects) are needed")


def geometry_parser(cls: type) -> Callable[[str], Any]:
    """A parser of WKT (or a GeoJSON geometry) that checks the geometry is a `cls`."""

    def parse(text: str) -> Any:
        stripped = text.lstrip()
        if stripped.startswith("{"):
            geometry = import_module("shapely.geometry").shape(json.loads(stripped))
        else:
            geometry = import_module("shapely.wkt").loads(text)
        if not isinstance(geometry, cls):
            raise ValueError(f"the geometry is a {geometry.geom_type}")
        return geometry

    return parse


def _features(data: dict[str, Any]) -> list[dict[str, Any]]:
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise ValueError("the FeatureCollection has no features list")
        return features
    if kind == "Feature":
        return [data]
    if kind in GEOMETRY_TYPES:
        return [{"type": "Feature", "geometry": data, "properties": {}}]
    raise ValueError(f"not GeoJSON (type {kind!r})")


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)
