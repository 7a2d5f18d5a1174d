"""`fused.models`: the SDK's model classes that UDF code names (`Udf`, `Header`).

`fused.models.udf` has them too, with `AnyBaseUdf` (the SDK's name for "any kind of UDF", which
here is `Udf`). They are read on first access, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import Any

from . import udf


def __getattr__(name: str) -> Any:
    if name in ("Header", "Udf"):
        return getattr(udf, name)
    raise AttributeError(f"module 'fused.models' has no attribute {name!r}")
