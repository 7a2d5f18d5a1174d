"""UDF Studio's implementation of the `fused` API that UDF code uses.

`@fused.udf` marks a UDF, `fused.load` reads one (folder, file, code, workspace name),
`fused.run` runs one in this process, `fused.types` has the tile annotations.
"""

from __future__ import annotations

from . import types
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
from ._load import load
from ._results import EncodedResult, encode_result
from ._run import run
from ._udf import Udf, udf

__version__ = "0.1.0"

__all__ = [
    "EncodedResult",
    "EngineUnavailableError",
    "Header",
    "NotSupportedYetError",
    "Udf",
    "UdfLoadError",
    "UdfParameterError",
    "UdfResultError",
    "UdfRuntimeError",
    "UdfTileError",
    "__version__",
    "encode_result",
    "load",
    "run",
    "types",
    "udf",
]
