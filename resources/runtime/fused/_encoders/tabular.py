"""Encoders for tables and geotables: parquet, geojson, json, feather, csv, mvt, html, excel, xml.

GeoJSON is always EPSG:4326 (other CRSs are reprojected); GeoParquet and the geometry-as-WKB
Arrow file come from geopandas; csv, html, excel and xml write geometries as WKT; mvt is the one
format that needs a tile (see vector_tile.py). The index is written only when it carries
information (it has a name), since a default row number in every export is noise.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any, Final

from .._errors import UDF_ERR_FORMAT, UdfResultError
from .document import dumps_json, json_default
from .office import excel, html_table, xml_document
from .vector_tile import encode_mvt

if TYPE_CHECKING:
    from .._result_kinds import Classified
    from .._tiles import TileCoord

WGS84: Final = 4326


def encode_table(classified: Classified, fmt: str, tile: TileCoord | None = None) -> bytes:
    """A DataFrame as parquet, json (records), feather, csv, html, excel or xml."""
    frame = classified.value
    if fmt == "json":
        return str(frame.to_json(orient="records", date_format="iso")).encode("utf-8")
    return _TABLE_WRITERS[fmt](frame)


def encode_geotable(classified: Classified, fmt: str, tile: TileCoord | None = None) -> bytes:
    """A GeoDataFrame as GeoParquet, GeoJSON (also for json), feather with WKB geometries,
    mvt for the run's tile, or csv, html, excel and xml with WKT geometries."""
    frame = classified.value
    if fmt == "parquet":
        return _with_arrow_safe_columns(frame, lambda safe, buffer: safe.to_parquet(buffer))
    if fmt in ("geojson", "json"):
        return geojson(frame)
    if fmt == "feather":
        return _with_arrow_safe_columns(
            frame, lambda safe, buffer: safe.to_feather(buffer, compression="uncompressed")
        )
    if fmt == "mvt":
        if tile is None:
            raise UdfResultError(
                "mvt needs a tile URL (…/tiles/{z}/{x}/{y} or x, y, z): "
                "a vector tile is cut for one tile, and this run has none",
                code=UDF_ERR_FORMAT,
            )
        return encode_mvt(frame, tile)
    return _TABLE_WRITERS[fmt](frame.to_wkt())


def geojson(frame: Any) -> bytes:
    """A GeoDataFrame as a GeoJSON FeatureCollection in EPSG:4326, with the features geopandas
    writes (`id` from the index, missing values as null)."""
    crs = frame.crs
    if crs is not None and crs.to_epsg() != WGS84:
        frame = frame.to_crs(WGS84)
    if frame.geometry.has_z.any():
        # GEOS's GeoJSON writer (3.11) drops Z: geopandas' own way.
        text: str = frame.to_json(default=json_default, ensure_ascii=False)
        return text.encode("utf-8")
    return _features_json(frame).encode("utf-8")


def _features_json(frame: Any) -> str:
    """GeoJSON built from GEOS's geometry writer and one dict per row: a map tile's features
    in a fraction of the time of geopandas' feature-by-feature Python (`to_json`)."""
    import pandas as pd
    import shapely

    geometries = shapely.to_geojson(frame.geometry.values)
    names = [name for name in frame.columns if name != frame.geometry.name]
    # Column by column: `tolist` gives Python values, with no frame built per row or per drop.
    columns = [frame[name].tolist() for name in names]
    features = []
    for position, (index, geometry) in enumerate(zip(frame.index, geometries, strict=True)):
        properties = {
            name: None if _is_missing_scalar(pd, value) else value
            for name, value in zip(names, (column[position] for column in columns), strict=True)
        }
        encoded = json.dumps(properties, default=json_default, ensure_ascii=False)
        features.append(
            f'{{"id":{json.dumps(str(index), ensure_ascii=False)},"type":"Feature",'
            f'"properties":{encoded},"geometry":{"null" if geometry is None else geometry}}}'
        )
    return f'{{"type":"FeatureCollection","features":[{",".join(features)}]}}'


def _is_missing_scalar(pd: Any, value: object) -> bool:
    """None, NaN, NaT or NA: written as null, as geopandas does; lists and the like are values."""
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))


def _parquet(frame: Any) -> bytes:
    # import_module: pyarrow ships no type information, so its modules are typed as ModuleType.
    pq = import_module("pyarrow.parquet")
    pa = import_module("pyarrow")
    sink = pa.BufferOutputStream()
    pq.write_table(_arrow_table(frame), sink)
    payload: bytes = sink.getvalue().to_pybytes()
    return payload


def _feather(frame: Any) -> bytes:
    pa = import_module("pyarrow")
    feather = import_module("pyarrow.feather")
    table = _arrow_table(frame)
    sink = pa.BufferOutputStream()
    # Uncompressed: Arrow's JavaScript reader (web maps, notebooks in a browser) cannot
    # decompress IPC buffers.
    feather.write_feather(table, sink, compression="uncompressed")
    payload: bytes = sink.getvalue().to_pybytes()
    return payload


def _arrow_table(frame: Any) -> Any:
    pa = import_module("pyarrow")
    preserve_index = _has_named_index(frame) or None
    try:
        return pa.Table.from_pandas(_string_columns(frame), preserve_index=preserve_index)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        safe = _arrow_safe_columns(frame)
        return pa.Table.from_pandas(_string_columns(safe), preserve_index=preserve_index)


def _with_arrow_safe_columns(frame: Any, write: Callable[[Any, io.BytesIO], None]) -> bytes:
    pa = import_module("pyarrow")
    buffer = io.BytesIO()
    try:
        write(_string_columns(frame), buffer)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        buffer = io.BytesIO()
        write(_string_columns(_arrow_safe_columns(frame)), buffer)
    return buffer.getvalue()


def _arrow_safe_columns(frame: Any) -> Any:
    """The frame with each object column Arrow cannot type (mixed lists and dicts, numbers and
    text) written as text: strings as they are, other values as JSON."""
    import numpy as np

    pa = import_module("pyarrow")
    safe = frame
    for position, dtype in enumerate(frame.dtypes):
        if not (isinstance(dtype, np.dtype) and dtype.kind == "O"):
            continue  # typed columns (geometries included) convert on their own
        column = frame.iloc[:, position]
        try:
            pa.array(column, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            safe = safe.copy(deep=False)
            safe.isetitem(position, column.map(_as_text).astype(object))
    return safe


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    text = dumps_json(value).decode("utf-8")
    return None if text == "null" else text  # NaN, NA, NaT: missing


def _csv(frame: Any) -> bytes:
    text: str = frame.to_csv(index=_has_named_index(frame))
    return text.encode("utf-8")


def _html(frame: Any) -> bytes:
    return html_table(frame, index=_has_named_index(frame))


def _excel(frame: Any) -> bytes:
    return excel(frame, index=_has_named_index(frame))


def _xml(frame: Any) -> bytes:
    return xml_document(frame, index=_has_named_index(frame))


# Writers shared by tables and geotables (after geometries become WKT).
_TABLE_WRITERS: Final[Mapping[str, Callable[[Any], bytes]]] = {
    "parquet": _parquet,
    "feather": _feather,
    "csv": _csv,
    "html": _html,
    "excel": _excel,
    "xml": _xml,
}


def _has_named_index(frame: Any) -> bool:
    return any(name is not None for name in frame.index.names)


def _string_columns(frame: Any) -> Any:
    # Parquet and Arrow column names must be strings; UDFs often build frames with integer
    # columns.
    if all(isinstance(column, str) for column in frame.columns):
        return frame
    return frame.rename(columns=str)
