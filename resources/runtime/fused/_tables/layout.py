"""The layout of a geopartitioned table, as Fused's readers and the public `common` helper read it.

A table is a folder of GeoParquet files named `<file_id>.parquet` (`0.parquet`, `1.parquet`, ...)
whose row groups are its chunks, plus a `_sample` file: a few of the table's rows whose schema
metadata describes every chunk. Each data file carries the same description of its own chunks.

The description sits in two key-value metadata entries: `fused:format_version` (`5`) and
`fused:_metadata`, a base64-encoded parquet table with one row per chunk: `file_id` (text: readers
build `<file_id>.parquet` from it), `chunk_id` (the row group), `bbox_minx`, `bbox_miny`,
`bbox_maxx`, `bbox_maxy` (the chunk's geometries' bounds in EPSG:4326) and `num_rows`.
"""

from __future__ import annotations

import base64
import io
import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_FILE: Final = "_sample"
DATA_SUFFIX: Final = ".parquet"
FORMAT_VERSION_KEY: Final = b"fused:format_version"
METADATA_KEY: Final = b"fused:_metadata"
FORMAT_VERSION: Final = b"5"
BBOX_COLUMNS: Final = ("bbox_minx", "bbox_miny", "bbox_maxx", "bbox_maxy")
METADATA_COLUMNS: Final = ("file_id", "chunk_id", *BBOX_COLUMNS, "num_rows")
# A file id names a file in the table's folder: no separators, and not hidden or `_`-prefixed
# (readers skip those).
_FILE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class NotATableError(ValueError):
    """The file has no Fused chunk metadata, or metadata of a version this runtime cannot read."""


def data_file_name(file_id: str) -> str:
    """The data file's name in its table's folder: `<file_id>.parquet`."""
    return f"{file_id}{DATA_SUFFIX}"


def check_file_id(file_id: str) -> str:
    """`file_id` when a table may name a file by it; `ValueError` otherwise."""
    if not _FILE_ID.match(file_id):
        raise ValueError(
            f"file_id {file_id!r} cannot name a file of a table: use letters, digits, "
            "'_', '.' and '-', starting with a letter or digit"
        )
    return file_id


def encode_metadata(chunks: pd.DataFrame) -> dict[bytes, bytes]:
    """The key-value metadata entries that describe `chunks` (one row per chunk)."""
    missing = [column for column in METADATA_COLUMNS if column not in chunks.columns]
    if missing:
        raise ValueError(f"chunk metadata lacks the columns {missing}")
    with io.BytesIO() as buffer:
        chunks.to_parquet(buffer, index=False)
        encoded = base64.b64encode(buffer.getvalue())
    return {FORMAT_VERSION_KEY: FORMAT_VERSION, METADATA_KEY: encoded}


def decode_metadata(entries: dict[bytes, bytes] | None, where: str) -> pd.DataFrame:
    """The chunk table stored in a file's key-value metadata; `NotATableError` naming `where`."""
    import pandas as pd
    import pyarrow as pa

    entries = entries or {}
    version = entries.get(FORMAT_VERSION_KEY)
    if version is None or METADATA_KEY not in entries:
        raise NotATableError(
            f"{where} has no Fused chunk metadata: it is not a table written by fused.ingest"
        )
    if version != FORMAT_VERSION:
        raise NotATableError(
            f"{where} has Fused metadata of format version {version.decode(errors='replace')}; "
            f"this runtime reads version {FORMAT_VERSION.decode()} (ingest the data again)"
        )
    # b64decode skips the line breaks that base64.encodebytes-style writers put in.
    # One thread, from an Arrow buffer (see fused._engine_client._read_parquet).
    return pd.read_parquet(
        pa.BufferReader(base64.b64decode(entries[METADATA_KEY])), use_threads=False
    )
