"""Mapbox Vector Tiles of a GeoDataFrame for one XYZ tile: one layer named `udf`.

Geometries are reprojected to EPSG:3857, clipped to the tile grown by a buffer, and written in
tile coordinates with y pointing down, as the MVT specification has them (so GDAL, QGIS and
web maps read them without flipping). mapbox_vector_tile is told the coordinates are y-down
already; its default would flip them a second time.
"""

from __future__ import annotations

import datetime
import decimal
import math
from importlib import import_module
from typing import TYPE_CHECKING, Any, Final

from .document import dumps_json
from .web_mercator import MercatorBox, tile_box

if TYPE_CHECKING:
    from .._tiles import TileCoord

LAYER_NAME: Final = "udf"
EXTENT: Final = 4096
BUFFER: Final = 64  # in tile coordinates (of EXTENT per tile side)
MERCATOR_EPSG: Final = 3857
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def encode_mvt(frame: Any, tile: TileCoord) -> bytes:
    """The frame's features inside `tile` (plus the buffer) as an MVT with the layer `udf`.

    Empty geometries and features entirely outside the buffered tile are dropped;
    non-geometry columns become properties (missing values left out).
    """
    mvt = import_module("mapbox_vector_tile")
    box = tile_box(tile)
    geometries, rows = _tile_geometries(frame, box)
    columns = _property_columns(frame, rows)
    features: list[dict[str, Any]] = []
    for position, geometry in enumerate(geometries):
        properties = {
            name: values[position] for name, values in columns if values[position] is not None
        }
        features.extend(
            {"geometry": part, "properties": properties} for part in _encodable_parts(geometry)
        )
    payload: bytes = mvt.encode(
        {"name": LAYER_NAME, "features": features},
        default_options={"extents": EXTENT, "y_coord_down": True, "check_winding_order": False},
    )
    return payload


def _tile_geometries(frame: Any, box: MercatorBox) -> tuple[list[Any], Any]:
    """The kept geometries, clipped and in tile coordinates, and their row positions."""
    import numpy as np
    import shapely

    series = frame.geometry
    if series.crs is None:
        series = series.set_crs(4326)  # Fused's convention: no CRS means longitude/latitude
    if series.crs.to_epsg() != MERCATOR_EPSG:
        series = series.to_crs(MERCATOR_EPSG)
    geometries = np.asarray(series.values, dtype=object)
    margin = box.width * BUFFER / EXTENT
    west, south = box.west - margin, box.south - margin
    east, north = box.east + margin, box.north + margin
    present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    xmin, ymin, xmax, ymax = shapely.bounds(geometries).T
    with np.errstate(invalid="ignore"):
        touches = present & (xmin <= east) & (xmax >= west) & (ymin <= north) & (ymax >= south)
        within = touches & (xmin >= west) & (xmax <= east) & (ymin >= south) & (ymax <= north)
    crossing = np.flatnonzero(touches & ~within)
    if crossing.size:
        geometries = geometries.copy()
        geometries[crossing] = _clip(geometries[crossing], (west, south, east, north))
    rows = np.flatnonzero(touches)
    kept = geometries[rows]
    not_empty = ~shapely.is_empty(kept)
    rows, kept = rows[not_empty], kept[not_empty]
    scale = EXTENT / box.width
    origin = np.array([box.west, box.north])
    factors = np.array([scale, -scale])
    # Snapped to the integer grid and oriented here, for all geometries at once (exterior rings
    # get a positive area in y-down tile coordinates, as the spec wants), so the encoder's
    # per-feature winding checks, which rebuild every polygon in Python, are skipped.
    tiled = shapely.transform(kept, lambda coords: np.rint((coords - origin) * factors))
    return _orient_counterclockwise(tiled), rows


def _orient_counterclockwise(geometries: Any) -> list[Any]:
    """Polygons with counter-clockwise exteriors and clockwise holes; the rest as they are."""
    import shapely

    if hasattr(shapely, "orient_polygons"):  # shapely 2.1+: vectorized
        return list(shapely.orient_polygons(geometries, exterior_cw=False))
    # Shapely 2.0 (Fused's image has 2.0.7). Polygons without holes, most of a map's, are turned
    # all at once: reversed when their exterior runs clockwise. The rest one polygon at a time.
    import numpy as np

    result = np.array(geometries, dtype=object)
    kinds = shapely.get_type_id(result)
    polygon = kinds == shapely.GeometryType.POLYGON
    plain = np.flatnonzero(polygon & (shapely.get_num_interior_rings(result) == 0))
    clockwise = plain[~shapely.is_ccw(shapely.get_exterior_ring(result[plain]))]
    result[clockwise] = shapely.reverse(result[clockwise])
    nested = (kinds == shapely.GeometryType.MULTIPOLYGON) | (
        kinds == shapely.GeometryType.GEOMETRYCOLLECTION
    )
    for position in np.flatnonzero((polygon | nested) & ~np.isin(np.arange(len(result)), plain)):
        result[position] = _oriented(result[position])
    return list(result)


def _oriented(geometry: Any) -> Any:
    """One geometry with counter-clockwise polygon exteriors and clockwise holes."""
    import shapely
    from shapely.geometry import MultiPolygon
    from shapely.geometry.polygon import orient

    if geometry.geom_type == "Polygon":
        return orient(geometry, sign=1.0)
    if geometry.geom_type == "MultiPolygon":
        return MultiPolygon([orient(part, sign=1.0) for part in geometry.geoms])
    if geometry.geom_type == "GeometryCollection":
        return shapely.GeometryCollection([_oriented(part) for part in geometry.geoms])
    return geometry


def _clip(geometries: Any, rect: tuple[float, float, float, float]) -> Any:
    import shapely

    # clip_by_rect is fast but drops points on the rectangle's edge: points use a true
    # intersection, which is cheap for them.
    puntal = shapely.get_type_id(geometries) == shapely.GeometryType.MULTIPOINT
    clipped = shapely.clip_by_rect(geometries, *rect)
    if puntal.any():
        clipped[puntal] = shapely.intersection(geometries[puntal], shapely.box(*rect))
    return clipped


def _encodable_parts(geometry: Any) -> list[Any]:
    """The geometry as the single-family shapes an MVT feature can hold."""
    import shapely

    family = geometry.geom_type
    if family == "LinearRing":
        return [shapely.LineString(geometry.coords)]
    if family != "GeometryCollection":
        return [geometry]
    # A collection (from the UDF, or from clipping) is split into one feature per family.
    parts = shapely.get_parts(geometry)
    while any(part.geom_type == "GeometryCollection" for part in parts):
        parts = shapely.get_parts(parts)
    shapes = []
    for wanted, build in (
        (("Polygon", "MultiPolygon"), shapely.MultiPolygon),
        (("LineString", "MultiLineString", "LinearRing"), shapely.MultiLineString),
        (("Point", "MultiPoint"), shapely.MultiPoint),
    ):
        members = [
            single
            for part in parts
            if part.geom_type in wanted and not part.is_empty
            for single in shapely.get_parts(part)
        ]
        if len(members) == 1:
            shapes.append(members[0])
        elif members:
            if wanted[0] == "LineString":
                members = [shapely.LineString(member.coords) for member in members]
            shapes.append(build(members))
    return shapes


def _property_columns(frame: Any, rows: Any) -> list[tuple[str, list[Any]]]:
    """Each non-geometry column's values at `rows`, as MVT-ready Python values or None."""
    geometry_name = frame.geometry.name
    columns = []
    for position, name in enumerate(frame.columns):
        if name == geometry_name:
            continue
        series = frame.iloc[rows, position]
        columns.append((str(name), _column_values(series)))
    return columns


def _column_values(series: Any) -> list[Any]:
    import numpy as np

    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return [_int_value(value) for value in series.tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return list(series.tolist())
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [value if math.isfinite(value) else None for value in series.tolist()]
    return [property_value(value) for value in series.tolist()]


def property_value(value: Any) -> str | int | float | bool | None:
    """A value as an MVT property (str, int, float or bool), or None to leave it out.

    numpy scalars become Python ones, dates and times ISO strings, geometries WKT, and other
    values (lists, dicts) compact JSON; NaN, None, NaT and NA are left out.
    """
    import numpy as np

    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return _int_value(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime.date | datetime.time):
        return None if _is_missing(value) else value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(np.datetime_as_string(value))
    if isinstance(value, np.generic):
        return property_value(value.item())
    if isinstance(value, decimal.Decimal):
        return property_value(float(value))
    if _is_missing(value):
        return None
    wkt = getattr(value, "wkt", None)
    if isinstance(wkt, str):
        return wkt
    return dumps_json(value).decode("utf-8")


def _int_value(value: int) -> int | float:
    # MVT integers are 64-bit; wider ones (Python ints, uint64) are kept as doubles.
    return value if _INT64_MIN <= value <= _INT64_MAX else float(value)


def _is_missing(value: Any) -> bool:
    pd = import_module("pandas")
    try:
        return bool(value is pd.NA or value is pd.NaT or pd.isna(value))
    except (TypeError, ValueError):
        return False
