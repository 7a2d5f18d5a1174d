"""Reading geopartitioned tables: `fused.get_chunks_metadata` and `fused.get_chunk_from_table`."""

from __future__ import annotations

import functools
import json
import operator
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from .layout import BBOX_COLUMNS, SAMPLE_FILE, data_file_name, decode_metadata
from .storage import Location, locate

# Tables whose CRS objects are kept: a map reads a few tables over and over.
CRS_CACHE_SIZE: Final = 32

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd


def get_chunks_metadata(url: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """One row per chunk of the table at `url`, with its bounds as a box geometry (EPSG:4326).

    Columns: `file_id`, `chunk_id`, `bbox_minx`, `bbox_miny`, `bbox_maxx`, `bbox_maxy`,
    `num_rows` (and any others the table's writer stored), then `geometry`. `url` is a local
    folder, `fd://...`, `/mnt/cache/...` or `s3://...`.
    """
    import geopandas as gpd
    import pyarrow.parquet as pq
    import shapely

    table = locate(url)
    sample = table.child(SAMPLE_FILE)
    if not sample.exists():
        raise FileNotFoundError(
            f"no table at {table.url}: it has no {SAMPLE_FILE} file (write one with fused.ingest)"
        )
    with sample.open() as source:
        schema = pq.read_schema(source)
    chunks = decode_metadata(schema.metadata, sample.url)
    boxes = shapely.box(*(chunks[column].to_numpy(dtype=float) for column in BBOX_COLUMNS))
    return gpd.GeoDataFrame(chunks, geometry=boxes, crs="EPSG:4326")


def get_chunk_from_table(
    url: str | os.PathLike[str],
    file_id: str | int | None,
    chunk_id: int | None,
    *,
    columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The rows of one chunk (`file_id`, `chunk_id` as in `get_chunks_metadata`).

    `chunk_id=None` reads the whole file, `file_id=None` the whole table (or `url` as one parquet
    file). `columns` limits the columns read. The rows come as a GeoDataFrame (EPSG:4326 when the
    file names no CRS) when a geometry column is read, else as a DataFrame.
    """
    import geopandas as gpd

    wanted = _column_list(columns)
    if file_id is None:
        data = _read_whole(locate(url), wanted)
    else:
        if isinstance(file_id, bool) or not isinstance(file_id, str | int):
            raise TypeError(f"file_id must be text or a whole number, not {file_id!r}")
        data = _read_file(locate(url).child(data_file_name(str(file_id))), chunk_id, wanted)
    if isinstance(data, gpd.GeoDataFrame) and data.crs is None:
        data = data.set_crs("EPSG:4326")
    return data


def _column_list(columns: Iterable[str] | None) -> list[str] | None:
    if columns is None:
        return None
    if isinstance(columns, str):
        raise TypeError(f"columns must be a list of column names, not the text {columns!r}")
    wanted = list(columns)
    for name in wanted:
        if not isinstance(name, str):
            raise TypeError(f"columns must be column names (text), not {name!r}")
    return wanted


def _read_whole(location: Location, columns: list[str] | None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    if not location.exists():
        raise FileNotFoundError(f"{location.url} does not exist")
    filesystem = None if location.filesystem is None else _arrow_fs(location)
    dataset = pq.ParquetDataset(location.path, filesystem=filesystem)
    _check_columns(dataset.schema, columns, location.url)
    return _to_frame(dataset.read(columns=columns))


def _read_file(location: Location, chunk_id: int | None, columns: list[str] | None) -> Any:
    import pyarrow.parquet as pq

    with location.open() as source, pq.ParquetFile(source) as file:
        _check_columns(file.schema_arrow, columns, location.url)
        if chunk_id is None:
            return _to_frame(file.read(columns=columns))
        try:
            index = operator.index(chunk_id)
        except TypeError:
            raise TypeError(f"chunk_id must be a whole number, not {chunk_id!r}") from None
        count = file.num_row_groups
        if not 0 <= index < count:
            raise IndexError(
                f"{location.url} has {count} chunks (0 to {count - 1}); there is no chunk {index}"
            )
        return _to_frame(file.read_row_group(index, columns=columns))


def _check_columns(schema: Any, columns: list[str] | None, where: str) -> None:
    if columns is None:
        return
    missing = [name for name in columns if schema.get_field_index(name) < 0]
    if missing:
        raise KeyError(f"{where} has no column {missing[0]!r} (its columns: {schema.names})")


def _to_frame(table: Any) -> pd.DataFrame:
    """A GeoDataFrame when the table's GeoParquet metadata names a column it has, else a
    DataFrame (a read without the geometry column has no geometry to make one of)."""
    from geopandas.io.arrow import _arrow_to_geopandas

    geo = (table.schema.metadata or {}).get(b"geo")  # GeoParquet metadata
    if geo is not None:
        present = tuple(name for name in _geometry_columns(geo) if name in table.column_names)
        if present:
            # geopandas' own GeoParquet decoding, applied to row groups read here.
            geoframe: pd.DataFrame = _arrow_to_geopandas(table, _decoded_geo(geo, present))
            return geoframe
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _geometry_columns(geo: bytes) -> list[str]:
    try:
        return list(json.loads(geo).get("columns", {}))
    except (ValueError, AttributeError):
        return []


@functools.lru_cache(maxsize=CRS_CACHE_SIZE)
def _crs_objects(geo: bytes, present: tuple[str, ...]) -> dict[str, Any]:
    """Each present geometry column's CRS as geopandas decodes it (from a table of no rows).

    Building a CRS from PROJJSON takes about 20 ms; a tile reads several chunks of one table.
    """
    import pyarrow as pa
    from geopandas.io.arrow import _arrow_to_geopandas

    empty = pa.table({name: pa.array([], pa.binary()) for name in present})
    empty = empty.replace_schema_metadata({b"geo": geo})
    decoded = _arrow_to_geopandas(empty)
    return {name: decoded[name].crs for name in present}


def _decoded_geo(geo: bytes, present: tuple[str, ...]) -> dict[str, Any]:
    """The GeoParquet metadata with each present column's CRS already decoded."""
    metadata: dict[str, Any] = json.loads(geo)
    for name, crs in _crs_objects(geo, present).items():
        metadata["columns"][name]["crs"] = crs
    return metadata


def _arrow_fs(location: Location) -> Any:
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    return PyFileSystem(FSSpecHandler(location.filesystem))
