"""The kinds a UDF's result is sorted into, shared by the result table and the encoders below it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["table", "geotable", "raster", "json", "text", "html", "bytes", "empty"]


@dataclass(frozen=True, slots=True)
class Classified:
    """A result sorted into its kind; `value` is normalised for the kind's encoder.

    `bounds` are a raster's `[xmin, ymin, xmax, ymax]` when the UDF returned them;
    `content_type` is set when the value says its own (web responses).
    """

    kind: Kind
    value: Any
    bounds: list[float] | None = None
    content_type: str | None = None
