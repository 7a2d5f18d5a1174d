"""`fused.core`: the SDK's lower-level functions, with their local meanings.

Caching (`cache`, `cache_call[_async]`), files on the shared disk (`download`, `file_path`,
`create_path`), loading a UDF from each kind of source (`load_udf_from_*`), running a shared
token's UDF (`run_shared_file`, `run_shared_tile`, and `_async`), reading a geopartitioned
table (`get_chunks_metadata`, `get_chunk_from_table`), and the JSON encoding of results
(`FusedJSONEncoder`, `fused_json_default_handler`).
"""

from __future__ import annotations

from .._cache import cache, cache_call, cache_call_async
from .._download import download
from .._shared_disk import file_path
from .._tables.read import get_chunk_from_table, get_chunks_metadata
from . import threading_utils
from ._json import FusedJSONEncoder, fused_json_default_handler
from ._loaders import (
    load_udf_from_code,
    load_udf_from_directory,
    load_udf_from_file,
    load_udf_from_fused,
    load_udf_from_fused_async,
    load_udf_from_github,
    load_udf_from_shared_token,
    load_udf_from_zip,
)
from ._paths import create_path
from ._shared_runs import (
    run_shared_file,
    run_shared_file_async,
    run_shared_tile,
    run_shared_tile_async,
)

__all__ = [
    "FusedJSONEncoder",
    "cache",
    "cache_call",
    "cache_call_async",
    "create_path",
    "download",
    "file_path",
    "fused_json_default_handler",
    "get_chunk_from_table",
    "get_chunks_metadata",
    "load_udf_from_code",
    "load_udf_from_directory",
    "load_udf_from_file",
    "load_udf_from_fused",
    "load_udf_from_fused_async",
    "load_udf_from_github",
    "load_udf_from_shared_token",
    "load_udf_from_zip",
    "run_shared_file",
    "run_shared_file_async",
    "run_shared_tile",
    "run_shared_tile_async",
    "threading_utils",
]
