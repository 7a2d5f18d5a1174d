"""UDF Studio's implementation of the `fused` API that UDF code uses.

`@fused.udf` marks a UDF, `fused.load` reads one (folder, file, zip, code, GitHub URL, token,
workspace name), `fused.run` runs one, `fused.submit` (and `Udf.map`) runs one over many
arguments in parallel, `fused.types` has the tile annotations and the SDK's exceptions.
`@fused.cache`, `fused.download` and `fused.file_path` keep data on the shared disk
(`/mnt/cache` in UDF code); `fused.options` has the SDK's options with this machine's values,
`fused.context` what a UDF can ask about its run, `fused.core` the lower-level functions,
`fused.secrets` the home's secrets (`udf-studio secret set NAME`).
`fused.ingest` writes a geopartitioned table; `fused.get_chunks_metadata` and
`fused.get_chunk_from_table` read one (also in `fused.core`).
Names of the official SDK that only mean something on Fused's servers raise `NotLocalError`
naming themselves (`fused._not_local`).
"""

from __future__ import annotations

import sys

# Imported for its effect: it hands the Udf model the run, submit and load functions.
from . import _wiring as _wiring
from . import api as api
from . import context, core, models, types, warnings
from ._cache import cache
from ._download import DownloadError, download
from ._errors import (
    EngineUnavailableError,
    NotLocalError,
    NotSupportedYetError,
    UdfLoadError,
    UdfParameterError,
    UdfResultError,
    UdfRuntimeError,
    UdfTileError,
)
from ._headers import Header
from ._job_pool import JobPool
from ._load import load, load_async
from ._not_local import NotLocalModule, not_local_function
from ._options import options
from ._public_utils import utils
from ._results import EncodedResult, encode_result
from ._run import run, run_async
from ._secrets import secrets, user_secrets
from ._shared_disk import file_path
from ._submit import submit
from ._tables.ingest import ingest
from ._tables.read import get_chunk_from_table, get_chunks_metadata
from ._udf import Udf, udf
from .ipython import load_ipython_extension

__version__ = "0.1.0"

h3 = sys.modules[f"{__name__}.h3"] = NotLocalModule("fused.h3")
find_dataset = not_local_function("fused.find_dataset")
ingest_nongeospatial = not_local_function("fused.ingest_nongeospatial")
register_dataset = not_local_function("fused.register_dataset")

__all__ = [
    "DownloadError",
    "EncodedResult",
    "EngineUnavailableError",
    "Header",
    "JobPool",
    "NotLocalError",
    "NotSupportedYetError",
    "Udf",
    "UdfLoadError",
    "UdfParameterError",
    "UdfResultError",
    "UdfRuntimeError",
    "UdfTileError",
    "__version__",
    "cache",
    "context",
    "core",
    "download",
    "encode_result",
    "file_path",
    "find_dataset",
    "get_chunk_from_table",
    "get_chunks_metadata",
    "h3",
    "ingest",
    "ingest_nongeospatial",
    "load",
    "load_async",
    "load_ipython_extension",
    "models",
    "options",
    "register_dataset",
    "run",
    "run_async",
    "secrets",
    "submit",
    "types",
    "udf",
    "user_secrets",
    "utils",
    "warnings",
]
