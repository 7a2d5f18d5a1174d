"""Writing a table's files: the staged rows, each data file (one job run each), the `_sample`.

The ingest stages every row once, in file and chunk order, as an Arrow IPC file with helper
columns (the row's chunk and bounds). Each data file is then written from its slice of that file,
memory-mapped, so the runs of a job (in the engine's workers or in threads here) share no memory
and copy nothing they do not write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .layout import BBOX_COLUMNS, METADATA_COLUMNS, encode_metadata

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

CHUNK_COLUMN: Final = "__fused_chunk"
BOUNDS_COLUMNS: Final = ("__fused_minx", "__fused_miny", "__fused_maxx", "__fused_maxy")
HELPER_COLUMNS: Final = (CHUNK_COLUMN, *BOUNDS_COLUMNS)
COMPRESSION: Final = "zstd"
SAMPLE_ROWS: Final = 1000


def staged_table(
    frame: gpd.GeoDataFrame,
    files: Sequence[Sequence[npt.NDArray[np.intp]]],
    *,
    write_covering_bbox: bool,
) -> Any:
    """The rows as one Arrow table (GeoParquet metadata, WKB geometry) in file, then chunk,
    order, with each row's chunk number and bounds in helper columns."""
    import numpy as np
    import pyarrow as pa
    import shapely
    from geopandas.io.arrow import _geopandas_to_arrow

    order = np.concatenate([chunk for chunks in files for chunk in chunks])
    chunk_numbers = np.concatenate(
        [
            np.full(len(chunk), number, dtype=np.int32)
            for chunks in files
            for number, chunk in enumerate(chunks)
        ]
    )
    ordered = frame.iloc[order]
    # geopandas' own GeoParquet encoding, kept as Arrow so row groups can be chosen here.
    table = _geopandas_to_arrow(ordered, index=False, write_covering_bbox=write_covering_bbox)
    bounds = shapely.bounds(ordered.geometry.array)
    table = table.append_column(CHUNK_COLUMN, pa.array(chunk_numbers))
    for position, name in enumerate(BOUNDS_COLUMNS):
        table = table.append_column(name, pa.array(bounds[:, position]))
    return table


def write_staging(table: Any, path: str) -> None:
    """The staged table as an Arrow IPC file at `path`."""
    import pyarrow as pa

    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def write_data_file(
    staging: str, start: int, count: int, target: str, file_id: str
) -> pd.DataFrame:
    """Write `<file_id>.parquet` at `target` from rows `start` to `start + count` of the staging
    file, one row group per chunk; its chunk metadata (one row per chunk)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pa.memory_map(staging) as source:
        rows = pa.ipc.open_file(source).read_all().slice(start, count)
        chunks = chunk_metadata(rows, file_id)
        data = rows.drop_columns(list(HELPER_COLUMNS))
        schema = data.schema.with_metadata(
            {**_with_bbox(data.schema.metadata, chunks), **encode_metadata(chunks)}
        )
        partial = f"{target}.partial"
        offset = 0
        with pq.ParquetWriter(partial, schema, compression=COMPRESSION) as writer:
            for size in chunks["num_rows"].tolist():
                writer.write_table(data.slice(offset, size), row_group_size=size)
                offset += size
    Path(partial).replace(target)
    return chunks


def chunk_metadata(rows: Any, file_id: str) -> pd.DataFrame:
    """One row per chunk of the staged `rows` (sorted by chunk): bounds and row counts."""
    import numpy as np
    import pandas as pd

    numbers = rows.column(CHUNK_COLUMN).to_numpy()
    starts = np.concatenate([[0], np.flatnonzero(np.diff(numbers)) + 1]).astype(np.intp)
    columns: dict[str, Any] = {
        "file_id": [file_id] * len(starts),
        "chunk_id": np.arange(len(starts), dtype=np.int64),
    }
    for name, helper in zip(BBOX_COLUMNS, BOUNDS_COLUMNS, strict=True):
        values = rows.column(helper).to_numpy()
        reduce = np.minimum if "min" in name else np.maximum
        columns[name] = reduce.reduceat(values, starts)
    columns["num_rows"] = np.diff(np.append(starts, len(numbers))).astype(np.int64)
    return pd.DataFrame(columns, columns=list(METADATA_COLUMNS))


def write_sample(table: Any, chunks: pd.DataFrame, target: str) -> None:
    """The `_sample` file: up to `SAMPLE_ROWS` rows spread over the table, and every chunk's
    metadata."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    picked = np.unique(
        np.linspace(0, table.num_rows - 1, min(table.num_rows, SAMPLE_ROWS)).astype(np.int64)
    )
    sample = table.take(pa.array(picked)).drop_columns(list(HELPER_COLUMNS))
    metadata = {**_with_bbox(sample.schema.metadata, chunks), **encode_metadata(chunks)}
    pq.write_table(sample.replace_schema_metadata(metadata), target, compression=COMPRESSION)


def _with_bbox(metadata: dict[bytes, bytes] | None, chunks: pd.DataFrame) -> dict[bytes, bytes]:
    """The schema metadata with the GeoParquet bbox of the primary geometry set to what these
    chunks cover (geopandas wrote the whole input's)."""
    entries = dict(metadata or {})
    geo = json.loads(entries[b"geo"])
    primary = geo["columns"][geo["primary_column"]]
    primary["bbox"] = [
        float(chunks["bbox_minx"].min()),
        float(chunks["bbox_miny"].min()),
        float(chunks["bbox_maxx"].max()),
        float(chunks["bbox_maxy"].max()),
    ]
    entries[b"geo"] = json.dumps(geo).encode()
    return entries
