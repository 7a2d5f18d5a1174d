"""`fused.models.udf`: `Udf`, `Header` and `AnyBaseUdf` (the same class as `Udf` here).

The classes are looked up on first access: `fused._udf` belongs to the modules that import one
another, so this leaf module never imports it at import time.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("Udf", "AnyBaseUdf"):
        from .._udf import Udf

        return Udf
    if name == "Header":
        from .._headers import Header

        return Header
    raise AttributeError(f"module 'fused.models.udf' has no attribute {name!r}")
