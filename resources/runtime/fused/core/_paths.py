"""`fused.core.create_path`: the SDK's older name of `fused.file_path`."""

from __future__ import annotations

import warnings

from .._shared_disk import file_path
from ..warnings import FusedDeprecationWarning


def create_path(path: str, mkdir: bool = True) -> str:
    """`fused.file_path(path, mkdir)`, under its older name (with a deprecation warning)."""
    warnings.warn(
        "fused.core.create_path is the older name of fused.file_path",
        FusedDeprecationWarning,
        stacklevel=2,
    )
    return file_path(path, mkdir=mkdir)
