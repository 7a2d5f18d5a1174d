"""UDF Studio's implementation of the `fused` API that UDF code uses.

`@fused.udf` marks a UDF, `fused.load` reads one (folder, file, code, workspace name),
`fused.run` runs one, `fused.submit` (and `Udf.map`) runs one over many arguments in parallel,
`fused.types` has the tile annotations.
`@fused.cache`, `fused.download` and `fused.file_path` keep data on the shared disk
(`/mnt/cache` in UDF code); `fused.options` has the settings UDF code reads; `fused.secrets` the
home's secrets (`udf-studio secret set NAME`).
`fused.ingest` writes a geopartitioned table; `fused.get_chunks_metadata` and
`fused.get_chunk_from_table` read one (also in `fused.core`).
"""

from __future__ import annotations

from . import api as api
from . import core, types
from ._cache import cache
from ._download import DownloadError, download
from ._errors import (
    EngineUnavailableError,
    NotSupportedYetError,
    UdfLoadError,
    UdfParameterError,
    UdfResultError,
    UdfRuntimeError,
    UdfTileError,
)
from ._headers import Header
from ._job_pool import JobPool
from ._load import load
from ._options import options
from ._results import EncodedResult, encode_result
from ._run import run
from ._secrets import secrets, user_secrets
from ._shared_disk import file_path
from ._submit import submit
from ._tables.ingest import ingest
from ._tables.read import get_chunk_from_table, get_chunks_metadata
from ._udf import Udf, udf

__version__ = "0.1.0"

__all__ = [
    "DownloadError",
    "EncodedResult",
    "EngineUnavailableError",
    "Header",
    "JobPool",
    "NotSupportedYetError",
    "Udf",
    "UdfLoadError",
    "UdfParameterError",
    "UdfResultError",
    "UdfRuntimeError",
    "UdfTileError",
    "__version__",
    "cache",
    "core",
    "download",
    "encode_result",
    "file_path",
    "get_chunk_from_table",
    "get_chunks_metadata",
    "ingest",
    "load",
    "options",
    "run",
    "secrets",
    "submit",
    "types",
    "udf",
    "user_secrets",
]
